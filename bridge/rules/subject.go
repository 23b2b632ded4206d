package rules

import (
	"regexp"
	"strings"
)

// subjectNoise is what mail clients put before a subject when replying or
// forwarding (English, German, Nordic, Dutch, French, Spanish, Italian,
// Polish, Turkish, Portuguese, Russian), optionally numbered ("Re[2]:"),
// and list or ticket tags in brackets ("[Support]", "[#42]").
var subjectNoise = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|sv|vs|antw|odp|ynt|res|ref|fwd?|wg|tr|rv|enc|doorst|ответ|отв|пересл)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|\[[^\]]{0,40}\])\s*`)

// ThreadSubject is a subject as threading compares it: reply and forward
// prefixes and bracketed tags removed (repeatedly, "Re: AW: [#42] Fwd: x"
// is "x"), spaces collapsed, lower case. "" means there is nothing to
// compare (no subject, or only prefixes).
func ThreadSubject(s string) string {
	for {
		t := subjectNoise.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	s = strings.TrimSuffix(s, " …")
	return strings.TrimSuffix(s, "…")
}

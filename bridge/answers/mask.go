package answers

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Masking: a past answer was written to another customer. Before staff
// see it as a suggestion, what identifies that customer is replaced by a
// placeholder: email addresses, phone numbers, order and other reference
// numbers, long numbers, the ids and tokens in links, and the customer's
// name (as stored, and the name a greeting uses).

// Placeholders put in place of what was masked.
const (
	MaskEmail = "[email]"
	MaskPhone = "[phone]"
	MaskOrder = "[order id]"
	MaskNum   = "[number]"
	MaskLink  = "[link id]"
	MaskName  = "[name]"
)

// Details lists the placeholders that stand for another customer's
// details: a text holding one must be completed by a person before it
// goes to a customer ([name] is filled in with the current customer's).
var details = []string{MaskEmail, MaskPhone, MaskOrder, MaskNum, MaskLink}

// MaskedDetails lists the placeholders of other customers' details left
// in text.
func MaskedDetails(text string) []string {
	var out []string
	for _, p := range details {
		if strings.Contains(text, p) {
			out = append(out, p)
		}
	}
	return out
}

var (
	emailRE = regexp.MustCompile(`(?i)[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}`)
	urlRE   = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"')\]]+`)
	// dateRE keeps dates and times from being read as phone numbers.
	dateRE = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b`)
	// phoneRE: an optional +, then digits with spaces, dots, dashes or
	// brackets between them; at least 7 digits (checked after matching).
	phoneRE = regexp.MustCompile(`(?:\+|\b)\d[\d ().-]{5,}\d\b`)
	// orderRE: a word such as "order" or "invoice", perhaps "no."/"#",
	// then a reference with a digit in it.
	orderRE = regexp.MustCompile(`(?i)\b(order|invoice|ticket|booking|reservation|tracking|shipment|parcel|case|ref|reference|transaction|confirmation|account|customer|contract|subscription|licen[cs]e|serial|receipt)(s?\s*(?:no\.?|number|num|nr\.?|id|code)?\s*[:#]?\s*)([A-Za-z0-9][A-Za-z0-9-]*\d[A-Za-z0-9-]*)`)
	// hashRE: "#48213".
	hashRE = regexp.MustCompile(`#\d{3,}\b`)
	// codeRE: a word of capitals and digits with at least two digits and
	// six characters (ORD-48213, AB12CD34, 1Z999AA10123456784).
	codeRE = regexp.MustCompile(`\b[A-Z0-9][A-Z0-9-]{4,}[A-Z0-9]\b`)
	// longNumRE: six or more digits in a row.
	longNumRE = regexp.MustCompile(`\b\d{6,}\b`)
	// greetingNameRE: "Hi Maria," "Dear Mr. Smith" "Hello Anna-Lena!"
	greetingNameRE = regexp.MustCompile(`(?m)^(\s*(?i:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|bonjour|hola|ciao|thanks|thank you)[ ,]+)((?:(?i:mr|mrs|ms|dr)\.? )?\p{Lu}[\p{L}'-]*(?: \p{Lu}[\p{L}'-]*)?)([ ]*[,!.\n]|$)`)
)

// notNames are capitalised words a greeting uses that are no name.
var notNames = set("team", "there", "all", "everyone", "everybody", "folks", "again", "support", "sir", "madam", "friend", "friends")

// Mask replaces another customer's details in text. names are that
// customer's names as stored (display name, username); each of their
// words of two letters or more is masked wherever it stands as a word.
func Mask(text string, names ...string) string {
	text = emailRE.ReplaceAllString(text, MaskEmail)
	text = urlRE.ReplaceAllStringFunc(text, maskURL)
	text = protect(text, dateRE, func(s string) string {
		s = orderRE.ReplaceAllStringFunc(s, func(m string) string {
			sub := orderRE.FindStringSubmatch(m)
			if len(sub[3]) < 3 {
				return m // "case 1": not a reference
			}
			sep := strings.Join(strings.Fields(strings.NewReplacer("#", "", ":", "").Replace(sub[2])), " ")
			if sep != "" {
				sep = " " + sep
			}
			return sub[1] + sep + " " + MaskOrder
		})
		s = hashRE.ReplaceAllString(s, MaskOrder)
		s = phoneRE.ReplaceAllStringFunc(s, func(m string) string {
			switch {
			case countDigits(m) < 7:
				return m
			case countDigits(m) == len(m):
				return MaskNum // a bare run of digits: a code, an account
			}
			return MaskPhone
		})
		s = codeRE.ReplaceAllStringFunc(s, func(m string) string {
			if countDigits(m) < 2 {
				return m
			}
			return MaskOrder
		})
		return longNumRE.ReplaceAllString(s, MaskNum)
	})
	text = greetingNameRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := greetingNameRE.FindStringSubmatch(m)
		if notNames[strings.ToLower(sub[2])] {
			return m
		}
		return sub[1] + MaskName + sub[3]
	})
	for _, n := range names {
		text = maskName(text, n)
	}
	return text
}

// protect applies fn to the parts of text that re does not match.
func protect(text string, re *regexp.Regexp, fn func(string) string) string {
	var b strings.Builder
	last := 0
	for _, loc := range re.FindAllStringIndex(text, -1) {
		b.WriteString(fn(text[last:loc[0]]))
		b.WriteString(text[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(fn(text[last:]))
	return b.String()
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// maskURL keeps a link's site and plain path (a help page stays useful)
// and masks its query, its fragment and any path part with a number in
// it (order pages, reset tokens).
func maskURL(u string) string {
	trail := ""
	for strings.HasSuffix(u, ".") || strings.HasSuffix(u, ",") || strings.HasSuffix(u, ";") || strings.HasSuffix(u, ":") {
		trail = u[len(u)-1:] + trail
		u = u[:len(u)-1]
	}
	rest := u
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i] + "?" + MaskLink
	}
	scheme, after, _ := strings.Cut(rest, "://")
	parts := strings.Split(after, "/")
	for i := 1; i < len(parts); i++ {
		if countDigits(parts[i]) >= 3 || len(parts[i]) >= 20 {
			parts[i] = MaskLink
		}
	}
	return scheme + "://" + strings.Join(parts, "/") + trail
}

// maskName masks every word of name (two letters or more) where it
// stands as a whole word in text, in any case.
func maskName(text, name string) string {
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '-' }) {
		if utf8.RuneCountInString(part) < 2 || stopword(strings.ToLower(part)) {
			continue
		}
		re, err := regexp.Compile(`(?i)(^|[^\p{L}\p{N}])` + regexp.QuoteMeta(part) + `($|[^\p{L}\p{N}])`)
		if err != nil {
			continue
		}
		// Matches share their boundary characters, so run until stable.
		for i := 0; i < 4 && re.MatchString(text); i++ {
			text = re.ReplaceAllString(text, "${1}"+MaskName+"${2}")
		}
	}
	return text
}

// FillName puts name (the first word of the current customer's name)
// where a suggestion says [name]; without a name, the greeting keeps no
// placeholder ("Hi [name]," becomes "Hi,").
func FillName(text, name string) string {
	first := ""
	if f := strings.Fields(name); len(f) > 0 {
		first = f[0]
	}
	if first != "" {
		return strings.ReplaceAll(text, MaskName, first)
	}
	text = strings.ReplaceAll(text, " "+MaskName, "")
	return strings.ReplaceAll(text, MaskName, "")
}

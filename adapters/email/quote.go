package email

import (
	"regexp"
	"strings"
)

// Reply headers that mail clients put above quoted history, in the
// languages customers commonly write in. A header may be wrapped over two
// lines, so each pattern is also tried on a line joined with the next.
var replyHeaders = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^\s*(On|Am|Le|El|Il|Op|Em|Den|På|W dniu|Dne)\s.{0,300}(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev|napisał|napsal)\s*(\(.{0,60}\))?\s*:\s*$`),
	regexp.MustCompile(`(?i)^\s*(Am|Op|Le|El|Il|Em)\s.{0,300}(schrieb|schreef|a écrit|escribió|ha scritto|escreveu)\s.{0,200}:\s*$`),
	regexp.MustCompile(`(?i)^\s*.{0,200}(написал|написала|написал\(а\)|пишет)\s*:\s*$`),
	regexp.MustCompile(`(?i)^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Исходное сообщение)\s*-{2,}\s*$`),
	regexp.MustCompile(`^\s*_{20,}\s*$`), // Outlook's separator above "From: ... Sent: ..."
	regexp.MustCompile(`(?i)^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}.{0,120}<[^>]+@[^>]+>:?\s*$`),
}

// outlookHeader is the "From:/Sent:" block Outlook puts above history
// without any "wrote:" line.
var outlookFrom = regexp.MustCompile(`(?i)^\s*\*?(From|Von|De|Från|От)\s*:\*?\s+\S`)
var outlookSent = regexp.MustCompile(`(?i)^\s*\*?(Sent|Gesendet|Envoyé|Enviado|Skickat|Отправлено)\s*:\*?\s+\S`)

// separatorLine is a rule left above cut history ("---" from an <hr>).
var separatorLine = regexp.MustCompile(`^\s*([-_=*]{3,}\s*)?$`)

// Mobile footers that say nothing.
var mobileFooter = regexp.MustCompile(`(?i)^\s*(Sent from my \S.{0,40}|Get Outlook for \S.{0,20}|Von meinem \S.{0,40} gesendet|Envoyé de mon \S.{0,40}|Enviado desde mi \S.{0,40}|Sent from Mail for Windows.{0,10}|Sent from Yahoo Mail.{0,40})\s*$`)

// StripQuotes removes quoted history and a trailing signature from a reply.
// Replies that interleave answers with quotes are kept whole, so no answer
// is lost; the result is never empty if s was not.
func StripQuotes(s string) string {
	lines := strings.Split(s, "\n")
	cut := len(lines)
	for i := range lines {
		if isReplyHeader(lines, i) {
			cut = i
			break
		}
	}
	if cut < len(lines) && interleaved(lines[cut+1:]) {
		cut = len(lines)
	}
	lines = lines[:cut]
	// A trailing block of "> " lines is history too.
	end := len(lines)
	for end > 0 && (strings.TrimSpace(lines[end-1]) == "" || strings.HasPrefix(strings.TrimSpace(lines[end-1]), ">")) {
		end--
	}
	if end < len(lines) && end > 0 {
		quoted := false
		for _, l := range lines[end:] {
			quoted = quoted || strings.HasPrefix(strings.TrimSpace(l), ">")
		}
		if quoted {
			lines = lines[:end]
		}
	}
	lines = stripSignature(lines)
	for len(lines) > 1 && separatorLine.MatchString(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	out := strings.TrimSpace(strings.Join(lines, "\n"))
	if out == "" {
		return strings.TrimSpace(s)
	}
	return out
}

func isReplyHeader(lines []string, i int) bool {
	l := lines[i]
	if strings.HasPrefix(strings.TrimSpace(l), ">") {
		return false
	}
	for _, re := range replyHeaders {
		if re.MatchString(l) {
			return true
		}
		if i+1 < len(lines) && len(l) < 300 && re.MatchString(l+" "+strings.TrimSpace(lines[i+1])) {
			// Only a header wrapped over two lines, not any line before one.
			if !re.MatchString(lines[i+1]) {
				return true
			}
		}
	}
	if outlookFrom.MatchString(l) && !afterForwardMarker(lines, i) {
		for j := i + 1; j < len(lines) && j <= i+3; j++ {
			if outlookSent.MatchString(lines[j]) {
				return true
			}
		}
	}
	return false
}

var forwardMarker = regexp.MustCompile(`(?i)^\s*-{3,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Begin forwarded message)`)

// afterForwardMarker: a "From:" block right under "Forwarded message" is
// the forwarded mail, which the customer wants us to read.
func afterForwardMarker(lines []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-2; j-- {
		if forwardMarker.MatchString(lines[j]) || strings.HasPrefix(strings.TrimSpace(lines[j]), "Begin forwarded message") {
			return true
		}
		if strings.TrimSpace(lines[j]) != "" {
			return false
		}
	}
	return false
}

// interleaved reports whether new (unquoted) text follows quoted text in
// the history, which means the customer answered inline.
func interleaved(rest []string) bool {
	seenQuote := false
	for _, l := range rest {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case strings.HasPrefix(t, ">"):
			seenQuote = true
		case seenQuote:
			return true
		}
	}
	return false
}

// stripSignature cuts at an RFC 3676 "-- " separator near the end and drops
// trailing mobile footers.
func stripSignature(lines []string) []string {
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-20; i-- {
		if t := strings.TrimRight(lines[i], " \t"); (t == "--" || t == "-- ") && i > 0 {
			lines = lines[:i]
			break
		}
	}
	for len(lines) > 1 {
		t := strings.TrimSpace(lines[len(lines)-1])
		if t == "" || mobileFooter.MatchString(t) {
			lines = lines[:len(lines)-1]
			continue
		}
		break
	}
	return lines
}

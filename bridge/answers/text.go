package answers

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// How text becomes terms, the same way for past conversations, the
// question asked now and knowledge-base articles: words (letters and
// digits, as the search indexes split them) lower-cased, common words
// dropped, English endings stemmed; the customer's own words weigh more
// than greetings, sign-offs and signatures, and quoted email lines are
// left out.

const (
	// otherWeight is what a word of a greeting, a sign-off or a signature
	// counts for, against 1 for the customer's own words: a signature's
	// name or job title says nothing about the question.
	otherWeight = 0.15
	// quotedWeight: a line quoted from an earlier email is no part of it.
	quotedWeight = 0
)

// bag is text as weighted terms (stems).
type bag struct {
	terms  map[string]float64
	length float64 // the weights' sum
	// words are the words as written for each term (lower-cased): the
	// forms a search for the term must find.
	words map[string][]string
}

func newBag() *bag { return &bag{terms: map[string]float64{}} }

// add puts text in the bag; weight scales every word (a customer's later
// messages count less than the first, the question).
func (b *bag) add(text string, weight float64) {
	inSignature := false
	for line := range strings.Lines(text) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, ">") {
			continue // quoted from an earlier email
		}
		if trimmed == "--" || strings.HasPrefix(trimmed, "-- ") || isSignOff(trimmed) {
			inSignature = true
		}
		w := weight
		// A question after "Thanks!" is still the customer's own.
		if inSignature && !strings.HasSuffix(trimmed, "?") {
			w *= otherWeight
			b.addWords(trimmed, w)
			continue
		}
		if greeting, rest, ok := splitGreeting(trimmed); ok {
			b.addWords(greeting, w*otherWeight)
			trimmed = rest
		}
		b.addWords(trimmed, w)
	}
}

// addPlain puts text in the bag word by word (articles: no greetings or
// signatures to tell apart).
func (b *bag) addPlain(text string, weight float64) { b.addWords(text, weight) }

func (b *bag) addWords(text string, w float64) {
	if w <= 0 {
		return
	}
	// A link's or an address's words say nothing about the question.
	if strings.Contains(text, "@") || strings.Contains(text, "://") {
		text = urlRE.ReplaceAllString(emailRE.ReplaceAllString(text, " "), " ")
	}
	for _, word := range words(text) {
		if stopword(word) {
			continue
		}
		t := stem(word)
		b.terms[t] += w
		b.length += w
		if b.words != nil && !contains(b.words[t], word) {
			b.words[t] = append(b.words[t], word)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// words splits text into lower-cased runs of letters and digits, as the
// search indexes do; single letters are dropped.
func words(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if utf8.RuneCountInString(f) < 2 {
			continue
		}
		out = append(out, strings.ToLower(f))
	}
	return out
}

// greetingWords open a message ("Hi team,", "Good morning!").
var greetingWords = set("hi", "hello", "hey", "dear", "good", "greetings", "hallo", "bonjour", "hola", "ciao", "moin", "salut", "yo", "howdy")

// splitGreeting splits a line that opens with a greeting into the
// greeting (up to the first comma, stop or line end when it is short) and
// the rest.
func splitGreeting(line string) (greeting, rest string, ok bool) {
	w := words(line)
	if len(w) == 0 || !greetingWords[w[0]] {
		return "", line, false
	}
	if i := strings.IndexAny(line, ",!.:;\u2014"); i >= 0 && len(words(line[:i])) <= 5 {
		return line[:i], line[i+1:], true
	}
	if len(w) <= 5 {
		return line, "", true
	}
	return "", line, false
}

// signOffWords start the end of a message ("Thanks,", "Best regards",
// "Sent from my iPhone"); what follows is a signature.
var signOffWords = set("thanks", "thank", "thx", "ty", "regards", "best", "cheers", "sincerely", "kind", "warm", "warmest",
	"br", "sent", "cordialement", "grüße", "gruß", "saludos", "atentamente", "mvg", "atenciosamente", "merci", "danke", "gracias")

// isSignOff: a short line that starts with a sign-off word.
func isSignOff(line string) bool {
	w := words(line)
	return len(w) > 0 && len(w) <= 5 && signOffWords[w[0]] && !strings.ContainsAny(line, "?")
}

// stopwords carry no meaning of their own in a support question: English
// function words and what nearly every conversation says.
var stopwords = set(
	"a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because",
	"been", "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "cant", "could", "couldn", "did",
	"didn", "do", "does", "doesn", "doing", "don", "dont", "down", "during", "each", "even", "ever", "every", "few", "for",
	"from", "further", "get", "gets", "getting", "got", "had", "hadn", "has", "hasn", "have", "haven", "having", "he", "her",
	"here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "im", "in", "into", "is", "isn", "it", "its",
	"itself", "ive", "just", "let", "lets", "like", "ll", "me", "might", "more", "most", "much", "must", "my", "myself",
	"no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over",
	"own", "re", "same", "she", "should", "shouldn", "so", "some", "such", "than", "that", "thats", "the", "their",
	"theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
	"until", "up", "us", "ve", "very", "was", "wasn", "we", "were", "weren", "what", "whats", "when", "where", "which",
	"while", "who", "whom", "why", "will", "with", "won", "would", "wouldn", "you", "your", "yours", "yourself",
	"yourselves", "already", "anyone", "anything", "able", "ago", "really", "since", "someone", "something", "still",
	"thing", "things", "way", "yet", "ok", "okay", "yes", "yeah", "oh", "well", "else", "maybe", "please", "pls", "plz",
	"hi", "hello", "hey", "dear", "thanks", "thank", "thx", "regards", "cheers", "best", "kind", "guys", "team",
	"support", "question", "issue", "problem", "help", "need", "want", "know", "try", "tried", "trying", "wondering",
	"hope", "hoping", "appreciate", "asap", "there", "one",
	// When the customer writes about is context, not the question.
	"today", "yesterday", "tomorrow", "tonight", "ago", "last", "week", "weeks", "days", "day", "hour", "hours",
	"minutes", "recently", "earlier", "later", "soon", "time", "times", "morning", "evening",
)

func stopword(w string) bool { return stopwords[w] }

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// stem strips common English endings so that forms of one word meet
// ("refunds", "refunded" and "refunding" are "refund"; "charge",
// "charged" and "charging" are "charg"). It is deliberately light: it
// only shortens a word (or turns "ies"/"ied" into "y"), so the stem minus
// a final "y" is a prefix of every form: the search indexes find the
// forms with it as a prefix query. Words that are not plain ASCII letters
// are left as they are.
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return w
		}
	}
	switch {
	case strings.HasSuffix(w, "ies") || strings.HasSuffix(w, "ied"):
		if len(w) > 4 {
			w = w[:len(w)-3] + "y"
		}
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	for _, sx := range []struct {
		suffix  string
		minBase int
	}{{"ing", 3}, {"ed", 3}, {"ation", 3}, {"ment", 4}, {"ly", 4}} {
		base, ok := strings.CutSuffix(w, sx.suffix)
		if ok && sx.suffix == "ed" && strings.HasSuffix(base, "e") {
			ok = false // speed, feed: not a past tense
		}
		if ok && len(base) >= sx.minBase && hasVowel(base) {
			if sx.suffix == "ation" {
				base += "at"
			}
			w = base
			break
		}
	}
	if len(w) >= 4 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	if n := len(w); n >= 4 && w[n-1] == w[n-2] && !isVowel(w[n-1]) {
		w = w[:n-1]
	}
	return w
}

func hasVowel(s string) bool {
	for i := 0; i < len(s); i++ {
		if isVowel(s[i]) {
			return true
		}
	}
	return false
}

func isVowel(c byte) bool { return strings.IndexByte("aeiouy", c) >= 0 }

// searchTerm is how the store's full-text index finds the words of a
// stem: as a prefix query when the stem is long enough to be specific,
// else the words as they were written (the first form seen).
func searchTerm(stemmed string, forms []string) string {
	if len(stemmed) >= 4 && stemmed == strings.ToLower(stemmed) && isASCIIWord(stemmed) {
		return strings.TrimSuffix(stemmed, "y") + "*"
	}
	if len(forms) > 0 {
		return forms[0]
	}
	return stemmed
}

func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

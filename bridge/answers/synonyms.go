package answers

import "strings"

// Synonyms: customers and staff name one thing with different words ("my
// money back" for a refund, "parcel" for a package). A question's terms
// are searched and scored with their synonyms too, at a lower weight than
// the words the customer wrote. The built-in groups are everyday support
// vocabulary and British/American spellings (English only); a team adds
// the words of its own products (answers.synonyms: "lamp, light, bulb").

// synonymWeight is what a synonym counts for against the word written.
const synonymWeight = 0.6

// builtinSynonyms are groups of words that mean the same in a support
// conversation.
var builtinSynonyms = [][]string{
	// accounts
	{"login", "logon", "signin"},
	{"signup", "register", "registration", "enrol", "enroll"},
	{"password", "passcode", "passphrase"},
	{"delete", "remove", "erase", "wipe"},
	{"cancel", "terminate", "unsubscribe"},
	{"lock", "locked", "block", "blocked"},
	{"disable", "deactivate", "deactivation"},
	{"enable", "activate", "activation"},
	{"user", "member"},
	{"email", "mail"},
	// devices and software
	{"phone", "mobile", "smartphone", "cellphone"},
	{"computer", "pc", "laptop", "desktop"},
	{"bug", "glitch"},
	{"crash", "crashes", "freeze", "freezes"},
	{"setup", "install", "installation", "configure", "configuration"},
	{"update", "upgrade"},
	{"wifi", "wlan", "wireless"},
	{"internet", "network"},
	{"offline", "disconnected", "unreachable"},
	{"router", "modem"},
	{"screen", "display"},
	{"notification", "alert"},
	{"photo", "picture", "image", "screenshot"},
	{"download", "export"},
	{"upload", "import"},
	{"manual", "instructions", "guide"},
	// orders and delivery
	{"order", "purchase", "buy", "bought"},
	{"ship", "shipping", "dispatch", "dispatched"},
	{"deliver", "delivery", "arrive", "arrival"},
	{"package", "parcel"},
	{"lost", "missing", "disappeared"},
	{"broken", "damaged", "defective", "faulty", "smashed", "cracked", "shattered"},
	{"wrong", "incorrect"},
	{"exchange", "swap", "replace", "replacement"},
	{"warranty", "guarantee", "guaranteed"},
	{"abroad", "international", "overseas"},
	{"quote", "quotation", "estimate"},
	{"bulk", "wholesale"},
	{"stock", "restock"},
	{"recycle", "dispose", "disposal"},
	// money
	{"refund", "reimburse", "reimbursed", "repay", "repaid"},
	{"invoice", "receipt", "bill"},
	{"pay", "payment"},
	{"price", "cost", "fee"},
	{"discount", "coupon", "voucher", "promo", "promotion"},
	{"subscription", "subscribe", "membership", "premium"},
	{"annual", "annually", "yearly"},
	{"tax", "vat"},
	{"company", "business", "organisation", "organization", "firm"},
	{"student", "university", "college"},
	{"gift", "present"},
	{"declined", "refused", "rejected"},
	// spellings
	{"colour", "color"},
	{"favourite", "favorite"},
	{"organise", "organize"},
	{"centre", "center"},
	{"licence", "license"},
	{"catalogue", "catalog"},
}

// synonyms maps a stem to the other stems of its groups, with a written
// form of each (the form a search for a short stem needs).
type synonyms struct {
	of   map[string][]string
	form map[string]string
}

// newSynonyms builds the table from the built-in groups and the team's
// own (each group a list of words, or one string of words separated by
// commas).
func newSynonyms(extra [][]string) *synonyms {
	s := &synonyms{of: map[string][]string{}, form: map[string]string{}}
	for _, g := range append(append([][]string{}, builtinSynonyms...), extra...) {
		var stems []string
		for _, w := range g {
			for _, part := range strings.Split(w, ",") {
				ws := words(part)
				if len(ws) != 1 || stopword(ws[0]) {
					continue // phrases are not matched; stopwords never
				}
				st := stem(ws[0])
				if !contains(stems, st) {
					stems = append(stems, st)
				}
				if _, ok := s.form[st]; !ok {
					s.form[st] = ws[0]
				}
			}
		}
		for _, a := range stems {
			for _, b := range stems {
				if a != b && !contains(s.of[a], b) {
					s.of[a] = append(s.of[a], b)
				}
			}
		}
	}
	return s
}

// ParseSynonyms reads the config's groups ("lamp, light, bulb").
func ParseSynonyms(groups []string) [][]string {
	out := make([][]string, 0, len(groups))
	for _, g := range groups {
		out = append(out, strings.Split(g, ","))
	}
	return out
}

// expand returns the bag's terms with their weights and, for each term's
// synonyms the text does not use itself, the synonym at synonymWeight of
// the term's weight.
func (s *synonyms) expand(b *bag) map[string]float64 {
	raw := make(map[string]float64, len(b.terms))
	for t, w := range b.terms {
		raw[t] = w
	}
	for t, w := range b.terms {
		for _, o := range s.of[t] {
			if _, own := b.terms[o]; !own {
				raw[o] = max(raw[o], w*synonymWeight)
			}
		}
	}
	return raw
}

package answers

import (
	"strings"
	"testing"
)

func TestStemBringsFormsOfAWordTogether(t *testing.T) {
	for _, group := range [][]string{
		{"refund", "refunds", "refunded", "refunding"},
		{"charge", "charges", "charged", "charging"},
		{"cancel", "cancels", "cancelled", "canceled", "cancelling"},
		{"ship", "ships", "shipped", "shipping", "shipment"},
		{"reply", "replies", "replied"},
		{"update", "updates", "updated", "updating"},
		{"address", "addresses"},
		{"invoice", "invoices", "invoiced"},
		{"bill", "bills", "billing", "billed"},
	} {
		want := stem(group[0])
		for _, w := range group[1:] {
			if got := stem(w); got != want {
				t.Errorf("stem(%q) = %q, stem(%q) = %q: want the same", w, got, group[0], want)
			}
		}
	}
	for _, keep := range []string{"status", "speed", "wifi", "café", "pc", "2fa", "analysis"} {
		if got := stem(keep); !strings.HasPrefix(keep, got) || len(got) < 3 && got != keep {
			t.Errorf("stem(%q) = %q", keep, got)
		}
	}
}

// The search indexes find a stem's forms with a prefix query, so the stem
// (without a final y) must begin every form it stands for.
func TestStemIsAPrefixOfItsWord(t *testing.T) {
	for _, w := range strings.Fields(`refunded cancellation activation replies applied shipment monthly quickly
		charging addresses boxes taxes delivery deliveries passwords configured subscriptions dispatched`) {
		s := stem(w)
		if p := strings.TrimSuffix(searchTerm(s, []string{w}), "*"); !strings.HasPrefix(w, p) {
			t.Errorf("%q: stem %q, search prefix %q does not begin it", w, s, p)
		}
	}
}

func TestGreetingsAndSignaturesWeighLessThanTheQuestion(t *testing.T) {
	b := newBag()
	b.add("Hi Maria,\nMy invoice shows the wrong amount.\nThanks!\nPeter Parker\nAcme Corp\n+49 30 1234567", 1)
	for term, want := range map[string]float64{"invoic": 1, "wrong": 1, "amount": 1, "maria": otherWeight, "parker": otherWeight, "acm": otherWeight} {
		if got := b.terms[term]; got != want {
			t.Errorf("%s weighs %v, want %v (terms %v)", term, got, want, b.terms)
		}
	}
	for _, gone := range []string{"hi", "thanks", "my", "the"} {
		if _, ok := b.terms[gone]; ok {
			t.Errorf("%q should be dropped: %v", gone, b.terms)
		}
	}
	q := newBag()
	q.add("Thanks!\nOne more thing: can I export invoices?\n> On Monday you wrote: old quoted text", 1)
	if q.terms["export"] != 1 || q.terms["quot"] != 0 {
		t.Errorf("a question after a sign-off is the customer's own, a quote is nothing: %v", q.terms)
	}
}

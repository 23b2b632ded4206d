package email

import (
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
)

// A black-box run found that a customer reply that lost In-Reply-To and
// References (some mobile clients and forwarders drop them), sent from the
// same address with the same subject, opened a second conversation. It
// now threads into the sender's open conversation with that subject.
func TestAReplyWithoutThreadingHeadersFindsItsConversationBySubject(t *testing.T) {
	r := newRig(t, rigOptions{imap: fakemail.IMAPOptions{TLS: fakemail.TLSImplicit}, smtp: fakemail.SMTPOptions{TLS: fakemail.TLSStartTLS}})
	r.start()
	r.append(customerMail("Dana <dana@customer.example>", "<s1@customer.example>", "Order 42 is late", "Where is my order?"))
	first := r.waitPosts(1)[0].Conv
	for i, subject := range []string{"Re: Order 42 is late", "AW: RE: Order 42 is late", "Fwd: order 42 is late"} {
		r.append(customerMail("dana@customer.example", "<s"+string(rune('2'+i))+"@customer.example>", subject, "Any news?"))
		if got := r.waitPosts(2 + i)[1+i].Conv; got != first {
			t.Errorf("%q opened conversation %v, want %v", subject, got, first)
		}
	}
	// Another subject is another issue; another sender is another customer.
	r.append(customerMail("dana@customer.example", "<s5@customer.example>", "Gift cards?", "Do you sell them?"))
	r.append(customerMail("eve@elsewhere.example", "<s6@elsewhere.example>", "Re: Order 42 is late", "Mine too"))
	posts := r.waitPosts(6)
	if posts[4].Conv == first || posts[5].Conv == first {
		t.Errorf("other subject went to %v, other sender to %v; neither belongs in %v", posts[4].Conv, posts[5].Conv, first)
	}
}

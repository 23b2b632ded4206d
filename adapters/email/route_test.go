package email

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/team"
)

// TestInboundTo: the addresses of ours an email was sent to, for routing
// rules and the entry point.
func TestInboundTo(t *testing.T) {
	r := newRig(t, rigOptions{configure: func(c *Config) { c.ReplyTo = "help@example.net" }})
	for _, tc := range []struct {
		name    string
		headers string
		want    []string
	}{
		{"alias in To, mailbox in Delivered-To",
			"To: Sales <Sales@Example.com>\r\nDelivered-To: support@example.com\r\n",
			[]string{"sales@example.com", "support@example.com"}},
		{"Cc, and other people the customer copied are left out",
			"To: Bob <bob@partner.example>, friend@customer.example\r\nCc: billing@example.com, carol@partner.example\r\n",
			[]string{"billing@example.com"}},
		{"alias on another domain, named by X-Original-To",
			"To: orders@shop.example\r\nX-Original-To: orders@shop.example\r\nDelivered-To: support@example.com\r\n",
			[]string{"orders@shop.example", "support@example.com"}},
		{"Reply-To's domain is ours too",
			"To: help@example.net, someone@elsewhere.example\r\n",
			[]string{"help@example.net"}},
		{"lower-cased and deduplicated, plus tags kept",
			"To: support+12.abcdef0123@example.com, SALES@example.com\r\nCc: sales@example.com\r\nDelivered-To: Sales@Example.com\r\nDelivered-To: support@example.com\r\n",
			[]string{"support+12.abcdef0123@example.com", "sales@example.com", "support@example.com"}},
		{"the customer's own address is not an entry point",
			"To: dana@example.com, sales@example.com\r\n",
			[]string{"sales@example.com"}},
		{"undisclosed recipients",
			"To: undisclosed-recipients:;\r\n",
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "From: Dana <dana@example.com>\r\n" + tc.headers + "Subject: hi\r\nMessage-ID: <x@example.com>\r\n\r\nHello\r\n"
			p, err := Parse([]byte(raw), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.ad.inbound(&p).To; !slices.Equal(got, tc.want) {
				t.Errorf("To = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAliasRoutesThroughIMAP: a mail to an alias of the support mailbox
// lands in the alias's department and remembers it as the entry point; a
// reply to our plus-addressed Reply-To stays in that conversation.
func TestAliasRoutesThroughIMAP(t *testing.T) {
	r := newRig(t, rigOptions{workflow: team.Options{
		Departments:       map[string]team.Department{"support": {}, "sales": {}},
		DefaultDepartment: "support",
		Rules: []rules.Rule{
			{Name: "sales", When: rules.Match{To: []string{"sales@example.com"}}, Set: rules.Actions{Department: "sales"}},
		},
	}})
	r.start()
	r.append("From: Dana <dana@customer.example>\r\nTo: sales@example.com\r\nDelivered-To: support@example.com\r\n" +
		"Subject: Quote\r\nMessage-ID: <q1@customer.example>\r\n\r\nA quote for 20 seats, please.\r\n")
	r.append(customerMail("Eve <eve@customer.example>", "<e1@customer.example>", "Login", "I cannot log in."))
	r.waitPosts(2)
	cs := r.conversations()
	if len(cs) != 2 {
		t.Fatalf("%d conversations", len(cs))
	}
	byAddr := map[string]bridge.Conversation{}
	for _, c := range cs {
		byAddr[c.Address] = c
	}
	if c := byAddr["dana@customer.example"]; c.Department != "sales" || c.Entry != "sales@example.com" || c.Via() != "sales@example.com" {
		t.Errorf("alias mail: department %q entry %q", c.Department, c.Entry)
	}
	if c := byAddr["eve@customer.example"]; c.Department != "support" || c.Entry != "support@example.com" {
		t.Errorf("mailbox mail: department %q entry %q", c.Department, c.Entry)
	}
	sales := byAddr["dana@customer.example"].ID
	r.reply(sales, "20 seats: 400 EUR a month.", "s1")
	sent := r.waitSent(1)
	p, err := Parse(sent[0].Data, Limits{})
	if err != nil || len(p.ReplyTo) != 1 || !strings.HasPrefix(p.ReplyTo[0].Email, "support+") {
		t.Fatalf("reply-to = %+v, %v", p.ReplyTo, err)
	}
	// The customer's mail client drops threading headers and answers the
	// plus address: the token finds the conversation, nothing re-routes.
	r.append("From: dana@customer.example\r\nTo: " + p.ReplyTo[0].Email + "\r\nSubject: Deal\r\nMessage-ID: <q2@customer.example>\r\n\r\nDeal.\r\n")
	adaptertest.Eventually(t, 10*time.Second, func() bool { return len(r.messages(sales)) >= 3 }, "the answer joins the sales conversation")
	if cs := r.conversations(); len(cs) != 2 {
		t.Errorf("%d conversations after the answer, want 2", len(cs))
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

// TestEndToEndRoutingByEntryPoint runs the real wiring (config file,
// SQLite, loopback IMAP/SMTP, the web chat HTTP API): a mail to the sales@
// alias of the support mailbox lands in sales, a chat from the widget
// named "billing" lands in billing, anything else in the default
// department, and staff see where each came in.
func TestEndToEndRoutingByEntryPoint(t *testing.T) {
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "config.yaml", testConfig+`
departments:
  support: {}
  sales: {}
  billing: {}
default_department: support
rules:
  - {name: sales-mail, when: {to: [sales@example.com]}, set: {department: sales}}
  - {name: billing-widget, when: {channels: [webchat], to: [billing]}, set: {department: billing, tags: [billing]}}
`)
	d := startDaemonEnv(t, cfgPath, map[string]string{
		"EMAIL_IMAP_URL": imapSrv.URL(),
		"EMAIL_SMTP_URL": smtpSrv.URL(),
		"EMAIL_FROM":     "Example Support <support@example.com>",
	}, io.Discard)
	w := watch(t, d.admin)

	// A mail to the alias (the server delivered it to the support mailbox),
	// and one straight to the mailbox.
	for _, raw := range []string{
		"From: Dana <dana@customer.example>\r\nTo: Sales <sales+web@example.com>\r\nDelivered-To: support@example.com\r\nSubject: Quote\r\nMessage-ID: <q1@customer.example>\r\n\r\nA quote for 20 seats, please.\r\n",
		"From: Eve <eve@customer.example>\r\nTo: support@example.com\r\nSubject: Login\r\nMessage-ID: <e1@customer.example>\r\n\r\nI cannot log in.\r\n",
	} {
		if _, err := imapSrv.Append("", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	// A chat from the billing widget (as widget.js sends it), and one from
	// a page without a widget name.
	billing := newVisitor(t, d.http)
	chat := func(v *visitor, body map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", d.http+"/chat/api/messages", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+v.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 202 {
			t.Fatalf("chat: %s", res.Status)
		}
	}
	chat(billing, map[string]any{"text": "I was charged twice", "client_id": "b1", "name": "Bea", "widget": "billing"})
	chat(newVisitor(t, d.http), map[string]any{"text": "Hello?", "client_id": "p1", "name": "Pat"})

	ctx := context.Background()
	byName := map[string]bridge.Conversation{}
	eventually(t, "four conversations", func() bool {
		cs, _ := d.app.st.ListConversations(ctx, store.ListFilter{All: true})
		for _, c := range cs {
			byName[c.CustomerName] = c
		}
		return len(cs) == 4
	})
	for name, want := range map[string]struct{ dept, entry string }{
		"Dana": {"sales", "sales@example.com"},
		"Eve":  {"support", "support@example.com"},
		"Bea":  {"billing", "billing"},
		"Pat":  {"support", ""},
	} {
		if c := byName[name]; c.Department != want.dept || c.Entry != want.entry {
			t.Errorf("%s: department %q entry %q, want %q %q", name, c.Department, c.Entry, want.dept, want.entry)
		}
	}

	// Staff see the way in on the card and in !status.
	eventually(t, "the console cards", func() bool {
		_, dana := w.find(func(e console.Event) bool {
			return e.Type == "thread" && strings.Contains(console.Format(e), "Dana on email via sales@example.com")
		})
		_, bea := w.find(func(e console.Event) bool {
			return e.Type == "thread" && strings.Contains(console.Format(e), "Bea on webchat via widget billing")
		})
		return dana && bea
	})
	res, err := d.admin.Say(ctx, console.SayRequest{Conversation: int64(byName["Dana"].ID), Text: "!status", As: "alice"})
	if err != nil || !strings.Contains(res.Text, "Customer: Dana (dana@customer.example) on email via sales@example.com") ||
		!strings.Contains(res.Text, "sales") {
		t.Errorf("!status = %q, %v", res.Text, err)
	}

	// The sales reply goes out from the support mailbox and Dana's answer
	// stays in the sales conversation.
	if _, err := d.admin.Say(ctx, console.SayRequest{Conversation: int64(byName["Dana"].ID), Text: "20 seats: 400 EUR a month.", As: "alice"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reply is sent", func() bool { return len(smtpSrv.Messages()) == 1 })
	answer := "From: dana@customer.example\r\nTo: sales@example.com\r\nSubject: Re: Quote\r\nMessage-ID: <q2@customer.example>\r\nIn-Reply-To: <q1@customer.example>\r\n\r\nDeal.\r\n"
	if _, err := imapSrv.Append("", []byte(answer)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the answer joins the sales conversation", func() bool {
		ms, _ := d.app.st.Messages(ctx, byName["Dana"].ID, 100)
		return len(ms) > 0 && ms[len(ms)-1].Body == "Deal."
	})
	if cs, _ := d.app.st.ListConversations(ctx, store.ListFilter{All: true}); len(cs) != 4 {
		t.Errorf("%d conversations after the answer, want 4", len(cs))
	}
}

// TestCheckConfigRejectsBadTo: when.to values that can never match are
// config errors.
func TestCheckConfigRejectsBadTo(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", testConfig+`
departments: {sales: {}}
rules:
  - {when: {to: [sales@example.com, ""]}, set: {department: sales}}
  - {when: {to: [sales team]}, set: {department: sales}}
`)
	code, out, errOut := runCLI(t, "--config", path, "check-config")
	if code != 2 {
		t.Errorf("exit %d, want 2\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"rules[0]", "when.to[1]: empty", "rules[1]", `"sales team" contains a space`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

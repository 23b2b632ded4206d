package email

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/storetest"
)

func testAdapter(t *testing.T, configure func(*Config)) *Adapter {
	t.Helper()
	cfg := Config{From: "Example Support <support@example.com>"}
	cfg.IMAP.URL = "imaps://support%40example.com:pw@imap.example.com/INBOX"
	cfg.SMTP.URL = "smtps://support%40example.com:pw@smtp.example.com"
	if configure != nil {
		configure(&cfg)
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Options{Key: testKey, Rand: bytes.NewReader(bytes.Repeat([]byte{0xab}, 600))})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	clock := clocktest.New(time.Date(2026, 3, 2, 12, 30, 0, 0, time.UTC))
	if err := a.Init(bridge.Deps{Clock: clock, Store: st, Core: engine.New(engine.Options{Store: st, Clock: clock})}); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReplyGolden pins the exact email a staff reply becomes.
func TestReplyGolden(t *testing.T) {
	pdf := filepath.Join(t.TempDir(), "invoice.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.4 tiny"), 0o600)
	cases := []struct {
		name      string
		configure func(*Config)
		d         bridge.Delivery
	}{
		{"reply-plain", nil, bridge.Delivery{Conversation: 42, Message: 7, Address: "dana@customer.example", CustomerName: "Dana Ö. Customer",
			Subject: "Order 42 is late", Author: "Alice",
			Text:       "Hi Dana,\n\n**Sorry** for the wait! Your order ships _tomorrow_.\n\n- tracking: https://track.example/42?x=1&y=2\n- help: [our FAQ](https://example.com/faq)\n\n> you wrote: where is it?\n\n<script>alert(1)</script> `code`",
			References: []string{"<c1@customer.example>", "<threadline.42.5.aaaaaaaaaaaa11111111@example.com>", "<c2@customer.example>", "<abc" + syntheticSuffix + ">"}}},
		{"reply-plus-attachment", func(c *Config) { c.PlusAddressing = true; c.SubjectToken = nil }, bridge.Delivery{Conversation: 43, Message: 9,
			Address: "kim@example.net", Subject: "Re: Invoice", Text: "Invoice attached.",
			Attachments: []bridge.Attachment{{Name: "invoice.pdf", MIME: "application/pdf", Path: pdf}, {Name: "screenshot.png", URL: "https://files.example/s.png"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := testAdapter(t, c.configure)
			id := a.sign.messageID(c.d.Conversation, c.d.Message, bytes.Repeat([]byte{0xab}, 6), a.domain)
			o, err := a.compose(c.d, id)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := o.render()
			if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(string(raw), "\r\n", "\n")
			golden := filepath.Join("testdata", c.name+".golden")
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("reply differs from %s:\n%s", golden, got)
			}
			// What we send parses back into the same threading facts.
			p, err := Parse(raw, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if p.MessageID != id {
				t.Errorf("message id %q, want %q", p.MessageID, id)
			}
			if conv, ok := a.sign.parseMessageID(id); !ok || conv != c.d.Conversation {
				t.Errorf("our id not recognised: %v %v", conv, ok)
			}
		})
	}
}

// TestReplyHeaderInjection: customer-controlled names and subjects cannot
// add header lines to our mail.
func TestReplyHeaderInjection(t *testing.T) {
	a := testAdapter(t, nil)
	d := bridge.Delivery{Conversation: 1, Message: 1, Address: "eve@example.com",
		CustomerName: "Eve\r\nBcc: victim@example.com", Subject: "Hi\r\nBcc: victim@example.com\nX-Evil: 1", Text: "ok"}
	o, err := a.compose(d, "<x@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := o.render()
	if err != nil {
		t.Fatal(err)
	}
	h, err := readHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	if h.Has("Bcc") || h.Has("X-Evil") {
		t.Errorf("header injected:\n%s", raw)
	}
	for _, bad := range []string{"eve@example.com\r\nBcc: x@y", "not an address", ""} {
		d.Address = bad
		if _, err := a.compose(d, "<x@example.com>"); !bridge.IsPermanent(err) {
			t.Errorf("address %q: err = %v, want permanent", bad, err)
		}
	}
}

func TestClassifySMTP(t *testing.T) {
	cases := []struct {
		err       error
		permanent bool
	}{
		{&smtp.SMTPError{Code: 421, Message: "busy"}, false},
		{&smtp.SMTPError{Code: 451, Message: "greylisted"}, false},
		{&smtp.SMTPError{Code: 452, Message: "full"}, false},
		{&smtp.SMTPError{Code: 550, Message: "user unknown"}, true},
		{&smtp.SMTPError{Code: 554, Message: "rejected"}, true},
		{&smtp.SMTPError{Code: 535, Message: "bad login"}, false},
		{fmt.Errorf("RCPT TO: %w", &smtp.SMTPError{Code: 553, Message: "bad address"}), true},
		{errors.New("connection refused"), false},
	}
	for _, c := range cases {
		if got := bridge.IsPermanent(classifySMTP(c.err)); got != c.permanent {
			t.Errorf("classify(%v) permanent = %v, want %v", c.err, got, c.permanent)
		}
	}
}

func TestTokens(t *testing.T) {
	s := signer{key: testKey}
	tok := s.plusToken(42)
	if id, ok := s.parsePlusToken(tok); !ok || id != 42 {
		t.Fatalf("token %q: %v %v", tok, id, ok)
	}
	for _, bad := range []string{"43" + tok[2:], "42.0000000000", "42", "x.y", ""} {
		if _, ok := s.parsePlusToken(bad); ok {
			t.Errorf("forged token %q accepted", bad)
		}
	}
	if _, ok := (signer{key: []byte("another key, another installation!!")}).parsePlusToken(tok); ok {
		t.Error("token valid under another key")
	}
	id := s.messageID(7, 9, []byte{1, 2, 3, 4, 5, 6}, "example.com")
	if conv, ok := s.parseMessageID(id); !ok || conv != 7 {
		t.Errorf("message id %q: %v %v", id, conv, ok)
	}
	if _, ok := s.parseMessageID(strings.Replace(id, "threadline.7.", "threadline.8.", 1)); ok {
		t.Error("forged message id accepted")
	}
	if got := subjectToken("Re: Refund [#12] please"); got != 12 {
		t.Errorf("subject token = %v", got)
	}
	for in, want := range map[string]string{"Order": "Re: Order", "Re: Order": "Re: Order", "RE:Order": "Re: Order", "": "Re: your message", "a\r\nb": "Re: a b"} {
		if got := replySubject(in); got != want {
			t.Errorf("replySubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestServerURLs(t *testing.T) {
	cases := []struct {
		imap, smtp string
		check      func(c Config) bool
		err        string
	}{
		{"imaps://u:p@h", "smtps://u:p@s", func(c Config) bool {
			return c.IMAP.Port == 993 && c.IMAP.TLS == TLSImplicit && c.IMAP.Mailbox == "INBOX" && c.SMTP.Port == 465 && c.SMTP.TLS == TLSImplicit
		}, ""},
		{"imap://u:p@h/Support%20Box", "smtp://s", func(c Config) bool {
			return c.IMAP.Port == 143 && c.IMAP.TLS == TLSStartTLS && c.IMAP.Mailbox == "Support Box" && c.SMTP.Port == 587 && c.SMTP.Username == ""
		}, ""},
		{"imap://u:p@127.0.0.1:1143?tls=none", "smtp://127.0.0.1:2525?tls=none", func(c Config) bool {
			return c.IMAP.Port == 1143 && c.IMAP.TLS == TLSNone && c.SMTP.TLS == TLSNone
		}, ""},
		{"imaps://u@h", "smtps://s", nil, "username and password are required"},
		{"imaps://u:p@h?poll=1", "smtps://s", nil, `unknown URL parameter "poll"`},
		{"imaps://u:p@h:99999", "smtps://s", nil, "is not a port number"},
		{"imaps://u:p@h", "smtp://s/path", nil, "an SMTP URL has no path"},
		{"imaps://u:se cret#x@h", "smtps://s", nil, ""},
	}
	for _, c := range cases {
		cfg := Config{From: "s@example.com"}
		cfg.IMAP.URL, cfg.SMTP.URL = c.imap, c.smtp
		cfg.Defaults()
		err := cfg.Validate()
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: err = %v, want %q", c.imap, err, c.err)
		case c.err == "" && c.check != nil && (err != nil || !c.check(cfg)):
			t.Errorf("%s %s: %v %+v", c.imap, c.smtp, err, cfg)
		}
		if err != nil && (strings.Contains(err.Error(), ":p@") || strings.Contains(err.Error(), "se cret")) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

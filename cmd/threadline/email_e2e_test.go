package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/adapters/email"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store"
)

// TestEmailThroughTheDaemon runs the real wiring with the email channel
// on loopback IMAP/SMTP servers: an email shows up for staff on the
// console, `say` sends a threaded email reply, and the customer's answer
// joins the same conversation.
func TestEmailThroughTheDaemon(t *testing.T) {
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir)
	env := config.MapEnv(map[string]string{
		"EMAIL_IMAP_URL": imapSrv.URL(),
		"EMAIL_SMTP_URL": smtpSrv.URL(),
		"EMAIL_FROM":     "Example Support <support@example.com>",
	})
	cfg, err := config.Load(cfgPath, env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var banner strings.Builder
	a.banner(&banner)
	if !strings.Contains(banner.String(), "email     on") || strings.Contains(banner.String(), imapSrv.Password()) {
		t.Errorf("banner:\n%s", banner.String())
	}
	tok, _ := os.ReadFile(cfg.Admin.TokenFile)
	admin := &console.Client{BaseURL: "http://" + a.adminLn.Addr().String(), Token: strings.TrimSpace(string(tok))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	raw := "From: Dana <dana@customer.example>\r\nTo: support@example.com\r\nSubject: Broken login\r\nMessage-ID: <d1@customer.example>\r\n\r\nI cannot log in since yesterday.\r\n"
	if _, err := imapSrv.Append("", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	st := a.st
	var conv bridge.ConversationID
	adaptertest.Eventually(t, 10*time.Second, func() bool {
		cs, _ := st.ListConversations(context.Background(), store.ListFilter{All: true})
		if len(cs) == 1 {
			conv = cs[0].ID
		}
		return conv != 0
	}, "the email opens a conversation")
	c, _ := st.Conversation(context.Background(), conv)
	if c.Channel != email.Platform || c.Address != "dana@customer.example" || c.Subject != "Broken login" {
		t.Errorf("conversation = %+v", c)
	}

	if _, err := admin.Say(context.Background(), console.SayRequest{Conversation: int64(conv), Text: "We reset your password; try again.", As: "Alice"}); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 10*time.Second, func() bool { return len(smtpSrv.Messages()) == 1 }, "the reply is sent")
	sent, err := email.Parse(smtpSrv.Messages()[0].Data, email.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Subject != "Re: Broken login [#1]" || strings.Join(sent.InReplyTo, "") != "<d1@customer.example>" || !strings.Contains(sent.Text, "We reset your password") {
		t.Errorf("sent reply = %+v", sent)
	}

	answer := "From: dana@customer.example\r\nTo: support@example.com\r\nSubject: Re: Broken login\r\nMessage-ID: <d2@customer.example>\r\n" +
		"In-Reply-To: " + sent.MessageID + "\r\nReferences: <d1@customer.example> " + sent.MessageID + "\r\n\r\nWorks now, thanks!\r\n"
	if _, err := imapSrv.Append("", []byte(answer)); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 10*time.Second, func() bool {
		ms, _ := st.Messages(context.Background(), conv, 100)
		for _, m := range ms {
			if m.Direction == bridge.DirCustomer && m.Body == "Works now, thanks!" {
				return true
			}
		}
		return false
	}, "the answer joins the conversation")
	if cs, _ := st.ListConversations(context.Background(), store.ListFilter{All: true}); len(cs) != 1 {
		t.Errorf("%d conversations, want 1", len(cs))
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "email.key")); err != nil {
		t.Errorf("signing key not generated: %v", err)
	}
}

// TestEmailOffByDefault: the shipped config runs without email settings.
func TestEmailOffByDefault(t *testing.T) {
	cfg, err := config.Load(writeConfig(t, t.TempDir()), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	var b strings.Builder
	a.banner(&b)
	if !strings.Contains(b.String(), "email     off  EMAIL_IMAP_URL and EMAIL_SMTP_URL not set") {
		t.Errorf("banner:\n%s", b.String())
	}
}

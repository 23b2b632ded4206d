package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/bridge"
)

func delivery(text string, atts ...bridge.Attachment) bridge.Delivery {
	return bridge.Delivery{Conversation: 1, Message: 10, Address: "4242", Author: "Alice", Text: text, Attachments: atts}
}

func TestSendEscapesAndSigns(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.Customer(anna)
	ad := f.adapter(t)
	ref, err := ad.Send(context.Background(), delivery("Use <b>tags</b> & *stars* freely"))
	if err != nil {
		t.Fatal(err)
	}
	sent := f.fake.Sent(anna.ID)
	if len(sent) != 1 {
		t.Fatalf("sent %+v", sent)
	}
	if sent[0].Text != "Alice\nUse <b>tags</b> & stars freely" || sent[0].ParseMode != "HTML" {
		t.Errorf("customer sees %q (raw %q)", sent[0].Text, sent[0].Raw)
	}
	if ref != (bridge.ExternalRef{Platform: telegram.Platform, ID: "4242:1"}) {
		t.Errorf("ref %v", ref)
	}
}

func TestSendAnonymous(t *testing.T) {
	f := newFixture(t, func(c *telegram.Config, _ *telegram.Options) { c.AnonymousReplies = true })
	f.fake.Customer(anna)
	if _, err := f.adapter(t).Send(context.Background(), delivery("Hi")); err != nil {
		t.Fatal(err)
	}
	if s := f.fake.Sent(anna.ID); s[0].Text != "Hi" {
		t.Errorf("sent %q", s[0].Text)
	}
}

func TestSendSplitsLongReplies(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.Customer(anna)
	text := strings.Repeat("All good & <done>. ", 700) // ~13,300 characters
	if _, err := f.adapter(t).Send(context.Background(), delivery(text)); err != nil {
		t.Fatal(err)
	}
	sent := f.fake.Sent(anna.ID)
	if len(sent) != 4 {
		t.Fatalf("%d messages, want 4", len(sent))
	}
	var joined strings.Builder
	for _, s := range sent {
		joined.WriteString(s.Text + " ")
	}
	if got := strings.Join(strings.Fields(joined.String()), " "); got != "Alice "+strings.TrimSpace(text) {
		t.Error("the parts do not add up to the reply")
	}
}

func TestSendErrorsAreClassified(t *testing.T) {
	cases := []struct {
		name  string
		fault faketelegram.Fault
		check func(error) bool
	}{
		{"429 waits retry_after", faketelegram.Fault{Status: 429, RetryAfter: 7}, func(err error) bool {
			var rl *bridge.RateLimitError
			return errors.As(err, &rl) && rl.RetryAfter == 7*time.Second
		}},
		{"403 blocked is unreachable", faketelegram.Fault{Status: 403}, func(err error) bool {
			return errors.Is(err, bridge.ErrUnreachable) && strings.Contains(err.Error(), "blocked")
		}},
		{"400 is permanent", faketelegram.Fault{Status: 400, Description: "Bad Request: chat not found"}, bridge.IsPermanent},
		{"500 is transient", faketelegram.Fault{Status: 500}, func(err error) bool {
			var rl *bridge.RateLimitError
			return err != nil && !bridge.IsPermanent(err) && !errors.As(err, &rl) && !errors.Is(err, bridge.ErrUnreachable)
		}},
		{"401 waits for the operator", faketelegram.Fault{Status: 401, Description: "Unauthorized"}, func(err error) bool {
			return err != nil && !bridge.IsPermanent(err) && strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN")
		}},
		{"dropped connection is transient", faketelegram.Fault{Drop: true}, func(err error) bool {
			return err != nil && !bridge.IsPermanent(err)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.fake.Customer(anna)
			f.fake.FailNext("sendMessage", c.fault)
			_, err := f.adapter(t).Send(context.Background(), delivery("hello"))
			if !c.check(err) {
				t.Errorf("got %v (%T)", err, err)
			}
		})
	}
}

func TestSendResumesAfterRateLimit(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.Customer(anna)
	ad := f.adapter(t)
	var words []string
	for i := range 2500 {
		words = append(words, "w"+strings.Repeat("x", i%7))
	}
	d := delivery(strings.Join(words, " ")) // four parts
	// Part 1 goes out, part 2 is refused with 429: the outbox will retry.
	f.fake.FailNext("sendMessage", faketelegram.Fault{Pass: true}, faketelegram.Fault{Status: 429, RetryAfter: 3})
	_, err := ad.Send(context.Background(), d)
	var rl *bridge.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second || !strings.Contains(err.Error(), "part 2 of 4") {
		t.Fatalf("first attempt: %v", err)
	}
	ref, err := ad.Send(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	sent := f.fake.Sent(anna.ID)
	if len(sent) != 4 {
		t.Fatalf("%d messages; the retry must not repeat part 1", len(sent))
	}
	if !strings.HasPrefix(sent[0].Text, "Alice\n") || strings.HasPrefix(sent[1].Text, "Alice") {
		t.Error("parts out of order")
	}
	if ref.ID != "4242:1" {
		t.Errorf("ref %v, want the first part", ref)
	}
}

func TestSendAttachments(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.Customer(anna)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	png := []byte("\x89PNG fake image")
	pdf := []byte("%PDF fake")
	ad := f.adapter(t)

	// One file and a short text: one message with a caption.
	_, err := ad.Send(context.Background(), delivery("Your *invoice* & receipt", bridge.Attachment{Name: "invoice.pdf", MIME: "application/pdf", Path: write("invoice.pdf", pdf)}))
	if err != nil {
		t.Fatal(err)
	}
	// Two files, and one that only has a URL.
	_, err = ad.Send(context.Background(), delivery("Screenshots",
		bridge.Attachment{Name: "shot.png", MIME: "image/png", Path: write("shot.png", png)},
		bridge.Attachment{Name: "log.txt", MIME: "text/plain", Path: write("log.txt", []byte("log"))},
		bridge.Attachment{Name: "spec.pdf", URL: "https://files.example.com/spec.pdf"}))
	if err != nil {
		t.Fatal(err)
	}
	sent := f.fake.Sent(anna.ID)
	type row struct{ method, text, file string }
	var got []row
	for _, s := range sent {
		got = append(got, row{s.Method, s.Text, s.FileName})
	}
	want := []row{
		{"sendDocument", "Alice\nYour invoice & receipt", "invoice.pdf"},
		{"sendMessage", "Alice\nScreenshots\n\n📎 spec.pdf: https://files.example.com/spec.pdf", ""},
		{"sendPhoto", "", "shot.png"},
		{"sendDocument", "", "log.txt"},
	}
	if len(got) != len(want) {
		t.Fatalf("sent %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if !bytes.Equal(sent[0].FileData, pdf) || !bytes.Equal(sent[2].FileData, png) {
		t.Error("file bytes changed on the way")
	}
}

func TestSendAttachmentOnlyCarriesTheAuthor(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.Customer(anna)
	p := filepath.Join(t.TempDir(), "a.jpg")
	os.WriteFile(p, []byte("jpeg"), 0o600)
	if _, err := f.adapter(t).Send(context.Background(), delivery("", bridge.Attachment{Name: "a.jpg", MIME: "image/jpeg", Path: p})); err != nil {
		t.Fatal(err)
	}
	if s := f.fake.Sent(anna.ID); len(s) != 1 || s[0].Method != "sendPhoto" || s[0].Text != "Alice" {
		t.Errorf("sent %+v", s)
	}
}

func TestPacing(t *testing.T) {
	f := newFixture(t, nil)
	if p := f.adapter(t).Pacing(); p.PerDestination != 1 || p.PerAdapter != 30 {
		t.Errorf("pacing %+v", p)
	}
}

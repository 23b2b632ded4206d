package discord_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/bridge"
)

// TestStaffUploadsAreKeptAsFiles: a file staff attach in a thread is
// downloaded into the attachments directory, so the customer gets the
// file itself (a web chat visitor through a signed link), not a CDN link
// that expires.
func TestStaffUploadsAreKeptAsFiles(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	conv := h.customer("Anna", "can you send the invoice?")
	thread := h.thread(conv)
	h.fake.InjectMessage(thread, alice, "here it is", fakediscord.Attachment{Filename: "invoice 03.pdf", ContentType: "application/pdf", Size: 16, Data: []byte("%PDF-1.4 invoice")})
	adaptertest.Eventually(t, wait, func() bool { return len(h.web.Deliveries()) == 1 }, "the reply reaches the customer")
	d := h.web.Deliveries()[0]
	if len(d.Attachments) != 1 {
		t.Fatalf("delivered %+v", d)
	}
	a := d.Attachments[0]
	b, err := os.ReadFile(a.Path)
	if err != nil || string(b) != "%PDF-1.4 invoice" || a.Size != 16 || a.MIME != "application/pdf" || a.Name != "invoice 03.pdf" {
		t.Errorf("kept %+v: %q %v", a, b, err)
	}
	if filepath.Dir(a.Path) != h.files || !strings.HasPrefix(filepath.Base(a.Path), "discord-") || !strings.HasSuffix(a.Path, "-invoice_03.pdf") {
		t.Errorf("kept at %s, want discord-<id>-invoice_03.pdf in %s", a.Path, h.files)
	}
	if a.URL == "" {
		t.Error("the CDN link is gone (staff surfaces still link it)")
	}
}

// TestTypingInThreadsBothWays: a customer typing shows the bot typing in
// the conversation's thread (once per burst); a staff member typing in
// the thread reaches the relay with their name, for the customer's web
// chat; typing in other channels, or by the bot, does not.
func TestTypingInThreadsBothWays(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	conv := h.customer("Anna", "hello?")
	thread := h.thread(conv)
	typings := func() int {
		n := 0
		for _, r := range h.fake.Requests() {
			if r.Method == "POST" && r.Path == "/channels/"+thread+"/typing" {
				n++
			}
		}
		return n
	}
	for range 3 {
		if err := bridge.PublishTyping(context.Background(), h.relay, bridge.Typing{Conversation: conv, Name: "Anna"}); err != nil {
			t.Fatal(err)
		}
	}
	adaptertest.Eventually(t, wait, func() bool { return typings() == 1 }, "the bot types in the thread")
	time.Sleep(100 * time.Millisecond)
	if n := typings(); n != 1 {
		t.Errorf("%d typing calls for one burst", n)
	}
	// Staff typing comes back through the relay; the surface does not echo it.
	if err := bridge.PublishTyping(context.Background(), h.relay, bridge.Typing{Conversation: conv, Staff: true, Name: "Sam"}); err != nil {
		t.Fatal(err)
	}

	got := make(chan bridge.Typing, 10)
	defer bridge.SubscribeTyping(h.relay, func(tp bridge.Typing) {
		if tp.Staff {
			got <- tp
		}
	})()
	h.fake.InjectTyping(h.channel, alice) // the forum itself, not a thread
	h.fake.InjectTyping(thread, alice)
	select {
	case tp := <-got:
		if tp.Conversation != conv || tp.Name != "Alice" || tp.Surface != "discord" {
			t.Errorf("staff typing = %+v", tp)
		}
	case <-time.After(wait):
		t.Fatal("staff typing did not reach the relay")
	}
	select {
	case tp := <-got:
		t.Errorf("unexpected typing %+v", tp)
	case <-time.After(200 * time.Millisecond):
	}
	if n := typings(); n != 1 {
		t.Errorf("staff typing made the bot type too: %d calls", n)
	}
}

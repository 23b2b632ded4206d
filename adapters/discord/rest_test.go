package discord_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/bridge"
)

// direct is the surface against the fake without the gateway: the outbox's
// calls (OpenThread, Post, UpdateCard, Receipt) one at a time.
func direct(t testing.TB, text bool) (*fakediscord.Server, *discord.Surface, string) {
	t.Helper()
	fake := fakediscord.New(fakediscord.Options{})
	t.Cleanup(fake.Close)
	ch := fake.AddForum("support", "open", "waiting", "closed", "urgent", "high", "billing", "needs-eng")
	if text {
		ch = fake.AddTextChannel("support")
	}
	s, err := discord.New(discord.Config{BotToken: fake.Token(), ChannelID: ch, APIURL: fake.APIURL() + "/"}, discord.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fake, s, ch
}

func view(id int64, status bridge.Status) bridge.ConversationView {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return bridge.ConversationView{Conversation: bridge.Conversation{ID: bridge.ConversationID(id), CustomerName: "Anna", Channel: "webchat",
		Status: status, Priority: bridge.PriorityNormal, CreatedAt: now, UpdatedAt: now, MessageCount: 1}, LastMessage: "hello"}
}

func TestOpenPostUpdateForum(t *testing.T) {
	t.Parallel()
	fake, s, forum := direct(t, false)
	ctx := context.Background()
	v := view(42, bridge.StatusOpen)
	v.Priority, v.Department = bridge.PriorityUrgent, "billing"
	ref, err := s.OpenThread(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	th, _ := fake.Channel(string(ref))
	if th.ParentID != forum || th.Name != "#42 · Anna (webchat)" {
		t.Errorf("post = %+v", th)
	}
	// The forum lacks an "Urgent"-named... it has "urgent": case-insensitive match.
	if got := fake.AppliedTagNames(string(ref)); !slices.Equal(got, []string{"open", "urgent", "billing"}) {
		t.Errorf("tags = %v", got)
	}
	// A tag staff applied by hand survives state changes.
	fake.SetArchived(string(ref), false)
	v.Status, v.Owner, v.OwnerName = bridge.StatusWaiting, "discord:1", "Alice"
	if err := s.UpdateCard(ctx, ref, v); err != nil {
		t.Fatal(err)
	}
	if got := fake.AppliedTagNames(string(ref)); !slices.Equal(got, []string{"waiting", "urgent", "billing"}) {
		t.Errorf("tags after update = %v", got)
	}

	// Long customer text is split under 2000 characters; each piece goes
	// through the webhook with no pings.
	long := strings.Repeat("word ", 900) // 4500 characters
	if _, err := s.Post(ctx, ref, bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Discord Clyde Anna", Origin: "webchat", Text: long}); err != nil {
		t.Fatal(err)
	}
	ms := fake.Messages(string(ref))
	var pieces []fakediscord.Message
	for _, m := range ms {
		if m.WebhookID != "" {
			pieces = append(pieces, m)
		}
	}
	if len(pieces) != 3 {
		t.Fatalf("%d webhook messages, want 3", len(pieces))
	}
	total := 0
	for _, p := range pieces {
		if n := utf8.RuneCountInString(p.Content); n > 2000 {
			t.Errorf("piece of %d characters", n)
		}
		total += len(strings.Fields(p.Content))
		if p.Username != "Anna (webchat)" {
			t.Errorf("username %q", p.Username)
		}
	}
	if total != 900 {
		t.Errorf("%d words arrived, want 900", total)
	}
	// One webhook, reused.
	if hooks := fake.Webhooks(forum); len(hooks) != 1 {
		t.Errorf("%d webhooks", len(hooks))
	}

	// Attachments: stored files are uploaded, others linked.
	path := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(path, []byte("%PDF-1.4 fake"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, ref, bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Origin: "webchat", Text: "see attached",
		Attachments: []bridge.Attachment{{Name: "invoice.pdf", MIME: "application/pdf", Path: path}, {Name: "photo.jpg", URL: "https://example.com/p.jpg"}}}); err != nil {
		t.Fatal(err)
	}
	ms = fake.Messages(string(ref))
	last := ms[len(ms)-1]
	if len(last.Attachments) != 1 || last.Attachments[0].Filename != "invoice.pdf" || string(last.Attachments[0].Data) != "%PDF-1.4 fake" {
		t.Errorf("attachments = %+v", last.Attachments)
	}
	if !strings.Contains(last.Content, "📎 photo.jpg: https://example.com/p.jpg") {
		t.Errorf("link missing: %q", last.Content)
	}

	// Messages from other surfaces and notices are posted by the bot.
	ext, err := s.Post(ctx, ref, bridge.StaffPost{Message: 7, Direction: bridge.DirStaff, Author: "Sam", Origin: "slack", Text: "@everyone hi"})
	if err != nil || ext.ID == "" || ext.Platform != "discord" {
		t.Fatalf("post = %v, %v", ext, err)
	}
	m, _ := fake.Message(ext.ID)
	if m.WebhookID != "" || m.Pinged || m.Content != "💬 **Sam** via slack → customer:\n@everyone hi" {
		t.Errorf("mirrored staff message = %+v", m)
	}
	ext, _ = s.Post(ctx, ref, bridge.StaffPost{Direction: bridge.DirSystem, Author: "Threadline", Text: "Sam claimed this conversation."})
	if m, _ := fake.Message(ext.ID); m.Content != "ℹ️ Sam claimed this conversation." {
		t.Errorf("notice = %q", m.Content)
	}

	// Closing archives; reopening unarchives first, then edits.
	v.Status = bridge.StatusClosed
	if err := s.UpdateCard(ctx, ref, v); err != nil {
		t.Fatal(err)
	}
	if c, _ := fake.Channel(string(ref)); !c.ThreadMetadata.Archived {
		t.Error("closed post not archived")
	}
	v.Status = bridge.StatusOpen
	if err := s.UpdateCard(ctx, ref, v); err != nil {
		t.Fatalf("update of an archived post: %v", err)
	}
	if c, _ := fake.Channel(string(ref)); c.ThreadMetadata.Archived {
		t.Error("reopened post still archived")
	}

	// Receipts: ✅, or ❌ with a reason.
	staffMsg := fake.InjectMessage(string(ref), alice, "hi")
	if err := s.Receipt(ctx, ref, bridge.Receipt{Source: staffMsg, OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Receipt(ctx, ref, bridge.Receipt{Source: staffMsg, OK: false, Error: "HTTP 403: bot was blocked by the user"}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Reactions(string(ref), staffMsg); !slices.Equal(got, []string{"✅", "❌"}) {
		t.Errorf("reactions = %v", got)
	}
	ms = fake.Messages(string(ref))
	if last := ms[len(ms)-1]; !strings.Contains(last.Content, "Not delivered to the customer: HTTP 403") || last.MessageReference.MessageID != staffMsg {
		t.Errorf("failure receipt = %+v", last)
	}
}

func TestTextChannelThreads(t *testing.T) {
	t.Parallel()
	fake, s, ch := direct(t, true)
	ctx := context.Background()
	ref, err := s.OpenThread(ctx, view(5, bridge.StatusOpen))
	if err != nil {
		t.Fatal(err)
	}
	// The card is in the channel; the thread hangs off it with the same id.
	parentMsgs := fake.Messages(ch)
	if len(parentMsgs) != 1 || parentMsgs[0].ID != string(ref) || len(parentMsgs[0].Embeds) != 1 {
		t.Fatalf("channel messages = %+v", parentMsgs)
	}
	if th, ok := fake.Channel(string(ref)); !ok || th.ParentID != ch || th.Name != "#5 · Anna (webchat)" {
		t.Errorf("thread = %+v", th)
	}
	if _, err := s.Post(ctx, ref, bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Origin: "webchat", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if ms := fake.Messages(string(ref)); len(ms) != 1 || ms[0].Content != "hello" || ms[0].WebhookID == "" {
		t.Errorf("thread messages = %+v", ms)
	}
	v := view(5, bridge.StatusClosed)
	v.OwnerName, v.Owner = "Alice", "discord:1"
	if err := s.UpdateCard(ctx, ref, v); err != nil {
		t.Fatal(err)
	}
	cardMsg, _ := fake.Message(string(ref))
	if cardMsg.Edits != 1 || field(embed(t, cardMsg), "Owner") != "Alice" {
		t.Errorf("card in the channel not edited: %+v", cardMsg)
	}
	if th, _ := fake.Channel(string(ref)); !th.ThreadMetadata.Archived {
		t.Error("closed thread not archived")
	}
	// A button pressed on the card (in the parent channel) finds the thread.
	if got := buttons(t, cardMsg); !slices.Equal(got, []string{"tl:reopen", "tl:status"}) {
		t.Errorf("buttons = %v", got)
	}
}

func TestOpenThreadRetryAfterFailedThreadStart(t *testing.T) {
	t.Parallel()
	fake, s, ch := direct(t, true)
	ctx := context.Background()
	fake.Inject(fakediscord.Fault{Method: "POST", PathContains: "/threads", Status: 500})
	if _, err := s.OpenThread(ctx, view(6, bridge.StatusOpen)); err == nil || bridge.IsPermanent(err) {
		t.Fatalf("first attempt = %v, want a transient error", err)
	}
	ref, err := s.OpenThread(ctx, view(6, bridge.StatusOpen))
	if err != nil {
		t.Fatal(err)
	}
	if ms := fake.Messages(ch); len(ms) != 1 || ms[0].ID != string(ref) {
		t.Errorf("the retry posted a second card: %d messages", len(ms))
	}
}

// TestErrorClassification: what the outbox gets back for each Discord answer.
func TestErrorClassification(t *testing.T) {
	t.Parallel()
	fake, s, _ := direct(t, false)
	ctx := context.Background()
	ref, err := s.OpenThread(ctx, view(1, bridge.StatusOpen))
	if err != nil {
		t.Fatal(err)
	}
	staffPost := bridge.StaffPost{Direction: bridge.DirSystem, Text: "x"}
	custPost := bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Text: "x"}
	for _, tc := range []struct {
		name      string
		fault     fakediscord.Fault
		post      bridge.StaffPost
		permanent bool
		retry     time.Duration
	}{
		{"429 bot post", fakediscord.Fault{Method: "POST", PathContains: "/messages", Status: 429, RetryAfter: 0.35}, staffPost, false, 350 * time.Millisecond},
		{"429 webhook", fakediscord.Fault{Method: "POST", PathContains: "/webhooks/", Status: 429, RetryAfter: 1.5}, custPost, false, 1500 * time.Millisecond},
		{"403 missing permissions", fakediscord.Fault{Method: "POST", PathContains: "/messages", Status: 403, Body: `{"message":"Missing Permissions","code":50013}`}, staffPost, true, 0},
		{"400 bad form", fakediscord.Fault{Method: "POST", PathContains: "/webhooks/", Status: 400, Body: `{"message":"Invalid Form Body","code":50035}`}, custPost, true, 0},
		{"401 token refused", fakediscord.Fault{Method: "POST", PathContains: "/messages", Status: 401}, staffPost, false, 0},
		{"500", fakediscord.Fault{Method: "POST", PathContains: "/messages", Status: 500}, staffPost, false, 0},
		{"502", fakediscord.Fault{Method: "POST", PathContains: "/webhooks/", Status: 502}, custPost, false, 0},
		{"connection dropped", fakediscord.Fault{Method: "POST", PathContains: "/webhooks/", Drop: true}, custPost, false, 0},
		{"malformed JSON", fakediscord.Fault{Method: "POST", PathContains: "/messages", Malformed: true}, staffPost, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.Inject(tc.fault)
			_, err := s.Post(ctx, ref, tc.post)
			if err == nil {
				t.Fatal("no error")
			}
			if bridge.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v (%v)", bridge.IsPermanent(err), tc.permanent, err)
			}
			var rl *bridge.RateLimitError
			if got := errors.As(err, &rl); got != (tc.retry > 0) || (got && rl.RetryAfter != tc.retry) {
				t.Errorf("rate limit = %v (%v), want retry after %v", got, err, tc.retry)
			}
			if strings.Contains(err.Error(), "whtok-") || strings.Contains(err.Error(), fake.Token()) {
				t.Errorf("error leaks a token: %v", err)
			}
		})
	}
	// A deleted post: the outbox opens a new one.
	fake.DeleteChannel(string(ref))
	if _, err := s.Post(ctx, ref, staffPost); !errors.Is(err, bridge.ErrThreadGone) {
		t.Errorf("post to a deleted thread = %v", err)
	}
	if err := s.UpdateCard(ctx, ref, view(1, bridge.StatusOpen)); !errors.Is(err, bridge.ErrThreadGone) {
		t.Errorf("card of a deleted thread = %v", err)
	}
	// A staff channel that is not a forum or text channel is a permanent error.
	voice := fake.AddChannel("voice", fakediscord.TypeVoice)
	s2, _ := discord.New(discord.Config{BotToken: fake.Token(), ChannelID: voice, APIURL: fake.APIURL()}, discord.Options{})
	if _, err := s2.OpenThread(ctx, view(2, bridge.StatusOpen)); !bridge.IsPermanent(err) {
		t.Errorf("voice channel = %v", err)
	}
}

// TestRateLimitThroughOutbox: a 429 is honoured through the outbox: the
// post is retried after retry_after and arrives once.
func TestRateLimitThroughOutbox(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.waitConnected()
	h.fake.RateLimit("POST", "/webhooks/", 300*time.Millisecond)
	thread := h.thread(h.customer("Anna", "hello"))
	ms := h.messages(thread, 2)
	if n := len(ms); n != 2 {
		t.Errorf("%d messages in the post, want card + one customer message", n)
	}
	count := func() (limited, ok int) {
		for _, r := range h.fake.Requests() {
			if r.Method == "POST" && strings.HasPrefix(r.Path, "/webhooks/") {
				switch r.Status {
				case http.StatusTooManyRequests:
					limited++
				case http.StatusOK:
					ok++
				}
			}
		}
		return limited, ok
	}
	adaptertest.Eventually(t, wait, func() bool { _, ok := count(); return ok == 1 }, "webhook request succeeded")
	if limited, ok := count(); limited != 1 || ok != 1 {
		t.Errorf("webhook requests: %d limited, %d ok", limited, ok)
	}
	adaptertest.Eventually(t, wait, func() bool {
		rows, _ := h.st.OutboxRows(context.Background(), 1)
		for _, r := range rows {
			if r.Target == "discord" && r.Kind == bridge.KindStaffPost && r.State == "sent" && r.Attempts == 1 { // the successful send; the 429 did not count
				return true
			}
		}
		return false
	}, "the rate-limited row is sent without using an attempt")
}

// In a text channel a thread is started from the card. When Discord started
// it but the answer was lost, the retry gets "A thread has already been
// created for this message" and takes that thread (its id is the card's)
// instead of failing the post for good.
func TestOpenThreadAfterLostAnswer(t *testing.T) {
	t.Parallel()
	fake, s, ch := direct(t, true)
	ctx := context.Background()
	fake.Inject(fakediscord.Fault{Method: "POST", PathContains: "/threads", Lost: true})
	if _, err := s.OpenThread(ctx, view(7, bridge.StatusOpen)); err == nil {
		t.Fatal("the lost answer was not an error")
	}
	ref, err := s.OpenThread(ctx, view(7, bridge.StatusOpen))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	threads := fake.Threads(ch)
	if len(threads) != 1 || threads[0].ID != string(ref) {
		t.Fatalf("threads = %+v, want one, %s", threads, ref)
	}
	if cards := fake.Messages(ch); len(cards) != 1 || cards[0].ID != string(ref) {
		t.Errorf("cards in the channel = %d, want the one the thread started from", len(cards))
	}
	if _, err := s.Post(ctx, ref, bridge.StaffPost{Direction: bridge.DirStaff, Author: "Alice", Text: "on it"}); err != nil {
		t.Errorf("post in the thread: %v", err)
	}
}

// A forum post whose creation got no answer may exist or not. The retry
// looks among the active threads first: it takes the post Discord made
// when only the answer was lost, and makes one when the request never got
// through. Either way there is one post.
func TestOpenForumPostAfterNoAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault fakediscord.Fault
	}{
		{"made, answer lost", fakediscord.Fault{Method: "POST", PathContains: "/threads", Lost: true}},
		{"never made", fakediscord.Fault{Method: "POST", PathContains: "/threads", Drop: true}},
		{"server error", fakediscord.Fault{Method: "POST", PathContains: "/threads", Status: 502}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, s, forum := direct(t, false)
			ctx := context.Background()
			fake.Inject(tc.fault)
			tried := time.Now()
			if _, err := s.OpenThread(ctx, view(9, bridge.StatusOpen)); err == nil {
				t.Fatal("no answer was not an error")
			}
			retry := view(9, bridge.StatusOpen)
			retry.TriedSince = tried // as the outbox sets it on a retry
			ref, err := s.OpenThread(ctx, retry)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if threads := fake.Threads(forum); len(threads) != 1 || threads[0].ID != string(ref) {
				t.Errorf("posts = %+v, want one, %s", threads, ref)
			}
			// Another conversation is not mistaken for it.
			other, err := s.OpenThread(ctx, view(10, bridge.StatusOpen))
			if err != nil || other == ref {
				t.Errorf("another conversation: %s, %v", other, err)
			}
		})
	}
}

package mattermost_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/storetest"
)

// Staff posts written while the socket was down (the WebSocket replays
// nothing) are caught up on when it reconnects, each handled once.
func TestStaffPostsWrittenWhileTheSocketWasDownAreCaughtUpOnce(t *testing.T) {
	h := start(t, setup{})
	root := h.root(h.customer("Anna", "Hello"))
	h.replies(root, 1)
	h.fake.StaffPost(h.channel, root, h.alice, "First answer")
	adaptertest.Eventually(t, wait, func() bool { return len(h.sent()) == 1 }, "live reply delivered")

	h.fake.RefuseSockets(true)
	h.fake.DropSockets()
	adaptertest.Eventually(t, wait, func() bool { return h.fake.Connected() == 0 }, "socket dropped")
	h.fake.WriteUnheard(h.channel, root, h.alice, "Second answer, written while Threadline was not listening")
	h.fake.RefuseSockets(false)
	adaptertest.Eventually(t, wait, func() bool { return len(h.sent()) == 2 }, "caught-up reply delivered")
	if got := h.sent()[1]; got != "Second answer, written while Threadline was not listening" {
		t.Errorf("caught up %q", got)
	}
	// Another drop and reconnect finds nothing new.
	h.fake.DropSockets()
	adaptertest.Eventually(t, wait, func() bool { return h.fake.Authentications() >= 3 && h.fake.Connected() == 1 }, "reconnected again")
	h.fake.StaffPost(h.channel, root, h.alice, "Third")
	adaptertest.Eventually(t, wait, func() bool { return len(h.sent()) == 3 }, "live again")
	if got := h.sent(); !slices.Equal(got, []string{"First answer", "Second answer, written while Threadline was not listening", "Third"}) {
		t.Errorf("customer got %q", got)
	}
}

// A restart keeps the conversation on its root post, and what staff wrote
// while Threadline was stopped reaches the customer once.
func TestRestartKeepsTheThreadAndCatchesUp(t *testing.T) {
	h := start(t, setup{})
	conv := h.customer("Anna", "Hello")
	root := h.root(conv)
	h.replies(root, 1)
	h.stop()
	h.fake.WriteUnheard(h.channel, root, h.alice, "Written while stopped")
	h.restart(setup{})
	adaptertest.Eventually(t, wait, func() bool { return slices.Contains(h.sent(), "Written while stopped") }, "caught up after the restart")
	h.customer("Anna", "Thanks!")
	adaptertest.Eventually(t, wait, func() bool {
		ps := h.fake.Thread(root)
		return len(ps) > 0 && ps[len(ps)-1].Message == "**Anna:** Thanks!"
	}, "the customer's next message in the same thread")
	if n := len(h.fake.Roots(h.channel)); n != 1 {
		t.Errorf("%d root posts, want 1", n)
	}
	if n := len(h.sent()); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

// 429s wait as long as Mattermost asks (Retry-After, or X-Ratelimit-Reset
// alone), 5xx are retried, and a post whose answer was lost is not
// posted twice: the card an earlier try made is found and used.
func TestRateLimitsServerErrorsAndLostAnswers(t *testing.T) {
	h := start(t, setup{})
	var n atomic.Int32
	h.fake.SetFaults(func(route string) *fakemattermost.Fault {
		if route != "POST /api/v4/posts" {
			return nil
		}
		switch n.Add(1) {
		case 1:
			return &fakemattermost.Fault{Lost: true} // the card is made, its answer lost
		case 2:
			return &fakemattermost.Fault{Status: http.StatusServiceUnavailable}
		case 3:
			return &fakemattermost.Fault{Status: http.StatusTooManyRequests, RetryAfter: 0, ResetOnly: true}
		}
		return nil
	})
	conv := h.customer("Anna", "Hello")
	root := h.root(conv)
	ps := h.replies(root, 1)
	if len(ps) != 1 || ps[0].Message != "**Anna:** Hello" {
		t.Errorf("replies = %+v", ps)
	}
	if roots := h.fake.Roots(h.channel); len(roots) != 1 || roots[0].ID != root {
		t.Errorf("roots = %d, want the one card the lost answer made", len(roots))
	}
	if h.fake.FaultCount() < 3 {
		t.Errorf("%d faults answered", h.fake.FaultCount())
	}
	// A rate limit with Retry-After on the reaction.
	h.fake.SetFaults(nil)
	h.fake.RateLimit("POST /api/v4/reactions", 1, 1)
	staff := h.fake.StaffPost(h.channel, root, h.alice, "Hi Anna")
	adaptertest.Eventually(t, wait, func() bool { return len(h.fake.Reactions(staff)) == 1 }, "reaction after the rate limit")
	if got := h.fake.Calls("POST /api/v4/reactions"); got != 2 {
		t.Errorf("%d reaction calls, want 2 (one limited, one done)", got)
	}
}

// Deleting a card (the thread's root) makes the conversation continue in
// a new thread, which says so.
func TestDeletedCardOpensANewThread(t *testing.T) {
	h := start(t, setup{})
	conv := h.customer("Anna", "Hello")
	root := h.root(conv)
	h.replies(root, 1)
	h.fake.DeletePost(root)
	adaptertest.Eventually(t, wait, func() bool {
		ref, err := h.st.Thread(context.Background(), conv, "mattermost")
		return errors.Is(err, bridge.ErrNotFound) || (err == nil && !strings.HasSuffix(string(ref), root))
	}, "thread marked gone")
	h.customer("Anna", "Anyone there?")
	adaptertest.Eventually(t, wait, func() bool { return len(h.fake.Roots(h.channel)) == 1 && h.fake.Roots(h.channel)[0].ID != root }, "new card")
	card := h.fake.Roots(h.channel)[0].Attachments()[0]
	if !strings.Contains(card.Footer, "continued from an earlier thread") {
		t.Errorf("footer = %q", card.Footer)
	}
	// A card deleted while the socket was down is found out on the next post.
	root2 := h.fake.Roots(h.channel)[0].ID
	h.fake.RefuseSockets(true)
	h.fake.DropSockets()
	adaptertest.Eventually(t, wait, func() bool { return h.fake.Connected() == 0 }, "socket down")
	h.fake.DeletePost(root2)
	h.customer("Anna", "Hello again")
	adaptertest.Eventually(t, wait, func() bool {
		rs := h.fake.Roots(h.channel)
		return len(rs) == 1 && rs[0].ID != root2
	}, "third card after a post to the deleted root failed")
	h.fake.RefuseSockets(false)
}

// Editing or deleting a staff reply the customer already has warns in
// the thread: Mattermost edits are not sent on.
func TestEditedOrDeletedRepliesWarnStaff(t *testing.T) {
	h := start(t, setup{})
	root := h.root(h.customer("Anna", "Hello"))
	staff := h.fake.StaffPost(h.channel, root, h.alice, "It ships Monday")
	adaptertest.Eventually(t, wait, func() bool { return len(h.sent()) == 1 }, "delivered")
	h.fake.EditPost(staff, "It ships Tuesday")
	adaptertest.Eventually(t, wait, func() bool { return threadHas(h, root, "edited a reply here") }, "edit warning")
	h.fake.DeletePost(staff)
	adaptertest.Eventually(t, wait, func() bool { return threadHas(h, root, "was deleted here") }, "delete warning")
	if len(h.sent()) != 1 {
		t.Errorf("deliveries = %q", h.sent())
	}
}

func threadHas(h *harness, root, text string) bool {
	for _, p := range h.fake.Thread(root) {
		if strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

// A refused token ends Run with an error that names the setting.
func TestRunWithARefusedTokenSaysWhich(t *testing.T) {
	fake := fakemattermost.New(fakemattermost.Options{})
	defer fake.Close()
	fake.ReportTo(t)
	ch := fake.AddChannel("support", true)
	surf, err := mattermost.New(mattermost.Config{URL: fake.URL(), BotToken: "wrongtoken", ChannelID: ch}, mattermost.Options{ActionSecret: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	if err := surf.Init(bridge.Deps{Clock: bridge.SystemClock(), Store: st, Core: nopCore{}}); err != nil {
		t.Fatal(err)
	}
	err = surf.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "MATTERMOST_BOT_TOKEN") {
		t.Errorf("Run = %v", err)
	}
}

type nopCore struct{}

func (nopCore) Notice(context.Context, bridge.ConversationID, bridge.Platform, string) error {
	return nil
}
func (nopCore) ThreadGone(context.Context, bridge.Platform, bridge.ThreadRef) error { return nil }
func (nopCore) SystemNote(context.Context, bridge.ConversationID, bridge.Platform, string, string) error {
	return nil
}

// The server's pings keep a quiet socket open: reads wait up to the idle
// timeout, and every ping extends it.
func TestPingsKeepAQuietSocketOpen(t *testing.T) {
	h := start(t, setup{fake: fakemattermost.Options{PingInterval: 20 * time.Millisecond},
		options: func(o *mattermost.Options) { o.IdleTimeout = 150 * time.Millisecond }})
	time.Sleep(600 * time.Millisecond)
	if n := h.fake.Authentications(); n != 1 || h.fake.Connected() != 1 {
		t.Errorf("%d authentications, %d connected: the quiet socket was dropped", n, h.fake.Connected())
	}
}

// Without pings, a silent socket is given up after the idle timeout and
// connected again.
func TestASilentSocketIsReconnected(t *testing.T) {
	h := start(t, setup{fake: fakemattermost.Options{PingInterval: time.Hour},
		options: func(o *mattermost.Options) { o.IdleTimeout = 100 * time.Millisecond }})
	adaptertest.Eventually(t, wait, func() bool { return h.fake.Authentications() >= 2 }, "reconnected after the idle timeout")
}
func (nopCore) Receipt(context.Context, bridge.ChannelReceipt) error { return nil }

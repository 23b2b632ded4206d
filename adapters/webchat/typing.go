package webchat

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// typingEvery is how often a visitor's typing is passed on while it goes
// on: Discord shows "typing…" for 10 seconds after each call, the widget
// sends a frame every 3 seconds while keys are pressed.
const typingEvery = 3 * time.Second

// typingState throttles visitors' typing indicators on this replica.
type typingState struct {
	mu   sync.Mutex
	last map[string]time.Time // visitor -> last passed on
}

func (t *typingState) init() { t.last = map[string]time.Time{} }

// allow reports whether visitor's typing may be passed on at now.
func (t *typingState) allow(visitor string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return now.Sub(t.last[visitor]) >= typingEvery
}

// passed records that visitor's typing was passed on at now.
func (t *typingState) passed(visitor string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.last) > 10000 { // forget the idle ones
		for v, at := range t.last {
			if now.Sub(at) >= typingEvery {
				delete(t.last, v)
			}
		}
	}
	t.last[visitor] = now
}

// convCache remembers each visitor's current conversation and each
// conversation's visitor, which typing indicators and "seen" need on
// every keystroke burst: both only change when a new conversation opens.
type convCache struct {
	mu        sync.Mutex
	byVisitor map[string]bridge.ConversationID
	visitorOf map[bridge.ConversationID]string // "" for conversations on other channels
}

func newConvCache() *convCache {
	return &convCache{byVisitor: map[string]bridge.ConversationID{}, visitorOf: map[bridge.ConversationID]string{}}
}

func (c *convCache) setCurrent(visitor string, conv bridge.ConversationID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byVisitor) > 50000 {
		clear(c.byVisitor)
	}
	c.byVisitor[visitor] = conv
	c.setVisitorLocked(conv, visitor)
}

func (c *convCache) current(visitor string) (bridge.ConversationID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.byVisitor[visitor]
	return id, ok
}

func (c *convCache) setVisitorLocked(conv bridge.ConversationID, visitor string) {
	if len(c.visitorOf) > 50000 {
		clear(c.visitorOf)
	}
	c.visitorOf[conv] = visitor
}

func (c *convCache) visitor(conv bridge.ConversationID) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.visitorOf[conv]
	return v, ok
}

func (c *convCache) setVisitor(conv bridge.ConversationID, visitor string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setVisitorLocked(conv, visitor)
}

// currentConversation is the visitor's newest conversation (ok false when
// they never wrote).
func (a *Adapter) currentConversation(ctx context.Context, visitor string) (bridge.Conversation, bool) {
	if id, ok := a.convs.current(visitor); ok {
		if c, err := a.store.Conversation(ctx, id); err == nil {
			return c, true
		}
	}
	ms, err := a.store.CustomerMessages(ctx, Platform, visitor, 0, 1)
	if err != nil || len(ms) == 0 {
		return bridge.Conversation{}, false
	}
	first, err := a.store.Conversation(ctx, ms[0].Conversation)
	if err != nil {
		return bridge.Conversation{}, false
	}
	newest := first
	if cs, err := a.store.CustomerConversations(ctx, first.Customer, 50); err == nil {
		for _, c := range cs { // newest first
			if c.Channel == Platform && c.Address == visitor {
				newest = c
				break
			}
		}
	}
	a.convs.setCurrent(visitor, newest.ID)
	return newest, true
}

// visitorTyping passes a visitor's typing on to the staff surfaces that
// show it (at most every typingEvery), when they have a conversation open.
func (a *Adapter) visitorTyping(ctx context.Context, visitor string) {
	now := a.now()
	if !a.typing.allow(visitor, now) {
		return
	}
	c, ok := a.currentConversation(ctx, visitor)
	if !ok || c.Status == bridge.StatusClosed {
		return // nobody to show it to yet
	}
	a.typing.passed(visitor, now)
	if err := bridge.PublishTyping(ctx, a.relay, bridge.Typing{Conversation: c.ID, Name: c.CustomerName}); err != nil {
		a.log.Debug("webchat: relaying a typing indicator failed", "err", err)
	}
}

// staffTyping shows staff typing in the widgets of the conversation's
// visitor that are connected to this replica (every replica receives it).
func (a *Adapter) staffTyping(t bridge.Typing) {
	if !t.Staff {
		return
	}
	visitor, ok := a.convs.visitor(t.Conversation)
	if !ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := a.store.Conversation(ctx, t.Conversation)
		if err != nil {
			return
		}
		if c.Channel == Platform {
			visitor = c.Address
		}
		a.convs.setVisitor(t.Conversation, visitor)
	}
	if visitor == "" || a.hub.count(visitor) == 0 {
		return
	}
	frame, _ := json.Marshal(wsFrame{Type: "typing", Name: t.Name})
	a.hub.broadcast(visitor, frame)
}

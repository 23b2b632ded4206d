package webchat

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Per-visitor state lives in the adapter cursors (the cursors table, no
// schema of its own): what the visitor has read, and their handle.
const (
	cursorRead    = "read:"    // + visitor: the newest staff message id the visitor has seen
	cursorVisitor = "visitor:" // + visitor: "<n>" (their handle), "<n> named" or "named" once they gave a name
	cursorHandles = "handles"  // the last handle number given out
	cursorEmail   = "email:"   // + visitor: the email address they gave, for replies they do not see (followup.go)
	handleEvents  = "webchat-handle"
)

// staffActed reports whether m shows that staff saw what came before it:
// a reply or a note by a person (not Threadline's automatic notices and
// notes, such as "sent by email").
func staffActed(m bridge.Message) bool {
	return (m.Direction == bridge.DirStaff || m.Direction == bridge.DirNote) && m.AuthorID != string(bridge.SystemActor().ID)
}

// markSeen sets Seen on the customer messages in ms that staff answered or
// acted after, reading the conversations they belong to.
func (a *Adapter) markSeen(ctx context.Context, ms []wireMessage) {
	lastAct := map[int64]int64{} // conversation -> id of staff's last act
	for i := range ms {
		if ms[i].From != "customer" {
			continue
		}
		conv := ms[i].Conversation
		act, ok := lastAct[conv]
		if !ok {
			all, err := a.store.Messages(ctx, bridge.ConversationID(conv), 0)
			if err != nil {
				a.log.Warn("webchat: reading a conversation for seen marks", "conversation", conv, "err", err)
			}
			for _, m := range all {
				if staffActed(m) && int64(m.ID) > act {
					act = int64(m.ID)
				}
			}
			lastAct[conv] = act
		}
		ms[i].Seen = ms[i].ID < act
	}
}

// ReadUntil is the newest staff message the visitor has seen in an open
// widget (0: none). A reply newer than this was not seen: what a later
// "continue by email" digest sends.
func (a *Adapter) ReadUntil(ctx context.Context, visitor string) (bridge.MessageID, error) {
	v, err := a.store.Cursor(ctx, string(Platform), cursorRead+visitor)
	if err != nil || v == "" {
		return 0, err
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return bridge.MessageID(n), nil
}

// markRead records that the visitor saw everything up to id (it only
// moves forward).
func (a *Adapter) markRead(ctx context.Context, visitor string, id int64) error {
	cur, err := a.ReadUntil(ctx, visitor)
	if err != nil || id <= int64(cur) {
		return err
	}
	return a.store.SetCursor(ctx, string(Platform), cursorRead+visitor, strconv.FormatInt(id, 10))
}

// profileName is the name a visitor's message carries: the name they gave,
// or, while they never gave one, their handle ("Visitor 12"), so staff
// see a name rather than a random id. "" leaves the stored name alone.
func (a *Adapter) profileName(ctx context.Context, visitor, name string) string {
	key := cursorVisitor + visitor
	state, err := a.store.Cursor(ctx, string(Platform), key)
	if err != nil {
		a.log.Warn("webchat: reading visitor state", "err", err)
		return name
	}
	num, named := strings.CutSuffix(state, "named")
	num = strings.TrimSpace(num)
	if name != "" {
		if !named {
			if err := a.store.SetCursor(ctx, string(Platform), key, strings.TrimSpace(num+" named")); err != nil {
				a.log.Warn("webchat: recording visitor state", "err", err)
			}
		}
		return name
	}
	if named {
		return "" // they gave a name before: keep it
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil && n > 0 {
		return bridge.VisitorHandle(n)
	}
	n, err := a.newHandle(ctx)
	if err != nil {
		a.log.Warn("webchat: giving a visitor a handle", "err", err)
		return ""
	}
	if err := a.store.SetCursor(ctx, string(Platform), key, strconv.FormatInt(n, 10)); err != nil {
		a.log.Warn("webchat: recording visitor state", "err", err)
	}
	return bridge.VisitorHandle(n)
}

// newHandle gives out the next handle number. Each number is claimed in
// the event log, so replicas that race for one never both get it.
func (a *Adapter) newHandle(ctx context.Context) (int64, error) {
	last, err := a.store.Cursor(ctx, string(Platform), cursorHandles)
	if err != nil {
		return 0, err
	}
	n, _ := strconv.ParseInt(last, 10, 64)
	for range 1000 {
		n++
		fresh, err := a.store.MarkEvent(ctx, handleEvents, strconv.FormatInt(n, 10))
		if err != nil {
			return 0, err
		}
		if fresh {
			return n, a.store.SetCursor(ctx, string(Platform), cursorHandles, strconv.FormatInt(n, 10))
		}
	}
	return 0, errors.New("no free handle number")
}

// rememberEmail keeps the email address a visitor gave (the latest one),
// where unseen replies go (followup.go).
func (a *Adapter) rememberEmail(ctx context.Context, visitor, email string) error {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil
	}
	key := cursorEmail + visitor
	if cur, err := a.store.Cursor(ctx, string(Platform), key); err != nil || strings.EqualFold(cur, email) {
		return err
	}
	return a.store.SetCursor(ctx, string(Platform), key, email)
}

// visitorEmail is the email address the visitor gave ("" if none).
func (a *Adapter) visitorEmail(ctx context.Context, visitor string) (string, error) {
	return a.store.Cursor(ctx, string(Platform), cursorEmail+visitor)
}

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
)

// EngineConfig holds the conversation rules from config.
type Config struct {
	// ReopenWindow: a customer message to a conversation closed less than
	// this long ago reopens it; later messages start a new conversation.
	ReopenWindow time.Duration
	// DefaultPriority for new conversations.
	DefaultPriority bridge.Priority
	// DefaultDepartment for new conversations.
	DefaultDepartment string
	// MaxMessageBytes caps inbound message bodies; longer text is cut with a marker.
	MaxMessageBytes int
}

// Engine turns inbound messages and staff actions into committed state and
// outbox rows. It is safe for concurrent use.
type Engine struct {
	store    bridge.Store
	surfaces []bridge.Platform
	cfg      Config
	dir      *team.Directory
	sla      *sla.SLA
	clock    bridge.Clock
	log      *slog.Logger
	notify   func()
	metrics  Metrics
	follow   []FollowUp
}

// EngineOptions wires an Engine.
type Options struct {
	Store    bridge.Store
	Surfaces []bridge.Platform // active staff surfaces; every conversation is mirrored to each
	Config   Config
	Clock    bridge.Clock // nil: the system clock
	Log      *slog.Logger
	Notify   func() // called after a commit that queued outbox rows (wakes the worker)
	// Directory holds departments, staff roles, rules and templates
	// (nil: no departments, everyone an agent).
	Directory *team.Directory
	// SLA holds SLA policies and calendars (nil: no SLAs).
	SLA *sla.SLA
	// Metrics counts stored messages and SLA nags (nil: nothing counted).
	Metrics Metrics
	// FollowUps are second ways to reach customers who leave a reply
	// unseen (the web chat's continuation by email).
	FollowUps []FollowUp
}

// NewEngine builds an Engine.
func New(o Options) *Engine {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Notify == nil {
		o.Notify = func() {}
	}
	if o.Config.DefaultPriority == "" {
		o.Config.DefaultPriority = bridge.PriorityNormal
	}
	if o.Config.MaxMessageBytes <= 0 {
		o.Config.MaxMessageBytes = 64 << 10
	}
	if o.Directory == nil {
		o.Directory = team.New(team.Options{})
	}
	if o.Config.DefaultDepartment == "" {
		o.Config.DefaultDepartment = o.Directory.Options().DefaultDepartment
	}
	if o.SLA == nil {
		o.SLA = sla.New(sla.Options{})
	}
	return &Engine{store: o.Store, surfaces: o.Surfaces, cfg: o.Config, dir: o.Directory, sla: o.SLA, clock: bridge.OrSystem(o.Clock), log: o.Log, notify: o.Notify,
		metrics: orNoEngineMetrics(o.Metrics), follow: o.FollowUps}
}

// Directory returns the staff directory.
func (e *Engine) Directory() *team.Directory { return e.dir }

// SLA returns the SLA policies.
func (e *Engine) SLA() *sla.SLA { return e.sla }

// Surfaces lists the active staff surfaces.
func (e *Engine) Surfaces() []bridge.Platform { return e.surfaces }

// Store exposes the read side for surfaces and commands.
func (e *Engine) Store() bridge.Reader { return e.store }

// Now is the engine's clock's time.
func (e *Engine) Now() time.Time { return e.clock.Now() }

func (e *Engine) now() time.Time { return e.clock.Now() }

// StaffContext says who acts on which conversation, from where.
type StaffContext struct {
	Conversation bridge.ConversationID
	Actor        bridge.Actor
	Surface      bridge.Platform // where the action was taken
	ExternalID   string          // the surface's id of the staff message, if any
}

// Reply stores a staff reply and queues it for the customer and for the
// other staff surfaces. A redelivered staff message (same ExternalID) is
// stored once. Replies to closed conversations and to conversations
// claimed by someone else follow the configured policies; use ReplyWith
// and force to override them (the !reply command).
func (e *Engine) Reply(ctx context.Context, sc StaffContext, text string, atts []bridge.Attachment) (bridge.MessageID, error) {
	id, _, err := e.ReplyWith(ctx, sc, text, atts, false)
	return id, err
}

// ReplyWith is Reply with the override flag; it also returns a warning for
// the author (e.g. the conversation belongs to someone else).
func (e *Engine) ReplyWith(ctx context.Context, sc StaffContext, text string, atts []bridge.Attachment, force bool) (bridge.MessageID, string, error) {
	return e.reply(ctx, sc, text, atts, force, "")
}

// ReplyTemplate stores a staff reply that reaches the customer as the
// platform's pre-approved template t (WhatsApp's way to write after its
// 24-hour customer-service window); text is how it reads in the threads
// and the history. Reply's rules apply (closed, claimed by someone else).
func (e *Engine) ReplyTemplate(ctx context.Context, sc StaffContext, t bridge.TemplateMessage, text string) (bridge.MessageID, string, error) {
	if strings.TrimSpace(t.Name) == "" {
		return 0, "", bridge.Reject("a template needs a name")
	}
	payload, err := json.Marshal(bridge.CustomerSendPayload{Template: &t})
	if err != nil {
		return 0, "", err
	}
	return e.reply(ctx, sc, text, nil, false, string(payload))
}

// reply is ReplyWith with the customer send's payload.
func (e *Engine) reply(ctx context.Context, sc StaffContext, text string, atts []bridge.Attachment, force bool, payload string) (bridge.MessageID, string, error) {
	var warning string
	cfg := e.dir.Options()
	id, err := e.staffMessage(ctx, sc, bridge.DirStaff, text, atts, func(tx bridge.Tx, c *bridge.Conversation, msg bridge.Message, now time.Time) (bool, error) {
		warning = ""
		cardChanged := false
		if c.Status == bridge.StatusClosed {
			if !force && !cfg.ReopenOnReply {
				return false, bridge.Reject("conversation %s is closed; nothing was sent. Use !reply <text> to send anyway (it reopens), or !reopen first.", c.ID)
			}
			c.Status, c.ClosedAt, c.CloseReason = bridge.StatusOpen, time.Time{}, ""
			warning = fmt.Sprintf("%s was closed; your reply reopened it.", c.ID)
			cardChanged = true
		}
		if c.Owner != "" && c.Owner != sc.Actor.ID && !force {
			if cfg.Claims.BlockOthers {
				return false, bridge.Reject("%s is claimed by %s; nothing was sent. Use !reply <text> to send anyway, or !claim after they !release.", c.ID, c.OwnerName)
			}
			warning = fmt.Sprintf("Heads-up: %s is claimed by %s; your reply was sent anyway.", c.ID, c.OwnerName)
		}
		if c.FirstResponseAt.IsZero() {
			c.FirstResponseAt = now
		}
		c.LastStaffAt = now
		if c.Status != bridge.StatusWaiting {
			cardChanged = true
		}
		c.Status = bridge.StatusWaiting
		e.slaSync(c, false, slaStaffReply, now)
		q := e.queue(tx, c.ID, now)
		if err := q.customer(c.Channel, msg.ID, payload); err != nil {
			return false, err
		}
		return cardChanged, e.followUp(q, *c, msg.ID, payload)
	})
	return id, warning, err
}

// Note stores an internal note: mirrored to other staff surfaces, never sent
// to the customer.
func (e *Engine) Note(ctx context.Context, sc StaffContext, text string, atts []bridge.Attachment) (bridge.MessageID, error) {
	return e.staffMessage(ctx, sc, bridge.DirNote, text, atts, nil)
}

// staffMessage stores a message written by staff, lets effect change the
// conversation and queue more rows (it reports whether the card changed),
// mirrors the message to the other surfaces and audits it.
func (e *Engine) staffMessage(ctx context.Context, sc StaffContext, dir bridge.Direction, text string, atts []bridge.Attachment,
	effect func(tx bridge.Tx, c *bridge.Conversation, msg bridge.Message, now time.Time) (cardChanged bool, err error)) (bridge.MessageID, error) {
	action := "note"
	if dir == bridge.DirStaff {
		action = "reply"
	}
	text = e.clip(text)
	if strings.TrimSpace(text) == "" && len(atts) == 0 {
		return 0, bridge.Reject("nothing to store: the %s is empty", action)
	}
	now := e.now()
	var id bridge.MessageID
	dup := false
	err := e.store.Write(ctx, func(tx bridge.Tx) error {
		id, dup = 0, false
		if prev, err := e.duplicateStaff(tx, sc); err != nil || prev != 0 {
			id, dup = prev, prev != 0
			return err
		}
		c, err := tx.Conversation(sc.Conversation)
		if err != nil {
			return err
		}
		msg := bridge.Message{
			Conversation: c.ID, Direction: dir, AuthorID: string(sc.Actor.ID), Author: sc.Actor.Name,
			Body: text, Attachments: atts, Platform: sc.Surface, ExternalID: sc.ExternalID, CreatedAt: now,
		}
		if err := tx.InsertMessage(&msg, 0); err != nil {
			return err
		}
		id = msg.ID
		if err := tx.UpsertStaff(sc.Actor, now); err != nil {
			return err
		}
		cardChanged := false
		if effect != nil {
			if cardChanged, err = effect(tx, &c, msg, now); err != nil {
				return err
			}
			c.UpdatedAt = now
			if err := tx.UpdateConversation(c); err != nil {
				return err
			}
		}
		if err := e.queue(tx, c.ID, now).mirror(msg.ID, sc.Surface, cardChanged); err != nil {
			return err
		}
		return tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: sc.Actor, Action: action, Detail: fmt.Sprintf("message %d", msg.ID), At: now})
	})
	if err != nil {
		return 0, err
	}
	e.notify()
	if !dup {
		e.metrics.MessageIn(sc.Surface, dir)
	}
	return id, nil
}

func (e *Engine) duplicateStaff(tx bridge.Tx, sc StaffContext) (bridge.MessageID, error) {
	if sc.ExternalID == "" {
		return 0, nil
	}
	prev, _, err := tx.StoredExternal(sc.Surface, sc.ExternalID)
	if err == nil {
		return prev, nil
	}
	if errors.Is(err, bridge.ErrNotFound) {
		return 0, nil
	}
	return 0, err
}

// Outcome is what a Mutation reports back to Act.
type Outcome struct {
	Notice   string           // system message for every thread ("" for none)
	Detail   string           // audit detail
	Mentions []bridge.StaffID // staff the notice pings
	// Move asks surfaces to re-home the thread (department changed).
	Move    bool
	Summary string // shown at the top of a moved thread
	// Announce posts Notice in this department's own channel too.
	Announce string
	// NoCard skips the card refresh (nothing on the card changed).
	NoCard bool
	// Customer are automatic messages to the customer (close notices, questions).
	Customer []string
}

// Mutation changes a conversation inside Act. A RejectionError explains a
// refusal to the actor.
type Mutation func(tx bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error)

// Act applies a state change to a conversation in one transaction: the
// change, an audit row, a system message in every thread, a card refresh
// (or a thread move) on every surface.
func (e *Engine) Act(ctx context.Context, sc StaffContext, action string, fn Mutation) (bridge.Conversation, error) {
	now := e.now()
	var out bridge.Conversation
	err := e.store.Write(ctx, func(tx bridge.Tx) error {
		c, err := tx.Conversation(sc.Conversation)
		if err != nil {
			return err
		}
		wasClosed := c.Status == bridge.StatusClosed
		o, err := fn(tx, &c, now)
		if err != nil {
			return err
		}
		e.slaSync(&c, wasClosed, slaNone, now)
		c.UpdatedAt = now
		if err := tx.UpdateConversation(c); err != nil {
			return err
		}
		if err := tx.UpsertStaff(sc.Actor, now); err != nil {
			return err
		}
		if err := tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: sc.Actor, Action: action, Detail: o.Detail, At: now}); err != nil {
			return err
		}
		if err := e.effects(tx, c.ID, o, now); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return bridge.Conversation{}, err
	}
	e.notify()
	return out, nil
}

// effects queues what an Outcome asks for.
func (e *Engine) effects(tx bridge.Tx, conv bridge.ConversationID, o Outcome, now time.Time) error {
	q := e.queue(tx, conv, now)
	if len(o.Customer) > 0 {
		c, err := tx.Conversation(conv)
		if err != nil {
			return err
		}
		for _, text := range o.Customer {
			if err := e.customerNotice(tx, conv, c.Channel, text, now); err != nil {
				return err
			}
		}
	}
	if o.Notice != "" {
		if _, err := q.system(o.Notice, "", o.Mentions...); err != nil {
			return err
		}
		if o.Announce != "" {
			payload, _ := json.Marshal(bridge.AnnouncePayload{Department: o.Announce, Text: o.Notice, Mentions: o.Mentions})
			if err := q.staff(bridge.KindAnnounce, 0, string(payload), ""); err != nil {
				return err
			}
		}
	}
	switch {
	case o.NoCard:
		return nil
	case !o.Move:
		return q.cards()
	}
	// The summary is queued behind the move in the same lane: it lands in
	// the new thread, which is mapped before anything else is posted there.
	summary, _ := json.Marshal(bridge.NoticePayload{Text: o.Summary})
	return q.each(func(s bridge.Platform) error {
		if err := q.row(s, bridge.KindMove, 0, ""); err != nil || o.Summary == "" {
			return err
		}
		return q.row(s, bridge.KindNotice, 0, string(summary))
	})
}

// Claim makes the actor the owner.
func (e *Engine) Claim(ctx context.Context, sc StaffContext) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "claim", func(_ bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		switch {
		case c.Owner == sc.Actor.ID:
			return Outcome{}, bridge.Reject("%s is already yours.", c.ID)
		case c.Owner != "":
			return Outcome{}, bridge.Reject("%s is claimed by %s. Ask them to !release it first (or a lead can !assign it).", c.ID, c.OwnerName)
		case c.Status == bridge.StatusClosed:
			return Outcome{}, bridge.Reject("%s is closed; !reopen it first.", c.ID)
		}
		c.Owner, c.OwnerName, c.ClaimedAt = sc.Actor.ID, sc.Actor.Name, now
		return Outcome{Notice: fmt.Sprintf("%s claimed this conversation.", sc.Actor.Name)}, nil
	})
}

// Release gives up ownership.
func (e *Engine) Release(ctx context.Context, sc StaffContext) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "release", func(_ bridge.Tx, c *bridge.Conversation, _ time.Time) (Outcome, error) {
		if c.Owner == "" {
			return Outcome{}, bridge.Reject("%s is not claimed by anyone.", c.ID)
		}
		prev := c.OwnerName
		c.Owner, c.OwnerName, c.ClaimedAt = "", "", time.Time{}
		if prev == sc.Actor.Name {
			return Outcome{Notice: fmt.Sprintf("%s released this conversation; it is unclaimed now.", sc.Actor.Name)}, nil
		}
		return Outcome{Notice: fmt.Sprintf("%s released this conversation (was %s); it is unclaimed now.", sc.Actor.Name, prev), Detail: "previous owner " + prev}, nil
	})
}

// Close closes the conversation with an optional reason.
func (e *Engine) Close(ctx context.Context, sc StaffContext, reason string) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "close", func(tx bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		if c.Status == bridge.StatusClosed {
			return Outcome{}, bridge.Reject("%s is already closed.", c.ID)
		}
		c.Status, c.ClosedAt, c.CloseReason, c.SnoozedUntil = bridge.StatusClosed, now, reason, time.Time{}
		msg := fmt.Sprintf("%s closed this conversation.", sc.Actor.Name)
		if reason != "" {
			msg = fmt.Sprintf("%s closed this conversation: %s", sc.Actor.Name, reason)
		}
		o := Outcome{Notice: msg, Detail: reason}
		cfg := e.sla.Options()
		if cfg.CloseNotice != "" {
			o.Customer = append(o.Customer, e.render(cfg.CloseNotice, *c, sc.Actor, now, tx))
		}
		if cfg.Satisfaction.Enabled && c.Unreachable == "" {
			o.Customer = append(o.Customer, e.render(cfg.Satisfaction.Question, *c, sc.Actor, now, tx))
			c.CSATAskedAt = now
		}
		return o, nil
	})
}

// Reopen reopens a closed conversation.
func (e *Engine) Reopen(ctx context.Context, sc StaffContext) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "reopen", func(tx bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		if c.Status != bridge.StatusClosed {
			return Outcome{}, bridge.Reject("%s is not closed (it is %s).", c.ID, c.Status)
		}
		c.Status, c.ClosedAt, c.CloseReason = bridge.StatusOpen, time.Time{}, ""
		o := Outcome{Notice: fmt.Sprintf("%s reopened this conversation.", sc.Actor.Name)}
		if t := e.sla.Options().ReopenNotice; t != "" {
			o.Customer = append(o.Customer, e.render(t, *c, sc.Actor, now, tx))
		}
		return o, nil
	})
}

// Notice queues staff-only text for one surface's thread (command feedback
// that must show in the thread). It is not stored as a message.
func (e *Engine) Notice(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform, text string) error {
	now := e.now()
	err := e.store.Write(ctx, func(tx bridge.Tx) error { return e.queue(tx, conv, now).notice(surface, text) })
	if err == nil {
		e.notify()
	}
	return err
}

// ThreadGone handles a staff thread whose parent message was deleted on its
// surface: the mapping is retired (messages in the old thread still find
// the conversation) and a notice is queued for that surface, which opens a
// new thread linked to the old one.
func (e *Engine) ThreadGone(ctx context.Context, surface bridge.Platform, ref bridge.ThreadRef) error {
	conv, err := e.store.ConversationByThread(ctx, surface, ref)
	if errors.Is(err, bridge.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := e.now()
	replaced := false
	err = e.store.Write(ctx, func(tx bridge.Tx) error {
		replaced = false
		if active, err := tx.ActiveThread(conv, surface); errors.Is(err, bridge.ErrNotFound) || (err == nil && active != ref) {
			return nil // already replaced
		} else if err != nil {
			return err
		}
		if err := tx.DeactivateThread(conv, surface, ref, now); err != nil {
			return err
		}
		text := fmt.Sprintf("The %s thread of this conversation was deleted; it continues here. The earlier history is linked above.", surface)
		if _, err := e.queue(tx, conv, now).system(text, surface); err != nil {
			return err
		}
		replaced = true
		return tx.Audit(bridge.AuditEntry{Conversation: conv, Actor: bridge.SystemActor(), Action: "thread_replaced", Detail: string(surface) + " " + string(ref), At: now})
	})
	if err == nil && replaced {
		e.notify()
	}
	return err
}

// ResolveConversation finds the conversation a staff message belongs to.
func (e *Engine) ResolveConversation(ctx context.Context, m bridge.StaffMessage) (bridge.ConversationID, error) {
	if m.Conversation != 0 {
		if _, err := e.store.Conversation(ctx, m.Conversation); err != nil {
			if errors.Is(err, bridge.ErrNotFound) {
				return 0, bridge.Reject("there is no conversation %s", m.Conversation)
			}
			return 0, err
		}
		return m.Conversation, nil
	}
	if m.Thread == "" {
		return 0, bridge.ErrUnknownConversation
	}
	id, err := e.store.ConversationByThread(ctx, m.Surface, m.Thread)
	if errors.Is(err, bridge.ErrNotFound) {
		return 0, bridge.ErrUnknownConversation
	}
	return id, err
}

func (e *Engine) clip(s string) string {
	s = plain(s)
	if len(s) <= e.cfg.MaxMessageBytes {
		return s
	}
	cut := e.cfg.MaxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "\n[message truncated by Threadline]"
}

// plain makes text from outside storable as text: valid UTF-8 and no NUL
// characters (a JSON "\u0000" would otherwise be stored; PostgreSQL
// refuses them in text outright).
func plain(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// cleanTo lower-cases and trims the addresses a customer wrote to, drops
// empty, overlong and repeated ones, and keeps at most 20.
func cleanTo(to []string) []string {
	var out []string
	for _, t := range to {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || len(t) > 254 || !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl) || slices.Contains(out, t) {
			continue
		}
		out = append(out, t)
		if len(out) == 20 {
			break
		}
	}
	return out
}

func firstLine(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
	}
	return s
}

package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/engine"
)

// Handler applies staff messages from any surface: replies, notes and
// commands. It implements bridge.StaffInbox.
type Handler struct {
	engine  *engine.Engine
	table   *Table
	syntax  Syntax
	log     *slog.Logger
	answers *answers.Service // nil: the answers commands say they are unavailable
}

// NewHandler builds a Handler.
func NewHandler(e *engine.Engine, t *Table, s Syntax, log *slog.Logger, opts ...HandlerOption) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{engine: e, table: t, syntax: s, log: log}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Syntax returns the handler's prefixes.
func (h *Handler) Syntax() Syntax { return h.syntax }

// Table returns the handler's commands.
func (h *Handler) Table() *Table { return h.table }

var _ bridge.StaffInbox = (*Handler)(nil)

// HandleStaffMessage classifies and applies one staff message. Refusals
// (unknown command, wrong arguments, not allowed, closed conversation) come
// back as Feedback with Error set; nothing reaches the customer then. The
// error return is for failures (database) and for bridge.ErrUnknownConversation,
// which surfaces usually ignore (a thread Threadline does not own).
func (h *Handler) HandleStaffMessage(ctx context.Context, m bridge.StaffMessage) (bridge.Feedback, error) {
	m.Actor = h.identify(m.Actor)
	p := h.syntax.Parse(m.Text)
	var cmd Command
	if p.Kind == KindCommand {
		c, ok := h.table.Lookup(p.Name)
		if !ok {
			return refuse(m.Conversation, "Unknown command %s%s. Nothing was sent to the customer.\n%s", h.syntax.Prefix, p.Name, h.table.Help(h.syntax)), nil
		}
		cmd = c
	}
	conv, err := h.engine.ResolveConversation(ctx, m)
	if err != nil {
		var rej *bridge.RejectionError
		switch {
		case errors.As(err, &rej):
			return bridge.Feedback{Error: true, Text: rej.Reason}, nil
		case errors.Is(err, bridge.ErrUnknownConversation) && p.Kind == KindCommand && cmd.Global:
			conv = 0
		default:
			return bridge.Feedback{}, err
		}
	}
	if conv != 0 && (p.Kind == KindReply || (p.Kind == KindCommand && cmd.Mutates)) {
		ok, why, err := h.mayAct(ctx, conv, m.Actor)
		if err != nil {
			return bridge.Feedback{}, err
		}
		if !ok {
			return refuse(conv, "Not done: %s", why), nil
		}
	}
	sc := engine.StaffContext{Conversation: conv, Actor: m.Actor, Surface: m.Surface, ExternalID: m.ExternalID}
	fb := bridge.Feedback{Conversation: conv}
	switch p.Kind {
	case KindReply:
		fb.Message, fb.Text, err = h.engine.ReplyWith(ctx, sc, p.Text, m.Attachments, false)
	case KindNote:
		fb.Message, err = h.engine.Note(ctx, sc, p.Text, m.Attachments)
	case KindCommand:
		fb.Text, err = h.runCommand(ctx, cmd, p, m, conv)
	}
	if err != nil {
		return h.failed(m, conv, err)
	}
	return fb, nil
}

// identify applies the directory's role and name for the actor over what
// the surface reported.
func (h *Handler) identify(a bridge.Actor) bridge.Actor {
	dir := h.engine.Directory()
	a.Role = dir.Role(a.ID, a.Role)
	if name, ok := dir.Name(a.ID); ok {
		a.Name = name
	}
	return a
}

// mayAct applies the department membership rules to a change of conv by a;
// why explains a refusal.
func (h *Handler) mayAct(ctx context.Context, conv bridge.ConversationID, a bridge.Actor) (ok bool, why string, err error) {
	c, err := h.engine.Store().Conversation(ctx, conv)
	if err != nil {
		return false, "", err
	}
	ok, why = h.engine.Directory().MayAct(a, c.Department)
	return ok, why, nil
}

// runCommand checks the caller's role (config may override the table's),
// where the command is used and its argument count, then runs it. The
// checks refuse with rejections, as the handlers do.
func (h *Handler) runCommand(ctx context.Context, cmd Command, p Parsed, m bridge.StaffMessage, conv bridge.ConversationID) (string, error) {
	need := cmd.Permission
	if r, ok := h.engine.Directory().Permission(cmd.Name); ok {
		need = r
	}
	if m.Actor.Role < need {
		return "", bridge.Reject("%s%s needs the %s role; you are %s.", h.syntax.Prefix, cmd.Name, need, m.Actor.Role)
	}
	if conv == 0 && !cmd.Global {
		return "", bridge.Reject("%s%s works inside a conversation's thread.", h.syntax.Prefix, cmd.Name)
	}
	if len(p.Args) < cmd.MinArgs || (cmd.MaxArgs >= 0 && len(p.Args) > cmd.MaxArgs) {
		return "", bridge.Reject("Usage: %s — %s", cmd.Usage(h.syntax.Prefix), cmd.Help)
	}
	in := &Invocation{Engine: h.engine, Conversation: conv, Actor: m.Actor, Surface: m.Surface, ExternalID: m.ExternalID,
		Args: p.Args, Rest: p.Rest, Table: h.table, Syntax: h.syntax, Mentions: m.Mentions, Answers: h.answers}
	return cmd.Run(ctx, in)
}

// failed turns an error from applying a message into what staff see:
// rejections and missing records are refusals; anything else is a failure,
// logged and returned.
func (h *Handler) failed(m bridge.StaffMessage, conv bridge.ConversationID, err error) (bridge.Feedback, error) {
	var rej *bridge.RejectionError
	if errors.As(err, &rej) {
		return refuse(conv, "%s", rej.Reason), nil
	}
	if errors.Is(err, bridge.ErrNotFound) {
		return refuse(conv, "%v", err), nil
	}
	h.log.Error("staff message failed", "surface", m.Surface, "conversation", conv, "err", err)
	return bridge.Feedback{}, err
}

func refuse(conv bridge.ConversationID, format string, args ...any) bridge.Feedback {
	return bridge.Feedback{Conversation: conv, Error: true, Text: fmt.Sprintf(format, args...)}
}

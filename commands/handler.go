package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
)

// Handler applies staff messages from any surface: replies, notes and
// commands. It implements bridge.StaffInbox.
type Handler struct {
	engine *engine.Engine
	table  *Table
	syntax Syntax
	log    *slog.Logger
}

// NewHandler builds a Handler.
func NewHandler(e *engine.Engine, t *Table, s Syntax, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{engine: e, table: t, syntax: s, log: log}
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
	dir := h.engine.Directory()
	m.Actor.Role = dir.Role(m.Actor.ID, m.Actor.Role)
	if name, ok := dir.Name(m.Actor.ID); ok {
		m.Actor.Name = name
	}
	p := h.syntax.Parse(m.Text)
	var cmd Command
	if p.Kind == KindCommand {
		c, ok := h.table.Lookup(p.Name)
		if !ok {
			return bridge.Feedback{Conversation: m.Conversation, Error: true,
				Text: fmt.Sprintf("Unknown command %s%s. Nothing was sent to the customer.\n%s", h.syntax.Prefix, p.Name, h.table.Help(h.syntax))}, nil
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
	sc := engine.StaffContext{Conversation: conv, Actor: m.Actor, Surface: m.Surface, ExternalID: m.ExternalID}
	fb := bridge.Feedback{Conversation: conv}
	if conv != 0 && (p.Kind == KindReply || (p.Kind == KindCommand && cmd.Mutates)) {
		c, err := h.engine.Store().Conversation(ctx, conv)
		if err != nil {
			return bridge.Feedback{}, err
		}
		if ok, why := dir.MayAct(m.Actor, c.Department); !ok {
			return refuse(conv, "Not done: %s", why), nil
		}
	}
	switch p.Kind {
	case KindReply:
		fb.Message, fb.Text, err = h.engine.ReplyWith(ctx, sc, p.Text, m.Attachments, false)
	case KindNote:
		fb.Message, err = h.engine.Note(ctx, sc, p.Text, m.Attachments)
	case KindCommand:
		need := cmd.Permission
		if r, ok := dir.Config().Permissions[cmd.Name]; ok {
			need, _ = bridge.ParseRole(r)
		}
		if m.Actor.Role < need {
			return refuse(conv, "%s%s needs the %s role; you are %s.", h.syntax.Prefix, cmd.Name, need, m.Actor.Role), nil
		}
		if conv == 0 && !cmd.Global {
			return refuse(0, "%s%s works inside a conversation's thread.", h.syntax.Prefix, cmd.Name), nil
		}
		if len(p.Args) < cmd.MinArgs || (cmd.MaxArgs >= 0 && len(p.Args) > cmd.MaxArgs) {
			return refuse(conv, "Usage: %s — %s", cmd.Usage(h.syntax.Prefix), cmd.Help), nil
		}
		in := &Invocation{Engine: h.engine, Conversation: conv, Actor: m.Actor, Surface: m.Surface, ExternalID: m.ExternalID,
			Args: p.Args, Rest: p.Rest, Table: h.table, Syntax: h.syntax, Mentions: m.Mentions}
		fb.Text, err = cmd.Run(ctx, in)
	}
	if err != nil {
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
	return fb, nil
}

func refuse(conv bridge.ConversationID, format string, args ...any) bridge.Feedback {
	return bridge.Feedback{Conversation: conv, Error: true, Text: fmt.Sprintf(format, args...)}
}

package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/threadlinehq/threadline/bridge"
)

// A handler performs one kind of row on its platform. What it returns is
// recorded by process: the external id on success, or the error's class
// (Permanent, RetryAfter, ErrThreadGone, transient).
type handler func(c *call, it bridge.OutboxItem) (bridge.ExternalRef, error)

// surfaceHandler is a handler for rows whose target is a staff surface.
type surfaceHandler func(c *call, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ExternalRef, error)

// handlers is the kind -> handler table.
func (o *Outbox) handlers() map[bridge.OutboxKind]handler {
	return map[bridge.OutboxKind]handler{
		bridge.KindCustomerSend: o.sendToCustomer,
		bridge.KindStaffPost:    o.onSurface(o.postInThread),
		bridge.KindNotice:       o.onSurface(o.postInThread),
		bridge.KindCard:         o.onSurface(o.refreshCard),
		bridge.KindMove:         o.onSurface(o.moveThread),
		bridge.KindAnnounce:     o.onSurface(o.announce),
		bridge.KindReceipt:      o.onSurface(o.showReceipt),
	}
}

// call is one attempt at a row: its deadline (SendTimeout, under the
// run's send context: see RunAbortable), renewed after a step that must
// not be cut off, and the outbox's run context, which only stops the
// retrying of records.
type call struct {
	o      *Outbox
	run    context.Context
	sends  context.Context
	ctx    context.Context
	cancel context.CancelFunc
}

func (o *Outbox) newCall(run, sends context.Context) *call {
	c := &call{o: o, run: run, sends: sends}
	c.ctx, c.cancel = context.WithTimeout(sends, o.cfg.SendTimeout)
	return c
}

// renew gives the rest of the attempt a fresh deadline.
func (c *call) renew() {
	c.cancel()
	c.ctx, c.cancel = context.WithTimeout(c.sends, c.o.cfg.SendTimeout)
}

// send performs one row on its platform within SendTimeout.
func (o *Outbox) send(run, sends context.Context, it bridge.OutboxItem) (bridge.ExternalRef, error) {
	h, ok := o.handle[it.Kind]
	if !ok {
		return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("unknown outbox kind %q", it.Kind))
	}
	c := o.newCall(run, sends)
	defer func() { c.cancel() }()
	return h(c, it)
}

func (o *Outbox) onSurface(h surfaceHandler) handler {
	return func(c *call, it bridge.OutboxItem) (bridge.ExternalRef, error) {
		s, ok := o.surfaces[it.Target]
		if !ok {
			return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("staff surface %s is not configured", it.Target))
		}
		return h(c, s, it)
	}
}

// sendToCustomer sends a staff reply on the customer's channel.
func (o *Outbox) sendToCustomer(c *call, it bridge.OutboxItem) (bridge.ExternalRef, error) {
	ch, ok := o.channels[it.Target]
	if !ok {
		return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("channel %s is not configured", it.Target))
	}
	d, err := o.delivery(c.ctx, it)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	return ch.Send(c.ctx, d)
}

// postInThread posts a stored message or a notice in the conversation's
// thread, opening the thread first if there is none.
func (o *Outbox) postInThread(c *call, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ExternalRef, error) {
	ref, m, err := o.source(c.ctx, s, it)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	if ref == "" {
		if ref, err = o.openThread(c, s, it); err != nil {
			return bridge.ExternalRef{}, err
		}
		// Opening the thread (a platform call and a commit) may have used
		// most of the deadline; the post gets its own, or a slow opening
		// would cut it off after the platform took it, and the retry would
		// show the message twice.
		c.renew()
	}
	post, err := o.post(it, m)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	return s.Post(c.ctx, ref, post)
}

// source reads the conversation's active thread on s ("" if it has none
// yet) and, for a stored message, the message: one query.
func (o *Outbox) source(ctx context.Context, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ThreadRef, bridge.Message, error) {
	if it.Source != nil {
		return it.Source.Thread, it.Source.Message, nil
	}
	if it.Kind != bridge.KindNotice {
		return o.store.PostSource(ctx, it.Conversation, s.Name(), it.Message)
	}
	ref, err := o.store.Thread(ctx, it.Conversation, s.Name())
	if errors.Is(err, bridge.ErrNotFound) {
		return "", bridge.Message{}, nil
	}
	return ref, bridge.Message{}, err
}

// refreshCard edits the ticket card; a conversation with no thread yet
// gets a fresh card when its thread opens.
func (o *Outbox) refreshCard(c *call, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ExternalRef, error) {
	ref, view, ok, err := o.threadView(c.ctx, s, it)
	if !ok || err != nil {
		return bridge.ExternalRef{}, err
	}
	return bridge.ExternalRef{}, s.UpdateCard(c.ctx, ref, view)
}

// moveThread re-homes a thread whose department changed, or refreshes its
// card when the surface keeps it where it is.
func (o *Outbox) moveThread(c *call, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ExternalRef, error) {
	ref, view, ok, err := o.threadView(c.ctx, s, it)
	if !ok || err != nil {
		return bridge.ExternalRef{}, err // not posted yet: it opens in the right place
	}
	mover, ok := s.(bridge.ThreadMover)
	if !ok {
		return bridge.ExternalRef{}, s.UpdateCard(c.ctx, ref, view)
	}
	newRef, moved, err := mover.MoveThread(c.ctx, ref, view)
	switch {
	case err != nil:
		return bridge.ExternalRef{}, err
	case !moved:
		return bridge.ExternalRef{}, s.UpdateCard(c.ctx, ref, view)
	}
	return bridge.ExternalRef{}, o.recordThread(c.run, it.Conversation, s.Name(), newRef)
}

// announce tells a department's own channel about the conversation.
func (o *Outbox) announce(c *call, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ExternalRef, error) {
	an, ok := s.(bridge.Announcer)
	if !ok {
		return bridge.ExternalRef{}, nil
	}
	var p bridge.AnnouncePayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("bad announce payload: %w", err))
	}
	ref, view, ok, err := o.threadView(c.ctx, s, it)
	if !ok || err != nil {
		return bridge.ExternalRef{}, err
	}
	return bridge.ExternalRef{}, an.Announce(c.ctx, p.Department, ref, view, p.Text, p.Mentions)
}

// showReceipt marks a staff message delivered (or not) on its surface.
func (o *Outbox) showReceipt(c *call, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ExternalRef, error) {
	rs, ok := s.(bridge.ReceiptSurface)
	if !ok {
		return bridge.ExternalRef{}, nil
	}
	var r bridge.Receipt
	if err := json.Unmarshal([]byte(it.Payload), &r); err != nil {
		return bridge.ExternalRef{}, bridge.Permanent(fmt.Errorf("bad receipt payload: %w", err))
	}
	ref, err := o.store.Thread(c.ctx, it.Conversation, s.Name())
	if errors.Is(err, bridge.ErrNotFound) {
		return bridge.ExternalRef{}, nil
	}
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	return bridge.ExternalRef{}, rs.Receipt(c.ctx, ref, r)
}

// threadView reads the conversation's active thread on s and its card
// view; ok is false when there is no thread (yet).
func (o *Outbox) threadView(ctx context.Context, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ThreadRef, bridge.ConversationView, bool, error) {
	ref, err := o.store.Thread(ctx, it.Conversation, s.Name())
	if errors.Is(err, bridge.ErrNotFound) {
		return "", bridge.ConversationView{}, false, nil
	}
	if err != nil {
		return "", bridge.ConversationView{}, false, err
	}
	view, err := o.store.ConversationView(ctx, it.Conversation)
	return ref, view, err == nil, err
}

// openThread opens the conversation's thread on s (source found none;
// only this row's lane opens it) and records it.
func (o *Outbox) openThread(c *call, s bridge.StaffSurface, it bridge.OutboxItem) (bridge.ThreadRef, error) {
	conv := it.Conversation
	view, err := o.store.ConversationView(c.ctx, conv)
	if err != nil {
		return "", err
	}
	if view.PreviousThread, err = o.store.PreviousThread(c.ctx, conv, s.Name()); err != nil {
		return "", err
	}
	if it.Attempts > 0 {
		// This row failed before, with no thread recorded: perhaps at
		// opening it, after the platform made it but its answer was lost.
		view.TriedSince = it.CreatedAt
	}
	ref, err := s.OpenThread(c.ctx, view)
	if err != nil {
		return "", fmt.Errorf("open thread: %w", err)
	}
	return ref, o.recordThread(c.run, conv, s.Name(), ref)
}

// post is what a staff-post row (showing m) or a notice row shows.
func (o *Outbox) post(it bridge.OutboxItem, m bridge.Message) (bridge.StaffPost, error) {
	if it.Kind == bridge.KindNotice {
		var p bridge.NoticePayload
		if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
			return bridge.StaffPost{}, bridge.Permanent(fmt.Errorf("bad notice payload: %w", err))
		}
		return bridge.StaffPost{Direction: bridge.DirSystem, Author: "Threadline", Text: p.Text, At: it.CreatedAt}, nil
	}
	return bridge.StaffPost{
		Message: m.ID, Direction: m.Direction, Author: m.Author, Origin: m.Platform,
		Text: m.Body, Attachments: m.Attachments, At: m.CreatedAt, Mentions: m.Mentions,
	}, nil
}

// delivery is what a customer-send row sends: the stored reply, where the
// customer is, and the references earlier messages left (email threading).
func (o *Outbox) delivery(ctx context.Context, it bridge.OutboxItem) (bridge.Delivery, error) {
	m, err := o.store.Message(ctx, it.Message)
	if err != nil {
		return bridge.Delivery{}, err
	}
	c, err := o.store.Conversation(ctx, it.Conversation)
	if err != nil {
		return bridge.Delivery{}, err
	}
	if c.Unreachable != "" {
		return bridge.Delivery{}, fmt.Errorf("%w: %s", bridge.ErrUnreachable, c.Unreachable)
	}
	refs, err := o.store.References(ctx, c.ID, c.Channel)
	if err != nil {
		return bridge.Delivery{}, err
	}
	d := bridge.Delivery{
		Conversation: c.ID, Message: m.ID, Address: c.Address, CustomerName: c.CustomerName,
		Subject: c.Subject, Author: m.Author, Text: m.Body, Attachments: m.Attachments, References: refs,
	}
	if it.Payload != "" {
		var p bridge.CustomerSendPayload
		if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
			return bridge.Delivery{}, bridge.Permanent(fmt.Errorf("bad customer send payload: %w", err))
		}
		d.Template = p.Template
	}
	return d, nil
}

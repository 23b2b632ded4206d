package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// outcome says what happened to one inbound email.
type outcome string

const (
	outDelivered outcome = "delivered"
	outDuplicate outcome = "duplicate"
	outSkipped   outcome = "skipped" // auto-reply, bounce, our own mail, unreadable
)

// handle turns one raw email into a delivery. A nil error means the email
// is dealt with (delivered, a duplicate, or deliberately dropped) and may
// be acknowledged upstream; an error means it must be tried again.
// tooBig > 0 means only the header was fetched because the email was that
// many bytes.
func (a *Adapter) handle(ctx context.Context, in bridge.Inbox, raw []byte, tooBig int64) (outcome, error) {
	p, err := Parse(raw, a.limits)
	if err != nil {
		a.log.Warn("email: unreadable message skipped", "err", err, "bytes", len(raw))
		return outSkipped, nil
	}
	log := a.log.With("message_id", p.MessageID, "from", p.From.Email)
	if p.Auto != AutoNone {
		a.handleAuto(ctx, &p)
		return outSkipped, nil
	}
	if p.From.Email == "" {
		log.Warn("email: message without a sender skipped", "subject", p.Subject)
		return outSkipped, nil
	}
	if a.ours(p.From.Email) {
		log.Info("email: our own message skipped (mail loop guard)", "subject", p.Subject)
		return outSkipped, nil
	}
	m := a.inbound(&p)
	if tooBig > 0 {
		m.Text = fmt.Sprintf("[This email was %s, over the %s limit, and was not downloaded. Read it in the mailbox: %s]",
			formatSize(tooBig), formatSize(a.cfg.MaxMessageBytes), a.cfg.IMAP.Mailbox)
	} else {
		atts, notes, err := a.saveAttachments(p.Attachments)
		if err != nil {
			return "", err
		}
		m.Attachments = atts
		if len(notes) > 0 {
			m.Text = strings.TrimSpace(m.Text + "\n\n" + strings.Join(notes, "\n"))
		}
	}
	if strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 {
		m.Text = "[empty email]"
		if p.Subject != "" {
			m.Text = "[empty email] Subject: " + p.Subject
		}
	}
	res, err := in.Deliver(ctx, m)
	var rej *bridge.RejectionError
	switch {
	case errors.As(err, &rej):
		log.Warn("email: message refused; skipped", "reason", rej.Reason)
		return outSkipped, nil
	case err != nil:
		return "", err
	case res.Duplicate:
		log.Debug("email: already stored", "conversation", res.Conversation)
		return outDuplicate, nil
	}
	log.Info("email: delivered", "conversation", res.Conversation, "created", res.Created, "attachments", len(m.Attachments))
	return outDelivered, nil
}

// inbound maps a parsed email to the engine's message.
func (a *Adapter) inbound(p *Parsed) bridge.InboundMessage {
	who := p.From
	// Contact forms send as themselves with the customer in Reply-To.
	if len(p.ReplyTo) == 1 && p.ReplyTo[0].Email != "" && p.ReplyTo[0].Email != who.Email && !a.ours(p.ReplyTo[0].Email) {
		name := p.ReplyTo[0].Name
		if name == "" {
			name = who.Name
		}
		who = Address{Name: name, Email: p.ReplyTo[0].Email}
	}
	m := bridge.InboundMessage{
		Channel: Platform, ExternalID: p.MessageID, Address: who.Email, Email: who.Email, Name: who.Name,
		Subject: p.Subject, Text: p.Text, SentAt: p.Date, References: p.ThreadRefs(), StartsThread: true, ThreadBySubject: true,
	}
	if conv, ok := a.continuation(p); ok {
		m.ConversationHint, m.SignedHint = conv, true
	} else {
		m.ConversationHint = a.hint(p)
	}
	m.To = a.recipients(p, who.Email)
	return m
}

// recipients lists the addresses of ours the email was sent to, for
// routing rules (when.to) and the conversation's entry point: To and Cc
// addresses on one of our domains (From's, Reply-To's, or a domain the
// mail server delivered to), then the addresses the mail server says it
// delivered to (Delivered-To, X-Original-To, Envelope-To). Written
// addresses come first, so an alias such as sales@ pointed at the support
// mailbox is named before the mailbox itself. Other recipients the
// customer copied are left out.
func (a *Adapter) recipients(p *Parsed, customer string) []string {
	domainOf := func(addr string) string {
		_, d, _ := strings.Cut(addr, "@")
		return d
	}
	ours := map[string]bool{domainOf(a.from.Address): true}
	if a.replyTo != nil {
		ours[domainOf(a.replyTo.Address)] = true
	}
	for _, d := range p.DeliveredTo {
		ours[domainOf(d)] = true
	}
	var out []string
	add := func(addr string) {
		addr = strings.ToLower(strings.TrimSpace(addr))
		if addr == "" || addr == customer || addr == p.From.Email || slices.Contains(out, addr) {
			return
		}
		out = append(out, addr)
	}
	for _, l := range [][]Address{p.To, p.Cc} {
		for _, x := range l {
			if ours[domainOf(x.Email)] {
				add(x.Email)
			}
		}
	}
	for _, d := range p.DeliveredTo {
		add(d)
	}
	return out
}

// hint finds an explicit conversation: a signed plus-address token first,
// then a "[#42]" subject token. The engine accepts a hint only for a
// conversation of the same customer.
func (a *Adapter) hint(p *Parsed) bridge.ConversationID {
	var rcpts []string
	for _, l := range [][]Address{p.To, p.Cc} {
		for _, x := range l {
			rcpts = append(rcpts, x.Email)
		}
	}
	rcpts = append(rcpts, p.DeliveredTo...)
	for _, r := range rcpts {
		if tok, ok := a.plusToken(r); ok {
			if id, ok := a.sign.parsePlusToken(tok); ok {
				return id
			}
		}
	}
	return subjectToken(p.Subject)
}

// continuation finds the conversation of another channel this email
// answers (Continue): a continuation Reply-To token, or a continuation
// Message-ID among its references (the newest first), signed for the
// address it comes from. A forward answered by someone else, or a token
// copied into another sender's mail, finds nothing.
func (a *Adapter) continuation(p *Parsed) (bridge.ConversationID, bool) {
	sender := strings.ToLower(p.From.Email)
	for _, l := range [][]Address{p.To, p.Cc} {
		for _, x := range l {
			if tok, ok := a.plusToken(x.Email); ok {
				if id, ok := a.sign.parseChatPlusToken(tok, sender); ok {
					return id, true
				}
			}
		}
	}
	for _, r := range p.DeliveredTo {
		if tok, ok := a.plusToken(r); ok {
			if id, ok := a.sign.parseChatPlusToken(tok, sender); ok {
				return id, true
			}
		}
	}
	refs := p.ThreadRefs()
	for i := len(refs) - 1; i >= 0; i-- {
		if id, ok := a.sign.parseChatMessageID(refs[i], sender); ok {
			return id, true
		}
	}
	return 0, false
}

// handleAuto logs an auto-reply, bulk mail or bounce; a bounce of one of
// our replies becomes a staff note in its conversation. Nothing is ever
// sent back.
func (a *Adapter) handleAuto(ctx context.Context, p *Parsed) {
	log := a.log.With("message_id", p.MessageID, "from", p.From.Email, "subject", p.Subject)
	if p.Auto != AutoBounce || p.Bounce == nil {
		log.Info("email: automatic message ignored", "kind", p.Auto, "reason", p.AutoReason)
		return
	}
	b := p.Bounce
	conv, ok := a.sign.parseMessageID(b.OriginalMessageID)
	if !ok {
		conv, ok = a.sign.parseChatMessageID(b.OriginalMessageID, b.Recipient)
	}
	log.Info("email: bounce ignored (no conversation opened)", "reason", p.AutoReason, "recipient", b.Recipient,
		"status", b.Status, "our_reply", ok, "conversation", conv)
	if !ok {
		return
	}
	var sb strings.Builder
	sb.WriteString("⚠ An email reply bounced")
	if b.Recipient != "" {
		sb.WriteString(" for " + b.Recipient)
	}
	if b.Status != "" || b.Action != "" {
		fmt.Fprintf(&sb, " (%s)", strings.TrimSpace(b.Action+" "+b.Status))
	}
	if b.Diagnostic != "" {
		sb.WriteString(": " + b.Diagnostic)
	} else if p.Subject != "" {
		sb.WriteString(": " + p.Subject)
	}
	sb.WriteString(". The customer may not have received it.")
	if err := a.core.SystemNote(ctx, conv, Platform, p.MessageID, sb.String()); err != nil {
		log.Warn("email: could not note the bounce in its conversation", "conversation", conv, "err", err)
	}
}

// saveAttachments stores kept attachments under Deps.AttachmentsDir
// (content-addressed, so a redelivery writes nothing new) and returns notes
// for the ones that were not kept.
func (a *Adapter) saveAttachments(parts []Part) ([]bridge.Attachment, []string, error) {
	var out []bridge.Attachment
	var notes []string
	for _, p := range parts {
		if p.Skipped != "" || p.Data == nil {
			notes = append(notes, fmt.Sprintf("[Attachment %q (%s) was not stored: %s]", p.Name, formatSize(p.Size), p.Skipped))
			continue
		}
		att := bridge.Attachment{Name: p.Name, MIME: p.ContentType, Size: p.Size}
		if a.attachments == "" {
			notes = append(notes, fmt.Sprintf("[Attachment %q (%s) was not stored: no attachments directory]", p.Name, formatSize(p.Size)))
			continue
		}
		path, err := storeFile(a.attachments, p.Name, p.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("store attachment: %w", err)
		}
		att.Path = path
		out = append(out, att)
	}
	return out, notes, nil
}

// storeFile writes data to dir/email/<h2>/<h16>-<name> unless it is there.
func storeFile(dir, name string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	sub := filepath.Join(dir, "email", h[:2])
	path := filepath.Join(sub, h[:16]+"-"+SanitizeFilename(name, ""))
	if rel, err := filepath.Rel(dir, path); err != nil || strings.HasPrefix(rel, "..") {
		return "", errors.New("attachment path escapes the attachments directory")
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == int64(len(data)) {
		return path, nil
	}
	if err := os.MkdirAll(sub, 0o750); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(sub, ".tmp-*")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	if err := os.Chmod(f.Name(), 0o640); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return path, nil
}

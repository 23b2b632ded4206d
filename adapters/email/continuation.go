package email

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

var _ bridge.Continuer = (*Adapter)(nil)

// Continue emails a customer of another channel the replies they left
// unseen there (the web chat's continuation by email): from the support
// address, with the conversation's subject and "[#id]" token, the replies
// in order and the link back, threaded under what was exchanged by email
// in this conversation before (earlier continuations, the customer's
// answers). Its Message-ID and plus-address Reply-To are signed for the
// recipient, so the customer's answer joins the same conversation; an
// answer from anyone else does not. SMTP errors are classified as Send's.
func (a *Adapter) Continue(ctx context.Context, c bridge.Continuation) (bridge.ExternalRef, error) {
	random, err := a.nonce()
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	o, err := a.composeContinuation(c, random)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	if err := a.renderAndSubmit(ctx, o); err != nil {
		return bridge.ExternalRef{}, err
	}
	a.log.Info("email: unseen replies sent", "conversation", c.Conversation, "replies", len(c.Replies), "message_id", o.MessageID, "in_reply_to", o.InReplyTo)
	return bridge.ExternalRef{Platform: Platform, ID: o.MessageID}, nil
}

// composeContinuation builds the email of a continuation; random feeds
// its Message-ID.
func (a *Adapter) composeContinuation(c bridge.Continuation, random []byte) (outgoing, error) {
	to, err := mail.ParseAddress(c.To)
	if err != nil || strings.ContainsAny(c.To, "\r\n") {
		return outgoing{}, bridge.Permanent(fmt.Errorf("%q is not an email address", oneLine(c.To, 100)))
	}
	if len(c.Replies) == 0 {
		return outgoing{}, bridge.Permanent(fmt.Errorf("continuation of %s without replies", c.Conversation))
	}
	to.Address = strings.ToLower(to.Address)
	to.Name = oneLine(c.Name, 200)
	if strings.EqualFold(to.Name, to.Address) {
		to.Name = ""
	}
	id := a.sign.chatMessageID(c.Conversation, random, to.Address, a.domain)
	o := outgoing{From: a.from, To: *to, MessageID: id, Date: a.now(), Subject: replySubject(c.Subject)}
	if a.cfg.SubjectTokenOn() && subjectToken(o.Subject) == 0 {
		o.Subject += " [" + c.Conversation.String() + "]"
	}
	if a.cfg.PlusAddressing {
		base := a.replyBase()
		local, domain, _ := strings.Cut(base.Address, "@")
		o.ReplyTo = &mail.Address{Name: base.Name, Address: local + "+" + a.sign.chatPlusToken(c.Conversation, to.Address) + "@" + domain}
	} else if a.replyTo != nil {
		rt := *a.replyTo
		o.ReplyTo = &rt
	}
	o.thread(c.References)
	o.Text = a.continuationText(c)
	o.HTML = renderHTML(o.Text)
	return o, nil
}

// continuationText is the body of a continuation: the replies in order,
// each under its author, then how to answer.
func (a *Adapter) continuationText(c bridge.Continuation) string {
	who := a.from.Name
	if who == "" {
		who = a.domain
	}
	var b strings.Builder
	if len(c.Replies) == 1 {
		fmt.Fprintf(&b, "You have a reply from %s in the chat that you have not read yet:\n\n", who)
	} else {
		fmt.Fprintf(&b, "You have %d replies from %s in the chat that you have not read yet:\n\n", len(c.Replies), who)
	}
	for _, m := range c.Replies {
		author := oneLine(m.Author, 100)
		if author == "" {
			author = who
		}
		b.WriteString(author + ":\n")
		if text := strings.TrimSpace(strings.ReplaceAll(m.Body, "\r\n", "\n")); text != "" {
			b.WriteString(text + "\n")
		}
		for _, att := range m.Attachments {
			b.WriteString("📎 " + oneLine(att.Name, 200) + " (in the chat)\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("Answer by replying to this email")
	if c.Link != "" {
		b.WriteString(", or continue the chat:\n" + c.Link)
	} else {
		b.WriteString(".")
	}
	return b.String()
}

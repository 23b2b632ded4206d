package webchat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Continue by email. A visitor who gave an email address and leaves a
// staff reply unseen in the chat for offline_email_after gets it by email
// (with the other unseen replies and a link that resumes the chat), and
// their answer to that email joins the conversation.
//
// The decision is an outbox row, not a scheduled scan: the engine queues
// one for EmailFollowUp with every staff reply to a visitor with an
// address (engine.FollowUp), due offline_email_after later. Rows are
// durable (a restart does not lose an unseen reply), retried like every
// send, and lined up per conversation. When one is due, Send looks at
// what the visitor has read (ReadUntil) and what went by email before (the
// notes it leaves) and sends at most one email per offline_email_after.

// FollowUpPlatform names the web chat's email follow-up in the outbox:
// the target of its rows.
const FollowUpPlatform bridge.Platform = "webchat-email"

// followUpNote starts the external id of the note each email leaves in
// the conversation: "webchat-email:<newest reply it carried>:<Message-ID>".
// The notes are the record of what went by email, and when.
const followUpNote = "webchat-email:"

// EmailFollowUp sends visitors the replies they have not seen, by email.
// It is a customer channel of the outbox only (it receives nothing).
type EmailFollowUp struct {
	a     *Adapter
	mail  bridge.Continuer
	after time.Duration
}

var (
	_ bridge.CustomerChannel = (*EmailFollowUp)(nil)
	_ bridge.Pacer           = (*EmailFollowUp)(nil)
)

// EmailFollowUp returns the adapter's email follow-up through mail (the
// email channel), or nil when webchat.offline_email_after is 0. Call it
// before Init: the widget then offers visitors who gave no address to get
// missed replies by email. It needs Init's Deps.Core before it sends.
func (a *Adapter) EmailFollowUp(mail bridge.Continuer) *EmailFollowUp {
	after := a.cfg.OfflineEmail()
	if after <= 0 || mail == nil {
		return nil
	}
	a.emailReplies = true
	return &EmailFollowUp{a: a, mail: mail, after: after}
}

// Name is "webchat-email".
func (f *EmailFollowUp) Name() bridge.Platform { return FollowUpPlatform }

// After is how long a reply may stay unseen before it is emailed.
func (f *EmailFollowUp) After() time.Duration { return f.after }

// FollowsUp: the replies it emails were delivered to the web chat already
// (bridge.FollowUpChannel: no second receipt, no ❌ when email fails).
func (f *EmailFollowUp) FollowsUp() {}

// Run has nothing to receive (answers come in through the email channel);
// it returns when ctx ends.
func (f *EmailFollowUp) Run(ctx context.Context, _ bridge.Inbox) error {
	<-ctx.Done()
	return nil
}

// Pacing is the email channel's.
func (f *EmailFollowUp) Pacing() bridge.Pacing {
	if p, ok := f.mail.(bridge.Pacer); ok {
		return p.Pacing()
	}
	return bridge.Pacing{}
}

// Wanted reports, in the transaction of a staff reply, whether the
// conversation's visitor gave an email address (engine.FollowUp.Wanted).
func (f *EmailFollowUp) Wanted(tx bridge.CursorTx, c bridge.Conversation) (bool, error) {
	v, err := tx.GetCursor(string(Platform), cursorEmail+c.Address)
	return v != "", err
}

// Send is a follow-up row coming due: d is the staff reply that queued it.
// It emails the visitor the replies from d on that they have not seen
// and that no earlier email carried, once one of them has stayed unseen
// for offline_email_after and the last email is that long ago (else it
// asks the outbox to come back then). With nothing to send it succeeds
// without sending.
func (f *EmailFollowUp) Send(ctx context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	a := f.a
	if a.core == nil {
		return bridge.ExternalRef{}, errors.New("webchat: email follow-up without the engine (Init without Deps.Core)")
	}
	visitor, conv := d.Address, d.Conversation
	to, err := a.visitorEmail(ctx, visitor)
	if err != nil || to == "" {
		return bridge.ExternalRef{}, err
	}
	read, err := a.ReadUntil(ctx, visitor)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	msgs, err := a.store.Messages(ctx, conv, 0)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	now := a.now()
	replies, wait, sentAt := f.unseen(msgs, d.Message, read, now)
	switch {
	case len(replies) == 0:
		return bridge.ExternalRef{}, nil // seen, or carried by an earlier email
	case wait > 0:
		return bridge.ExternalRef{}, bridge.RetryAfter(wait, errors.New("webchat: the replies are not unseen long enough yet"))
	case !sentAt.IsZero() && sentAt.Add(f.after).After(now):
		return bridge.ExternalRef{}, bridge.RetryAfter(sentAt.Add(f.after).Sub(now), errors.New("webchat: one email of unseen replies per offline_email_after"))
	}
	refs, err := a.store.References(ctx, conv, f.mail.Name())
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	name := d.CustomerName
	if bridge.IsVisitorHandle(name) {
		name = ""
	}
	ref, err := f.mail.Continue(ctx, bridge.Continuation{Conversation: conv, To: to, Name: name, Subject: d.Subject,
		Replies: replies, Link: a.resumeLink(visitor), References: refs})
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	f.record(ctx, conv, replies[len(replies)-1].ID, ref, to, len(replies))
	return ref, nil
}

// unseen picks what an email would carry now: staff replies by people
// from the reply from on, newer than what the visitor has read and than
// what earlier emails carried (their notes in msgs). wait > 0 when none
// of them has been unseen for offline_email_after yet (come back then);
// sentAt is when the last email went.
func (f *EmailFollowUp) unseen(msgs []bridge.Message, from, read bridge.MessageID, now time.Time) (replies []bridge.Message, wait time.Duration, sentAt time.Time) {
	carried := read
	for _, m := range msgs {
		if upto, ok := followUpNoteOf(m); ok {
			carried = max(carried, upto)
			sentAt = m.CreatedAt
		}
	}
	due := false
	for _, m := range msgs {
		if m.Direction != bridge.DirStaff || m.AuthorID == string(bridge.SystemActor().ID) || m.ID < from || m.ID <= carried {
			continue
		}
		replies = append(replies, m)
		due = due || !m.CreatedAt.Add(f.after).After(now)
	}
	if len(replies) > 0 && !due {
		wait = replies[0].CreatedAt.Add(f.after).Sub(now)
	}
	return replies, wait, sentAt
}

// followUpNoteOf reads the newest reply an email carried from the note it
// left.
func followUpNoteOf(m bridge.Message) (bridge.MessageID, bool) {
	rest, ok := strings.CutPrefix(m.ExternalID, followUpNote)
	if !ok || m.Direction != bridge.DirNote || m.AuthorID != string(bridge.SystemActor().ID) {
		return 0, false
	}
	n, _, _ := strings.Cut(rest, ":")
	id, err := strconv.ParseInt(n, 10, 64)
	return bridge.MessageID(id), err == nil
}

// record leaves the note staff see in the thread ("📧 Sent by email to
// a***@example.com (2 replies …)"), which is also the record of what the
// email carried. The email went: if the database fails, the note is
// retried, not the email, until the send's deadline.
func (f *EmailFollowUp) record(ctx context.Context, conv bridge.ConversationID, upto bridge.MessageID, ref bridge.ExternalRef, to string, n int) {
	a := f.a
	what := "1 reply"
	if n != 1 {
		what = strconv.Itoa(n) + " replies"
	}
	text := fmt.Sprintf("📧 Sent by email to %s (%s not seen in the chat).", MaskEmail(to), what)
	ext := followUpNote + strconv.FormatInt(int64(upto), 10) + ":" + ref.ID
	wait := 100 * time.Millisecond
	for {
		err := a.core.SystemNote(ctx, conv, f.mail.Name(), ext, text)
		if err == nil {
			return
		}
		a.log.Error("webchat: noting an email of unseen replies failed; retrying the note, not the email", "conversation", conv, "err", err)
		if !bridge.Sleep(a.clock, wait, ctx.Done()) {
			return
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// resumeLink is the link back to the chat: webchat.resume_url (or the
// daemon's /chat/continue) with a resume token for visitor.
func (a *Adapter) resumeLink(visitor string) string {
	page := a.cfg.ResumeURL
	if page == "" {
		page = strings.TrimSuffix(a.opts.PublicURL, "/") + "/chat/continue"
	}
	u, err := url.Parse(page)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("tl_resume", a.tokens.issueResume(visitor))
	u.RawQuery = q.Encode()
	return u.String()
}

// MaskEmail shows enough of an address for staff to recognise it without
// spelling it out in the thread: "a***@example.com".
func MaskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// SignatureHeader carries the HMAC-SHA256 of the body, keyed with the app
// secret, on every notification Meta posts: "sha256=<hex>".
const SignatureHeader = "X-Hub-Signature-256"

// Handler serves WhatsApp's webhook: GET answers the callback URL check
// (hub.mode=subscribe with the verify token: hub.challenge comes back),
// POST takes notifications. A POST without a valid signature gets 401 and
// nothing of it is used; a notification is answered 200 only after every
// message in it is stored (any other answer makes Meta send it again).
func (a *Adapter) Handler(in bridge.Inbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			a.verifyCallback(w, r)
		case http.MethodPost:
			a.receive(w, r, in)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// verifyCallback answers Meta's check of the callback URL.
func (a *Adapter) verifyCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" || !sameSecret(q.Get("hub.verify_token"), a.cfg.VerifyToken) {
		a.log.Warn("whatsapp: webhook verification with a wrong verify token refused", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	challenge := q.Get("hub.challenge")
	if !plainChallenge(challenge) {
		http.Error(w, "bad hub.challenge", http.StatusBadRequest)
		return
	}
	a.log.Info("whatsapp: the callback URL was verified")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, challenge)
}

// plainChallenge: the challenge is echoed, so only a short run of letters,
// digits and -_. is (Meta sends a number).
func plainChallenge(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func sameSecret(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// ValidSignature reports whether header ("sha256=<hex>") is the
// HMAC-SHA256 of body keyed with secret, compared in constant time.
func ValidSignature(body []byte, header, secret string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, sign(body, secret))
}

// sign is the HMAC-SHA256 of body keyed with secret (what Meta sends, hex
// encoded after "sha256=").
func sign(body []byte, secret string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return mac.Sum(nil)
}

func (a *Adapter) receive(w http.ResponseWriter, r *http.Request, in bridge.Inbox) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.log.Warn("whatsapp: webhook body too large; refused", "limit", a.opts.MaxBodyBytes)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !ValidSignature(body, r.Header.Get(SignatureHeader), a.cfg.AppSecret) {
		a.log.Warn("whatsapp: webhook request without a valid "+SignatureHeader+" refused", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	n, err := parseNotification(body)
	if err != nil {
		// Signed by Meta but not a notification Threadline reads: sending
		// it again would not change that.
		a.log.Warn("whatsapp: skipping a webhook notification", "bytes", len(body), "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	// Finish storing even if Meta hangs up meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Minute)
	defer cancel()
	if err := a.handle(ctx, in, n); err != nil {
		a.log.Warn("whatsapp: webhook notification not stored; Meta will send it again", "err", err)
		http.Error(w, "not stored, retry later", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handle stores what a notification carries, in order: customer messages,
// then statuses of replies. nil means all of it is done with (stored, a
// duplicate, or skipped) and may be acknowledged.
func (a *Adapter) handle(ctx context.Context, in bridge.Inbox, n notification) error {
	for _, e := range n.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				a.log.Debug("whatsapp: ignoring a webhook field", "field", c.Field)
				continue
			}
			v := c.Value
			if !a.phones[v.Metadata.PhoneNumberID] {
				a.log.Debug("whatsapp: ignoring a notification for a number not in whatsapp.phone_number_ids", "phone_number_id", v.Metadata.PhoneNumberID)
				continue
			}
			for _, m := range v.Messages {
				if err := a.handleMessage(ctx, in, v, m); err != nil {
					return err
				}
			}
			for _, s := range v.Statuses {
				if err := a.handleStatus(ctx, s); err != nil {
					return err
				}
			}
			for _, we := range v.Errors {
				a.log.Warn("whatsapp: Meta reports an error", "phone_number_id", v.Metadata.PhoneNumberID, "error", describe(we))
			}
		}
	}
	return nil
}

// handleMessage stores one customer message (or notes a reaction).
func (a *Adapter) handleMessage(ctx context.Context, in bridge.Inbox, v value, m message) error {
	inc, ok := readMessage(v, m)
	if !ok {
		a.log.Debug("whatsapp: ignoring a message", "type", m.Type, "id", m.ID)
		return nil
	}
	switch {
	case inc.Reaction != nil:
		return a.noteReaction(ctx, inc, m.ID)
	case inc.System != "":
		return a.noteSystem(ctx, inc, m.ID)
	}
	// Meta sends a notification again whole when any part of it failed:
	// what is stored already is not fetched again.
	if _, err := a.store.MessageByExternal(ctx, Platform, m.ID); err == nil {
		return nil
	} else if !errors.Is(err, bridge.ErrNotFound) {
		return err
	}
	if err := a.recordWindow(ctx, inc); err != nil {
		return err
	}
	lastTry := a.tries.Count(m.ID) >= a.opts.MaxTries-1
	msg := inc.Msg
	notes, err := a.fetchFiles(ctx, inc, lastTry, &msg)
	if err != nil {
		a.tries.Failed(m.ID)
		return err
	}
	if len(notes) > 0 {
		msg.Text = strings.TrimSpace(msg.Text + "\n" + strings.Join(notes, "\n"))
	}
	res, err := in.Deliver(ctx, msg)
	var rej *bridge.RejectionError
	switch {
	case errors.Is(err, bridge.ErrDuplicate):
	case errors.As(err, &rej):
		a.log.Warn("whatsapp: message refused; skipped", "id", m.ID, "reason", rej.Reason)
	case err != nil:
		a.tries.Failed(m.ID)
		return err
	default:
		a.log.Debug("whatsapp: message stored", "id", m.ID, "conversation", res.Conversation, "duplicate", res.Duplicate)
	}
	a.tries.Done(m.ID)
	return nil
}

// noteReaction notes a customer's reaction in the conversation of the
// message reacted to, as a staff-only note: a reaction is not a new
// request (it neither reopens the conversation nor restarts its SLA),
// but staff should see the thumbs-up on their answer.
func (a *Adapter) noteReaction(ctx context.Context, inc incoming, id string) error {
	target, err := a.store.MessageByExternal(ctx, Platform, inc.Reaction.Target)
	if errors.Is(err, bridge.ErrNotFound) {
		a.log.Debug("whatsapp: a reaction to a message Threadline does not know; ignored", "id", id)
		return nil
	}
	if err != nil {
		return err
	}
	who := firstNonEmpty(inc.Msg.Name, "The customer")
	text := fmt.Sprintf("%s reacted %s to: “%s”", who, inc.Reaction.Emoji, clip(firstLine(target.Body), 80))
	return a.core.SystemNote(ctx, target.Conversation, Platform, id, text)
}

// noteSystem notes a WhatsApp system message (the customer changed their
// number) in the customer's latest conversation on this number.
func (a *Adapter) noteSystem(ctx context.Context, inc incoming, id string) error {
	last, err := a.store.CustomerMessages(ctx, Platform, inc.Msg.Address, 0, 1)
	if err != nil {
		return err
	}
	if len(last) == 0 {
		return nil
	}
	return a.core.SystemNote(ctx, last[0].Conversation, Platform, id, "WhatsApp: "+clip(inc.System, 500))
}

// handleStatus turns a status of a reply into a receipt, once.
func (a *Adapter) handleStatus(ctx context.Context, s status) error {
	r, ok := statusNote(s, a.windowAdvice())
	if !ok {
		return nil
	}
	key := s.ID + ":" + s.Status
	if seen, err := a.store.SeenEvent(ctx, statusEvents, key); err != nil || seen {
		return err
	}
	if err := a.core.Receipt(ctx, r); err != nil {
		return err
	}
	_, err := a.store.MarkEvent(ctx, statusEvents, key)
	return err
}

// statusEvents is the event log source of statuses already shown.
const statusEvents = "whatsapp-status"

// recordWindow remembers when the customer last wrote to this number (the
// message's own time, as WhatsApp counts its window from it), for Send's
// window check. It is kept by address, not by conversation: the window
// belongs to the pair of numbers, whichever conversation a reply is in.
func (a *Adapter) recordWindow(ctx context.Context, inc incoming) error {
	at := inc.Msg.SentAt
	if now := a.now(); at.IsZero() || at.After(now.Add(5*time.Minute)) {
		at = now
	}
	key := windowKey(inc.Msg.Address)
	prev, err := a.store.Cursor(ctx, string(Platform), key)
	if err != nil {
		return err
	}
	if p, err := strconv.ParseInt(prev, 10, 64); err == nil && p >= at.Unix() {
		return nil
	}
	return a.store.SetCursor(ctx, string(Platform), key, strconv.FormatInt(at.Unix(), 10))
}

func windowKey(address string) string { return "window:" + address }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// clip cuts s to at most n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

package email

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// signer makes the ids Threadline puts in outgoing mail unguessable and
// checkable: plus-address tokens and Message-IDs carry a short HMAC.
type signer struct{ key []byte }

func (s signer) sig(n int, parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))[:n]
}

// plusToken is the part after "+" in a Reply-To address: "<conv>.<hmac>".
func (s signer) plusToken(conv bridge.ConversationID) string {
	id := strconv.FormatInt(int64(conv), 10)
	return id + "." + s.sig(10, "plus", id)
}

var plusTokenRe = regexp.MustCompile(`^([1-9][0-9]{0,17})\.([0-9a-f]{10})$`)

// parsePlusToken checks a token made by plusToken.
func (s signer) parsePlusToken(tok string) (bridge.ConversationID, bool) {
	m := plusTokenRe.FindStringSubmatch(strings.ToLower(tok))
	if m == nil || !hmac.Equal([]byte(m[2]), []byte(s.sig(10, "plus", m[1]))) {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return bridge.ConversationID(n), err == nil
}

// messageID builds the Message-ID of an outgoing reply:
// <threadline.<conv>.<msg>.<random><hmac>@<domain>>.
func (s signer) messageID(conv bridge.ConversationID, msg bridge.MessageID, random []byte, domain string) string {
	c, m := strconv.FormatInt(int64(conv), 10), strconv.FormatInt(int64(msg), 10)
	r := hex.EncodeToString(random)
	return "<threadline." + c + "." + m + "." + r + s.sig(8, "mid", c, m, r) + "@" + domain + ">"
}

var ourIDRe = regexp.MustCompile(`^<threadline\.([1-9][0-9]{0,17})\.([0-9]{1,19})\.([0-9a-f]+)([0-9a-f]{8})@[^>]+>$`)

// parseMessageID recognises a Message-ID made by messageID (for bounces of
// our own replies).
func (s signer) parseMessageID(id string) (bridge.ConversationID, bool) {
	m := ourIDRe.FindStringSubmatch(id)
	if m == nil || !hmac.Equal([]byte(m[4]), []byte(s.sig(8, "mid", m[1], m[2], m[3]))) {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return bridge.ConversationID(n), err == nil
}

var subjectTokenRe = regexp.MustCompile(`\[#([1-9][0-9]{0,17})\]`)

// subjectToken finds a "[#42]" conversation token in a subject.
func subjectToken(subject string) bridge.ConversationID {
	m := subjectTokenRe.FindStringSubmatch(subject)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return bridge.ConversationID(n)
}

// replySubject is the subject of a reply: the conversation's subject with
// one "Re: " in front.
func replySubject(subject string) string {
	s := oneLine(subject, 900)
	if s == "" {
		return "Re: your message"
	}
	if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
		return "Re: " + strings.TrimSpace(s[3:])
	}
	return "Re: " + s
}

// Continuation tokens: what we put in an email carrying another channel's
// unseen replies (bridge.Continuation) is signed for the address it went
// to, so that only an answer from that address may join a conversation of
// another channel (bridge.InboundMessage.SignedHint). They carry 64 bits
// of HMAC, more than the same-channel tokens above: they open more.

// chatPlusToken is the Reply-To token of a continuation: "c<conv>.<hmac>".
func (s signer) chatPlusToken(conv bridge.ConversationID, to string) string {
	id := strconv.FormatInt(int64(conv), 10)
	return "c" + id + "." + s.sig(16, "chat+", id, strings.ToLower(to))
}

var chatPlusRe = regexp.MustCompile(`^c([1-9][0-9]{0,17})\.([0-9a-f]{16})$`)

// parseChatPlusToken checks a continuation Reply-To token for sender.
func (s signer) parseChatPlusToken(tok, sender string) (bridge.ConversationID, bool) {
	m := chatPlusRe.FindStringSubmatch(strings.ToLower(tok))
	if m == nil || sender == "" || !hmac.Equal([]byte(m[2]), []byte(s.sig(16, "chat+", m[1], strings.ToLower(sender)))) {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return bridge.ConversationID(n), err == nil
}

// chatMessageID is the Message-ID of a continuation:
// <threadline.chat.<conv>.<random><hmac>@<domain>>.
func (s signer) chatMessageID(conv bridge.ConversationID, random []byte, to, domain string) string {
	c, r := strconv.FormatInt(int64(conv), 10), hex.EncodeToString(random)
	return "<threadline.chat." + c + "." + r + s.sig(16, "chat", c, r, strings.ToLower(to)) + "@" + domain + ">"
}

var chatIDRe = regexp.MustCompile(`^<threadline\.chat\.([1-9][0-9]{0,17})\.([0-9a-f]{12})([0-9a-f]{16})@[^>]+>$`)

// parseChatMessageID checks a continuation Message-ID for the address it
// was sent to (the sender of an answer, or a bounce's recipient).
func (s signer) parseChatMessageID(id, to string) (bridge.ConversationID, bool) {
	m := chatIDRe.FindStringSubmatch(id)
	if m == nil || to == "" || !hmac.Equal([]byte(m[3]), []byte(s.sig(16, "chat", m[1], m[2], strings.ToLower(to)))) {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return bridge.ConversationID(n), err == nil
}

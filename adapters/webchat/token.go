package webchat

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Token errors.
var (
	ErrBadToken     = errors.New("invalid visitor token")
	ErrExpiredToken = errors.New("visitor token expired")
)

// tokens issues and verifies visitor tokens: "v1.<visitor>.<issued>.<mac>",
// where mac is HMAC-SHA256 over the first three parts. The visitor id is
// random; nothing secret is inside, the signature makes it unforgeable.
type tokens struct {
	key    []byte
	maxAge time.Duration
	now    func() time.Time
}

func newVisitorID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (t tokens) mac(payload string) string {
	h := hmac.New(sha256.New, t.key)
	h.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// equalMAC compares a MAC from a request with the expected one in constant time.
func equalMAC(got, want string) bool { return hmac.Equal([]byte(got), []byte(want)) }

// issue returns a token for visitor.
func (t tokens) issue(visitor string) string { return t.sign("v1", visitor) }

// verify returns the visitor id of a valid token.
func (t tokens) verify(token string) (string, error) { return t.check(token, "v1", t.maxAge) }

// resumeMaxAge is how long the link in an email of unseen replies resumes
// the chat.
const resumeMaxAge = 30 * 24 * time.Hour

// issueResume returns a resume token for visitor: "r1.<visitor>.<issued>.<mac>",
// for the link back to the chat in an email of unseen replies. Whoever
// has the link can continue the chat as the visitor (like the email it
// came in), for resumeMaxAge.
func (t tokens) issueResume(visitor string) string { return t.sign("r1", visitor) }

// verifyResume returns the visitor of a valid resume token.
func (t tokens) verifyResume(token string) (string, error) {
	return t.check(token, "r1", resumeMaxAge)
}

// sign returns "<kind>.<visitor>.<now>.<mac>".
func (t tokens) sign(kind, visitor string) string {
	payload := kind + "." + visitor + "." + strconv.FormatInt(t.now().Unix(), 10)
	return payload + "." + t.mac(payload)
}

// check returns the visitor of a token of kind that sign made at most
// maxAge ago (and at most 5 minutes ahead: clock skew).
func (t tokens) check(token, kind string, maxAge time.Duration) (string, error) {
	if len(token) > 200 {
		return "", ErrBadToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != kind || len(parts[1]) != 22 {
		return "", ErrBadToken
	}
	payload := strings.Join(parts[:3], ".")
	if !equalMAC(parts[3], t.mac(payload)) {
		return "", ErrBadToken
	}
	issued, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", ErrBadToken
	}
	if age := t.now().Sub(time.Unix(issued, 0)); age > maxAge || age < -5*time.Minute {
		return "", ErrExpiredToken
	}
	return parts[1], nil
}

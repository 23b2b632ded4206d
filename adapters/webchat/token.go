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
func (t tokens) issue(visitor string) string {
	payload := "v1." + visitor + "." + strconv.FormatInt(t.now().Unix(), 10)
	return payload + "." + t.mac(payload)
}

// verify returns the visitor id of a valid token.
func (t tokens) verify(token string) (string, error) {
	if len(token) > 200 {
		return "", ErrBadToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != "v1" || len(parts[1]) != 22 {
		return "", ErrBadToken
	}
	payload := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(t.mac(payload))) {
		return "", ErrBadToken
	}
	issued, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", ErrBadToken
	}
	age := t.now().Sub(time.Unix(issued, 0))
	if age > t.maxAge || age < -5*time.Minute {
		return "", ErrExpiredToken
	}
	return parts[1], nil
}

// resumeMaxAge is how long the link in an email of unseen replies resumes
// the chat.
const resumeMaxAge = 30 * 24 * time.Hour

// issueResume returns a resume token for visitor: "r1.<visitor>.<issued>.<mac>",
// for the link back to the chat in an email of unseen replies. Whoever
// has the link can continue the chat as the visitor (like the email it
// came in), for resumeMaxAge.
func (t tokens) issueResume(visitor string) string {
	payload := "r1." + visitor + "." + strconv.FormatInt(t.now().Unix(), 10)
	return payload + "." + t.mac(payload)
}

// verifyResume returns the visitor of a valid resume token.
func (t tokens) verifyResume(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(token) > 200 || len(parts) != 4 || parts[0] != "r1" || len(parts[1]) != 22 {
		return "", ErrBadToken
	}
	payload := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(t.mac(payload))) {
		return "", ErrBadToken
	}
	issued, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", ErrBadToken
	}
	if age := t.now().Sub(time.Unix(issued, 0)); age > resumeMaxAge || age < -5*time.Minute {
		return "", ErrExpiredToken
	}
	return parts[1], nil
}

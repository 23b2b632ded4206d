package bridge

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors callers branch on.
var (
	ErrNotFound            = errors.New("not found")
	ErrUnknownConversation = errors.New("this thread is not linked to a Threadline conversation")
	ErrConversationClosed  = errors.New("conversation is closed")
	ErrThreadGone          = errors.New("staff thread no longer exists")
	ErrSchemaTooNew        = errors.New("database schema is newer than this binary")
	ErrDuplicate           = errors.New("already stored")
	ErrPermissionDenied    = errors.New("permission denied")
	ErrUnreachable         = errors.New("customer cannot be reached on this channel")
)

// A RejectionError is a refusal meant to be shown to the person who asked
// (staff or customer); its text explains why and what to do.
type RejectionError struct{ Reason string }

func (e *RejectionError) Error() string { return e.Reason }

// Reject builds a RejectionError.
func Reject(format string, args ...any) error {
	return &RejectionError{Reason: fmt.Sprintf(format, args...)}
}

// permanentError marks a delivery failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: the outbox dead-letters it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err (or what it wraps) was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// RateLimitError asks the outbox to wait before trying the destination again.
type RateLimitError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitError) Error() string {
	msg := "rate limited"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("%s (retry after %s)", msg, e.RetryAfter)
}
func (e *RateLimitError) Unwrap() error { return e.Err }

// RetryAfter wraps err as a rate-limit answer.
func RetryAfter(d time.Duration, err error) error { return &RateLimitError{RetryAfter: d, Err: err} }

// HTTPStatusError classifies an HTTP answer from a platform API the way the
// outbox needs it: 429 -> RateLimitError (Retry-After honoured), other 4xx ->
// Permanent, 5xx and anything else -> transient.
func HTTPStatusError(status int, retryAfter string, body string, now time.Time) error {
	body = strings.TrimSpace(body)
	if len(body) > 300 {
		body = body[:300] + "..."
	}
	err := fmt.Errorf("HTTP %d: %s", status, body)
	switch {
	case status == http.StatusTooManyRequests:
		return RetryAfter(ParseRetryAfter(retryAfter, now), err)
	case status == http.StatusRequestTimeout:
		return err
	case status >= 400 && status < 500:
		return Permanent(err)
	}
	return err
}

// ParseRetryAfter reads a Retry-After header (seconds or an HTTP date);
// unparseable or missing values mean one second.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Second
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}

// FieldError is a configuration problem at a path relative to the section
// being validated ("allowed_origins[1]"); the config loader adds the section
// prefix and the file line.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// FieldErrorf builds a FieldError.
func FieldErrorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

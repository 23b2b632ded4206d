package fakemattermost

import (
	"net/http"
	"net/http/httptest"
	"strconv"
)

// Fault is what one REST call answers instead of its normal result.
type Fault struct {
	// Status answers with this HTTP status and an AppError body (500, 503,
	// 400, ...). 429 is answered as Mattermost's rate limiter does: a
	// plain-text "limit exceeded" with X-Ratelimit-* headers.
	Status int
	// RetryAfter (seconds) is sent as Retry-After and X-Ratelimit-Reset
	// with a 429.
	RetryAfter int
	// ResetOnly sends only X-Ratelimit-Reset with a 429, no Retry-After.
	ResetOnly bool
	// Drop closes the connection without answering; the call is not performed.
	Drop bool
	// Lost performs the call, then closes the connection: the answer is lost.
	Lost bool
}

type limit struct {
	route      string
	remaining  int
	retryAfter int
}

// SetFaults installs fn, asked before every REST call with the call's
// route ("POST /api/v4/posts", "PUT /api/v4/posts/{id}/patch"); a non-nil
// Fault is answered instead. nil removes it.
func (s *Server) SetFaults(fn func(route string) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fn == nil {
		s.faultFn = nil
		return
	}
	s.faultFn = func(_, route string) *Fault { return fn(route) }
}

// RateLimit answers the next n calls of route with 429 and Retry-After.
func (s *Server) RateLimit(route string, n, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, &limit{route: route, remaining: n, retryAfter: retryAfterSeconds})
}

// FaultCount is how many calls were answered with a fault (rate limits included).
func (s *Server) FaultCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faulted
}

// fault decides what a call gets instead of its answer (nil: the answer).
func (s *Server) fault(method, route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.limits {
		if l.route == route && l.remaining > 0 {
			l.remaining--
			s.faulted++
			return &Fault{Status: http.StatusTooManyRequests, RetryAfter: l.retryAfter}
		}
	}
	if s.faultFn != nil {
		if f := s.faultFn(method, route); f != nil {
			s.faulted++
			return f
		}
	}
	return nil
}

// withFault answers f, or runs next (Lost: runs it, then drops the answer).
func withFault(w http.ResponseWriter, r *http.Request, f *Fault, next http.HandlerFunc) {
	switch {
	case f.Drop:
		hangUp(w)
	case f.Lost:
		next(httptest.NewRecorder(), r)
		hangUp(w)
	case f.Status == http.StatusTooManyRequests:
		h := w.Header()
		h.Set("X-Ratelimit-Limit", "10")
		h.Set("X-Ratelimit-Remaining", "0")
		h.Set("X-Ratelimit-Reset", strconv.Itoa(f.RetryAfter))
		if !f.ResetOnly {
			h.Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		http.Error(w, "limit exceeded", http.StatusTooManyRequests)
	default:
		appError(w, f.Status, "fake.fault", http.StatusText(f.Status))
	}
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	w.WriteHeader(http.StatusBadGateway)
}

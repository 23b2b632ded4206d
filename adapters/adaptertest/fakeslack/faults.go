package fakeslack

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Fault is what one Web API call answers instead of its normal result.
type Fault struct {
	Status     int    // HTTP status (500, 503, 429, ...); 0 with Error means 200
	RetryAfter int    // seconds, sent as Retry-After (with 429)
	Error      string // answer {"ok":false,"error":Error}
	Body       string // answer this raw body (e.g. malformed JSON)
	Drop       bool   // close the connection without answering (a reset)
	Hang       bool   // answer nothing until the client gives up (a timeout)
	Lost       bool   // perform the call, then close the connection: the answer is lost
}

// SetFaults installs fn, asked before every Web API call (after RateLimit
// and FailNext); a non-nil Fault is answered instead of the call, which is
// then not performed. nil removes it. Tests use it for fault storms.
func (s *Server) SetFaults(fn func(method string) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFn = fn
}

// Hold makes calls of method wait before they are performed, until release
// is called; a call whose client gives up first is not performed. Held
// reports how many calls are waiting.
func (s *Server) Hold(method string) (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.holds[method] = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		if s.holds[method] == ch {
			delete(s.holds, method)
		}
		s.mu.Unlock()
		close(ch)
	}
}

// Held is the number of calls waiting on Hold.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// FaultCount is how many calls SetFaults's function failed.
func (s *Server) FaultCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faulted
}

// wait blocks a call on a Hold; it reports false if the client went away.
// Call without mu.
func (s *Server) wait(r *http.Request, ch chan struct{}) bool {
	s.mu.Lock()
	s.held++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.held--
		s.mu.Unlock()
	}()
	select {
	case <-ch:
		return r.Context().Err() == nil // released after the client left: nothing happens
	case <-r.Context().Done():
		return false
	case <-s.stop:
		return false
	}
}

func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	switch {
	case f.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		w.WriteHeader(http.StatusBadGateway)
		return
	case f.Hang:
		// The server notices the client giving up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-s.stop:
		case <-time.After(time.Minute):
		}
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	body := f.Body
	if body == "" && f.Error != "" {
		body = fmt.Sprintf(`{"ok":false,"error":%q}`, f.Error)
	}
	if body == "" {
		body = http.StatusText(status)
		w.Header().Set("Content-Type", "text/plain")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Package fakeopenai is a loopback fake of the OpenAI chat-completions API
// (POST /v1/chat/completions, as Ollama, llama.cpp's server and vLLM also
// serve it), for tests of the optional AI drafts. It checks each request
// the way the API documents it (JSON body with model and messages, roles
// system/user/assistant, stream off) and answers what the test scripted:
// a reply, an error status with the API's error body, a 429 with
// Retry-After, or a delay longer than the client waits.
package fakeopenai

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Path is where the API takes chat completions.
const Path = "/v1/chat/completions"

// Message is one chat message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is a chat-completion request as the fake received it.
type Request struct {
	Model         string    `json:"model"`
	Messages      []Message `json:"messages"`
	Stream        *bool     `json:"stream,omitempty"`
	Temperature   *float64  `json:"temperature,omitempty"`
	MaxTokens     int       `json:"max_tokens,omitempty"`
	Authorization string    `json:"-"`
}

// System is the request's system message ("" if none).
func (r Request) System() string {
	for _, m := range r.Messages {
		if m.Role == "system" {
			return m.Content
		}
	}
	return ""
}

// User is the request's last user message.
func (r Request) User() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Response is what the fake answers one request with.
type Response struct {
	// Content is the assistant's reply (status 200).
	Content string
	// Status, if not 200, answers with the API's error body carrying
	// Error as its message.
	Status int
	Error  string
	// RetryAfter is sent as the Retry-After header (429s).
	RetryAfter string
	// Delay holds the answer back (a client's timeout fires first when it
	// is longer); the request's cancellation ends it early.
	Delay time.Duration
	// Raw, if set, is sent as the body as it is (malformed answers).
	Raw string
}

// Server is the running fake.
type Server struct {
	*httptest.Server
	// Key, if set, is the API key every request must bear.
	Key string

	mu       sync.Mutex
	script   []Response
	reply    func(Request) Response
	requests []Request
}

// New starts a fake whose default reply is "Reply to: <last user
// message's first line>"; Close it when done.
func New() *Server {
	s := &Server{reply: func(r Request) Response {
		first, _, _ := strings.Cut(r.User(), "\n")
		return Response{Content: "Reply to: " + first}
	}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is the URL a client is configured with (ending in /v1).
func (s *Server) BaseURL() string { return s.Server.URL + "/v1" }

// Push scripts the next responses, in order; after them the default
// reply (or the one set with Reply) answers.
func (s *Server) Push(rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, rs...)
}

// Reply sets how unscripted requests are answered.
func (s *Server) Reply(fn func(Request) Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reply = fn
}

// Requests lists the well-formed requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		apiError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path), "invalid_request_error")
		return
	}
	if r.Method != http.MethodPost {
		apiError(w, http.StatusMethodNotAllowed, "use POST", "invalid_request_error")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		apiError(w, http.StatusBadRequest, "Content-Type must be application/json, not "+ct, "invalid_request_error")
		return
	}
	auth := r.Header.Get("Authorization")
	if s.Key != "" && auth != "Bearer "+s.Key {
		apiError(w, http.StatusUnauthorized, "Incorrect API key provided.", "invalid_request_error")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error(), "invalid_request_error")
		return
	}
	var req Request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "We could not parse the JSON body of your request: "+err.Error(), "invalid_request_error")
		return
	}
	req.Authorization = auth
	switch {
	case req.Model == "":
		apiError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error")
		return
	case len(req.Messages) == 0:
		apiError(w, http.StatusBadRequest, "messages must not be empty", "invalid_request_error")
		return
	case req.Stream != nil && *req.Stream:
		apiError(w, http.StatusBadRequest, "this fake answers only with stream off (one JSON body)", "invalid_request_error")
		return
	}
	for _, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			apiError(w, http.StatusBadRequest, fmt.Sprintf("invalid role %q", m.Role), "invalid_request_error")
			return
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var resp Response
	if len(s.script) > 0 {
		resp, s.script = s.script[0], s.script[1:]
	} else {
		resp = s.reply(req)
	}
	s.mu.Unlock()

	if resp.Delay > 0 {
		t := time.NewTimer(resp.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if resp.RetryAfter != "" {
		w.Header().Set("Retry-After", resp.RetryAfter)
	}
	switch {
	case resp.Raw != "":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(max(resp.Status, http.StatusOK))
		io.WriteString(w, resp.Raw)
	case resp.Status != 0 && resp.Status != http.StatusOK:
		kind := "server_error"
		if resp.Status == http.StatusTooManyRequests {
			kind = "rate_limit_exceeded"
		}
		apiError(w, resp.Status, resp.Error, kind)
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
				"message": map[string]string{"role": "assistant", "content": resp.Content}}},
			"usage": map[string]int{"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
		})
	}
}

// apiError writes the API's error body.
func apiError(w http.ResponseWriter, status int, msg, kind string) {
	if msg == "" {
		msg = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": kind, "param": nil, "code": nil}})
}

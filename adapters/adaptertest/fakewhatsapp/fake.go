// Package fakewhatsapp is a loopback fake of Meta's WhatsApp Business
// Cloud API for tests, written from Meta's documentation (docs/whatsapp.md
// lists the facts it relies on): the Graph API endpoints a customer
// channel uses (send messages, upload, retrieve and download media, read
// a phone number) and the messages webhook, which it posts to the daemon
// signed with the app secret and sends again until it is answered 200, as
// Meta does. It enforces the 24-hour customer-service window (131047) and
// the approved templates (132001), records what was sent, and injects
// faults (429, 5xx, answers lost after the work was done). Every API
// request is checked against the documented shapes (contract.go). It is
// safe for concurrent use.
package fakewhatsapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
)

// Version is the Graph API version the fake serves (URL() ends with it).
const Version = "v23.0"

// Defaults tests may use.
const (
	Token       = "EAAG-fake-whatsapp-system-user-token-0123456789"
	AppSecret   = "fake-app-secret-0123456789abcdef"
	VerifyToken = "fake-verify-token"
)

// WebhookRetry is how long the pusher waits after a webhook answer that
// was not 200 before sending the same notification again.
const WebhookRetry = 50 * time.Millisecond

// Window is WhatsApp's customer-service window, as the fake enforces it.
const Window = 24 * time.Hour

// Number is a business phone number of the account.
type Number struct {
	ID           string // phone number id
	Display      string // display_phone_number, digits
	VerifiedName string
}

// DefaultNumber is the business number New registers when given none.
var DefaultNumber = Number{ID: "106540352242922", Display: "15550783881", VerifiedName: "ACME Support"}

// Customer is a WhatsApp user writing to a business number.
type Customer struct {
	WaID string // digits, e.g. 16505551234
	Name string // profile name
}

// Sent is one message the business sent.
type Sent struct {
	ID       string // wamid
	PhoneID  string // the business number it was sent from
	To       string
	Type     string // text, image, video, audio, document, template
	Text     string // text body, or caption
	Preview  bool   // text.preview_url
	Template *SentTemplate
	Media    *Media // the uploaded file, for media messages
	Filename string
	At       time.Time
}

// SentTemplate is a template message as sent.
type SentTemplate struct {
	Name     string
	Language string
	Params   []string
}

// Media is a file the fake stores: sent by a customer, or uploaded.
type Media struct {
	ID   string
	MIME string
	Name string
	Data []byte
}

// Template is an approved message template.
type Template struct {
	Name     string
	Language string
	Params   int // number of body parameters
}

// Fault makes one upcoming call of an operation fail. Operations:
// "messages" (send), "upload", "retrieve" (GET /{media-id}), "download"
// (the media URL), "phone" (GET /{phone-number-id}).
type Fault struct {
	Pass       bool   // no fault: the call is handled normally (to fail a later call)
	Status     int    // HTTP status (default 400, or 429 for rate-limit codes)
	Code       int    // error.code (130429, 131056, 131000, ...)
	Message    string // error.message (default: Meta's title for Code)
	Details    string // error.error_data.details
	RetryAfter int    // Retry-After header, seconds
	Drop       bool   // close the connection without an answer; nothing is done
	Lost       bool   // do the work, then close the connection: the answer is lost
}

// Request is one API call as the fake received it (the token is not recorded).
type Request struct {
	Method string
	Path   string // without the version prefix: /106540352242922/messages
	Body   string // JSON bodies; "" for multipart and GET
}

// Server is the fake Cloud API.
type Server struct {
	srv       *httptest.Server
	token     string
	appSecret string
	guard     *contract.Guard

	ctx    context.Context // ends at Close; stops the webhook pusher
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every state change
	now        func() time.Time
	numbers    map[string]Number
	webhook    string
	queue      [][]byte // notifications not yet answered 200
	sent       []Sent
	media      map[string]Media
	templates  map[string]Template // name + "/" + language
	lastIn     map[string]time.Time
	known      map[string]bool // wa_ids on WhatsApp (customers seen)
	faults     map[string][]Fault
	faultFn    func(op string) *Fault
	requests   []Request
	seq        int
	hookErrors int
	delivered  int
}

// New starts a fake accepting Token and signing with AppSecret, with the
// given business numbers (DefaultNumber if none).
func New(numbers ...Number) *Server {
	if len(numbers) == 0 {
		numbers = []Number{DefaultNumber}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		token: Token, appSecret: AppSecret, ctx: ctx, cancel: cancel,
		changed: make(chan struct{}), now: time.Now,
		numbers: map[string]Number{}, media: map[string]Media{}, templates: map[string]Template{},
		lastIn: map[string]time.Time{}, known: map[string]bool{}, faults: map[string][]Fault{},
	}
	for _, n := range numbers {
		s.numbers[n.ID] = n
	}
	s.templates["hello_world/en_US"] = Template{Name: "hello_world", Language: "en_US"}
	// Every API call is checked against the documented request shapes;
	// what Meta would refuse fails the test.
	s.guard = contract.NewGuardWith("fakewhatsapp", Checker{}, func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/"+Version+"/")
	})
	s.srv = httptest.NewServer(s.guard.Wrap(http.HandlerFunc(s.serve)))
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.pushWebhooks() }()
	return s
}

// URL is the api_url to configure (with the version).
func (s *Server) URL() string { return s.srv.URL + "/" + Version }

// Token is the access token the fake accepts.
func (s *Server) Token() string { return s.token }

// AppSecret is the secret the fake signs webhooks with.
func (s *Server) AppSecret() string { return s.appSecret }

// Close stops the server and the webhook pusher. Calls the documented
// shapes refuse that no test took (TakeViolations) or was told of
// (ReportTo) make it panic, failing the test that owns the fake.
func (s *Server) Close() {
	s.cancel()
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.wg.Wait()
	s.guard.Close()
}

// ReportTo makes each call the documented shapes refuse an error of t
// (when t ends) rather than a panic at Close.
func (s *Server) ReportTo(t testing.TB) { s.guard.Report(t) }

// TakeViolations returns and forgets the calls refused so far.
func (s *Server) TakeViolations() []string { return s.guard.Take() }

// SetNow sets the fake's clock (the window check, message timestamps).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AddTemplate approves a message template.
func (s *Server) AddTemplate(t Template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[t.Name+"/"+t.Language] = t
}

// SetWebhook sets the callback URL notifications are posted to (what the
// app dashboard's webhook settings do); "" stops posting.
func (s *Server) SetWebhook(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = url
	s.notify()
}

// FailNext queues faults for the next calls of op, one call each.
func (s *Server) FailNext(op string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], faults...)
}

// SetFaults installs fn, asked for every call no FailNext fault is queued
// for; a non-nil Fault is answered instead. nil removes it.
func (s *Server) SetFaults(fn func(op string) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFn = fn
}

// Sent returns what the business sent to a customer, oldest first.
func (s *Server) Sent(waID string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.To == waID {
			out = append(out, m)
		}
	}
	return out
}

// AllSent returns everything the business sent, oldest first.
func (s *Server) AllSent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Requests returns every API call received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Pending is the number of notifications not yet answered 200.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// WebhookErrors counts webhook deliveries that were not answered 200.
func (s *Server) WebhookErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookErrors
}

// Delivered counts notifications answered 200.
func (s *Server) Delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// Media returns a stored file by media id.
func (s *Server) Media(id string) (Media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	return m, ok
}

// notify wakes the webhook pusher. Call with mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	if prefix == "wamid" {
		return fmt.Sprintf("wamid.HBgLRkFLRQ%06dAA==", s.seq)
	}
	return strconv.Itoa(900000000000000 + s.seq)
}

// Sign is the X-Hub-Signature-256 value of body under secret.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// PostWebhook posts body to url once with the given X-Hub-Signature-256
// header (none if empty), as a forged or a genuine Meta request, and
// returns the status.
func (s *Server) PostWebhook(ctx context.Context, url string, body []byte, signature string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// VerifyCallback checks a callback URL as the app dashboard does when it
// is saved: GET with hub.mode=subscribe, the verify token and a
// challenge, which must come back as the body. It returns the status and
// the body.
func (s *Server) VerifyCallback(ctx context.Context, url, verifyToken, challenge string) (int, string, error) {
	q := neturl.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {challenge}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"?"+q.Encode(), nil)
	if err != nil {
		return 0, "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String(), nil
}

// pushWebhooks posts queued notifications, oldest first, signed, to the
// callback URL, as Meta does: a notification leaves the queue only when
// it was answered 200.
func (s *Server) pushWebhooks() {
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		s.mu.Lock()
		url, ch := s.webhook, s.changed
		var next []byte
		if url != "" && len(s.queue) > 0 {
			next = s.queue[0]
		}
		s.mu.Unlock()
		if next == nil {
			select {
			case <-ch:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		status, err := s.post(client, url, next)
		s.mu.Lock()
		if err == nil && status == http.StatusOK {
			if len(s.queue) > 0 && bytes.Equal(s.queue[0], next) {
				s.queue = s.queue[1:]
			}
			s.delivered++
			s.notify()
			s.mu.Unlock()
			continue
		}
		s.hookErrors++
		s.mu.Unlock()
		select {
		case <-time.After(WebhookRetry):
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *Server) post(c *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", Sign(body, s.appSecret))
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// enqueue queues a notification with one change for number. Call with mu held.
func (s *Server) enqueue(number Number, value map[string]any) {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": number.Display, "phone_number_id": number.ID}
	n := map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "102290129340398", "changes": []any{map[string]any{"value": value, "field": "messages"}},
	}}}
	raw, _ := json.Marshal(n)
	s.queue = append(s.queue, raw)
	s.notify()
}

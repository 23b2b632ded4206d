package fakemail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions configures an SMTP sink.
type SMTPOptions struct {
	Username string // "" accepts mail without AUTH
	Password string
	TLS      string // none (default), starttls or tls
}

// SMTPMessage is one accepted message.
type SMTPMessage struct {
	From string
	To   []string
	Data []byte
	At   time.Time
}

// Fault makes the next transactions fail.
type Fault struct {
	Stage   string // "rcpt" or "data" (default "data"); "drop" closes the connection at DATA
	Code    int    // SMTP reply code, e.g. 451 or 550
	Message string
	Times   int // how many transactions fail (default 1)
}

// SMTPServer is an SMTP sink on 127.0.0.1.
type SMTPServer struct {
	opts SMTPOptions
	srv  *smtp.Server
	ln   *trackingListener
	addr string
	cert *certificate
	done chan struct{}

	mu       sync.Mutex
	messages []SMTPMessage
	faults   []Fault
	faultFn  func(stage string) *Fault
	attempts int
}

// NewSMTP starts an SMTP sink that stops when the test ends.
func NewSMTP(t testing.TB, o SMTPOptions) *SMTPServer {
	t.Helper()
	s, err := StartSMTP(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartSMTP starts an SMTP sink; Close stops it.
func StartSMTP(o SMTPOptions) (*SMTPServer, error) {
	if o.TLS == "" {
		o.TLS = TLSNone
	}
	cert, err := newCertificate()
	if err != nil {
		return nil, err
	}
	s := &SMTPServer{opts: o, cert: cert, done: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c.Conn()}, nil
	}))
	s.srv.Domain = "fakemail.test"
	s.srv.AllowInsecureAuth = o.TLS == TLSNone
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	if o.TLS == TLSStartTLS {
		s.srv.TLSConfig = cert.server
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln = newTrackingListener(raw)
	s.addr = raw.Addr().String()
	var ln net.Listener = s.ln
	if o.TLS == TLSImplicit {
		ln = tls.NewListener(ln, cert.server)
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is host:port.
func (s *SMTPServer) Addr() string { return s.addr }

// Port is the TCP port.
func (s *SMTPServer) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// URL is the server as an EMAIL_SMTP_URL value.
func (s *SMTPServer) URL() string {
	var user *url.Userinfo
	if s.opts.Username != "" {
		user = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return serverURL("smtp", s.opts.TLS, s.addr, user, "")
}

// ClientTLS is a TLS config that trusts the server's certificate.
func (s *SMTPServer) ClientTLS() *tls.Config { return s.cert.clientTLS() }

// Cert is the server's self-signed certificate (see TrustTLS).
func (s *SMTPServer) Cert() *x509.Certificate { return s.cert.leaf }

// Messages returns copies of the accepted messages, oldest first.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.messages...)
}

// Attempts counts transactions that reached RCPT (failed ones included).
func (s *SMTPServer) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Fail queues a fault for the next transactions.
func (s *SMTPServer) Fail(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Stage == "" {
		f.Stage = "data"
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// SetFaults installs fn, asked at each transaction's "rcpt" and "data"
// stage when no fault is queued; a non-nil Fault fails the transaction
// (its Stage is ignored; Stage "drop" at data closes the connection). nil
// removes it. Tests use it for fault storms.
func (s *SMTPServer) SetFaults(fn func(stage string) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultFn = fn
}

// takeFault returns the fault for this stage, if one is queued.
func (s *SMTPServer) takeFault(stage string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		if s.faultFn != nil {
			if f := s.faultFn(stage); f != nil {
				if f.Stage == "drop" && stage != "data" {
					return Fault{}, false
				}
				return *f, true
			}
		}
		return Fault{}, false
	}
	f := s.faults[0]
	st := f.Stage
	if st == "drop" {
		st = "data"
	}
	if st != stage {
		return Fault{}, false
	}
	s.faults[0].Times--
	if s.faults[0].Times <= 0 {
		s.faults = s.faults[1:]
	}
	return f, true
}

// DropConnections closes every client connection.
func (s *SMTPServer) DropConnections() int { return s.ln.dropAll() }

// Close stops the server.
func (s *SMTPServer) Close() {
	s.srv.Close()
	s.ln.Close() // Serve may not have registered the listener yet
	s.ln.dropAll()
	<-s.done
}

type smtpSession struct {
	s      *SMTPServer
	conn   net.Conn
	authed bool
	from   string
	to     []string
}

func (x *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if x.s.opts.Username == "" || user != x.s.opts.Username || pass != x.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		x.authed = true
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.Username != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	x.s.attempts++
	x.s.mu.Unlock()
	if f, ok := x.s.takeFault("rcpt"); ok {
		return smtpErr(f)
	}
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if f, ok := x.s.takeFault("data"); ok {
		if f.Stage == "drop" {
			x.conn.Close()
			return errors.New("connection dropped")
		}
		return smtpErr(f)
	}
	x.s.mu.Lock()
	x.s.messages = append(x.s.messages, SMTPMessage{From: x.from, To: append([]string(nil), x.to...), Data: data, At: time.Now()})
	x.s.mu.Unlock()
	return nil
}

func (x *smtpSession) Reset() { x.from, x.to = "", nil }

func (x *smtpSession) Logout() error { return nil }

func smtpErr(f Fault) error {
	msg := f.Message
	if msg == "" {
		msg = "injected failure"
	}
	return &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCode{f.Code / 100, 0, 0}, Message: msg}
}

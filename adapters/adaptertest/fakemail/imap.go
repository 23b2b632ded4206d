package fakemail

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// IMAPOptions configures an IMAP server.
type IMAPOptions struct {
	Username string // default "support@example.com"
	Password string // default "secret"
	TLS      string // none (default), starttls or tls
	// NoIdle hides the IDLE capability, so clients must poll. Not
	// available with STARTTLS (the capability list is rewritten in clear
	// text).
	NoIdle bool
	// Mailboxes to create besides INBOX (e.g. a processed folder).
	Mailboxes []string
}

// IMAPServer is an in-process IMAP server on 127.0.0.1.
type IMAPServer struct {
	opts  IMAPOptions
	mem   *imapmemserver.Server
	user  *imapmemserver.User
	srv   *imapserver.Server
	ln    *trackingListener
	addr  string
	cert  *certificate
	done  chan struct{}
	names []string
}

// NewIMAP starts an IMAP server that stops when the test ends.
func NewIMAP(t testing.TB, o IMAPOptions) *IMAPServer {
	t.Helper()
	s, err := StartIMAP(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartIMAP starts an IMAP server; Close stops it.
func StartIMAP(o IMAPOptions) (*IMAPServer, error) {
	if o.Username == "" {
		o.Username = "support@example.com"
	}
	if o.Password == "" {
		o.Password = "secret"
	}
	if o.TLS == "" {
		o.TLS = TLSNone
	}
	if o.NoIdle && o.TLS == TLSStartTLS {
		return nil, errors.New("fakemail: NoIdle cannot be combined with STARTTLS")
	}
	cert, err := newCertificate()
	if err != nil {
		return nil, err
	}
	s := &IMAPServer{opts: o, mem: imapmemserver.New(), cert: cert, done: make(chan struct{})}
	s.user = imapmemserver.NewUser(o.Username, o.Password)
	s.names = append([]string{"INBOX"}, o.Mailboxes...)
	for _, name := range s.names {
		if err := s.user.Create(name, nil); err != nil {
			return nil, err
		}
	}
	s.mem.AddUser(s.user)
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := s.mem.NewSession()
			if m, ok := sess.(imapserver.SessionIMAP4rev2); ok {
				return flushingSession{m}, nil, nil
			}
			return sess, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger:       log.New(io.Discard, "", 0),
		InsecureAuth: o.TLS == TLSNone,
	}
	if o.NoIdle {
		opts.Caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}}
	}
	if o.TLS == TLSStartTLS {
		opts.TLSConfig = cert.server
	}
	s.srv = imapserver.New(opts)
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
	if o.NoIdle {
		ln = &wrapListener{Listener: ln, wrap: func(c net.Conn) net.Conn { return noIdleConn{c} }}
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// flushingSession reports mailbox changes that happened before IDLE began,
// as real servers do: imapmemserver only reports changes that happen while
// idling, so mail appended between a client's SEARCH and its IDLE would
// wait for the client's next poll.
type flushingSession struct{ imapserver.SessionIMAP4rev2 }

func (s flushingSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.SessionIMAP4rev2.Poll(w, true); err != nil {
		return err
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

// noIdleConn removes IDLE from capability lists the server writes.
type noIdleConn struct{ net.Conn }

func (c noIdleConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("CAPABILITY")) {
		q := bytes.ReplaceAll(p, []byte(" IDLE"), nil)
		q = bytes.ReplaceAll(q, []byte(" IMAP4rev2"), nil)
		if _, err := c.Conn.Write(q); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// Addr is host:port.
func (s *IMAPServer) Addr() string { return s.addr }

// Port is the TCP port.
func (s *IMAPServer) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Username and Password are the mailbox's credentials.
func (s *IMAPServer) Username() string { return s.opts.Username }
func (s *IMAPServer) Password() string { return s.opts.Password }

// URL is the server as an EMAIL_IMAP_URL value for mailbox INBOX.
func (s *IMAPServer) URL() string {
	return serverURL("imap", s.opts.TLS, s.addr, url.UserPassword(s.opts.Username, s.opts.Password), "/INBOX")
}

// serverURL is an EMAIL_*_URL value: scheme, or scheme+"s" for implicit
// TLS, and ?tls=none for plain connections.
func serverURL(scheme, mode, addr string, user *url.Userinfo, path string) string {
	u := url.URL{Scheme: scheme, User: user, Host: addr, Path: path}
	switch mode {
	case TLSImplicit:
		u.Scheme = scheme + "s"
	case TLSNone:
		u.RawQuery = "tls=none"
	}
	return u.String()
}

// ClientTLS is a TLS config that trusts the server's certificate.
func (s *IMAPServer) ClientTLS() *tls.Config { return s.cert.clientTLS() }

// Cert is the server's self-signed certificate (see TrustTLS).
func (s *IMAPServer) Cert() *x509.Certificate { return s.cert.leaf }

// literal adapts bytes to imap.LiteralReader.
type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

// crlf makes line ends CRLF, as a delivery agent does.
func crlf(raw []byte) []byte {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
}

// Append delivers a raw message into mailbox ("" = INBOX) and returns its
// UID. Line ends become CRLF; a leading mbox "From " line is dropped.
func (s *IMAPServer) Append(mailbox string, raw []byte, flags ...imap.Flag) (imap.UID, error) {
	if mailbox == "" {
		mailbox = "INBOX"
	}
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	raw = crlf(raw)
	data, err := s.user.Append(mailbox, literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{Flags: flags})
	if err != nil {
		return 0, err
	}
	return data.UID, nil
}

// StoredMessage is a message as the mailbox holds it.
type StoredMessage struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
}

// Seen reports whether the message has the \Seen flag.
func (m StoredMessage) Seen() bool { return slices.Contains(m.Flags, imap.FlagSeen) }

// Messages lists a mailbox over a real IMAP connection.
func (s *IMAPServer) Messages(mailbox string) ([]StoredMessage, error) {
	if mailbox == "" {
		mailbox = "INBOX"
	}
	c, err := s.dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, err
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, err
	}
	out := make([]StoredMessage, 0, len(bufs))
	for _, b := range bufs {
		out = append(out, StoredMessage{UID: b.UID, Flags: b.Flags, Raw: b.FindBodySection(section)})
	}
	slices.SortFunc(out, func(a, b StoredMessage) int { return int(a.UID) - int(b.UID) })
	return out, nil
}

// UIDValidity returns a mailbox's UIDVALIDITY.
func (s *IMAPServer) UIDValidity(mailbox string) (uint32, error) {
	st, err := s.user.Status(mailbox, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		return 0, err
	}
	return st.UIDValidity, nil
}

// RenumberMailbox re-creates a mailbox with the same messages and flags but
// a new UIDVALIDITY, as a server migration does, and drops connections.
func (s *IMAPServer) RenumberMailbox(mailbox string) error {
	msgs, err := s.Messages(mailbox)
	if err != nil {
		return err
	}
	if err := s.user.Delete(mailbox); err != nil {
		return err
	}
	if err := s.user.Create(mailbox, nil); err != nil {
		return err
	}
	for _, m := range msgs {
		if _, err := s.user.Append(mailbox, literal{bytes.NewReader(m.Raw), int64(len(m.Raw))}, &imap.AppendOptions{Flags: m.Flags}); err != nil {
			return err
		}
	}
	s.DropConnections()
	return nil
}

// DropConnections closes every client connection (the server keeps
// listening), as a server restart or network failure would.
func (s *IMAPServer) DropConnections() int { return s.ln.dropAll() }

func (s *IMAPServer) dial() (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: s.cert.clientTLS()}
	var c *imapclient.Client
	var err error
	switch s.opts.TLS {
	case TLSImplicit:
		c, err = imapclient.DialTLS(s.addr, opts)
	case TLSStartTLS:
		c, err = imapclient.DialStartTLS(s.addr, opts)
	default:
		c, err = imapclient.DialInsecure(s.addr, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := c.Login(s.opts.Username, s.opts.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("fakemail login: %w", err)
	}
	return c, nil
}

// Close stops the server.
func (s *IMAPServer) Close() {
	s.srv.Close()
	s.ln.Close() // Serve may not have registered the listener yet
	s.ln.dropAll()
	<-s.done
}

package email

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// TLS modes for IMAP and SMTP connections.
const (
	TLSImplicit = "tls"      // TLS from the first byte (imaps 993, smtps 465)
	TLSStartTLS = "starttls" // plain connect, then STARTTLS (imap 143, smtp 587)
	TLSNone     = "none"     // no encryption: only for a server on the same machine
)

// Config is the email section of config.yaml. The channel is active when
// both an IMAP and an SMTP server are set (as url or host).
type Config struct {
	IMAP IMAPConfig `yaml:"imap"`
	SMTP SMTPConfig `yaml:"smtp"`
	// From is the sender of replies: "Example Support <support@example.com>"
	// (env EMAIL_FROM). Default: the SMTP username if it is an address.
	From string `yaml:"from"`
	// ReplyTo, if set, is put in Reply-To instead of From's address.
	ReplyTo string `yaml:"reply_to"`
	// PlusAddressing sets Reply-To to support+<token>@domain so replies find
	// their conversation even when a mail client drops the threading
	// headers. The mailbox must accept plus addresses.
	PlusAddressing bool `yaml:"plus_addressing"`
	// SubjectToken appends " [#42]" to reply subjects (default true; false
	// turns it off), so a reply finds its conversation even when the
	// customer's mail client dropped the threading headers and changed
	// the subject.
	SubjectToken *bool `yaml:"subject_token"`
	// TokenSecret signs plus-address tokens and Message-IDs (32+
	// characters). Empty: generated once into <data_dir>/email.key.
	TokenSecret     string `yaml:"token_secret"`
	TokenSecretFile string `yaml:"token_secret_file"`
	// MaxAttachmentBytes: larger inbound attachments are listed but not
	// stored (default 10 MB).
	MaxAttachmentBytes int64 `yaml:"max_attachment_bytes"`
	// MaxMessageBytes: larger emails are not downloaded; staff get a note
	// with the sender and subject (default 50 MB).
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
}

// IMAPConfig is where customer mail is read.
type IMAPConfig struct {
	// URL sets everything at once (env EMAIL_IMAP_URL):
	// imaps://user:pass@host:993/INBOX, imap://... (STARTTLS), ?tls=none.
	// Fields set explicitly below win over the URL.
	URL          string          `yaml:"url"`
	Host         string          `yaml:"host"`
	Port         int             `yaml:"port"`
	TLS          string          `yaml:"tls"` // tls | starttls | none
	Username     string          `yaml:"username"`
	Password     string          `yaml:"password"`
	PasswordFile string          `yaml:"password_file"`
	Mailbox      string          `yaml:"mailbox"`       // default INBOX
	PollInterval bridge.Duration `yaml:"poll_interval"` // without IDLE; default 60s
	// ProcessedFolder: handled mail is moved there instead of only being
	// marked \Seen. It must exist.
	ProcessedFolder string `yaml:"processed_folder"`
}

// SMTPConfig is where replies are sent.
type SMTPConfig struct {
	// URL sets everything at once (env EMAIL_SMTP_URL):
	// smtps://user:pass@host:465, smtp://...:587 (STARTTLS), ?tls=none.
	URL          string `yaml:"url"`
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`
	TLS          string `yaml:"tls"`
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// Helo is the name in EHLO; default: the From address's domain.
	Helo string `yaml:"helo"`
}

// ApplyEnv applies EMAIL_IMAP_URL, EMAIL_SMTP_URL and EMAIL_FROM.
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	set := func(dst *string, key string) {
		if v, ok := env(key); ok && strings.TrimSpace(v) != "" {
			*dst = strings.TrimSpace(v)
		}
	}
	set(&c.IMAP.URL, "EMAIL_IMAP_URL")
	set(&c.SMTP.URL, "EMAIL_SMTP_URL")
	set(&c.From, "EMAIL_FROM")
}

// Configured reports whether any server was set at all.
func (c Config) Configured() bool {
	return c.IMAP.URL != "" || c.IMAP.Host != "" || c.SMTP.URL != "" || c.SMTP.Host != ""
}

// Enabled reports whether both servers are set (call after Defaults).
func (c Config) Enabled() bool { return c.IMAP.Host != "" && c.SMTP.Host != "" }

// OffReason says why the channel is off.
func (c Config) OffReason() string {
	switch {
	case c.IMAP.Host == "" && c.SMTP.Host == "":
		return "EMAIL_IMAP_URL and EMAIL_SMTP_URL not set"
	case c.IMAP.Host == "":
		return "EMAIL_IMAP_URL (email.imap) not set"
	default:
		return "EMAIL_SMTP_URL (email.smtp) not set"
	}
}

// Defaults fills unset fields, first from the URLs.
func (c *Config) Defaults() {
	if u, err := parseServerURL(c.IMAP.URL, "imap"); err == nil && c.IMAP.URL != "" {
		fill(&c.IMAP.Host, u.host)
		fillInt(&c.IMAP.Port, u.port)
		fill(&c.IMAP.TLS, u.tls)
		fill(&c.IMAP.Username, u.user)
		fill(&c.IMAP.Password, u.password)
		fill(&c.IMAP.Mailbox, u.path)
	}
	if u, err := parseServerURL(c.SMTP.URL, "smtp"); err == nil && c.SMTP.URL != "" {
		fill(&c.SMTP.Host, u.host)
		fillInt(&c.SMTP.Port, u.port)
		fill(&c.SMTP.TLS, u.tls)
		fill(&c.SMTP.Username, u.user)
		fill(&c.SMTP.Password, u.password)
	}
	c.IMAP.TLS = strings.ToLower(c.IMAP.TLS)
	c.SMTP.TLS = strings.ToLower(c.SMTP.TLS)
	fill(&c.IMAP.TLS, TLSImplicit)
	fill(&c.SMTP.TLS, TLSStartTLS)
	if c.IMAP.Port == 0 {
		c.IMAP.Port = map[string]int{TLSImplicit: 993}[c.IMAP.TLS]
		if c.IMAP.Port == 0 {
			c.IMAP.Port = 143
		}
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = map[string]int{TLSImplicit: 465}[c.SMTP.TLS]
		if c.SMTP.Port == 0 {
			c.SMTP.Port = 587
		}
	}
	fill(&c.IMAP.Mailbox, "INBOX")
	if c.IMAP.PollInterval <= 0 {
		c.IMAP.PollInterval = bridge.Duration(time.Minute)
	}
	if c.From == "" && strings.Contains(c.SMTP.Username, "@") {
		c.From = c.SMTP.Username
	}
	if c.MaxAttachmentBytes <= 0 {
		c.MaxAttachmentBytes = 10 << 20
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 50 << 20
	}
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func fillInt(dst *int, v int) {
	if *dst == 0 {
		*dst = v
	}
}

// Validate reports config errors. An unconfigured channel is valid (off).
func (c Config) Validate() error {
	if !c.Configured() {
		return nil
	}
	var errs []error
	if _, err := parseServerURL(c.IMAP.URL, "imap"); err != nil {
		errs = append(errs, bridge.FieldErrorf("imap.url", "%v", err))
	}
	if _, err := parseServerURL(c.SMTP.URL, "smtp"); err != nil {
		errs = append(errs, bridge.FieldErrorf("smtp.url", "%v", err))
	}
	if c.IMAP.Host == "" && c.IMAP.URL == "" {
		errs = append(errs, bridge.FieldErrorf("imap", "no IMAP server: set EMAIL_IMAP_URL or email.imap.url/host (the SMTP server is set)"))
	}
	if c.SMTP.Host == "" && c.SMTP.URL == "" {
		errs = append(errs, bridge.FieldErrorf("smtp", "no SMTP server: set EMAIL_SMTP_URL or email.smtp.url/host (the IMAP server is set)"))
	}
	for _, s := range []struct {
		name, tls string
		port      int
	}{{"imap", c.IMAP.TLS, c.IMAP.Port}, {"smtp", c.SMTP.TLS, c.SMTP.Port}} {
		switch s.tls {
		case TLSImplicit, TLSStartTLS, TLSNone, "":
		default:
			errs = append(errs, bridge.FieldErrorf(s.name+".tls", "must be tls, starttls or none, not %q", s.tls))
		}
		if s.port < 0 || s.port > 65535 {
			errs = append(errs, bridge.FieldErrorf(s.name+".port", "must be between 1 and 65535"))
		}
	}
	if c.IMAP.Host != "" && (c.IMAP.Username == "" || c.IMAP.Password == "") {
		errs = append(errs, bridge.FieldErrorf("imap", "username and password are required (in the URL, or username and password/password_file)"))
	}
	if c.SMTP.Username != "" && c.SMTP.Password == "" {
		errs = append(errs, bridge.FieldErrorf("smtp.password", "is required when smtp.username is set"))
	}
	if c.IMAP.PollInterval != 0 && (c.IMAP.PollInterval.D() < time.Second || c.IMAP.PollInterval.D() > 24*time.Hour) {
		errs = append(errs, bridge.FieldErrorf("imap.poll_interval", "must be between 1s and 24h"))
	}
	if c.IMAP.ProcessedFolder != "" && c.IMAP.ProcessedFolder == c.IMAP.Mailbox {
		errs = append(errs, bridge.FieldErrorf("imap.processed_folder", "must differ from the mailbox that is read"))
	}
	if c.From == "" {
		errs = append(errs, bridge.FieldErrorf("from", "is required: the address replies come from (env EMAIL_FROM), e.g. \"Example Support <support@example.com>\""))
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, bridge.FieldErrorf("from", "%q is not an email address (e.g. \"Example Support <support@example.com>\")", c.From))
	}
	if c.ReplyTo != "" {
		if _, err := mail.ParseAddress(c.ReplyTo); err != nil {
			errs = append(errs, bridge.FieldErrorf("reply_to", "%q is not an email address", c.ReplyTo))
		}
	}
	if c.TokenSecret != "" && len(c.TokenSecret) < 32 {
		errs = append(errs, bridge.FieldErrorf("token_secret", "is too short (%d characters); use at least 32 random characters", len(c.TokenSecret)))
	}
	if c.MaxAttachmentBytes < 0 || c.MaxAttachmentBytes > 1<<30 {
		errs = append(errs, bridge.FieldErrorf("max_attachment_bytes", "must be between 1 and 1073741824"))
	}
	if c.MaxMessageBytes < 0 || c.MaxMessageBytes > 1<<30 {
		errs = append(errs, bridge.FieldErrorf("max_message_bytes", "must be between 1 and 1073741824"))
	}
	return errors.Join(errs...)
}

type serverURL struct {
	host, tls, user, password, path string
	port                            int
}

// parseServerURL reads imaps://user:pass@host:993/INBOX style URLs. Its
// errors never repeat the URL, which holds a password.
func parseServerURL(raw, kind string) (serverURL, error) {
	var s serverURL
	if raw == "" {
		return s, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return s, fmt.Errorf("is not a valid %s URL such as %s://user:password@host (percent-encode special characters in the password, e.g. @ as %%40)", kind, kind+"s")
	}
	switch u.Scheme {
	case kind + "s":
		s.tls = TLSImplicit
	case kind:
		s.tls = TLSStartTLS
	default:
		return s, fmt.Errorf("scheme must be %ss:// (TLS) or %s:// (STARTTLS), not %q", kind, kind, u.Scheme)
	}
	for k, v := range u.Query() {
		switch k {
		case "tls":
			switch m := strings.ToLower(v[0]); m {
			case TLSNone, TLSStartTLS, TLSImplicit:
				s.tls = m
			default:
				return s, fmt.Errorf("tls=%q: must be none, starttls or tls", v[0])
			}
		default:
			return s, fmt.Errorf("unknown URL parameter %q (only tls=none|starttls|tls)", k)
		}
	}
	s.host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return s, fmt.Errorf("port %q is not a port number", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if kind == "imap" {
		s.path = strings.Trim(u.Path, "/")
	} else if strings.Trim(u.Path, "/") != "" {
		return s, errors.New("an SMTP URL has no path")
	}
	return s, nil
}

// redact describes a server for logs and the banner, without the password.
func redact(scheme, host string, port int, tls, user, path string) string {
	s := scheme
	if tls == TLSImplicit {
		s += "s"
	}
	s += "://"
	if user != "" {
		s += url.User(user).String() + "@"
	}
	s += host + ":" + strconv.Itoa(port)
	if path != "" {
		s += "/" + path
	}
	if tls == TLSNone {
		s += " (no TLS)"
	}
	return s
}

// IMAPDescription is the IMAP server for the banner (no password).
func (c Config) IMAPDescription() string {
	return redact("imap", c.IMAP.Host, c.IMAP.Port, c.IMAP.TLS, c.IMAP.Username, c.IMAP.Mailbox)
}

// SMTPDescription is the SMTP server for the banner (no password).
func (c Config) SMTPDescription() string {
	return redact("smtp", c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS, c.SMTP.Username, "")
}

// SubjectTokenOn reports whether reply subjects carry the [#id] token.
func (c Config) SubjectTokenOn() bool { return c.SubjectToken == nil || *c.SubjectToken }

package webchat

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

// Config is the webchat section of config.yaml.
type Config struct {
	Enabled  bool `yaml:"enabled"`
	DemoPage bool `yaml:"demo_page"` // serve a demo page with the widget at /
	// AllowedOrigins may embed the widget and call the API. The daemon's own
	// origin (and public_url's) is always allowed; "*" allows every origin.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// TokenSecret signs visitor tokens (32+ characters). Empty: a random key
	// is generated once and kept in the data directory.
	TokenSecret     string          `yaml:"token_secret"`
	TokenSecretFile string          `yaml:"token_secret_file"`
	TokenMaxAge     bridge.Duration `yaml:"token_max_age"`
	MaxMessageChars int             `yaml:"max_message_chars"`
	// Messages a visitor, and an IP address, may send per minute.
	PerVisitorPerMinute int `yaml:"per_visitor_per_minute"`
	PerIPPerMinute      int `yaml:"per_ip_per_minute"`
	// TrustProxy takes the client IP from X-Forwarded-For (behind a reverse
	// proxy): the address the proxy appended (the rightmost), never one the
	// client wrote itself.
	TrustProxy bool `yaml:"trust_proxy"`
	// TrustedProxies lists the proxies in front of Threadline (addresses or
	// CIDRs) when there is more than one hop: X-Forwarded-For is read only
	// from them, and the client is the rightmost address that is not one of
	// them. Empty: one proxy, whatever its address.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MaxConnectionsPerVisitor caps one visitor's open WebSockets (tabs).
	MaxConnectionsPerVisitor int `yaml:"max_connections_per_visitor"`
	// Title replaces the widget's own title ("Chat with us", translated)
	// in every language; strings.<lang>.title overrides it per language.
	Title string `yaml:"title"`
	// Greeting replaces the widget's first line in business hours ("Hi!
	// Ask us anything.", translated) in every language.
	Greeting string `yaml:"greeting"`
	// AwayGreeting replaces the widget's first line outside business hours
	// (the SLA calendar): "We're away right now…", translated.
	AwayGreeting string `yaml:"away_greeting"`
	// Language fixes the widget's language (en, de, fr, es, ru, pt). Empty:
	// the page's lang attribute, then the browser's languages, then English.
	Language string `yaml:"language"`
	// Strings overrides the widget's texts: strings.de.title: "Schreiben
	// Sie uns"; the language "*" applies to every language. The keys are
	// listed in docs/webchat.md.
	Strings map[string]map[string]string `yaml:"strings"`
	// Theme is the widget's look.
	Theme Theme `yaml:"theme"`
	// Sound plays a short tone when a staff reply arrives while the chat is
	// closed or the tab is in the background.
	Sound bool `yaml:"sound"`
	// PreChat is the form a visitor fills in with their first message.
	PreChat PreChat `yaml:"prechat"`
	// Files lets visitors attach files (button, drag and drop, paste). They
	// are kept under <data_dir>/attachments and posted into the staff thread.
	Files *bool `yaml:"files"`
	// MaxFileBytes is the largest file a visitor may attach (413 above it).
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// AllowedFileTypes are the media types visitors may attach ("image/*"
	// for every image type); a file's type is read from its content where
	// it can be, not taken from its name.
	AllowedFileTypes []string `yaml:"allowed_file_types"`
	// IdentitySecret verifies Threadline.identify({name, email, signature})
	// from the host page: signature is the hex HMAC-SHA256 of the email
	// (trimmed, lower-case) under this secret, computed by your server for
	// the logged-in customer, whose history then follows them across
	// devices. Empty: identify only fills in the name and email.
	IdentitySecret     string `yaml:"identity_secret"`
	IdentitySecretFile string `yaml:"identity_secret_file"`
	// OfflineEmailAfter is how long a staff reply may stay unseen in the
	// chat before it goes to the email address the visitor gave (pre-chat
	// form, or the chat's "get replies by email" offer), with the other
	// unseen replies and a link back to the chat; their answer to that
	// email joins the conversation. At most one such email per this long.
	// It needs the email channel; 0 turns it off.
	OfflineEmailAfter *bridge.Duration `yaml:"offline_email_after"`
	// ResumeURL is the page the link in those emails opens, a page of your
	// site with the widget (?tl_resume=<token> is added; the widget
	// resumes the visitor's chat from it). Empty: <public_url>/chat/continue,
	// a page of Threadline's with nothing but the chat.
	ResumeURL string `yaml:"resume_url"`
}

// OfflineEmail is how long a reply may stay unseen before it is emailed
// (0: never).
func (c Config) OfflineEmail() time.Duration {
	if c.OfflineEmailAfter == nil {
		return defaultOfflineEmailAfter
	}
	return c.OfflineEmailAfter.D()
}

const defaultOfflineEmailAfter = 2 * time.Minute

// Theme is the widget's look.
type Theme struct {
	// Color is the accent colour (#rrggbb) of the launcher, the header and
	// the visitor's messages; text on it is black or white, whichever reads.
	Color string `yaml:"color"`
	// Position puts the launcher and the chat in the bottom right or left corner.
	Position string `yaml:"position"`
	// LauncherText is the launcher button's label (default "Chat with us",
	// translated).
	LauncherText string `yaml:"launcher_text"`
	// Mode is light, dark or auto (the visitor's system setting, through
	// prefers-color-scheme).
	Mode string `yaml:"mode"`
}

// PreChat is the form shown above the message box until the first
// message: name, email and a department choice. Each field is required,
// optional or off.
type PreChat struct {
	// Name asks for the visitor's name: optional, required or off.
	Name string `yaml:"name"`
	// Email asks for an address to reach the visitor: optional, required or off.
	Email string `yaml:"email"`
	// Department asks which department to write to (when departments are
	// listed): required or optional.
	Department string `yaml:"department"`
	// Departments are the choices; the chosen one's `to` reaches the
	// routing rules like a widget name (when.to), so a rule sends the
	// conversation to that department.
	Departments []DepartmentChoice `yaml:"departments"`
}

// DepartmentChoice is one option of the pre-chat department list.
type DepartmentChoice struct {
	// Label is what the visitor sees ("Billing question").
	Label string `yaml:"label"`
	// To is the name routing rules match (when.to): 1-32 of a-z 0-9 - _.
	To string `yaml:"to"`
}

// Field requirements of the pre-chat form.
const (
	FieldOptional = "optional"
	FieldRequired = "required"
	FieldOff      = "off"
)

// FilesOn reports whether visitors may attach files.
func (c Config) FilesOn() bool { return c.Files == nil || *c.Files }

// defaultFileTypes are what visitors may attach unless configured: images
// a browser shows, PDFs, plain text and the common office formats.
var defaultFileTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
	"application/zip", "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.TokenMaxAge <= 0 {
		c.TokenMaxAge = bridge.Duration(365 * 24 * time.Hour)
	}
	if c.MaxMessageChars <= 0 {
		c.MaxMessageChars = 4000
	}
	if c.PerVisitorPerMinute <= 0 {
		c.PerVisitorPerMinute = 20
	}
	if c.PerIPPerMinute <= 0 {
		c.PerIPPerMinute = 60
	}
	if c.MaxConnectionsPerVisitor <= 0 {
		c.MaxConnectionsPerVisitor = 10
	}
	if c.Files == nil {
		on := true
		c.Files = &on
	}
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = 10 << 20
	}
	if len(c.AllowedFileTypes) == 0 {
		c.AllowedFileTypes = append([]string(nil), defaultFileTypes...)
	}
	if c.Theme.Color == "" {
		c.Theme.Color = "#2d5be3"
	}
	if c.Theme.Position == "" {
		c.Theme.Position = "right"
	}
	if c.Theme.Mode == "" {
		c.Theme.Mode = "auto"
	}
	if c.PreChat.Name == "" {
		c.PreChat.Name = FieldOptional
	}
	if c.PreChat.Email == "" {
		c.PreChat.Email = FieldOptional
	}
	if c.PreChat.Department == "" {
		c.PreChat.Department = FieldRequired
	}
	if c.OfflineEmailAfter == nil {
		d := bridge.Duration(defaultOfflineEmailAfter)
		c.OfflineEmailAfter = &d
	}
}

// Validate reports config errors.
func (c Config) Validate() error {
	var errs []error
	for i, o := range c.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, bridge.FieldErrorf("allowed_origins["+itoa(i)+"]", "%q is not an origin (want scheme://host[:port], e.g. https://www.example.com)", o))
		}
	}
	for i, p := range c.TrustedProxies {
		if _, err := parseProxy(p); err != nil {
			errs = append(errs, bridge.FieldErrorf("trusted_proxies["+itoa(i)+"]", "%q is not an IP address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/8)", p))
		}
	}
	if len(c.TrustedProxies) > 0 && !c.TrustProxy {
		errs = append(errs, bridge.FieldErrorf("trusted_proxies", "is set but trust_proxy is false: set trust_proxy: true to read X-Forwarded-For from them"))
	}
	if c.TokenSecret != "" && len(c.TokenSecret) < 32 {
		errs = append(errs, bridge.FieldErrorf("token_secret", "is too short (%d characters); use at least 32 random characters", len(c.TokenSecret)))
	}
	if c.MaxMessageChars < 0 || c.MaxMessageChars > 100000 {
		errs = append(errs, bridge.FieldErrorf("max_message_chars", "must be between 1 and 100000"))
	}
	if c.PerVisitorPerMinute < 0 {
		errs = append(errs, bridge.FieldErrorf("per_visitor_per_minute", "must be positive"))
	}
	if c.PerIPPerMinute < 0 {
		errs = append(errs, bridge.FieldErrorf("per_ip_per_minute", "must be positive"))
	}
	if c.MaxFileBytes < 0 {
		errs = append(errs, bridge.FieldErrorf("max_file_bytes", "must be positive"))
	}
	for i, t := range c.AllowedFileTypes {
		if !validFileType(t) {
			errs = append(errs, bridge.FieldErrorf("allowed_file_types["+itoa(i)+"]", "%q is not a media type (want type/subtype or type/*, e.g. image/png or image/*)", t))
		}
	}
	if c.IdentitySecret != "" && len(c.IdentitySecret) < 16 {
		errs = append(errs, bridge.FieldErrorf("identity_secret", "is too short (%d characters); use at least 16 random characters", len(c.IdentitySecret)))
	}
	if c.Language != "" && !slices.Contains(Languages, c.Language) {
		errs = append(errs, bridge.FieldErrorf("language", "%q is not one of the widget's languages (%s)", c.Language, strings.Join(Languages, ", ")))
	}
	errs = append(errs, validateStrings(c.Strings)...)
	if col := c.Theme.Color; col != "" && !hexColor.MatchString(col) {
		errs = append(errs, bridge.FieldErrorf("theme.color", "%q is not a colour (want #rrggbb, e.g. #2d5be3)", col))
	}
	if p := c.Theme.Position; p != "" && p != "right" && p != "left" {
		errs = append(errs, bridge.FieldErrorf("theme.position", "%q is not right or left", p))
	}
	if m := c.Theme.Mode; m != "" && m != "auto" && m != "light" && m != "dark" {
		errs = append(errs, bridge.FieldErrorf("theme.mode", "%q is not auto, light or dark", m))
	}
	for _, f := range []struct{ key, v string }{{"prechat.name", c.PreChat.Name}, {"prechat.email", c.PreChat.Email}} {
		if f.v != "" && f.v != FieldOptional && f.v != FieldRequired && f.v != FieldOff {
			errs = append(errs, bridge.FieldErrorf(f.key, "%q is not optional, required or off", f.v))
		}
	}
	if c.ResumeURL != "" {
		if u, err := url.Parse(c.ResumeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			errs = append(errs, bridge.FieldErrorf("resume_url", "%q is not a page address (want https://www.example.com/help, without #fragment)", c.ResumeURL))
		}
	}
	if d := c.PreChat.Department; d != "" && d != FieldOptional && d != FieldRequired {
		errs = append(errs, bridge.FieldErrorf("prechat.department", "%q is not optional or required", d))
	}
	seen := map[string]bool{}
	for i, d := range c.PreChat.Departments {
		key := "prechat.departments[" + itoa(i) + "]"
		if strings.TrimSpace(d.Label) == "" {
			errs = append(errs, bridge.FieldErrorf(key+".label", "is empty; it is what the visitor chooses"))
		}
		switch to := strings.ToLower(strings.TrimSpace(d.To)); {
		case !rules.ValidWidgetName(to):
			errs = append(errs, bridge.FieldErrorf(key+".to", "%q must be 1-32 letters, digits, - or _ (what when.to rules match)", d.To))
		case seen[to]:
			errs = append(errs, bridge.FieldErrorf(key+".to", "%q is listed twice", d.To))
		default:
			seen[to] = true
		}
	}
	return errors.Join(errs...)
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// validFileType: type/subtype or type/*, lower-case letters, digits and + . -.
func validFileType(t string) bool {
	typ, sub, ok := strings.Cut(t, "/")
	token := func(s string) bool {
		return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789+.-") == ""
	}
	return ok && token(typ) && (sub == "*" || token(sub))
}

// fileTypeAllowed reports whether media type t is in allowed.
func fileTypeAllowed(allowed []string, t string) bool {
	for _, a := range allowed {
		if a == t || (strings.HasSuffix(a, "/*") && strings.HasPrefix(t, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

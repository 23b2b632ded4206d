package webchat

import (
	"errors"
	"net/url"
	"time"

	"github.com/threadlinehq/threadline/bridge"
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
	MaxConnectionsPerVisitor int    `yaml:"max_connections_per_visitor"`
	Title                    string `yaml:"title"`
	Greeting                 string `yaml:"greeting"`
}

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
	if c.Title == "" {
		c.Title = "Chat with us"
	}
	if c.Greeting == "" {
		c.Greeting = "Hi! Ask us anything; we usually answer within minutes."
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
	return errors.Join(errs...)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

package telegram

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Config is the telegram section of config.yaml. The channel is on when
// BotToken is set (env TELEGRAM_BOT_TOKEN).
type Config struct {
	BotToken     string `yaml:"bot_token"`
	BotTokenFile string `yaml:"bot_token_file"`
	// APIURL is the Bot API server (env TELEGRAM_API_URL): the public one or
	// a local telegram-bot-api server.
	APIURL string `yaml:"api_url"`
	// WebhookSecret switches from long polling to a webhook at
	// <public_url>/telegram/webhook (env TELEGRAM_WEBHOOK_SECRET).
	WebhookSecret     string `yaml:"webhook_secret"`
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// PollTimeout is how long one getUpdates call waits for news.
	PollTimeout bridge.Duration `yaml:"poll_timeout"`
	// Greeting answers /start. "-" sends nothing.
	Greeting string `yaml:"greeting"`
	// MaxFileBytes caps downloaded customer files; larger ones are kept as
	// metadata only. The public Bot API serves at most 20 MB.
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// LocalServer: api_url is a local telegram-bot-api server started with
	// --local on this machine; getFile then answers with a path on disk,
	// which is read directly.
	LocalServer bool `yaml:"local_server"`
	// AnonymousReplies hides the staff member's name on replies; by default
	// each reply starts with the author's name in bold.
	AnonymousReplies bool `yaml:"anonymous_replies"`
}

// DefaultAPIURL is Telegram's public Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.PollTimeout <= 0 {
		c.PollTimeout = bridge.Duration(30 * time.Second)
	}
	if c.Greeting == "" {
		c.Greeting = "Hi! Write your question here and our team will answer in this chat."
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = 20 << 20
	}
	c.BotToken = strings.TrimSpace(c.BotToken)
	c.WebhookSecret = strings.TrimSpace(c.WebhookSecret)
}

// Enabled reports whether the channel should run.
func (c Config) Enabled() bool { return c.BotToken != "" }

// Webhook reports whether updates arrive by webhook instead of polling.
func (c Config) Webhook() bool { return c.WebhookSecret != "" }

var (
	tokenShape  = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)
	secretShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Validate reports config errors. Messages never contain the secrets.
func (c Config) Validate() error {
	var errs []error
	if c.BotToken != "" && !tokenShape.MatchString(c.BotToken) {
		errs = append(errs, bridge.FieldErrorf("bot_token", "does not look like a bot token from @BotFather (want <digits>:<secret>, e.g. 123456789:AA...)"))
	}
	if c.WebhookSecret != "" && !secretShape.MatchString(c.WebhookSecret) {
		errs = append(errs, bridge.FieldErrorf("webhook_secret", "must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"))
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, bridge.FieldErrorf("api_url", "%q is not an http(s) URL (default %s)", c.APIURL, DefaultAPIURL))
	}
	if d := c.PollTimeout.D(); d < time.Second || d > 50*time.Second {
		errs = append(errs, bridge.FieldErrorf("poll_timeout", "must be between 1s and 50s"))
	}
	if c.MaxFileBytes < 0 {
		errs = append(errs, bridge.FieldErrorf("max_file_bytes", "must not be negative (0 means the default, 20 MB)"))
	}
	if len(c.Greeting) > 4096 {
		errs = append(errs, bridge.FieldErrorf("greeting", "is longer than Telegram's 4096-character limit"))
	}
	return errors.Join(errs...)
}

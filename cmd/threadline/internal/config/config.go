package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/adapters/email"
	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/adapters/whatsapp"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store"
)

// Config is config.yaml. Each adapter owns its section's struct.
type Config struct {
	// DataDir holds the admin token, generated keys and stored attachments.
	// Default: the directory of the database file.
	DataDir string `yaml:"data_dir"`
	// PublicURL is how browsers and platforms reach the HTTP listener
	// (webhooks, widget links). Default: http://<http.listen>.
	PublicURL     string         `yaml:"public_url"`
	HTTP          HTTP           `yaml:"http"`
	Admin         Admin          `yaml:"admin"`
	Log           Log            `yaml:"log"`
	Store         store.Config   `yaml:"store"`
	Conversations Conversations  `yaml:"conversations"`
	Commands      Commands       `yaml:"commands"`
	Outbox        Outbox         `yaml:"outbox"`
	Webchat       webchat.Config `yaml:"webchat"`
	Console       console.Config `yaml:"console"`

	// Workflow: departments, staff, rules, templates, claims, permissions
	// (top-level keys, see docs/workflow.md).
	Workflow Workflow `yaml:",inline"`
	// Sweep is how often time-based work runs (snoozes, claim expiry, SLA).
	Sweep string `yaml:"sweep"`
	// SLA: policies, calendars, nag ladder, acknowledgements, satisfaction.
	SLA SLA `yaml:"sla"`
	// Digest posts statistics on a schedule (docs/statistics.md).
	Digest DigestConfig `yaml:"digest"`
	// Retention: how long closed conversations are kept (docs/operations.md, "Retention").
	Retention RetentionConfig `yaml:"retention"`
	// Answers: suggestions from past answers, the knowledge base, AI drafts (docs/answers.md).
	Answers AnswersConfig `yaml:"answers"`

	Slack slack.Config `yaml:"slack"`

	// telegram section
	Telegram telegram.Config `yaml:"telegram"`

	// email section
	Email email.Config `yaml:"email"`

	// discord section
	Discord discord.Config `yaml:"discord"`

	// mattermost section
	Mattermost mattermost.Config `yaml:"mattermost"`
	// whatsapp section (docs/whatsapp.md)
	WhatsApp whatsapp.Config `yaml:"whatsapp"`
}

// HTTP is the public listener (web chat, webhooks, health).
type HTTP struct {
	Listen          string          `yaml:"listen"`
	MaxBodyBytes    int64           `yaml:"max_body_bytes"`
	ShutdownTimeout bridge.Duration `yaml:"shutdown_timeout"`
	// ReadTimeout bounds reading one request, body included, so a slow
	// body cannot hold a connection (WebSockets keep their own deadlines
	// once upgraded).
	ReadTimeout bridge.Duration `yaml:"read_timeout"`
	// IdleTimeout closes a keep-alive connection idle this long.
	IdleTimeout bridge.Duration `yaml:"idle_timeout"`

	// Operations: /metrics and /readyz.

	// Metrics serves Prometheus metrics at /metrics on this listener
	// (default true; false turns it off).
	Metrics *bool `yaml:"metrics"`
	// MetricsToken, if set, must come as "Authorization: Bearer <token>" on /metrics.
	MetricsToken     string `yaml:"metrics_token"`
	MetricsTokenFile string `yaml:"metrics_token_file"`
	// ReadyGrace is how long an adapter may be disconnected (at start-up
	// or after a drop) before /readyz answers 503 (default 30s).
	ReadyGrace bridge.Duration `yaml:"ready_grace"`
}

// MetricsEnabled reports whether /metrics is served.
func (h HTTP) MetricsEnabled() bool { return h.Metrics == nil || *h.Metrics }

// Admin is the loopback API the CLI uses to talk to the daemon.
type Admin struct {
	Listen    string `yaml:"listen"`
	TokenFile string `yaml:"token_file"`
}

// Log configures slog.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Conversations holds lifecycle rules.
type Conversations struct {
	ReopenWindow    bridge.Duration `yaml:"reopen_window"`
	DefaultPriority string          `yaml:"default_priority"`
	MaxMessageBytes int             `yaml:"max_message_bytes"`
}

// Commands configures the staff command syntax.
type Commands struct {
	Prefix       string   `yaml:"prefix"`
	NotePrefixes []string `yaml:"note_prefixes"`
}

func (c *Config) applyEnv(env Env) {
	set := func(dst *string, key string) {
		if v, ok := env(key); ok && v != "" {
			*dst = v
		}
	}
	set(&c.Store.Path, "THREADLINE_DB")
	set(&c.HTTP.Listen, "THREADLINE_LISTEN")
	set(&c.PublicURL, "THREADLINE_PUBLIC_URL")
	set(&c.Admin.Listen, "THREADLINE_ADMIN_LISTEN")
	set(&c.DataDir, "THREADLINE_DATA_DIR")
	set(&c.HTTP.MetricsToken, "THREADLINE_METRICS_TOKEN")
	set(&c.Answers.LLM.URL, "THREADLINE_LLM_URL")
	set(&c.Answers.LLM.APIKey, "THREADLINE_LLM_API_KEY")

	c.Slack.ApplyEnv(env)

	// telegram env
	set(&c.Telegram.BotToken, "TELEGRAM_BOT_TOKEN")
	set(&c.Telegram.APIURL, "TELEGRAM_API_URL")
	set(&c.Telegram.WebhookSecret, "TELEGRAM_WEBHOOK_SECRET")

	// email env
	c.Email.ApplyEnv(env)

	// discord env
	c.Discord.ApplyEnv(env)

	// mattermost env
	c.Mattermost.ApplyEnv(env)
	// whatsapp env
	c.WhatsApp.ApplyEnv(env)
}

// resolvePaths makes relative paths in the file relative to the file's directory.
func (c *Config) resolvePaths(dir string) {
	if c.DataDir == "" && store.IsPostgresURL(c.Store.Path) {
		c.DataDir = dir // no database file whose directory would hold the data
	}
	for _, p := range []*string{&c.Store.Path, &c.DataDir, &c.Admin.TokenFile, &c.Answers.KBDir} {
		if *p != "" && !filepath.IsAbs(*p) && !store.IsPostgresURL(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

func (c *Config) defaults() {
	c.Store.Defaults()
	if c.DataDir == "" {
		c.DataDir = filepath.Dir(c.Store.Path)
	}
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = "127.0.0.1:8080"
	}
	if c.HTTP.MaxBodyBytes <= 0 {
		c.HTTP.MaxBodyBytes = 1 << 20
	}
	if c.HTTP.ShutdownTimeout <= 0 {
		c.HTTP.ShutdownTimeout = bridge.Duration(10 * time.Second)
	}
	if c.HTTP.ReadTimeout <= 0 {
		c.HTTP.ReadTimeout = bridge.Duration(2 * time.Minute)
	}
	if c.HTTP.IdleTimeout <= 0 {
		c.HTTP.IdleTimeout = bridge.Duration(2 * time.Minute)
	}
	if c.HTTP.ReadyGrace <= 0 {
		c.HTTP.ReadyGrace = bridge.Duration(30 * time.Second)
	}
	if c.PublicURL == "" {
		host := c.HTTP.Listen
		if h, p, err := net.SplitHostPort(host); err == nil && (h == "" || h == "0.0.0.0" || h == "::") {
			host = net.JoinHostPort("localhost", p)
		}
		c.PublicURL = "http://" + host
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Admin.Listen == "" {
		c.Admin.Listen = "127.0.0.1:8081"
	}
	if c.Admin.TokenFile == "" {
		c.Admin.TokenFile = filepath.Join(c.DataDir, "admin.token")
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.Conversations.ReopenWindow == 0 {
		c.Conversations.ReopenWindow = bridge.Duration(7 * 24 * time.Hour)
	}
	if c.Conversations.DefaultPriority == "" {
		c.Conversations.DefaultPriority = "normal"
	}
	if c.Commands.Prefix == "" {
		c.Commands.Prefix = "!"
	}
	if c.Commands.NotePrefixes == nil {
		c.Commands.NotePrefixes = []string{"//"}
	}
	c.Outbox.Defaults()
	c.Webchat.Defaults()
	c.Workflow.Defaults()
	c.SLA.Defaults()
	c.Retention.Defaults()
	c.Answers.Defaults()
	if c.Sweep == "" {
		c.Sweep = "@every 1m"
	}
	c.Digest.Defaults(c.Workflow.Timezone)

	c.Slack.Defaults()

	// telegram defaults
	c.Telegram.Defaults()

	// email defaults
	c.Email.Defaults()

	// discord defaults
	c.Discord.Defaults()

	// mattermost defaults
	c.Mattermost.Defaults()
	// whatsapp defaults
	c.WhatsApp.Defaults()
}

type sectionErr struct {
	section string
	err     error
}

func (c *Config) validate() []sectionErr {
	var out []sectionErr
	add := func(section string, err error) {
		if err != nil {
			out = append(out, sectionErr{section, err})
		}
	}
	add("store", c.Store.Validate())
	add("outbox", c.Outbox.Validate())
	add("webchat", c.Webchat.Validate())
	add("", c.Workflow.Validate(commands.Names(), c.StaffIDs()))
	add("sla", c.SLA.Validate(c.Workflow.DepartmentKeys()))
	if c.SLA.OverdueDigest != "" {
		if _, err := cron.ParseStandard(c.SLA.OverdueDigest); err != nil {
			add("sla", bridge.FieldErrorf("overdue_digest", "%q is not a cron schedule: %v", c.SLA.OverdueDigest, err))
		}
	}
	add("retention", c.Retention.Validate(c.Conversations.ReopenWindow.D()))
	if cal := c.Workflow.Assignment.Calendar; cal != "" && cal != "24x7" {
		if _, ok := c.SLA.Calendars[cal]; !ok {
			add("", bridge.FieldErrorf("assignment.calendar", "unknown calendar %q (define it under sla.calendars)", cal))
		}
	}
	if _, err := cron.ParseStandard(c.Sweep); err != nil {
		add("", bridge.FieldErrorf("sweep", "%q is not a cron schedule (e.g. \"@every 1m\" or \"*/2 * * * *\"): %v", c.Sweep, err))
	}
	add("digest", c.Digest.Validate())
	add("answers", c.Answers.Validate())
	for dept, d := range c.Workflow.Departments {
		if ch := d.Channels["slack"]; ch != "" && c.Slack.Enabled() && !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") {
			add("", bridge.FieldErrorf("departments."+dept+".channels.slack", "%q is not a Slack channel id", ch))
		}
		if ch := d.Channels["mattermost"]; ch != "" && !mattermost.IsID(ch) {
			add("", bridge.FieldErrorf("departments."+dept+".channels.mattermost", "%q is not a Mattermost channel id (26 letters and digits: the channel's View Info)", ch))
		}
	}

	add("slack", c.Slack.Validate())
	if !c.Console.Enabled && !c.Slack.Enabled() && !c.Discord.Enabled() && !c.Mattermost.Enabled() {
		add("", bridge.FieldErrorf("console.enabled", "no staff surface is enabled: set console.enabled: true or configure Slack, Discord or Mattermost (threadline serve refuses to start without one: nobody could answer customers)"))
	}

	// telegram validate
	add("telegram", c.Telegram.Validate())
	if c.Telegram.Enabled() && c.Telegram.Webhook() && c.Telegram.APIURL == telegram.DefaultAPIURL && !strings.HasPrefix(c.PublicURL, "https://") {
		add("telegram", bridge.FieldErrorf("webhook_secret", "webhook mode needs public_url to be an https:// URL Telegram can reach (ports 443, 80, 88 or 8443); unset the secret to use long polling"))
	}

	// email validate
	add("email", c.Email.Validate())

	// discord validate
	add("discord", c.Discord.Validate())

	// mattermost validate
	add("mattermost", c.Mattermost.Validate())
	// whatsapp validate
	add("whatsapp", c.WhatsApp.Validate())
	if c.WhatsApp.Enabled() && c.WhatsApp.APIURL == whatsapp.DefaultAPIURL && !strings.HasPrefix(c.PublicURL, "https://") {
		add("whatsapp", bridge.FieldErrorf("token", "WhatsApp sends messages to a webhook: public_url must be the https:// address Meta reaches this daemon at (callback URL <public_url>%s)", whatsapp.WebhookPath))
	}

	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add("http", bridge.FieldErrorf("listen", "%q is not host:port (e.g. 127.0.0.1:8080)", c.HTTP.Listen))
	}
	if err := checkLoopback(c.Admin.Listen); err != nil {
		add("admin", bridge.FieldErrorf("listen", "%v", err))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("", bridge.FieldErrorf("public_url", "%q is not an http(s) URL", c.PublicURL))
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		add("log", bridge.FieldErrorf("level", "must be debug, info, warn or error, not %q", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log", bridge.FieldErrorf("format", "must be text or json, not %q", c.Log.Format))
	}
	if _, err := bridge.ParsePriority(c.Conversations.DefaultPriority); err != nil {
		add("conversations", bridge.FieldErrorf("default_priority", "%v", err))
	}
	if strings.TrimSpace(c.Commands.Prefix) != c.Commands.Prefix || len(c.Commands.Prefix) > 3 {
		add("commands", bridge.FieldErrorf("prefix", "must be 1 to 3 characters without spaces"))
	}
	for i, p := range c.Commands.NotePrefixes {
		if p == "" || p == c.Commands.Prefix {
			add("commands", bridge.FieldErrorf(fmt.Sprintf("note_prefixes[%d]", i), "must be non-empty and differ from the command prefix"))
		}
	}
	return out
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return errors.New("the admin API must listen on a loopback address (127.0.0.1 or ::1); it controls conversations")
	}
	return nil
}

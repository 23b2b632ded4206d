package slack

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Config is the slack section of config.yaml.
type Config struct {
	// BotToken (xoxb-...) posts and reads; env SLACK_BOT_TOKEN.
	BotToken     string `yaml:"bot_token"`
	BotTokenFile string `yaml:"bot_token_file"`
	// AppToken (xapp-...) turns on Socket Mode (no public URL needed); env SLACK_APP_TOKEN.
	AppToken     string `yaml:"app_token"`
	AppTokenFile string `yaml:"app_token_file"`
	// SigningSecret verifies HTTP Events API requests; env SLACK_SIGNING_SECRET.
	SigningSecret     string `yaml:"signing_secret"`
	SigningSecretFile string `yaml:"signing_secret_file"`
	// ChannelID is the default staff channel; env SLACK_CHANNEL_ID.
	ChannelID string `yaml:"channel_id"`
	// Channels routes departments to their own channels (department: channel id).
	Channels map[string]string `yaml:"channels"`
	// APIURL is the Web API base; env SLACK_API_URL. Tests point it at a fake.
	APIURL string `yaml:"api_url"`
	// PostAsCustomer shows customer messages under the customer's name
	// (needs the chat:write.customize scope).
	PostAsCustomer bool `yaml:"post_as_customer"`
	// SlashCommand is the command name registered in the app ("/ticket").
	SlashCommand string `yaml:"slash_command"`
	// Reactions used as delivery receipts on staff replies.
	SentReaction   string `yaml:"sent_reaction"`
	FailedReaction string `yaml:"failed_reaction"`
	// ReadReaction marks a reply the customer read, on channels that say
	// so (WhatsApp).
	ReadReaction string `yaml:"read_reaction"`
}

// ApplyEnv fills the section from SLACK_* variables (environment wins).
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	for key, dst := range map[string]*string{
		"SLACK_BOT_TOKEN": &c.BotToken, "SLACK_APP_TOKEN": &c.AppToken, "SLACK_SIGNING_SECRET": &c.SigningSecret,
		"SLACK_CHANNEL_ID": &c.ChannelID, "SLACK_API_URL": &c.APIURL,
	} {
		if v, ok := env(key); ok && v != "" {
			*dst = v
		}
	}
}

// Enabled reports whether the surface should run: a bot token is set.
func (c Config) Enabled() bool { return c.BotToken != "" }

// SocketMode reports whether events come over Socket Mode.
func (c Config) SocketMode() bool { return c.AppToken != "" }

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.APIURL == "" {
		c.APIURL = "https://slack.com/api/"
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.SlashCommand == "" {
		c.SlashCommand = "/ticket"
	}
	if c.SentReaction == "" {
		c.SentReaction = "white_check_mark"
	}
	if c.FailedReaction == "" {
		c.FailedReaction = "x"
	}
	if c.ReadReaction == "" {
		c.ReadReaction = "eyes"
	}
}

var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

// Validate reports config errors. An unset bot token is not an error: the
// surface is simply off.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if !strings.HasPrefix(c.BotToken, "xoxb-") {
		errs = append(errs, bridge.FieldErrorf("bot_token", "must be a bot token starting with xoxb- (from OAuth & Permissions)"))
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		errs = append(errs, bridge.FieldErrorf("app_token", "must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)"))
	}
	if c.AppToken == "" && c.SigningSecret == "" {
		errs = append(errs, bridge.FieldErrorf("app_token", "set SLACK_APP_TOKEN for Socket Mode, or SLACK_SIGNING_SECRET for the HTTP Events API"))
	}
	if c.ChannelID == "" {
		errs = append(errs, bridge.FieldErrorf("channel_id", "is required: the staff channel id (SLACK_CHANNEL_ID, e.g. C0123456789)"))
	} else if !channelID.MatchString(c.ChannelID) {
		errs = append(errs, bridge.FieldErrorf("channel_id", "%q is not a channel id (open the channel's details in Slack; the id looks like C0123456789)", c.ChannelID))
	}
	for dept, ch := range c.Channels {
		if !channelID.MatchString(ch) {
			errs = append(errs, bridge.FieldErrorf("channels."+dept, "%q is not a channel id", ch))
		}
	}
	if u, err := url.Parse(c.APIURL); c.APIURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https")) {
		errs = append(errs, bridge.FieldErrorf("api_url", "%q is not an http(s) URL", c.APIURL))
	}
	if c.SlashCommand != "" && !strings.HasPrefix(c.SlashCommand, "/") {
		errs = append(errs, bridge.FieldErrorf("slash_command", "must start with /"))
	}
	return errors.Join(errs...)
}

package mattermost

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Ways customer messages show who wrote them (Config.CustomerNames).
const (
	// NamesAuto uses the username override when the server allows it
	// (ServiceSettings.EnablePostUsernameOverride, read at start from the
	// client config), the prefix otherwise.
	NamesAuto = "auto"
	// NamesOverride always posts under the customer's name.
	NamesOverride = "override"
	// NamesPrefix always posts as the bot with "**Name:**" before the text.
	NamesPrefix = "prefix"
)

// Config is the mattermost section of config.yaml.
type Config struct {
	// URL is the Mattermost server's address, e.g. https://chat.example.com
	// (env MATTERMOST_URL); the REST API is under /api/v4.
	URL string `yaml:"url"`
	// BotToken is the bot account's access token (env MATTERMOST_BOT_TOKEN).
	BotToken     string `yaml:"bot_token"`
	BotTokenFile string `yaml:"bot_token_file"`
	// ChannelID is the staff channel (env MATTERMOST_CHANNEL_ID): a root
	// post per conversation, the thread under it.
	ChannelID string `yaml:"channel_id"`
	// Channels gives departments their own channel (department: channel
	// id); filled from departments.<name>.channels.mattermost.
	Channels map[string]string `yaml:"channels"`
	// CommandToken is the token Mattermost shows for the /ticket slash
	// command (env MATTERMOST_COMMAND_TOKEN); requests to
	// /mattermost/command without it are refused. Unset: the slash command
	// is off.
	CommandToken     string `yaml:"command_token"`
	CommandTokenFile string `yaml:"command_token_file"`
	// SlashCommand is the command's trigger as registered ("/ticket").
	SlashCommand string `yaml:"slash_command"`
	// CustomerNames says how customer messages show the customer's name:
	// auto (the username override if the server allows it, else a bold
	// prefix), override or prefix.
	CustomerNames string `yaml:"customer_names"`
	// SentReaction is the emoji name put on a staff reply once the
	// customer has it.
	SentReaction string `yaml:"sent_reaction"`
	// FailedReaction is the emoji name put on a staff reply that could not
	// be delivered (a reply in the thread says why).
	FailedReaction string `yaml:"failed_reaction"`
	// ReadReaction is the emoji name put on a staff reply the customer
	// read, on channels that say so (WhatsApp).
	ReadReaction string `yaml:"read_reaction"`
}

// ApplyEnv reads MATTERMOST_URL, MATTERMOST_BOT_TOKEN, MATTERMOST_CHANNEL_ID
// and MATTERMOST_COMMAND_TOKEN; set variables override the file.
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	for _, kv := range []struct {
		dst *string
		key string
	}{
		{&c.URL, "MATTERMOST_URL"},
		{&c.BotToken, "MATTERMOST_BOT_TOKEN"},
		{&c.ChannelID, "MATTERMOST_CHANNEL_ID"},
		{&c.CommandToken, "MATTERMOST_COMMAND_TOKEN"},
	} {
		if v, ok := env(kv.key); ok && strings.TrimSpace(v) != "" {
			*kv.dst = strings.TrimSpace(v)
		}
	}
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	c.URL = strings.TrimRight(strings.TrimSpace(c.URL), "/")
	c.URL = strings.TrimSuffix(c.URL, "/api/v4")
	c.BotToken = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.BotToken), "Bearer "))
	if c.SlashCommand == "" {
		c.SlashCommand = "/ticket"
	}
	if c.CustomerNames == "" {
		c.CustomerNames = NamesAuto
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

// Enabled reports whether the surface should run: a server, a token and a
// channel.
func (c Config) Enabled() bool { return c.URL != "" && c.BotToken != "" && c.ChannelID != "" }

// OffReason says why the surface is off ("" when it is on).
func (c Config) OffReason() string {
	switch {
	case c.URL == "":
		return "MATTERMOST_URL not set"
	case c.BotToken == "":
		return "MATTERMOST_BOT_TOKEN not set"
	case c.ChannelID == "":
		return "MATTERMOST_CHANNEL_ID not set"
	}
	return ""
}

// IsID reports whether s looks like a Mattermost id: 26 lower-case
// letters and digits (users, channels and posts all have such ids).
func IsID(s string) bool { return mmID.MatchString(s) }

var (
	mmID      = regexp.MustCompile(`^[a-z0-9]{26}$`)
	emojiName = regexp.MustCompile(`^[a-z0-9_+-]{1,64}$`)
)

// Validate reports config errors. An unset section is not an error: the
// surface is simply off.
func (c Config) Validate() error {
	var errs []error
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, bridge.FieldErrorf("url", "%q is not an http(s) URL (the address you open Mattermost at, e.g. https://chat.example.com)", c.URL))
		}
	}
	if c.BotToken != "" && strings.ContainsAny(c.BotToken, " \t\r\n") {
		errs = append(errs, bridge.FieldErrorf("bot_token", "contains whitespace; paste the bot's access token (System Console → Integrations → Bot Accounts → Create New Token)"))
	}
	if c.CommandToken != "" && strings.ContainsAny(c.CommandToken, " \t\r\n") {
		errs = append(errs, bridge.FieldErrorf("command_token", "contains whitespace; paste the token Mattermost shows after saving the slash command"))
	}
	if c.ChannelID != "" && !IsID(c.ChannelID) {
		errs = append(errs, bridge.FieldErrorf("channel_id", "%q is not a Mattermost channel id (26 letters and digits: open the channel → channel name → View Info)", c.ChannelID))
	}
	for dept, ch := range c.Channels {
		if !IsID(ch) {
			errs = append(errs, bridge.FieldErrorf("channels."+dept, "%q is not a Mattermost channel id", ch))
		}
	}
	if c.SlashCommand != "" && (!strings.HasPrefix(c.SlashCommand, "/") || strings.ContainsAny(c.SlashCommand, " \t")) {
		errs = append(errs, bridge.FieldErrorf("slash_command", "must start with / and contain no spaces"))
	}
	switch c.CustomerNames {
	case "", NamesAuto, NamesOverride, NamesPrefix:
	default:
		errs = append(errs, bridge.FieldErrorf("customer_names", "must be auto, override or prefix, not %q", c.CustomerNames))
	}
	for field, v := range map[string]string{"sent_reaction": c.SentReaction, "failed_reaction": c.FailedReaction, "read_reaction": c.ReadReaction} {
		if v != "" && !emojiName.MatchString(v) {
			errs = append(errs, bridge.FieldErrorf(field, "%q is not an emoji name (such as white_check_mark, without colons)", v))
		}
	}
	return errors.Join(errs...)
}

// StaffChannels lists every staff channel in the config: the default one
// and the departments' own.
func (c Config) StaffChannels() []string {
	return bridge.StaffChannels(c.ChannelID, c.Channels)
}

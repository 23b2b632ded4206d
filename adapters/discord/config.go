package discord

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

// DefaultAPIURL is the REST base discordgo speaks (https://discord.com/api/v9);
// the gateway URL is discovered from it with GET /gateway.
func DefaultAPIURL() string { return strings.TrimSuffix(discordgo.EndpointAPI, "/") }

// Config is the discord section of config.yaml.
type Config struct {
	// BotToken is the bot's token (env DISCORD_BOT_TOKEN, or bot_token_file).
	BotToken     string `yaml:"bot_token"`
	BotTokenFile string `yaml:"bot_token_file"`
	// ChannelID is the staff channel (env DISCORD_CHANNEL_ID): a forum
	// channel gets a post per conversation, a text channel a thread.
	ChannelID string `yaml:"channel_id"`
	// Channels gives departments their own forum or text channel
	// (department: channel id); filled from departments.<name>.channels.discord.
	Channels map[string]string `yaml:"channels"`
	// GuildID, if set, registers the slash commands in that server only
	// (they appear at once); otherwise they are registered globally.
	GuildID string `yaml:"guild_id"`
	// ApplicationID overrides the id learned from the gateway's READY.
	ApplicationID string `yaml:"application_id"`
	// APIURL is the REST base (env DISCORD_API_URL), for proxies and tests.
	APIURL string `yaml:"api_url"`
	// Tags maps a status (open, waiting, closed), a priority (urgent, high,
	// normal, low) or a department name to the forum tag to apply. Unmapped
	// values use a tag of the same name (case-insensitive) if the forum has one.
	Tags map[string]string `yaml:"tags"`
	// CreateTags creates the missing status and priority tags in the forum
	// at start (needs the Manage Channels permission).
	CreateTags bool `yaml:"create_tags"`
	// StaffRoleIDs, if set, limits who may act in threads to members with
	// one of these roles (or a lead/admin role). Others are told they cannot.
	StaffRoleIDs []string `yaml:"staff_role_ids"`
	// LeadRoleIDs and AdminRoleIDs give Threadline's lead and admin roles.
	LeadRoleIDs  []string `yaml:"lead_role_ids"`
	AdminRoleIDs []string `yaml:"admin_role_ids"`
	// WebhookName is the name of the webhook Threadline creates on the staff
	// channel to post customer messages under the customer's name.
	WebhookName string `yaml:"webhook_name"`
}

// ApplyEnv reads DISCORD_BOT_TOKEN, DISCORD_CHANNEL_ID, DISCORD_GUILD_ID and
// DISCORD_API_URL; set variables override the file.
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	for _, kv := range []struct {
		dst *string
		key string
	}{
		{&c.BotToken, "DISCORD_BOT_TOKEN"},
		{&c.ChannelID, "DISCORD_CHANNEL_ID"},
		{&c.GuildID, "DISCORD_GUILD_ID"},
		{&c.APIURL, "DISCORD_API_URL"},
	} {
		if v, ok := env(kv.key); ok && strings.TrimSpace(v) != "" {
			*kv.dst = strings.TrimSpace(v)
		}
	}
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	c.BotToken = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.BotToken), "Bot "))
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL()
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.WebhookName == "" {
		c.WebhookName = "Threadline"
	}
}

// Enabled reports whether the surface should run: a token and a channel.
func (c Config) Enabled() bool { return c.BotToken != "" && c.ChannelID != "" }

// OffReason says why the surface is off ("" when it is on).
func (c Config) OffReason() string {
	switch {
	case c.BotToken == "":
		return "DISCORD_BOT_TOKEN not set"
	case c.ChannelID == "":
		return "DISCORD_CHANNEL_ID not set"
	}
	return ""
}

var snowflake = regexp.MustCompile(`^[0-9]{15,21}$`)

// Validate reports config errors.
func (c Config) Validate() error {
	var errs []error
	if c.BotToken != "" && strings.ContainsAny(c.BotToken, " \t\n") {
		errs = append(errs, bridge.FieldErrorf("bot_token", "contains whitespace; paste the token from the Bot page of the developer portal"))
	}
	for field, v := range map[string]string{"channel_id": c.ChannelID, "guild_id": c.GuildID, "application_id": c.ApplicationID} {
		if v != "" && !snowflake.MatchString(v) {
			errs = append(errs, bridge.FieldErrorf(field, "%q is not a Discord id (a number such as 1098765432109876543; enable Developer Mode and use Copy ID)", v))
		}
	}
	for field, ids := range map[string][]string{"staff_role_ids": c.StaffRoleIDs, "lead_role_ids": c.LeadRoleIDs, "admin_role_ids": c.AdminRoleIDs} {
		for i, v := range ids {
			if !snowflake.MatchString(v) {
				errs = append(errs, bridge.FieldErrorf(fmt.Sprintf("%s[%d]", field, i), "%q is not a Discord role id", v))
			}
		}
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, bridge.FieldErrorf("api_url", "%q is not an http(s) URL (default %s)", c.APIURL, DefaultAPIURL()))
		}
	}
	for k, v := range c.Tags {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" || len([]rune(v)) > 20 {
			errs = append(errs, bridge.FieldErrorf("tags."+k, "tag names must be 1 to 20 characters"))
		}
	}
	if c.WebhookName != "" && (forbiddenName.MatchString(c.WebhookName) || len([]rune(c.WebhookName)) > 80) {
		errs = append(errs, bridge.FieldErrorf("webhook_name", "must be at most 80 characters and may not contain \"discord\" or \"clyde\" (Discord refuses it)"))
	}
	return errors.Join(errs...)
}

package discord

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

// Identity is what Discord says about the bot token (`threadline doctor`).
type Identity struct {
	BotID, Username   string
	ApplicationID     string
	GatewayURL        string
	SessionsRemaining int // gateway connects left today (session_start_limit)
	// MessageContent says whether the Message Content intent is enabled
	// for the application (flags GATEWAY_MESSAGE_CONTENT or its _LIMITED
	// form); nil when Discord did not say.
	MessageContent *bool
}

// Application flags for the Message Content intent (verified apps get the
// first, apps in fewer than 100 servers the second).
const (
	flagMessageContent        = 1 << 18
	flagMessageContentLimited = 1 << 19
)

// CheckGateway asks for the gateway (GET /gateway/bot), the bot user
// (GET /users/@me) and the application (GET /oauth2/applications/@me).
func (s *Surface) CheckGateway(ctx context.Context) (Identity, error) {
	gw, err := s.sess.GatewayBot(discordgo.WithContext(ctx))
	if err != nil {
		return Identity{}, tokenError("GET /gateway/bot", err)
	}
	me, err := s.sess.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return Identity{}, tokenError("GET /users/@me", err)
	}
	id := Identity{BotID: me.ID, Username: me.Username, GatewayURL: gw.URL, SessionsRemaining: gw.SessionStartLimit.Remaining,
		ApplicationID: s.cfg.ApplicationID}
	// discordgo's Application has no flags field: read them from the JSON.
	body, err := s.sess.RequestWithBucketID("GET", discordgo.EndpointOAuth2Application("@me"), nil,
		discordgo.EndpointOAuth2Application(""), discordgo.WithContext(ctx))
	if err != nil {
		return id, tokenError("GET /oauth2/applications/@me", err)
	}
	var app struct {
		ID    string `json:"id"`
		Flags *int64 `json:"flags"`
	}
	if err := json.Unmarshal(body, &app); err != nil {
		return id, fmt.Errorf("discord GET /oauth2/applications/@me: %w", err)
	}
	if id.ApplicationID == "" {
		id.ApplicationID = app.ID
	}
	if app.Flags != nil {
		on := *app.Flags&(flagMessageContent|flagMessageContentLimited) != 0
		id.MessageContent = &on
	}
	return id, nil
}

func tokenError(op string, err error) error {
	if status, _, ok := restCode(err); ok && status == 401 {
		return fmt.Errorf("discord %s: 401 Unauthorized: the bot token was refused", op)
	}
	return classify(op, err)
}

// Permission is one permission Threadline needs in a staff channel.
type Permission struct {
	Bit  int64
	Name string
	Why  string
}

// Permissions lists what the bot needs in a staff channel; with
// create_tags also Manage Channels.
func (c Config) Permissions() []Permission {
	p := []Permission{
		{discordgo.PermissionViewChannel, "View Channels", "see the staff channel"},
		{discordgo.PermissionSendMessages, "Send Messages", "post ticket cards"},
		{discordgo.PermissionSendMessagesInThreads, "Send Messages in Threads", "post in conversation threads"},
		{discordgo.PermissionCreatePublicThreads, "Create Public Threads", "open a post or thread per conversation"},
		{discordgo.PermissionManageThreads, "Manage Threads", "archive, unarchive and tag posts"},
		{discordgo.PermissionManageWebhooks, "Manage Webhooks", "post customer messages under the customer's name"},
		{discordgo.PermissionReadMessageHistory, "Read Message History", "edit cards, react to staff messages and catch up on messages written while Threadline was offline"},
		{discordgo.PermissionAddReactions, "Add Reactions", "delivery receipts"},
		{discordgo.PermissionEmbedLinks, "Embed Links", "link cards and previous posts"},
		{discordgo.PermissionAttachFiles, "Attach Files", "forward customer files and digest charts"},
		{discordgo.PermissionUseApplicationCommands, "Use Application Commands", "slash commands"},
	}
	if c.CreateTags {
		p = append(p, Permission{discordgo.PermissionManageChannels, "Manage Channels", "create missing forum tags (create_tags: true)"})
	}
	return p
}

// ChannelCheck is what CheckChannel found about a staff channel.
type ChannelCheck struct {
	ID, Name    string
	Kind        string // "forum", "text" or "unsupported"
	Missing     []Permission
	MissingTags []string // forum tags Threadline applies that the forum lacks
}

// CheckChannel reads a staff channel and computes the bot's permissions in
// it from the guild's roles, the bot's roles and the channel's overwrites
// (GET /channels/{id}, /guilds/{id}, /guilds/{id}/members/{bot}).
func (s *Surface) CheckChannel(ctx context.Context, botID, channelID string) (ChannelCheck, error) {
	out := ChannelCheck{ID: channelID}
	ch, err := s.sess.Channel(channelID, discordgo.WithContext(ctx))
	if err != nil {
		if hasCode(err, codeUnknownChannel) {
			return out, fmt.Errorf("discord: channel %s does not exist or the bot cannot see it", channelID)
		}
		return out, tokenError("GET /channels/"+channelID, err)
	}
	out.Name = ch.Name
	switch {
	case isForum(ch.Type):
		out.Kind = "forum"
		out.MissingTags = s.cfg.missingTags(ch.AvailableTags)
	case isText(ch.Type):
		out.Kind = "text"
	default:
		out.Kind = "unsupported"
	}
	perms, err := s.sess.UserChannelPermissions(botID, channelID, discordgo.WithContext(ctx))
	if err != nil {
		return out, tokenError("permissions in "+channelID, err)
	}
	for _, p := range s.cfg.Permissions() {
		if perms&p.Bit != p.Bit {
			out.Missing = append(out.Missing, p)
		}
	}
	return out, nil
}

// StaffChannels lists the configured staff channels: the default one and
// the departments' own.
func (c Config) StaffChannels() []string {
	return bridge.StaffChannels(c.ChannelID, c.Channels)
}

// RegisterCommands overwrites the application's slash commands (globally,
// or in guild_id's server) with Threadline's, as Run does at every start.
// It returns how many were registered and where.
func (s *Surface) RegisterCommands(ctx context.Context, appID string) (int, string, error) {
	var cmds []*discordgo.ApplicationCommand
	for _, c := range s.o.SlashCommands {
		cmds = append(cmds, c.applicationCommand())
	}
	scope := "globally"
	if s.cfg.GuildID != "" {
		scope = "in server " + s.cfg.GuildID
	}
	if _, err := s.sess.ApplicationCommandBulkOverwrite(appID, s.cfg.GuildID, cmds, discordgo.WithContext(ctx)); err != nil {
		return 0, scope, classify("register commands", err)
	}
	return len(cmds), scope, nil
}

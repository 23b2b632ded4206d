package fakediscord

import "encoding/json"

// Channel types, as Discord numbers them.
const (
	TypeText         = 0
	TypeVoice        = 2
	TypeAnnouncement = 5
	TypePublicThread = 11
	TypeForum        = 15
	TypeMedia        = 16
)

// Discord JSON error codes the fake answers with.
const (
	CodeUnknownChannel     = 10003
	CodeUnknownMessage     = 10008
	CodeUnknownWebhook     = 10015
	CodeUnknownInteraction = 10062
	CodeCannotEditOthers   = 50005
	CodeNonTextChannel     = 50008
	CodeInvalidFormBody    = 50035
	CodeThreadArchived     = 50083
	CodeAlreadyAcked       = 40060
	CodeThreadExists       = 160004
	CodeForumNeedsThread   = 220001
)

// User is a Discord user object.
type User struct {
	ID            string  `json:"id"`
	Username      string  `json:"username"`
	GlobalName    string  `json:"global_name,omitempty"`
	Discriminator string  `json:"discriminator"`
	Avatar        *string `json:"avatar"`
	Bot           bool    `json:"bot,omitempty"`
}

// Member is a guild member object (the partial one Discord puts on messages
// carries no user).
type Member struct {
	User        *User    `json:"user,omitempty"`
	Nick        string   `json:"nick,omitempty"`
	Roles       []string `json:"roles"`
	JoinedAt    string   `json:"joined_at"`
	Permissions string   `json:"permissions,omitempty"`
}

// Person is a guild member the tests act as.
type Person struct {
	ID         string
	Username   string
	GlobalName string
	Nick       string
	Roles      []string
	Bot        bool
}

func (p Person) user() *User {
	return &User{ID: p.ID, Username: p.Username, GlobalName: p.GlobalName, Discriminator: "0", Bot: p.Bot}
}

func (p Person) member(withUser bool) *Member {
	m := &Member{Nick: p.Nick, Roles: append([]string{}, p.Roles...), JoinedAt: "2024-01-01T00:00:00+00:00", Permissions: "2248473465835073"}
	if withUser {
		m.User = p.user()
	}
	return m
}

// Tag is a forum tag.
type Tag struct {
	ID        string  `json:"id,omitempty"`
	Name      string  `json:"name"`
	Moderated bool    `json:"moderated"`
	EmojiID   *string `json:"emoji_id"`
	EmojiName *string `json:"emoji_name"`
}

// ThreadMetadata is the thread-only part of a channel.
type ThreadMetadata struct {
	Archived            bool   `json:"archived"`
	AutoArchiveDuration int    `json:"auto_archive_duration"`
	ArchiveTimestamp    string `json:"archive_timestamp"`
	Locked              bool   `json:"locked"`
}

// Channel is a Discord channel object (guild channels and threads).
type Channel struct {
	ID             string          `json:"id"`
	Type           int             `json:"type"`
	GuildID        string          `json:"guild_id,omitempty"`
	Name           string          `json:"name"`
	ParentID       string          `json:"parent_id,omitempty"`
	OwnerID        string          `json:"owner_id,omitempty"`
	Flags          int             `json:"flags"`
	AvailableTags  []Tag           `json:"available_tags,omitempty"`
	AppliedTags    []string        `json:"applied_tags,omitempty"`
	ThreadMetadata *ThreadMetadata `json:"thread_metadata,omitempty"`
	MessageCount   int             `json:"message_count,omitempty"`
	LastMessageID  string          `json:"last_message_id,omitempty"`

	PermissionOverwrites []Overwrite `json:"permission_overwrites,omitempty"`
}

// Attachment is a message attachment; Data holds the uploaded bytes.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	Size        int    `json:"size"`
	URL         string `json:"url"`
	ProxyURL    string `json:"proxy_url"`
	ContentType string `json:"content_type,omitempty"`
	Data        []byte `json:"-"`
}

// MessageReference points at the message a reply answers.
type MessageReference struct {
	MessageID string `json:"message_id,omitempty"`
	ChannelID string `json:"channel_id,omitempty"`
	GuildID   string `json:"guild_id,omitempty"`
}

// Message is a Discord message object. The fields after Flags are what the
// fake recorded about how it was sent; Discord does not return them.
type Message struct {
	ID               string            `json:"id"`
	Type             int               `json:"type"`
	ChannelID        string            `json:"channel_id"`
	GuildID          string            `json:"guild_id,omitempty"`
	Author           *User             `json:"author"`
	Member           *Member           `json:"member,omitempty"`
	Content          string            `json:"content"`
	Timestamp        string            `json:"timestamp"`
	EditedTimestamp  *string           `json:"edited_timestamp"`
	TTS              bool              `json:"tts"`
	MentionEveryone  bool              `json:"mention_everyone"`
	Mentions         []User            `json:"mentions"`
	MentionRoles     []string          `json:"mention_roles"`
	Attachments      []Attachment      `json:"attachments"`
	Embeds           []json.RawMessage `json:"embeds"`
	Components       []json.RawMessage `json:"components"`
	Pinned           bool              `json:"pinned"`
	WebhookID        string            `json:"webhook_id,omitempty"`
	MessageReference *MessageReference `json:"message_reference,omitempty"`
	Flags            int               `json:"flags"`

	// AllowedMentions is the allowed_mentions object it was sent with
	// (nil when none was given, which lets Discord parse every mention).
	AllowedMentions json.RawMessage `json:"-"`
	// Username and AvatarURL are the webhook overrides it was sent with.
	Username  string `json:"-"`
	AvatarURL string `json:"-"`
	// Edits counts PATCHes of the message.
	Edits int `json:"-"`
	// Pinged reports whether Discord would have notified anyone: an
	// @everyone/@here, a role or a user mention that allowed_mentions let through.
	Pinged bool `json:"-"`
}

// Webhook is an incoming webhook.
type Webhook struct {
	ID            string `json:"id"`
	Type          int    `json:"type"`
	GuildID       string `json:"guild_id"`
	ChannelID     string `json:"channel_id"`
	Name          string `json:"name"`
	Avatar        any    `json:"avatar"`
	Token         string `json:"token,omitempty"`
	ApplicationID string `json:"application_id,omitempty"`
	User          *User  `json:"user,omitempty"`
}

// Response is one answer the bot gave to an interaction.
type Response struct {
	Kind    string // "callback", "edit_original" or "followup"
	Type    int    // callback type (4 message, 5 deferred, 6 deferred update, 7 update)
	Content string
	Flags   int // 64 = ephemeral
	Raw     json.RawMessage
}

// Ephemeral reports whether only the invoking user sees the response.
func (r Response) Ephemeral() bool { return r.Flags&64 != 0 }

// Request is one REST request the fake served.
type Request struct {
	Method string
	Path   string // after the API prefix, with the query
	Status int
}

// Fault makes matching requests fail. Zero fields match anything.
type Fault struct {
	Method       string
	PathContains string
	// Status to answer with; 429 answers Discord's rate-limit body with
	// RetryAfter. Ignored when Drop or Malformed is set.
	Status     int
	RetryAfter float64 // seconds
	Global     bool
	Body       string // raw body; default: a Discord error object
	Drop       bool   // close the connection without answering
	Hang       bool   // answer nothing until the client gives up (a timeout)
	Malformed  bool   // answer 200 with broken JSON
	Lost       bool   // perform the request, then close the connection: the answer is lost
	Times      int    // requests it applies to; default 1
}

// Package fakemattermost is a loopback Mattermost for tests, written from
// the platform's documentation (docs/mattermost.md lists the sources): the
// REST API v4 routes Threadline uses (JSON bodies, bearer tokens, AppError
// answers, 429 with Retry-After and X-Ratelimit-Reset), the WebSocket at
// /api/v4/websocket (authentication challenge, hello, posted, post_edited,
// post_deleted, reaction_added, pings), interactive message buttons (a
// click POSTs the action's context to its integration URL) and custom
// slash commands (a form POST with the command's token). Tests add people
// and channels, write as staff, click buttons, run commands, drop sockets
// and inject faults; every REST call is checked against what the
// documentation says Mattermost accepts (contract.go).
package fakemattermost

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
)

// Options configure a fake.
type Options struct {
	// Token is the bot's access token. Default "fakemattermostbottoken0000".
	Token string
	// BotUsername is the bot's username. Default "threadline".
	BotUsername string
	// UsernameOverride is ServiceSettings.EnablePostUsernameOverride, as the
	// client config reports it.
	UsernameOverride bool
	// BotSystemAdmin gives the bot the system_admin role: only then may it
	// post ephemeral messages (create_post_ephemeral).
	BotSystemAdmin bool
	// PingInterval is how often the WebSocket pings clients. Default 30 s.
	PingInterval time.Duration
}

// Post is a post as the fake stores it (model.Post's JSON).
type Post struct {
	ID        string         `json:"id"`
	CreateAt  int64          `json:"create_at"`
	UpdateAt  int64          `json:"update_at"`
	EditAt    int64          `json:"edit_at"`
	DeleteAt  int64          `json:"delete_at"`
	IsPinned  bool           `json:"is_pinned"`
	UserID    string         `json:"user_id"`
	ChannelID string         `json:"channel_id"`
	RootID    string         `json:"root_id"`
	Message   string         `json:"message"`
	Type      string         `json:"type"`
	Props     map[string]any `json:"props"`
	Hashtags  string         `json:"hashtags"`
	FileIDs   []string       `json:"file_ids,omitempty"`
	Metadata  *Metadata      `json:"metadata,omitempty"`
}

// Metadata carries a post's files (model.PostMetadata).
type Metadata struct {
	Files []FileInfo `json:"files,omitempty"`
}

// FileInfo is an uploaded file (model.FileInfo).
type FileInfo struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
	CreateAt  int64  `json:"create_at"`
	Name      string `json:"name"`
	Extension string `json:"extension"`
	Size      int64  `json:"size"`
	MimeType  string `json:"mime_type"`
}

// Attachments returns the post's message attachments (props.attachments).
func (p Post) Attachments() []Attachment {
	b, _ := json.Marshal(p.Props["attachments"])
	var out []Attachment
	_ = json.Unmarshal(b, &out)
	return out
}

// Prop returns a string prop.
func (p Post) Prop(key string) string {
	s, _ := p.Props[key].(string)
	return s
}

// Attachment is a message attachment (model.SlackAttachment), as tests read it.
type Attachment struct {
	Fallback string   `json:"fallback"`
	Color    string   `json:"color"`
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Fields   []Field  `json:"fields"`
	Actions  []Action `json:"actions"`
	Footer   string   `json:"footer"`
}

// Field is one attachment field.
type Field struct {
	Title string `json:"title"`
	Value any    `json:"value"`
	Short bool   `json:"short"`
}

// Action is a button (model.PostAction).
type Action struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Style       string `json:"style"`
	Integration struct {
		URL     string         `json:"url"`
		Context map[string]any `json:"context"`
	} `json:"integration"`
}

// Field returns the value of the field titled title ("" when absent).
func (a Attachment) Field(title string) string {
	for _, f := range a.Fields {
		if f.Title == title {
			s, _ := f.Value.(string)
			return s
		}
	}
	return ""
}

// User is a person or bot (model.User's JSON).
type User struct {
	ID        string `json:"id"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Nickname  string `json:"nickname"`
	Email     string `json:"email"`
	IsBot     bool   `json:"is_bot"`
	Roles     string `json:"roles"`
	CreateAt  int64  `json:"create_at"`
	UpdateAt  int64  `json:"update_at"`
	DeleteAt  int64  `json:"delete_at"`
}

// Channel is a channel (model.Channel's JSON).
type Channel struct {
	ID          string `json:"id"`
	CreateAt    int64  `json:"create_at"`
	UpdateAt    int64  `json:"update_at"`
	DeleteAt    int64  `json:"delete_at"`
	TeamID      string `json:"team_id"`
	Type        string `json:"type"`
	DisplayName string `json:"display_name"`
	Name        string `json:"name"`
	Header      string `json:"header"`
	Purpose     string `json:"purpose"`
	CreatorID   string `json:"creator_id"`
}

// Ephemeral is a message shown to one user only: an ephemeral post, or
// the ephemeral_text of a button's answer, or a slash command's answer.
type Ephemeral struct {
	UserID, ChannelID, RootID, Text string
}

// Reaction is one reaction on a post.
type Reaction struct {
	UserID, PostID, EmojiName string
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	opts  Options
	srv   *httptest.Server
	guard *contract.Guard

	mu         sync.Mutex
	lastMillis int64
	team       string
	bot        *User
	users      map[string]*User
	channels   map[string]*Channel
	members    map[string]map[string]bool // channel -> user ids
	posts      map[string]*Post
	order      []string // post ids in creation order
	reactions  []Reaction
	ephemerals []Ephemeral
	files      map[string][]byte
	infos      map[string]FileInfo
	commands   map[string]command // trigger -> registration
	calls      map[string]int     // "METHOD route" -> count
	faultFn    func(method, route string) *Fault
	limits     []*limit
	faulted    int

	ws wsHub
}

type command struct {
	url, token string
}

// New starts a fake on a loopback port with a team, the bot account and
// no channels.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "fakemattermostbottoken0000"
	}
	if opts.BotUsername == "" {
		opts.BotUsername = "threadline"
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	s := &Server{opts: opts, users: map[string]*User{}, channels: map[string]*Channel{}, members: map[string]map[string]bool{},
		posts: map[string]*Post{}, files: map[string][]byte{}, infos: map[string]FileInfo{}, commands: map[string]command{},
		calls: map[string]int{}}
	s.ws.init()
	s.team = NewID()
	roles := "system_user"
	if opts.BotSystemAdmin {
		roles = "system_user system_admin"
	}
	now := s.millis()
	s.bot = &User{ID: NewID(), Username: opts.BotUsername, FirstName: "Threadline", IsBot: true, Roles: roles, CreateAt: now, UpdateAt: now}
	s.users[s.bot.ID] = s.bot
	// Every REST call is checked against what Mattermost's documentation
	// says it accepts (contract.go); what it would refuse fails the test.
	s.guard = contract.NewGuardWith("fakemattermost", checker{s}, func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/api/v4/") && r.URL.Path != "/api/v4/websocket"
	})
	s.srv = httptest.NewServer(s.guard.Wrap(s.routes()))
	return s
}

// Close stops the server and drops every socket. REST calls Mattermost
// would refuse that no test took (TakeViolations) or was told of
// (ReportTo) make it panic, failing the test that owns the fake.
func (s *Server) Close() {
	s.ws.closeAll()
	s.srv.Close()
	s.guard.Close()
}

// ReportTo makes each refused REST call an error of t (when t ends)
// rather than a panic at Close.
func (s *Server) ReportTo(t testing.TB) { s.guard.Report(t) }

// TakeViolations returns and forgets the REST calls Mattermost would have
// refused so far.
func (s *Server) TakeViolations() []string { return s.guard.Take() }

// URL is the server's address, what MATTERMOST_URL should be.
func (s *Server) URL() string { return s.srv.URL }

// Token is the bot's access token.
func (s *Server) Token() string { return s.opts.Token }

// BotID is the bot account's user id.
func (s *Server) BotID() string { return s.bot.ID }

// TeamID is the fake's only team.
func (s *Server) TeamID() string { return s.team }

// idAlphabet is the alphabet of Mattermost ids (model.NewId: 26
// characters of base32 in lower case letters and digits).
const idAlphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"

// NewID makes a Mattermost-style id: 26 lower-case letters and digits.
func NewID() string {
	b := make([]byte, 26)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// millis is now in milliseconds, strictly increasing (posts keep their
// order by create_at). Call with mu held or before serving.
func (s *Server) millis() int64 {
	now := time.Now().UnixMilli()
	if now <= s.lastMillis {
		now = s.lastMillis + 1
	}
	s.lastMillis = now
	return now
}

// AddUser adds a person and returns their id; first and last name make
// the display name.
func (s *Server) AddUser(username, first, last string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.millis()
	u := &User{ID: NewID(), Username: username, FirstName: first, LastName: last, Email: username + "@example.com", Roles: "system_user", CreateAt: now, UpdateAt: now}
	s.users[u.ID] = u
	return u.ID
}

// AddChannel adds a public channel of the team; with botMember the bot is
// in it (it can post there only then). It returns the channel id.
func (s *Server) AddChannel(name string, botMember bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.millis()
	c := &Channel{ID: NewID(), TeamID: s.team, Type: "O", Name: name, DisplayName: name, CreateAt: now, UpdateAt: now}
	s.channels[c.ID] = c
	s.members[c.ID] = map[string]bool{}
	if botMember {
		s.members[c.ID][s.bot.ID] = true
	}
	return c.ID
}

// RegisterCommand registers a custom slash command (trigger without the
// slash) that POSTs to url; it returns the command's token.
func (s *Server) RegisterCommand(trigger, url string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := NewID()
	s.commands[trigger] = command{url: url, token: tok}
	return tok
}

// Post returns one post (deleted ones too).
func (s *Server) Post(id string) (Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.posts[id]
	if !ok {
		return Post{}, false
	}
	return clonePost(p), true
}

// Roots returns the live root posts of a channel, oldest first.
func (s *Server) Roots(channel string) []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, id := range s.order {
		p := s.posts[id]
		if p.ChannelID == channel && p.RootID == "" && p.DeleteAt == 0 {
			out = append(out, clonePost(p))
		}
	}
	return out
}

// Thread returns the live replies under root, oldest first.
func (s *Server) Thread(root string) []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Post
	for _, id := range s.order {
		if p := s.posts[id]; p.RootID == root && p.DeleteAt == 0 {
			out = append(out, clonePost(p))
		}
	}
	return out
}

// Reactions returns the emoji names on a post, in the order added.
func (s *Server) Reactions(post string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.reactions {
		if r.PostID == post {
			out = append(out, r.EmojiName)
		}
	}
	return out
}

// Ephemerals returns what was shown to user only, in order.
func (s *Server) Ephemerals(user string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if e.UserID == user {
			out = append(out, e)
		}
	}
	return out
}

// File returns an uploaded file's info and content.
func (s *Server) File(id string) (FileInfo, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, ok := s.infos[id]
	return fi, slices.Clone(s.files[id]), ok
}

// Calls counts the REST calls of a route ("POST /api/v4/posts"), failed ones included.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

func clonePost(p *Post) Post {
	c := *p
	b, _ := json.Marshal(p.Props)
	c.Props = nil
	_ = json.Unmarshal(b, &c.Props)
	c.FileIDs = slices.Clone(p.FileIDs)
	if p.Metadata != nil {
		m := Metadata{Files: slices.Clone(p.Metadata.Files)}
		c.Metadata = &m
	}
	return c
}

// --- staff actions ----------------------------------------------------------

// StaffPost is user writing message in channel (under root, if set): the
// post is stored and a posted event goes to every socket of the channel's
// members. It returns the post's id.
func (s *Server) StaffPost(channel, root, user, message string, files ...FileInfo) string {
	p := s.write(channel, root, user, message, files)
	s.broadcast(channel, "posted", p)
	return p.ID
}

// WriteUnheard is user writing while nobody listens (the daemon is
// stopped or its socket is down): the post is stored, no event is sent.
func (s *Server) WriteUnheard(channel, root, user, message string) string {
	return s.write(channel, root, user, message, nil).ID
}

// UploadAs stores a file as uploaded by user (to attach with StaffPost).
func (s *Server) UploadAs(user, channel, name, mime string, data []byte) FileInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi := FileInfo{ID: NewID(), UserID: user, ChannelID: channel, CreateAt: s.millis(), Name: name, Size: int64(len(data)), MimeType: mime}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		fi.Extension = name[i+1:]
	}
	s.infos[fi.ID], s.files[fi.ID] = fi, slices.Clone(data)
	return fi
}

func (s *Server) write(channel, root, user, message string, files []FileInfo) Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.millis()
	p := &Post{ID: NewID(), CreateAt: now, UpdateAt: now, UserID: user, ChannelID: channel, RootID: root, Message: message, Props: map[string]any{}}
	for _, f := range files {
		p.FileIDs = append(p.FileIDs, f.ID)
		if p.Metadata == nil {
			p.Metadata = &Metadata{}
		}
		p.Metadata.Files = append(p.Metadata.Files, f)
	}
	s.store(p)
	return clonePost(p)
}

// store adds a post and bumps its root's update time. Call with mu held.
func (s *Server) store(p *Post) {
	s.posts[p.ID] = p
	s.order = append(s.order, p.ID)
	if r, ok := s.posts[p.RootID]; ok {
		r.UpdateAt = p.CreateAt
	}
}

// EditPost is the post's author changing its message: a post_edited event follows.
func (s *Server) EditPost(id, message string) {
	s.mu.Lock()
	p, ok := s.posts[id]
	if !ok {
		s.mu.Unlock()
		return
	}
	now := s.millis()
	p.Message, p.EditAt, p.UpdateAt = message, now, now
	c := clonePost(p)
	s.mu.Unlock()
	s.broadcast(c.ChannelID, "post_edited", c)
}

// DeletePost deletes a post as staff would (a root takes its replies
// with it): a post_deleted event follows.
func (s *Server) DeletePost(id string) {
	s.mu.Lock()
	p, ok := s.posts[id]
	if !ok || p.DeleteAt != 0 {
		s.mu.Unlock()
		return
	}
	now := s.millis()
	p.DeleteAt, p.UpdateAt = now, now
	if p.RootID == "" {
		for _, q := range s.posts {
			if q.RootID == id && q.DeleteAt == 0 {
				q.DeleteAt, q.UpdateAt = now, now
			}
		}
	}
	c := clonePost(p)
	s.mu.Unlock()
	s.broadcast(c.ChannelID, "post_deleted", c)
}

// postList builds a model.PostList of posts: order newest first.
func postList(posts []*Post) map[string]any {
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].CreateAt > posts[j].CreateAt })
	order := make([]string, 0, len(posts))
	byID := make(map[string]Post, len(posts))
	for _, p := range posts {
		order = append(order, p.ID)
		byID[p.ID] = clonePost(p)
	}
	return map[string]any{"order": order, "posts": byID, "next_post_id": "", "prev_post_id": "", "has_next": false}
}

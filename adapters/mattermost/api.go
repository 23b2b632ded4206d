package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// The REST API v4 as Threadline uses it (docs/mattermost.md lists the
// sources): JSON bodies, "Authorization: Bearer <token>", errors as an
// AppError object, 429 with Retry-After and X-Ratelimit-Reset (seconds).

// Post is a Mattermost post (model.Post), the fields Threadline reads and writes.
type Post struct {
	ID        string         `json:"id,omitempty"`
	CreateAt  int64          `json:"create_at,omitempty"`
	UpdateAt  int64          `json:"update_at,omitempty"`
	EditAt    int64          `json:"edit_at,omitempty"`
	DeleteAt  int64          `json:"delete_at,omitempty"`
	UserID    string         `json:"user_id,omitempty"`
	ChannelID string         `json:"channel_id,omitempty"`
	RootID    string         `json:"root_id,omitempty"`
	Message   string         `json:"message"`
	Type      string         `json:"type,omitempty"`
	Props     map[string]any `json:"props,omitempty"`
	FileIDs   []string       `json:"file_ids,omitempty"`
	Metadata  *PostMetadata  `json:"metadata,omitempty"`
}

// PostMetadata carries the files of a post.
type PostMetadata struct {
	Files []FileInfo `json:"files,omitempty"`
}

// FileInfo describes an uploaded file (model.FileInfo).
type FileInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	MimeType string `json:"mime_type"`
}

// prop returns a string prop ("" when absent or not a string).
func (p Post) prop(key string) string {
	s, _ := p.Props[key].(string)
	return s
}

// PostList is a page of posts (model.PostList): ids in order, posts by id.
type PostList struct {
	Order []string         `json:"order"`
	Posts map[string]*Post `json:"posts"`
}

// User is a Mattermost user (model.User), the fields Threadline reads.
type User struct {
	ID        string `json:"id"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Nickname  string `json:"nickname"`
	IsBot     bool   `json:"is_bot"`
	Roles     string `json:"roles"`
	DeleteAt  int64  `json:"delete_at"`
}

// DisplayName is how staff are named in Threadline: the nickname, the
// full name, else the username.
func (u User) DisplayName() string {
	if n := strings.TrimSpace(u.Nickname); n != "" {
		return n
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

// Channel is a Mattermost channel (model.Channel).
type Channel struct {
	ID          string `json:"id"`
	TeamID      string `json:"team_id"`
	Type        string `json:"type"` // O public, P private, D direct, G group
	DisplayName string `json:"display_name"`
	Name        string `json:"name"`
	DeleteAt    int64  `json:"delete_at"`
}

// APIError is an answer other than 2xx from the REST API; ID and Message
// come from the AppError body when there is one.
type APIError struct {
	Method, Path string
	Status       int
	ID, Message  string
}

func (e *APIError) Error() string {
	msg := e.Message
	if e.ID != "" {
		msg += " (" + e.ID + ")"
	}
	return fmt.Sprintf("mattermost %s %s: HTTP %d: %s", e.Method, e.Path, e.Status, strings.TrimSpace(msg))
}

// statusOf is the HTTP status of an API error (0 for other errors).
func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// appError is the body Mattermost answers errors with (model.AppError).
type appError struct {
	ID            string `json:"id"`
	Message       string `json:"message"`
	DetailedError string `json:"detailed_error"`
	StatusCode    int    `json:"status_code"`
}

const maxAnswer = 8 << 20

// call performs one REST call: in (if not nil) is sent as JSON, a 2xx
// answer is decoded into out (if not nil). A 429 comes back as a
// bridge.RateLimitError, any other non-2xx as an *APIError; callers
// classify those (classify, classifyThread).
func (s *Surface) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return bridge.Permanent(fmt.Errorf("mattermost %s %s: %w", method, path, err))
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.cfg.URL+"/api/v4"+path, body)
	if err != nil {
		return bridge.Permanent(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return s.send(req, path, out)
}

// send performs req with the bot token and reads the answer as call does.
func (s *Surface) send(req *http.Request, path string, out any) error {
	req.Header.Set("Authorization", "Bearer "+s.cfg.BotToken)
	req.Header.Set("Accept", "application/json")
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("mattermost %s %s: %w", req.Method, path, redactErr(err, s.cfg.BotToken))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("mattermost %s %s: reading the answer: %w", req.Method, path, err)
	}
	if res.StatusCode == http.StatusTooManyRequests {
		return bridge.RetryAfter(retryAfter(res.Header, s.clock.Now()),
			fmt.Errorf("mattermost %s %s: HTTP 429: %s", req.Method, path, clip(strings.TrimSpace(string(data)), 200)))
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		ae := &APIError{Method: req.Method, Path: path, Status: res.StatusCode}
		var body appError
		if json.Unmarshal(data, &body) == nil && (body.ID != "" || body.Message != "") {
			ae.ID, ae.Message = body.ID, body.Message
		} else {
			ae.Message = clip(strings.TrimSpace(string(data)), 200)
		}
		return ae
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("mattermost %s %s: the answer is not the JSON expected: %w", req.Method, path, err)
	}
	return nil
}

// retryAfter reads how long a 429 asks to wait: Retry-After, else
// X-Ratelimit-Reset (seconds until the quota refills, as Mattermost's rate
// limiter sends it), else one second.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		return bridge.ParseRetryAfter(v, now)
	}
	if v := strings.TrimSpace(h.Get("X-Ratelimit-Reset")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 && n < 24*3600 {
			return time.Duration(n * float64(time.Second))
		}
	}
	return time.Second
}

// classify turns a call's error into the outbox's retry classes: 429 waits,
// a refused token is a configuration problem the operator fixes (the row
// waits instead of being dead-lettered meanwhile, as for Slack), other
// 4xx are permanent, anything else is retried.
func classify(err error) error {
	var ae *APIError
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.Status == http.StatusUnauthorized:
		return fmt.Errorf("%w (the bot token was refused: check MATTERMOST_BOT_TOKEN)", err)
	case ae.Status == http.StatusRequestTimeout:
		return err
	case ae.Status >= 400 && ae.Status < 500:
		return bridge.Permanent(err)
	}
	return err
}

// classifyThread is classify for calls on a thread: a root post that is
// gone (404, or a reply refused for its root) means the thread is gone.
func classifyThread(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.ID == "api.post.create_post.root_id.app_error") {
		return fmt.Errorf("%w: %v", bridge.ErrThreadGone, err)
	}
	return classify(err)
}

// redactErr keeps the token out of transport errors (they may quote URLs).
func redactErr(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[token]"))
}

// --- calls ----------------------------------------------------------------

func (s *Surface) me(ctx context.Context) (User, error) {
	var u User
	return u, s.call(ctx, http.MethodGet, "/users/me", nil, &u)
}

func (s *Surface) user(ctx context.Context, id string) (User, error) {
	var u User
	return u, s.call(ctx, http.MethodGet, "/users/"+url.PathEscape(id), nil, &u)
}

func (s *Surface) userByName(ctx context.Context, name string) (User, error) {
	var u User
	return u, s.call(ctx, http.MethodGet, "/users/username/"+url.PathEscape(name), nil, &u)
}

func (s *Surface) channel(ctx context.Context, id string) (Channel, error) {
	var c Channel
	return c, s.call(ctx, http.MethodGet, "/channels/"+url.PathEscape(id), nil, &c)
}

func (s *Surface) createPost(ctx context.Context, p Post) (Post, error) {
	var out Post
	return out, s.call(ctx, http.MethodPost, "/posts", p, &out)
}

// postPatch is what PUT /posts/{id}/patch changes (model.PostPatch).
type postPatch struct {
	Message *string         `json:"message,omitempty"`
	Props   *map[string]any `json:"props,omitempty"`
}

func (s *Surface) patchPost(ctx context.Context, id string, p postPatch) error {
	return s.call(ctx, http.MethodPut, "/posts/"+url.PathEscape(id)+"/patch", p, nil)
}

func (s *Surface) thread(ctx context.Context, root string) (PostList, error) {
	var l PostList
	return l, s.call(ctx, http.MethodGet, "/posts/"+url.PathEscape(root)+"/thread", nil, &l)
}

func (s *Surface) channelPostsSince(ctx context.Context, channel string, since time.Time) (PostList, error) {
	var l PostList
	return l, s.call(ctx, http.MethodGet, "/channels/"+url.PathEscape(channel)+"/posts?since="+strconv.FormatInt(since.UnixMilli(), 10), nil, &l)
}

func (s *Surface) react(ctx context.Context, post, emoji string) error {
	bot, err := s.botUserID(ctx)
	if err != nil {
		return err
	}
	return s.call(ctx, http.MethodPost, "/reactions", map[string]any{"user_id": bot, "post_id": post, "emoji_name": emoji}, nil)
}

// ephemeral shows text to user only, in channel (under root, if set).
func (s *Surface) ephemeral(ctx context.Context, user, channel, root, text string) error {
	p := Post{ChannelID: channel, RootID: root, Message: text}
	return s.call(ctx, http.MethodPost, "/posts/ephemeral", map[string]any{"user_id": user, "post": p}, nil)
}

// clientConfig reads the client configuration in its old (flat) format.
func (s *Surface) clientConfig(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	return out, s.call(ctx, http.MethodGet, "/config/client?format=old", nil, &out)
}

// uploadFile uploads a stored file to channel and returns its file id.
func (s *Surface) uploadFile(ctx context.Context, channel string, a bridge.Attachment) (string, error) {
	f, err := os.Open(a.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("channel_id", channel)
	name := a.Name
	if name == "" {
		name = "file"
	}
	part, err := mw.CreateFormFile("files", name)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(part, io.LimitReader(f, s.o.MaxUploadBytes+1)); err != nil {
		return "", err
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL+"/api/v4/files", &buf)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var out struct {
		FileInfos []FileInfo `json:"file_infos"`
	}
	if err := s.send(req, "/files", &out); err != nil {
		return "", err
	}
	if len(out.FileInfos) == 0 || out.FileInfos[0].ID == "" {
		return "", errors.New("mattermost POST /files: no file info in the answer")
	}
	return out.FileInfos[0].ID, nil
}

// download writes the content of file id to w, at most max bytes.
func (s *Surface) download(ctx context.Context, id string, w io.Writer, max int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL+"/api/v4/files/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.BotToken)
	res, err := s.http.Do(req)
	if err != nil {
		return redactErr(err, s.cfg.BotToken)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return &APIError{Method: http.MethodGet, Path: "/files/" + id, Status: res.StatusCode}
	}
	n, err := io.Copy(w, io.LimitReader(res.Body, max+1))
	if err == nil && n > max {
		err = fmt.Errorf("file %s is larger than %d bytes", id, max)
	}
	return err
}

package fakemattermost

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxPostRunes is Mattermost's post length limit since 5.0 (16383).
const maxPostRunes = 16383

// maxFileSize is FileSettings.MaxFileSize's default (50 MiB).
const maxFileSize = 50 << 20

// appError answers like Mattermost's AppError.
func appError(w http.ResponseWriter, status int, id, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "message": msg, "detailed_error": "", "request_id": NewID(), "status_code": status})
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// routes are the REST API's routes the fake serves, each counted, checked
// for the bot's token and open to faults.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, fn http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.calls[pattern]++
			s.mu.Unlock()
			if r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
				appError(w, http.StatusUnauthorized, "api.context.session_expired.app_error", "Invalid or expired session, please login again.")
				return
			}
			if f := s.fault(r.Method, pattern); f != nil {
				withFault(w, r, f, fn)
				return
			}
			fn(w, r)
		})
	}
	route("GET /api/v4/users/me", func(w http.ResponseWriter, r *http.Request) { s.getUser(w, s.bot.ID) })
	route("GET /api/v4/users/{id}", func(w http.ResponseWriter, r *http.Request) { s.getUser(w, r.PathValue("id")) })
	route("GET /api/v4/users/username/{name}", s.getUserByName)
	route("GET /api/v4/channels/{id}", s.getChannel)
	route("GET /api/v4/channels/{id}/members/{user}", s.getMember)
	route("GET /api/v4/channels/{id}/posts", s.getChannelPosts)
	route("POST /api/v4/posts", s.createPost)
	route("GET /api/v4/posts/{id}", s.getPost)
	route("PUT /api/v4/posts/{id}/patch", s.patchPost)
	route("DELETE /api/v4/posts/{id}", s.deletePost)
	route("GET /api/v4/posts/{id}/thread", s.getThread)
	route("POST /api/v4/posts/ephemeral", s.createEphemeral)
	route("POST /api/v4/reactions", s.addReaction)
	route("GET /api/v4/config/client", s.clientConfig)
	route("POST /api/v4/files", s.uploadFile)
	route("GET /api/v4/files/{id}", s.getFile)
	mux.HandleFunc("GET /api/v4/websocket", s.websocket)
	mux.HandleFunc("/api/v4/", func(w http.ResponseWriter, r *http.Request) {
		appError(w, http.StatusNotFound, "api.context.404.app_error", "Sorry, we could not find the page.")
	})
	return mux
}

func (s *Server) getUser(w http.ResponseWriter, id string) {
	s.mu.Lock()
	u, ok := s.users[id]
	var c User
	if ok {
		c = *u
	}
	s.mu.Unlock()
	if !ok {
		appError(w, http.StatusNotFound, "app.user.missing_account.const", "Unable to find the user.")
		return
	}
	answer(w, http.StatusOK, c)
}

func (s *Server) getUserByName(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(r.PathValue("name"))
	s.mu.Lock()
	id := ""
	for _, u := range s.users {
		if strings.ToLower(u.Username) == name {
			id = u.ID
		}
	}
	s.mu.Unlock()
	s.getUser(w, id)
}

// readable reports whether the bot may read channel (public channels of
// its team, private ones it is a member of). Call with mu held.
func (s *Server) readable(channel string) (*Channel, bool) {
	c, ok := s.channels[channel]
	if !ok {
		return nil, false
	}
	return c, c.Type == "O" || s.members[channel][s.bot.ID]
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.readable(r.PathValue("id"))
	var out Channel
	if c != nil {
		out = *c
	}
	s.mu.Unlock()
	switch {
	case c == nil:
		appError(w, http.StatusNotFound, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
	case !ok:
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
	default:
		answer(w, http.StatusOK, out)
	}
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) {
	ch, user := r.PathValue("id"), r.PathValue("user")
	s.mu.Lock()
	_, readable := s.readable(ch)
	member := s.members[ch][user]
	s.mu.Unlock()
	switch {
	case !readable:
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
	case !member:
		appError(w, http.StatusNotFound, "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.")
	default:
		answer(w, http.StatusOK, map[string]any{"channel_id": ch, "user_id": user, "roles": "channel_user", "msg_count": 0, "mention_count": 0})
	}
}

// getChannelPosts answers a channel's posts: with since (milliseconds),
// every post changed since then, deleted ones included; else the newest
// page (page, per_page up to 200).
func (s *Server) getChannelPosts(w http.ResponseWriter, r *http.Request) {
	ch := r.PathValue("id")
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.readable(ch); !ok {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	var posts []*Post
	if v := q.Get("since"); v != "" {
		since, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			appError(w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "Invalid or missing since parameter in request URL.")
			return
		}
		for _, id := range s.order {
			if p := s.posts[id]; p.ChannelID == ch && p.UpdateAt >= since {
				posts = append(posts, p)
			}
		}
		answer(w, http.StatusOK, postList(posts))
		return
	}
	page, _ := strconv.Atoi(q.Get("page"))
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 60
	}
	per = min(per, 200)
	for i := len(s.order) - 1; i >= 0; i-- {
		if p := s.posts[s.order[i]]; p.ChannelID == ch && p.DeleteAt == 0 {
			posts = append(posts, p)
		}
	}
	lo, hi := min(page*per, len(posts)), min((page+1)*per, len(posts))
	answer(w, http.StatusOK, postList(posts[lo:hi]))
}

// createPost stores a post by the bot: the bot must be a channel member,
// a reply's root must be a live root post of the same channel, files must
// be the bot's uploads to the channel. A posted event follows.
func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	var in Post
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&in); err != nil {
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing post in request body.")
		return
	}
	s.mu.Lock()
	if !s.members[in.ChannelID][s.bot.ID] {
		s.mu.Unlock()
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	if in.RootID != "" {
		root, ok := s.posts[in.RootID]
		if !ok || root.DeleteAt != 0 || root.RootID != "" || root.ChannelID != in.ChannelID {
			s.mu.Unlock()
			appError(w, http.StatusBadRequest, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
			return
		}
	}
	if utf8.RuneCountInString(in.Message) > maxPostRunes {
		s.mu.Unlock()
		appError(w, http.StatusBadRequest, "model.post.is_valid.message_length.app_error", "Post Message property is longer than the maximum permitted length.")
		return
	}
	now := s.millis()
	p := &Post{ID: NewID(), CreateAt: now, UpdateAt: now, UserID: s.bot.ID, ChannelID: in.ChannelID, RootID: in.RootID,
		Message: in.Message, Props: in.Props}
	if p.Props == nil {
		p.Props = map[string]any{}
	}
	p.Props["from_bot"] = "true" // set by the server on posts of bot accounts
	for _, id := range in.FileIDs {
		fi, ok := s.infos[id]
		if !ok || fi.UserID != s.bot.ID || fi.ChannelID != in.ChannelID {
			s.mu.Unlock()
			appError(w, http.StatusBadRequest, "api.post.create_post.file_ids.app_error", "Invalid file ids.")
			return
		}
		p.FileIDs = append(p.FileIDs, id)
		if p.Metadata == nil {
			p.Metadata = &Metadata{}
		}
		p.Metadata.Files = append(p.Metadata.Files, fi)
	}
	s.store(p)
	out := clonePost(p)
	s.mu.Unlock()
	s.broadcast(out.ChannelID, "posted", out)
	answer(w, http.StatusCreated, out)
}

func (s *Server) getPost(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p, ok := s.posts[r.PathValue("id")]
	var out Post
	if ok {
		out = clonePost(p)
	}
	s.mu.Unlock()
	if !ok || out.DeleteAt != 0 {
		appError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
		return
	}
	answer(w, http.StatusOK, out)
}

// patchPost changes the bot's own post: message, props (replaced
// whole), is_pinned. A post_edited event follows.
func (s *Server) patchPost(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Message  *string         `json:"message"`
		Props    *map[string]any `json:"props"`
		IsPinned *bool           `json:"is_pinned"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&in); err != nil {
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing patch in request body.")
		return
	}
	s.mu.Lock()
	p, ok := s.posts[r.PathValue("id")]
	switch {
	case !ok || p.DeleteAt != 0:
		s.mu.Unlock()
		appError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
		return
	case p.UserID != s.bot.ID:
		s.mu.Unlock()
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	case in.Message != nil && utf8.RuneCountInString(*in.Message) > maxPostRunes:
		s.mu.Unlock()
		appError(w, http.StatusBadRequest, "model.post.is_valid.message_length.app_error", "Post Message property is longer than the maximum permitted length.")
		return
	}
	now := s.millis()
	if in.Message != nil && *in.Message != p.Message {
		p.Message, p.EditAt = *in.Message, now
	}
	if in.Props != nil {
		p.Props = *in.Props
		if p.Props == nil {
			p.Props = map[string]any{}
		}
		p.Props["from_bot"] = "true"
	}
	if in.IsPinned != nil {
		p.IsPinned = *in.IsPinned
	}
	p.UpdateAt = now
	out := clonePost(p)
	s.mu.Unlock()
	s.broadcast(out.ChannelID, "post_edited", out)
	answer(w, http.StatusOK, out)
}

func (s *Server) deletePost(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p, ok := s.posts[r.PathValue("id")]
	mine := ok && p.UserID == s.bot.ID && p.DeleteAt == 0
	s.mu.Unlock()
	if !mine {
		appError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
		return
	}
	s.DeletePost(p.ID)
	answer(w, http.StatusOK, map[string]string{"status": "OK"})
}

// getThread answers a root post and its live replies as a PostList.
func (s *Server) getThread(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.posts[id]
	if ok && p.RootID != "" {
		p, ok = s.posts[p.RootID]
	}
	if !ok || p.DeleteAt != 0 {
		appError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
		return
	}
	if _, readable := s.readable(p.ChannelID); !readable {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	posts := []*Post{p}
	for _, qid := range s.order {
		if q := s.posts[qid]; q.RootID == p.ID && q.DeleteAt == 0 {
			posts = append(posts, q)
		}
	}
	answer(w, http.StatusOK, postList(posts))
}

// createEphemeral shows a post to one user; only system admins may
// (create_post_ephemeral).
func (s *Server) createEphemeral(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserID string `json:"user_id"`
		Post   *Post  `json:"post"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.UserID == "" || in.Post == nil {
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing user_id or post in request body.")
		return
	}
	if !s.opts.BotSystemAdmin {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	s.mu.Lock()
	s.ephemerals = append(s.ephemerals, Ephemeral{UserID: in.UserID, ChannelID: in.Post.ChannelID, RootID: in.Post.RootID, Text: in.Post.Message})
	now := s.millis()
	s.mu.Unlock()
	out := *in.Post
	out.ID, out.CreateAt, out.UpdateAt, out.UserID, out.Type = NewID(), now, now, s.bot.ID, "system_ephemeral"
	answer(w, http.StatusCreated, out)
}

// addReaction adds the bot's reaction to a live post (again: no change).
func (s *Server) addReaction(w http.ResponseWriter, r *http.Request) {
	var in Reaction
	var raw struct {
		UserID    string `json:"user_id"`
		PostID    string `json:"post_id"`
		EmojiName string `json:"emoji_name"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&raw); err != nil {
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing reaction in request body.")
		return
	}
	in = Reaction{UserID: raw.UserID, PostID: raw.PostID, EmojiName: raw.EmojiName}
	if in.UserID != s.bot.ID {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	s.mu.Lock()
	p, ok := s.posts[in.PostID]
	if !ok || p.DeleteAt != 0 {
		s.mu.Unlock()
		appError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
		return
	}
	channel := p.ChannelID
	dup := false
	for _, e := range s.reactions {
		dup = dup || e == in
	}
	if !dup {
		s.reactions = append(s.reactions, in)
	}
	now := s.millis()
	s.mu.Unlock()
	out := map[string]any{"user_id": in.UserID, "post_id": in.PostID, "emoji_name": in.EmojiName, "create_at": now}
	if !dup {
		b, _ := json.Marshal(out)
		s.broadcastData(channel, "reaction_added", map[string]any{"reaction": string(b)})
	}
	answer(w, http.StatusCreated, out)
}

// clientConfig answers the client configuration; the API serves only the
// old (flat, string-valued) format.
func (s *Server) clientConfig(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("format") != "old" {
		appError(w, http.StatusNotImplemented, "api.config.client.old_format.app_error", "New format for the client configuration is not supported yet. Please specify format=old in the query string.")
		return
	}
	answer(w, http.StatusOK, map[string]string{
		"Version": "10.0.0", "BuildNumber": "fake", "SiteName": "Mattermost",
		"EnablePostUsernameOverride": strconv.FormatBool(s.opts.UsernameOverride),
		"EnablePostIconOverride":     "false",
	})
}

// uploadFile stores multipart files for channel_id (the bot must be a
// member); it answers their infos.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(maxFileSize + 1<<20); err != nil {
		appError(w, http.StatusBadRequest, "api.file.upload_file.bad_parse.app_error", "Unable to upload file. Header cannot be parsed.")
		return
	}
	channel := r.FormValue("channel_id")
	s.mu.Lock()
	member := s.members[channel][s.bot.ID]
	s.mu.Unlock()
	if !member {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	var infos []FileInfo
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Size > maxFileSize {
			appError(w, http.StatusRequestEntityTooLarge, "api.file.upload_file.too_large_detailed.app_error", "Unable to upload file. File is too large.")
			return
		}
		f, err := fh.Open()
		if err != nil {
			appError(w, http.StatusBadRequest, "api.file.upload_file.read_request.app_error", "Unable to upload file(s). Error reading or parsing request data.")
			return
		}
		data, _ := io.ReadAll(f)
		f.Close()
		mime := fh.Header.Get("Content-Type")
		if mime == "" || mime == "application/octet-stream" {
			mime = http.DetectContentType(data)
		}
		infos = append(infos, s.UploadAs(s.bot.ID, channel, fh.Filename, mime, data))
	}
	if len(infos) == 0 {
		appError(w, http.StatusBadRequest, "api.file.upload_file.incorrect_number_of_files.app_error", "Unable to upload files. Incorrect number of files specified.")
		return
	}
	answer(w, http.StatusCreated, map[string]any{"file_infos": infos, "client_ids": []string{}})
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	fi, data, ok := s.File(r.PathValue("id"))
	if !ok {
		appError(w, http.StatusNotFound, "app.file_info.get.app_error", "Unable to get the file info.")
		return
	}
	w.Header().Set("Content-Type", fi.MimeType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(fi.Name, `"`, "")+`"`)
	_, _ = w.Write(data)
}

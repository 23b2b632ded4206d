package mattermost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
	"github.com/threadlinehq/threadline/bridge"
)

// handleEvent handles one post event. It returns an error only when
// handling failed and may succeed later (the post is then not marked, and
// a catch-up tries it again).
func (s *Surface) handleEvent(ctx context.Context, in bridge.StaffInbox, ev event) error {
	var err error
	switch ev.Kind {
	case evPosted:
		err = s.handlePosted(ctx, in, *ev.Post)
	case evPostEdited:
		err = s.staffEdited(ctx, *ev.Post)
	case evPostDeleted:
		err = s.deleted(ctx, *ev.Post)
	}
	if err != nil {
		s.log.Error("mattermost: post not handled; a catch-up tries it again", "event", ev.Kind, "post", ev.Post.ID, "err", err)
	}
	return err
}

// isStaffPost reports whether p is a person writing: not the bot itself,
// another bot, a webhook or plugin post (a customer copy), or a system
// message (joins, header changes).
func (s *Surface) isStaffPost(p Post) bool {
	if p.UserID == "" || p.UserID == s.botUser() || p.Type != "" || p.DeleteAt != 0 {
		return false
	}
	for _, k := range []string{"from_bot", "from_webhook", "from_plugin"} {
		if v, ok := p.Props[k]; ok && v != false && v != "false" {
			return false
		}
	}
	return true
}

// owned reports whether ref is one of Threadline's threads. On a lookup
// failure it says yes, so the handler reports the error instead of the
// post vanishing.
func (s *Surface) owned(ctx context.Context, ref bridge.ThreadRef) bool {
	_, err := s.store.ConversationByThread(ctx, Platform, ref)
	if err != nil && !errors.Is(err, bridge.ErrNotFound) {
		s.log.Error("mattermost: thread lookup failed", "thread", ref, "err", err)
		return true
	}
	return err == nil
}

// postKey names a handled staff post in the event log.
func postKey(id string) string { return "post:" + id }

// handlePosted hands a staff post in one of Threadline's threads to the
// staff inbox, once.
func (s *Surface) handlePosted(ctx context.Context, in bridge.StaffInbox, p Post) error {
	if !s.isStaffPost(p) {
		return nil
	}
	text, mentioned := s.stripBotMention(p.Message)
	if p.RootID == "" {
		if mentioned && s.isStaffChannel(p.ChannelID) {
			s.tell(ctx, p.UserID, p.ChannelID, "", fmt.Sprintf("Threadline works in ticket threads: reply in a conversation's thread, or use `%s list`.", s.cfg.SlashCommand))
		}
		return nil // top-level chatter in the channel
	}
	ref := threadRef(p.ChannelID, p.RootID)
	if !s.owned(ctx, ref) || s.seen(ctx, postKey(p.ID)) {
		return nil
	}
	atts := s.fetchFiles(ctx, p)
	if strings.TrimSpace(text) == "" && len(atts) == 0 {
		return nil
	}
	msg := bridge.StaffMessage{Surface: Platform, Thread: ref, Actor: s.actor(ctx, p.UserID), Text: text,
		Attachments: atts, ExternalID: p.ID, Mentions: s.mentionMap(ctx, text)}
	fb, err := in.HandleStaffMessage(ctx, msg)
	if errors.Is(err, bridge.ErrUnknownConversation) {
		return nil
	}
	if err != nil {
		return err
	}
	s.mark(ctx, postKey(p.ID))
	s.feedback(ctx, p.UserID, p.ChannelID, p.RootID, fb)
	return nil
}

// stripBotMention turns "@threadline claim" into "!claim".
func (s *Surface) stripBotMention(text string) (string, bool) {
	s.mu.Lock()
	name := s.botName
	s.mu.Unlock()
	t := strings.TrimSpace(text)
	if name == "" || !strings.HasPrefix(strings.ToLower(t), "@"+strings.ToLower(name)) {
		return text, false
	}
	rest := t[len(name)+1:]
	if rest != "" && isWord(rune(rest[0])) {
		return text, false // "@threadlinebot" is someone else
	}
	rest = strings.TrimSpace(strings.TrimLeft(rest, ":,"))
	if rest != "" && !strings.HasPrefix(rest, s.prefix) {
		rest = s.prefix + rest
	}
	return rest, true
}

func (s *Surface) isStaffChannel(id string) bool {
	for _, c := range s.cfg.StaffChannels() {
		if c == id {
			return true
		}
	}
	return false
}

var mentionWord = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_])@([a-z0-9][a-z0-9._-]*)`)

// mentionMap maps the "@username" words in text to staff ids, so
// commands like "!assign @alice" know exactly who is meant.
func (s *Surface) mentionMap(ctx context.Context, text string) map[string]bridge.StaffID {
	var out map[string]bridge.StaffID
	seen := map[string]bool{}
	for _, m := range mentionWord.FindAllStringSubmatch(strings.ToLower(text), 20) {
		name := strings.TrimRight(m[1], "._-")
		if seen[name] || name == "here" || name == "channel" || name == "all" {
			continue
		}
		seen[name] = true
		if id := s.userNamed(ctx, name); id != "" {
			if out == nil {
				out = map[string]bridge.StaffID{}
			}
			out["@"+name] = bridge.StaffID(string(Platform) + ":" + id)
		}
	}
	return out
}

// feedback shows the answer to a staff post to its author.
func (s *Surface) feedback(ctx context.Context, user, channel, root string, fb bridge.Feedback) {
	if fb.Text == "" {
		return
	}
	text := neutralize(fb.Text)
	if fb.Error {
		text = "🚫 " + text
	}
	if !s.tell(ctx, user, channel, root, text) && fb.Conversation != 0 {
		// Fall back to a thread notice through the outbox (visible to all staff).
		_ = s.core.Notice(ctx, fb.Conversation, Platform, fb.Text)
	}
}

// tell shows text to user: as an ephemeral post when the server lets the
// bot make them (only system admins may), else as a reply in the thread
// naming them. It reports whether either worked.
func (s *Surface) tell(ctx context.Context, user, channel, root, text string) bool {
	s.mu.Lock()
	noEphem := s.noEphem
	s.mu.Unlock()
	if !noEphem {
		err := s.ephemeral(ctx, user, channel, root, text)
		if err == nil {
			return true
		}
		if statusOf(err) != http.StatusForbidden {
			s.log.Warn("mattermost: ephemeral message failed", "channel", channel, "err", err)
		} else {
			s.mu.Lock()
			s.noEphem = true
			s.mu.Unlock()
			s.log.Info("mattermost: the bot may not post ephemeral messages (only system admins may); answers to staff are posted in the thread instead")
		}
	}
	if root == "" {
		return false
	}
	name := ""
	if u, err := s.cachedUser(ctx, user); err == nil && u.Username != "" {
		name = "@" + u.Username + " "
	}
	_, err := s.createPost(ctx, Post{ChannelID: channel, RootID: root, Message: "↪ " + name + text})
	if err != nil {
		s.log.Warn("mattermost: answering in the thread failed", "channel", channel, "err", err)
		return false
	}
	return true
}

// staffEdited warns when a staff reply that already reached the customer
// is edited in Mattermost: the customer keeps the original.
func (s *Surface) staffEdited(ctx context.Context, p Post) error {
	if p.RootID == "" || p.EditAt == 0 || !s.isStaffPost(p) {
		return nil
	}
	m, err := s.store.MessageByExternal(ctx, Platform, p.ID)
	if err != nil || m.Direction != bridge.DirStaff {
		return nil
	}
	if !s.fresh(ctx, "edit:"+p.ID+":"+strconv.FormatInt(p.EditAt, 10)) {
		return nil
	}
	return s.core.Notice(ctx, m.Conversation, Platform,
		fmt.Sprintf("⚠️ %s edited a reply here, but the customer already received the original (message %d). Edits are not sent; write a new reply to correct it.", m.Author, m.ID))
}

// deleted handles a deleted post: a deleted card (a thread's root) makes
// the conversation continue in a new thread; a deleted staff reply gets a
// warning that the customer still has it.
func (s *Surface) deleted(ctx context.Context, p Post) error {
	if p.RootID == "" {
		ref := threadRef(p.ChannelID, p.ID)
		if _, err := s.store.ConversationByThread(ctx, Platform, ref); err != nil {
			return nil
		}
		if !s.fresh(ctx, "deleted:"+p.ID) {
			return nil
		}
		s.log.Info("mattermost: a ticket card was deleted; the conversation gets a new thread", "thread", ref)
		return s.core.ThreadGone(ctx, Platform, ref)
	}
	m, err := s.store.MessageByExternal(ctx, Platform, p.ID)
	if err != nil || m.Direction != bridge.DirStaff || !s.fresh(ctx, "deleted:"+p.ID) {
		return nil
	}
	return s.core.Notice(ctx, m.Conversation, Platform,
		fmt.Sprintf("⚠️ A reply by %s was deleted here, but the customer already received it (message %d). Deleting in Mattermost does not unsend.", m.Author, m.ID))
}

// seen reports whether an event key was recorded as handled.
func (s *Surface) seen(ctx context.Context, key string) bool {
	ok, err := s.store.SeenEvent(ctx, string(Platform), key)
	return err == nil && ok
}

// mark records an event key as handled.
func (s *Surface) mark(ctx context.Context, key string) {
	if _, err := s.store.MarkEvent(ctx, string(Platform), key); err != nil {
		s.log.Warn("mattermost: could not record a handled post", "err", err)
	}
}

// fresh records an event key and reports whether it is new.
func (s *Surface) fresh(ctx context.Context, key string) bool {
	ok, err := s.store.MarkEvent(ctx, string(Platform), key)
	if err != nil {
		s.log.Warn("mattermost: recording an event failed; handling it anyway", "event", key, "err", err)
		return true
	}
	return ok
}

// --- files ----------------------------------------------------------------

// fetchFiles downloads the files staff attached so they can be forwarded
// to the customer; files over the limit, or when no directory is
// configured, are described by name (Mattermost file links need a login).
func (s *Surface) fetchFiles(ctx context.Context, p Post) []bridge.Attachment {
	if p.Metadata == nil {
		return nil
	}
	var out []bridge.Attachment
	for _, f := range p.Metadata.Files {
		a := bridge.Attachment{Name: f.Name, MIME: f.MimeType, Size: f.Size}
		if s.attachments != "" && IsID(f.ID) && f.Size <= s.o.MaxFileBytes {
			if path, err := s.save(ctx, f); err == nil {
				a.Path = path
			} else {
				s.log.Warn("mattermost: could not download a staff attachment; only its name goes on", "file", f.Name, "err", err)
			}
		}
		out = append(out, a)
	}
	return out
}

func (s *Surface) save(ctx context.Context, f FileInfo) (string, error) {
	path, _, err := attach.SaveNew(s.attachments, Platform, f.Name, func(w io.Writer) (int64, error) {
		return 0, s.download(ctx, f.ID, w, s.o.MaxFileBytes)
	})
	return path, err
}

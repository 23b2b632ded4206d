package fakeslack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// record stores a person's message in the workspace (so conversations.replies
// returns it) and returns its ts.
func (s *Server) record(channel, threadTS, user, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: channel, TS: s.nextTS(), ThreadTS: threadTS, Text: text, User: user}
	s.written = append(s.written, m)
	return m.TS
}

// WriteUnheard is a person writing in a thread while no app listens (the
// daemon is stopped): the message is stored, no event is sent. Slack would
// retry the event a few times over about five minutes; after that only
// conversations.replies shows it. It returns the ts.
func (s *Server) WriteUnheard(channel, threadTS, user, text string) string {
	return s.record(channel, threadTS, user, text)
}

// tsLess orders Slack timestamps ("1732450000.000123").
func tsLess(a, b string) bool {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		return ai < bi
	}
	fa, _ := strconv.ParseInt(af, 10, 64)
	fb, _ := strconv.ParseInt(bf, 10, 64)
	return fa < fb
}

// conversationsReplies answers conversations.replies: the thread's parent,
// then its replies (the bot's posts and people's messages) in ts order,
// those older than oldest left out, paginated with limit and cursor.
func (s *Server) conversationsReplies(w http.ResponseWriter, f url.Values) {
	channel, ts := f.Get("channel"), f.Get("ts")
	if c := s.channel(channel); c.Missing || !strings.HasPrefix(channel, "C") {
		fail(w, "channel_not_found")
		return
	}
	s.mu.Lock()
	parent, ok := s.byKey[channel+"/"+ts]
	if !ok || s.deleted[channel+"/"+ts] {
		s.mu.Unlock()
		fail(w, "thread_not_found")
		return
	}
	oldest := f.Get("oldest")
	item := func(m *Message, user, bot string) map[string]any {
		out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "thread_ts": ts}
		if user != "" {
			out["user"] = user
		}
		if bot != "" {
			out["bot_id"] = bot
		}
		return out
	}
	var replies []*Message
	for _, m := range s.msgs {
		if m.Channel == channel && m.ThreadTS == ts && !m.Ephemeral && !s.deleted[channel+"/"+m.TS] {
			replies = append(replies, m)
		}
	}
	people := map[*Message]bool{}
	for _, m := range s.written {
		if m.Channel == channel && m.ThreadTS == ts {
			replies = append(replies, m)
			people[m] = true
		}
	}
	sort.SliceStable(replies, func(i, j int) bool { return tsLess(replies[i].TS, replies[j].TS) })
	all := []map[string]any{item(parent, "UBOT", "BBOT")}
	for _, m := range replies {
		if oldest != "" && tsLess(m.TS, oldest) {
			continue
		}
		if people[m] {
			all = append(all, item(m, m.User, ""))
		} else {
			all = append(all, item(m, "UBOT", "BBOT"))
		}
	}
	s.mu.Unlock()
	limit, _ := strconv.Atoi(f.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	start, _ := strconv.Atoi(f.Get("cursor"))
	start = min(max(start, 0), len(all))
	end := min(start+limit, len(all))
	resp := map[string]any{"ok": true, "messages": all[start:end], "has_more": end < len(all)}
	if end < len(all) {
		resp["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(end)}
	}
	writeJSON(w, resp)
}

// conversationsHistory answers conversations.history: the channel's
// top-level messages (the bot's, with their blocks), newest first, those
// older than oldest left out, up to limit (default 100).
func (s *Server) conversationsHistory(w http.ResponseWriter, f url.Values) {
	channel := f.Get("channel")
	if c := s.channel(channel); c.Missing || !strings.HasPrefix(channel, "C") {
		fail(w, "channel_not_found")
		return
	}
	limit, _ := strconv.Atoi(f.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	oldest := f.Get("oldest")
	s.mu.Lock()
	var out []map[string]any
	for i := len(s.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		m := s.msgs[i]
		if m.Channel != channel || m.ThreadTS != "" || m.Ephemeral || s.deleted[channel+"/"+m.TS] || (oldest != "" && tsLess(m.TS, oldest)) {
			continue
		}
		item := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": "UBOT", "bot_id": "BBOT"}
		if len(m.Blocks) > 0 && json.Valid(m.Blocks) {
			item["blocks"] = m.Blocks
		}
		out = append(out, item)
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "messages": out, "has_more": false})
}

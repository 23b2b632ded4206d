package fakediscord

import (
	"net/http"
	"strconv"
)

// WriteUnheard is a person writing in a channel or thread while the bot is
// not connected: the message is stored (GET /channels/{id}/messages shows
// it) but no MESSAGE_CREATE is dispatched, as for a bot that was offline
// longer than a gateway session can be resumed. It returns the id.
func (s *Server) WriteUnheard(channelID string, from Person, content string) string {
	return s.write(channelID, from, content, nil).ID
}

// idLess orders snowflakes (decimal strings).
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// listMessages answers GET /channels/{id}/messages: newest first, at most
// limit (default 50, 1..100), before/after a message id. As over REST,
// messages carry no guild_id and no member.
func (s *Server) listMessages(r *http.Request) (int, any, *apiError) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, nil, errForm("limit must be 1..100")
		}
		limit = n
	}
	before, after := q.Get("before"), q.Get("after")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.channels[r.PathValue("id")] == nil {
		return 0, nil, errUnknownChannel()
	}
	all := s.messages[r.PathValue("id")]
	out := []Message{}
	if after != "" {
		// The oldest limit messages after the id, returned newest first.
		var pick []*Message
		for _, m := range all {
			if idLess(after, m.ID) && len(pick) < limit {
				pick = append(pick, m)
			}
		}
		for i := len(pick) - 1; i >= 0; i-- {
			out = append(out, rest(pick[i]))
		}
		return 200, out, nil
	}
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if before != "" && !idLess(all[i].ID, before) {
			continue
		}
		out = append(out, rest(all[i]))
	}
	return 200, out, nil
}

// rest is a message as REST returns it.
func rest(m *Message) Message {
	out := copyMessage(m)
	out.GuildID, out.Member = "", nil
	return out
}

package answers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Automatic suggestions (answers.auto_suggest): when a conversation
// opens, the best past answer, if it is a confident match, and the best
// matching article are posted in its thread as a note. A scheduled job on
// the leader finds new conversations by id, after the last one it handled
// (kept in the store: a restart or a new leader goes on from there).

const autoCursor = "auto_suggest_after"

// AutoSuggest posts suggestions for the conversations opened since its
// last run; it returns how many notes it posted. The first run only
// remembers where the conversations are (old ones get no note).
func (s *Service) AutoSuggest(ctx context.Context) (int, error) {
	v, err := s.st.Cursor(ctx, cursorAdapter, autoCursor)
	if err != nil {
		return 0, err
	}
	if v == "" {
		return 0, s.startAuto(ctx)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, s.startAuto(ctx)
	}
	after := bridge.ConversationID(n)
	posted := 0
	for {
		ids, err := s.st.OpenConversationIDs(ctx, after, 100)
		if err != nil {
			return posted, err
		}
		for _, id := range ids {
			ok, err := s.autoOne(ctx, id)
			if err != nil && !errors.Is(err, bridge.ErrNotFound) {
				return posted, err
			}
			if ok {
				posted++
			}
			after = id
			if err := s.st.SetCursor(ctx, cursorAdapter, autoCursor, strconv.FormatInt(int64(after), 10)); err != nil {
				return posted, err
			}
		}
		if len(ids) < 100 {
			return posted, nil
		}
	}
}

// StartAutoSuggest marks where automatic suggestions begin, if that was
// never done: conversations opened from now on get a note, older ones
// do not. The daemon calls it at start, so the first scheduled run does
// not skip the conversations opened before it.
func (s *Service) StartAutoSuggest(ctx context.Context) error {
	v, err := s.st.Cursor(ctx, cursorAdapter, autoCursor)
	if err != nil || v != "" {
		return err
	}
	return s.startAuto(ctx)
}

// startAuto sets the cursor at the newest open conversation.
func (s *Service) startAuto(ctx context.Context) error {
	var last bridge.ConversationID
	for {
		ids, err := s.st.OpenConversationIDs(ctx, last, 1000)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			last = ids[len(ids)-1]
		}
		if len(ids) < 1000 {
			break
		}
	}
	return s.st.SetCursor(ctx, cursorAdapter, autoCursor, strconv.FormatInt(int64(last), 10))
}

// autoOne posts the note for one new conversation, if there is anything
// worth saying.
func (s *Service) autoOne(ctx context.Context, conv bridge.ConversationID) (bool, error) {
	msgs, err := s.st.Messages(ctx, conv, 0)
	if err != nil {
		return false, err
	}
	var customer []string
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, m.Body)
		}
	}
	if len(customer) == 0 {
		return false, nil
	}
	sg, err := s.sug.ForText(ctx, customer, conv, 3)
	if err != nil {
		return false, err
	}
	var b strings.Builder
	if len(sg) > 0 && sg[0].Confidence >= s.opts.AutoConfidence {
		if err := s.rememberSuggestions(ctx, conv, sg); err != nil {
			return false, err
		}
		fmt.Fprintf(&b, "💡 Suggested answer from a similar past conversation (%s, match %d%%; `!use 1` sends it, `!suggest` shows more):\n%s",
			sg[0].Conversation, int(sg[0].Confidence*100+0.5), clip(sg[0].Text, maxShown))
	}
	if s.kb != nil {
		hits := s.kb.Search(strings.Join(customer, "\n"), "", 3)
		if len(hits) > 0 && hits[0].Coverage >= MatchCoverage {
			ps := make([]pick, len(hits))
			for i, h := range hits {
				ps[i] = pick{Kind: "article", Slug: h.Slug}
			}
			if err := s.savePicks(ctx, "kb", conv, ps); err != nil {
				return false, err
			}
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			fmt.Fprintf(&b, "📄 Article: %s (%s; `!kb send 1` sends it)", hits[0].Title, hits[0].Slug)
		}
	}
	if b.Len() == 0 {
		return false, nil
	}
	_, err = s.post.ThreadNote(ctx, conv, b.String())
	return err == nil, err
}

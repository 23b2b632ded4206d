package discord

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

// typingEvery: Discord shows "typing…" for about 10 seconds after each
// POST /channels/{id}/typing, so a customer who keeps typing is shown
// with one call every 8 seconds.
const typingEvery = 8 * time.Second

// customerTyping shows the bot as typing in the conversation's thread
// while the customer writes (a web chat visitor), at most every
// typingEvery per thread. It runs on the relay's goroutine: the request
// goes on its own, bounded by ctx and a few seconds.
func (s *Surface) customerTyping(ctx context.Context, t bridge.Typing) {
	if t.Staff {
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	if now.Sub(s.typed[t.Conversation]) < typingEvery {
		s.mu.Unlock()
		return
	}
	if len(s.typed) > 10000 {
		clear(s.typed)
	}
	s.typed[t.Conversation] = now
	s.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ref, err := s.store.Thread(ctx, t.Conversation, Platform)
		if err != nil {
			return // no thread (yet), or not ours
		}
		if err := s.sess.ChannelTyping(string(ref), discordgo.WithContext(ctx)); err != nil {
			s.log.Debug("discord: showing the customer typing failed", "thread", ref, "err", classify("typing", err))
		}
	}()
}

// typingStart is TYPING_START as Discord sends it in a guild (discordgo's
// TypingStart leaves out the member, whose name and roles are needed).
type typingStart struct {
	ChannelID string            `json:"channel_id"`
	GuildID   string            `json:"guild_id"`
	UserID    string            `json:"user_id"`
	Member    *discordgo.Member `json:"member"`
}

// onTyping passes a staff member's typing in a Threadline thread on to
// the customer (TYPING_START; Discord repeats it every few seconds while
// they type). Other people's typing, and the bot's own, is ignored.
func (r *runner) onTyping(ctx context.Context, raw json.RawMessage) {
	s := r.s
	var e typingStart
	if json.Unmarshal(raw, &e) != nil {
		return
	}
	s.mu.Lock()
	bot := s.botID
	s.mu.Unlock()
	if e.GuildID == "" || e.UserID == bot || e.Member == nil || e.Member.User == nil || e.Member.User.Bot {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		conv, err := s.store.ConversationByThread(ctx, Platform, bridge.ThreadRef(e.ChannelID))
		if err != nil {
			if !errors.Is(err, bridge.ErrNotFound) {
				s.log.Debug("discord: thread lookup for typing failed", "thread", e.ChannelID, "err", err)
			}
			return
		}
		actor, allowed := s.actor(e.Member.User, e.Member)
		if !allowed {
			return
		}
		if err := bridge.PublishTyping(ctx, s.relay, bridge.Typing{Conversation: conv, Staff: true, Name: actor.Name, Surface: Platform}); err != nil {
			s.log.Debug("discord: relaying staff typing failed", "err", err)
		}
	}()
}

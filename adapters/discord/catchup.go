package discord

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

// A resumed gateway session replays what it missed, but a new session (after
// a stop, or when Discord refuses to resume) does not: staff messages written
// meanwhile would never arrive. On every new session (Ready) the surface
// reads the messages of its open conversations' posts written since it last
// listened (bridge.CatchUp) and handles those not handled yet, through the
// same lanes as live messages.

// catchUpPage is how many messages one REST call returns (Discord's maximum).
const catchUpPage = 100

// listening tells the catch-up whether events flow.
func (r *runner) listening(on bool) {
	r.s.cu.Listening(on)
}

// catchUp handles the staff messages written in open posts since the
// surface last listened.
func (r *runner) catchUp(ctx context.Context) error {
	guild := ""
	members := map[string]*discordgo.Member{}
	return r.s.cu.Do(ctx, func(ctx context.Context, ref bridge.ThreadRef, since time.Time) (int, error) {
		if guild == "" {
			ci, err := r.s.channelInfo(ctx, r.s.cfg.ChannelID)
			if err != nil {
				return 0, err
			}
			guild = ci.guild
		}
		return r.catchUpThread(ctx, ref, since, guild, members)
	})
}

// catchUpThread reads one post's messages newer than since (newest first,
// page by page) and hands the unhandled staff messages, oldest first, to the
// post's lane; it returns once they were handled.
func (r *runner) catchUpThread(ctx context.Context, ref bridge.ThreadRef, since time.Time, guild string, members map[string]*discordgo.Member) (int, error) {
	s := r.s
	var missed []*discordgo.Message
	before := ""
	for {
		page, err := s.sess.ChannelMessages(string(ref), catchUpPage, before, "", "", discordgo.WithContext(ctx))
		if hasCode(err, codeUnknownChannel) {
			return 0, nil // the post was deleted
		}
		if err != nil {
			return 0, classify("read messages", err)
		}
		older := false
		for _, m := range page {
			if m.Timestamp.Before(since) {
				older = true
				break
			}
			missed = append(missed, m)
		}
		if older || len(page) < catchUpPage {
			break
		}
		before = page[len(page)-1].ID
	}
	var last chan struct{}
	handled := 0
	for i := len(missed) - 1; i >= 0; i-- {
		m := missed[i]
		if !staffText(m) || s.seen(ctx, "message:"+m.ID) {
			continue
		}
		// REST messages carry neither the guild nor the author's member
		// (roles decide who may act): fill them in as the gateway would.
		m.ChannelID, m.GuildID = string(ref), guild
		if m.Member == nil && guild != "" {
			member, ok := members[m.Author.ID]
			if !ok {
				var err error
				member, err = s.sess.GuildMember(guild, m.Author.ID, discordgo.WithContext(ctx))
				if err != nil {
					member = nil // left the server: acts without roles
				}
				members[m.Author.ID] = member
			}
			m.Member = member
		}
		done := make(chan struct{})
		r.lanes.submit(r.work, m.ChannelID, func(ctx context.Context) { defer close(done); r.handleMessage(ctx, m) })
		last = done
		handled++
	}
	if last != nil {
		// Jobs in one lane run in order: the last one done means all are.
		select {
		case <-last:
		case <-ctx.Done():
			return handled, ctx.Err()
		}
	}
	return handled, nil
}

// staffText reports whether a message is a person writing (not the bot, a
// webhook copy of a customer message, another bot or a system message).
func staffText(m *discordgo.Message) bool {
	if m == nil || m.Author == nil || m.Author.Bot || m.Author.System || m.WebhookID != "" {
		return false
	}
	return m.Type == discordgo.MessageTypeDefault || m.Type == discordgo.MessageTypeReply
}

package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

var (
	_ bridge.ThreadMover = (*Surface)(nil)
	_ bridge.Announcer   = (*Surface)(nil)
)

// MoveThread opens the conversation in its new department's channel (a new
// post whose card links the old one) and leaves a pointer in the old post.
// Same channel: nothing moves.
func (s *Surface) MoveThread(ctx context.Context, old bridge.ThreadRef, v bridge.ConversationView) (bridge.ThreadRef, bool, error) {
	parent, err := s.parentOf(ctx, string(old))
	if err != nil {
		return "", false, err
	}
	if s.channelFor(v) == parent {
		return old, false, nil
	}
	v.PreviousThread = old
	ref, err := s.OpenThread(ctx, v)
	if err != nil {
		return "", false, err
	}
	pointer := fmt.Sprintf("➡️ This conversation moved to <#%s>.", ref)
	if _, err := s.sess.ChannelMessageSendComplex(string(old), &discordgo.MessageSend{Content: pointer, AllowedMentions: noMentions()},
		discordgo.WithContext(ctx)); err != nil {
		s.log.Warn("discord: pointer in the old post not posted", "err", err)
	}
	if err := s.UpdateCard(ctx, old, v); err != nil {
		s.log.Warn("discord: old card not refreshed", "err", err)
	}
	return ref, true, nil
}

// Announce tells a department's own text channel about an escalation (a
// forum channel gets nothing extra: the post itself is pinged).
func (s *Surface) Announce(ctx context.Context, department string, t bridge.ThreadRef, v bridge.ConversationView, text string, ids []bridge.StaffID) error {
	ch := s.cfg.Channels[department]
	if ch == "" {
		return nil
	}
	parent, err := s.parentOf(ctx, string(t))
	if err != nil || parent == ch {
		return err
	}
	ci, err := s.channelInfo(ctx, ch)
	if err != nil || !isText(ci.typ) {
		return err
	}
	body, pings := withMentions(fmt.Sprintf("📣 %s: %s <#%s>", threadName(v), text, t), ids)
	_, err = s.sess.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: clip(body, maxMessage), AllowedMentions: pings},
		discordgo.WithContext(ctx))
	return classify("announce", err)
}

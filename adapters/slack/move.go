package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/bridge"
)

var (
	_ bridge.ThreadMover = (*Surface)(nil)
	_ bridge.Announcer   = (*Surface)(nil)
)

func (s *Surface) permalink(ctx context.Context, channel, ts string) string {
	link, err := s.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		return ""
	}
	return link
}

// MoveThread re-posts a conversation in its new department's channel: a
// fresh card linking the old thread, and a pointer in the old thread (the
// hand-off summary follows as a notice). Same channel: nothing moves.
func (s *Surface) MoveThread(ctx context.Context, old bridge.ThreadRef, v bridge.ConversationView) (bridge.ThreadRef, bool, error) {
	oldCh, oldTS, err := parseRef(string(old))
	if err != nil {
		return "", false, err
	}
	newCh := s.channelFor(v)
	if newCh == oldCh {
		return old, false, nil
	}
	oldLink := s.permalink(ctx, oldCh, oldTS)
	_, ts, err := s.api.PostMessageContext(ctx, newCh, slack.MsgOptionText(cardFallback(v), false),
		slack.MsgOptionBlocks(cardBlocks(v, oldLink)...), slack.MsgOptionDisableLinkUnfurl())
	if err != nil {
		return "", false, classify(err)
	}
	pointer := fmt.Sprintf(":arrow_right: This conversation moved to <#%s>", newCh)
	if link := s.permalink(ctx, newCh, ts); link != "" {
		pointer += ": <" + link + "|continue there>"
	}
	if _, _, err := s.api.PostMessageContext(ctx, oldCh, slack.MsgOptionText(pointer, false), slack.MsgOptionTS(oldTS)); err != nil {
		s.log.Warn("slack: pointer in the old thread not posted", "err", err)
	}
	if err := s.UpdateCard(ctx, old, v); err != nil {
		s.log.Warn("slack: old card not refreshed", "err", err)
	}
	return threadRef(newCh, ts), true, nil
}

// Announce posts an escalation in the department's own channel (when it
// has one other than the thread's), with the on-call pinged and a link.
func (s *Surface) Announce(ctx context.Context, department string, t bridge.ThreadRef, v bridge.ConversationView, text string, ids []bridge.StaffID) error {
	ch, ok := s.cfg.Channels[department]
	thCh, thTS, err := parseRef(string(t))
	if err != nil || !ok || ch == "" || ch == thCh {
		return nil
	}
	msg := ":mega: " + escape(cardTitle(v)) + ": " + escape(text)
	if m := mentions(ids); m != "" {
		msg += " " + m
	}
	if link := s.permalink(ctx, thCh, thTS); link != "" {
		msg += " <" + link + "|Open the thread>"
	}
	_, _, err = s.api.PostMessageContext(ctx, ch, slack.MsgOptionText(msg, false), slack.MsgOptionDisableLinkUnfurl())
	return classify(err)
}

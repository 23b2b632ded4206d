package slack

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/threadlinehq/threadline/bridge"
)

// Slack redelivers an event it could not deliver a few times within about
// five minutes, and Socket Mode redelivers unacknowledged envelopes on
// reconnect. A staff reply written while Threadline was stopped for longer
// is never delivered again, so on every (re)connect the surface reads the
// replies of its open threads written since it last listened
// (bridge.CatchUp) and handles those it has not handled yet.

// startCatchUp serves catch-ups (bridge.CatchUp.Serve) until ctx ends;
// kick asks for one, stop waits for the server after ctx ended. Before
// Init (no catch-up) both do nothing.
func (s *Surface) startCatchUp(ctx context.Context, in bridge.StaffInbox) (kick func(), stop func()) {
	if s.cu == nil {
		return func() {}, func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.cu.Serve(ctx, func(ctx context.Context) error { return s.catchUp(ctx, in) })
	}()
	return s.cu.Kick, func() { <-done }
}

// catchUp handles the staff replies written in open threads since the
// surface last listened.
func (s *Surface) catchUp(ctx context.Context, in bridge.StaffInbox) error {
	return s.cu.Do(ctx, func(ctx context.Context, ref bridge.ThreadRef, since time.Time) (int, error) {
		return s.catchUpThread(ctx, in, ref, since)
	})
}

// catchUpThread reads one thread's replies since since and handles the
// new staff messages, oldest first. A thread that is gone is skipped.
func (s *Surface) catchUpThread(ctx context.Context, in bridge.StaffInbox, ref bridge.ThreadRef, since time.Time) (int, error) {
	channel, ts, err := parseRef(string(ref))
	if err != nil {
		return 0, nil
	}
	p := &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Limit: 200,
		Oldest: strconv.FormatInt(since.Unix(), 10) + ".000000"}
	handled := 0
	for {
		msgs, more, next, err := s.api.GetConversationRepliesContext(ctx, p)
		var rl *slack.RateLimitedError
		var se slack.SlackErrorResponse
		switch {
		case errors.As(err, &rl):
			if !bridge.Sleep(s.clock, rl.RetryAfter, ctx.Done()) {
				return handled, ctx.Err()
			}
			continue
		case errors.As(err, &se) && (se.Err == "thread_not_found" || se.Err == "channel_not_found"):
			return handled, nil
		case err != nil:
			return handled, err
		}
		for i := range msgs {
			m := &msgs[i]
			if m.Timestamp == ts || m.ThreadTimestamp != ts {
				continue // the card (thread parent)
			}
			if s.seen(ctx, messageKey(channel, m.Timestamp)) {
				continue
			}
			ev := &slackevents.MessageEvent{Type: "message", User: m.User, Text: m.Text, ThreadTimeStamp: m.ThreadTimestamp,
				TimeStamp: m.Timestamp, Channel: channel, SubType: m.SubType, BotID: m.BotID, Message: &m.Msg}
			if err := s.handleMessage(ctx, in, ev); err != nil {
				return handled, err
			}
			if isStaffText(s, ev) {
				handled++
			}
		}
		if !more || next == "" {
			return handled, nil
		}
		p.Cursor = next
	}
}

// listening tells the catch-up whether events flow (no beats while not).
func (s *Surface) listening(on bool) {
	if s.cu != nil {
		s.cu.Listening(on)
	}
}

// messageKey names a staff message in the event log.
func messageKey(channel, ts string) string { return "msg:" + channel + "/" + ts }

// isStaffText reports whether a message event is a person writing in a
// thread (what handleMessage hands to the staff inbox).
func isStaffText(s *Surface, e *slackevents.MessageEvent) bool {
	switch e.SubType {
	case "", "file_share", "thread_broadcast":
	default:
		return false
	}
	bu, bid := s.botIDs()
	if e.BotID != "" || e.User == "" || e.User == bu || (bid != "" && e.BotID == bid) {
		return false
	}
	return e.ThreadTimeStamp != "" && e.ThreadTimeStamp != e.TimeStamp
}

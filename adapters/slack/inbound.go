package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/threadlinehq/threadline/adapters/internal/slashcmd"
	"github.com/threadlinehq/threadline/bridge"
)

// handleEvent processes one Events API callback. It returns an error only
// when the event should be redelivered (nothing was committed).
func (s *Surface) handleEvent(ctx context.Context, in bridge.StaffInbox, ev slackevents.EventsAPIEvent) error {
	if err := s.identified(ctx); err != nil {
		return err // redelivered: without the bot's ids "@bot claim" would reach the customer as text
	}
	eventID := ""
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = cb.EventID
	}
	if e, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); ok && isStaffText(s, e) {
		// handleMessage dedupes staff messages by channel and ts, which a
		// retry carries too (and a catch-up finds): one record, not two.
		eventID = ""
	}
	if eventID != "" && s.seen(ctx, eventID) {
		return nil // a retry of an event already handled
	}
	var err error
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		err = s.handleMessage(ctx, in, e)
	case *slackevents.AppMentionEvent:
		// Mentions in threads also arrive as message events, which handle
		// them; only top-level mentions need an answer here.
		if e.ThreadTimeStamp == "" && e.User != "" {
			s.ephemeral(ctx, e.Channel, e.User, "", fmt.Sprintf("Threadline works in ticket threads: reply in a conversation's thread, or use `%s list`.", s.cfg.SlashCommand))
		}
	}
	if err == nil && eventID != "" {
		s.mark(ctx, eventID)
	}
	return err
}

func (s *Surface) handleMessage(ctx context.Context, in bridge.StaffInbox, e *slackevents.MessageEvent) error {
	switch e.SubType {
	case "message_changed":
		return s.staffEdited(ctx, e)
	case "message_deleted":
		return s.deleted(ctx, e)
	case "", "file_share", "thread_broadcast":
	default:
		return nil // joins, bot messages, topic changes: not staff text
	}
	bu, bid := s.botIDs()
	if e.BotID != "" || e.User == "" || e.User == bu || (bid != "" && e.BotID == bid) {
		return nil // our own posts and other bots
	}
	text := e.Text
	var files []slack.File
	if e.Message != nil {
		files = e.Message.Files
		if text == "" {
			text = e.Message.Text
		}
	}
	mention := "<@" + bu + ">"
	mentioned := bu != "" && strings.HasPrefix(strings.TrimSpace(text), mention)
	if mentioned {
		// "@threadline claim" means "!claim".
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), mention))
		if !strings.HasPrefix(rest, s.prefix()) {
			rest = s.prefix() + rest
		}
		text = rest
	}
	if e.ThreadTimeStamp == "" || e.ThreadTimeStamp == e.TimeStamp {
		if mentioned {
			s.ephemeral(ctx, e.Channel, e.User, "", fmt.Sprintf("Threadline works in ticket threads: reply in a conversation's thread, or use `%s list`.", s.cfg.SlashCommand))
		}
		return nil // top-level chatter in the channel
	}
	// A message redelivered by Slack or found again by a catch-up
	// (catchup.go) is handled once.
	key := messageKey(e.Channel, e.TimeStamp)
	if s.seen(ctx, key) {
		return nil
	}
	names := func(id string) string { return s.users.name(ctx, id) }
	plain := toPlain(text, names)
	atts := s.fetchFiles(ctx, files)
	msg := bridge.StaffMessage{
		Surface: Platform, Thread: threadRef(e.Channel, e.ThreadTimeStamp), Text: plain, Attachments: atts,
		Actor:      s.actor(ctx, e.User),
		ExternalID: e.Channel + "/" + e.TimeStamp,
		Mentions:   mentionMap(text, names),
	}
	fb, err := in.HandleStaffMessage(ctx, msg)
	if errors.Is(err, bridge.ErrUnknownConversation) {
		return nil // a thread Threadline does not own
	}
	if err != nil {
		return err
	}
	s.mark(ctx, key)
	s.feedback(ctx, e.Channel, e.User, e.ThreadTimeStamp, fb)
	return nil
}

// actor is the staff member behind an event, with the configured user
// groups they are in (asked of Slack when the cached answer is stale).
func (s *Surface) actor(ctx context.Context, user string) bridge.Actor {
	a := bridge.Actor{ID: bridge.StaffID("slack:" + user), Name: s.users.name(ctx, user)}
	if s.groups != nil {
		a.Groups = s.groups.of(ctx, user)
	}
	return a
}

// staffEdited warns when a staff reply that already reached the customer
// is edited in Slack: the customer keeps the original.
func (s *Surface) staffEdited(ctx context.Context, e *slackevents.MessageEvent) error {
	if e.Message == nil || e.Message.ThreadTimestamp == "" || e.Message.ThreadTimestamp == e.Message.Timestamp {
		return nil
	}
	m, err := s.store.MessageByExternal(ctx, Platform, e.Channel+"/"+e.Message.Timestamp)
	if err != nil || m.Direction != bridge.DirStaff {
		return nil
	}
	return s.core.Notice(ctx, m.Conversation, Platform,
		fmt.Sprintf(":warning: %s edited a reply here, but the customer already received the original (message %d). Edits are not sent; write a new reply to correct it.", escape(m.Author), m.ID))
}

// deleted handles a deleted message: a deleted card (thread parent) makes
// the conversation continue in a new thread; a deleted staff reply gets a
// warning that the customer still has it.
func (s *Surface) deleted(ctx context.Context, e *slackevents.MessageEvent) error {
	ts := e.DeletedTimeStamp
	if ts == "" && e.PreviousMessage != nil {
		ts = e.PreviousMessage.Timestamp
	}
	if ts == "" {
		return nil
	}
	ref := threadRef(e.Channel, ts)
	if _, err := s.store.ConversationByThread(ctx, Platform, ref); err == nil {
		return s.core.ThreadGone(ctx, Platform, ref)
	}
	m, err := s.store.MessageByExternal(ctx, Platform, e.Channel+"/"+ts)
	if err != nil || m.Direction != bridge.DirStaff {
		return nil
	}
	return s.core.Notice(ctx, m.Conversation, Platform,
		fmt.Sprintf(":warning: A reply by %s was deleted here, but the customer already received it (message %d). Deleting in Slack does not unsend.", escape(m.Author), m.ID))
}

// feedback shows the answer to a staff message only to its author.
func (s *Surface) feedback(ctx context.Context, channel, user, threadTS string, fb bridge.Feedback) {
	if fb.Text == "" {
		return
	}
	text := escape(fb.Text)
	if fb.Error {
		text = ":no_entry_sign: " + text
	}
	err := s.ephemeral(ctx, channel, user, threadTS, text)
	if err != nil && threadTS != "" {
		// The thread may be gone (deleted parent): answer in the channel.
		err = s.ephemeral(ctx, channel, user, "", text)
	}
	if err != nil && fb.Conversation != 0 && s.core != nil {
		// Fall back to a thread notice through the outbox (visible to all staff).
		_ = s.core.Notice(ctx, fb.Conversation, Platform, fb.Text)
	}
}

func (s *Surface) ephemeral(ctx context.Context, channel, user, threadTS, text string, blocks ...slack.Block) error {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	_, err := s.api.PostEphemeralContext(ctx, channel, user, opts...)
	if err != nil {
		s.log.Warn("slack: ephemeral message failed", "channel", channel, "err", err)
	}
	return err
}

// handleInteraction handles button clicks and the "Ticket actions" message
// shortcut. It returns an error only for redelivery-worthy failures.
func (s *Surface) handleInteraction(ctx context.Context, in bridge.StaffInbox, cb slack.InteractionCallback) error {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		thread := cb.Message.ThreadTimestamp
		if thread == "" {
			thread = cb.Message.Timestamp
		}
		for _, a := range cb.ActionCallback.BlockActions {
			cmd, ok := actionCommand(a.ActionID)
			if !ok {
				continue
			}
			conv, err := bridge.ParseConversationID(a.Value)
			if err != nil {
				continue
			}
			fb, err := in.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: Platform, Conversation: conv,
				Actor: s.actor(ctx, cb.User.ID), Text: s.prefix() + cmd})
			if err != nil {
				return err
			}
			s.feedback(ctx, cb.Channel.ID, cb.User.ID, thread, fb)
		}
	case slack.InteractionTypeMessageAction:
		thread := cb.Message.ThreadTimestamp
		if thread == "" {
			thread = cb.Message.Timestamp
		}
		conv, err := s.store.ConversationByThread(ctx, Platform, threadRef(cb.Channel.ID, thread))
		if err != nil {
			s.ephemeral(ctx, cb.Channel.ID, cb.User.ID, "", "This message is not in a Threadline ticket thread.")
			return nil
		}
		v, err := s.store.ConversationView(ctx, conv)
		if err != nil {
			return err
		}
		blocks := cardBlocks(v, "")
		s.ephemeral(ctx, cb.Channel.ID, cb.User.ID, thread, cardFallback(v), blocks...)
	}
	return nil
}

// slashResponse is the immediate, ephemeral answer to a slash command.
type slashResponse struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// handleSlash runs "/ticket list", "/ticket claim 142", "/ticket 142" ...
// Slack does not send slash commands with a thread, so commands name the
// conversation; inside threads staff use !commands and the card buttons.
func (s *Surface) handleSlash(ctx context.Context, in bridge.StaffInbox, cmd slack.SlashCommand) (slashResponse, error) {
	usage := slashcmd.Usage(s.cfg.SlashCommand)
	reply := func(text string) slashResponse { return slashResponse{ResponseType: "ephemeral", Text: text} }
	names := func(id string) string { return s.users.name(ctx, id) }
	msg := bridge.StaffMessage{Surface: Platform, Actor: s.actor(ctx, cmd.UserID), Mentions: mentionMap(cmd.Text, names)}
	var ok bool
	if msg.Conversation, msg.Text, ok = slashcmd.Parse(strings.Fields(toPlain(cmd.Text, names)), s.prefix()); !ok {
		return reply(usage), nil
	}
	fb, err := in.HandleStaffMessage(ctx, msg)
	if errors.Is(err, bridge.ErrUnknownConversation) {
		return reply(usage), nil
	}
	if err != nil {
		return slashResponse{}, err
	}
	text := escape(fb.Text)
	if fb.Text == "" && fb.Message != 0 {
		text = "Stored as message " + strconv.FormatInt(int64(fb.Message), 10) + "."
	}
	if fb.Error {
		text = ":no_entry_sign: " + text
	}
	return reply(text), nil
}

func (s *Surface) prefix() string { return s.cmdPrefix }

func (s *Surface) botIDs() (user, bot string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botUserID, s.botID
}

// identified makes sure the bot's own ids are known. Run learns them, but
// Run is leader work: a replica that does not lead takes HTTP events
// without having run it (docs/replicas.md).
func (s *Surface) identified(ctx context.Context) error {
	if user, _ := s.botIDs(); user != "" {
		return nil
	}
	return s.identify(ctx)
}

// identify learns the bot's own ids (auth.test) so its posts are ignored.
func (s *Surface) identify(ctx context.Context) error {
	res, err := s.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("slack auth.test: %w", err)
	}
	s.mu.Lock()
	s.botUserID, s.botID = res.UserID, res.BotID
	s.mu.Unlock()
	return nil
}

// seen reports whether an event or message key was recorded as handled.
func (s *Surface) seen(ctx context.Context, key string) bool {
	if s.store == nil {
		return false
	}
	seen, err := s.store.SeenEvent(ctx, string(Platform), key)
	return err == nil && seen
}

// mark records an event or message key as handled.
func (s *Surface) mark(ctx context.Context, key string) {
	if s.store == nil {
		return
	}
	if _, err := s.store.MarkEvent(ctx, string(Platform), key); err != nil {
		s.log.Warn("slack: could not record a handled event", "err", err)
	}
}

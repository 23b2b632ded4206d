package discord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

// Run connects to the gateway and hands staff messages, slash commands and
// button presses in Threadline's threads to in, until ctx ends. A dropped
// connection is resumed (Discord replays what was missed); a rejected token
// or a refused Message Content intent ends Run with an error that says so,
// and the core restarts it with backoff.
func (s *Surface) Run(ctx context.Context, in bridge.StaffInbox) error {
	if s.store == nil {
		return errors.New("discord: Run before Init")
	}
	me, err := s.sess.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		if fatal := fatalGatewayError(err); fatal != nil {
			return fatal
		}
		return fmt.Errorf("discord: checking the bot token: %w", classify("get bot user", err))
	}
	s.mu.Lock()
	s.botID = me.ID
	s.mu.Unlock()
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	r := &runner{s: s, in: in, lanes: newLanes(), down: make(chan struct{}, 1), work: work}
	catchUpDone := make(chan struct{})
	cuCtx, stopCatchUp := context.WithCancel(ctx)
	defer stopCatchUp()
	go func() {
		defer close(catchUpDone)
		s.cu.Serve(cuCtx, r.catchUp)
	}()
	removers := []func(){
		s.sess.AddHandler(func(_ *discordgo.Session, e *discordgo.Ready) { r.onReady(e) }),
		s.sess.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
			s.log.Info("discord: gateway session resumed")
			// Discord replayed what the session missed.
			r.listening(true)
		}),
		s.sess.AddHandler(func(_ *discordgo.Session, e *discordgo.MessageCreate) { r.onMessage(work, e.Message) }),
		s.sess.AddHandler(func(_ *discordgo.Session, e *discordgo.InteractionCreate) { r.onInteraction(work, e.Interaction) }),
		s.sess.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) {
			if e.Type == "TYPING_START" {
				r.onTyping(work, e.RawData)
			}
		}),
		// The leader's surface shows customers typing (once, whichever
		// replica their widget is connected to).
		bridge.SubscribeTyping(s.relay, func(t bridge.Typing) { s.customerTyping(work, t) }),
		s.sess.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
			r.listening(false)
			select {
			case r.down <- struct{}{}:
			default:
			}
		}),
	}
	defer func() {
		for _, rm := range removers {
			rm()
		}
	}()
	err = r.loop(ctx)
	_ = s.sess.Close()
	stopCatchUp() // staff messages it queued still finish below
	<-catchUpDone
	// Let staff messages already received finish (they commit quickly).
	drained := make(chan struct{})
	go func() { r.lanes.wait(); close(drained) }()
	drain := s.clock.NewTimer(10 * time.Second)
	defer drain.Stop()
	select {
	case <-drained:
	case <-drain.C():
		stopWork()
		<-drained
	}
	return err
}

// runner is one Run's state.
type runner struct {
	s      *Surface
	in     bridge.StaffInbox
	lanes  *lanes
	down   chan struct{}   // a Disconnect happened
	work   context.Context // staff messages are handled in it (outlives ctx a little)
	set    bool            // commands registered, channel checked
	opened bool
}

func (r *runner) loop(ctx context.Context) error {
	s := r.s
	backoff := s.o.ReconnectBackoff
	for {
		select {
		case <-r.down: // stale signal from a previous connection
		default:
		}
		err := s.sess.Open()
		if errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			err = nil
		}
		if err == nil {
			if r.opened {
				s.log.Info("discord: gateway reconnected")
			}
			r.opened = true
			s.conn.Up("gateway")
			backoff = s.o.ReconnectBackoff
			if !r.set {
				r.setup(ctx)
				r.set = true
			}
			select {
			case <-ctx.Done():
				return nil
			case <-r.down:
				s.log.Warn("discord: gateway connection lost; resuming")
				s.conn.Down("gateway connection lost; resuming")
				continue
			}
		}
		if fatal := fatalGatewayError(err); fatal != nil {
			return fatal
		}
		s.log.Warn("discord: gateway connect failed; retrying", "err", redact(err.Error()), "in", backoff)
		s.conn.Down("gateway connect failed: " + redact(err.Error()))
		if !bridge.Sleep(s.clock, backoff, ctx.Done()) {
			return nil
		}
		backoff = min(backoff*2, 2*time.Minute)
	}
}

func (r *runner) onReady(e *discordgo.Ready) {
	s := r.s
	s.mu.Lock()
	if e.User != nil {
		s.botID = e.User.ID
	}
	if s.cfg.ApplicationID == "" && e.Application != nil && e.Application.ID != "" {
		s.appID = e.Application.ID
	}
	s.mu.Unlock()
	name := ""
	if e.User != nil {
		name = e.User.Username
	}
	s.log.Info("discord: connected to the gateway", "bot", name)
	// A new session: what was written while not connected is not replayed.
	if s.cu != nil {
		s.cu.Kick()
	}
}

// setup registers the slash commands and checks the staff channel once per Run.
func (r *runner) setup(ctx context.Context) {
	s := r.s
	s.mu.Lock()
	app := s.appID
	if app == "" {
		app = s.botID
	}
	s.mu.Unlock()
	if n, scope, err := s.RegisterCommands(ctx, app); err != nil {
		s.log.Error("discord: registering slash commands failed; typed !commands still work", "err", err)
	} else {
		s.log.Info("discord: slash commands registered", "scope", scope, "count", n)
	}
	ci, err := s.channelInfo(ctx, s.cfg.ChannelID)
	if err != nil {
		s.log.Error("discord: cannot read the staff channel", "channel", s.cfg.ChannelID, "err", err)
		return
	}
	switch {
	case isForum(ci.typ):
		missing := s.cfg.missingTags(ci.tags)
		if len(missing) == 0 {
			return
		}
		if !s.cfg.CreateTags {
			s.log.Warn("discord: the forum lacks tags Threadline applies; create them in the channel settings or set discord.create_tags: true",
				"missing", strings.Join(missing, ", "))
			return
		}
		tags := slices.Clone(ci.tags)
		for _, name := range missing {
			if len(tags) < 20 {
				tags = append(tags, discordgo.ForumTag{Name: name})
			}
		}
		if _, err := s.sess.ChannelEdit(s.cfg.ChannelID, &discordgo.ChannelEdit{AvailableTags: &tags}, discordgo.WithContext(ctx)); err != nil {
			s.log.Error("discord: creating forum tags failed (needs Manage Channels)", "missing", strings.Join(missing, ", "), "err", classify("create tags", err))
			return
		}
		s.forgetChannel(s.cfg.ChannelID)
		s.log.Info("discord: created forum tags", "tags", strings.Join(missing, ", "))
	case isText(ci.typ):
	default:
		s.log.Error("discord: the staff channel is neither a forum nor a text channel", "channel", s.cfg.ChannelID, "type", ci.typ)
	}
}

// onMessage runs on the gateway reader: it filters and enqueues.
func (r *runner) onMessage(ctx context.Context, m *discordgo.Message) {
	if !staffText(m) || m.GuildID == "" {
		return // our own posts, other bots, webhooks (customer copies), joins, pins, DMs
	}
	r.lanes.submit(ctx, m.ChannelID, func(ctx context.Context) { r.handleMessage(ctx, m) })
}

func (r *runner) onInteraction(ctx context.Context, i *discordgo.Interaction) {
	if i == nil {
		return
	}
	received := r.s.clock.Now()
	r.lanes.submit(ctx, i.ChannelID, func(ctx context.Context) { r.handleInteraction(ctx, i, received) })
}

// owned reports whether ref is one of Threadline's threads. On a lookup
// failure it says yes, so the handler reports the error to staff instead
// of the message vanishing.
func (r *runner) owned(ctx context.Context, ref bridge.ThreadRef) bool {
	_, err := r.s.store.ConversationByThread(ctx, Platform, ref)
	if err != nil && !errors.Is(err, bridge.ErrNotFound) {
		r.s.log.Error("discord: thread lookup failed", "thread", ref, "err", err)
		return true
	}
	return err == nil
}

func (r *runner) handleMessage(ctx context.Context, m *discordgo.Message) {
	s := r.s
	ref := bridge.ThreadRef(m.ChannelID)
	if !r.owned(ctx, ref) || !s.fresh(ctx, "message:"+m.ID) {
		return
	}
	actor, allowed := s.actor(m.Author, m.Member)
	if !allowed {
		s.reply(ctx, m.ChannelID, m.ID, "⚠️ Only members with a staff role can act on Threadline conversations. Nothing was sent.")
		return
	}
	if strings.TrimSpace(m.Content) == "" && len(m.Attachments) == 0 {
		s.log.Warn("discord: staff message arrived without content; is the Message Content intent enabled for the bot?", "message", m.ID)
		return
	}
	// Mentions reach the customer as @names, and commands such as
	// "!assign @alice" know exactly whom they mean.
	var mentions map[string]bridge.StaffID
	for _, u := range m.Mentions {
		if mentions == nil {
			mentions = map[string]bridge.StaffID{}
		}
		mentions["@"+u.Username] = bridge.StaffID("discord:" + u.ID)
	}
	fb, err := r.in.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: Platform, Thread: ref, Actor: actor,
		Text: m.ContentWithMentionsReplaced(), Attachments: s.fetchFiles(ctx, m.Attachments), ExternalID: m.ID, Mentions: mentions})
	switch {
	case errors.Is(err, bridge.ErrUnknownConversation):
	case err != nil:
		s.log.Error("discord: staff message failed", "thread", ref, "message", m.ID, "err", err)
		_ = s.sess.MessageReactionAdd(m.ChannelID, m.ID, "⚠️", discordgo.WithContext(ctx))
		s.reply(ctx, m.ChannelID, m.ID, "⚠️ Threadline could not handle this message (internal error; see the daemon log). Try again.")
	case fb.Text != "":
		text := fb.Text
		if fb.Error {
			text = "⚠️ " + text
		}
		s.reply(ctx, m.ChannelID, m.ID, text)
	}
}

func (r *runner) handleInteraction(ctx context.Context, i *discordgo.Interaction, received time.Time) {
	s := r.s
	name, arg, ok := interactionCommand(i)
	if !ok {
		return
	}
	resp := responder{s: s, i: i, deadline: received.Add(s.o.InteractionBudget)}
	u := i.User
	if i.Member != nil && i.Member.User != nil {
		u = i.Member.User
	}
	if u == nil {
		return
	}
	if i.GuildID == "" {
		resp.send(ctx, "Use Threadline's commands inside a conversation's post on the server.", true)
		return
	}
	if !s.fresh(ctx, "interaction:"+i.ID) {
		return
	}
	actor, allowed := s.actor(u, i.Member)
	if !allowed {
		resp.send(ctx, "⚠️ Only members with a staff role can act on Threadline conversations.", true)
		return
	}
	ref := bridge.ThreadRef(i.ChannelID)
	owned := r.owned(ctx, ref)
	if !owned && i.Message != nil && r.owned(ctx, bridge.ThreadRef(i.Message.ID)) {
		// A button on a card in a text channel: the card's id is the thread's.
		ref, owned = bridge.ThreadRef(i.Message.ID), true
	}
	if !owned && !global(name) {
		resp.send(ctx, fmt.Sprintf("This command works inside a Threadline conversation: a post in <#%s>.", s.cfg.ChannelID), true)
		return
	}
	text := commandText(s.prefix, name, arg)
	resp.answer(ctx, name != "note", func(ctx context.Context) (string, bool) {
		fb, err := r.in.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: Platform, Thread: ref, Actor: actor, Text: text, ExternalID: i.ID})
		if err != nil && !errors.Is(err, bridge.ErrUnknownConversation) {
			s.log.Error("discord: command failed", "command", name, "thread", ref, "err", err)
		}
		return s.interactionReply(name, arg, actor, fb, err)
	})
}

// interactionReply is the answer to a slash command or button: feedback
// only the actor sees, except a note, which the whole post should see.
func (s *Surface) interactionReply(name, arg string, actor bridge.Actor, fb bridge.Feedback, err error) (string, bool) {
	switch {
	case errors.Is(err, bridge.ErrUnknownConversation):
		return fmt.Sprintf("This command works inside a Threadline conversation: a post in <#%s>.", s.cfg.ChannelID), true
	case err != nil:
		return "⚠️ Threadline could not do that (internal error; see the daemon log).", true
	case fb.Error:
		return "⚠️ " + fb.Text, true
	case name == "note":
		return fmt.Sprintf("📝 **%s** (note, staff only):\n%s", escapeMarkdown(actor.Name), arg), false
	case name == "help":
		var names []string
		for _, c := range s.o.SlashCommands {
			names = append(names, "/"+c.Name)
		}
		return "Slash commands: " + strings.Join(names, " ") + "\n" + fb.Text, true
	case fb.Text != "":
		return fb.Text, true
	}
	return "Done.", true
}

// responder answers one interaction within Discord's 3 seconds.
type responder struct {
	s        *Surface
	i        *discordgo.Interaction
	deadline time.Time
}

// answer runs work; if it is not done by the deadline the interaction is
// deferred ("thinking…") and the answer edited in when it is.
func (r responder) answer(ctx context.Context, ephemeralIfSlow bool, work func(context.Context) (string, bool)) {
	type result struct {
		text      string
		ephemeral bool
	}
	done := make(chan result, 1)
	go func() {
		t, e := work(ctx)
		done <- result{t, e}
	}()
	timer := r.s.clock.NewTimer(max(r.deadline.Sub(r.s.clock.Now()), 0))
	defer timer.Stop()
	select {
	case res := <-done:
		r.send(ctx, res.text, res.ephemeral)
	case <-timer.C():
		var flags discordgo.MessageFlags
		if ephemeralIfSlow {
			flags = discordgo.MessageFlagsEphemeral
		}
		err := r.s.sess.InteractionRespond(r.i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: flags}}, discordgo.WithContext(ctx))
		res := <-done
		if err != nil {
			r.s.log.Warn("discord: deferring an interaction failed", "err", classify("defer interaction", err))
			return
		}
		parts := split(res.text, maxMessage)
		if _, err := r.s.sess.InteractionResponseEdit(r.i, &discordgo.WebhookEdit{Content: &parts[0], AllowedMentions: noMentions()},
			discordgo.WithContext(ctx)); err != nil {
			r.s.log.Warn("discord: answering an interaction failed", "err", classify("edit interaction response", err))
			return
		}
		r.followUp(ctx, parts[1:], flags)
	}
}

func (r responder) send(ctx context.Context, text string, ephemeral bool) {
	var flags discordgo.MessageFlags
	if ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	parts := split(text, maxMessage)
	err := r.s.sess.InteractionRespond(r.i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: parts[0], Flags: flags, AllowedMentions: noMentions()}},
		discordgo.WithContext(ctx))
	if err != nil {
		r.s.log.Warn("discord: answering an interaction failed", "err", classify("answer interaction", err))
		return
	}
	r.followUp(ctx, parts[1:], flags)
}

// followUp sends the rest of an answer longer than one message (three
// suggestions from !suggest) as follow-ups, seen by the same people.
func (r responder) followUp(ctx context.Context, parts []string, flags discordgo.MessageFlags) {
	for _, p := range parts {
		if _, err := r.s.sess.FollowupMessageCreate(r.i, true, &discordgo.WebhookParams{Content: p, Flags: flags, AllowedMentions: noMentions()},
			discordgo.WithContext(ctx)); err != nil {
			r.s.log.Warn("discord: answering an interaction failed", "err", classify("follow up interaction", err))
			return
		}
	}
}

// actor maps a Discord member to a Threadline actor; allowed is false when
// staff roles are configured and the member has none.
func (s *Surface) actor(u *discordgo.User, m *discordgo.Member) (bridge.Actor, bool) {
	name := u.Username
	if u.GlobalName != "" {
		name = u.GlobalName
	}
	var roles []string
	if m != nil {
		if m.Nick != "" {
			name = m.Nick
		}
		roles = m.Roles
	}
	has := func(ids []string) bool {
		return slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(ids, r) })
	}
	role := bridge.RoleAgent
	switch {
	case has(s.cfg.AdminRoleIDs):
		role = bridge.RoleAdmin
	case has(s.cfg.LeadRoleIDs):
		role = bridge.RoleLead
	}
	allowed := len(s.cfg.StaffRoleIDs) == 0 || has(s.cfg.StaffRoleIDs) || role > bridge.RoleAgent
	// The member's roles come with every guild message and interaction:
	// departments that name a Discord role count its holders as members.
	var groups []bridge.StaffID
	for _, r := range roles {
		groups = append(groups, bridge.StaffID(RolePrefix+r))
	}
	return bridge.Actor{ID: bridge.StaffID("discord:" + u.ID), Name: name, Role: role, Groups: groups}, allowed
}

// seen reports whether an event id was recorded (by fresh).
func (s *Surface) seen(ctx context.Context, id string) bool {
	if s.store == nil {
		return false
	}
	ok, err := s.store.SeenEvent(ctx, string(Platform), id)
	return err == nil && ok
}

// fresh records an event id and reports whether it is new.
func (s *Surface) fresh(ctx context.Context, id string) bool {
	if s.store == nil {
		return true
	}
	ok, err := s.store.MarkEvent(ctx, string(Platform), id)
	if err != nil {
		s.log.Warn("discord: recording event id failed; handling it anyway", "event", id, "err", err)
		return true
	}
	return ok
}

// reply posts staff-only feedback in a thread, answering message replyTo.
func (s *Surface) reply(ctx context.Context, channel, replyTo, text string) {
	for i, chunk := range split(text, maxMessage) {
		m := &discordgo.MessageSend{Content: chunk, AllowedMentions: noMentions()}
		if i == 0 && replyTo != "" {
			m.Reference = &discordgo.MessageReference{MessageID: replyTo, ChannelID: channel, FailIfNotExists: new(bool)}
		}
		if _, err := s.sess.ChannelMessageSendComplex(channel, m, discordgo.WithContext(ctx)); err != nil {
			s.log.Warn("discord: posting feedback failed", "thread", channel, "err", classify("post feedback", err))
			return
		}
	}
}

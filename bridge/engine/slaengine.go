package engine

import (
	"context"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/sla"
)

type slaEvent int

const (
	slaNone slaEvent = iota
	slaCreated
	slaCustomer
	slaStaffReply
)

func (e *Engine) nagRules() sla.NagRules { return e.sla.Options().Nag }

// slaSync updates the conversation's SLA clocks after a change: a new
// conversation or customer message starts the response clock, a staff reply
// stops it and records whether it met its target, waiting on the customer
// or a snooze pauses the clocks, a close stops them and records the
// resolution outcome. It also computes when the sweep must look next.
func (e *Engine) slaSync(c *bridge.Conversation, wasClosed bool, ev slaEvent, now time.Time) {
	if !e.sla.Enabled() {
		return
	}
	st := &c.SLA
	pol, ok := e.sla.Policy(*c)
	if !ok {
		st.Policy, st.RespKind, st.RespSince, st.ResSince, st.NextCheck = "", "", time.Time{}, time.Time{}, time.Time{}
		c.SLADue = time.Time{}
		return
	}
	st.Policy = pol.Name
	cal := pol.Calendar
	respTarget := func() time.Duration {
		if st.RespKind == "first" {
			return pol.FirstResponse
		}
		return pol.NextResponse
	}
	switch ev {
	case slaStaffReply:
		if st.RespKind != "" {
			used := sla.Clock{Used: st.RespUsed, Since: st.RespSince}.Elapsed(cal, now)
			if t := respTarget(); t > 0 {
				met := used <= t
				switch {
				case st.RespKind == "first":
					st.FirstMet = &met
				case met:
					st.NextMet++
				default:
					st.NextMissed++
				}
			}
			st.RespKind, st.RespSince, st.RespUsed, st.RespNags, st.RespLastNag = "", time.Time{}, 0, 0, time.Time{}
		}
	case slaCreated, slaCustomer:
		if st.RespKind == "" && c.Status == bridge.StatusOpen {
			st.RespKind = "first"
			if !c.FirstResponseAt.IsZero() {
				st.RespKind = "next"
			}
			st.RespSince, st.RespUsed, st.RespNags, st.RespLastNag = time.Time{}, 0, 0, time.Time{}
		}
	}
	snoozed := !c.SnoozedUntil.IsZero()
	if c.Status == bridge.StatusClosed && st.RespKind != "" {
		st.RespKind, st.RespSince, st.RespUsed, st.RespNags, st.RespLastNag = "", time.Time{}, 0, 0, time.Time{}
	}
	run(&st.RespSince, &st.RespUsed, st.RespKind != "" && !snoozed && c.Status == bridge.StatusOpen, cal, now)
	if !wasClosed && c.Status == bridge.StatusClosed && pol.Resolution > 0 {
		used := sla.Clock{Used: st.ResUsed, Since: st.ResSince}.Elapsed(cal, now)
		met := used <= pol.Resolution
		st.ResolvedMet = &met
	}
	run(&st.ResSince, &st.ResUsed, c.Status == bridge.StatusOpen && !snoozed, cal, now)

	// When must the sweep look again, and when does the response target breach?
	c.SLADue, st.NextCheck = time.Time{}, time.Time{}
	rules := e.nagRules()
	for _, cl := range e.clocks(*c, pol) {
		nag, _, next := sla.DecideNag(cl, rules, cal, now)
		if nag != nil {
			next = now
		}
		if !next.IsZero() && (st.NextCheck.IsZero() || next.Before(st.NextCheck)) {
			st.NextCheck = next
		}
		if cl.Kind != "resolution" && !cl.Since.IsZero() {
			c.SLADue = cal.Add(cl.Since, cl.Target-cl.Used)
		}
	}
}

// run starts or stops a clock segment.
func run(since *time.Time, used *time.Duration, running bool, cal *sla.Calendar, now time.Time) {
	switch {
	case running && since.IsZero():
		*since = now
	case !running && !since.IsZero():
		*used += cal.Elapsed(*since, now)
		*since = time.Time{}
	}
}

// clocks lists the conversation's clocks that have a target.
func (e *Engine) clocks(c bridge.Conversation, pol sla.Policy) []sla.Clock {
	st := c.SLA
	var out []sla.Clock
	if st.RespKind != "" {
		t := pol.NextResponse
		if st.RespKind == "first" {
			t = pol.FirstResponse
		}
		if t > 0 {
			out = append(out, sla.Clock{Kind: st.RespKind, Target: t, Used: st.RespUsed, Since: st.RespSince, Nags: st.RespNags, LastNag: st.RespLastNag})
		}
	}
	if pol.Resolution > 0 && c.Status != bridge.StatusClosed {
		out = append(out, sla.Clock{Kind: "resolution", Target: pol.Resolution, Used: st.ResUsed, Since: st.ResSince, Nags: st.ResNags, LastNag: st.ResLastNag})
	}
	return out
}

// slaSweep posts the nags that are due. Only conversations whose indexed
// next-check time has come are read; each is handled in its own
// transaction that re-reads the state, so a restart never double-sends.
func (e *Engine) slaSweep(ctx context.Context, now time.Time) (int, error) {
	if !e.sla.Enabled() {
		return 0, nil
	}
	sent := 0
	for {
		due, err := e.store.DueSLA(ctx, now, 500)
		if err != nil {
			return sent, err
		}
		// Conversations are independent: handle them concurrently so their
		// transactions share commits (group commit).
		var mu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for _, id := range due {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				n, err := e.slaNag(ctx, id, now)
				mu.Lock()
				sent += n
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return sent, firstErr
		}
		if len(due) < 500 {
			return sent, nil
		}
	}
}

func (e *Engine) slaNag(ctx context.Context, id bridge.ConversationID, now time.Time) (int, error) {
	sent := 0
	var posted []sla.Nag
	err := e.store.Write(ctx, func(tx bridge.Tx) error {
		sent, posted = 0, posted[:0]
		c, err := tx.Conversation(id)
		if err != nil {
			return err
		}
		if c.SLA.NextCheck.IsZero() || c.SLA.NextCheck.After(now) {
			return nil // someone else handled it
		}
		pol, ok := e.sla.Policy(c)
		var lines []string
		var mentions []bridge.StaffID
		if ok {
			rules := e.nagRules()
			for _, cl := range e.clocks(c, pol) {
				nag, nags, _ := sla.DecideNag(cl, rules, pol.Calendar, now)
				if nag == nil {
					continue
				}
				if cl.Kind == "resolution" {
					c.SLA.ResNags, c.SLA.ResLastNag = nags, now
				} else {
					c.SLA.RespNags, c.SLA.RespLastNag = nags, now
				}
				lines = append(lines, sla.FormatNag(*nag, c.Owner == ""))
				posted = append(posted, *nag)
				mentions = bridge.AppendUnique(mentions, e.ladder(c, nag.Step, now)...)
				sent++
			}
		}
		e.slaSync(&c, c.Status == bridge.StatusClosed, slaNone, now)
		if err := tx.UpdateConversation(c); err != nil {
			return err
		}
		if len(lines) == 0 {
			return nil
		}
		if err := tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: bridge.SystemActor(), Action: "sla_nag", Detail: strings.Join(lines, " | "), At: now}); err != nil {
			return err
		}
		return e.effects(tx, c.ID, Outcome{Notice: strings.Join(lines, "\n"), Mentions: mentions, NoCard: true}, now)
	})
	if err == nil && sent > 0 {
		e.notify()
		for _, n := range posted {
			e.metrics.SLANag(n.Step, n.Clock)
		}
	}
	return sent, err
}

// ladder resolves whom a nag step mentions.
func (e *Engine) ladder(c bridge.Conversation, step sla.NagStep, now time.Time) []bridge.StaffID {
	var out []bridge.StaffID
	for _, t := range e.sla.Options().Ladder.Step(step) {
		switch t {
		case sla.TargetOwner:
			if c.Owner != "" {
				out = bridge.AppendUnique(out, c.Owner)
			} else {
				out = bridge.AppendUnique(out, e.dir.OnCall(c.Department, now)...)
			}
		case sla.TargetOnCall:
			out = bridge.AppendUnique(out, e.dir.OnCall(c.Department, now)...)
		case sla.TargetLeads:
			out = bridge.AppendUnique(out, e.dir.Leads(c.Department)...)
		case sla.TargetHere:
			out = bridge.AppendUnique(out, bridge.MentionHere)
		}
	}
	return out
}

// acknowledgement returns the automatic first answer, or "".
func (e *Engine) acknowledgement(tx bridge.Tx, c bridge.Conversation, now time.Time) string {
	cfg := e.sla.Options().Acknowledgement
	if !cfg.Enabled {
		return ""
	}
	cal := e.ackCalendar(c)
	body := cfg.Template
	if !cal.Open(now) {
		body = cfg.OutOfHours
	}
	return e.render(body, c, bridge.Actor{Name: "Threadline"}, now, tx)
}

func (e *Engine) ackCalendar(c bridge.Conversation) *sla.Calendar {
	if cal := e.sla.Options().Acknowledgement.Calendar; cal != nil {
		return cal
	}
	if pol, ok := e.sla.Policy(c); ok {
		return pol.Calendar
	}
	return sla.WallClock()
}

// waitEstimate says how long a customer should expect to wait: the first
// response target, stretched when the queue is long.
func (e *Engine) waitEstimate(c bridge.Conversation, open openCounter) string {
	pol, ok := e.sla.Policy(c)
	if !ok || pol.FirstResponse <= 0 {
		return expectedWait(open)
	}
	return "about " + humanWait(pol.FirstResponse)
}

func humanWait(d time.Duration) string {
	switch {
	case d <= 90*time.Second:
		return "a minute"
	case d < time.Hour:
		return strconv.Itoa(int(d.Round(time.Minute).Minutes())) + " minutes"
	case d < 90*time.Minute:
		return "an hour"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d.Round(time.Hour).Hours())) + " hours"
	case d < 36*time.Hour:
		return "a day"
	}
	return strconv.Itoa(int(d.Round(24*time.Hour).Hours()/24)) + " days"
}

// ParseRating reads a satisfaction answer: 1-5, "4/5", "4 stars", ⭐⭐⭐,
// 👍 (5) or 👎 (1). Longer messages are not ratings.
func ParseRating(text string) (int, bool) {
	t := strings.TrimSpace(strings.ToLower(text))
	if t == "" || utf8.RuneCountInString(t) > 20 {
		return 0, false
	}
	if n := strings.Count(t, "⭐"); n > 0 && n <= 5 && strings.Trim(t, "⭐ ") == "" {
		return n, true
	}
	switch t {
	case "👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "+1":
		return 5, true
	case "👎", "👎🏻", "👎🏼", "👎🏽", "👎🏾", "👎🏿", "-1":
		return 1, true
	}
	for _, suffix := range []string{"/5", " stars", " star", " out of 5", "!", "."} {
		t = strings.TrimSuffix(t, suffix)
	}
	n, err := strconv.Atoi(strings.TrimSpace(t))
	if err != nil || n < 1 || n > 5 {
		return 0, false
	}
	return n, true
}

// customerNotice stores an automatic message to the customer and queues
// it for the customer's channel and every staff surface.
func (e *Engine) customerNotice(tx bridge.Tx, conv bridge.ConversationID, channel bridge.Platform, text string, now time.Time) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	msg := bridge.Message{Conversation: conv, Direction: bridge.DirStaff, AuthorID: "system", Author: "Threadline", Body: text, CreatedAt: now}
	if err := tx.InsertMessage(&msg, 0); err != nil {
		return err
	}
	q := e.queue(tx, conv, now)
	if err := q.customer(channel, msg.ID, ""); err != nil {
		return err
	}
	return q.post(msg.ID, "")
}

// rateIfAnswer records a satisfaction rating when the customer answers the
// question on a closed conversation; it reports whether it did.
func (e *Engine) rateIfAnswer(tx bridge.Tx, c bridge.Conversation, m bridge.InboundMessage, now time.Time) (bool, error) {
	if c.Status != bridge.StatusClosed || c.CSATAskedAt.IsZero() || !e.sla.Options().Satisfaction.Enabled {
		return false, nil
	}
	score, ok := ParseRating(m.Text)
	if !ok {
		return false, nil
	}
	fresh, err := tx.RecordCSAT(c.ID, score, m.Text, now)
	if err != nil || !fresh {
		return false, err
	}
	return true, nil
}

// RecheckSLA recomputes every open conversation's SLA clocks once after the
// SLA configuration changed (a fingerprint is kept), so new targets apply
// to conversations already waiting. It runs in the background at start.
func (e *Engine) RecheckSLA(ctx context.Context) error {
	h := fnv.New64a()
	h.Write([]byte(e.sla.Fingerprint()))
	sum := strconv.FormatUint(h.Sum64(), 16)
	var last string
	if err := e.store.Write(ctx, func(tx bridge.Tx) error {
		var err error
		last, err = tx.GetCursor("sla", "config")
		return err
	}); err != nil {
		return err
	}
	if last == sum {
		return nil
	}
	now := e.now()
	var after bridge.ConversationID
	for {
		// Page through ids so memory does not grow with the number of
		// open conversations.
		ids, err := e.store.OpenConversationIDs(ctx, after, 500)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		for _, id := range ids {
			if err := e.recheckOne(ctx, id, now); err != nil {
				return err
			}
		}
	}
	return e.store.Write(ctx, func(tx bridge.Tx) error { return tx.PutCursor("sla", "config", sum, now) })
}

func (e *Engine) recheckOne(ctx context.Context, id bridge.ConversationID, now time.Time) error {
	return e.store.Write(ctx, func(tx bridge.Tx) error {
		cur, err := tx.Conversation(id)
		if err != nil {
			return err
		}
		e.slaSync(&cur, cur.Status == bridge.StatusClosed, slaNone, now)
		if cur.SLA.RespKind == "" && cur.Status == bridge.StatusOpen && e.sla.Enabled() {
			e.slaSync(&cur, false, slaCustomer, now) // a conversation from before SLAs were on
		}
		return tx.UpdateConversation(cur)
	})
}

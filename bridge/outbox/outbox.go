package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// Outbox delivers queued rows: one goroutine owns the loop, up to Workers
// sends run at once, and rows of one (conversation, target) lane go out
// strictly in order.
type Outbox struct {
	store    bridge.Store
	surfaces map[bridge.Platform]bridge.StaffSurface
	channels map[bridge.Platform]bridge.CustomerChannel
	cfg      Options // the tuning fields, zeros replaced by defaults
	clock    bridge.Clock
	log      *slog.Logger
	wake     chan struct{} // Notify: this process committed rows
	kick     chan struct{} // Wake: another process may have
	pacer    *pacer
	jitter   func() float64
	order    []bridge.Platform // surface names in configuration order
	metrics  Metrics
	handle   map[bridge.OutboxKind]handler // handlers.go
}

// Options wire and tune an Outbox.
type Options struct {
	Store    bridge.Store
	Surfaces []bridge.StaffSurface
	Channels []bridge.CustomerChannel

	Workers     int           // sends in progress at once (0: 8)
	MaxAttempts int           // transient failures before dead-lettering (0: 12)
	BaseBackoff time.Duration // first retry delay, doubling with jitter (0: 2s)
	MaxBackoff  time.Duration // retry delay cap (0: 10m)
	SendTimeout time.Duration // one attempt's deadline (0: 30s)
	Drain       time.Duration // how long shutdown waits for sends in flight (0: 10s)
	// Pacing overrides the adapters' own send limits (Pacer), by adapter name.
	Pacing map[bridge.Platform]bridge.Pacing

	Clock bridge.Clock // nil: the system clock; backoff and pacing waits use its timers
	Log   *slog.Logger
	// Jitter returns a factor in [0,1) for backoff randomisation; tests fix it.
	Jitter func() float64
	// Metrics counts deliveries, retries, dead letters and rate-limit
	// waits (nil: nothing counted).
	Metrics Metrics
}

// New builds the worker.
func New(o Options) *Outbox {
	o.defaults()
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	ob := &Outbox{
		store: o.Store, cfg: o, clock: bridge.OrSystem(o.Clock), log: o.Log, jitter: o.Jitter,
		surfaces: make(map[bridge.Platform]bridge.StaffSurface), channels: make(map[bridge.Platform]bridge.CustomerChannel),
		wake: make(chan struct{}, 1), kick: make(chan struct{}, 1), metrics: orNoOutboxMetrics(o.Metrics),
	}
	rates := make(map[bridge.Platform]bridge.Pacing)
	for _, s := range o.Surfaces {
		ob.surfaces[s.Name()] = s
		ob.order = append(ob.order, s.Name())
		if p, ok := s.(bridge.Pacer); ok {
			rates[s.Name()] = p.Pacing()
		}
	}
	for _, c := range o.Channels {
		ob.channels[c.Name()] = c
		if p, ok := c.(bridge.Pacer); ok {
			rates[c.Name()] = p.Pacing()
		}
	}
	for name, p := range o.Pacing {
		rates[name] = p
	}
	ob.handle = ob.handlers()
	ob.pacer = newPacer(rates)
	return ob
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.Drain <= 0 {
		o.Drain = 10 * time.Second
	}
}

// Notify wakes the worker after this process committed new rows (the
// engine's Notify). It never blocks.
func (o *Outbox) Notify() { signal(o.wake) }

// Wake wakes the worker when another process may have queued rows (a
// replica, through the relay): it reads the due rows even if this process
// committed nothing since its last look. It never blocks.
func (o *Outbox) Wake() { signal(o.kick) }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

type lane struct {
	conv   bridge.ConversationID
	target bridge.Platform
}

type result struct {
	lane       lane
	blockUntil time.Time // a 429 asked to keep the destination quiet
	dest       string
	// unrecorded: the outcome could not be written, so the row is still
	// due and nothing was committed for it.
	unrecorded bool
}

// Run delivers until ctx is cancelled, then waits up to Drain for sends in
// flight; rows not finished stay pending for the next start.
func (o *Outbox) Run(ctx context.Context) error {
	return o.RunAbortable(ctx, context.WithoutCancel(ctx))
}

// RunAbortable is Run for a leader among replicas: sends in flight run
// under sends, and when leadership is lost the caller cancels it to cut
// them off rather than let them finish while another replica takes over
// (a row cut off is retried there: it may show twice, never not at all).
// Run passes a sends that is never cancelled.
func (o *Outbox) RunAbortable(ctx, sends context.Context) error {
	l := o.newLoop(ctx)
	l.sends = sends
	timer := o.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Reset(l.startDue())
		select {
		case <-ctx.Done():
			o.drain(l.inflight, l.done)
			return nil
		case <-o.wake:
			l.committedRows()
		case <-o.kick:
			l.stale = true
		case <-l.sent:
			l.sending--
		case r := <-l.done:
			l.finished(r)
		case <-timer.C():
			l.stale = true
		}
		l.absorb()
	}
}

// loop is the state Run owns. A row is "in flight" from the moment it is
// handed to a worker until its outcome is committed; its lane stays
// busy all that time. Only the send itself counts against Workers:
// recording the outcome waits for the store's group commit, and many
// outcomes share one transaction while the next sends already go out.
type loop struct {
	o           *Outbox
	ctx         context.Context
	sends       context.Context // parent of sends in flight (RunAbortable)
	maxInflight int
	inflight    map[lane]bridge.OutboxID      // lane → the row being sent or recorded
	held        map[bridge.OutboxID]time.Time // due rows held back by pacing, until when
	sending     int
	done        chan result
	sent        chan struct{}
	jobs        chan bridge.OutboxItem // to an idle worker (work)
	// Due rows are read in batches into a local queue and handed out from
	// there; the queue is refilled when it runs dry or gets old, not on
	// every event, so a busy outbox does not re-run the due query per row.
	queue    []bridge.OutboxItem
	queuedAt time.Time
	// stale: rows may have become due since the queue was last read to
	// the end (a commit woke the loop, an outcome finished a lane and let
	// its next row go, a timer ran out). A worker that only finished its
	// send changes nothing in the store: the loop does not read again for
	// it, which halved the due queries of a busy outbox.
	stale bool
	// nextDue is when the earliest pending row is due, as of the last read.
	nextDue time.Time
	// commits counts this process's committed writes (the store's
	// bridge.CommitCounter; nil: unknown). readAt and nextDueAt are its
	// value just before the last due read and the last NextOutboxDue: a
	// finished row needs no new read when nothing was committed since,
	// because that read already saw its outcome (and the lane's next row).
	// Outcomes that share a commit arrive one by one; this reads once for
	// all of them.
	commits           func() int64
	readAt, nextDueAt int64
	// blocked are lanes whose due row was passed over because the lane was
	// still busy: when the lane finishes, the row is read again.
	blocked map[lane]bool
}

func (o *Outbox) newLoop(ctx context.Context) *loop {
	n := o.cfg.Workers * 16
	l := &loop{o: o, ctx: ctx, maxInflight: n, inflight: make(map[lane]bridge.OutboxID), held: make(map[bridge.OutboxID]time.Time),
		done: make(chan result, n), sent: make(chan struct{}, n), jobs: make(chan bridge.OutboxItem), stale: true, blocked: make(map[lane]bool)}
	if c, ok := o.store.(bridge.CommitCounter); ok {
		l.commits = c.Commits
	}
	return l
}

// committed is the store's commit count, or -1 when it does not count
// (every comparison with an earlier value then says "changed").
func (l *loop) committed() int64 {
	if l.commits == nil {
		return -1
	}
	return l.commits()
}

// changedSince reports whether a write may have committed since the count
// at was taken.
func (l *loop) changedSince(at int64) bool { return at < 0 || l.committed() != at }

// finished takes a row's result: its lane is free, and rows may be due
// that were not when the queue was last read.
func (l *loop) finished(r result) {
	l.o.finish(l.inflight, r)
	if l.blocked[r.lane] || r.unrecorded {
		delete(l.blocked, r.lane)
		l.stale = true
	}
	l.committedRows()
}

// committedRows: this process committed writes that may have made rows
// due; they need a read unless the last one started after the commit.
func (l *loop) committedRows() {
	if l.changedSince(l.readAt) {
		l.stale = true
	}
}

// startDue starts as many due rows as there are free workers and says how
// long to sleep before looking again (commits wake Run earlier via Notify).
func (l *loop) startDue() time.Duration {
	o := l.o
	wait := 5 * time.Second // safety net
	free := min(o.cfg.Workers-l.sending, l.maxInflight-len(l.inflight))
	if free <= 0 {
		return wait
	}
	now := o.clock.Now()
	started, short, read := 0, false, false
	for refills := 0; started < free && refills < 2 && !short; refills++ {
		if len(l.queue) == 0 && !l.stale {
			break
		}
		if len(l.queue) == 0 || now.Sub(l.queuedAt) > queueMaxAge {
			var err error
			read = true
			l.readAt = l.committed()
			l.queue, err = o.due(l.ctx, now, l.inflight, l.held, &wait)
			l.queuedAt, short = now, len(l.queue) < o.dueBatch()
			l.stale = !short || err != nil
			if err != nil && l.ctx.Err() == nil {
				o.log.Error("outbox: reading due rows", "err", err)
				wait = time.Second
			}
		}
		for len(l.queue) > 0 && started < free {
			it := l.queue[0]
			l.queue = l.queue[1:]
			if l.start(it, now, &wait) {
				started++
			}
		}
		if len(l.queue) > 0 {
			break
		}
	}
	if started < free && len(l.queue) == 0 {
		// Nothing more is due now: sleep until the next row is.
		if read || l.changedSince(l.nextDueAt) {
			l.nextDue, l.nextDueAt = time.Time{}, l.committed()
			if next, err := o.store.NextOutboxDue(l.ctx); err == nil {
				l.nextDue = next
			}
		}
		if l.nextDue.After(now) {
			wait = min(wait, l.nextDue.Sub(now))
		}
	}
	for _, until := range l.held {
		if until.After(now) {
			wait = min(wait, until.Sub(now))
		}
	}
	return wait
}

// start hands it to a goroutine unless its lane is busy or pacing holds it
// back (then wait shrinks to when it may go).
func (l *loop) start(it bridge.OutboxItem, now time.Time, wait *time.Duration) bool {
	o := l.o
	ln := lane{it.Conversation, it.Target}
	if _, busy := l.inflight[ln]; busy {
		l.blocked[ln] = true
		return false
	}
	if _, ok := l.held[it.ID]; ok {
		return false
	}
	if paced(it.Kind) {
		if d := o.pacer.reserve(it.Target, o.destination(it), now); d > 0 {
			l.held[it.ID] = now.Add(d)
			*wait = min(*wait, d)
			o.metrics.RateLimited(it.Target, d, false)
			return false
		}
	}
	l.inflight[ln] = it.ID
	l.sending++
	select {
	case l.jobs <- it:
	default:
		go l.work(it)
	}
	return true
}

// work sends it and every row start hands it afterwards. A row goes to a
// worker that waits idle (jobs is unbuffered, so start's send succeeds only
// then) or to a new one, so there are never more workers than rows were in
// flight at once (maxInflight); they stop with the loop. Reusing them
// keeps their grown stacks: a fresh goroutine per row grew its stack two
// or three times on the way into the driver, about a twentieth of the
// outbox's CPU.
func (l *loop) work(it bridge.OutboxItem) {
	for {
		l.done <- l.o.process(l.ctx, l.sends, it, func() { l.sent <- struct{}{} })
		select {
		case it = <-l.jobs:
		case <-l.ctx.Done():
			return
		}
	}
}

// absorb takes every event that is already waiting, so the next startDue
// queries once for all of them.
func (l *loop) absorb() {
	for {
		select {
		case <-l.sent:
			l.sending--
		case r := <-l.done:
			l.finished(r)
		case <-l.o.wake:
			l.committedRows()
		case <-l.o.kick:
			l.stale = true
		default:
			return
		}
	}
}

// queueMaxAge bounds how long fetched due rows wait in the local queue
// before it is read again (rows may have changed or newer ones be due).
const queueMaxAge = 200 * time.Millisecond

// due reads the next batch of due lane heads, leaving out rows in flight
// and rows held back by pacing (forgetting holds that are over).
func (o *Outbox) due(ctx context.Context, now time.Time, inflight map[lane]bridge.OutboxID, held map[bridge.OutboxID]time.Time, wait *time.Duration) ([]bridge.OutboxItem, error) {
	skip := make([]bridge.OutboxID, 0, len(inflight)+len(held))
	for _, id := range inflight {
		skip = append(skip, id)
	}
	for id, until := range held {
		switch {
		case !until.After(now):
			delete(held, id)
		case len(skip) < len(inflight)+256:
			skip = append(skip, id)
			*wait = min(*wait, until.Sub(now))
		}
	}
	items, err := o.store.DueOutbox(ctx, now, o.dueBatch(), skip)
	if err != nil {
		return nil, err
	}
	o.readSources(ctx, items)
	return items, nil
}

// readSources reads what the staff posts among items show (the thread and
// the message), one query per surface, instead of one query per post when
// it is sent: a read outside the writer's transaction is the dearest
// statement of a message. The loop waits for this read before it starts
// the rows: at 500 messages/s that put the p99 from Deliver to the post
// about half a millisecond higher, for a tenth or more of the CPU.
//
// The rows wait in the local queue for at most queueMaxAge, so what a post
// shows is no older than that. Threads are recorded only by earlier rows of
// the same lane, which finished before this row became due. A post whose
// source could not be read here (an error, a message gone, a message that
// belongs to another conversation) reads it itself when it is sent.
func (o *Outbox) readSources(ctx context.Context, items []bridge.OutboxItem) {
	var msgs map[bridge.Platform][]bridge.MessageID
	for _, it := range items {
		if it.Kind == bridge.KindStaffPost && it.Message != 0 {
			if msgs == nil {
				msgs = make(map[bridge.Platform][]bridge.MessageID)
			}
			msgs[it.Target] = append(msgs[it.Target], it.Message)
		}
	}
	for surface, ids := range msgs {
		srcs, err := o.store.PostSources(ctx, surface, ids)
		if err != nil {
			if ctx.Err() == nil {
				o.log.Warn("outbox: reading staff posts ahead", "surface", surface, "err", err)
			}
			continue
		}
		for i := range items {
			it := &items[i]
			if src, ok := srcs[it.Message]; ok && it.Kind == bridge.KindStaffPost && it.Target == surface && src.Message.Conversation == it.Conversation {
				it.Source = &src
			}
		}
	}
}

func (o *Outbox) dueBatch() int { return max(o.cfg.Workers*8, 64) }

func (o *Outbox) finish(inflight map[lane]bridge.OutboxID, r result) {
	delete(inflight, r.lane)
	if !r.blockUntil.IsZero() {
		o.pacer.block(r.lane.target, r.dest, r.blockUntil)
	}
}

func (o *Outbox) drain(inflight map[lane]bridge.OutboxID, done chan result) {
	deadline := o.clock.NewTimer(o.cfg.Drain)
	defer deadline.Stop()
	for len(inflight) > 0 {
		select {
		case r := <-done:
			o.finish(inflight, r)
		case <-deadline.C():
			o.log.Warn("outbox: shutdown before sends finished; they stay queued", "in_flight", len(inflight))
			return
		}
	}
}

// paced: kinds that post new messages count against per-destination send
// limits (Slack ~1 message/s per channel, Telegram ~1/s per chat). Card
// edits, reactions and receipts have their own, looser platform limits;
// a 429 on them still pauses the destination through Retry-After.
func paced(k bridge.OutboxKind) bool {
	switch k {
	case bridge.KindStaffPost, bridge.KindNotice, bridge.KindCustomerSend, bridge.KindAnnounce:
		return true
	}
	return false
}

func (o *Outbox) destination(it bridge.OutboxItem) string { return it.Dest }

// process performs one row and records the outcome; sent is called once
// the platform answered, before the outcome is committed.
func (o *Outbox) process(ctx, sends context.Context, it bridge.OutboxItem, sent func()) result {
	res := result{lane: lane{it.Conversation, it.Target}, dest: o.destination(it)}
	ext, err := o.send(ctx, sends, it)
	sent()
	// Recording gets its own deadline (o.write, recordDone): after a send
	// that timed out, the send's is spent, and the outcome (a retry that
	// counts as an attempt) must still be written. The row's logger is made
	// only where something is logged, not on the common path.
	now := o.clock.Now()
	log := func() *slog.Logger {
		return o.log.With("outbox_id", it.ID, "conversation", it.Conversation, "target", it.Target, "kind", it.Kind)
	}
	var werr error
	var rl *bridge.RateLimitError
	dead := false
	switch {
	case err == nil:
		// The platform has the message: retrying the send because the
		// record failed would repeat it there every time.
		werr = o.recordDone(ctx, log, "a delivery", func(tx bridge.Tx) error { return o.sent(tx, it, ext, now) })
	case errors.As(err, &rl):
		next := now.Add(rl.RetryAfter)
		res.blockUntil = next
		log().Info("outbox: rate limited", "retry_after", rl.RetryAfter)
		// 429s are the platform pacing us, not a failure: they do not use up attempts.
		werr = o.write(ctx, func(tx bridge.Tx) error { return tx.MarkRetry(it.ID, it.Attempts, next, err.Error()) })
	case errors.Is(err, bridge.ErrThreadGone) && it.Attempts+1 < o.cfg.MaxAttempts:
		log().Warn("outbox: staff thread is gone; opening a new one")
		werr = o.write(ctx, func(tx bridge.Tx) error {
			ref, terr := tx.ActiveThread(it.Conversation, it.Target)
			if terr == nil {
				if terr := tx.DeactivateThread(it.Conversation, it.Target, ref, now); terr != nil {
					return terr
				}
			}
			return tx.MarkRetry(it.ID, it.Attempts+1, now, err.Error())
		})
	case bridge.IsPermanent(err) || errors.Is(err, bridge.ErrUnreachable) || it.Attempts+1 >= o.cfg.MaxAttempts:
		dead = true
		log().Error("outbox: delivery failed permanently", "attempts", it.Attempts+1, "err", err)
		werr = o.write(ctx, func(tx bridge.Tx) error { return o.dead(tx, it, err, now) })
	default:
		delay := o.backoff(it.Attempts + 1)
		log().Warn("outbox: delivery failed; will retry", "attempt", it.Attempts+1, "retry_in", delay.Round(time.Millisecond), "err", err)
		werr = o.write(ctx, func(tx bridge.Tx) error { return tx.MarkRetry(it.ID, it.Attempts+1, now.Add(delay), err.Error()) })
	}
	if werr != nil {
		// The row stays as it was and is tried again; a send may repeat once.
		log().Error("outbox: recording the outcome failed", "err", werr)
		res.blockUntil, res.unrecorded = o.clock.Now().Add(time.Second), true
		return res
	}
	switch {
	case err == nil:
		o.metrics.Delivered(it.Target, it.Kind)
	case rl != nil:
		o.metrics.RateLimited(it.Target, rl.RetryAfter, true)
	case dead:
		o.metrics.DeadLettered(it.Target, it.Kind)
	default:
		o.metrics.Retried(it.Target, it.Kind)
	}
	return res
}

// deadline bounds one step of a send (a platform call, or recording what
// it did) by SendTimeout. It is detached from ctx's cancellation: work in
// flight at shutdown gets its time to finish rather than being cut off.
func (o *Outbox) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), o.cfg.SendTimeout)
}

// write runs fn in one write bounded by SendTimeout (deadline).
func (o *Outbox) write(ctx context.Context, fn func(bridge.Tx) error) error {
	wctx, cancel := o.deadline(ctx)
	defer cancel()
	return o.store.Write(wctx, fn)
}

// recordThread writes the thread a platform call just opened or moved to;
// retrying the platform call instead would open a second thread.
func (o *Outbox) recordThread(ctx context.Context, conv bridge.ConversationID, surface bridge.Platform, ref bridge.ThreadRef) error {
	log := func() *slog.Logger { return o.log.With("conversation", conv, "surface", surface) }
	return o.recordDone(ctx, log, "a new thread", func(tx bridge.Tx) error { return tx.SetThread(conv, surface, ref, o.clock.Now()) })
}

// recordDone writes what a platform call did, with its own deadline. When
// the database fails (locked, full) the write is retried with backoff,
// not the platform call, until it succeeds or the outbox stops (then the
// row stays pending and the call may repeat once after the restart, as
// after a crash). log makes the logger for a failure (it is not made when
// nothing fails).
func (o *Outbox) recordDone(ctx context.Context, log func() *slog.Logger, what string, fn func(bridge.Tx) error) error {
	err := o.write(ctx, fn)
	if err == nil {
		return nil
	}
	log().Error("outbox: recording "+what+" failed; retrying the record, not the platform call", "err", err)
	wait := 100 * time.Millisecond
	for {
		t := o.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
		if err := o.write(ctx, fn); err == nil {
			return nil
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// backoff is exponential with ±20% jitter, capped at MaxBackoff.
func (o *Outbox) backoff(attempt int) time.Duration {
	d := o.cfg.BaseBackoff
	for i := 1; i < attempt && d < o.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.cfg.MaxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*o.jitter()))
}

// sent records success and queues the receipt for the staff message that
// caused a customer send.
func (o *Outbox) sent(tx bridge.Tx, it bridge.OutboxItem, ext bridge.ExternalRef, now time.Time) error {
	if err := tx.MarkSent(it.ID, ext, it.Message, now); err != nil {
		return err
	}
	if it.Kind == bridge.KindCustomerSend && !o.followUp(it.Target) {
		return o.receipt(tx, it, bridge.Receipt{Message: it.Message, OK: true}, now)
	}
	return nil
}

// followUp reports whether target only follows up on delivered replies
// (bridge.FollowUpChannel).
func (o *Outbox) followUp(target bridge.Platform) bool {
	_, ok := o.channels[target].(bridge.FollowUpChannel)
	return ok
}

func (o *Outbox) receipt(tx bridge.Tx, it bridge.OutboxItem, r bridge.Receipt, now time.Time) error {
	m, err := tx.MessageByID(it.Message)
	if err != nil {
		return err
	}
	if _, ok := o.surfaces[m.Platform].(bridge.ReceiptSurface); !ok || m.ExternalID == "" {
		return nil
	}
	r.Source = m.ExternalID
	payload, _ := json.Marshal(r)
	return tx.Enqueue(bridge.OutboxRow{Conversation: it.Conversation, Target: m.Platform, Kind: bridge.KindReceipt, Message: m.ID, Payload: string(payload)}, now)
}

// dead dead-letters a row and tells staff in every thread. A failed notice
// about a failure is only logged, so failures cannot cascade.
func (o *Outbox) dead(tx bridge.Tx, it bridge.OutboxItem, cause error, now time.Time) error {
	if err := tx.MarkDead(it.ID, cause.Error(), now); err != nil {
		return err
	}
	var what string
	switch {
	case it.Kind == bridge.KindCustomerSend && o.followUp(it.Target):
		// The reply reached its own channel; only the follow-up failed.
		what = fmt.Sprintf("A follow-up (%s) could not be sent", it.Target)
	case it.Kind == bridge.KindCustomerSend:
		what = fmt.Sprintf("A reply could not be delivered to the customer on %s", it.Target)
		if errors.Is(cause, bridge.ErrUnreachable) {
			c, err := tx.Conversation(it.Conversation)
			if err != nil {
				return err
			}
			if err := tx.SetCustomerUnreachable(c.Customer, cause.Error()); err != nil {
				return err
			}
		}
		if err := o.receipt(tx, it, bridge.Receipt{Message: it.Message, OK: false, Error: cause.Error()}, now); err != nil {
			return err
		}
	case it.Kind == bridge.KindStaffPost:
		if it.Payload == bridge.DeadNoticePayload {
			return nil
		}
		what = fmt.Sprintf("A message could not be posted to %s", it.Target)
	default:
		return nil // card refreshes, receipts and notices are cosmetic
	}
	msg := bridge.SystemMessage(it.Conversation, fmt.Sprintf("⚠ %s (message %d): %v", what, it.Message, cause), now)
	if err := tx.InsertMessage(&msg, 0); err != nil {
		return err
	}
	if err := tx.Audit(bridge.AuditEntry{Conversation: it.Conversation, Actor: bridge.SystemActor(), Action: "dead_letter",
		Detail: fmt.Sprintf("outbox %d (%s to %s): %v", it.ID, it.Kind, it.Target, cause), At: now}); err != nil {
		return err
	}
	for _, name := range o.order {
		if err := tx.Enqueue(bridge.OutboxRow{Conversation: it.Conversation, Target: name, Kind: bridge.KindStaffPost, Message: msg.ID, Payload: bridge.DeadNoticePayload}, now); err != nil {
			return err
		}
	}
	return nil
}

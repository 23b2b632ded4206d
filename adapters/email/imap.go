package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/threadlinehq/threadline/bridge"
)

// Run reads the mailbox until ctx ends: everything new since the saved
// UIDVALIDITY/UID cursor, then waits with IDLE (or polls every
// poll_interval when the server has no IDLE). Each email is acknowledged
// (\Seen, or moved to processed_folder) and the cursor advanced only after
// Deliver committed it. Connection errors are returned; the core restarts
// Run with backoff.
func (a *Adapter) Run(ctx context.Context, in bridge.Inbox) error {
	if a.store == nil {
		return errors.New("email: Run before Init")
	}
	wake := make(chan struct{}, 1)
	c, err := a.dialIMAP(ctx, wake)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	err = a.session(ctx, c, in, wake)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// cursor is the position in one mailbox: everything up to UID is handled.
type cursor struct {
	validity uint32
	uid      imap.UID
}

func (c cursor) String() string {
	return strconv.FormatUint(uint64(c.validity), 10) + ":" + strconv.FormatUint(uint64(c.uid), 10)
}

func parseCursor(s string) (cursor, bool) {
	v, u, ok := strings.Cut(s, ":")
	if !ok {
		return cursor{}, false
	}
	vn, err1 := strconv.ParseUint(v, 10, 32)
	un, err2 := strconv.ParseUint(u, 10, 32)
	if err1 != nil || err2 != nil {
		return cursor{}, false
	}
	return cursor{uint32(vn), imap.UID(un)}, true
}

func (a *Adapter) cursorKey() string {
	return "imap:" + strings.ToLower(a.cfg.IMAP.Username) + "@" + strings.ToLower(a.cfg.IMAP.Host) + "/" + a.cfg.IMAP.Mailbox
}

func (a *Adapter) dialIMAP(ctx context.Context, wake chan struct{}) (*imapclient.Client, error) {
	cfg := a.cfg.IMAP
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	conn, err := a.opts.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to IMAP server %s: %w", addr, err)
	}
	opts := &imapclient.Options{
		TLSConfig:   a.tlsConfig(cfg.Host),
		WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	// Bound the greeting, TLS and login; IDLE later needs no deadline.
	conn.SetDeadline(time.Now().Add(time.Minute))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *imapclient.Client
	switch cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS with IMAP server %s: %w", addr, err)
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			return nil, fmt.Errorf("STARTTLS with IMAP server %s: %w", addr, err)
		}
	default:
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("IMAP server %s: %w", addr, err)
	}
	if err := c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("IMAP login as %s at %s: %w", cfg.Username, addr, err)
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

func (a *Adapter) session(ctx context.Context, c *imapclient.Client, in bridge.Inbox, wake chan struct{}) error {
	mbox := a.cfg.IMAP.Mailbox
	sel, err := c.Select(mbox, nil).Wait()
	if err != nil {
		return fmt.Errorf("select mailbox %q: %w", mbox, err)
	}
	a.conn.Up("IMAP session, mailbox " + mbox)
	key := a.cursorKey()
	saved, err := a.store.Cursor(ctx, string(Platform), key)
	if err != nil {
		return err
	}
	cur, ok := parseCursor(saved)
	if !ok || cur.validity != sel.UIDValidity {
		// First start, or the mailbox was re-created (UIDs mean something
		// else now): take every unread email; Message-ID dedupe in the
		// store makes re-reading one harmless.
		if ok {
			a.log.Warn("email: mailbox UIDVALIDITY changed; rescanning unread mail", "mailbox", mbox, "was", cur.validity, "now", sel.UIDValidity)
		}
		res, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("search unread mail: %w", err)
		}
		uids := res.AllUIDs()
		slices.Sort(uids)
		next := cursor{validity: sel.UIDValidity}
		if sel.UIDNext > 1 {
			next.uid = sel.UIDNext - 1
		}
		if err := a.process(ctx, c, in, uids, nil); err != nil {
			return err
		}
		if len(uids) > 0 {
			next.uid = max(next.uid, uids[len(uids)-1])
		}
		cur = next
		if err := a.store.SetCursor(ctx, string(Platform), key, cur.String()); err != nil {
			return err
		}
	}
	a.log.Info("email: reading mailbox", "mailbox", mbox, "idle", c.Caps().Has(imap.CapIdle), "after_uid", cur.uid)
	for {
		res, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{{Start: cur.uid + 1, Stop: 0}}}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("search new mail: %w", err)
		}
		var uids []imap.UID
		for _, u := range res.AllUIDs() {
			if u > cur.uid { // "n:*" always matches the newest message
				uids = append(uids, u)
			}
		}
		slices.Sort(uids)
		if err := a.process(ctx, c, in, uids, func(u imap.UID) error {
			cur.uid = u
			return a.store.SetCursor(ctx, string(Platform), key, cur.String())
		}); err != nil {
			return err
		}
		if err := a.wait(ctx, c, wake); err != nil {
			return err
		}
	}
}

// process handles uids in order; after each one is dealt with it is
// acknowledged on the server, then done is called.
func (a *Adapter) process(ctx context.Context, c *imapclient.Client, in bridge.Inbox, uids []imap.UID, done func(imap.UID) error) error {
	if len(uids) == 0 {
		return nil
	}
	sizes := map[imap.UID]int64{}
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return fmt.Errorf("fetch sizes: %w", err)
	}
	for _, m := range msgs {
		sizes[m.UID] = m.RFC822Size
	}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		size, ok := sizes[uid]
		if !ok {
			continue // expunged meanwhile
		}
		section := &imap.FetchItemBodySection{Peek: true}
		tooBig := int64(0)
		if size > a.cfg.MaxMessageBytes {
			section = &imap.FetchItemBodySection{Peek: true, Specifier: imap.PartSpecifierHeader}
			tooBig = size
		}
		got, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch message %d: %w", uid, err)
		}
		if len(got) == 0 {
			continue
		}
		raw := got[0].FindBodySection(section)
		if _, err := a.handle(ctx, in, raw, tooBig); err != nil {
			return err
		}
		if err := a.ack(c, uid); err != nil {
			return err
		}
		if done != nil {
			if err := done(uid); err != nil {
				return err
			}
		}
	}
	return nil
}

// ack marks a handled email \Seen, or moves it to processed_folder.
func (a *Adapter) ack(c *imapclient.Client, uid imap.UID) error {
	set := imap.UIDSetNum(uid)
	if f := a.cfg.IMAP.ProcessedFolder; f != "" {
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return fmt.Errorf("mark message %d seen: %w", uid, err)
		}
		if _, err := c.Move(set, f).Wait(); err != nil {
			return fmt.Errorf("move message %d to %q: %w", uid, f, err)
		}
		return nil
	}
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		return fmt.Errorf("mark message %d seen: %w", uid, err)
	}
	return nil
}

// wait returns when new mail may have arrived: an IDLE notification, or
// the poll interval (also a safety net under IDLE).
func (a *Adapter) wait(ctx context.Context, c *imapclient.Client, wake chan struct{}) error {
	poll := a.cfg.IMAP.PollInterval.D()
	if !c.Caps().Has(imap.CapIdle) {
		if !bridge.Sleep(a.clock, poll, ctx.Done()) {
			return ctx.Err()
		}
		return nil
	}
	select { // a notification that came while we were busy
	case <-wake:
		return nil
	default:
	}
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	// Re-check every poll interval even under IDLE: a notification lost in
	// the gap between a search and the start of IDLE then costs at most one
	// interval, and IDLE is renewed well inside RFC 2177's 29 minutes.
	t := a.clock.NewTimer(min(poll, 25*time.Minute))
	defer t.Stop()
	var cause error
	select {
	case <-ctx.Done():
		cause = ctx.Err()
	case <-wake:
	case <-t.C():
	case <-c.Closed():
		cause = errors.New("IMAP connection closed")
	}
	if err := idle.Close(); err != nil && cause == nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	if err := idle.Wait(); err != nil && cause == nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	return cause
}

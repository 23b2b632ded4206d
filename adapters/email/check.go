package email

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/emersion/go-imap/v2"
)

// IMAPCheck is what CheckIMAP found.
type IMAPCheck struct {
	Addr        string
	Mailbox     string
	Messages    uint32
	UIDValidity uint32
	Idle        bool // the server offers IDLE (new mail within a second)
}

// CheckIMAP connects, logs in and selects the mailbox the way Run does,
// then logs out, for `threadline doctor`. Nothing is read or marked.
func (a *Adapter) CheckIMAP(ctx context.Context) (IMAPCheck, error) {
	out := IMAPCheck{Addr: net.JoinHostPort(a.cfg.IMAP.Host, strconv.Itoa(a.cfg.IMAP.Port)), Mailbox: a.cfg.IMAP.Mailbox}
	c, err := a.dialIMAP(ctx, make(chan struct{}, 1))
	if err != nil {
		return out, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	sel, err := c.Select(out.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return out, fmt.Errorf("select mailbox %q: %w", out.Mailbox, err)
	}
	out.Messages, out.UIDValidity, out.Idle = sel.NumMessages, sel.UIDValidity, c.Caps().Has(imap.CapIdle)
	if f := a.cfg.IMAP.ProcessedFolder; f != "" {
		if _, err := c.Status(f, &imap.StatusOptions{NumMessages: true}).Wait(); err != nil {
			return out, fmt.Errorf("processed_folder %q: %w", f, err)
		}
	}
	_ = c.Logout().Wait()
	return out, nil
}

// SMTPCheck is what CheckSMTP found.
type SMTPCheck struct {
	Addr string
	TLS  string // tls, starttls or none
	Auth bool   // logged in (a username is configured)
}

// CheckSMTP connects, greets (EHLO), upgrades with STARTTLS or TLS and
// logs in the way Send does, then quits without sending anything.
func (a *Adapter) CheckSMTP(ctx context.Context) (SMTPCheck, error) {
	out := SMTPCheck{Addr: net.JoinHostPort(a.cfg.SMTP.Host, strconv.Itoa(a.cfg.SMTP.Port)), TLS: a.cfg.SMTP.TLS,
		Auth: a.cfg.SMTP.Username != ""}
	c, err := a.dialSMTP(ctx)
	if err != nil {
		return out, err
	}
	defer c.Close()
	if err := c.Quit(); err != nil {
		return out, fmt.Errorf("QUIT: %w", err)
	}
	return out, nil
}

package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/threadlinehq/threadline/bridge"
)

// Send writes the staff reply as an email reply in the customer's thread
// and submits it over SMTP. The returned ExternalRef is the reply's
// Message-ID, which the core records so the customer's answer to it finds
// the conversation. 4xx and connection errors are transient; 5xx answers
// are permanent (dead-lettered), except authentication failures, which are
// a configuration problem and are retried until someone fixes it.
func (a *Adapter) Send(ctx context.Context, d bridge.Delivery) (bridge.ExternalRef, error) {
	random, err := a.nonce()
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	id := a.sign.messageID(d.Conversation, d.Message, random, a.domain)
	o, err := a.compose(d, id)
	if err != nil {
		return bridge.ExternalRef{}, err
	}
	if err := a.renderAndSubmit(ctx, o); err != nil {
		return bridge.ExternalRef{}, err
	}
	a.log.Info("email: reply sent", "conversation", d.Conversation, "message", d.Message, "message_id", id, "in_reply_to", o.InReplyTo)
	return bridge.ExternalRef{Platform: Platform, ID: id}, nil
}

// nonce is the random part of a Message-ID Threadline signs (6 bytes).
func (a *Adapter) nonce() ([]byte, error) {
	b := make([]byte, 6)
	if _, err := io.ReadFull(a.opts.Rand, b); err != nil {
		return nil, err
	}
	return b, nil
}

// renderAndSubmit renders o and submits it from the support address to
// o.To, with SMTP errors classified for the outbox (see classifySMTP).
func (a *Adapter) renderAndSubmit(ctx context.Context, o outgoing) error {
	raw, err := o.render()
	if err != nil {
		return err
	}
	if err := a.submit(ctx, a.from.Address, o.To.Address, raw); err != nil {
		return classifySMTP(err)
	}
	return nil
}

// submit runs one SMTP transaction on a fresh connection.
func (a *Adapter) submit(ctx context.Context, from, to string, raw []byte) error {
	c, err := a.dialSMTP(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := io.Copy(w, bytes.NewReader(raw)); err != nil {
		w.Close()
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	_ = c.Quit() // the message is accepted; a failing QUIT changes nothing
	return nil
}

func (a *Adapter) dialSMTP(ctx context.Context) (*smtp.Client, error) {
	cfg := a.cfg.SMTP
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	conn, err := a.opts.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to SMTP server %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(2 * time.Minute))
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var c *smtp.Client
	switch cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, a.tlsConfig(cfg.Host))
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS with SMTP server %s: %w", addr, err)
		}
		c = smtp.NewClient(tc)
	case TLSStartTLS:
		// go-smtp says EHLO "localhost" before STARTTLS; fine for submission servers.
		if c, err = smtp.NewClientStartTLS(conn, a.tlsConfig(cfg.Host)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("STARTTLS with SMTP server %s: %w", addr, err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	if cfg.TLS != TLSStartTLS {
		if err := c.Hello(a.helo()); err != nil {
			c.Close()
			return nil, err
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", cfg.Username, cfg.Password)); err != nil {
			c.Close()
			return nil, fmt.Errorf("SMTP login as %s: %w", cfg.Username, err)
		}
	}
	return c, nil
}

func (a *Adapter) helo() string {
	if a.cfg.SMTP.Helo != "" {
		return a.cfg.SMTP.Helo
	}
	return a.domain
}

func (a *Adapter) tlsConfig(host string) *tls.Config {
	var c *tls.Config
	if a.opts.TLSConfig != nil {
		c = a.opts.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// classifySMTP maps an SMTP failure onto the outbox's retry rules.
func classifySMTP(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		switch {
		case se.Code == 530 || se.Code == 534 || se.Code == 535 || se.Code == 538:
			return err // authentication: fix the config, then it goes out
		case se.Code >= 500 && se.Code < 600:
			return bridge.Permanent(err)
		}
		return err
	}
	return err
}

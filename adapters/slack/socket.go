package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/threadlinehq/threadline/bridge"
)

// Run identifies the bot and, in Socket Mode, receives events until ctx
// ends. Each envelope is acknowledged only after its work is committed;
// an unacknowledged envelope is redelivered by Slack. In HTTP mode events
// arrive through Handler and Run only waits.
//
// While Run runs, the configured user groups are resolved at start and
// refreshed when found stale.
func (s *Surface) Run(ctx context.Context, in bridge.StaffInbox) error {
	if s.store == nil {
		return errors.New("slack: Run before Init")
	}
	if s.groups != nil {
		gctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); s.groups.run(gctx) }()
		defer func() { stop(); <-done }()
	}
	return s.run(ctx, in)
}

func (s *Surface) run(ctx context.Context, in bridge.StaffInbox) error {
	if err := s.identify(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	kick, stopCatchUp := s.startCatchUp(ctx, in)
	defer stopCatchUp()
	defer cancel() // runs first: ends the catch-up, then stopCatchUp waits for it
	if !s.cfg.SocketMode() {
		s.conn.Up("HTTP events (auth.test passed)")
		kick()
		<-ctx.Done()
		return nil
	}
	client := socketmode.New(s.api)
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-runErr
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-client.Events:
			if err := s.socketEvent(ctx, client, in, evt, kick); err != nil {
				return err
			}
		}
	}
}

func (s *Surface) socketEvent(ctx context.Context, client *socketmode.Client, in bridge.StaffInbox, evt socketmode.Event, kick func()) error {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.conn.Down("connecting (Socket Mode)")
		s.listening(false)
	case socketmode.EventTypeConnected:
		s.log.Info("slack: connected (Socket Mode)")
		s.conn.Up("Socket Mode")
		kick()
	case socketmode.EventTypeDisconnect:
		s.conn.Down("reconnecting: Slack asked to (Socket Mode)")
		s.listening(false)
	case socketmode.EventTypeConnectionError:
		s.log.Warn("slack: connection error; the client retries", "err", evt.Data)
		s.conn.Down("Socket Mode connection error")
		s.listening(false)
	case socketmode.EventTypeInvalidAuth:
		return errors.New("slack: invalid app-level token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return nil
		}
		if err := s.handleEvent(ctx, in, ev); err != nil {
			s.log.Error("slack: event not handled; Slack will redeliver it", "err", err)
			return nil
		}
		s.ack(client, evt.Request, nil)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return nil
		}
		if err := s.handleInteraction(ctx, in, cb); err != nil {
			s.log.Error("slack: interaction not handled", "err", err)
			return nil
		}
		s.ack(client, evt.Request, nil)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return nil
		}
		resp, err := s.handleSlash(ctx, in, cmd)
		if err != nil {
			s.log.Error("slack: slash command not handled", "err", err)
			return nil
		}
		s.ack(client, evt.Request, resp)
	}
	return nil
}

func (s *Surface) ack(client *socketmode.Client, req *socketmode.Request, payload any) {
	var err error
	if payload == nil {
		err = client.Ack(*req)
	} else {
		err = client.Ack(*req, payload)
	}
	if err != nil {
		s.log.Warn("slack: ack failed", "err", err)
	}
}

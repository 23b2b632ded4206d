package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// allowedUpdates are the update kinds Threadline asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "my_chat_member"}

// offsetKey names the saved offset; it is per bot, so switching the token
// to another bot starts that bot's own stream.
func (a *Adapter) offsetKey() string { return "offset:" + a.botID }

// poll runs the getUpdates loop. The offset sent to Telegram (which makes
// Telegram forget everything below it) is always one that was saved after
// every update below it was stored, so a crash at any point loses nothing;
// updates stored but not yet confirmed come again and are deduplicated by
// their message ids.
func (a *Adapter) poll(ctx context.Context, in bridge.Inbox) error {
	if err := a.api.call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": false}, nil); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram: deleteWebhook (needed before long polling): %w", err)
	}
	saved, err := a.store.Cursor(ctx, string(Platform), a.offsetKey())
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram: reading the saved offset: %w", err)
	}
	var offset int64
	if saved != "" {
		if offset, err = strconv.ParseInt(saved, 10, 64); err != nil {
			return fmt.Errorf("telegram: saved offset %q is not a number: %w", saved, err)
		}
	}
	a.log.Info("telegram: receiving by long polling", "offset", offset, "poll_timeout", a.cfg.PollTimeout.D())
	a.conn.Up("long polling")
	backoff := a.opts.RetryBackoff
	for {
		raws, err := a.getUpdates(ctx, offset)
		if err == nil {
			var next int64
			var handled bool
			next, handled, err = a.handleBatch(ctx, in, offset, raws)
			if handled && next != offset {
				if serr := a.saveOffset(ctx, next); serr != nil {
					return serr
				}
				offset = next
			}
			if err == nil && len(raws) > 0 && !handled {
				// Only unreadable updates: do not spin on them.
				err = errors.New("no readable update in the batch")
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			a.conn.Up("long polling")
			backoff = a.opts.RetryBackoff
			continue
		}
		a.conn.Down("receiving failed: " + err.Error())
		var ae *APIError
		if errors.As(err, &ae) {
			switch ae.Code {
			case http.StatusUnauthorized, http.StatusNotFound:
				return fmt.Errorf("telegram: the bot token was refused (check TELEGRAM_BOT_TOKEN): %w", err)
			case http.StatusConflict:
				// Another process polls with this token, or a webhook is set.
				return fmt.Errorf("telegram: %w (is another Threadline or bot running with this token?)", err)
			}
		}
		wait := backoff
		if ae != nil && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		a.log.Warn("telegram: receiving failed; will retry", "err", err, "in", wait)
		if !a.sleep(ctx, wait) {
			return nil
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	t := a.cfg.PollTimeout.D()
	ctx, cancel := context.WithTimeout(ctx, t+15*time.Second)
	defer cancel()
	var raws []json.RawMessage
	err := a.api.call(ctx, "getUpdates", map[string]any{
		"offset": offset, "limit": 100, "timeout": int(t / time.Second), "allowed_updates": allowedUpdates,
	}, &raws)
	return raws, err
}

// batchWorkers is how many chats of one getUpdates batch are stored at
// once. Updates of one chat are always stored in order; different chats
// share SQLite's group commit.
const batchWorkers = 8

// handleBatch stores a batch and returns the offset that may be confirmed:
// one past the longest run of updates, in Telegram's order, that were all
// handled. An update after a failed one may already be stored; it comes
// again and is recognised by its message id. handled reports whether any
// update was handled, err the first failure.
//
// Telegram only returns updates at or above the offset sent, so ids are not
// filtered here: after a week without updates Telegram may restart the
// numbering lower, and those updates must not be mistaken for old ones.
func (a *Adapter) handleBatch(ctx context.Context, in bridge.Inbox, offset int64, raws []json.RawMessage) (next int64, handled bool, err error) {
	type item struct {
		id   int64
		raw  json.RawMessage
		err  error
		done bool
	}
	items := make([]*item, 0, len(raws))
	groups := map[int64][]*item{}
	var order []int64
	for _, raw := range raws {
		var head struct {
			UpdateID *int64 `json:"update_id"`
			Message  *struct {
				Chat struct {
					ID int64 `json:"id"`
				} `json:"chat"`
			} `json:"message"`
			Edited *struct {
				Chat struct {
					ID int64 `json:"id"`
				} `json:"chat"`
			} `json:"edited_message"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.UpdateID == nil {
			var id struct {
				UpdateID *int64 `json:"update_id"`
			}
			if json.Unmarshal(raw, &id) != nil || id.UpdateID == nil {
				a.log.Warn("telegram: skipping an update without a readable update_id", "bytes", len(raw))
				continue
			}
			head.UpdateID = id.UpdateID // malformed further in: handleUpdate logs and skips it
		}
		var chat int64
		switch {
		case head.Message != nil:
			chat = head.Message.Chat.ID
		case head.Edited != nil:
			chat = head.Edited.Chat.ID
		}
		it := &item{id: *head.UpdateID, raw: raw}
		items = append(items, it)
		if _, ok := groups[chat]; !ok {
			order = append(order, chat)
		}
		groups[chat] = append(groups[chat], it)
	}

	sem := make(chan struct{}, batchWorkers)
	var wg sync.WaitGroup
	for _, chat := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(group []*item) {
			defer func() { <-sem; wg.Done() }()
			for _, it := range group {
				if it.err = a.handleUpdate(ctx, in, it.raw); it.err != nil {
					return // later updates of this chat wait for the retry, keeping order
				}
				it.done = true
			}
		}(groups[chat])
	}
	wg.Wait()

	next = offset
	for _, it := range items {
		if !it.done {
			for _, f := range items {
				if f.err != nil {
					return next, handled, fmt.Errorf("update %d: %w", f.id, f.err)
				}
			}
			return next, handled, errors.New("update not handled")
		}
		next, handled = it.id+1, true
	}
	return next, handled, nil
}

// saveOffset persists the offset even while shutting down: the updates
// below it are committed, and saving spares Telegram re-sending them.
func (a *Adapter) saveOffset(ctx context.Context, next int64) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.store.SetCursor(sctx, string(Platform), a.offsetKey(), strconv.FormatInt(next, 10)); err != nil {
		return fmt.Errorf("telegram: saving the offset: %w", err)
	}
	return nil
}

package mattermost

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// The WebSocket replays nothing: a staff post written while Threadline was
// stopped or its socket was down never arrives as an event. On every new
// connection the surface reads the threads of its open conversations
// (GET /posts/{root}/thread) for staff posts written since it last
// listened (bridge/live.CatchUp) and hands those not handled yet to the
// same worker as live events, so each is handled once.

// catchUp handles the staff posts written in open threads since the
// surface last listened.
func (s *Surface) catchUp(ctx context.Context, in bridge.StaffInbox, w *worker) error {
	return s.cu.Do(ctx, func(ctx context.Context, ref bridge.ThreadRef, since time.Time) (int, error) {
		return s.catchUpThread(ctx, in, w, ref, since)
	})
}

// catchUpThread reads one thread and handles its unhandled staff posts
// newer than since, oldest first. A thread that is gone is skipped.
func (s *Surface) catchUpThread(ctx context.Context, in bridge.StaffInbox, w *worker, ref bridge.ThreadRef, since time.Time) (int, error) {
	_, root, err := parseRef(ref)
	if err != nil {
		return 0, nil
	}
	var l PostList
	for {
		l, err = s.thread(ctx, root)
		var rl *bridge.RateLimitError
		if errors.As(err, &rl) {
			if !bridge.Sleep(s.clock, rl.RetryAfter, ctx.Done()) {
				return 0, ctx.Err()
			}
			continue
		}
		break
	}
	switch st := statusOf(err); {
	case st == http.StatusNotFound || st == http.StatusForbidden:
		return 0, nil
	case err != nil:
		return 0, err
	}
	var missed []Post
	from := since.UnixMilli()
	for _, p := range l.Posts {
		if p == nil || p.RootID != root || p.CreateAt < from || !s.isStaffPost(*p) || s.seen(ctx, postKey(p.ID)) {
			continue
		}
		missed = append(missed, *p)
	}
	sort.Slice(missed, func(i, j int) bool {
		if missed[i].CreateAt != missed[j].CreateAt {
			return missed[i].CreateAt < missed[j].CreateAt
		}
		return missed[i].ID < missed[j].ID
	})
	handled := 0
	for _, p := range missed {
		done := make(chan error, 1)
		if !w.submit(ctx, func(ctx context.Context) error { return s.handlePosted(ctx, in, p) }, done) {
			return handled, ctx.Err()
		}
		select {
		case err := <-done:
			if err != nil {
				return handled, err
			}
		case <-ctx.Done():
			return handled, ctx.Err()
		}
		handled++
	}
	return handled, nil
}

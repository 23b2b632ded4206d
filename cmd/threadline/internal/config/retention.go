package config

import (
	"errors"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/threadlinehq/threadline/bridge"
)

// RetentionConfig is the retention section: closed conversations older
// than ClosedAfter are deleted on Schedule (docs/operations.md,
// "Retention").
type RetentionConfig struct {
	// ClosedAfter: closed conversations with no activity for this long are
	// deleted with their messages. 0 keeps everything forever.
	ClosedAfter bridge.Duration `yaml:"closed_after"`
	// Schedule is when the purge runs (cron, default "17 3 * * *": daily at 03:17).
	Schedule string `yaml:"schedule"`
	// Batch is about how many rows one write transaction deletes.
	Batch int `yaml:"batch"`
}

// Defaults fills unset fields.
func (r *RetentionConfig) Defaults() {
	if r.Schedule == "" {
		r.Schedule = "17 3 * * *"
	}
	if r.Batch <= 0 {
		r.Batch = 500
	}
}

// Validate reports problems. A purge window shorter than the reopen window
// is refused: a customer may still reopen such a conversation, and a purge
// running meanwhile would cut its history.
func (r RetentionConfig) Validate(reopenWindow time.Duration) error {
	var errs []error
	if r.ClosedAfter > 0 && r.ClosedAfter.D() < reopenWindow {
		errs = append(errs, bridge.FieldErrorf("closed_after", "%s is shorter than conversations.reopen_window (%s); use at least that, or 0 to keep everything",
			r.ClosedAfter.D(), reopenWindow))
	}
	if _, err := cron.ParseStandard(r.Schedule); err != nil {
		errs = append(errs, bridge.FieldErrorf("schedule", "%q is not a cron schedule (e.g. \"17 3 * * *\" or \"@daily\"): %v", r.Schedule, err))
	}
	if r.Batch > 10000 {
		errs = append(errs, bridge.FieldErrorf("batch", "%d is too large (at most 10000 rows per transaction, so the daemon's writes are not held up)", r.Batch))
	}
	return errors.Join(errs...)
}

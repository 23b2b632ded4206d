package config

import (
	"errors"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/outbox"
)

// Outbox tunes delivery.
type Outbox struct {
	Workers     int               `yaml:"workers"`      // sends in progress at once (recording outcomes is not counted)
	MaxAttempts int               `yaml:"max_attempts"` // transient failures before dead-lettering
	BaseBackoff bridge.Duration   `yaml:"base_backoff"` // first retry delay (doubles, with jitter)
	MaxBackoff  bridge.Duration   `yaml:"max_backoff"`  // retry delay cap
	SendTimeout bridge.Duration   `yaml:"send_timeout"` // one attempt's deadline
	Drain       bridge.Duration   `yaml:"drain"`        // how long shutdown waits for in-flight sends
	Pacing      map[string]Pacing `yaml:"pacing"`       // per adapter name; overrides the adapter's defaults
}

// Pacing is a send-rate limit (bridge.Pacing): messages per second to one
// destination and in total for one adapter; 0: unlimited.
type Pacing struct {
	PerDestination float64 `yaml:"per_destination"`
	PerAdapter     float64 `yaml:"per_adapter"`
}

// Defaults fills unset fields.
func (c *Outbox) Defaults() {
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = bridge.Duration(2 * time.Second)
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = bridge.Duration(10 * time.Minute)
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = bridge.Duration(30 * time.Second)
	}
	if c.Drain <= 0 {
		c.Drain = bridge.Duration(10 * time.Second)
	}
}

// Validate reports config errors.
func (c Outbox) Validate() error {
	var errs []error
	if c.Workers < 0 || c.Workers > 256 {
		errs = append(errs, bridge.FieldErrorf("workers", "must be between 1 and 256"))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, bridge.FieldErrorf("max_attempts", "must be positive"))
	}
	if c.MaxBackoff > 0 && c.BaseBackoff > c.MaxBackoff {
		errs = append(errs, bridge.FieldErrorf("base_backoff", "is larger than max_backoff"))
	}
	for name, p := range c.Pacing {
		if p.PerAdapter < 0 || p.PerDestination < 0 {
			errs = append(errs, bridge.FieldErrorf("pacing."+name, "rates must not be negative"))
		}
	}
	return errors.Join(errs...)
}

// options are the outbox's tuning fields; the caller adds the store, the
// adapters and the clock.
func (c Outbox) options() outbox.Options {
	o := outbox.Options{Workers: c.Workers, MaxAttempts: c.MaxAttempts, BaseBackoff: c.BaseBackoff.D(), MaxBackoff: c.MaxBackoff.D(),
		SendTimeout: c.SendTimeout.D(), Drain: c.Drain.D()}
	if len(c.Pacing) > 0 {
		o.Pacing = make(map[bridge.Platform]bridge.Pacing, len(c.Pacing))
		for name, p := range c.Pacing {
			o.Pacing[bridge.Platform(name)] = bridge.Pacing{PerDestination: p.PerDestination, PerAdapter: p.PerAdapter}
		}
	}
	return o
}

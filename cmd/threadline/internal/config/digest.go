package config

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/threadlinehq/threadline/bridge"
)

// DigestConfig is the digest: section: statistics for the last period,
// with a chart, posted on a schedule to a staff channel on Slack and/or
// Discord. Off while both channels are empty.
type DigestConfig struct {
	// Schedule is a cron line in Timezone (default "0 9 * * 1-5": 09:00 on weekdays).
	Schedule string `yaml:"schedule"`
	// Period the digest covers, ending when it runs (default 1d; 7d for a
	// weekly digest). Whole days end at the last midnight: a daily digest
	// at 09:00 reports yesterday.
	Period bridge.Duration `yaml:"period"`
	// Timezone for the schedule, days and hours (default: the top-level timezone).
	Timezone       string `yaml:"timezone"`
	SlackChannel   string `yaml:"slack_channel"`   // e.g. C0123456789
	DiscordChannel string `yaml:"discord_channel"` // a text channel id
}

// Defaults fills unset fields; timezone is the team's (top-level) zone.
func (d *DigestConfig) Defaults(timezone string) {
	if d.Schedule == "" {
		d.Schedule = "0 9 * * 1-5"
	}
	if d.Period == 0 {
		d.Period = bridge.Duration(24 * time.Hour)
	}
	if d.Timezone == "" {
		d.Timezone = timezone
	}
	if d.Timezone == "" {
		d.Timezone = "UTC"
	}
}

// Enabled reports whether a digest goes anywhere.
func (d DigestConfig) Enabled() bool { return d.SlackChannel != "" || d.DiscordChannel != "" }

// Spec is the cron line with the digest's zone (unless it names its own
// with CRON_TZ=), so "0 9 * * *" means 09:00 where the team is.
func (d DigestConfig) Spec() string {
	if strings.HasPrefix(d.Schedule, "CRON_TZ=") || strings.HasPrefix(d.Schedule, "TZ=") {
		return d.Schedule
	}
	return "CRON_TZ=" + d.Timezone + " " + d.Schedule
}

// Validate reports config errors.
func (d DigestConfig) Validate() error {
	var errs []error
	if _, err := time.LoadLocation(d.Timezone); err != nil {
		errs = append(errs, bridge.FieldErrorf("timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", d.Timezone))
	} else if _, err := cron.ParseStandard(d.Spec()); err != nil {
		errs = append(errs, bridge.FieldErrorf("schedule", "%q is not a cron schedule (e.g. \"0 9 * * 1-5\" or \"0 9 * * mon\"): %v", d.Schedule, err))
	}
	if p := d.Period.D(); p < time.Hour || p > 366*24*time.Hour {
		errs = append(errs, bridge.FieldErrorf("period", "must be between 1h and 366d (1d daily, 7d weekly)"))
	}
	if ch := d.SlackChannel; ch != "" && !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") {
		errs = append(errs, bridge.FieldErrorf("slack_channel", "%q is not a Slack channel id (C0123456789; not a #name)", ch))
	}
	if ch := d.DiscordChannel; ch != "" && strings.Trim(ch, "0123456789") != "" {
		errs = append(errs, bridge.FieldErrorf("discord_channel", "%q is not a Discord channel id (a number; right-click the channel, Copy Channel ID)", ch))
	}
	return errors.Join(errs...)
}

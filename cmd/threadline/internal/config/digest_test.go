package config

import (
	"strings"
	"testing"
	"time"
)

func TestDigestDefaultsOff(t *testing.T) {
	cfg, err := parse(t, "timezone: Europe/Berlin\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Digest
	if d.Enabled() || d.Schedule != "0 9 * * 1-5" || d.Period.D() != 24*time.Hour || d.Timezone != "Europe/Berlin" {
		t.Errorf("digest defaults = %+v", d)
	}
	if d.Spec() != "CRON_TZ=Europe/Berlin 0 9 * * 1-5" {
		t.Errorf("spec %q", d.Spec())
	}
}

func TestDigestWeekly(t *testing.T) {
	yml := "digest:\n  schedule: \"0 8 * * mon\"\n  period: 7d\n  timezone: America/New_York\n  slack_channel: ${DIGEST_CH}\n  discord_channel: \"123456789012345678\"\n"
	cfg, err := parse(t, yml, map[string]string{"DIGEST_CH": "C0DIGEST01"})
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Digest
	if !d.Enabled() || d.Period.D() != 7*24*time.Hour || d.SlackChannel != "C0DIGEST01" || d.DiscordChannel != "123456789012345678" ||
		d.Spec() != "CRON_TZ=America/New_York 0 8 * * mon" {
		t.Errorf("digest = %+v (%s)", d, d.Spec())
	}
	cfg, err = parse(t, "digest:\n  schedule: \"CRON_TZ=Asia/Tokyo 0 9 * * *\"\n  slack_channel: C1\n", nil)
	if err != nil || cfg.Digest.Spec() != "CRON_TZ=Asia/Tokyo 0 9 * * *" {
		t.Errorf("own zone: %v %q", err, cfg.Digest.Spec())
	}
}

func TestDigestErrorsHaveLines(t *testing.T) {
	yml := "digest:\n  schedule: every morning\n  period: 30m\n  slack_channel: \"#support\"\n  discord_channel: general\n  timezon: UTC\n"
	_, err := parse(t, yml, nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		`config.yaml:2: digest.schedule: "every morning" is not a cron schedule`,
		"config.yaml:3: digest.period: must be between 1h and 366d",
		`config.yaml:4: digest.slack_channel: "#support" is not a Slack channel id`,
		`config.yaml:5: digest.discord_channel: "general" is not a Discord channel id`,
		`config.yaml:6: digest.timezon: unknown key (did you mean "timezone"?)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if _, err := parse(t, "digest:\n  timezone: Mars/Olympus\n", nil); err == nil || !strings.Contains(err.Error(), "config.yaml:2: digest.timezone: unknown time zone") {
		t.Errorf("bad zone: %v", err)
	}
}

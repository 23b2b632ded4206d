package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetentionDefaultsKeepEverything(t *testing.T) {
	cfg, err := parse(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retention
	if r.ClosedAfter != 0 || r.Schedule != "17 3 * * *" || r.Batch != 500 {
		t.Errorf("retention = %+v", r)
	}
	cfg, err = parse(t, "retention:\n  closed_after: 365d\n  schedule: \"@daily\"\n  batch: 100\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention.ClosedAfter.D() != 365*24*time.Hour || cfg.Retention.Schedule != "@daily" || cfg.Retention.Batch != 100 {
		t.Errorf("retention = %+v", cfg.Retention)
	}
}

func TestRetentionErrorsHaveLines(t *testing.T) {
	yml := "conversations:\n  reopen_window: 7d\nretention:\n  closed_after: 3d\n  schedule: sometimes\n  batch: 50000\n  keep: 1\n"
	_, err := parse(t, yml, nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		"config.yaml:4: retention.closed_after: 72h0m0s is shorter than conversations.reopen_window",
		`config.yaml:5: retention.schedule: "sometimes" is not a cron schedule`,
		"config.yaml:6: retention.batch: 50000 is too large",
		"config.yaml:7: retention.keep: unknown key",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

// TestEndToEndDigest runs the real wiring and scheduler: the digest job is
// registered from config and posts the report with its chart to Slack.
func TestEndToEndDigest(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	dir := t.TempDir()
	cfg := testConfig + slackYAML(fake) + `
digest:
  slack_channel: C0DIGEST01
  schedule: "@every 1s"
  period: 12h
`
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(cfg), 0o600)
	d := startDaemon(t, path)
	var banner bytes.Buffer
	d.app.banner(&banner)
	if !strings.Contains(banner.String(), `digest    on   "@every 1s" in UTC, covering 12h, to slack C0DIGEST01`) {
		t.Errorf("banner:\n%s", banner.String())
	}
	v := newVisitor(t, d.http)
	v.say("Where is my invoice?", "c1")

	var up fakeslack.Upload
	eventually(t, "a digest counting the conversation", func() bool {
		for _, u := range fake.Uploads() {
			if u.Channel == "C0DIGEST01" && strings.Contains(u.Comment, "Opened          1 ·") {
				up = u
				return true
			}
		}
		return false
	})
	if cfg, err := png.DecodeConfig(bytes.NewReader(up.Data)); err != nil || cfg.Width != 900 {
		t.Errorf("chart: %+v %v", cfg, err)
	}
}

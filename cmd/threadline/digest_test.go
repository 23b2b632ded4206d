package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

func TestDigestWindow(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(month time.Month, day, hour int) time.Time {
		return time.Date(2026, month, day, hour, 0, 0, 0, berlin)
	}
	for _, tc := range []struct {
		name         string
		now          time.Time
		period       time.Duration
		since, until time.Time
	}{
		{"daily at 9 is yesterday", at(3, 10, 9), 24 * time.Hour, at(3, 9, 0), at(3, 10, 0)},
		{"weekly on Monday is the last 7 days", at(3, 9, 8), 7 * 24 * time.Hour, at(3, 2, 0), at(3, 9, 0)},
		{"across the spring DST change", at(3, 30, 9), 24 * time.Hour, at(3, 29, 0), at(3, 30, 0)},
		{"hours are rolling", at(3, 10, 9), 12 * time.Hour, at(3, 9, 21), at(3, 10, 9)},
		{"36h is rolling", at(3, 10, 9), 36 * time.Hour, at(3, 8, 21), at(3, 10, 9)},
	} {
		since, until := digestWindow(tc.now, tc.period, berlin)
		if !since.Equal(tc.since) || !until.Equal(tc.until) {
			t.Errorf("%s: %v – %v, want %v – %v", tc.name, since, until, tc.since, tc.until)
		}
	}
}

// digestRig is the digest job against fake Slack and Discord, on the
// statsDB data (Mon 2 - Wed 4 Mar 2026).
type digestRig struct {
	slack   *fakeslack.Server
	discord *fakediscord.Server
	dch     string
	app     *app
}

func newDigestRig(t *testing.T) *digestRig {
	t.Helper()
	_, st := statsDB(t)
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	ss, err := slack.New(slack.Config{BotToken: fs.BotToken, ChannelID: "C0STAFF01", APIURL: fs.APIURL(), SigningSecret: fs.Secret}, slack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fd := fakediscord.New(fakediscord.Options{})
	t.Cleanup(fd.Close)
	forum, stats := fd.AddForum("support"), fd.AddTextChannel("stats")
	ds, err := discord.New(discord.Config{BotToken: fd.Token(), ChannelID: forum, APIURL: fd.APIURL()}, discord.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Digest: config.DigestConfig{SlackChannel: "C0DIGEST01", DiscordChannel: stats, Period: bridge.Duration(7 * 24 * time.Hour)}}
	cfg.Digest.Defaults("UTC")
	a := &app{cfg: cfg, st: st, log: testLogger(t),
		surfaces: []bridge.StaffSurface{adaptertest.NewSurface("console"), ss, ds}}
	return &digestRig{slack: fs, discord: fd, dch: stats, app: a}
}

// digester is the scheduled job's digester, on a clock inside the data.
func (r *digestRig) digester(t *testing.T) *digester {
	t.Helper()
	d, problems := newDigester(r.app.cfg.Digest, r.app.st, r.app.surfaces, testLogger(t))
	if len(problems) > 0 || len(d.targets) != 2 {
		t.Fatalf("targets %+v, problems %v", d.targets, problems)
	}
	d.now = func() time.Time { return time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC) }
	d.backoff = 10 * time.Millisecond
	return d
}

func TestDigestJobPostsToSlackAndDiscord(t *testing.T) {
	r := newDigestRig(t)
	r.app.digestJob()
	if len(r.app.jobs) != 1 || r.app.jobs[0].name != "digest" || r.app.jobs[0].schedule != "CRON_TZ=UTC 0 9 * * 1-5" {
		t.Fatalf("jobs = %+v", r.app.jobs)
	}
	if st := r.app.status[0]; st.state != "on" || !strings.Contains(st.detail, "to slack C0DIGEST01, discord "+r.dch) || !strings.Contains(st.detail, "covering 7d") {
		t.Errorf("status = %+v", st)
	}

	start := time.Now()
	if err := r.digester(t).run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("digest computed, drawn and posted twice in %v", time.Since(start))

	ups := r.slack.Uploads()
	if len(ups) != 1 {
		t.Fatalf("slack uploads = %d", len(ups))
	}
	up := ups[0]
	if up.Channel != "C0DIGEST01" || up.Name != "threadline-stats-2026-03-02.png" ||
		!strings.Contains(up.Comment, "Threadline stats · Mon 2 Mar – Sun 8 Mar 2026 (UTC)") ||
		!strings.Contains(up.Comment, "Opened          3 · closed 2") || !strings.HasPrefix(up.Comment, "```\n") {
		t.Errorf("slack upload %s %s:\n%s", up.Channel, up.Name, up.Comment)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(up.Data)); err != nil || cfg.Width != 900 || cfg.Height != 500 {
		t.Errorf("slack chart: %+v %v", cfg, err)
	}

	ms := r.discord.Messages(r.dch)
	if len(ms) != 1 || !strings.Contains(ms[0].Content, "Opened          3 · closed 2") || len(ms[0].Attachments) != 1 {
		t.Fatalf("discord messages = %+v", ms)
	}
	if !bytes.Equal(ms[0].Attachments[0].Data, up.Data) {
		t.Error("Slack and Discord got different charts")
	}
}

func TestDigestRetriesTransientAndStopsOnPermanent(t *testing.T) {
	r := newDigestRig(t)
	d := r.digester(t)
	// A transient Slack error is retried; Discord answers at once.
	r.slack.FailNext("files.completeUploadExternal", "internal_error")
	if err := d.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(r.slack.Uploads()); n != 1 || r.slack.Calls("files.completeUploadExternal") != 2 {
		t.Errorf("after a transient error: %d uploads, %d completes", n, r.slack.Calls("files.completeUploadExternal"))
	}

	// A permanent error is not retried, the other surface still gets its
	// digest, and the job reports the failure (the scheduler logs it).
	r.slack.FailNext("files.completeUploadExternal", "not_in_channel")
	err := d.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "digest to slack C0DIGEST01") || !strings.Contains(err.Error(), "not_in_channel") {
		t.Errorf("permanent: %v", err)
	}
	if r.slack.Calls("files.completeUploadExternal") != 3 || len(r.discord.Messages(r.dch)) != 2 {
		t.Errorf("permanent: %d completes, %d discord posts", r.slack.Calls("files.completeUploadExternal"), len(r.discord.Messages(r.dch)))
	}

	// Transient failures past the attempts give up with the last error.
	for range 3 {
		r.discord.Inject(fakediscord.Fault{Method: "POST", PathContains: "/channels/" + r.dch + "/messages", Status: 500})
	}
	err = d.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "digest to discord") {
		t.Errorf("exhausted: %v", err)
	}
}

func TestDigestOffReasons(t *testing.T) {
	r := newDigestRig(t)
	r.app.cfg.Digest.SlackChannel, r.app.cfg.Digest.DiscordChannel = "", ""
	r.app.digestJob()
	if len(r.app.jobs) != 0 || r.app.status[0].state != "off" || !strings.Contains(r.app.status[0].detail, "not set") {
		t.Errorf("no channels: %+v %+v", r.app.jobs, r.app.status)
	}

	r = newDigestRig(t)
	r.app.surfaces = r.app.surfaces[:1] // console only
	r.app.digestJob()
	if len(r.app.jobs) != 0 || r.app.status[0].state != "off" || !strings.Contains(r.app.status[0].detail, "digest.slack_channel is set but slack is off") {
		t.Errorf("surfaces off: %+v %+v", r.app.jobs, r.app.status)
	}

	r = newDigestRig(t)
	r.app.surfaces = r.app.surfaces[:2] // no Discord
	r.app.digestJob()
	if len(r.app.jobs) != 1 || r.app.status[0].state != "on" || !strings.Contains(r.app.status[0].detail, "discord is off") {
		t.Errorf("discord off: %+v %+v", r.app.jobs, r.app.status)
	}
}

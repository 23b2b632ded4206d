package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

// statsDB writes a config and a database with a few conversations made
// through the engine on a test clock (Mon 2 - Tue 3 Mar 2026, UTC), and
// returns the config path and the store (still open: the daemon may be).
func statsDB(t *testing.T) (string, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir)
	st := storetest.OpenAt(t, filepath.Join(dir, "threadline.db"))
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	eng := engine.New(engine.Options{Store: st, Clock: clocktest.Func(func() time.Time { return clock })})
	lea := bridge.Actor{ID: "console:lea", Name: "Lea"}
	step := func(d time.Duration, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(d)
	}
	for i, ch := range []bridge.Platform{"webchat", "telegram", "webchat"} {
		res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: ch, Address: string(rune('a' + i)), Text: "help"})
		step(time.Duration(i+1)*10*time.Minute, err)
		sc := engine.StaffContext{Conversation: res.Conversation, Actor: lea, Surface: "console"}
		_, err = eng.Reply(ctx, sc, "on it", nil)
		step(time.Hour, err)
		if i < 2 {
			_, err = eng.Close(ctx, sc, "")
			step(20*time.Hour, err)
		}
	}
	return cfgPath, st
}

func TestStatsCLI(t *testing.T) {
	cfgPath, _ := statsDB(t)
	window := []string{"--config", cfgPath, "stats", "--since", "2026-03-02", "--until", "2026-03-05"}

	code, out, errOut := runCLI(t, window...)
	if code != 0 {
		t.Fatalf("stats: %d %s", code, errOut)
	}
	for _, want := range []string{
		"Threadline stats · Mon 2 Mar – Wed 4 Mar 2026 (UTC)",
		"Opened          3 · closed 2 · unanswered 0",
		"Right now       0 open · 1 waiting on customer · 1 unclaimed",
		"First response  20m       28m       3",
		"Channels        webchat 2 · telegram 1",
		"Mon 2 Mar          1 ████████████████████",
		"Lea                    3       2       0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}

	code, out, _ = runCLI(t, append(window, "--json", "--tz", "Asia/Tokyo")...)
	var s struct {
		Created  int    `json:"created"`
		Timezone string `json:"timezone"`
		ByHour   []int  `json:"by_hour"`
		First    struct {
			Median float64 `json:"median_seconds"`
		} `json:"first_response"`
	}
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil {
		t.Fatalf("json: %d %v\n%s", code, err, out)
	}
	// 09:00 UTC is 18:00 in Tokyo.
	if s.Created != 3 || s.Timezone != "Asia/Tokyo" || s.ByHour[18] != 1 || s.First.Median != 1200 {
		t.Errorf("json: %+v", s)
	}

	pngPath := filepath.Join(t.TempDir(), "digest.png")
	code, _, errOut = runCLI(t, append(window, "--chart", pngPath)...)
	b, err := os.ReadFile(pngPath)
	if code != 0 || err != nil || !strings.Contains(errOut, "chart written to") {
		t.Fatalf("chart: %d %v %s", code, err, errOut)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 900 || cfg.Height != 500 {
		t.Errorf("chart: %+v %v", cfg, err)
	}

	// The default window (7 days back from now) is empty for 2026 data.
	if code, out, _ := runCLI(t, "--config", cfgPath, "stats"); code != 0 || !strings.Contains(out, "Threadline stats") {
		t.Errorf("default window: %d\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "yesterday-ish"}, "--since:"},
		{[]string{"--until", "soon"}, "--until:"},
		{[]string{"--since", "2026-03-05", "--until", "2026-03-01"}, "must be before --until"},
		{[]string{"--tz", "Mars/Olympus"}, "unknown time zone"},
	} {
		code, _, errOut := runCLI(t, append([]string{"--config", cfgPath, "stats"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: %d %s", tc.args, code, errOut)
		}
	}
}

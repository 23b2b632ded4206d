package crashtest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

// TestSIGTERMDrains: SIGTERM stops input, lets a send in flight finish
// (it is recorded, so it is not repeated after the restart), and a send
// that outlasts outbox.drain is abandoned and stays queued. The process
// exits within http.shutdown_timeout + outbox.drain either way.
func TestSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built binary: skipped with -short")
	}
	const shutdown, drain = 2 * time.Second, 2 * time.Second
	// The bound checked below: both timeouts plus process start-up and
	// exit slack; a daemon that ignored the timeouts would hang on the held
	// request until the test releases it.
	const bound = shutdown + drain + 8*time.Second
	exe := buildBinary(t)
	slack := fakeslack.New()
	defer slack.Close()
	httpAddr := freeAddr(t)
	base := "http://" + httpAddr
	cfg := fmt.Sprintf(`http: {listen: %q, shutdown_timeout: %s}
admin: {listen: %q}
store: {path: threadline.db}
console: {enabled: false}
webchat: {enabled: true}
outbox: {base_backoff: 100ms, drain: %s, send_timeout: 60s, pacing: {slack: {per_destination: 100, per_adapter: 100}}}
slack: {bot_token: %s, app_token: %s, channel_id: %s, api_url: %s}
`, httpAddr, shutdown, freeAddr(t), drain, slack.BotToken, slack.AppToken, staffChannel, slack.APIURL())
	dir := t.TempDir()
	d := newDaemon(t, exe, dir, cfg)
	d.start()
	waitReady(t, d, base)
	tok, err := newSession(base)
	if err != nil {
		t.Fatal(err)
	}
	c := &customer{key: "wc0", channel: "webchat", token: tok}
	never := make(chan struct{})
	countIn := func(n int) int {
		k := 0
		for _, m := range slack.Messages() {
			if m.ThreadTS != "" && strings.Contains(m.Text, fmt.Sprintf("m/wc0/%d/", n)) {
				k++
			}
		}
		return k
	}

	// 1. A send in flight when SIGTERM arrives finishes within the drain.
	release := slack.Hold("chat.postMessage")
	if err := c.write(nil, nil, base, 0, never); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 20*time.Second, func() bool { return slack.Held() == 1 }, "the ticket card post is in flight")
	go func() { time.Sleep(300 * time.Millisecond); release() }()
	took, err := d.term(time.Minute)
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logTail(runLog(dir, d.runs), 20))
	}
	t.Logf("exit with a send finishing during the drain: %s", took.Round(time.Millisecond))
	if took > bound {
		t.Errorf("exit took %s, more than http.shutdown_timeout + outbox.drain + %s", took, bound-shutdown-drain)
	}
	if n := countIn(0); n != 1 {
		t.Errorf("the message in flight at SIGTERM is in the thread %d times, want 1", n)
	}

	// 2. A send that hangs past the drain is abandoned; it stays queued.
	d.start()
	waitReady(t, d, base)
	release = slack.Hold("chat.postMessage")
	if err := c.write(nil, nil, base, 1, never); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 20*time.Second, func() bool { return slack.Held() == 1 }, "the post is in flight")
	took, err = d.term(time.Minute)
	if err != nil {
		release()
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logTail(runLog(dir, d.runs), 20))
	}
	// The process is gone; once the fake has seen its connection close, the
	// held call is dropped and releasing the hold performs nothing.
	adaptertest.Eventually(t, 20*time.Second, func() bool { return slack.Held() == 0 }, "the fake noticed the client left")
	release()
	t.Logf("exit with a send hanging past the drain: %s", took.Round(time.Millisecond))
	if took > bound {
		t.Errorf("exit took %s with a hanging send; the bound is %s", took, bound)
	}
	if log, _ := os.ReadFile(runLog(dir, d.runs)); !strings.Contains(string(log), "they stay queued") {
		t.Errorf("the log does not say the unfinished send stays queued:\n%s", log)
	}
	if n := countIn(1); n != 0 {
		t.Fatalf("the abandoned send was performed %d times", n)
	}

	// 3. After a restart the queued send goes out once, nothing repeats.
	d.start()
	waitReady(t, d, base)
	if err := c.write(nil, nil, base, 2, never); err != nil {
		t.Fatal(err)
	}
	adaptertest.Eventually(t, 20*time.Second, func() bool { return countIn(2) == 1 }, "the next message posted")
	for n := range 3 {
		if k := countIn(n); k != 1 {
			t.Errorf("message %d is in the thread %d times, want exactly 1", n, k)
		}
	}
	if p := slack.Parents(staffChannel); len(p) != 1 {
		t.Errorf("%d ticket cards, want 1", len(p))
	}
	if _, err := d.term(time.Minute); err != nil {
		t.Error(err)
	}
}

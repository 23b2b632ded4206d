package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/console"
)

// scrape GETs /metrics and returns every sample as "name{labels}" → value.
func scrape(t *testing.T, url, token string) (map[string]float64, int) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	if res.StatusCode != http.StatusOK {
		return out, res.StatusCode
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out, res.StatusCode
}

func TestMetricsMoveEndToEnd(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, writeConfig(t, dir))
	w := watch(t, d.admin)
	v := newVisitor(t, d.http)
	v.connect(d.http)

	before, code := scrape(t, d.http, "")
	if code != 200 {
		t.Fatalf("/metrics answered %d", code)
	}
	for _, name := range []string{
		`threadline_messages_in_total{adapter="webchat",direction="customer"}`,
		`threadline_adapter_connected{adapter="webchat"}`,
		`threadline_adapter_connected{adapter="console"}`,
		`threadline_outbox_pending{adapter="console"}`,
		`threadline_conversations{status="open"}`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if _, ok := before[name]; !ok {
			t.Errorf("%s missing before any traffic", name)
		}
	}
	if before[`threadline_adapter_connected{adapter="console"}`] != 1 {
		t.Errorf("console not reported connected")
	}

	v.say("Where is my order?", "m1")
	eventually(t, "customer message on the console", func() bool {
		_, ok := w.find(func(e console.Event) bool { return e.Type == "post" && e.Text == "Where is my order?" })
		return ok
	})
	post, _ := w.find(func(e console.Event) bool { return e.Type == "post" })
	if res, err := d.admin.Say(context.Background(), consoleSay(post.Conversation, "On its way!")); err != nil || res.Error {
		t.Fatalf("say: %+v %v", res, err)
	}
	eventually(t, "reply in the browser", func() bool { return len(v.staffTexts()) == 1 })

	var m map[string]float64
	eventually(t, "counters moved and the outbox drained", func() bool {
		d.app.metrics.Refresh() // no cached gauges: the depth seen is the depth now
		m, _ = scrape(t, d.http, "")
		return m[`threadline_messages_in_total{adapter="webchat",direction="customer"}`] == 1 &&
			m[`threadline_messages_in_total{adapter="console",direction="staff"}`] == 1 &&
			m[`threadline_messages_out_total{adapter="webchat",kind="customer_send"}`] == 1 &&
			m[`threadline_messages_out_total{adapter="console",kind="receipt"}`] == 1 &&
			m[`threadline_outbox_pending{adapter="console"}`] == 0 &&
			m[`threadline_outbox_pending{adapter="webchat"}`] == 0
	})
	if got := m[`threadline_http_requests_total{code="202",handler="/chat/api/messages",method="POST"}`]; got != 1 {
		t.Errorf("POST /chat/api/messages counted %v times", got)
	}
	if m[`threadline_http_request_duration_seconds_count{handler="/chat/api/messages",method="POST"}`] != 1 {
		t.Errorf("latency of POST /chat/api/messages not observed")
	}
	if m[`threadline_http_requests_total{code="200",handler="/metrics",method="GET"}`] < 1 {
		t.Errorf("scrapes not counted")
	}
	if m[`threadline_conversations{status="waiting"}`] != 1 || m[`threadline_conversations_unclaimed`] != 1 {
		t.Errorf("conversation gauges: waiting %v unclaimed %v", m[`threadline_conversations{status="waiting"}`], m[`threadline_conversations_unclaimed`])
	}
	if m[`threadline_store_commits_total`] < 2 {
		t.Errorf("store commits = %v", m[`threadline_store_commits_total`])
	}

	res, err := http.Get(d.http + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(string(body), "ready\n") || !strings.Contains(string(body), "ok   webchat: connected") {
		t.Errorf("/readyz: %d\n%s", res.StatusCode, body)
	}
}

func TestMetricsTokenAndSwitch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(strings.Replace(testConfig, "  listen: 127.0.0.1:0\nadmin:", "  listen: 127.0.0.1:0\n  metrics_token: s3cret\nadmin:", 1)), 0o600)
	d := startDaemon(t, path)
	if _, code := scrape(t, d.http, ""); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
	if _, code := scrape(t, d.http, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	if m, code := scrape(t, d.http, "s3cret"); code != 200 || len(m) == 0 {
		t.Errorf("with the token: %d, %d samples", code, len(m))
	}
	d.stop()

	os.WriteFile(path, []byte(strings.Replace(testConfig, "  listen: 127.0.0.1:0\nadmin:", "  listen: 127.0.0.1:0\n  metrics: false\nadmin:", 1)), 0o600)
	d = startDaemon(t, path)
	if _, code := scrape(t, d.http, ""); code != http.StatusNotFound {
		t.Errorf("http.metrics false: /metrics answered %d, want 404", code)
	}
}

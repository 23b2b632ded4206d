package export

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
	"github.com/threadlinehq/threadline/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fixture builds two conversations with a fixed clock, so ids, times and
// text are the same on every run.
func fixture(t *testing.T) *sqlite.Store {
	ctx := context.Background()
	s := storetest.Open(t)
	var mu sync.Mutex
	now := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	tick := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Minute); return now }
	e := engine.New(engine.Options{Store: s, Surfaces: []bridge.Platform{"console"}, Clock: clocktest.Func(tick)})
	res, err := e.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v-anna", Name: "Anna", ExternalID: "w1",
		Subject: "Login problem / can't <sign> in!", Text: "I cannot log in\nsince Tuesday & it says \"error\"",
		Attachments: []bridge.Attachment{{Name: "screen shot.png", MIME: "image/png", Size: 2048, URL: "https://files.example/s.png"}}})
	if err != nil {
		t.Fatal(err)
	}
	bob := engine.StaffContext{Conversation: res.Conversation, Actor: bridge.Actor{ID: "console:bob", Name: "Bob"}, Surface: "console"}
	if _, err := e.Claim(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reply(ctx, bob, "Try resetting your password.", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Note(ctx, bob, "she is on the legacy plan", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Close(ctx, bob, "password reset"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Deliver(ctx, bridge.InboundMessage{Channel: "telegram", Address: "4242", Name: "Kim", Username: "kim",
		ExternalID: "t1", Text: "Привет | does | the app work offline?"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update if the change is intended):\n%s", name, path, got)
	}
}

func run(t *testing.T, s *sqlite.Store, format string, dir string) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := New(format, &out, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Export(context.Background(), store.ExportFilter{}, w.Visitor()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestExportGolden(t *testing.T) {
	s := fixture(t)
	for _, format := range []string{"conversations", "messages"} {
		out := run(t, s, format, "")
		for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
			if !json.Valid(line) {
				t.Errorf("%s line %d is not JSON: %s", format, i+1, line)
			}
		}
		golden(t, format+".jsonl", out)
	}
	var c struct {
		ID       int64 `json:"id"`
		Messages []struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
		} `json:"messages"`
	}
	first, _, _ := bytes.Cut(run(t, s, "conversations", ""), []byte("\n"))
	if err := json.Unmarshal(first, &c); err != nil || c.ID != 1 || len(c.Messages) < 4 || !strings.HasPrefix(c.Messages[0].Body, "I cannot") {
		t.Errorf("conversation line = %+v, %v", c, err)
	}

	dir := t.TempDir()
	run(t, s, "markdown", dir)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var all bytes.Buffer
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		fi, _ := os.Stat(filepath.Join(dir, n))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600 (customer data)", n, fi.Mode().Perm())
		}
		all.WriteString("==> " + n + " <==\n")
		all.Write(b)
	}
	golden(t, "markdown", all.Bytes())
	if _, err := New("markdown", nil, ""); err == nil {
		t.Error("markdown without a directory was accepted")
	}
	if _, err := New("xml", nil, ""); err == nil {
		t.Error("unknown format was accepted")
	}
}

func TestFileName(t *testing.T) {
	for _, tc := range []struct {
		subject, want string
	}{
		{"Login problem / can't <sign> in!", "000007-login-problem-can-t-sign-in.md"},
		{"", "000007.md"},
		{"../../etc/passwd", "000007-etc-passwd.md"},
		{"Привет", "000007.md"},
		{"  --Ünïcode--  ok ", "000007-n-code-ok.md"},
		{strings.Repeat("abc ", 30), "000007-abc-abc-abc-abc-abc-abc-abc-abc-abc-abc.md"},
		{strings.Repeat("x", 50) + " y", "000007-" + strings.Repeat("x", 40) + ".md"},
	} {
		if got := FileName(7, tc.subject); got != tc.want {
			t.Errorf("FileName(%q) = %q, want %q", tc.subject, got, tc.want)
		}
	}
	if got := FileName(12345678, "x"); got != "12345678-x.md" {
		t.Errorf("long id: %q", got)
	}
}

var safeName = regexp.MustCompile(`^[0-9]{6,}(-[a-z0-9]+(-[a-z0-9]+)*)?\.md$`)

func FuzzFileName(f *testing.F) {
	for _, s := range []string{"", "hello world", "../x", "a/b\\c", "\x00\xff", "Привет"} {
		f.Add(int64(3), s)
	}
	f.Fuzz(func(t *testing.T, id int64, subject string) {
		if id < 0 {
			id = -id
		}
		if id < 0 {
			return
		}
		name := FileName(bridge.ConversationID(id), subject)
		if !safeName.MatchString(name) || len(name) > 70 {
			t.Errorf("FileName(%d, %q) = %q", id, subject, name)
		}
	})
}

package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedCorpus finds ../shared/email-corpus next to the repository root
// (real-world mail from other projects' test suites); "" if absent.
func sharedCorpus(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	corpus := filepath.Join(dir, "..", "shared", "email-corpus")
	if fi, err := os.Stat(corpus); err != nil || !fi.IsDir() {
		return ""
	}
	return corpus
}

// TestSharedCorpus parses every message of the shared corpus: nNN files
// are customer mail that must parse into readable text, xNN files are
// auto-replies, bulk mail and bounces that must be recognised as such.
func TestSharedCorpus(t *testing.T) {
	dir := sharedCorpus(t)
	if dir == "" {
		t.Skip("../shared/email-corpus not present")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) == 0 {
		t.Skip("shared corpus is empty")
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			p, err := Parse(raw, Limits{})
			took := time.Since(start)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			checkInvariants(t, name, p)
			t.Logf("%-48s %6d bytes %8s auto=%-10q text=%4d chars attachments=%d subject=%.50q", name, len(raw), took.Round(time.Microsecond), p.Auto, len([]rune(p.Text)), len(p.Attachments), p.Subject)
			switch {
			case strings.HasPrefix(name, "x"):
				if p.Auto == AutoNone {
					t.Errorf("automatic mail not recognised (from %s, subject %q)", p.From.Email, p.Subject)
				}
			default:
				if p.Auto != AutoNone {
					t.Errorf("customer mail taken for %s: %s", p.Auto, p.AutoReason)
				}
				if p.From.Email == "" {
					t.Error("no sender")
				}
				if strings.TrimSpace(p.Text) == "" && len(p.Attachments) == 0 {
					t.Error("no text and no attachments")
				}
				if strings.ContainsRune(p.Text+p.Subject, '\uFFFD') {
					t.Errorf("text has undecodable characters: %q", p.Subject+" / "+p.Text)
				}
				if len(p.Warnings) > 0 {
					t.Logf("warnings: %v", p.Warnings)
				}
			}
		})
	}
}

func BenchmarkParseCorpus(b *testing.B) {
	var msgs [][]byte
	if dir := sharedCorpus(b); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			msgs = append(msgs, raw)
		}
	}
	files, _ := filepath.Glob("testdata/parse/*.eml")
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		msgs = append(msgs, raw)
	}
	var total int64
	for _, m := range msgs {
		total += int64(len(m))
	}
	b.SetBytes(total / int64(len(msgs)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Parse(msgs[i%len(msgs)], Limits{})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// Package attach keeps the files adapters download into the attachments
// directory: safe names, files that are complete or absent, and the notes
// staff read when a customer's file was not kept.
package attach

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// SafeName reduces a customer-chosen file name to [A-Za-z0-9._-], no
// leading dots, at most 100 bytes, keeping the extension ("file" when
// nothing is left).
func SafeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if len(s) > 100 {
		ext := ""
		if i := strings.LastIndexByte(s, '.'); i >= 0 && len(s)-i <= 10 {
			ext = s[i:]
		}
		s = s[:100-len(ext)] + ext
	}
	if s == "" {
		return "file"
	}
	return s
}

// SaveAs writes what fill writes to dst through a temporary file in dst's
// directory, so dst is either complete or absent, and returns fill's
// count. Failing to make the directory or the temporary file is
// permanent (retrying will not help); fill's own error is returned as it
// is.
func SaveAs(dst string, fill func(io.Writer) (int64, error)) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return 0, bridge.Permanent(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return 0, bridge.Permanent(err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	n, err := fill(tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return 0, err
	}
	return n, nil
}

// SaveNew writes what fill writes to a new file in dir named
// "<platform>-<random>-<name>" (name made safe, see staffName) and returns
// its path and fill's count. A failed fill or close leaves no file.
func SaveNew(dir string, platform bridge.Platform, name string, fill func(io.Writer) (int64, error)) (string, int64, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", 0, err
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	path := filepath.Join(dir, string(platform)+"-"+hex.EncodeToString(rnd)+"-"+staffName(name))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, err
	}
	n, err := fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", 0, err
	}
	return path, n, nil
}

var unsafeRun = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// staffName keeps the name of a file staff attached usable and inside its
// directory: runs of other characters become one "_", and a long name
// keeps its last 100 bytes. (The names SaveNew makes start with a random
// part, so they need no more than that; SafeName is the stricter rule for
// the names of customers' files.)
func staffName(name string) string {
	name = unsafeRun.ReplaceAllString(filepath.Base(name), "_")
	if name == "" || name == "." || name == ".." || name == "_" {
		name = "file"
	}
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	return name
}

// HumanSize is n in bytes, KB or MB (binary), for staff to read.
func HumanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Notes tell staff, in the conversation, about a customer's file that was
// not kept; kind is what the channel calls it ("photo", "document") and
// name its file name.

// NoDirNote: no attachments directory is configured.
func NoDirNote(kind, name string) string {
	return fmt.Sprintf("[%s %s was not downloaded: no attachments directory]", kind, name)
}

// TooLargeNote: the file is over limit; size is its size when known (0:
// unknown).
func TooLargeNote(kind, name string, size, limit int64) string {
	if size > 0 {
		return fmt.Sprintf("[%s %s (%s) was not downloaded: larger than the %s limit]", kind, name, HumanSize(size), HumanSize(limit))
	}
	return fmt.Sprintf("[%s %s was not downloaded: larger than the %s limit]", kind, name, HumanSize(limit))
}

// FailedNote: downloading from platform (as staff know it: "WhatsApp")
// failed for good with err.
func FailedNote(kind, name, platform string, err error) string {
	return fmt.Sprintf("[%s %s could not be downloaded from %s: %v]", kind, name, platform, err)
}

package attach

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
)

func TestSafeNameKeepsCustomerFilesInsideTheirDirectoryWithTheirExtension(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		"..hidden":                        "hidden",
		"Rechnung März.pdf":               "Rechnung_M_rz.pdf",
		"":                                "file",
		`C:\evil\x.exe`:                   "x.exe",
		strings.Repeat("a", 300) + ".pdf": strings.Repeat("a", 96) + ".pdf",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStaffNameKeepsStaffFilesInsideTheirDirectory(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		"a b.pdf":                         "a_b.pdf",
		"..":                              "file",
		"":                                "file",
		"x/y/../z.txt":                    "z.txt",
		strings.Repeat("a", 300) + ".pdf": strings.Repeat("a", 96) + ".pdf",
	} {
		if got := staffName(in); got != want {
			t.Errorf("staffName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSaveAsLeavesTheFileCompleteOrAbsent(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "sub", "a.txt")
	n, err := SaveAs(dst, func(w io.Writer) (int64, error) {
		k, err := io.WriteString(w, "hello")
		return int64(k), err
	})
	if err != nil || n != 5 {
		t.Fatalf("SaveAs = %d, %v", n, err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "hello" {
		t.Errorf("content %q", b)
	}

	broken := errors.New("connection reset")
	failed := filepath.Join(dir, "sub", "b.txt")
	n, err = SaveAs(failed, func(w io.Writer) (int64, error) {
		k, _ := io.WriteString(w, "hal")
		return int64(k), broken
	})
	if !errors.Is(err, broken) || n != 3 {
		t.Fatalf("failed fill: %d, %v", n, err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "sub"))
	if len(entries) != 1 || entries[0].Name() != "a.txt" {
		t.Errorf("left behind: %v", entries)
	}
}

func TestSaveAsWithoutADirectoryIsPermanent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := SaveAs(filepath.Join(file, "x"), func(io.Writer) (int64, error) { return 0, nil })
	if !bridge.IsPermanent(err) {
		t.Errorf("err = %v, want permanent", err)
	}
}

func TestSaveNewNamesFilesByPlatformAndLeavesNothingOnFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "attachments")
	path, n, err := SaveNew(dir, "slack", "../Report 1.pdf", func(w io.Writer) (int64, error) {
		k, err := io.WriteString(w, "pdf")
		return int64(k), err
	})
	if err != nil || n != 3 {
		t.Fatalf("SaveNew = %q, %d, %v", path, n, err)
	}
	if filepath.Dir(path) != dir || !strings.HasPrefix(filepath.Base(path), "slack-") || !strings.HasSuffix(path, "-Report_1.pdf") {
		t.Errorf("path %q", path)
	}
	if b, _ := os.ReadFile(path); string(b) != "pdf" {
		t.Errorf("content %q", b)
	}
	if _, _, err := SaveNew(dir, "slack", "x", func(io.Writer) (int64, error) { return 0, errors.New("gone") }); err == nil {
		t.Fatal("failed fill saved")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files, want the first only", len(entries))
	}
}

func TestNotesNameTheFileAndItsSize(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{NoDirNote("photo", "a.jpg"), "[photo a.jpg was not downloaded: no attachments directory]"},
		{TooLargeNote("document", "b.pdf", 30<<20, 20<<20), "[document b.pdf (30.0 MB) was not downloaded: larger than the 20.0 MB limit]"},
		{TooLargeNote("document", "b.pdf", 0, 20<<20), "[document b.pdf was not downloaded: larger than the 20.0 MB limit]"},
		{FailedNote("voice", "v.ogg", "Telegram", errors.New("HTTP 500")), "[voice v.ogg could not be downloaded from Telegram: HTTP 500]"},
		{HumanSize(1536), "2 KB"},
		{HumanSize(999), "999 bytes"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func FuzzSafeNames(f *testing.F) {
	for _, s := range []string{"../a.pdf", "..", `C:\x`, "März", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, n := range []string{SafeName(name), staffName(name)} {
			if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) || len(n) > 100 {
				t.Fatalf("unsafe name %q from %q", n, name)
			}
		}
	})
}

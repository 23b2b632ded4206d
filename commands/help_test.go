package commands_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/threadlinehq/threadline/commands"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The help text is what staff read to learn the language; a change to any
// command's name, aliases, arguments, help or permission shows up here.
func TestHelpTextMatchesGolden(t *testing.T) {
	table, err := commands.All()
	if err != nil {
		t.Fatal(err)
	}
	got := table.Help(commands.DefaultSyntax()) + "\n"
	path := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("help text changed (run with -update if intended):\n%s\nwant:\n%s", got, want)
	}
}

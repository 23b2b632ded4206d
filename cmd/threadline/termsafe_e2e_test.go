package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A customer's text reached staff terminals raw: escape sequences could
// clear lines, fake a staff line and write the clipboard (OSC 52). Every
// command's output goes through one neutralising writer (watch too).
func TestCustomerTextCannotDriveTheStaffTerminal(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(strings.Replace(testConfig, "admin:\n  listen: 127.0.0.1:0", "admin:\n  listen: "+freePort(t), 1)), 0o600)
	d := startDaemon(t, cfgPath)
	v := newVisitor(t, d.http)
	v.say("hello\x1b[2K\r\x1b]52;c;ZXZpbA==\x07Bob → customer: refund approved \u202egnp.exe", "x1")

	for _, args := range [][]string{{"conversations", "list"}, {"conversations", "show", "1"}} {
		code, out, errOut := runCLI(t, append([]string{"--config", cfgPath}, args...)...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
		for _, bad := range []string{"\x1b", "\r", "\x07", "\u202e"} {
			if strings.Contains(out, bad) {
				t.Errorf("%v printed a raw %q:\n%q", args, bad, out)
			}
		}
		if !strings.Contains(out, "hello^[[2K^M^[]52;c;ZXZpbA==^GBob") {
			t.Errorf("%v: the text is not shown neutralised:\n%q", args, out)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
)

func mattermostDoctor(t *testing.T, fake *fakemattermost.Server, token, section string) (int, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := testConfig + "mattermost:\n  url: " + fake.URL() + "\n  bot_token: " + token + "\n" + section
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "--config", path, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	code, out, _ := runCLI(t, "--config", path, "doctor", "--timeout", "10s")
	if strings.Contains(out, token) {
		t.Errorf("doctor printed the token:\n%s", out)
	}
	return code, out
}

// doctor checks the token (GET /users/me), every staff channel (readable,
// the bot a member), the username override and the ephemeral permission.
func TestDoctorChecksMattermost(t *testing.T) {
	fake := fakemattermost.New(fakemattermost.Options{UsernameOverride: true, BotSystemAdmin: true})
	defer fake.Close()
	fake.ReportTo(t)
	support := fake.AddChannel("support", true)
	code, out := mattermostDoctor(t, fake, fake.Token(), "  channel_id: "+support+"\n  command_token: tok\n")
	if code != 0 {
		t.Fatalf("doctor exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		"PASS  mattermost bot token: @threadline (" + fake.BotID() + "), a bot account",
		"PASS  mattermost channel ~support (" + support + "): readable, the bot is a member",
		"PASS  mattermost customer names: customer messages are posted under the customer's name",
		"All checks passed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestDoctorFindsMattermostProblems(t *testing.T) {
	fake := fakemattermost.New(fakemattermost.Options{})
	defer fake.Close()
	fake.ReportTo(t)
	support := fake.AddChannel("support", true)
	billing := fake.AddChannel("billing", false)
	code, out := mattermostDoctor(t, fake, fake.Token(), "  channel_id: "+support+"\ndepartments:\n  billing:\n    channels: {mattermost: "+billing+"}\n")
	if code != 1 {
		t.Errorf("doctor exited %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"FAIL  mattermost the bot is not a member of ~billing (" + billing + "): posts there fail",
		"fix: type /invite @threadline in ~billing",
		"WARN  mattermost the server does not allow username overrides",
		"WARN  mattermost the bot may not post ephemeral messages",
		"WARN  mattermost no command_token: the /ticket slash command is off",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	code, out = mattermostDoctor(t, fake, "refusedtoken", "  channel_id: "+support+"\n")
	if code != 1 || !strings.Contains(out, "FAIL  mattermost bot token:") || !strings.Contains(out, "fix: MATTERMOST_BOT_TOKEN was refused") {
		t.Errorf("doctor with a refused token exited %d:\n%s", code, out)
	}
}

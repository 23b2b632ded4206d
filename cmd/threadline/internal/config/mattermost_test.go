package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMattermostSection(t *testing.T) {
	const ch = "8d6kz1b3ktgejkn3r4q5jbrwhc"
	// Off by default.
	cfg, err := parse(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mattermost.Enabled() || cfg.Mattermost.OffReason() != "MATTERMOST_URL not set" || cfg.Mattermost.SlashCommand != "/ticket" {
		t.Errorf("default mattermost = %+v", cfg.Mattermost)
	}
	// Env turns it on and overrides the file; a Mattermost surface alone is enough.
	cfg, err = parse(t, "console:\n  enabled: false\nmattermost:\n  channel_id: aaaaaaaaaaaaaaaaaaaaaaaaaa\n", map[string]string{
		"MATTERMOST_URL": "https://chat.example.com/", "MATTERMOST_BOT_TOKEN": "tok", "MATTERMOST_CHANNEL_ID": ch, "MATTERMOST_COMMAND_TOKEN": "cmd"})
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Mattermost; !m.Enabled() || m.ChannelID != ch || m.URL != "https://chat.example.com" || m.CommandToken != "cmd" {
		t.Errorf("env mattermost = %+v", m)
	}
	// Secrets can come from files.
	dir := t.TempDir()
	tok, cmd := filepath.Join(dir, "tok"), filepath.Join(dir, "cmd")
	os.WriteFile(tok, []byte("from-file\n"), 0o600)
	os.WriteFile(cmd, []byte("cmd-file\n"), 0o600)
	cfg, err = parse(t, "mattermost:\n  url: https://chat.example.com\n  bot_token_file: "+tok+"\n  command_token_file: "+cmd+"\n  channel_id: "+ch+"\n", nil)
	if err != nil || cfg.Mattermost.BotToken != "from-file" || cfg.Mattermost.CommandToken != "cmd-file" {
		t.Errorf("token files: %+v %v", cfg.Mattermost, err)
	}
	// Departments may name their own Mattermost channel, which must be an id.
	_, err = parse(t, "departments:\n  billing:\n    channels:\n      mattermost: town-square\n      teams: x\nmattermost:\n  url: ftp://x\n  channel_id: general\n  tokn: 1\n", nil)
	for _, want := range []string{"departments.billing.channels.mattermost: \"town-square\" is not a Mattermost channel id",
		"departments.billing.channels.teams: unknown surface (want slack, discord or mattermost)",
		"mattermost.url:", "mattermost.channel_id:", "mattermost.tokn: unknown key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors = %v, want %q", err, want)
		}
	}
	cfg, err = parse(t, "departments:\n  billing:\n    channels:\n      mattermost: "+ch+"\n", nil)
	if err != nil || cfg.Workflow.Departments["billing"].Channels["mattermost"] != ch {
		t.Errorf("department channel: %v", err)
	}
	// Staff may be Mattermost users (by id).
	if _, err := parse(t, "staff:\n  - id: mattermost:"+ch+"\n    name: Alice\n  - id: mattermost:alice\n", nil); err == nil ||
		!strings.Contains(err.Error(), `"mattermost:alice" is not a staff id`) || strings.Contains(err.Error(), "mattermost:"+ch) {
		t.Errorf("staff ids: %v", err)
	}
}

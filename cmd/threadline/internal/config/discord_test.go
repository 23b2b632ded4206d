package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiscordSection(t *testing.T) {
	// Off by default, with the default API base.
	cfg, err := parse(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Discord.Enabled() || cfg.Discord.OffReason() != "DISCORD_BOT_TOKEN not set" || cfg.Discord.APIURL != "https://discord.com/api/v9" {
		t.Errorf("default discord = %+v", cfg.Discord)
	}
	// Env turns it on and overrides the file.
	cfg, err = parse(t, "discord:\n  channel_id: \"111111111111111111\"\n", map[string]string{
		"DISCORD_BOT_TOKEN": "tok", "DISCORD_CHANNEL_ID": "222222222222222222", "DISCORD_API_URL": "http://127.0.0.1:1/api/v9/"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Discord.Enabled() || cfg.Discord.ChannelID != "222222222222222222" || cfg.Discord.APIURL != "http://127.0.0.1:1/api/v9" {
		t.Errorf("env discord = %+v", cfg.Discord)
	}
	// The token can come from a file.
	dir := t.TempDir()
	secret := filepath.Join(dir, "tok")
	os.WriteFile(secret, []byte("from-file\n"), 0o600)
	cfg, err = parse(t, "discord:\n  bot_token_file: "+secret+"\n  channel_id: \"111111111111111111\"\n", nil)
	if err != nil || cfg.Discord.BotToken != "from-file" {
		t.Errorf("token file: %+v %v", cfg, err)
	}
	// Problems come with the key and line.
	_, err = parse(t, "discord:\n  bot_token: tok\n  channel_id: general\n  api_url: ftp://x\n  tokn: 1\n", nil)
	for _, want := range []string{":3: discord.channel_id:", ":4: discord.api_url:", ":5: discord.tokn: unknown key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors = %v, want %q", err, want)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
)

func TestDiscordRegister(t *testing.T) {
	fake := fakediscord.New(fakediscord.Options{})
	t.Cleanup(fake.Close)
	forum := fake.AddForum("support")
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	base := testConfig + "discord:\n  bot_token: " + fake.Token() + "\n  channel_id: \"" + forum + "\"\n  api_url: " + fake.APIURL() + "\n"
	os.WriteFile(path, []byte(base), 0o600)
	code, out, errOut := runCLI(t, "--config", path, "discord", "register")
	if code != 0 || !strings.Contains(out, "slash commands globally for application "+fake.ApplicationID()) {
		t.Fatalf("register: %d %s %s", code, out, errOut)
	}
	if n := len(fake.Commands("")); n == 0 || !strings.Contains(out, "Registered "+itoa(n)+" slash commands") {
		t.Errorf("%d global commands registered; output %s", n, out)
	}
	os.WriteFile(path, []byte(base+"  guild_id: \""+fake.GuildID()+"\"\n"), 0o600)
	if code, out, _ := runCLI(t, "--config", path, "discord", "register"); code != 0 || !strings.Contains(out, "in server "+fake.GuildID()) || len(fake.Commands(fake.GuildID())) == 0 {
		t.Errorf("guild register: %d %s", code, out)
	}
	fake.Inject(fakediscord.Fault{PathContains: "/gateway/bot", Status: 401})
	if code, _, errOut := runCLI(t, "--config", path, "discord", "register"); code != 1 || !strings.Contains(errOut, "token was refused") {
		t.Errorf("refused token: %d %s", code, errOut)
	}
	os.WriteFile(path, []byte(testConfig), 0o600)
	if code, _, errOut := runCLI(t, "--config", path, "discord", "register"); code != 2 || !strings.Contains(errOut, "discord is off") {
		t.Errorf("without discord: %d %s", code, errOut)
	}
}

func TestTelegramSetWebhook(t *testing.T) {
	fake := faketelegram.New("")
	defer fake.Close()
	dir := t.TempDir()
	polling := writeTelegramConfig(t, dir, fake, "")
	if code, _, errOut := runCLI(t, "--config", polling, "telegram", "set-webhook"); code != 2 || !strings.Contains(errOut, "webhook_secret") {
		t.Errorf("without a secret: %d %s", code, errOut)
	}
	hook := filepath.Join(dir, "hook.yaml")
	os.WriteFile(hook, []byte(readFile(t, polling)+"  webhook_secret: s3cret_token\npublic_url: https://support.example.com\n"), 0o600)
	code, out, errOut := runCLI(t, "--config", hook, "telegram", "set-webhook")
	if code != 0 || !strings.Contains(out, "Webhook set: https://support.example.com/telegram/webhook") {
		t.Fatalf("set-webhook: %d %s %s", code, out, errOut)
	}
	if w := fake.WebhookInfo(); w.URL != "https://support.example.com/telegram/webhook" || w.Secret != "s3cret_token" ||
		strings.Join(w.AllowedUpdates, ",") != "message,edited_message,my_chat_member" {
		t.Errorf("webhook at the fake: %+v", w)
	}
	if strings.Contains(out, "s3cret_token") || strings.Contains(out, fake.Token()) {
		t.Errorf("secret printed: %s", out)
	}
	if code, out, _ := runCLI(t, "--config", hook, "telegram", "set-webhook", "--info"); code != 0 ||
		!strings.Contains(out, "url              https://support.example.com/telegram/webhook") || strings.Contains(out, "Webhook set") {
		t.Errorf("--info: %d %s", code, out)
	}
	if code, out, _ := runCLI(t, "--config", polling, "telegram", "set-webhook", "--delete"); code != 0 ||
		!strings.Contains(out, "Webhook deleted") || !strings.Contains(out, "(none: long polling)") || fake.WebhookInfo().URL != "" {
		t.Errorf("--delete: %d %s", code, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

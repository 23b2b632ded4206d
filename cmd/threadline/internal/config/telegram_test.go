package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const tgToken = "123456789:AAF-fake_token_for_tests_0123456789ab"

func TestTelegramOffWithoutToken(t *testing.T) {
	cfg, err := parse(t, "telegram:\n  poll_timeout: 10s\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telegram.Enabled() || cfg.Telegram.APIURL != "https://api.telegram.org" || cfg.Telegram.PollTimeout.D() != 10*time.Second {
		t.Errorf("telegram = %+v", cfg.Telegram)
	}
}

func TestTelegramEnvAndFiles(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "hook")
	os.WriteFile(secretFile, []byte("from_file-secret\n"), 0o600)
	yml := "telegram:\n  webhook_secret_file: " + secretFile + "\n  api_url: https://wrong.example\n"
	cfg, err := parse(t, yml, map[string]string{"TELEGRAM_BOT_TOKEN": tgToken, "TELEGRAM_API_URL": "http://127.0.0.1:8081/"})
	if err != nil {
		t.Fatal(err)
	}
	tg := cfg.Telegram
	if !tg.Enabled() || tg.BotToken != tgToken || tg.APIURL != "http://127.0.0.1:8081" || tg.WebhookSecret != "from_file-secret" || !tg.Webhook() {
		t.Errorf("telegram = %+v", tg)
	}
	cfg, err = parse(t, "public_url: https://support.example.com\ntelegram:\n  bot_token: ${TG}\n", map[string]string{"TG": tgToken, "TELEGRAM_WEBHOOK_SECRET": "env_secret"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telegram.BotToken != tgToken || cfg.Telegram.WebhookSecret != "env_secret" {
		t.Errorf("expansion: %+v", cfg.Telegram)
	}
}

func TestTelegramErrorsHaveLinesAndNoSecrets(t *testing.T) {
	yml := "telegram:\n  bot_token: nope-secret-value\n  webhook_secret: has spaces\n  poll_timeout: 5m\n  greting: hi\n"
	_, err := parse(t, yml, nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		"config.yaml:2: telegram.bot_token: does not look like a bot token",
		"config.yaml:3: telegram.webhook_secret: must be 1 to 256 characters",
		"config.yaml:4: telegram.poll_timeout: must be between 1s and 50s",
		`config.yaml:5: telegram.greting: unknown key (did you mean "greeting"?)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "nope-secret-value") || strings.Contains(got, "has spaces") {
		t.Errorf("a secret leaked into the errors:\n%s", got)
	}
}

func TestShippedConfigHasTelegramOff(t *testing.T) {
	data, err := os.ReadFile("../../../../config.yaml")
	if err != nil {
		t.Skip("config.yaml not found")
	}
	cfg, err := Parse("config.yaml", data, MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telegram.Enabled() {
		t.Error("the shipped config must run without a Telegram token")
	}
	cfg, err = Parse("config.yaml", data, MapEnv(map[string]string{"TELEGRAM_BOT_TOKEN": tgToken}))
	if err != nil || !cfg.Telegram.Enabled() || cfg.Telegram.Webhook() {
		t.Errorf("TELEGRAM_BOT_TOKEN alone should turn on long polling: %+v %v", cfg.Telegram, err)
	}
}

func TestTelegramWebhookNeedsHTTPSPublicURL(t *testing.T) {
	env := map[string]string{"TELEGRAM_BOT_TOKEN": tgToken, "TELEGRAM_WEBHOOK_SECRET": "abc"}
	_, err := parse(t, "http:\n  listen: 127.0.0.1:8080\n", env)
	if err == nil || !strings.Contains(err.Error(), "telegram.webhook_secret: webhook mode needs public_url to be an https:// URL") {
		t.Errorf("err = %v", err)
	}
	if _, err := parse(t, "public_url: https://support.example.com\n", env); err != nil {
		t.Errorf("https public_url refused: %v", err)
	}
	env["TELEGRAM_API_URL"] = "http://127.0.0.1:8081" // a local Bot API server may call plain http
	if _, err := parse(t, "", env); err != nil {
		t.Errorf("local server refused: %v", err)
	}
}

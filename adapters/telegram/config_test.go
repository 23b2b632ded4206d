package telegram_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/bridge"
)

func TestConfigValidate(t *testing.T) {
	const token = "123456789:AAF-fake_token_for_tests_0123456789ab"
	cases := []struct {
		name   string
		mutate func(*telegram.Config)
		fields []string // fields with errors, in order
	}{
		{"defaults without a token are valid", func(*telegram.Config) {}, nil},
		{"token", func(c *telegram.Config) { c.BotToken = token }, nil},
		{"webhook", func(c *telegram.Config) { c.BotToken, c.WebhookSecret = token, "abc_DEF-123" }, nil},
		{"malformed token", func(c *telegram.Config) { c.BotToken = "not a token" }, []string{"bot_token"}},
		{"secret with bad characters", func(c *telegram.Config) { c.WebhookSecret = "a b/c" }, []string{"webhook_secret"}},
		{"api_url not http", func(c *telegram.Config) { c.APIURL = "ftp://x" }, []string{"api_url"}},
		{"poll_timeout too long", func(c *telegram.Config) { c.PollTimeout = bridge.Duration(2 * time.Minute) }, []string{"poll_timeout"}},
		{"everything wrong at once", func(c *telegram.Config) {
			c.BotToken, c.WebhookSecret, c.MaxFileBytes = "zzqq:secretvalue", "!", -1
		}, []string{"bot_token", "webhook_secret", "max_file_bytes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := telegram.Config{}
			c.mutate(&cfg)
			cfg.Defaults()
			err := cfg.Validate()
			var got []string
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					var fe *bridge.FieldError
					if errors.As(e, &fe) {
						got = append(got, fe.Field)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("errors in %v, want %v (%v)", got, c.fields, err)
			}
			if err != nil && cfg.BotToken != "" && strings.Contains(err.Error(), cfg.BotToken) {
				t.Error("the token leaked into the error")
			}
		})
	}
	c := telegram.Config{}
	c.Defaults()
	if c.APIURL != "https://api.telegram.org" || c.MaxFileBytes != 20<<20 || c.PollTimeout.D() != 30*time.Second || c.Enabled() || c.Webhook() {
		t.Errorf("defaults %+v", c)
	}
}

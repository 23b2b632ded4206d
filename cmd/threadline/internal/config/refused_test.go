package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// Negative numbers were replaced by defaults before validation, so
// check-config passed them silently: each is reported with its line.
func TestNegativeNumbersAreRefusedWithTheirLine(t *testing.T) {
	_, err := parse(t, `webchat:
  enabled: true
  per_ip_per_minute: -5
outbox:
  workers: -1
  max_attempts: -3
http:
  max_body_bytes: -1
  shutdown_timeout: -5s
`, nil)
	if err == nil {
		t.Fatal("negative numbers accepted")
	}
	for _, want := range []string{
		"config.yaml:3: webchat.per_ip_per_minute: must not be negative (it is -5)",
		"config.yaml:5: outbox.workers: must not be negative (it is -1)",
		"config.yaml:6: outbox.max_attempts: must not be negative (it is -3)",
		"config.yaml:8: http.max_body_bytes: must not be negative (it is -1)",
		"config.yaml:9: http.shutdown_timeout: invalid duration \"-5s\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// An empty config was called valid by check-config, while serve refused it
// for want of a staff surface: both refuse it now, for the same reason.
func TestAConfigWithoutAStaffSurfaceIsRefused(t *testing.T) {
	for _, yml := range []string{"", "{}\n", "webchat:\n  enabled: true\n", "console:\n  enabled: false\n"} {
		_, err := Parse(filepath.Join(t.TempDir(), "config.yaml"), []byte(yml), MapEnv(nil))
		if err == nil || !strings.Contains(err.Error(), "no staff surface is enabled") {
			t.Errorf("%q: %v", yml, err)
		}
	}
}

package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// parse loads yml; a file that names no staff surface gets the console
// (appended, so line numbers stay), as a config without one is refused.
func parse(t *testing.T, yml string, env map[string]string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	if !regexp.MustCompile(`(?m)^(console|slack|discord):`).MatchString(yml) {
		yml = strings.TrimRight(yml, "\n") + "\nconsole:\n  enabled: true\n"
	}
	return Parse(filepath.Join(dir, "config.yaml"), []byte(yml), MapEnv(env))
}

func TestShippedConfigLoads(t *testing.T) {
	data, err := os.ReadFile("../../../../config.yaml")
	if err != nil {
		t.Skip("config.yaml not written yet")
	}
	cfg, err := Parse("config.yaml", data, MapEnv(nil))
	if err != nil {
		t.Fatalf("shipped config.yaml: %v", err)
	}
	if !cfg.Webchat.Enabled || !cfg.Console.Enabled || cfg.HTTP.Listen != "127.0.0.1:8080" || filepath.Base(cfg.Store.Path) != "threadline.db" {
		t.Errorf("shipped config = %+v", cfg)
	}
}

func TestAllErrorsAtOnceWithLines(t *testing.T) {
	yml := `http:
  listen: nonsense
  listne: 1
store:
  synchronous: sometimes
webchat:
  enabled: yes please
  allowed_origins: ["https://ok.example", "not an origin"]
  token_secret: short
conversations:
  reopen_window: forever
  default_priority: meh
bogus: 1
`
	_, err := parse(t, yml, nil)
	if err == nil {
		t.Fatal("no error")
	}
	errs, ok := err.(Errors)
	if !ok {
		t.Fatalf("error type %T: %v", err, err)
	}
	got := err.Error()
	for _, want := range []string{
		`config.yaml:3: http.listne: unknown key (did you mean "listen"?)`,
		`config.yaml:13: bogus: unknown key`,
		`config.yaml:7: cannot unmarshal !!str ` + "`yes please`" + ` into bool`,
		`config.yaml:11: conversations.reopen_window: invalid duration "forever"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	// Validation problems come in the same run.
	for _, want := range []string{
		`config.yaml:2: http.listen: "nonsense" is not host:port`,
		`config.yaml:5: store.synchronous: must be normal or full`,
		`config.yaml:8: webchat.allowed_origins[1]: "not an origin" is not an origin`,
		`config.yaml:9: webchat.token_secret: is too short`,
		`config.yaml:12: conversations.default_priority: unknown priority "meh"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if len(errs) != 9 {
		t.Errorf("%d problems, want 9:\n%s", len(errs), got)
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	_, err := parse(t, "http:\n  listen: [unclosed\n", nil)
	if err == nil || !strings.Contains(err.Error(), "config.yaml:") {
		t.Errorf("syntax error = %v", err)
	}
}

func TestEnvExpansionOverridesAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o600)
	yml := `store:
  path: ${DB_NAME:-default.db}
  max_batch: ${BATCH}
webchat:
  enabled: true
  token_secret_file: ` + secretFile + `
  title: "literal ${NOPE} stays? no: ${TITLE}"
  greeting: price is $5
console:
  enabled: true
`
	cfg, err := Parse(filepath.Join(dir, "config.yaml"), []byte(yml), MapEnv(map[string]string{"BATCH": "7", "TITLE": "Hi"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Path != filepath.Join(dir, "default.db") || cfg.Store.MaxBatch != 7 {
		t.Errorf("store = %+v", cfg.Store)
	}
	if cfg.Webchat.TokenSecret != "0123456789abcdef0123456789abcdef" {
		t.Errorf("secret from file = %q", cfg.Webchat.TokenSecret)
	}
	if cfg.Webchat.Title != "literal  stays? no: Hi" || cfg.Webchat.Greeting != "price is $5" {
		t.Errorf("title %q greeting %q", cfg.Webchat.Title, cfg.Webchat.Greeting)
	}
	cfg, err = Parse(filepath.Join(dir, "config.yaml"), []byte(yml), MapEnv(map[string]string{
		"BATCH": "1", "THREADLINE_DB": "/tmp/x.db", "THREADLINE_LISTEN": "0.0.0.0:9000", "THREADLINE_PUBLIC_URL": "https://help.example.com/"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Path != "/tmp/x.db" || cfg.HTTP.Listen != "0.0.0.0:9000" || cfg.PublicURL != "https://help.example.com" {
		t.Errorf("env overrides: %s %s %s", cfg.Store.Path, cfg.HTTP.Listen, cfg.PublicURL)
	}
	_, err = Parse(filepath.Join(dir, "config.yaml"), []byte("webchat:\n  token_secret_file: /nonexistent/x\n"), MapEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "config.yaml:2: webchat.token_secret_file: cannot read secret file") {
		t.Errorf("missing secret file = %v", err)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := parse(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "http://127.0.0.1:8080" || cfg.Conversations.ReopenWindow.D() != 7*24*time.Hour || cfg.Commands.Prefix != "!" {
		t.Errorf("defaults = %+v", cfg)
	}
	if _, err := parse(t, "admin:\n  listen: 0.0.0.0:8081\n", nil); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("public admin listen = %v", err)
	}
}

func TestEmailSection(t *testing.T) {
	// Off by default: the shipped config needs no email settings.
	cfg, err := parse(t, "console: {enabled: true}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Email.Enabled() || cfg.Email.OffReason() != "EMAIL_IMAP_URL and EMAIL_SMTP_URL not set" {
		t.Errorf("email should be off: %+v", cfg.Email)
	}

	// The env shortcuts turn it on.
	env := map[string]string{
		"EMAIL_IMAP_URL": "imaps://support%40example.com:p%40ss@imap.example.com/Support",
		"EMAIL_SMTP_URL": "smtp://support%40example.com:p%40ss@smtp.example.com?tls=starttls",
		"EMAIL_FROM":     "Example Support <support@example.com>",
	}
	cfg, err = parse(t, "email:\n  imap: {poll_interval: 2m}\n", env)
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Email
	if !e.Enabled() || e.IMAP.Host != "imap.example.com" || e.IMAP.Port != 993 || e.IMAP.TLS != "tls" || e.IMAP.Username != "support@example.com" ||
		e.IMAP.Password != "p@ss" || e.IMAP.Mailbox != "Support" || e.IMAP.PollInterval.D() != 2*time.Minute ||
		e.SMTP.Port != 587 || e.SMTP.TLS != "starttls" || e.From != "Example Support <support@example.com>" {
		t.Errorf("email = %+v", e)
	}
	if d := e.IMAPDescription() + e.SMTPDescription(); strings.Contains(d, "p@ss") || strings.Contains(d, "p%40ss") {
		t.Errorf("description leaks the password: %s", d)
	}

	// Problems are reported with lines, and never echo the password.
	_, err = parse(t, `email:
  imap:
    url: "ftp://u:hunter2@host"
  smtp:
    host: smtp.example.com
    tls: sometimes
`, nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		"config.yaml:3: email.imap.url: scheme must be imaps:// (TLS) or imap:// (STARTTLS)",
		"config.yaml:6: email.smtp.tls: must be tls, starttls or none",
		"email.from: is required",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "hunter2") {
		t.Errorf("error leaks the password:\n%s", got)
	}

	// Only one server set is an error, not a silently dead channel.
	_, err = parse(t, "", map[string]string{"EMAIL_IMAP_URL": "imaps://u:p@h", "EMAIL_FROM": "s@example.com"})
	if err == nil || !strings.Contains(err.Error(), "no SMTP server") {
		t.Errorf("half-configured email: %v", err)
	}
}

// A secret pasted where a section belongs must not be quoted back, while
// a wrong plain value (a bool) still is.
func TestTypeErrorsHideMisplacedSecrets(t *testing.T) {
	_, err := parse(t, "telegram: 123456:AAEsecretTOKENvalue\nwebchat:\n  enabled: yes please\n", nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	if strings.Contains(got, "123456") || !strings.Contains(got, "config.yaml:1: cannot unmarshal !!str into telegram.Config") {
		t.Errorf("section error shows the value:\n%s", got)
	}
	if !strings.Contains(got, "`yes please` into bool") {
		t.Errorf("bool error lost its value:\n%s", got)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
)

// doctorRig is every platform Threadline talks to, faked on loopback, and
// a config that points at all of them.
type doctorRig struct {
	t        *testing.T
	dir      string
	slack    *fakeslack.Server
	telegram *faketelegram.Server
	imap     *fakemail.IMAPServer
	smtp     *fakemail.SMTPServer
	discord  *fakediscord.Server
	forum    string
	// edits to the config before it is written
	botToken, imapURL, extra, telegramExtra string
	slackHTTP                               bool // HTTP Events API (signing secret) instead of Socket Mode
}

func newDoctorRig(t *testing.T) *doctorRig {
	r := &doctorRig{t: t, dir: t.TempDir()}
	r.slack = fakeslack.New()
	t.Cleanup(r.slack.Close)
	r.telegram = faketelegram.New("")
	t.Cleanup(r.telegram.Close)
	r.imap = fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	r.smtp = fakemail.NewSMTP(t, fakemail.SMTPOptions{Username: "support@example.com", Password: "smtp-secret"})
	r.discord = fakediscord.New(fakediscord.Options{})
	t.Cleanup(r.discord.Close)
	r.forum = r.discord.AddForum("support-inbox", "Open", "Waiting", "Closed", "Urgent", "High")
	r.slack.SetChannel(fakeslack.Channel{ID: "C0SUPPORT1", Name: "support", Member: true})
	r.botToken, r.imapURL = r.slack.BotToken, r.imap.URL()
	return r
}

func (r *doctorRig) config() string {
	mode := "app_token: " + r.slack.AppToken
	if r.slackHTTP {
		mode = "signing_secret: " + r.slack.Secret
	}
	cfg := testConfig + `
slack:
  bot_token: ` + r.botToken + `
  ` + mode + `
  channel_id: C0SUPPORT1
  api_url: ` + r.slack.APIURL() + `
telegram:
  bot_token: ` + r.telegram.Token() + `
  api_url: ` + r.telegram.URL() + `
` + r.telegramExtra + `email:
  imap: {url: "` + r.imapURL + `"}
  smtp: {url: "` + r.smtp.URL() + `"}
  from: "Support <support@example.com>"
discord:
  bot_token: ` + r.discord.Token() + `
  channel_id: "` + r.forum + `"
  api_url: ` + r.discord.APIURL() + `
` + r.extra
	path := filepath.Join(r.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		r.t.Fatal(err)
	}
	return path
}

func (r *doctorRig) run() (int, string, string) {
	r.t.Helper()
	path := r.config()
	if code, _, errOut := runCLI(r.t, "--config", path, "migrate"); code != 0 {
		r.t.Fatalf("migrate: %s", errOut)
	}
	return runCLI(r.t, "--config", path, "doctor", "--timeout", "10s")
}

func TestDoctorPassesAgainstHealthyPlatforms(t *testing.T) {
	r := newDoctorRig(t)
	code, out, progress := r.run()
	if code != 0 {
		t.Fatalf("doctor exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		"PASS  config",
		"PASS  database  " + filepath.Join(r.dir, "threadline.db") + ": schema v",
		"PASS  database  writable",
		"PASS  database  integrity quick_check ok",
		"PASS  slack     bot token: @threadline (UBOT) in workspace Fake",
		"PASS  slack     scopes: all 10 Threadline needs",
		"PASS  slack     channel #support (C0SUPPORT1): bot is a member",
		"PASS  slack     Socket Mode: the app-level token opens connections",
		"PASS  telegram  bot token: @threadline_test_bot",
		"PASS  telegram  long polling; no webhook in the way",
		"PASS  email     IMAP " + r.imap.Addr() + ": logged in, mailbox INBOX has 0 message(s) (IDLE)",
		"PASS  email     SMTP " + r.smtp.Addr() + ": greeted (none), logged in",
		"PASS  discord   bot token: Threadline (" + r.discord.BotID() + ")",
		"PASS  discord   Message Content intent enabled",
		"PASS  discord   forum #support-inbox (" + r.forum + "): the bot has every permission it needs",
		"All checks passed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	for _, secret := range []string{r.slack.BotToken, r.slack.AppToken, r.telegram.Token(), r.discord.Token(), "smtp-secret", r.imap.Password()} {
		if strings.Contains(out+progress, secret) {
			t.Errorf("secret %q printed", secret)
		}
	}
	if !strings.Contains(progress, "… slack: auth.test at "+r.slack.APIURL()) || !strings.Contains(progress, "… email: SMTP") {
		t.Errorf("progress:\n%s", progress)
	}
	// Nothing was posted, sent or changed.
	if len(r.slack.Messages()) != 0 || len(r.smtp.Messages()) != 0 || len(r.telegram.AllSent()) != 0 || len(r.discord.Commands("")) != 0 {
		t.Error("doctor changed something on a platform")
	}
}

func TestDoctorFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(r *doctorRig)
		want  []string
	}{
		{"slack token refused", func(r *doctorRig) { r.botToken = "xoxb-wrong-token" }, []string{
			"FAIL  slack     bot token: slack auth.test: invalid_auth",
			"fix: SLACK_BOT_TOKEN was refused",
		}},
		{"slack scope missing", func(r *doctorRig) {
			r.slack.SetScopes("chat:write", "chat:write.customize", "channels:history", "groups:history", "app_mentions:read",
				"users:read", "commands", "files:read")
		}, []string{
			"FAIL  slack     token lacks scopes: reactions:write, files:write",
			"fix: add them under OAuth & Permissions",
		}},
		{"slack bot not in channel", func(r *doctorRig) {
			r.slack.SetChannel(fakeslack.Channel{ID: "C0SUPPORT1", Name: "support", Member: false})
		}, []string{
			"FAIL  slack     the bot is not in #support (C0SUPPORT1)",
			"fix: type /invite @threadline in #support",
		}},
		{"slack channel missing", func(r *doctorRig) { r.slack.SetChannel(fakeslack.Channel{ID: "C0SUPPORT1", Missing: true}) }, []string{
			"FAIL  slack     channel C0SUPPORT1 does not exist, or is private and the bot is not in it",
		}},
		{"slack request URL not https", func(r *doctorRig) {
			r.slackHTTP = true
			r.extra = "public_url: http://support.example.com\n"
		}, []string{
			"FAIL  slack     HTTP mode: public_url http://support.example.com is not https://: Slack only sends events to HTTPS Request URLs",
			"fix: set public_url (THREADLINE_PUBLIC_URL) to the public https:// address",
		}},
		{"telegram wrong webhook", func(r *doctorRig) {
			r.extra = "public_url: https://support.example.com\n"
			r.telegramExtra = "  webhook_secret: our_secret\n"
			setWebhook(r.t, r.telegram, "https://127.0.0.1:1/someone-else")
		}, []string{
			"FAIL  telegram  the registered webhook is https://127.0.0.1:1/someone-else, not https://support.example.com/telegram/webhook",
			"fix: `threadline telegram set-webhook`",
		}},
		{"imap login refused", func(r *doctorRig) { r.imapURL = strings.Replace(r.imap.URL(), ":secret@", ":wrong@", 1) }, []string{
			"FAIL  email     IMAP: IMAP login as support@example.com",
			"fix: the server refused the user name or password in EMAIL_IMAP_URL",
		}},
		{"smtp down", func(r *doctorRig) { r.smtp.Close() }, []string{
			"FAIL  email     SMTP: connect to SMTP server 127.0.0.1:",
			"fix: nothing answers at",
		}},
		{"discord missing permission", func(r *doctorRig) { r.discord.DenyInChannel(r.forum, discordgo.PermissionManageWebhooks) }, []string{
			"FAIL  discord   forum #support-inbox (",
			"the bot lacks Manage Webhooks (post customer messages under the customer's name)",
			"fix: grant them to the bot's role",
		}},
		{"discord message content intent off", func(r *doctorRig) { r.discord.SetApplicationFlags(0) }, []string{
			"FAIL  discord   Message Content intent is off",
			"fix: discord.com/developers → your application → Bot → Privileged Gateway Intents",
		}},
		{"discord token refused", func(r *doctorRig) { r.discord.Inject(fakediscord.Fault{PathContains: "/gateway/bot", Status: 401}) }, []string{
			"FAIL  discord   bot token: discord GET /gateway/bot: 401 Unauthorized",
			"fix: DISCORD_BOT_TOKEN was refused",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDoctorRig(t)
			tc.setup(r)
			code, out, _ := r.run()
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("missing %q in:\n%s", want, out)
				}
			}
			if !strings.Contains(out, "check(s) failed") {
				t.Errorf("no summary:\n%s", out)
			}
		})
	}
}

// In HTTP mode doctor posts a signed challenge to public_url/slack/events;
// when nothing answers from here (no daemon running, or the name only
// resolves outside), that is a warning, not a failure.
func TestDoctorWarnsWhenTheRequestURLIsUnreachableFromHere(t *testing.T) {
	r := newDoctorRig(t)
	r.slackHTTP = true
	r.extra = "public_url: https://support.example.com\n"
	code, out, progress := r.run()
	if code != 0 {
		t.Errorf("exit %d, want 0 (a warning only):\n%s", code, out)
	}
	for _, want := range []string{
		"WARN  slack     HTTP mode: POST https://support.example.com/slack/events: unreachable from here",
		"fix: start the daemon (doctor may run beside it) and run doctor again",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if !strings.Contains(progress, "… slack: POST https://support.example.com/slack/events (a signed url_verification") {
		t.Errorf("progress:\n%s", progress)
	}
	if strings.Contains(out+progress, r.slack.Secret) {
		t.Error("the signing secret was printed")
	}
}

func TestDoctorReportsConfigProblems(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(testConfig+"outbox:\n  workerz: 3\n"), 0o600)
	code, out, _ := runCLI(t, "--config", path, "doctor")
	if code != 1 || !strings.Contains(out, "FAIL  config") || !strings.Contains(out, "workerz") {
		t.Errorf("doctor on a broken config: %d\n%s", code, out)
	}
}

// setWebhook registers a webhook directly at the fake, as another
// deployment of the same bot would have.
func setWebhook(t *testing.T, fake *faketelegram.Server, url string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"url": url, "secret_token": "other"})
	res, err := http.Post(fake.URL()+"/bot"+fake.Token()+"/setWebhook", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

// TestMailFix: the advice follows the kind of failure, not digits or words
// that happen to be in a host name or port.
func TestMailFix(t *testing.T) {
	for _, tc := range []struct{ err, want string }{
		{"connect to SMTP server 127.0.0.1:37535: dial tcp 127.0.0.1:37535: connect: connection refused", "nothing answers at"},
		{"connect to SMTP server auth.example.com:587: dial tcp: lookup auth.example.com: no such host", "nothing answers at"},
		{"SMTP AUTH: 535 5.7.8 Authentication credentials invalid", "refused the user name or password"},
		{"IMAP login as support@example.com: NO [AUTHENTICATIONFAILED]", "refused the user name or password"},
		{"tls: first record does not look like a TLS handshake", "TLS mode does not fit the port"},
	} {
		if got := mailFix("SMTP", errors.New(tc.err), "host:1", "INBOX"); !strings.Contains(got, tc.want) {
			t.Errorf("mailFix(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

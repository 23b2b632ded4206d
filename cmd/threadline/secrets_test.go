package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/adapters/telegram"
)

// secretForms are the ways a secret could show up in text: as is, URL-
// escaped (in a logged URL), base64 (in a logged Authorization header),
// hex, and JSON-quoted.
func secretForms(s string) []string {
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s), (&url.URL{User: url.UserPassword("u", s)}).String()[len("//u:"):],
		base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(s)),
		base64.RawStdEncoding.EncodeToString([]byte(s)), hex.EncodeToString([]byte(s))}
	if q, err := json.Marshal(s); err == nil {
		forms = append(forms, string(q[1:len(q)-1]))
	}
	for _, u := range []string{"u", "support@example.com"} {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte("\x00"+u+"\x00"+s)), base64.StdEncoding.EncodeToString([]byte(u+":"+s)))
	}
	return forms
}

// leaks reports every secret (in any of its forms) found in text.
func leaks(text string, secrets map[string]string) []string {
	var out []string
	for name, s := range secrets {
		for _, f := range secretForms(s) {
			if len(f) >= 8 && strings.Contains(text, f) {
				i := strings.Index(text, f)
				line := text[strings.LastIndexByte(text[:i], '\n')+1:]
				if j := strings.IndexByte(line, '\n'); j >= 0 {
					line = line[:j]
				}
				out = append(out, fmt.Sprintf("%s (as %q) in: %s", name, f, line))
				break
			}
		}
	}
	return out
}

// TestSecretsNeverLogged runs the daemon with every adapter on and
// distinctive secrets, drives traffic and failures (platforms refusing the
// credentials, failed sends, forged requests, wrong passwords, config
// errors), captures every log line, banner and CLI output, and looks for
// each secret in every obvious encoding.
func TestSecretsNeverLogged(t *testing.T) {
	good := map[string]string{
		"slack bot token":         "xoxb-1111-S3CRETslackBOTtoken",
		"slack app token":         "xapp-1-S3CRETslackAPPtoken",
		"slack signing secret":    "S3CRETslackSIGNINGsecret0123456789",
		"telegram bot token":      "424242:S3CRETtelegramBOTtoken_abcdefgh",
		"telegram webhook secret": "S3CRETtelegramHOOK_secret",
		"discord bot token":       "S3CRETdiscordBOT.token.abcdefghijklmnop",
		"imap password":           "S3CRETimap-p@ss:w/ord%x",
		"smtp password":           "S3CRETsmtp-p@ss:w/ord%y",
		"email token secret":      "S3CRETemailTOKENsecret-0123456789abcdef",
		"webchat token secret":    "S3CRETwebchatTOKENsecret-0123456789abcdef",
	}
	var out bytes.Buffer // everything the daemon and the CLI printed

	sl := fakeslack.NewTokens(good["slack bot token"], good["slack app token"], good["slack signing secret"])
	defer sl.Close()
	sl.AddUser("U0ALICE", "Alice")
	tg := faketelegram.New(good["telegram bot token"])
	defer tg.Close()
	dc := fakediscord.New(fakediscord.Options{Token: good["discord bot token"]})
	t.Cleanup(dc.Close)
	forum := dc.AddForum("support")
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{Username: "support@example.com", Password: good["imap password"]})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{Username: "support@example.com", Password: good["smtp password"]})
	config := func(s map[string]string, imapURL, smtpURL, addr string) string {
		return fmt.Sprintf(`
public_url: http://%[1]s
http: {listen: %[1]s}
admin: {listen: 127.0.0.1:0}
store: {path: threadline.db}
log: {level: debug}
console: {enabled: true}
webchat: {enabled: true, token_secret: %[2]q}
outbox: {base_backoff: 50ms, max_backoff: 200ms, pacing: {slack: {per_destination: 100, per_adapter: 100}, telegram: {per_destination: 100, per_adapter: 100}, email: {per_destination: 100, per_adapter: 100}}}
slack: {bot_token: %[3]q, app_token: %[4]q, signing_secret: %[5]q, channel_id: C0SUPPORT1, api_url: %[6]s}
telegram: {bot_token: %[7]q, webhook_secret: %[8]q, api_url: %[9]s}
discord: {bot_token: %[10]q, channel_id: %[11]q, api_url: %[12]s}
email:
  imap: {url: %[13]q}
  smtp: {url: %[14]q}
  from: "Example Support <support@example.com>"
  token_secret: %[15]q
`, addr, s["webchat token secret"], s["slack bot token"], s["slack app token"], s["slack signing secret"], sl.APIURL(),
			s["telegram bot token"], s["telegram webhook secret"], tg.URL(), s["discord bot token"], forum, dc.APIURL(),
			imapURL, smtpURL, s["email token secret"])
	}
	freeAddr := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}

	// Run 1: everything works, then fails in every way a platform can
	// refuse or break.
	dir := t.TempDir()
	addr := freeAddr()
	logs := newLogBuffer(t)
	d := startDaemonEnv(t, writeFile(t, dir, "config.yaml", config(good, imapSrv.URL(), smtpSrv.URL(), addr)), nil, logs)
	d.app.banner(&out)
	wait := 30 * time.Second
	adaptertest.Eventually(t, wait, func() bool { return sl.Connected() == 1 }, "Socket Mode connected")
	adaptertest.Eventually(t, wait, func() bool { return tg.WebhookInfo().URL != "" }, "Telegram webhook set")
	adaptertest.Eventually(t, wait, func() bool { _, _, c := dc.GatewayStats(); return c }, "Discord connected")

	anna := faketelegram.Customer{ID: 31, FirstName: "Anna"}
	v := newVisitor(t, d.http)
	say := func(round int) {
		tg.SendText(anna, fmt.Sprintf("telegram %d", round))
		v.say(fmt.Sprintf("web %d", round), fmt.Sprintf("w%d", round))
		raw := fmt.Sprintf("From: dana@customer.example\r\nTo: support@example.com\r\nSubject: Help\r\nMessage-ID: <s%d@customer.example>\r\n"+
			"In-Reply-To: <s0@customer.example>\r\n\r\nemail %d\r\n", round, round)
		if _, err := imapSrv.Append("", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"telegram", "web", "email"} {
			text := fmt.Sprintf("%s %d", text, round)
			adaptertest.Eventually(t, wait, func() bool { return slackThreadWith(sl, "C0SUPPORT1", text) != "" }, "%q in Slack", text)
			ev, _ := sl.StaffMessage("C0SUPPORT1", slackThreadWith(sl, "C0SUPPORT1", text), "U0ALICE", "answer to "+text)
			ackedEventually(t, sl, ev)
		}
	}
	say(0)
	adaptertest.Eventually(t, wait, func() bool { return len(smtpSrv.Messages()) == 1 && len(tg.Sent(anna.ID)) == 1 }, "replies sent")

	// The platforms refuse the credentials once each, and a send fails.
	sl.FailNext("chat.postMessage", "invalid_auth")
	sl.FailNext("users.info", "token_revoked")
	tg.FailNext("sendMessage", faketelegram.Fault{Status: 401, Description: "Unauthorized"})
	dc.Inject(fakediscord.Fault{Status: 401, Times: 2})
	smtpSrv.Fail(fakemail.Fault{Stage: "rcpt", Code: 451, Message: "try later"})
	sl.DropSockets()
	dc.DropGateway()
	say(1)
	adaptertest.Eventually(t, wait, func() bool { return len(smtpSrv.Messages()) >= 2 && len(tg.Sent(anna.ID)) >= 2 }, "replies after the failures")

	// Forged requests.
	hook := d.http + telegram.WebhookPath
	for _, secret := range []string{"", "wrong-secret"} {
		req, _ := http.NewRequest("POST", hook, strings.NewReader(`{"update_id":1}`))
		req.Header.Set(telegram.SecretHeader, secret)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	req := fakeslack.SignedRequest(d.http+"/slack/events", "application/json", []byte(`{"type":"event_callback"}`), "forged", time.Now())
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	adminToken, _ := os.ReadFile(filepath.Join(dir, "admin.token"))
	d.stop()

	// Run 2: every credential is wrong.
	bad := map[string]string{}
	for k, s := range good {
		bad["wrong "+k] = strings.Replace(s, "S3CRET", "S3CRETwrong", 1)
	}
	wrongIMAP := (&url.URL{Scheme: "imap", User: url.UserPassword("support@example.com", bad["wrong imap password"]), Host: imapSrv.Addr(), Path: "/INBOX", RawQuery: "tls=none"}).String()
	wrongSMTP := (&url.URL{Scheme: "smtp", User: url.UserPassword("support@example.com", bad["wrong smtp password"]), Host: smtpSrv.Addr(), RawQuery: "tls=none"}).String()
	dir2 := t.TempDir()
	logs2 := newLogBuffer(t)
	d2 := startDaemonEnv(t, writeFile(t, dir2, "config.yaml", config(map[string]string{
		"slack bot token": bad["wrong slack bot token"], "slack app token": bad["wrong slack app token"],
		"slack signing secret": bad["wrong slack signing secret"], "telegram bot token": bad["wrong telegram bot token"],
		"telegram webhook secret": bad["wrong telegram webhook secret"], "discord bot token": bad["wrong discord bot token"],
		"email token secret": bad["wrong email token secret"], "webchat token secret": bad["wrong webchat token secret"],
	}, wrongIMAP, wrongSMTP, freeAddr())), nil, logs2)
	d2.app.banner(&out)
	v2 := newVisitor(t, d2.http)
	v2.say("hello while every credential is wrong", "x1")
	for _, name := range []string{"slack", "telegram", "discord", "email"} {
		adaptertest.Eventually(t, wait, func() bool { return strings.Contains(logs2.String(), "adapter="+name) }, "%s fails on its credentials", name)
	}
	adaptertest.Eventually(t, wait, func() bool { return strings.Contains(logs2.String(), "outbox: delivery failed") }, "a failed send is logged")
	d2.stop()

	// Config errors, as check-config and serve print them.
	dir3 := t.TempDir()
	broken := map[string]string{
		"malformed telegram token": "S3CRET-not-a-bot-token",
		"malformed webhook secret": "S3CRET webhook secret!",
		"malformed slack token":    "S3CRETnot-xoxb",
		"short webchat secret":     "S3CRETshort",
		"smtp password in bad url": "S3CRETsmtpURLpass",
	}
	cfg3 := writeFile(t, dir3, "config.yaml", fmt.Sprintf(`
store: {path: threadline.db}
console: {enabled: true}
webchat: {enabled: true, token_secret: %q}
slack: {bot_token: %q, channel_id: C0SUPPORT1}
telegram: {bot_token: %q, webhook_secret: %q}
email:
  smtp: {url: "ftp://user:%s@mail.example:25"}
  imap: {url: "imap://user:%s@mail.example:143/INBOX?tls=bogus"}
`, broken["short webchat secret"], broken["malformed slack token"], broken["malformed telegram token"],
		broken["malformed webhook secret"], broken["smtp password in bad url"], broken["smtp password in bad url"]))
	// A secret pasted where a section belongs: YAML would quote its start.
	broken["misplaced telegram token"] = "S3CRET-misplaced-telegram-token"
	broken["misplaced slack token"] = "S3CRET-misplaced-slack-token"
	cfg4 := writeFile(t, dir3, "misplaced.yaml", fmt.Sprintf("console: {enabled: true}\ntelegram: %s\nslack: [%s]\n",
		broken["misplaced telegram token"], broken["misplaced slack token"]))
	for _, args := range [][]string{{"--config", cfg3, "check-config"}, {"--config", cfg3, "serve"}, {"--config", cfg4, "check-config"}} {
		var stdout, stderr bytes.Buffer
		code := run(args, strings.NewReader(""), &stdout, &stderr)
		if code == 0 {
			t.Errorf("%s accepted a broken config", args[2])
		}
		fmt.Fprintf(&out, "$ threadline %s (exit %d)\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	if !strings.Contains(out.String(), "bot_token") || !strings.Contains(out.String(), "token_secret") {
		t.Errorf("config errors not reported:\n%s", out.String())
	}

	all := map[string]string{"admin token": strings.TrimSpace(string(adminToken)), "web chat visitor token": v.token}
	for _, m := range []map[string]string{good, bad, broken} {
		for k, s := range m {
			all[k] = s
		}
	}
	text := logs.String() + logs2.String() + out.String()
	t.Logf("searched %d lines of logs and output for %d secrets in %d encodings each", strings.Count(text, "\n"), len(all), len(secretForms("x")))
	for _, l := range leaks(text, all) {
		t.Errorf("secret leaked: %s", l)
	}
	// Every secret above contains S3CRET: not even a piece may show.
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "S3CRET") {
			t.Errorf("part of a secret shown: %s", line)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/adapters/console"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store/postgres/pgtest"
)

// Replicas of the real wiring (buildApp) in this process, on one
// PostgreSQL database, each with its own listen addresses and data
// directory, all sharing one attachments directory (a symlink in each data
// directory, as a shared volume would be mounted), against the platform
// fakes. See docs/replicas.md.

const staffChan = "C0SUPPORT1"

// replicaSet is the database, the fakes and the config replicas share.
type replicaSet struct {
	t      *testing.T
	url    string
	slack  *fakeslack.Server
	tg     *faketelegram.Server
	dc     *fakediscord.Server // nil unless withDiscord
	imap   *fakemail.IMAPServer
	smtp   *fakemail.SMTPServer
	root   string
	shared string // the attachments directory every replica uses
	yaml   string
}

type replicaOpts struct {
	slackHTTP   bool // Slack in HTTP mode (signed events to /slack/events) instead of Socket Mode
	withDiscord bool // Discord (gateway) as a second staff surface
}

func newReplicaSet(t *testing.T, o replicaOpts) *replicaSet {
	t.Helper()
	pg, err := pgtest.Start()
	t.Cleanup(pg.Stop)
	pgtest.Need(t, pg, err)
	rs := &replicaSet{t: t, url: pg.NewDatabase(t), root: t.TempDir()}
	rs.shared = filepath.Join(rs.root, "shared-attachments")
	if err := os.Mkdir(rs.shared, 0o750); err != nil {
		t.Fatal(err)
	}
	rs.slack = fakeslack.New()
	t.Cleanup(rs.slack.Close)
	rs.slack.AddUser("U0ALICE", "Alice")
	rs.tg = faketelegram.New("")
	t.Cleanup(rs.tg.Close)
	rs.imap = fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	rs.smtp = fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	slackMode := "app_token: " + rs.slack.AppToken
	if o.slackHTTP {
		slackMode = "signing_secret: " + rs.slack.Secret
	}
	rs.yaml = fmt.Sprintf(`
http: {listen: "127.0.0.1:0", shutdown_timeout: 5s}
admin: {listen: "127.0.0.1:0"}
store: {path: %q}
webchat: {enabled: true, per_visitor_per_minute: 1000, per_ip_per_minute: 100000}
console: {enabled: true}
outbox:
  base_backoff: 50ms
  pacing:
    slack: {per_destination: 100, per_adapter: 200}
    telegram: {per_destination: 100, per_adapter: 200}
    email: {per_destination: 100, per_adapter: 200}
slack:
  bot_token: %s
  %s
  channel_id: %s
  api_url: %s
telegram:
  bot_token: %q
  api_url: %s
  poll_timeout: 1s
email:
  imap: {url: %q}
  smtp: {url: %q}
  from: "Example Support <support@example.com>"
`, rs.url, rs.slack.BotToken, slackMode, staffChan, rs.slack.APIURL(), rs.tg.Token(), rs.tg.URL(), rs.imap.URL(), rs.smtp.URL())
	if o.withDiscord {
		rs.dc = fakediscord.New(fakediscord.Options{})
		t.Cleanup(rs.dc.Close)
		forum := rs.dc.AddForum("support", "Open", "Waiting", "Closed")
		rs.yaml += fmt.Sprintf("discord: {bot_token: %s, channel_id: %q, api_url: %s}\n", rs.dc.Token(), forum, rs.dc.APIURL())
	}
	return rs
}

// replica is one replica of the set.
type replica struct {
	*daemon
	name string
	cfg  *config.Config
}

// start builds the named replicas at the same moment (migrations and
// shared secrets race as in a rolling deploy) and runs them.
func (rs *replicaSet) start(names ...string) []*replica {
	t := rs.t
	t.Helper()
	out := make([]*replica, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		dir := filepath.Join(rs.root, name)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(rs.shared, filepath.Join(dir, "attachments")); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		path := writeFile(t, dir, "config.yaml", rs.yaml)
		cfg, err := config.Load(path, config.MapEnv(nil))
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})).With("replica", name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := buildApp(context.Background(), cfg, log)
			if err != nil {
				errs[i] = fmt.Errorf("replica %s: %w", name, err)
				return
			}
			out[i] = &replica{name: name, cfg: cfg, daemon: &daemon{app: a, http: "http://" + a.httpLn.Addr().String()}}
		}()
	}
	wg.Wait()
	for i, r := range out {
		if errs[i] != nil {
			for _, r := range out {
				if r != nil {
					r.app.close()
				}
			}
			t.Fatal(errs[i])
		}
		tok, err := os.ReadFile(r.cfg.Admin.TokenFile)
		if err != nil {
			t.Fatal(err)
		}
		r.admin = &console.Client{BaseURL: "http://" + r.app.adminLn.Addr().String(), Token: strings.TrimSpace(string(tok))}
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel, r.done = cancel, make(chan error, 1)
		go func() { r.done <- r.app.run(ctx) }()
		t.Cleanup(r.stop)
	}
	return out
}

// leaderOf waits until exactly one of the running replicas leads and
// returns it and the others.
func leaderOf(t *testing.T, rs ...*replica) (*replica, []*replica) {
	t.Helper()
	var lead *replica
	var rest []*replica
	eventually(t, "one leader among the replicas", func() bool {
		lead, rest = nil, nil
		n := 0
		for _, r := range rs {
			if r.cancel != nil && r.app.leader.Load() {
				lead = r
				n++
			} else if r.cancel != nil {
				rest = append(rest, r)
			}
		}
		return n == 1
	})
	return lead, rest
}

// thread waits for the Slack thread a customer message is in, recorded
// in the store, and returns its ts and conversation.
func (rs *replicaSet) thread(r *replica, text string) (string, bridge.ConversationID) {
	rs.t.Helper()
	var ts string
	var conv bridge.ConversationID
	eventually(rs.t, "a Slack thread holding "+text, func() bool {
		ts = slackThreadWith(rs.slack, staffChan, text)
		if ts == "" {
			return false
		}
		c, err := r.app.st.ConversationByThread(context.Background(), "slack", bridge.ThreadRef(staffChan+"/"+ts))
		conv = c
		return err == nil
	})
	return ts, conv
}

// staffInSocket is a staff message in a Slack thread through Socket Mode
// (which only the leader holds).
func (rs *replicaSet) staffInSocket(thread, text string) {
	rs.t.Helper()
	ev, _ := rs.slack.StaffMessage(staffChan, thread, "U0ALICE", text)
	ackedEventually(rs.t, rs.slack, ev)
}

// staffOverHTTP is a staff message in a Slack thread as a signed HTTP
// event to replica r.
func (rs *replicaSet) staffOverHTTP(r *replica, thread, text string) {
	rs.t.Helper()
	ev, _ := rs.slack.StaffMessage(staffChan, thread, "U0ALICE", text)
	body, _ := json.Marshal(ev)
	res, err := http.DefaultClient.Do(fakeslack.SignedRequest(r.http+"/slack/events", "application/json", body, rs.slack.Secret, time.Now()))
	if err != nil {
		rs.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		rs.t.Fatalf("Slack event to %s: %s", r.name, res.Status)
	}
}

func (rs *replicaSet) mail(from, subject, msgID, text string) {
	rs.t.Helper()
	raw := fmt.Sprintf("From: %s\r\nTo: support@example.com\r\nSubject: %s\r\nMessage-ID: <%s>\r\n\r\n%s\r\n", from, subject, msgID, text)
	if _, err := rs.imap.Append("", []byte(raw)); err != nil {
		rs.t.Fatal(err)
	}
}

// mailsTo counts the emails to addr whose body holds text.
func (rs *replicaSet) mailsTo(addr, text string) int {
	n := 0
	for _, m := range rs.smtp.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) && strings.Contains(string(m.Data), text) {
				n++
			}
		}
	}
	return n
}

func (rs *replicaSet) telegramTo(chat int64, text string) int {
	n := 0
	for _, s := range rs.tg.Sent(chat) {
		if strings.Contains(s.Text, text) {
			n++
		}
	}
	return n
}

// noTwoPollers fails the test if a fake saw two pollers or gateway
// sessions at once.
func (rs *replicaSet) noTwoPollers() {
	rs.t.Helper()
	if o := rs.tg.PollOverlaps(); len(o) > 0 {
		rs.t.Errorf("two Telegram pollers at once:\n%s", strings.Join(o, "\n"))
	}
	if o := rs.slack.SocketOverlaps(); len(o) > 0 {
		rs.t.Errorf("two Slack Socket Mode connections at once:\n%s", strings.Join(o, "\n"))
	}
	if rs.dc != nil {
		if o := rs.dc.SessionOverlaps(); len(o) > 0 {
			rs.t.Errorf("two Discord gateway sessions at once:\n%s", strings.Join(o, "\n"))
		}
	}
}

func count(texts []string, text string) int {
	n := 0
	for _, s := range texts {
		if strings.Contains(s, text) {
			n++
		}
	}
	return n
}

// postFile posts a web chat message with one file to base.
func postFile(t *testing.T, base, token, text, name string, data []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("text", text)
	mw.WriteField("client_id", "file-1")
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/chat/api/messages", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("file post to %s: %s %s", base, res.Status, b)
	}
}

// historyFiles returns the paths of the file links of the visitor's history on base.
func historyFiles(t *testing.T, base, token string) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/chat/api/messages", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var h struct {
		Messages []struct {
			Attachments []struct {
				URL string `json:"url"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	json.NewDecoder(res.Body).Decode(&h)
	var out []string
	for _, m := range h.Messages {
		for _, f := range m.Attachments {
			// Links are absolute (public_url); keep the path to ask any replica.
			if u, err := url.Parse(f.URL); err == nil {
				out = append(out, u.RequestURI())
			}
		}
	}
	return out
}

// TestTwoReplicasCarryEveryMessageOnce runs two replicas on one database:
// Telegram, email and web chat messages (web chat posted to both) reach
// the staff thread once; staff replies reach the customer once whichever
// replica took them; a visitor connected to the follower sees replies
// live; watch on the follower sees the events; a visitor token and a file
// one replica took work on the other; /readyz and /metrics tell leader
// from follower, and only the leader polls and holds the Socket Mode
// connection. Then the leader stops and the follower takes over.
func TestTwoReplicasCarryEveryMessageOnce(t *testing.T) {
	rs := newReplicaSet(t, replicaOpts{})
	both := rs.start("a", "b")
	lead, rest := leaderOf(t, both...)
	fol := rest[0]
	t.Logf("replica %s leads, %s follows", lead.name, fol.name)
	ctx := context.Background()

	// Roles: the banner, /readyz, /metrics, and the fakes.
	for _, r := range both {
		var b strings.Builder
		r.app.banner(&b)
		if !strings.Contains(b.String(), "replica: campaigning for leadership") || !strings.Contains(b.String(), "postgres") {
			t.Errorf("%s banner:\n%s", r.name, b.String())
		}
	}
	eventually(t, "the leader's adapters connected", func() bool {
		code, body := readyz(t, lead.http)
		return code == 200 && strings.Contains(body, "ok   role: leader\n") &&
			strings.Contains(body, "telegram: connected") && strings.Contains(body, "slack: connected") && strings.Contains(body, "email: connected")
	})
	code, body := readyz(t, fol.http)
	for _, want := range []string{"ok   role: follower", "ok   telegram: runs on the leader", "ok   slack: runs on the leader",
		"ok   email: runs on the leader", "ok   webchat: connected", "ok   console: connected"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("follower /readyz %d lacks %q:\n%s", code, want, body)
		}
	}
	for _, r := range both {
		m, _ := scrape(t, r.http, "")
		want := 0.0
		if r == lead {
			want = 1
		}
		if m["threadline_leader"] != want || m["threadline_leadership_changes_total"] != want {
			t.Errorf("%s metrics: threadline_leader %v, leadership_changes_total %v; want %v", r.name,
				m["threadline_leader"], m["threadline_leadership_changes_total"], want)
		}
		if r != lead && m[`threadline_adapter_connected{adapter="telegram"}`] != 0 {
			t.Errorf("the follower reports Telegram connected")
		}
	}
	if n := rs.slack.Connected(); n != 1 {
		t.Errorf("%d Socket Mode connections, want the leader's only", n)
	}
	w := watch(t, fol.admin)

	// Customers write: Telegram and email reach the leader's pollers; web
	// chat is posted to both replicas, with a visitor token the follower
	// issued.
	anna := faketelegram.Customer{ID: 4242, FirstName: "Anna"}
	rs.tg.SendText(anna, "tg: my parcel is late")
	rs.mail("Dana <dana@customer.example>", "Broken login", "d1@customer.example", "mail: I cannot log in")
	v := newVisitor(t, fol.http)
	v.connect(fol.http)
	v.say("web: hello from the follower", "w1")
	v.base = lead.http
	v.say("web: and again through the leader", "w2")
	v.base = fol.http
	// A second visitor: its token from the leader, its socket on the follower.
	v2 := newVisitor(t, lead.http)
	v2.connect(fol.http)
	v2.say("web2: token from the leader", "x1")

	tgThread, tgConv := rs.thread(fol, "tg: my parcel is late")
	mailThread, mailConv := rs.thread(fol, "mail: I cannot log in")
	webThread, webConv := rs.thread(fol, "web: hello from the follower")
	web2Thread, _ := rs.thread(lead, "web2: token from the leader")
	if th, _ := rs.thread(fol, "web: and again through the leader"); th != webThread {
		t.Errorf("the visitor's messages to the two replicas are in threads %s and %s", webThread, th)
	}
	_ = mailThread

	// Staff answer in Slack (Socket Mode, on the leader) and through the
	// admin API of either replica.
	rs.staffInSocket(tgThread, "Staff: it ships today")
	rs.staffInSocket(webThread, "Staff: hello web visitor")
	if res, err := fol.admin.Say(ctx, console.SayRequest{Conversation: int64(mailConv), Text: "Staff: password reset, try again", As: "Bob"}); err != nil || res.Error {
		t.Fatalf("say on the follower: %+v %v", res, err)
	}
	if res, err := lead.admin.Say(ctx, console.SayRequest{Conversation: int64(webConv), Text: "Staff: said through the leader", As: "Bob"}); err != nil || res.Error {
		t.Fatalf("say on the leader: %+v %v", res, err)
	}
	if res, err := fol.admin.Say(ctx, console.SayRequest{Conversation: int64(tgConv), Text: "Staff: said through the follower", As: "Bob"}); err != nil || res.Error {
		t.Fatalf("say on the follower: %+v %v", res, err)
	}
	rs.staffInSocket(web2Thread, "Staff: hello second visitor")

	eventually(t, "every reply at its customer", func() bool {
		return rs.telegramTo(anna.ID, "it ships today") == 1 && rs.telegramTo(anna.ID, "said through the follower") == 1 &&
			rs.mailsTo("dana@customer.example", "password reset") == 1 &&
			count(v.staffTexts(), "hello web visitor") == 1 && count(v.staffTexts(), "said through the leader") == 1 &&
			count(v2.staffTexts(), "hello second visitor") == 1
	})
	eventually(t, "watch on the follower sees the leader's events", func() bool {
		_, post := w.find(func(e console.Event) bool { return e.Type == "post" && e.Text == "tg: my parcel is late" })
		_, receipt := w.find(func(e console.Event) bool { return e.Type == "receipt" && e.OK && e.Conversation == int64(mailConv) })
		return post && receipt
	})

	// A file the visitor sends to the follower goes to Slack from the
	// leader, and the leader serves it back to the visitor.
	postFile(t, fol.http, v.token, "web: a screenshot", "shot.png", []byte("\x89PNG\r\n\x1a\nnot really"))
	eventually(t, "the file uploaded to Slack by the leader", func() bool {
		for _, u := range rs.slack.Uploads() {
			if u.Name == "shot.png" && u.ThreadTS == webThread {
				return true
			}
		}
		return false
	})
	links := historyFiles(t, lead.http, v.token)
	if len(links) != 1 {
		t.Fatalf("file links in the history on the leader: %q", links)
	}
	if code, body := getStatus(t, lead.http+links[0]); code != 200 || !strings.Contains(body, "not really") {
		t.Errorf("the leader serving the follower's file: %d %s", code, body)
	}

	// Exactly once, after everything settled.
	time.Sleep(time.Second)
	for _, text := range []string{"tg: my parcel is late", "mail: I cannot log in", "web: hello from the follower",
		"web: and again through the leader", "web2: token from the leader", "web: a screenshot"} {
		if n := slackCount(rs.slack, staffChan, text); n != 1 {
			t.Errorf("%q is in the Slack threads %d times, want once", text, n)
		}
	}
	if n := len(rs.slack.Parents(staffChan)); n != 4 {
		t.Errorf("%d ticket cards, want 4", n)
	}
	if n := rs.telegramTo(anna.ID, "it ships today") + rs.telegramTo(anna.ID, "said through the follower"); n != 2 {
		t.Errorf("Telegram customer got %d replies, want 2", n)
	}
	if n := rs.mailsTo("dana@customer.example", "password reset"); n != 1 {
		t.Errorf("email customer got the reply %d times", n)
	}
	if got := v.staffTexts(); len(got) != 2 {
		t.Errorf("the visitor on the follower saw %q live, want two replies once each", got)
	}
	if n := rs.slack.Connected(); n != 1 {
		t.Errorf("%d Socket Mode connections, want 1", n)
	}
	rs.noTwoPollers()

	// The leader stops (a deploy): the follower takes over and carries on.
	stopped := time.Now()
	lead.stop()
	eventually(t, "the follower leads", func() bool { return fol.app.leader.Load() })
	t.Logf("takeover after a clean stop: %s", time.Since(stopped).Round(10*time.Millisecond))
	eventually(t, "the new leader's adapters connected", func() bool {
		code, body := readyz(t, fol.http)
		return code == 200 && strings.Contains(body, "ok   role: leader\n") && strings.Contains(body, "telegram: connected")
	})
	rs.tg.SendText(anna, "tg: after the handover")
	eventually(t, "the message after the handover in its thread", func() bool {
		return slackCount(rs.slack, staffChan, "tg: after the handover") == 1
	})
	if th, _ := rs.thread(fol, "tg: after the handover"); th != tgThread {
		t.Errorf("after the handover Telegram went to thread %s, not %s", th, tgThread)
	}
	rs.staffInSocket(tgThread, "Staff: the new leader answers")
	eventually(t, "the new leader's reply", func() bool { return rs.telegramTo(anna.ID, "the new leader answers") == 1 })
	time.Sleep(500 * time.Millisecond)
	if n := slackCount(rs.slack, staffChan, "tg: after the handover"); n != 1 {
		t.Errorf("the message after the handover is in Slack %d times", n)
	}
	m, _ := scrape(t, fol.http, "")
	if m["threadline_leader"] != 1 || m["threadline_leadership_changes_total"] != 1 {
		t.Errorf("new leader's metrics: leader %v, changes %v", m["threadline_leader"], m["threadline_leadership_changes_total"])
	}
	rs.noTwoPollers()
}

// TestSlackHTTPEventsToTheFollower: with Slack in HTTP mode any replica
// may get an event; staff replies and commands posted to the follower
// reach the customer once (the leader sends them).
func TestSlackHTTPEventsToTheFollower(t *testing.T) {
	rs := newReplicaSet(t, replicaOpts{slackHTTP: true})
	both := rs.start("a", "b")
	lead, rest := leaderOf(t, both...)
	fol := rest[0]
	anna := faketelegram.Customer{ID: 77, FirstName: "Anna"}
	rs.tg.SendText(anna, "tg: where is my refund")
	thread, conv := rs.thread(fol, "tg: where is my refund")

	rs.staffOverHTTP(fol, thread, "Staff: refund sent yesterday")
	rs.staffOverHTTP(lead, thread, "Staff: and a voucher")
	eventually(t, "both replies at the customer", func() bool {
		return rs.telegramTo(anna.ID, "refund sent yesterday") == 1 && rs.telegramTo(anna.ID, "and a voucher") == 1
	})
	// A command as a mention of the bot, to the follower, is a command
	// there too: it claims and is not sent to the customer.
	eventually(t, "the leader identified the bot", func() bool {
		code, body := readyz(t, lead.http)
		return code == 200 && strings.Contains(body, "slack: connected")
	})
	rs.staffOverHTTP(fol, thread, "<@UBOT> claim")
	eventually(t, "the mention claims the conversation", func() bool {
		c, err := fol.app.st.Conversation(context.Background(), conv)
		return err == nil && c.Owner != ""
	})
	time.Sleep(time.Second)
	for _, s := range rs.tg.Sent(anna.ID) {
		if strings.Contains(s.Text, "claim") {
			t.Errorf("the command reached the customer: %q", s.Text)
		}
	}
	if n := rs.telegramTo(anna.ID, "refund sent yesterday") + rs.telegramTo(anna.ID, "and a voucher"); n != 2 {
		t.Errorf("the customer got %d replies, want 2", n)
	}
	if n := slackCount(rs.slack, staffChan, "tg: where is my refund"); n != 1 {
		t.Errorf("the customer message is in Slack %d times", n)
	}
	rs.noTwoPollers()
}

// leaderLockPID is the server process of the connection holding the
// leader lock.
func leaderLockPID(t *testing.T, db *sql.DB) int {
	t.Helper()
	var pid int
	err := db.QueryRow(`SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND a.application_name = 'threadline-leader-lock'`).Scan(&pid)
	if err != nil {
		t.Fatalf("the leader's lock connection: %v", err)
	}
	return pid
}

// TestLeaderWhoseConnectionIsCutStepsDownWithoutASecondPoller terminates
// the leader's lock connection (pg_terminate_backend) while it long-polls
// Telegram and holds the Slack and Discord connections, several times:
// each time the leader steps down and a replica takes over, and the fakes
// never see two pollers or two gateway sessions at once. Messages sent
// throughout arrive once.
func TestLeaderWhoseConnectionIsCutStepsDownWithoutASecondPoller(t *testing.T) {
	rs := newReplicaSet(t, replicaOpts{withDiscord: true})
	all := rs.start("a", "b")
	db, err := sql.Open("pgx", rs.url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	anna := faketelegram.Customer{ID: 99, FirstName: "Anna"}
	sent := 0
	for cut := range 3 {
		lead, _ := leaderOf(t, all...)
		eventually(t, "the leader polls Telegram and holds the gateways", func() bool {
			_, _, dcUp := rs.dc.GatewayStats()
			code, body := readyz(t, lead.http)
			return code == 200 && strings.Contains(body, "telegram: connected") && dcUp && rs.slack.Connected() == 1
		})
		polls := rs.tg.Calls("getUpdates")
		eventually(t, "a long poll in progress", func() bool { return rs.tg.Calls("getUpdates") > polls+1 })
		pid := leaderLockPID(t, db)
		cutAt := time.Now()
		if _, err := db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the cut leader steps down", func() bool { return !lead.app.leader.Load() })
		down := time.Since(cutAt)
		next, _ := leaderOf(t, all...)
		t.Logf("cut %d: %s stepped down after %s; %s leads after %s", cut+1, lead.name, down.Round(time.Millisecond),
			next.name, time.Since(cutAt).Round(time.Millisecond))
		rs.tg.SendText(anna, fmt.Sprintf("tg: message %d after the cut", cut))
		sent++
	}
	for i := range sent {
		text := fmt.Sprintf("tg: message %d after the cut", i)
		eventually(t, text+" in Slack", func() bool { return slackCount(rs.slack, staffChan, text) >= 1 })
	}
	time.Sleep(time.Second)
	for i := range sent {
		if n := slackCount(rs.slack, staffChan, fmt.Sprintf("tg: message %d after the cut", i)); n != 1 {
			t.Errorf("message %d is in Slack %d times", i, n)
		}
	}
	rs.noTwoPollers()
}

package crashtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// scale is how much traffic the crash test pushes.
type scale struct {
	name                     string
	telegram, email, webchat int           // customers per channel
	perCustomer              int           // messages each customer writes
	replies                  int           // staff replies per conversation
	kills                    int           // SIGKILLs at least
	spread                   time.Duration // traffic is spread over this long
	converge                 time.Duration // how long the last run may take to catch up
}

// sizes: CI=true (or CRASHTEST_SIZE=small) runs the small size, which
// stays well under three minutes on two cores; otherwise the large one.
func sizes() scale {
	small := scale{name: "small", telegram: 30, email: 15, webchat: 30, perCustomer: 16, replies: 4, kills: 20,
		spread: 45 * time.Second, converge: 2 * time.Minute}
	large := scale{name: "large", telegram: 50, email: 25, webchat: 50, perCustomer: 24, replies: 6, kills: 30,
		spread: 75 * time.Second, converge: 3 * time.Minute}
	switch os.Getenv("CRASHTEST_SIZE") {
	case "small":
		return small
	case "large":
		return large
	}
	if os.Getenv("CI") != "" {
		return small
	}
	return large
}

const staffChannel = "C0SUPPORT1"

var (
	customerMarker = regexp.MustCompile(`m/([a-z]+[0-9]+)/([0-9]+)/`)
	replyMarker    = regexp.MustCompile(`r/([a-z]+[0-9]+)/([0-9]+)/`)
)

// customer is one simulated customer; key names it in every marker.
type customer struct {
	key     string
	channel string // telegram, email, webchat
	tg      faketelegram.Customer
	addr    string // email address
	token   string // web chat visitor token
	acked   atomic.Int64
}

// TestCrashRestartLosesNothing is the crash suite: the real binary runs
// against fake Telegram, Slack (Socket Mode) and IMAP/SMTP servers and its
// own web chat, customers and staff write thousands of messages, and the
// daemon is killed with SIGKILL at random moments and restarted each time.
// Afterwards every customer message must be in its conversation's Slack
// thread (duplicates are counted: a send in flight when the process dies
// may repeat), every staff reply must have reached its customer in order,
// and no conversation may have lost its thread.
func TestCrashRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash suite: skipped with -short")
	}
	sz := sizes()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("CRASHTEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	syncMode := os.Getenv("CRASHTEST_SYNCHRONOUS")
	if syncMode == "" {
		syncMode = "normal"
	}
	t.Logf("size %s, seed %d (CRASHTEST_SEED), store.synchronous=%s", sz.name, seed, syncMode)
	rng := rand.New(rand.NewPCG(seed, 11))
	began := time.Now()

	exe := buildBinary(t)
	slack := fakeslack.New()
	defer slack.Close()
	slack.AddUser("U0ALICE", "Alice")
	tg := faketelegram.New("")
	defer tg.Close()
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})

	dir := t.TempDir()
	httpAddr := freeAddr(t)
	base := "http://" + httpAddr
	cfg := daemonConfig(httpAddr, freeAddr(t), fmt.Sprintf("{path: threadline.db, synchronous: %s}", syncMode),
		slack.BotToken, slack.AppToken, staffChannel, slack.APIURL(), tg.Token(), tg.URL(), imapSrv.URL(), smtpSrv.URL(), "")
	d := newDaemon(t, exe, dir, cfg)

	// First run: wait until it serves, then open the web chat sessions.
	d.start()
	waitReady(t, d, base)
	var customers []*customer
	for i := range sz.telegram {
		customers = append(customers, &customer{key: fmt.Sprintf("tg%d", i), channel: "telegram",
			tg: faketelegram.Customer{ID: int64(7000 + i), FirstName: fmt.Sprintf("Tg%d", i)}})
	}
	for i := range sz.email {
		customers = append(customers, &customer{key: fmt.Sprintf("em%d", i), channel: "email",
			addr: fmt.Sprintf("em%d@customer.example", i)})
	}
	for i := range sz.webchat {
		c := &customer{key: fmt.Sprintf("wc%d", i), channel: "webchat"}
		tok, err := newSession(base)
		if err != nil {
			t.Fatal(err)
		}
		c.token = tok
		customers = append(customers, c)
	}

	// The thread index maps customers to the Slack thread their messages are in.
	idx := &threadIndex{threads: map[string]string{}}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		for {
			idx.refresh(slack)
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()

	// Traffic: each customer writes perCustomer messages at random moments
	// over the spread; each conversation gets `replies` staff replies.
	var traffic sync.WaitGroup
	var failures atomic.Value
	fail := func(err error) { failures.CompareAndSwap(nil, err) }
	for n, c := range customers {
		r := rand.New(rand.NewPCG(seed, uint64(n)+100))
		r2 := rand.New(rand.NewPCG(seed, uint64(n)+10000))
		gap := sz.spread / time.Duration(sz.perCustomer)
		traffic.Add(2)
		go func() {
			defer traffic.Done()
			for j := range sz.perCustomer {
				time.Sleep(gap/2 + time.Duration(r.Int64N(int64(gap))))
				if err := c.write(tg, imapSrv, base, j, stop); err != nil {
					fail(err)
					return
				}
			}
		}()
		go func() {
			defer traffic.Done()
			thread := idx.wait(c.key, stop)
			gap := sz.spread / time.Duration(sz.replies+1)
			for j := range sz.replies {
				time.Sleep(gap/2 + time.Duration(r2.Int64N(int64(gap))))
				ev, _ := slack.StaffMessage(staffChannel, thread, "U0ALICE", fmt.Sprintf("Answer r/%s/%d/ from staff", c.key, j))
				if !sendUntilAcked(slack, ev, stop) {
					return
				}
				c.acked.Add(1)
			}
		}()
	}
	trafficDone := make(chan struct{})
	go func() { traffic.Wait(); close(trafficDone) }()

	// The killer: SIGKILL at random moments until the traffic is done and
	// at least sz.kills kills happened.
	kills := 0
	interval := sz.spread / time.Duration(sz.kills)
	finished := false
	for !finished || kills < sz.kills {
		wait := interval/4 + time.Duration(rng.Int64N(int64(interval*3/2)))
		select {
		case <-trafficDone:
			finished = true
		case <-time.After(wait):
		}
		if finished && kills >= sz.kills {
			break
		}
		if d.exited() {
			close(stop)
			t.Fatalf("the daemon exited on its own (%v):\n%s", d.cur.err, logTail(d.cur.logPath, 40))
		}
		d.kill()
		kills++
		time.Sleep(time.Duration(rng.Int64N(int64(200 * time.Millisecond))))
		d.start()
		if err, _ := failures.Load().(error); err != nil {
			close(stop)
			t.Fatal(err)
		}
	}
	trafficTime := time.Since(began)

	// The last run catches up.
	var rep report
	deadline := time.Now().Add(sz.converge)
	for {
		rep = check(customers, sz, slack, tg, imapSrv, smtpSrv, base)
		rep.kills = kills
		if rep.complete() || time.Now().After(deadline) || d.exited() {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	close(stop)
	bg.Wait()
	if d.exited() {
		t.Fatalf("the last run exited on its own (%v):\n%s", d.cur.err, logTail(d.cur.logPath, 40))
	}
	took, err := d.term(30 * time.Second)
	if err != nil {
		t.Errorf("SIGTERM after the run: %v (after %s)\n%s", err, took, logTail(runLog(dir, d.runs), 30))
	}
	rep.duration = time.Since(began)
	rep.sync = syncMode
	checkDatabase(t, dir, customers, slack)

	t.Logf("traffic and kills took %s, catching up %s", trafficTime.Round(time.Second), (rep.duration - trafficTime).Round(time.Second))
	t.Logf("%s", rep.String())
	fmt.Printf("CRASH-RESULT %s\n", rep.line())

	if bad := scanLogs(dir, "panic:", "fatal error:", "DATA RACE", "database disk image is malformed"); len(bad) > 0 {
		t.Errorf("daemon logs show crashes of its own:\n%s", strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
	if rep.missing != "" {
		t.Logf("examples: %s", rep.missing)
	}
	if rep.lostCustomer > 0 || rep.lostReplies > 0 {
		t.Errorf("LOST: %d customer messages, %d staff replies (%s)", rep.lostCustomer, rep.lostReplies, rep.missing)
	}
	if os.Getenv("CRASHTEST_KEEP") != "" {
		keep := fmt.Sprintf("%s/crashtest-%d", os.TempDir(), seed)
		if err := os.CopyFS(keep, os.DirFS(dir)); err == nil {
			t.Logf("kept the database and logs in %s", keep)
		}
	}
	if rep.wrongThread > 0 || rep.orderCustomer > 0 || rep.orderReplies > 0 {
		t.Errorf("%d customer messages in a thread other than their conversation's; order broken %d times (customer) and %d times (replies)",
			rep.wrongThread, rep.orderCustomer, rep.orderReplies)
	}
	if rep.pendingUpdates > 0 || rep.unseenMail > 0 {
		t.Errorf("upstream not acknowledged at the end: %d Telegram updates, %d emails not \\Seen", rep.pendingUpdates, rep.unseenMail)
	}
	// A send in flight when the process dies may repeat once; with
	// outbox.workers sends in flight (8 by default) that bounds the
	// duplicates per crash.
	if limit := kills * 8; rep.dupCustomer+rep.dupReplies+rep.orphanCards > limit {
		t.Errorf("%d duplicates for %d kills: more than the sends that can be in flight", rep.dupCustomer+rep.dupReplies+rep.orphanCards, kills)
	}
}

func runLog(dir string, run int) string { return fmt.Sprintf("%s/run-%03d.log", dir, run) }

// write sends customer message j on the customer's channel; web chat
// retries until the daemon answers 202 (the widget does the same).
func (c *customer) write(tg *faketelegram.Server, imapSrv *fakemail.IMAPServer, base string, j int, stop chan struct{}) error {
	text := fmt.Sprintf("Hello m/%s/%d/ — my order is late", c.key, j)
	switch c.channel {
	case "telegram":
		tg.SendText(c.tg, text)
	case "email":
		// A fresh email is a new conversation; follow-ups answer the
		// previous one, as a mail client does.
		thread := ""
		if j > 0 {
			thread = fmt.Sprintf("In-Reply-To: <%s.%d@customer.example>\r\nReferences: <%s.0@customer.example> <%s.%d@customer.example>\r\n",
				c.key, j-1, c.key, c.key, j-1)
		}
		raw := fmt.Sprintf("From: Customer %s <%s>\r\nTo: support@example.com\r\nSubject: Order question from %s\r\n"+
			"Message-ID: <%s.%d@customer.example>\r\n%sDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			c.key, c.addr, c.key, c.key, j, thread, time.Now().Format(time.RFC1123Z), text)
		if _, err := imapSrv.Append("", []byte(raw)); err != nil {
			return err
		}
	case "webchat":
		body, _ := json.Marshal(map[string]any{"text": text, "client_id": fmt.Sprintf("%s-%d", c.key, j), "name": "Web " + c.key})
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			req, _ := http.NewRequest("POST", base+"/chat/api/messages", strings.NewReader(string(body)))
			req.Header.Set("Authorization", "Bearer "+c.token)
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err == nil {
				res.Body.Close()
				switch {
				case res.StatusCode == http.StatusAccepted:
					return nil
				case res.StatusCode != http.StatusServiceUnavailable && res.StatusCode != http.StatusTooManyRequests:
					return fmt.Errorf("web chat %s: %s", c.key, res.Status)
				}
			}
			select {
			case <-stop:
				return errors.New("stopped before the web chat message was accepted")
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// sendUntilAcked delivers a Socket Mode envelope as Slack does: an
// envelope that is not acknowledged is sent again.
func sendUntilAcked(s *fakeslack.Server, ev map[string]any, stop chan struct{}) bool {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := s.Send(ctx, "events_api", ev)
		cancel()
		if err == nil {
			return true
		}
		select {
		case <-stop:
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitReady(t *testing.T, d *daemon, base string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if d.exited() || time.Now().After(deadline) {
			t.Fatalf("daemon not ready:\n%s", logTail(d.cur.logPath, 40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newSession(base string) (string, error) {
	res, err := http.Post(base+"/chat/api/session", "application/json", nil)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var s struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || s.Token == "" {
		return "", fmt.Errorf("session: %s %v", res.Status, err)
	}
	return s.Token, nil
}

// threadIndex remembers, per customer, the Slack thread their messages
// appear in.
type threadIndex struct {
	mu      sync.Mutex
	threads map[string]string
}

func (x *threadIndex) refresh(s *fakeslack.Server) {
	found := map[string]string{}
	for _, m := range s.Messages() {
		if m.Channel != staffChannel || m.ThreadTS == "" || m.Ephemeral {
			continue
		}
		if sm := customerMarker.FindStringSubmatch(m.Text); sm != nil {
			if _, ok := found[sm[1]]; !ok {
				found[sm[1]] = m.ThreadTS
			}
		}
	}
	x.mu.Lock()
	x.threads = found
	x.mu.Unlock()
}

func (x *threadIndex) wait(key string, stop chan struct{}) string {
	for {
		x.mu.Lock()
		th := x.threads[key]
		x.mu.Unlock()
		if th != "" {
			return th
		}
		select {
		case <-stop:
			return ""
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// report is what the crash test found.
type report struct {
	customerMsgs, staffReplies, kills int
	lostCustomer, dupCustomer         int
	lostReplies, dupReplies           int
	orderCustomer, orderReplies       int
	wrongThread, orphanCards          int
	pendingUpdates, unseenMail        int
	missing                           string
	duration                          time.Duration
	sync                              string
}

func (r report) complete() bool {
	return r.lostCustomer == 0 && r.lostReplies == 0 && r.pendingUpdates == 0 && r.unseenMail == 0
}

func (r report) line() string {
	return fmt.Sprintf("messages=%d staff_replies=%d kills=%d lost=%d duplicated=%d (customer %d, replies %d, extra cards %d) order_violations=%d wrong_thread=%d synchronous=%s duration=%s",
		r.customerMsgs, r.staffReplies, r.kills, r.lostCustomer+r.lostReplies, r.dupCustomer+r.dupReplies+r.orphanCards,
		r.dupCustomer, r.dupReplies, r.orphanCards, r.orderCustomer+r.orderReplies, r.wrongThread, r.sync, r.duration.Round(time.Second))
}

func (r report) String() string {
	return fmt.Sprintf("%d customer messages and %d staff replies, %d SIGKILLs: lost %d customer messages and %d replies; "+
		"duplicated %d customer posts and %d replies, %d extra ticket cards; %d order violations; %d in a wrong thread",
		r.customerMsgs, r.staffReplies, r.kills, r.lostCustomer, r.lostReplies, r.dupCustomer, r.dupReplies, r.orphanCards,
		r.orderCustomer+r.orderReplies, r.wrongThread)
}

// check compares what the fakes saw with what the customers and staff sent.
func check(customers []*customer, sz scale, slack *fakeslack.Server, tg *faketelegram.Server,
	imapSrv *fakemail.IMAPServer, smtpSrv *fakemail.SMTPServer, base string) report {
	var r report
	var missing []string

	// Customer messages in Slack threads, in posting order.
	type occ struct {
		thread string
		n      int
	}
	posts := map[string][]occ{}
	threadsWithPosts := map[string]bool{}
	var parents []string
	for _, m := range slack.Messages() {
		if m.Channel != staffChannel || m.Ephemeral {
			continue
		}
		if m.ThreadTS == "" {
			parents = append(parents, m.TS)
			continue
		}
		if sm := customerMarker.FindStringSubmatch(m.Text); sm != nil {
			n, _ := strconv.Atoi(sm[2])
			posts[sm[1]] = append(posts[sm[1]], occ{m.ThreadTS, n})
			threadsWithPosts[m.ThreadTS] = true
		}
	}
	for _, p := range parents {
		if !threadsWithPosts[p] {
			r.orphanCards++
		}
	}
	for _, c := range customers {
		r.customerMsgs += sz.perCustomer
		seen := map[int]int{}
		last := -1
		for _, o := range posts[c.key] {
			if o.thread != posts[c.key][0].thread {
				r.wrongThread++
				if len(missing) < 10 {
					missing = append(missing, fmt.Sprintf("m/%s/%d/ in thread %s, not %s", c.key, o.n, o.thread, posts[c.key][0].thread))
				}
			}
			seen[o.n]++
			if seen[o.n] == 1 {
				if o.n < last {
					r.orderCustomer++
				}
				last = o.n
			}
		}
		for j := range sz.perCustomer {
			switch n := seen[j]; {
			case n == 0:
				r.lostCustomer++
				if len(missing) < 10 {
					missing = append(missing, fmt.Sprintf("m/%s/%d/", c.key, j))
				}
			case n > 1:
				r.dupCustomer += n - 1
			}
		}
	}

	// Staff replies as each customer received them.
	mail := map[string][]string{}
	for _, m := range smtpSrv.Messages() {
		for _, to := range m.To {
			mail[strings.ToLower(to)] = append(mail[strings.ToLower(to)], string(m.Data))
		}
	}
	for _, c := range customers {
		want := int(c.acked.Load())
		r.staffReplies += want
		var got []string
		switch c.channel {
		case "telegram":
			for _, s := range tg.Sent(c.tg.ID) {
				got = append(got, s.Text)
			}
		case "email":
			got = mail[c.addr]
		case "webchat":
			got = staffHistory(base, c.token)
		}
		seen := map[int]int{}
		last := -1
		for _, text := range got {
			sm := replyMarker.FindStringSubmatch(text)
			if sm == nil || sm[1] != c.key {
				continue
			}
			n, _ := strconv.Atoi(sm[2])
			seen[n]++
			if seen[n] == 1 {
				if n < last {
					r.orderReplies++
				}
				last = n
			}
		}
		for j := range want {
			switch n := seen[j]; {
			case n == 0:
				r.lostReplies++
				if len(missing) < 10 {
					missing = append(missing, fmt.Sprintf("r/%s/%d/", c.key, j))
				}
			case n > 1:
				r.dupReplies += n - 1
			}
		}
	}
	r.pendingUpdates = tg.Pending()
	if ms, err := imapSrv.Messages(""); err == nil {
		for _, m := range ms {
			if !m.Seen() {
				r.unseenMail++
			}
		}
	}
	slices.Sort(missing)
	r.missing = strings.Join(missing, " ")
	return r
}

// staffHistory is the staff messages a web chat visitor sees in the widget.
func staffHistory(base, token string) []string {
	req, _ := http.NewRequest("GET", base+"/chat/api/messages", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var h struct {
		Messages []struct {
			From string `json:"from"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	if json.NewDecoder(res.Body).Decode(&h) != nil {
		return nil
	}
	var out []string
	for _, m := range h.Messages {
		if m.From == "staff" {
			out = append(out, m.Text)
		}
	}
	return out
}

// checkDatabase opens the database the daemon left behind: it is intact,
// and each conversation's active Slack thread is the one its messages are
// in (no conversation lost its thread mapping).
func checkDatabase(t *testing.T, dir string, customers []*customer, slack *fakeslack.Server) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite3", "file:"+dir+"/threadline.db?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check after the crashes: %q %v", ok, err)
	}
	st, err := sqlite.Open(store.Config{Path: dir + "/threadline.db"}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	idx := &threadIndex{}
	idx.refresh(slack)
	lost := 0
	for _, c := range customers {
		th := idx.threads[c.key]
		conv, err := st.ConversationByThread(ctx, "slack", bridge.ThreadRef(staffChannel+"/"+th))
		if err != nil {
			t.Errorf("%s: thread %s belongs to no conversation: %v", c.key, th, err)
			lost++
			continue
		}
		if ref, err := st.Thread(ctx, conv, "slack"); err != nil || string(ref) != staffChannel+"/"+th {
			t.Errorf("%s: conversation %d maps to thread %q (%v), but its messages are in %s", c.key, conv, ref, err, th)
			lost++
		}
	}
	t.Logf("database intact; %d of %d conversations keep their thread mapping", len(customers)-lost, len(customers))
}

// daemonConfig is the config every crash and failover daemon runs with:
// the fakes' URLs, no pacing worth the name, fast retries; store is the
// YAML value of store:, extra more top-level keys (a Discord surface).
func daemonConfig(httpAddr, adminAddr, store, slackBot, slackApp, staffChannel, slackAPI, tgToken, tgAPI, imapURL, smtpURL, extra string) string {
	return fmt.Sprintf(`http: {listen: %q, shutdown_timeout: 5s}
admin: {listen: %q}
store: %s
log: {level: info}
console: {enabled: false}
webchat: {enabled: true, per_visitor_per_minute: 100000, per_ip_per_minute: 1000000}
outbox:
  base_backoff: 100ms
  max_backoff: 2s
  send_timeout: 10s
  drain: 2s
  pacing:
    slack: {per_destination: 1000, per_adapter: 1000}
    telegram: {per_destination: 100, per_adapter: 1000}
    email: {per_destination: 100, per_adapter: 1000}
    discord: {per_destination: 1000, per_adapter: 1000}
slack:
  bot_token: %s
  app_token: %s
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
%s`, httpAddr, adminAddr, store, slackBot, slackApp, staffChannel, slackAPI, tgToken, tgAPI, imapURL, smtpURL, extra)
}

package crashtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/postgres"
	"github.com/threadlinehq/threadline/store/postgres/pgtest"
)

// failoverScale is how much the failover test does.
type failoverScale struct {
	name                     string
	replicas                 int // serve processes at once
	telegram, email, webchat int // customers per channel
	perCustomer, replies     int // messages each customer writes; staff replies per conversation
	kills, cuts              int // SIGKILLs of the leader; cuts of its lock connection
	gap                      time.Duration
	converge                 time.Duration
}

// failoverSizes: CI=true (or FAILOVER_SIZE=small) runs the small size,
// five kills and two cuts in about a minute on two cores; otherwise the
// large one (ten kills, three cuts, about two minutes).
// FAILOVER_REPLICAS overrides the number of processes (2 or more).
func failoverSizes() failoverScale {
	small := failoverScale{name: "small", replicas: 3, telegram: 8, email: 5, webchat: 8, perCustomer: 10, replies: 3,
		kills: 5, cuts: 2, gap: 2 * time.Second, converge: 60 * time.Second}
	large := failoverScale{name: "large", replicas: 3, telegram: 20, email: 10, webchat: 20, perCustomer: 16, replies: 4,
		kills: 10, cuts: 3, gap: 4 * time.Second, converge: 2 * time.Minute}
	sz := large
	switch {
	case os.Getenv("FAILOVER_SIZE") == "small":
		sz = small
	case os.Getenv("FAILOVER_SIZE") == "large":
	case os.Getenv("CI") != "":
		sz = small
	}
	if n, err := strconv.Atoi(os.Getenv("FAILOVER_REPLICAS")); err == nil && n >= 2 {
		sz.replicas = n
	}
	return sz
}

// replicaProc is one replica: its directory, addresses and current process.
type replicaProc struct {
	*daemon
	name string
	base string // its HTTP listener
}

// role asks a replica's /readyz for its role ("" when it does not answer).
func role(client *http.Client, base string) string {
	res, err := client.Get(base + "/readyz")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if r, ok := strings.CutPrefix(line, "ok   role: "); ok {
			return strings.Fields(r)[0]
		}
	}
	return ""
}

// takeover is one leader change the test caused.
type takeover struct {
	how  string // "kill" or "cut"
	from string
	to   string
	took time.Duration
}

// TestFailoverUnderLoadLosesNothing runs several `threadline serve`
// processes on one PostgreSQL database, started at the same moment on an
// empty database (the migrations run once), with Telegram, email and web
// chat customers writing all along (web chat to any replica, as through a
// load balancer) and staff answering in Slack. The leader is killed with
// SIGKILL over and over (the killed replica restarts as a new one), and
// its lock connection is cut with pg_terminate_backend a few times. Each
// takeover is timed (kill or cut → another replica's /readyz says leader);
// at the end nothing is lost, duplicates stay within one per kill, and
// the fakes never saw two Telegram pollers, two Socket Mode connections
// or two Discord gateway sessions at once.
func TestFailoverUnderLoadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("failover suite: skipped with -short")
	}
	sz := failoverSizes()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("CRASHTEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("size %s, %d replicas, seed %d (CRASHTEST_SEED)", sz.name, sz.replicas, seed)
	rng := rand.New(rand.NewPCG(seed, 17))
	pg, err := pgtest.Start()
	t.Cleanup(pg.Stop)
	pgtest.Need(t, pg, err)
	url := pg.NewDatabase(t)
	began := time.Now()

	exe := buildBinary(t)
	slack := fakeslack.New()
	defer slack.Close()
	slack.AddUser("U0ALICE", "Alice")
	tg := faketelegram.New("")
	defer tg.Close()
	imapSrv := fakemail.NewIMAP(t, fakemail.IMAPOptions{})
	smtpSrv := fakemail.NewSMTP(t, fakemail.SMTPOptions{})
	// Discord is a second staff surface, for its gateway session.
	dc := fakediscord.New(fakediscord.Options{})
	defer dc.Close()
	forum := dc.AddForum("support", "Open", "Waiting", "Closed")

	root := t.TempDir()
	shared := filepath.Join(root, "attachments")
	if err := os.Mkdir(shared, 0o750); err != nil {
		t.Fatal(err)
	}
	var reps []*replicaProc
	for i := range sz.replicas {
		name := fmt.Sprintf("r%d", i)
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(shared, filepath.Join(dir, "attachments")); err != nil {
			t.Fatal(err)
		}
		httpAddr := freeAddr(t)
		cfg := daemonConfig(httpAddr, freeAddr(t), fmt.Sprintf("{path: %q}", url),
			slack.BotToken, slack.AppToken, staffChannel, slack.APIURL(), tg.Token(), tg.URL(), imapSrv.URL(), smtpSrv.URL(),
			fmt.Sprintf("discord: {bot_token: %s, channel_id: %q, api_url: %s, create_tags: true}\n", dc.Token(), forum, dc.APIURL()))
		reps = append(reps, &replicaProc{daemon: newDaemon(t, exe, dir, cfg), name: name, base: "http://" + httpAddr})
	}

	// All replicas start at the same moment on the empty database: all
	// come up, and one of them applied the migrations.
	for _, r := range reps {
		r.start()
	}
	for _, r := range reps {
		waitReady(t, r.daemon, r.base)
	}
	migrations := postgres.LatestVersion()
	applied := map[string][]string{}
	for _, r := range reps {
		for _, line := range scanLogs(r.dir, "applied migration") {
			applied[r.name] = append(applied[r.name], line)
		}
	}
	if len(applied) != 1 {
		t.Errorf("migrations applied by %d replicas, want exactly one: %v", len(applied), applied)
	}
	for name, lines := range applied {
		t.Logf("replica %s applied %d migrations at start-up; the others waited and applied none", name, len(lines))
		if len(lines) != migrations {
			t.Errorf("%s applied %d migrations, want %d", name, len(lines), migrations)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct); err != nil ||
		versions != migrations || distinct != versions {
		t.Errorf("schema_migrations holds %d rows (%d versions), want %d: %v", versions, distinct, migrations, err)
	}

	client := &http.Client{Timeout: 2 * time.Second}
	live := func() []*replicaProc {
		var out []*replicaProc
		for _, r := range reps {
			if r.cur != nil && !r.exited() {
				out = append(out, r)
			}
		}
		return out
	}
	leaders := func() []*replicaProc {
		var out []*replicaProc
		for _, r := range live() {
			if role(client, r.base) == "leader" {
				out = append(out, r)
			}
		}
		return out
	}

	// Customers. Web chat ones get their sessions from any replica and
	// post to any replica that answers, as through a load balancer.
	var customers []*customer
	for i := range sz.telegram {
		customers = append(customers, &customer{key: fmt.Sprintf("tg%d", i), channel: "telegram",
			tg: faketelegram.Customer{ID: int64(9000 + i), FirstName: fmt.Sprintf("Tg%d", i)}})
	}
	for i := range sz.email {
		customers = append(customers, &customer{key: fmt.Sprintf("em%d", i), channel: "email",
			addr: fmt.Sprintf("em%d@customer.example", i)})
	}
	for i := range sz.webchat {
		tok, err := newSession(reps[i%len(reps)].base)
		if err != nil {
			t.Fatal(err)
		}
		customers = append(customers, &customer{key: fmt.Sprintf("wc%d", i), channel: "webchat", token: tok})
	}
	// Any replica, dead or alive: a post to a dead one fails and the
	// next try picks again, as a load balancer retries elsewhere.
	bases := make([]string, len(reps))
	for i, r := range reps {
		bases[i] = r.base
	}
	anyBase := func(r *rand.Rand) string { return bases[r.IntN(len(bases))] }

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

	// Traffic over about as long as the kills and cuts take.
	spread := time.Duration(sz.kills+sz.cuts) * (sz.gap + 4*time.Second)
	var traffic sync.WaitGroup
	var failures atomic.Value
	fail := func(err error) { failures.CompareAndSwap(nil, err) }
	var wcMu sync.Mutex // the shared random source of the web chat writers
	wcRng := rand.New(rand.NewPCG(seed, 23))
	for n, c := range customers {
		r := rand.New(rand.NewPCG(seed, uint64(n)+100))
		r2 := rand.New(rand.NewPCG(seed, uint64(n)+10000))
		gap := spread / time.Duration(sz.perCustomer)
		traffic.Add(2)
		go func() {
			defer traffic.Done()
			for j := range sz.perCustomer {
				time.Sleep(gap/2 + time.Duration(r.Int64N(int64(gap))))
				var err error
				if c.channel == "webchat" {
					err = c.writeAnywhere(j, func() string { wcMu.Lock(); defer wcMu.Unlock(); return anyBase(wcRng) }, stop)
				} else {
					err = c.write(tg, imapSrv, "", j, stop)
				}
				if err != nil {
					fail(err)
					return
				}
			}
		}()
		go func() {
			defer traffic.Done()
			thread := idx.wait(c.key, stop)
			gap := spread / time.Duration(sz.replies+1)
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

	// The killer: the leader is killed (or its lock connection cut), and
	// the time until another replica says it leads is measured.
	var changes []takeover
	twoLeaders := 0
	// waitNewLeader waits until old has stepped down and one replica
	// leads (after a cut that may be old again, campaigning anew).
	waitNewLeader := func(old *replicaProc, how string, at time.Time) {
		deadline := at.Add(60 * time.Second)
		down := how == "kill"
		for {
			ls := leaders()
			if len(ls) > 1 {
				twoLeaders++
			}
			if !slices.Contains(ls, old) {
				down = true
			}
			if len(ls) == 1 && down {
				tk := takeover{how: how, from: old.name, to: ls[0].name, took: time.Since(at)}
				changes = append(changes, tk)
				t.Logf("%s %d: leader %s → %s after %s", how, len(changes), tk.from, tk.to, tk.took.Round(10*time.Millisecond))
				return
			}
			if time.Now().After(deadline) {
				close(stop)
				t.Fatalf("no new leader within a minute of the %s of %s", how, old.name)
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	lockPID := func() (int, error) {
		var pid int
		err := db.QueryRow(`SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'threadline-leader-lock'
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&pid)
		return pid, err
	}
	kills, cuts := 0, 0
	for kills < sz.kills || cuts < sz.cuts {
		time.Sleep(sz.gap/2 + time.Duration(rng.Int64N(int64(sz.gap))))
		if err, _ := failures.Load().(error); err != nil {
			close(stop)
			t.Fatal(err)
		}
		for _, r := range reps {
			if r.cur != nil && r.exited() {
				close(stop)
				t.Fatalf("replica %s exited on its own (%v):\n%s", r.name, r.cur.err, logTail(r.cur.logPath, 40))
			}
		}
		var lead *replicaProc
		for lead == nil {
			if ls := leaders(); len(ls) == 1 {
				lead = ls[0]
			} else {
				if len(ls) > 1 {
					twoLeaders++
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// Cuts are spread among the kills.
		if cuts < sz.cuts && (kills >= sz.kills || rng.IntN(sz.kills+sz.cuts) < sz.cuts) {
			pid, err := lockPID()
			if err != nil {
				continue // the lock is changing hands; try again later
			}
			at := time.Now()
			if _, err := db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
				t.Fatal(err)
			}
			cuts++
			waitNewLeader(lead, "cut", at)
			continue
		}
		at := time.Now()
		lead.kill()
		kills++
		waitNewLeader(lead, "kill", at)
		lead.start() // a new replica in the killed one's place
	}
	<-trafficDone
	trafficTime := time.Since(began)

	// Everyone catches up.
	var rep report
	sc := scale{perCustomer: sz.perCustomer}
	deadline := time.Now().Add(sz.converge)
	for {
		rep = check(customers, sc, slack, tg, imapSrv, smtpSrv, live()[0].base)
		rep.kills = kills
		if rep.complete() && checkDiscord(customers, sz.perCustomer, dc, forum).lost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(time.Second) // a late duplicate would show now
	rep = check(customers, sc, slack, tg, imapSrv, smtpSrv, live()[0].base)
	rep.kills = kills
	dcRep := checkDiscord(customers, sz.perCustomer, dc, forum)
	close(stop)
	bg.Wait()
	for _, r := range live() {
		if took, err := r.term(30 * time.Second); err != nil {
			t.Errorf("SIGTERM to %s: %v (after %s)\n%s", r.name, err, took, logTail(runLog(r.dir, r.runs), 30))
		}
	}
	rep.duration = time.Since(began)
	rep.sync = "n/a (PostgreSQL)"
	checkThreads(t, url, customers, slack)

	var took []time.Duration
	for _, c := range changes {
		took = append(took, c.took)
	}
	slices.Sort(took)
	// Duplicates each way: customer → staff (Slack posts and extra ticket
	// cards; Discord is counted apart, as a second copy of the same
	// direction) and staff → customer.
	dupsIn, dupsOut := rep.dupCustomer+rep.orphanCards, rep.dupReplies
	changesN := kills + cuts
	line := fmt.Sprintf("replicas=%d kills=%d cuts=%d messages=%d staff_replies=%d lost=%d duplicates_in=%d duplicates_out=%d "+
		"discord_lost=%d discord_duplicates=%d takeover_min=%s takeover_median=%s takeover_max=%s duration=%s",
		sz.replicas, kills, cuts, rep.customerMsgs, rep.staffReplies, rep.lostCustomer+rep.lostReplies, dupsIn, dupsOut,
		dcRep.lost, dcRep.dup, took[0].Round(10*time.Millisecond), took[len(took)/2].Round(10*time.Millisecond),
		took[len(took)-1].Round(10*time.Millisecond), rep.duration.Round(time.Second))
	t.Logf("traffic, kills and cuts took %s, catching up %s", trafficTime.Round(time.Second), (rep.duration - trafficTime).Round(time.Second))
	t.Logf("%s", rep.String())
	t.Logf("Discord forum: %d customer messages lost, %d duplicated, %d in a wrong post", dcRep.lost, dcRep.dup, dcRep.wrongThread)
	t.Logf("takeovers (kill or cut → another replica's /readyz says leader): min %s, median %s, max %s",
		took[0].Round(10*time.Millisecond), took[len(took)/2].Round(10*time.Millisecond), took[len(took)-1].Round(10*time.Millisecond))
	fmt.Printf("FAILOVER-RESULT %s\n", line)

	var bad []string
	for _, r := range reps {
		bad = append(bad, scanLogs(r.dir, "panic:", "fatal error:", "DATA RACE")...)
	}
	if len(bad) > 0 {
		t.Errorf("replica logs show crashes of their own:\n%s", strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
	if rep.missing != "" {
		t.Logf("examples: %s", rep.missing)
	}
	if rep.lostCustomer > 0 || rep.lostReplies > 0 {
		t.Errorf("LOST: %d customer messages, %d staff replies (%s)", rep.lostCustomer, rep.lostReplies, rep.missing)
	}
	if rep.wrongThread > 0 || rep.orderCustomer > 0 || rep.orderReplies > 0 {
		t.Errorf("%d customer messages in a wrong thread; order broken %d times (customer) and %d times (replies)",
			rep.wrongThread, rep.orderCustomer, rep.orderReplies)
	}
	if rep.pendingUpdates > 0 || rep.unseenMail > 0 {
		t.Errorf("upstream not acknowledged at the end: %d Telegram updates, %d emails not \\Seen", rep.pendingUpdates, rep.unseenMail)
	}
	if dcRep.lost > 0 || dcRep.wrongThread > 0 {
		t.Errorf("Discord: %d customer messages lost, %d in a wrong post (%s)", dcRep.lost, dcRep.wrongThread, strings.Join(dcRep.missing, ", "))
	}
	// A send in flight when its leader died (or was cut off) may show
	// twice: the platform took it, the leader did not record it. At most
	// one per leader change (kill or cut) in each direction, and on each
	// staff surface.
	if dupsIn > changesN || dupsOut > changesN || dcRep.dup > changesN {
		t.Errorf("duplicates for %d kills and %d cuts: %d customer → Slack, %d staff → customer, %d customer → Discord; "+
			"more than one per leader change", kills, cuts, dupsIn, dupsOut, dcRep.dup)
	}
	if took[len(took)-1] > 10*time.Second {
		t.Errorf("a takeover took %s, the goal is under 10 s", took[len(took)-1].Round(10*time.Millisecond))
	}
	if twoLeaders > 0 {
		t.Errorf("two replicas said they lead at once, %d times", twoLeaders)
	}
	if o := tg.PollOverlaps(); len(o) > 0 {
		t.Errorf("two Telegram pollers at once:\n%s", strings.Join(o, "\n"))
	}
	if o := slack.SocketOverlaps(); len(o) > 0 {
		t.Errorf("two Slack Socket Mode connections at once:\n%s", strings.Join(o, "\n"))
	}
	if o := dc.SessionOverlaps(); len(o) > 0 {
		t.Errorf("two Discord gateway sessions at once:\n%s", strings.Join(o, "\n"))
	}
	if ids, _, _ := dc.GatewayStats(); ids < kills+1 {
		t.Errorf("Discord saw %d gateway sessions for %d kills", ids, kills)
	}
}

// writeAnywhere posts web chat message j to a replica base picks, moving
// to another when one does not answer (as a load balancer does); a
// message a dying replica may have taken is posted again with the same
// client_id, which stores it once.
func (c *customer) writeAnywhere(j int, base func() string, stop chan struct{}) error {
	text := fmt.Sprintf("Hello m/%s/%d/ — my order is late", c.key, j)
	body, _ := json.Marshal(map[string]any{"text": text, "client_id": fmt.Sprintf("%s-%d", c.key, j), "name": "Web " + c.key})
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		req, _ := http.NewRequest("POST", base()+"/chat/api/messages", strings.NewReader(string(body)))
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

// checkThreads opens the database the replicas shared: each conversation's
// active Slack thread is the one its messages are in.
func checkThreads(t *testing.T, url string, customers []*customer, slack *fakeslack.Server) {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(store.Config{Path: url}, store.Options{})
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
	t.Logf("%d of %d conversations keep their thread mapping", len(customers)-lost, len(customers))
}

// discordReport is what the Discord forum shows of the customers' messages.
type discordReport struct {
	lost, dup, wrongThread int
	missing                []string
}

// checkDiscord finds every customer message in the forum's posts: each
// should be there once, and all of a customer's in one post.
func checkDiscord(customers []*customer, perCustomer int, dc *fakediscord.Server, forum string) discordReport {
	var r discordReport
	seen := map[string]map[int]int{}
	post := map[string]string{}
	for _, th := range dc.Threads(forum) {
		for _, m := range dc.Messages(th.ID) {
			sm := customerMarker.FindStringSubmatch(m.Content)
			if sm == nil {
				continue
			}
			if p, ok := post[sm[1]]; ok && p != th.ID {
				r.wrongThread++
			}
			post[sm[1]] = th.ID
			n, _ := strconv.Atoi(sm[2])
			if seen[sm[1]] == nil {
				seen[sm[1]] = map[int]int{}
			}
			seen[sm[1]][n]++
		}
	}
	for _, c := range customers {
		for j := range perCustomer {
			switch n := seen[c.key][j]; {
			case n == 0:
				r.lost++
				if len(r.missing) < 10 {
					r.missing = append(r.missing, fmt.Sprintf("m/%s/%d/", c.key, j))
				}
			case n > 1:
				r.dup += n - 1
			}
		}
	}
	return r
}

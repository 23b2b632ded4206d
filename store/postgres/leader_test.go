package postgres

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/store/postgres/pgtest"
)

var (
	cluster  *pgtest.Cluster
	startErr error
)

func TestMain(m *testing.M) {
	cluster, startErr = pgtest.Start()
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

func newDatabase(t *testing.T) string {
	return pgtest.Need(t, cluster, startErr).NewDatabase(t)
}

// terms records when each replica led, to check that terms never overlap.
type terms struct {
	mu   sync.Mutex
	open map[string]time.Time
	all  [][2]time.Time
	who  []string
}

func (tr *terms) lead(name string) func(ctx context.Context) {
	return func(ctx context.Context) {
		tr.mu.Lock()
		if tr.open == nil {
			tr.open = map[string]time.Time{}
		}
		tr.open[name] = time.Now()
		tr.mu.Unlock()
		<-ctx.Done()
		tr.mu.Lock()
		tr.all = append(tr.all, [2]time.Time{tr.open[name], time.Now()})
		tr.who = append(tr.who, name)
		delete(tr.open, name)
		tr.mu.Unlock()
	}
}

func (tr *terms) leaders() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for n := range tr.open {
		out = append(out, n)
	}
	return out
}

func (tr *terms) ended() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.all)
}

func fastElector(url string) *Elector {
	return &Elector{URL: url, Heartbeat: 30 * time.Millisecond, Lease: 200 * time.Millisecond,
		Grace: 400 * time.Millisecond, Poll: 50 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
}

func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 20*time.Second {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return 0
}

func TestOneLeaderAndTakeoverWhenItsConnectionIsTerminated(t *testing.T) {
	url := newDatabase(t)
	var tr terms
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	electors := map[string]*Elector{}
	stops := map[string]context.CancelFunc{}
	for _, name := range []string{"a", "b", "c"} {
		e := fastElector(url)
		electors[name] = e
		ectx, stop := context.WithCancel(ctx)
		stops[name] = stop
		wg.Add(1)
		go func() { defer wg.Done(); e.Run(ectx, tr.lead(name)) }()
	}
	defer func() { cancel(); wg.Wait() }()

	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for round := 0; round < 3; round++ {
		waitFor(t, "a leader", func() bool { return len(tr.leaders()) == 1 })
		first := tr.leaders()[0]
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'threadline-leader-lock'
			AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`); err != nil {
			t.Fatal(err)
		}
		took := waitFor(t, "a new term", func() bool {
			l := tr.leaders()
			return len(l) == 1 && tr.ended() > round
		})
		t.Logf("round %d: %s lost its connection; %s leads after %s", round, first, tr.leaders()[0], took.Round(time.Millisecond))
	}
	// A leader that stops hands over.
	stops[tr.leaders()[0]]()
	waitFor(t, "a leader after a clean stop", func() bool { return len(tr.leaders()) == 1 })
	cancel()
	wg.Wait()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i := range tr.all {
		for j := range tr.all {
			a, b := tr.all[i], tr.all[j]
			if i != j && a[0].Before(b[1]) && b[0].Before(a[1]) {
				t.Errorf("terms overlap: %s %v-%v and %s %v-%v", tr.who[i], a[0], a[1], tr.who[j], b[0], b[1])
			}
		}
	}
}

// A replica whose lock connection is cut campaigns again after Poll each
// time, however often it happened before: the backoff is for a database
// that cannot be reached, not for incidents days apart. (It used to
// double on every lost term and never reset, so a long-lived replica
// came to wait 10 s before campaigning after each cut.)
func TestACutAfterACutCampaignsAgainAtOnce(t *testing.T) {
	url := newDatabase(t)
	var tr terms
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	e := fastElector(url)
	go func() { defer close(done); e.Run(ctx, tr.lead("a")) }()
	defer func() { cancel(); <-done }()
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	waitFor(t, "the leader", func() bool { return len(tr.leaders()) == 1 })
	for round := range 7 {
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'threadline-leader-lock'
			AND datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		took := waitFor(t, "leading again", func() bool { return tr.ended() > round && len(tr.leaders()) == 1 })
		// Poll (50 ms) and Grace (400 ms), with room for a slow machine.
		if took > 1500*time.Millisecond {
			t.Errorf("cut %d: leading again after %s", round+1, took.Round(time.Millisecond))
		}
	}
}

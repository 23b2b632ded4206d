package contract

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// A Checker finds what a platform would object to in a request.
type Checker interface {
	// Check returns the problems with r (whose body is body), one
	// sentence each naming the method or route; none if the platform
	// accepts the request. It must not read r.Body.
	Check(r *http.Request, body []byte) []string
}

// maxKept bounds the distinct violations a guard keeps: a loop repeating
// one bad request must not grow memory, and the first few say enough.
const maxKept = 50

// Guard is a fake's contract check: it checks every API request the fake
// receives and keeps what the platform would have refused until a test
// reads it (Take), a test is told (Report), or the fake closes (Close).
type Guard struct {
	fake    string
	checker Checker // nil: no descriptions to check against
	isAPI   func(*http.Request) bool

	mu       sync.Mutex
	found    []string
	count    map[string]int
	dropped  int
	reported bool // a test is told at its end (Report)
}

// Shared holds the checkers the fakes share. Each reads its description
// (a megabyte of JSON) once per test process, on the first request: read
// again for every fake, they made the adapters' tests up to four times
// slower under -race. They keep nothing but what they read.
type Shared struct {
	Slack    *Slack
	Discord  *Discord
	Telegram *Telegram
}

// shared finds the descriptions once per process; a memo of read-only
// data, not state a test can change (an EnvDir set later is not seen).
var shared = sync.OnceValues(func() (*Shared, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return &Shared{Slack: NewSlack(dir), Discord: NewDiscord(dir), Telegram: NewTelegram(dir)}, nil
})

// NewGuard returns the guard of the fake named fake, checking with the
// shared checker pick chooses; isAPI tells the platform's API calls from
// the fake's other routes (sockets, file downloads). Without descriptions
// nothing is checked, except in CI (Required), where their absence is
// itself a violation.
func NewGuard(fake string, pick func(*Shared) Checker, isAPI func(*http.Request) bool) *Guard {
	g := &Guard{fake: fake, isAPI: isAPI, count: map[string]int{}}
	s, err := shared()
	switch {
	case err == nil:
		g.checker = pick(s)
	case Required():
		g.record(err.Error() + " (CI=true: the contract check may not be skipped)")
	}
	return g
}

// NewGuardWith returns a guard that checks with c, or, if c is nil,
// behaves as a guard without descriptions (tests of the guard).
func NewGuardWith(fake string, c Checker, isAPI func(*http.Request) bool) *Guard {
	g := &Guard{fake: fake, checker: c, isAPI: isAPI, count: map[string]int{}}
	if c == nil && Required() {
		g.record(ErrNoSpecs.Error() + " (CI=true: the contract check may not be skipped)")
	}
	return g
}

// Checking reports whether requests are checked (descriptions were found).
func (g *Guard) Checking() bool { return g.checker != nil }

// Wrap returns next behind the check. The request reaches next with its
// body intact; the check only observes (the fake answers as it always
// does, and the violation fails the test instead).
func (g *Guard) Wrap(next http.Handler) http.Handler {
	if g.checker == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.isAPI(r) {
			g.check(r)
		}
		next.ServeHTTP(w, r)
	})
}

func (g *Guard) check(r *http.Request) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return // the client gave up mid-body: nothing was sent to judge
		}
		body = b
	}
	for _, p := range g.checker.Check(r, body) {
		g.record(p)
	}
}

func (g *Guard) record(v string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, seen := g.count[v]; !seen {
		if len(g.found) >= maxKept {
			g.dropped++
			return
		}
		g.found = append(g.found, v)
	}
	g.count[v]++
}

// Take returns the violations seen so far (a repeated one once, with its
// count) and forgets them: a test that sends a bad request on purpose
// takes what it caused.
func (g *Guard) Take() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.found)+1)
	for _, v := range g.found {
		if n := g.count[v]; n > 1 {
			v = fmt.Sprintf("%s (%d times)", v, n)
		}
		out = append(out, v)
	}
	if g.dropped > 0 {
		out = append(out, fmt.Sprintf("... and %d more", g.dropped))
	}
	g.found, g.count, g.dropped = nil, map[string]int{}, 0
	return out
}

// Report makes t the one told: when t ends, each violation left is an
// error of t. Without Report, Close panics with them, since nothing else
// can fail the running test from a fake built without one.
func (g *Guard) Report(t testing.TB) {
	g.mu.Lock()
	g.reported = true
	g.mu.Unlock()
	t.Cleanup(func() {
		for _, v := range g.Take() {
			t.Errorf("%s: the platform's API description refuses: %s", g.fake, v)
		}
	})
}

// Close ends the guard with its fake: violations nobody took or was told
// about panic, which fails the test that owns the fake.
func (g *Guard) Close() {
	g.mu.Lock()
	reported := g.reported
	g.mu.Unlock()
	if reported {
		return
	}
	if v := g.Take(); len(v) > 0 {
		panic(fmt.Sprintf("%s: %d contract problem(s) with the requests it received "+
			"(what the platform's published API description refuses: fix the adapter, "+
			"or list what is newer than the description in adapters/adaptertest/contract/newer.go):\n\t%s",
			g.fake, len(v), strings.Join(v, "\n\t")))
	}
}

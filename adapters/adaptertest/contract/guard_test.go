package contract_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
)

// refuseBodies refuses every request with a body, naming the body.
type refuseBodies struct{}

func (refuseBodies) Check(r *http.Request, body []byte) []string {
	if len(body) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s: refused %q", r.URL.Path, body)}
}

func serve(t *testing.T, g *contract.Guard) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(b))
		mu.Unlock()
	})))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func post(t *testing.T, url, body string) {
	t.Helper()
	res, err := http.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func TestGuardChecksAPICallsAndPassesThemOnIntact(t *testing.T) {
	g := contract.NewGuardWith("fake", refuseBodies{}, isAPI)
	srv, seen := serve(t, g)
	post(t, srv.URL+"/api/a", "one")
	post(t, srv.URL+"/api/a", "one")
	post(t, srv.URL+"/socket", "not an API call")
	post(t, srv.URL+"/api/b", "")
	if got := strings.Join(*seen, "|"); got != "one|one|not an API call|" {
		t.Errorf("the fake read %q: the check must leave bodies intact", got)
	}
	got := g.Take()
	if len(got) != 1 || got[0] != `/api/a: refused "one" (2 times)` {
		t.Errorf("Take() = %q; want the one violation, counted", got)
	}
	if again := g.Take(); len(again) != 0 {
		t.Errorf("Take() after Take() = %q; taken violations are forgotten", again)
	}
	g.Close() // nothing left: no panic
}

func TestGuardPanicsAtCloseWithViolationsNobodyTook(t *testing.T) {
	g := contract.NewGuardWith("fakeplatform", refuseBodies{}, isAPI)
	srv, _ := serve(t, g)
	post(t, srv.URL+"/api/send", "bad")
	defer func() {
		msg := fmt.Sprint(recover())
		if !strings.Contains(msg, "fakeplatform: 1 contract problem(s)") || !strings.Contains(msg, `/api/send: refused "bad"`) {
			t.Errorf("Close panicked with %q; want the violation", msg)
		}
	}()
	g.Close()
	t.Error("Close did not panic")
}

// recordingTB is a testing.TB whose errors and cleanups are kept.
type recordingTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func TestGuardReportsToTheTestWhenTold(t *testing.T) {
	g := contract.NewGuardWith("fakeplatform", refuseBodies{}, isAPI)
	srv, _ := serve(t, g)
	rec := &recordingTB{TB: t}
	g.Report(rec)
	post(t, srv.URL+"/api/send", "bad")
	g.Close() // told to report: no panic
	for _, f := range rec.cleanups {
		f()
	}
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], `fakeplatform: the platform's API description refuses: /api/send: refused "bad"`) {
		t.Errorf("errors = %q; want the violation", rec.errors)
	}
}

func TestGuardWithoutDescriptionsChecksNothingOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	g := contract.NewGuardWith("fake", nil, isAPI)
	if g.Checking() {
		t.Fatal("a guard without descriptions claims to check")
	}
	srv, _ := serve(t, g)
	post(t, srv.URL+"/api/a", "bad")
	if v := g.Take(); len(v) != 0 {
		t.Errorf("violations without descriptions: %q", v)
	}
}

func TestGuardWithoutDescriptionsFailsInCI(t *testing.T) {
	t.Setenv("CI", "true")
	g := contract.NewGuardWith("fake", nil, isAPI)
	v := g.Take()
	if len(v) != 1 || !strings.Contains(v[0], "not found") || !strings.Contains(v[0], "CI=true") {
		t.Errorf("Take() = %q; want the missing descriptions as a violation", v)
	}
}

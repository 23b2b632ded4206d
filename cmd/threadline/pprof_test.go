package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestPprofLoopbackOnly(t *testing.T) {
	for _, bad := range []string{"0.0.0.0:6060", "10.0.0.1:6060", "nonsense"} {
		if _, _, err := servePprof(bad, testLogger(t)); err == nil {
			t.Errorf("--pprof %s accepted", bad)
		}
	}
	addr, stop, err := servePprof("127.0.0.1:0", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "goroutine profile") {
		t.Errorf("pprof: %d %.80s", res.StatusCode, b)
	}
}

package main

import (
	"runtime/debug"
	"testing"
)

// The daemon collects garbage at GOGC=200 unless GOGC says otherwise.
func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	for _, c := range []struct {
		env  string
		want int
	}{{"", defaultGCPercent}, {"100", 100}, {"off", 100}} {
		debug.SetGCPercent(100)
		tuneGC(func(k string) string {
			if k == "GOGC" {
				return c.env
			}
			return ""
		})
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", c.env, got, c.want)
		}
	}
}

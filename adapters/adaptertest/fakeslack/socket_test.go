package fakeslack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

func dialSocket(t *testing.T, s *fakeslack.Server) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL(), "http")+"/socket", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitConnected(t *testing.T, s *fakeslack.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Connected() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets connected, want %d", s.Connected(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A socket opened while another is open is recorded; one opened after
// the last closed is not.
func TestSocketOverlapsAreRecorded(t *testing.T) {
	s := fakeslack.New()
	defer s.Close()
	a := dialSocket(t, s)
	waitConnected(t, s, 1)
	a.Close()
	waitConnected(t, s, 0)
	b := dialSocket(t, s)
	defer b.Close()
	waitConnected(t, s, 1)
	if o := s.SocketOverlaps(); len(o) != 0 {
		t.Fatalf("one socket after another recorded as overlapping: %q", o)
	}
	c := dialSocket(t, s)
	defer c.Close()
	waitConnected(t, s, 2)
	if o := s.SocketOverlaps(); len(o) != 1 {
		t.Errorf("two sockets at once: overlaps %q, want one", o)
	}
	s.DropSockets()
	d := dialSocket(t, s)
	defer d.Close()
	if o := s.SocketOverlaps(); len(o) != 1 {
		t.Errorf("a socket after DropSockets recorded as overlapping: %q", o)
	}
}

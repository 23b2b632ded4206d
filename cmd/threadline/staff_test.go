package main

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestTheConsoleAuthorIsTheOSUser: without THREADLINE_STAFF_NAME a
// console user answers under their OS user name, not "staff".
func TestTheConsoleAuthorIsTheOSUser(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	osUser := func(name string) func() (*user.User, error) {
		return func() (*user.User, error) { return &user.User{Username: name}, nil }
	}
	noUser := func() (*user.User, error) { return nil, errors.New("no passwd entry") }
	for _, tc := range []struct {
		name    string
		env     map[string]string
		current func() (*user.User, error)
		want    string
	}{
		{"the variable wins", map[string]string{"THREADLINE_STAFF_NAME": " Alice ", "USER": "root"}, osUser("alice"), "Alice"},
		{"the OS user", map[string]string{"USER": "other"}, osUser("bob"), "bob"},
		{"a Windows account", nil, osUser(`ACME\carol`), "carol"},
		{"no passwd entry (a container)", map[string]string{"USER": "dave"}, noUser, "dave"},
		{"nothing known", nil, noUser, "staff"},
	} {
		if got := staffName(env(tc.env), tc.current); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSayAtAPromptShowsTheCustomerTyping: `threadline say ID` without
// text reads the reply from a prompt; meanwhile the visitor's widget
// shows the console user typing.
func TestSayAtAPromptShowsTheCustomerTyping(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(strings.Replace(testConfig, "admin:\n  listen: 127.0.0.1:0", "admin:\n  listen: "+freePort(t), 1)), 0o600)
	d := startDaemon(t, cfgPath)
	v := newVisitor(t, d.http)
	v.say("My order is late", "x1")
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(d.http, "http")+"/chat/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteJSON(map[string]any{"type": "auth", "token": v.token})
	typing := make(chan string, 4)
	go func() {
		for {
			var f map[string]any
			if err := c.ReadJSON(&f); err != nil {
				return
			}
			if f["type"] == "typing" {
				typing <- f["name"].(string)
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // the socket is registered
	code, out, errOut := runCLIIn(t, "It ships today.\n", "--config", cfgPath, "say", "--as", "Bob", "1")
	if code != 0 || !strings.Contains(out, "Stored as message") || !strings.Contains(errOut, "Reply to #1 as Bob") {
		t.Fatalf("say at a prompt: %d %s %s", code, out, errOut)
	}
	select {
	case name := <-typing:
		if name != "Bob" {
			t.Errorf("typing as %q", name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the visitor never saw the console user typing")
	}
	if code, _, errOut := runCLIIn(t, "\n", "--config", cfgPath, "say", "1"); code != 1 || !strings.Contains(errOut, "nothing sent") {
		t.Errorf("an empty reply: %d %s", code, errOut)
	}
}

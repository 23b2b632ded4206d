package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/bridge/team"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/storetest"
)

func TestStatsCommand(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC) // 16:00 in Berlin
	clock := now.Add(-6 * time.Hour)
	eng := engine.New(engine.Options{Store: st, Clock: clocktest.Func(func() time.Time { return clock }),
		Directory: team.New(team.Options{Location: berlin})})
	table, err := commands.All()
	if err != nil {
		t.Fatal(err)
	}
	h := commands.NewHandler(eng, table, commands.DefaultSyntax(), nil)
	res, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(5 * time.Minute)
	if _, err := eng.Reply(ctx, engine.StaffContext{Conversation: res.Conversation, Actor: alice, Surface: "console"}, "hi", nil); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	if _, err := eng.Close(ctx, engine.StaffContext{Conversation: res.Conversation, Actor: alice, Surface: "console"}, ""); err != nil {
		t.Fatal(err)
	}
	clock = now.AddDate(0, 0, -2)
	if _, err := eng.Deliver(ctx, bridge.InboundMessage{Channel: "telegram", Address: "42", Name: "Ben", Text: "older"}); err != nil {
		t.Fatal(err)
	}
	clock = now

	for _, tc := range []struct {
		surface bridge.Platform
		conv    bridge.ConversationID
		text    string
		wantErr bool
		want    []string
		notWant []string
	}{
		{surface: "console", text: "!stats today", want: []string{
			"Threadline stats · Wed 4 Mar 00:00 – Wed 4 Mar 16:00 (Europe/Berlin)",
			"Opened          1 · closed 1 · unanswered 0",
			"Right now       1 open · 0 waiting on customer · 1 unclaimed",
			"First response  5m        5m        1",
			"Resolution      1h05m     1h05m     1",
			"Busiest hours   10-11h (1)", "Channels        webchat 1", "Alice                  1       1       0"},
			notWant: []string{"```", "telegram"}},
		{surface: "console", text: "!stats", want: []string{"Opened          2 ·", "telegram 1", "Day             opened", "Mon 2 Mar          1 █"}},
		{surface: "console", text: "!stats 30d", want: []string{"Per day         ", "peak 1 on"}},
		{surface: "slack", text: "!stats week", want: []string{"```\nThreadline stats · Mon 2 Mar 00:00", "\n```"}},
		{surface: "console", conv: res.Conversation, text: "!stats yesterday", want: []string{"Tue 3 Mar 2026", "No conversations in this period."}},
		{surface: "console", text: "!stats forever", wantErr: true, want: []string{`"forever" is not a period`}},
		{surface: "console", text: "!stats 400d", wantErr: true, want: []string{"at most 366 days"}},
		{surface: "console", text: "!stats 7d extra", wantErr: true, want: []string{"Usage: !stats"}},
		{surface: "console", text: "!help", want: []string{"!stats [today|yesterday|week|7d|30d]"}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			fb, err := h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: tc.surface, Conversation: tc.conv,
				Actor: bridge.Actor{ID: bridge.StaffID(tc.surface) + ":lea", Name: "Lea"}, Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if fb.Error != tc.wantErr {
				t.Errorf("error = %v, want %v: %s", fb.Error, tc.wantErr, fb.Text)
			}
			for _, w := range tc.want {
				if !strings.Contains(fb.Text, w) {
					t.Errorf("missing %q in:\n%s", w, fb.Text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(fb.Text, w) {
					t.Errorf("unexpected %q in:\n%s", w, fb.Text)
				}
			}
		})
	}
	if !contains(commands.Names(), "stats") {
		t.Error("Names() lacks stats (permissions could not name it)")
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

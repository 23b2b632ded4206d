package discord_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/bridge"
)

func TestPostDigest(t *testing.T) {
	fake := fakediscord.New(fakediscord.Options{})
	t.Cleanup(fake.Close)
	forum := fake.AddForum("support")
	stats := fake.AddTextChannel("stats")
	s, err := discord.New(discord.Config{BotToken: fake.Token(), ChannelID: forum, APIURL: fake.APIURL()}, discord.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\nfake")

	if err := s.PostDigest(ctx, stats, "Opened  3\n@everyone", png, "digest.png"); err != nil {
		t.Fatal(err)
	}
	ms := fake.Messages(stats)
	if len(ms) != 1 || ms[0].Content != "```\nOpened  3\n@everyone\n```" || ms[0].MentionEveryone {
		t.Fatalf("messages = %+v", ms)
	}
	if a := ms[0].Attachments; len(a) != 1 || a[0].Filename != "digest.png" || !bytes.Equal(a[0].Data, png) {
		t.Errorf("attachments = %+v", a)
	}

	// Longer than one message: split at lines, the chart on the first part.
	var long []string
	for i := range 120 {
		long = append(long, strings.Repeat("x", 30)+string(rune('a'+i%26)))
	}
	if err := s.PostDigest(ctx, stats, strings.Join(long, "\n"), png, "digest.png"); err != nil {
		t.Fatal(err)
	}
	ms = fake.Messages(stats)[1:]
	if len(ms) != 2 || len(ms[0].Attachments) != 1 || len(ms[1].Attachments) != 0 {
		t.Fatalf("split: %d messages", len(ms))
	}
	for _, m := range ms {
		if !strings.HasPrefix(m.Content, "```\n") || !strings.HasSuffix(m.Content, "\n```") || len([]rune(m.Content)) > 2000 {
			t.Errorf("part of %d runes: %.40q", len([]rune(m.Content)), m.Content)
		}
	}

	fake.Inject(fakediscord.Fault{Method: "POST", PathContains: "/channels/" + stats + "/messages", Status: 403})
	if err := s.PostDigest(ctx, stats, "x", png, "digest.png"); !bridge.IsPermanent(err) {
		t.Errorf("403: %v (want permanent)", err)
	}
}

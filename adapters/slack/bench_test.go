package slack_test

import (
	"context"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
)

// BenchmarkPost measures one thread post (render, escape, chat.postMessage
// round trip to the loopback fake).
func BenchmarkPost(b *testing.B) {
	fake := fakeslack.New()
	defer fake.Close()
	cfg := slack.Config{BotToken: fake.BotToken, ChannelID: "C0STAFF01", APIURL: fake.APIURL(), SigningSecret: fake.Secret}
	cfg.Defaults()
	s := newSurface(b, cfg, slack.Options{})
	ctx := context.Background()
	ref, err := s.OpenThread(ctx, bridge.ConversationView{Conversation: bridge.Conversation{ID: 1, CustomerName: "Anna", Channel: "webchat", Status: "open", Priority: "normal"}})
	if err != nil {
		b.Fatal(err)
	}
	p := bridge.StaffPost{Direction: bridge.DirCustomer, Author: "Anna", Text: "Hello <!channel>, my order #123 is late & I need it"}
	for b.Loop() {
		if _, err := s.Post(ctx, ref, p); err != nil {
			b.Fatal(err)
		}
	}
}

package slack_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/bridge"
)

func TestPostDigest(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	cfg := slack.Config{BotToken: fake.BotToken, ChannelID: channel, APIURL: fake.APIURL(), SigningSecret: fake.Secret}
	cfg.Defaults()
	s := newSurface(t, cfg, slack.Options{})
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\nfake")

	if err := s.PostDigest(ctx, "C0DIGEST", "Opened  3 <b> & co", png, "digest.png"); err != nil {
		t.Fatal(err)
	}
	ups := fake.Uploads()
	if len(ups) != 1 || ups[0].Channel != "C0DIGEST" || ups[0].Name != "digest.png" || !bytes.Equal(ups[0].Data, png) ||
		ups[0].Comment != "```\nOpened  3 &lt;b&gt; &amp; co\n```" {
		t.Fatalf("uploads = %+v", ups)
	}

	// No chart: a plain message.
	if err := s.PostDigest(ctx, "C0DIGEST", "text only", nil, ""); err != nil {
		t.Fatal(err)
	}
	if ps := fake.Parents("C0DIGEST"); len(ps) != 1 || !strings.Contains(ps[0].Text, "text only") {
		t.Errorf("parents = %+v", ps)
	}

	// A channel the bot is not in is permanent: retrying will not help.
	fake.FailNext("files.completeUploadExternal", "not_in_channel")
	if err := s.PostDigest(ctx, "C0DIGEST", "x", png, "digest.png"); !bridge.IsPermanent(err) {
		t.Errorf("not_in_channel: %v (want permanent)", err)
	}
	if err := s.PostDigest(ctx, "", "x", png, "digest.png"); !bridge.IsPermanent(err) {
		t.Errorf("no channel: %v", err)
	}
}

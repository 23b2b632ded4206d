package discord

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

var _ bridge.DigestPoster = (*Surface)(nil)

// PostDigest posts the report in a code block with the chart attached. A
// report longer than one message is split at line breaks, each part its
// own code block; the chart goes with the first.
func (s *Surface) PostDigest(ctx context.Context, channel, text string, png []byte, filename string) error {
	if channel == "" {
		return bridge.Permanent(errors.New("discord digest: no channel"))
	}
	const fence = "```\n"
	parts := digestParts(text, maxMessage-2*len(fence))
	for i, part := range parts {
		m := &discordgo.MessageSend{Content: fence + part + "\n```", AllowedMentions: noMentions()}
		if i == 0 && len(png) > 0 {
			m.Files = []*discordgo.File{{Name: filename, ContentType: "image/png", Reader: bytes.NewReader(png)}}
		}
		if _, err := s.sess.ChannelMessageSendComplex(channel, m, discordgo.WithContext(ctx)); err != nil {
			return classify("post digest", err)
		}
	}
	return nil
}

// digestParts cuts text at line breaks into pieces of at most n runes.
func digestParts(text string, n int) []string {
	var parts []string
	var cur strings.Builder
	size := 0
	for _, line := range strings.Split(text, "\n") {
		l := []rune(line)
		if len(l) > n {
			l = l[:n]
		}
		if size > 0 && size+1+len(l) > n {
			parts = append(parts, cur.String())
			cur.Reset()
			size = 0
		}
		if size > 0 {
			cur.WriteByte('\n')
			size++
		}
		cur.WriteString(string(l))
		size += len(l)
	}
	return append(parts, cur.String())
}

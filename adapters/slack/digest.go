package slack

import (
	"bytes"
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/bridge"
)

var _ bridge.DigestPoster = (*Surface)(nil)

// PostDigest uploads the chart to channel with the report as its comment,
// in a code block so the columns line up. Without a chart the report is
// posted as a plain message.
func (s *Surface) PostDigest(ctx context.Context, channel, text string, png []byte, filename string) error {
	if channel == "" {
		return bridge.Permanent(errors.New("slack digest: no channel"))
	}
	body := "```\n" + escape(text) + "\n```"
	if len(png) == 0 {
		_, _, err := s.api.PostMessageContext(ctx, channel, slack.MsgOptionText(body, false), slack.MsgOptionDisableLinkUnfurl())
		return classify(err)
	}
	_, err := s.api.UploadFileContext(ctx, slack.UploadFileParameters{Reader: bytes.NewReader(png), FileSize: len(png),
		Filename: filename, Title: filename, InitialComment: body, Channel: channel})
	return classify(err)
}

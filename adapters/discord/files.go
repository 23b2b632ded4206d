package discord

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
	"github.com/threadlinehq/threadline/bridge"
)

// fetchFiles keeps the files staff attach in a thread under the
// attachments directory, so they reach the customer as files (the web
// chat shows them through signed links) rather than as CDN links that
// expire. A file over MaxFileBytes, or one that cannot be fetched, stays
// a link.
func (s *Surface) fetchFiles(ctx context.Context, in []*discordgo.MessageAttachment) []bridge.Attachment {
	var out []bridge.Attachment
	for _, a := range in {
		att := bridge.Attachment{Name: a.Filename, MIME: a.ContentType, Size: int64(a.Size), URL: a.URL}
		if s.filesDir != "" && a.URL != "" && int64(a.Size) <= s.o.MaxFileBytes {
			path, size, err := s.download(ctx, a.URL, a.Filename)
			if err == nil {
				att.Path, att.Size = path, size
			} else {
				s.log.Warn("discord: could not download a staff attachment; it will be linked", "file", a.Filename, "err", err)
			}
		}
		out = append(out, att)
	}
	return out
}

// download fetches url into discord-<random>-<name> under the attachments
// directory.
func (s *Surface) download(ctx context.Context, rawURL, name string) (string, int64, error) {
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", 0, fmt.Errorf("not a web address: %q", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", 0, err
	}
	res, err := s.files.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("%s answered %s", req.URL.Host, res.Status)
	}
	return attach.SaveNew(s.filesDir, Platform, name, func(w io.Writer) (int64, error) {
		n, err := io.Copy(w, io.LimitReader(res.Body, s.o.MaxFileBytes+1))
		if err == nil && n > s.o.MaxFileBytes {
			err = fmt.Errorf("larger than %d bytes", s.o.MaxFileBytes)
		}
		return n, err
	})
}

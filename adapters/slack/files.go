package slack

import (
	"context"
	"io"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
	"github.com/threadlinehq/threadline/bridge"
)

// fetchFiles downloads files staff attached so they can be forwarded to the
// customer; files over the limit (or when no directory is configured) are
// passed on as links.
func (s *Surface) fetchFiles(ctx context.Context, files []slack.File) []bridge.Attachment {
	var out []bridge.Attachment
	for _, f := range files {
		a := bridge.Attachment{Name: f.Name, MIME: f.Mimetype, Size: int64(f.Size), URL: f.Permalink}
		max := s.opts.MaxFileBytes
		if max <= 0 {
			max = 20 << 20
		}
		url := f.URLPrivateDownload
		if url == "" {
			url = f.URLPrivate
		}
		if s.attachments != "" && url != "" && int64(f.Size) <= max {
			if path, err := s.download(ctx, url, f.Name); err == nil {
				a.Path = path
			} else {
				s.log.Warn("slack: could not download a staff attachment; it will be linked", "file", f.Name, "err", err)
			}
		}
		out = append(out, a)
	}
	return out
}

func (s *Surface) download(ctx context.Context, url, name string) (string, error) {
	path, _, err := attach.SaveNew(s.attachments, Platform, name, func(w io.Writer) (int64, error) {
		return 0, s.api.GetFileContext(ctx, url, w)
	})
	return path, err
}

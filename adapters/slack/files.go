package slack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/bridge"
)

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName keeps a file name usable and inside its directory.
func safeName(name string) string {
	name = unsafeName.ReplaceAllString(filepath.Base(name), "_")
	if name == "" || name == "." || name == ".." || name == "_" {
		name = "file"
	}
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	return name
}

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
	if err := os.MkdirAll(s.attachments, 0o750); err != nil {
		return "", err
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	path := filepath.Join(s.attachments, "slack-"+hex.EncodeToString(rnd)+"-"+safeName(name))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if err := s.api.GetFileContext(ctx, url, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	return path, f.Close()
}

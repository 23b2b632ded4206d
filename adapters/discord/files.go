package discord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"

	"github.com/bwmarrin/discordgo"

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
	if err := os.MkdirAll(s.filesDir, 0o750); err != nil {
		return "", 0, err
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	path := filepath.Join(s.filesDir, "discord-"+hex.EncodeToString(rnd)+"-"+safeName(name))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(f, io.LimitReader(res.Body, s.o.MaxFileBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > s.o.MaxFileBytes {
		err = fmt.Errorf("larger than %d bytes", s.o.MaxFileBytes)
	}
	if err != nil {
		os.Remove(path)
		return "", 0, err
	}
	return path, n, nil
}

package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
	"github.com/threadlinehq/threadline/bridge"
)

// mediaInfo is GET /{media-id}'s answer: where to download the file (a
// URL valid for a few minutes) and what it is.
type mediaInfo struct {
	URL      string      `json:"url"`
	MIMEType string      `json:"mime_type"`
	SHA256   string      `json:"sha256"`
	FileSize json.Number `json:"file_size"` // a number, or a string of digits
	ID       string      `json:"id"`
}

// fetchFiles downloads a message's files into the attachments directory
// and adds them to msg. A file that cannot be fetched for good (too large,
// gone, or still failing on the last try) is kept as metadata and
// explained in a note for staff; a transient failure before the last try
// is an error, so the notification is answered 5xx and Meta sends it again.
func (a *Adapter) fetchFiles(ctx context.Context, inc incoming, lastTry bool, msg *bridge.InboundMessage) (notes []string, err error) {
	for i, f := range inc.Files {
		att := bridge.Attachment{Name: f.Name, MIME: f.MIME}
		note := ""
		if a.attachments == "" {
			note = attach.NoDirNote(f.Kind, f.Name)
		} else {
			dst := filepath.Join(a.attachments, string(Platform), safeID(inc.WaID),
				fmt.Sprintf("%s-%d-%s", safeID(inc.Msg.ExternalID), i+1, attach.SafeName(f.Name)))
			size, mime, ferr := a.fetchFile(ctx, f.MediaID, dst)
			switch {
			case ferr == nil:
				att.Path, att.Size = dst, size
				if mime != "" {
					att.MIME = mime
				}
			case errors.Is(ferr, errTooLarge):
				att.Size = size
				note = attach.TooLargeNote(f.Kind, f.Name, size, a.cfg.MaxFileBytes)
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case lastTry || bridge.IsPermanent(a.classify(ferr)):
				a.log.Warn("whatsapp: file not downloaded", "kind", f.Kind, "id", inc.Msg.ExternalID, "err", ferr)
				note = attach.FailedNote(f.Kind, f.Name, "WhatsApp", ferr)
			default:
				return nil, fmt.Errorf("downloading %s: %w", f.Kind, ferr)
			}
		}
		if note != "" {
			notes = append(notes, note)
		}
		msg.Attachments = append(msg.Attachments, att)
	}
	return notes, nil
}

// fetchFile resolves a media id to its download URL and copies the file
// to dst (complete or absent, see attach.SaveAs).
func (a *Adapter) fetchFile(ctx context.Context, mediaID, dst string) (int64, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var info mediaInfo
	if err := a.api.get(ctx, "retrieve media URL", mediaID, nil, &info); err != nil {
		return 0, "", err
	}
	if n, err := strconv.ParseInt(info.FileSize.String(), 10, 64); err == nil && n > a.cfg.MaxFileBytes {
		return n, "", errTooLarge
	}
	if info.URL == "" {
		return 0, "", bridge.Permanent(errors.New("whatsapp retrieve media URL: no url in the answer"))
	}
	n, err := attach.SaveAs(dst, func(w io.Writer) (int64, error) {
		return a.api.download(ctx, info.URL, a.cfg.MaxFileBytes, w)
	})
	if err != nil {
		return n, "", err
	}
	if info.MIMEType == "" {
		return n, "", nil
	}
	return n, cleanMIME(info.MIMEType), nil
}

package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
	"github.com/threadlinehq/threadline/bridge"
)

// fetchFiles downloads a message's files into the attachments directory and
// adds them to msg. A file that cannot be fetched for good (too large, gone,
// or still failing on the last try) is kept as metadata and explained in a
// note for staff; a transient failure before the last try is an error, so
// the update is offered again.
func (a *Adapter) fetchFiles(ctx context.Context, inc incoming, lastTry bool, msg *bridge.InboundMessage) (notes []string, err error) {
	for i, f := range inc.Files {
		att := bridge.Attachment{Name: f.Name, MIME: f.MIME, Size: f.Size}
		note := ""
		switch {
		case a.attachments == "":
			note = attach.NoDirNote(f.Kind, f.Name)
		case f.Size > a.cfg.MaxFileBytes:
			note = attach.TooLargeNote(f.Kind, f.Name, f.Size, a.cfg.MaxFileBytes)
		default:
			dst := filepath.Join(a.attachments, "telegram", strconv.FormatInt(inc.ChatID, 10),
				fmt.Sprintf("%s-%d-%s", externalStem(inc.Msg.ExternalID), i+1, attach.SafeName(f.Name)))
			size, ferr := a.fetchFile(ctx, f.ID, dst)
			var ae *APIError
			switch {
			case ferr == nil:
				att.Path, att.Size = dst, size
			case errors.Is(ferr, errTooLarge):
				note = attach.TooLargeNote(f.Kind, f.Name, max(size, f.Size), a.cfg.MaxFileBytes)
			case errors.As(ferr, &ae) && ae.Code == http.StatusBadRequest && isTooBig(ae.Description):
				note = attach.TooLargeNote(f.Kind, f.Name, f.Size, a.cfg.MaxFileBytes)
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case lastTry || bridge.IsPermanent(classify(ferr)):
				a.log.Warn("telegram: file not downloaded", "kind", f.Kind, "update_id", inc.UpdateID, "err", ferr)
				note = attach.FailedNote(f.Kind, f.Name, "Telegram", ferr)
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

func isTooBig(desc string) bool {
	return containsFold(desc, "file is too big") || containsFold(desc, "too large")
}

// fetchFile resolves file_id with getFile and copies the file to dst
// (complete or absent, see attach.SaveAs).
func (a *Adapter) fetchFile(ctx context.Context, fileID, dst string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var f file
	if err := a.api.call(ctx, "getFile", map[string]string{"file_id": fileID}, &f); err != nil {
		return 0, err
	}
	if f.FileSize > a.cfg.MaxFileBytes {
		return f.FileSize, errTooLarge
	}
	if f.FilePath == "" {
		return 0, bridge.Permanent(errors.New("telegram getFile: no file_path in the answer"))
	}
	return attach.SaveAs(dst, func(w io.Writer) (int64, error) {
		if a.cfg.LocalServer && filepath.IsAbs(f.FilePath) {
			// A local Bot API server (--local) answers with a path on this machine.
			return copyLocal(f.FilePath, a.cfg.MaxFileBytes, w)
		}
		return a.api.download(ctx, f.FilePath, a.cfg.MaxFileBytes, w)
	})
}

func copyLocal(path string, limit int64, w io.Writer) (int64, error) {
	src, err := os.Open(path)
	if err != nil {
		return 0, bridge.Permanent(fmt.Errorf("local Bot API file: %w", err))
	}
	defer src.Close()
	n, err := io.Copy(w, io.LimitReader(src, limit+1))
	if err == nil && n > limit {
		err = errTooLarge
	}
	return n, err
}

// externalStem turns "chat:msg[:edit:n]" into "msg[-edit-n]" for file names.
func externalStem(ext string) string {
	parts := strings.Split(ext, ":")
	if len(parts) < 2 {
		return "msg"
	}
	return attach.SafeName(strings.Join(parts[1:], "-"))
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// removeAttachments deletes the local copies of attachments of deleted
// messages. Only files under <data_dir>/attachments are touched, whatever a
// stored path says; directories left empty are removed up to that root.
// Relative paths are taken relative to the working directory, as the daemon
// that stored them saw them.
func removeAttachments(dataDir string, paths []string, log *slog.Logger) (removed int) {
	root, err := filepath.Abs(filepath.Join(dataDir, "attachments"))
	if err != nil {
		log.Warn("attachments: cannot resolve the attachments directory", "err", err)
		return 0
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil || !strings.HasPrefix(abs, root+string(filepath.Separator)) {
			log.Warn("attachments: not removing a file outside the attachments directory", "path", p, "dir", root)
			continue
		}
		switch err := os.Remove(abs); {
		case err == nil:
			removed++
		case errors.Is(err, os.ErrNotExist):
		default:
			log.Warn("attachments: could not remove a file", "path", abs, "err", err)
			continue
		}
		for dir := filepath.Dir(abs); dir != root && strings.HasPrefix(dir, root); dir = filepath.Dir(dir) {
			if os.Remove(dir) != nil { // not empty (or gone): stop
				break
			}
		}
	}
	return removed
}

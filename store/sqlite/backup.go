package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	sqlite3 "github.com/mattn/go-sqlite3"
	"github.com/threadlinehq/threadline/store"
)

// Backup copies the database to dest with SQLite's online backup API and
// verifies the copy (integrity_check, foreign_key_check, schema version).
//
// It is safe while the daemon serves, in this process or another one: the
// copy is made inside one read transaction on a connection of its own, so
// it is a consistent snapshot of the moment the backup started, and in WAL
// mode that read transaction never blocks writers. (Without it, SQLite
// restarts a step-wise backup whenever another connection writes, which on
// a busy database can go on forever.) The copy is written to a temporary
// file next to dest and renamed into place only after it verified, so dest
// is never a half-written file. The result is a self-contained database in
// rollback-journal mode; Threadline switches it back to WAL when it opens it.
func (s *Store) Backup(ctx context.Context, dest string, o store.BackupOptions) (store.BackupResult, error) {
	start := s.clock.Now()
	res := store.BackupResult{Path: dest}
	if o.PagesPerStep <= 0 {
		o.PagesPerStep = 1024
	}
	if err := checkBackupDest(s.cfg.Path, dest, o.Force); err != nil {
		return res, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.tmp")
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	keep := false
	defer func() {
		if !keep {
			os.Remove(tmpPath)
			os.Remove(tmpPath + "-journal")
			os.Remove(tmpPath + "-wal")
			os.Remove(tmpPath + "-shm")
		}
	}()

	if err := s.copyTo(ctx, tmpPath, o, &res); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	res.CopyDuration = s.clock.Now().Sub(start)
	if err := verifyBackup(ctx, tmpPath, &res); err != nil {
		return res, fmt.Errorf("backup did not verify (nothing was written to %s): %w", dest, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	if o.Force {
		// A stale -wal next to an older file of that name would be replayed
		// into the new file on its next open.
		for _, sfx := range []string{"-wal", "-shm", "-journal"} {
			if err := os.Remove(dest + sfx); err != nil && !errors.Is(err, os.ErrNotExist) {
				return res, fmt.Errorf("backup: remove old %s: %w", dest+sfx, err)
			}
		}
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	keep = true
	if err := syncFile(filepath.Dir(dest)); err != nil {
		return res, fmt.Errorf("backup: sync directory: %w", err)
	}
	res.Duration = s.clock.Now().Sub(start)
	return res, nil
}

// checkBackupDest refuses to overwrite the live database or, without
// force, any existing file.
func checkBackupDest(src, dest string, force bool) error {
	// The live database and its companions (its write-ahead log holds
	// committed messages not yet in the main file) are never a target: not
	// the file itself, and not a file Force would remove next to dest.
	for _, live := range companions(src) {
		for _, target := range companions(dest) {
			if samePath(live, target) {
				return fmt.Errorf("backup: %s would overwrite the live database's file %s; choose another file name", dest, live)
			}
		}
	}
	fi, err := os.Stat(dest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("backup: %w", err)
	case fi.IsDir():
		return fmt.Errorf("backup: %s is a directory; give a file name", dest)
	}
	if !force {
		return fmt.Errorf("%w: %s (use --force to replace it)", store.ErrBackupExists, dest)
	}
	return nil
}

// companions are a database file and the files SQLite keeps next to it.
func companions(path string) []string {
	return []string{path, path + "-wal", path + "-shm", path + "-journal"}
}

// samePath reports whether a and b name the same file: the same existing
// file (links included), or the same absolute path.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// copyTo runs the backup into the (empty) file at path.
func (s *Store) copyTo(ctx context.Context, path string, o store.BackupOptions, res *store.BackupResult) error {
	srcDB, err := sql.Open("sqlite3", "file:"+s.cfg.Path+"?"+url.Values{
		"_busy_timeout": {fmt.Sprint(s.cfg.BusyTimeout.D().Milliseconds())},
		"_query_only":   {"1"},
	}.Encode())
	if err != nil {
		return err
	}
	defer srcDB.Close()
	dstDB, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=OFF&_synchronous=OFF")
	if err != nil {
		return err
	}
	defer dstDB.Close()
	src, err := srcDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := dstDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer dst.Close()

	// Pin one snapshot for the whole copy: the backup uses the source
	// connection's open read transaction instead of starting (and, after
	// someone else's commit, restarting) its own.
	if _, err := src.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer src.ExecContext(context.Background(), "ROLLBACK")
	var pageSize int64
	if err := src.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return err
	}
	var objects int // reading starts the read transaction; it lasts until ROLLBACK
	if err := src.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&objects); err != nil {
		return err
	}

	return dst.Raw(func(dc any) error {
		return src.Raw(func(sc any) error {
			d, ok1 := dc.(*sqlite3.SQLiteConn)
			sconn, ok2 := sc.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("not a go-sqlite3 connection")
			}
			b, err := d.Backup("main", sconn, "main")
			if err != nil {
				return fmt.Errorf("start: %w", err)
			}
			for {
				if err := ctx.Err(); err != nil {
					b.Close()
					return err
				}
				done, err := b.Step(o.PagesPerStep)
				res.Steps++
				if err != nil {
					b.Close()
					return fmt.Errorf("step: %w", err)
				}
				total := b.PageCount()
				res.Pages = total
				res.Bytes = int64(total) * pageSize
				if o.Progress != nil {
					o.Progress(int64(total-b.Remaining())*pageSize, res.Bytes)
				}
				if done {
					break
				}
			}
			return b.Close()
		})
	})
}

// verifyBackup opens the copy on a fresh connection and checks it, then
// leaves it in rollback-journal mode (one self-contained file).
func verifyBackup(ctx context.Context, path string, res *store.BackupResult) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_fk=1")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode); err != nil {
		return err
	}
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&ok); err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	if ok != "ok" {
		return fmt.Errorf("integrity_check: %s", ok)
	}
	rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	bad := rows.Next()
	rows.Close()
	if bad {
		return errors.New("foreign_key_check found rows pointing at missing rows")
	}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return err
	}
	if tables == 0 {
		return nil // an empty, never-migrated database
	}
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&res.SchemaVersion); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if res.SchemaVersion >= 1 {
		err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages),
			(SELECT count(*) FROM customers)`).Scan(&res.Conversations, &res.Messages, &res.Customers)
		if err != nil {
			return fmt.Errorf("count rows: %w", err)
		}
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Package pgtest runs a throwaway PostgreSQL server for tests: initdb and
// pg_ctl in a temporary directory, as an unprivileged user, listening on a
// free loopback port, with durability turned off (it is thrown away). Each
// test gets its own database. Outside CI a missing PostgreSQL skips the
// test; in CI (CI=true) it fails it.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Cluster is a running throwaway server.
type Cluster struct {
	bin  string // directory holding initdb, pg_ctl, postgres
	dir  string // holds data/ and the log
	port int
	cred *syscall.Credential // nil: run as ourselves
	mu   sync.Mutex
	next int
}

// Start creates and starts a cluster. Stop it when done.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if c.dir, err = os.MkdirTemp("", "threadline-pg-"); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		if c.cred, err = unprivileged(); err != nil {
			return nil, err
		}
		if err := os.Chmod(c.dir, 0o755); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(c.dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(data, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if c.port, err = freePort(); err != nil {
		return nil, err
	}
	opts := strings.Join([]string{
		"-c listen_addresses=127.0.0.1", "-c port=" + strconv.Itoa(c.port), "-c unix_socket_directories=''",
		"-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200",
	}, " ")
	if out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return c, nil
}

// Stop stops the server and removes its files.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	_, _ = c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}

// URL is the connection URL of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Port is the server's loopback port.
func (c *Cluster) Port() int { return c.port }

// NewDatabase creates an empty database for one test (dropped when it
// ends) and returns its URL.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	c.mu.Lock()
	c.next++
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.next)
	c.mu.Unlock()
	admin, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	create := "CREATE DATABASE " + name
	var version int
	if err := admin.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err == nil && version >= 150000 {
		// Copying the template's files is about three times faster than
		// PostgreSQL 15's default (WAL-logging every block) here.
		create += " STRATEGY = FILE_COPY"
	}
	if _, err := admin.ExecContext(ctx, create); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", c.URL("postgres"))
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return c.URL(name)
}

// Need fails or skips t when the cluster could not start: PostgreSQL is a
// real dependency, so in CI its absence is a failure, elsewhere a skip.
func Need(t testing.TB, c *Cluster, startErr error) *Cluster {
	t.Helper()
	if startErr == nil && c != nil {
		return c
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required in CI: %v", startErr)
	}
	t.Skipf("PostgreSQL not available (%v); install it (apt-get install postgresql) to run this test", startErr)
	return nil
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// binDir finds the server binaries: pg_config's bindir, then PATH, then
// Debian's /usr/lib/postgresql/<newest>/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(p, "--bindir").Output(); err == nil {
			if d := strings.TrimSpace(string(out)); hasServer(d) {
				return d, nil
			}
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d, err := filepath.EvalSymlinks(p); err == nil && hasServer(filepath.Dir(d)) {
			return filepath.Dir(d), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if hasServer(d) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func hasServer(dir string) bool {
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return false
		}
	}
	return true
}

// unprivileged picks the user to run the server as when we are root: the
// packaged postgres user, else nobody.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

package crashtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/threadline (without -race, so the daemon runs at
// production speed; the fakes and checks in this test process keep -race).
func buildBinary(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "threadline")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"build", "-o", exe}
	if os.Getenv("CRASHTEST_RACE") != "" {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "github.com/threadlinehq/threadline/cmd/threadline")...)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binary in %s", time.Since(start).Round(100*time.Millisecond))
	return exe
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is one run of `threadline serve`.
type proc struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // Wait's result, valid after done
}

// daemon starts and stops the binary on one config, keeping a log file per run.
type daemon struct {
	t       *testing.T
	exe     string
	dir     string
	cfgPath string
	env     []string
	runs    int
	cur     *proc
}

func newDaemon(t *testing.T, exe, dir, config string, env ...string) *daemon {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, exe: exe, dir: dir, cfgPath: path, env: env}
	t.Cleanup(func() {
		if d.cur != nil {
			d.kill()
		}
	})
	return d
}

// start runs the daemon; it does not wait for readiness.
func (d *daemon) start() *proc {
	d.t.Helper()
	d.runs++
	p := &proc{logPath: filepath.Join(d.dir, fmt.Sprintf("run-%03d.log", d.runs)), done: make(chan struct{})}
	f, err := os.Create(p.logPath)
	if err != nil {
		d.t.Fatal(err)
	}
	p.cmd = exec.Command(d.exe, "--config", d.cfgPath, "serve")
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.Env = append(os.Environ(), d.env...)
	if err := p.cmd.Start(); err != nil {
		f.Close()
		d.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	d.cur = p
	return p
}

// exited reports whether the current run ended on its own.
func (d *daemon) exited() bool {
	if d.cur == nil {
		return false
	}
	select {
	case <-d.cur.done:
		return true
	default:
		return false
	}
}

// kill ends the current run with SIGKILL and waits for it.
func (d *daemon) kill() {
	p := d.cur
	d.cur = nil
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// term sends SIGTERM and waits up to limit; it returns how long the
// process took to exit and its exit error. After limit it is killed and
// an error is returned.
func (d *daemon) term(limit time.Duration) (time.Duration, error) {
	p := d.cur
	d.cur = nil
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return time.Since(start), p.err
	case <-time.After(limit):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return time.Since(start), errors.New("did not exit after SIGTERM; killed")
	}
}

// logTail returns the last n lines of a run's log.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// scanLogs reports log lines of every run that match any of the needles.
func scanLogs(dir string, needles ...string) []string {
	var out []string
	files, _ := filepath.Glob(filepath.Join(dir, "run-*.log"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			for _, n := range needles {
				if strings.Contains(sc.Text(), n) {
					out = append(out, filepath.Base(f)+": "+sc.Text())
					break
				}
			}
		}
		fh.Close()
	}
	return out
}

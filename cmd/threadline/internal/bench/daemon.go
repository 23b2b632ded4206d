package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Daemon is the real threadline binary running on a prepared database.
type Daemon struct {
	cmd   *exec.Cmd
	http  string
	admin string
	token string
	log   bytes.Buffer
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// StartDaemon runs `exe serve` on db with the web chat and console on
// loopback ports, and returns once /readyz answers, with the time that took.
func StartDaemon(ctx context.Context, exe, dir, db string) (*Daemon, time.Duration, error) {
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	adminAddr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	cfg := fmt.Sprintf("http: {listen: %q}\nadmin: {listen: %q}\nstore: {path: %q}\nwebchat: {enabled: true, per_visitor_per_minute: 100000, per_ip_per_minute: 1000000}\nconsole: {enabled: true}\nlog: {level: warn}\n",
		httpAddr, adminAddr, db)
	cfgPath := filepath.Join(dir, "bench-config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, 0, err
	}
	d := &Daemon{http: "http://" + httpAddr, admin: "http://" + adminAddr}
	d.cmd = exec.CommandContext(ctx, exe, "--config", cfgPath, "serve")
	d.cmd.Stdout = &d.log
	d.cmd.Stderr = &d.log
	start := time.Now()
	if err := d.cmd.Start(); err != nil {
		return nil, 0, err
	}
	for {
		res, err := http.Get(d.http + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > time.Minute {
			d.Stop()
			return nil, 0, fmt.Errorf("daemon not ready after a minute:\n%s", d.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	tok, err := os.ReadFile(filepath.Join(filepath.Dir(db), "admin.token"))
	if err != nil {
		d.Stop()
		return nil, 0, err
	}
	d.token = strings.TrimSpace(string(tok))
	return d, took, nil
}

// Stop ends the daemon with SIGTERM and waits for it.
func (d *Daemon) Stop() {
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = d.cmd.Process.Kill()
			<-done
		}
	}
}

// Traffic sends n web chat messages from `visitors` visitors over HTTP.
func (d *Daemon) Traffic(n, visitors int) error {
	tokens := make([]string, visitors)
	for i := range tokens {
		res, err := http.Post(d.http+"/chat/api/session", "application/json", nil)
		if err != nil {
			return err
		}
		var s struct{ Token string }
		json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
		tokens[i] = s.Token
	}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"text":"message %d: where is my order?","client_id":"b%d"}`, i, i)
		req, _ := http.NewRequest("POST", d.http+"/chat/api/messages", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokens[i%visitors])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != 202 {
			return fmt.Errorf("web chat answered %s", res.Status)
		}
	}
	return nil
}

// Memory reads the daemon's peak and current resident set size (bytes)
// from /proc and its Go heap in use from the admin API.
func (d *Daemon) Memory() (peakRSS, rss, heap int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmHWM:":
			peakRSS = kb << 10
		case "VmRSS:":
			rss = kb << 10
		}
	}
	req, _ := http.NewRequest("GET", d.admin+"/v1/health", nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return peakRSS, rss, 0, err
	}
	defer res.Body.Close()
	var h struct {
		HeapInuse int64 `json:"heap_inuse"`
	}
	err = json.NewDecoder(res.Body).Decode(&h)
	return peakRSS, rss, h.HeapInuse, err
}

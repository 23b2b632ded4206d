package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/store"
)

// schemaDB is a migrated database (the cluster uses its tables).
func schemaDB(t *testing.T) string {
	url := newDatabase(t)
	st, err := Open(store.Config{Path: url}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return url
}

func newCluster(t *testing.T, url string) *Cluster {
	c, err := NewCluster(url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// What one replica publishes reaches every replica, itself included, and
// payloads larger than a NOTIFY can carry arrive whole.
func TestRelayReachesEveryReplica(t *testing.T) {
	url := schemaDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	got := map[string][]string{}
	replicas := []*Cluster{newCluster(t, url), newCluster(t, url)}
	for i, c := range replicas {
		name := string(rune('a' + i))
		c.Relay().Subscribe("webchat", func(p []byte) { mu.Lock(); got[name] = append(got[name], string(p)); mu.Unlock() })
		go c.RunRelay(ctx)
	}
	large := `{"text":"` + strings.Repeat("é", 9000) + `"}`
	deadline := time.Now().Add(20 * time.Second)
	// The listeners connect in the background: publish until both hear.
	for {
		if err := replicas[0].Relay().Publish(ctx, "webchat", []byte(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		ready := len(got["a"]) > 0 && len(got["b"]) > 0
		mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the relay never delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := replicas[1].Relay().Publish(ctx, "webchat", []byte(large)); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		mu.Lock()
		done := len(got["a"]) > 0 && got["a"][len(got["a"])-1] == large && got["b"][len(got["b"])-1] == large
		mu.Unlock()
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the large payload did not reach both replicas")
}

// Replicas asking for a secret at the same moment all get the same one.
func TestSecretIsMadeOnceForAllReplicas(t *testing.T) {
	url := schemaDB(t)
	var wg sync.WaitGroup
	vals := make([]string, 6)
	for i := range vals {
		c := newCluster(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Secret(context.Background(), "webchat_token_key", func() (string, error) { return "made-by-" + string(rune('a'+i)), nil })
			if err != nil {
				t.Error(err)
			}
			vals[i] = v
		}()
	}
	wg.Wait()
	for _, v := range vals[1:] {
		if v != vals[0] || v == "" {
			t.Fatalf("replicas got different secrets: %v", vals)
		}
	}
}

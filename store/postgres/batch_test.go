package postgres

import (
	"fmt"
	"sync"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store/sqlstore"
)

// On PostgreSQL a failed statement aborts the transaction, even when the
// write function swallows its error. In a batch of concurrent writes, the
// writes whose statement failed fail (with that error) and the others
// commit: the batch runs again with a savepoint around each write.
func TestASwallowedStatementErrorFailsOnlyItsWrite(t *testing.T) {
	s := replicas(t, 1)[0]
	conv := openConversation(t, s, "batch")
	const n = 32
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Write(t.Context(), func(tx bridge.Tx) error {
				if _, err := tx.AddTag(conv.ID, fmt.Sprintf("w%02d", i), t0); err != nil {
					return err
				}
				if i%3 == 0 {
					_ = sqlstore.ExecForTest(tx, `SELECT 1/0`) // division by zero, ignored
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	v, err := s.ConversationView(t.Context(), conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]bool{}
	for _, tag := range v.Tags {
		tags[tag] = true
	}
	for i, err := range errs {
		tag := fmt.Sprintf("w%02d", i)
		if i%3 == 0 {
			if err == nil || tags[tag] {
				t.Errorf("write %d swallowed a failed statement: err %v, tag stored %v; want an error and no tag", i, err, tags[tag])
			}
			continue
		}
		if err != nil || !tags[tag] {
			t.Errorf("write %d: err %v, tag stored %v", i, err, tags[tag])
		}
	}
	c, w := s.commits.Counts()
	t.Logf("%d commits carried %d writes", c, w)
}

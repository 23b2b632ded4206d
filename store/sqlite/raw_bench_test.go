package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
	"github.com/threadlinehq/threadline/store/sqlite"
)

// BenchmarkRawInsertPerTx is the physical baseline: one small insert per
// transaction through the same writer connection and settings.
func BenchmarkRawInsertPerTx(b *testing.B) {
	for _, sync := range []string{"normal", "full"} {
		b.Run(sync, func(b *testing.B) {
			st, err := sqlite.Open(store.Config{Path: filepath.Join(b.TempDir(), "raw.db"), Synchronous: sync}, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			st.Write(ctx, func(tx bridge.Tx) error {
				return sqlite.ExecForTest(tx, `CREATE TABLE raw (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
			})
			for b.Loop() {
				if err := st.Write(ctx, func(tx bridge.Tx) error { return sqlite.ExecForTest(tx, `INSERT INTO raw (v) VALUES ('hello there')`) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package pgtest

import (
	"database/sql"
	"os"
	"testing"
)

var (
	cluster  *Cluster
	startErr error
)

func TestMain(m *testing.M) {
	cluster, startErr = Start()
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

func TestEachTestGetsItsOwnDatabase(t *testing.T) {
	c := Need(t, cluster, startErr)
	a, b := c.NewDatabase(t), c.NewDatabase(t)
	if a == b {
		t.Fatal("same database twice")
	}
	db, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT current_setting('server_version_num')").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL %s on port %d", v, c.Port())
}

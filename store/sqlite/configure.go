package sqlite

/*
typedef struct sqlite3 sqlite3;
struct sqlite3_api_routines;
extern int sqlite3_db_config(sqlite3*, int op, ...);
extern int sqlite3_auto_extension(void (*entry)(void));
extern int sqlite3_open(const char *filename, sqlite3 **db);
extern int sqlite3_close(sqlite3 *db);
extern int sqlite3_config(int, ...);

// SQLITE_CONFIG_MEMSTATUS from sqlite3.h.
#define THREADLINE_CONFIG_MEMSTATUS 9

// SQLITE_DBCONFIG_ENABLE_QPSG from sqlite3.h (stable since SQLite 3.20).
#define THREADLINE_DBCONFIG_ENABLE_QPSG 1007

static int threadline_stable_plans(sqlite3 *db, char **err, const struct sqlite3_api_routines *api) {
	(void)err;
	(void)api;
	return sqlite3_db_config(db, THREADLINE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}

static int threadline_configure(void) {
	// Before the first call initializes SQLite: no memory statistics, so
	// sqlite3_malloc and sqlite3_free take no global mutex. Once SQLite
	// is initialized this fails harmlessly (SQLITE_MISUSE) and changes nothing.
	sqlite3_config(THREADLINE_CONFIG_MEMSTATUS, 0);
	return sqlite3_auto_extension((void (*)(void))threadline_stable_plans);
}

// threadline_memory_used is SQLite's count of the memory it holds: 0 while
// its memory statistics are off.
extern long long sqlite3_memory_used(void);
static long long threadline_memory_used(void) { return sqlite3_memory_used(); }

// threadline_new_connection_has_stable_plans opens an in-memory database
// and reports whether the planner's stability guarantee is on for it.
static int threadline_new_connection_has_stable_plans(void) {
	sqlite3 *db = 0;
	int on = -1;
	if (sqlite3_open(":memory:", &db) != 0) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_db_config(db, THREADLINE_DBCONFIG_ENABLE_QPSG, -1, &on);
	sqlite3_close(db);
	return on;
}
*/
import "C"

import "fmt"

// configureSQLite sets up SQLite for this process before the first
// connection; every Open calls it (a second call changes nothing).
//
// Memory statistics off (SQLITE_CONFIG_MEMSTATUS): with them on, which is
// SQLite's default, every sqlite3_malloc and sqlite3_free takes a global
// mutex to count; taking and releasing it was about 7 % of a message's CPU
// time. Nothing reads the statistics. This only works before SQLite is
// initialized, so it must come before any connection is opened in the process.
//
// Stable plans: every connection opened from now on in this
// process plans its statements without looking at the values bound to them
// (SQLite's query planner stability guarantee, QPSG). Registering twice is
// a no-op.
//
// Why: go-sqlite3 keeps prepared statements in a per-connection cache and
// clears their bindings before each run. When the planner had looked at a
// bound value (to test a partial index's condition, to weigh "x = ?" by
// whether ? is 0 or 1, for a LIKE prefix), clearing the bindings expires
// the statement, and its next run parses and plans it again: about 10 µs
// for "the latest conversation of this visitor", on every message. With
// stable plans the cached statement is reused as is.
//
// The cost: a query whose partial index needs the bound value to prove the
// index's condition must say the condition itself ("email = ? AND email !=
// ”" for the customers_email index).
func configureSQLite() error {
	if rc := C.threadline_configure(); rc != 0 {
		return fmt.Errorf("sqlite: configure (stable query plans): error %d", int(rc))
	}
	return nil
}

// memoryStatisticsOff reports whether SQLite counts no memory (for tests).
func memoryStatisticsOff() bool { return C.threadline_memory_used() == 0 }

// newConnectionHasStablePlans reports whether a connection opened now gets
// stable plans (for tests).
func newConnectionHasStablePlans() bool {
	return C.threadline_new_connection_has_stable_plans() == 1
}

// Package crashtest holds the suites that run the built threadline binary
// against the loopback platform fakes: the crash test (thousands of
// customer messages and staff replies while the daemon is killed with
// SIGKILL and restarted over and over) and the SIGTERM drain test. They
// are skipped under -short. See docs/reliability.md.
package crashtest

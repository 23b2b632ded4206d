// Package live helps adapters keep their platform connections: the
// connection state /readyz and metrics report, restart with backoff
// (Supervise), and catch-up of staff messages written while disconnected.
package live

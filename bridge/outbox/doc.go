// Package outbox delivers the rows the engine committed: retries with
// backoff, Retry-After, pacing per destination, per-conversation order and
// dead letters, recording each platform call's outcome in the store.
package outbox

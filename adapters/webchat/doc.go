// Package webchat is the web chat customer channel: an HTTP + WebSocket API
// under /chat/, visitor tokens signed with HMAC, rate limits, and the
// embeddable widget (plain JS, go:embed) with an optional demo page at /.
package webchat

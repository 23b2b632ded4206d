// Package contract checks the requests adapters send against the platforms'
// published API descriptions (Slack Web API, Discord HTTP API, Telegram Bot
// API), so a loopback fake fails the test when the real platform would not.
package contract

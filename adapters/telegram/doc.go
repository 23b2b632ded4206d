// Package telegram is the Telegram customer channel: it receives customer
// messages from a bot through its own getUpdates loop (or a webhook),
// acknowledging Telegram only after Inbox.Deliver committed, and sends staff
// replies back through the Bot API with Telegram's limits and error classes.
package telegram

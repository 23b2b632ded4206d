// Package mattermost is the Mattermost staff surface: each conversation is
// a thread under a root post carrying a live ticket card (a message
// attachment with buttons, edited in place); staff act by replying in the
// thread, with !commands, the card's buttons and /ticket. It speaks the
// REST API v4 and the WebSocket event stream with a bot account.
package mattermost

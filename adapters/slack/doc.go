// Package slack is the Slack staff surface: each conversation is a thread
// whose parent is a live ticket card (Block Kit, edited in place), staff act
// by replying in the thread, with !commands, card buttons, a message
// shortcut and /ticket; events arrive over Socket Mode or the HTTP Events API.
package slack

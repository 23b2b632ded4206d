// Package console is the staff surface for a machine without Slack or
// Discord: the daemon serves a token-protected loopback admin API and the
// CLI (threadline watch / say) uses it to follow and answer conversations.
package console

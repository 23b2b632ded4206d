// Package email is the email customer channel: it reads a support mailbox
// over IMAP (IDLE or polling), turns each email thread into one
// conversation, and sends staff replies over SMTP as threaded email replies.
package email

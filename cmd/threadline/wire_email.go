package main

import "context"

// wireEmail is replaced when the email adapter lands; until then it only says
// that the adapter is off.
func (a *app) wireEmail(context.Context) error {
	a.status = append(a.status, statusLine{"email", "off", "EMAIL_IMAP_URL and EMAIL_SMTP_URL not set"})
	return nil
}

package main

import "context"

// wireSlack is replaced when the slack adapter lands; until then it only says
// that the adapter is off.
func (a *app) wireSlack(context.Context) error {
	a.status = append(a.status, statusLine{"slack", "off", "SLACK_BOT_TOKEN not set"})
	return nil
}

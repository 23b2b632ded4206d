package main

import "context"

// wireDiscord is replaced when the discord adapter lands; until then it only says
// that the adapter is off.
func (a *app) wireDiscord(context.Context) error {
	a.status = append(a.status, statusLine{"discord", "off", "DISCORD_BOT_TOKEN not set"})
	return nil
}

package main

import "context"

// wireTelegram is replaced when the telegram adapter lands; until then it only says
// that the adapter is off.
func (a *app) wireTelegram(context.Context) error {
	a.status = append(a.status, statusLine{"telegram", "off", "TELEGRAM_BOT_TOKEN not set"})
	return nil
}

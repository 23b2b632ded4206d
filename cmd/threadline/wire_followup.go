package main

import (
	"fmt"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
)

// wireEmailFollowUp connects the web chat to the email channel when both
// are on: a staff reply a visitor with an email address leaves unseen for
// webchat.offline_email_after is emailed to them (webchat.EmailFollowUp).
// The engine queues a delayed outbox row for it with each such reply; the
// follow-up is a channel of the outbox only (it receives nothing, so it
// has no Run of its own among the adapters), and the leader's outbox
// sends it like every other row.
func (a *app) wireEmailFollowUp() {
	var wc *webchat.Adapter
	var mail bridge.Continuer
	for _, ch := range a.channels {
		switch c := ch.(type) {
		case *webchat.Adapter:
			wc = c
		case bridge.Continuer:
			mail = c
		}
	}
	if wc == nil || mail == nil {
		return // the email and web chat lines of the banner say why
	}
	fu := wc.EmailFollowUp(mail)
	if fu == nil {
		a.status = append(a.status, statusLine{"follow-up", "off", "webchat.offline_email_after is 0: unseen web chat replies are not emailed"})
		return
	}
	a.sendOnly = append(a.sendOnly, fu)
	a.followUps = append(a.followUps, engine.FollowUp{Channel: webchat.Platform, Target: fu.Name(), After: fu.After(), Wanted: fu.Wanted})
	a.status = append(a.status, statusLine{"follow-up", "on", fmt.Sprintf("web chat replies left unseen for %s are emailed to visitors who gave an address", fu.After())})
}

package slack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/threadlinehq/threadline/bridge"
)

// Action ids of the card's buttons; the button value is the conversation id.
const (
	actionClaim   = "tl_claim"
	actionRelease = "tl_release"
	actionClose   = "tl_close"
	actionReopen  = "tl_reopen"
	actionStatus  = "tl_status"
	actionSuggest = "tl_suggest"
)

// actionCommand maps a button's action id to the command it stands for.
func actionCommand(actionID string) (string, bool) {
	switch actionID {
	case actionClaim:
		return "claim", true
	case actionRelease:
		return "release", true
	case actionClose:
		return "close", true
	case actionReopen:
		return "reopen", true
	case actionStatus:
		return "status", true
	case actionSuggest:
		return "suggest", true
	}
	return "", false
}

func cardTitle(v bridge.ConversationView) string {
	t := fmt.Sprintf("%s · %s (%s)", v.ID, v.CustomerName, v.Channel)
	if r := []rune(t); len(r) > 150 {
		t = string(r[:149]) + "…"
	}
	return t
}

// cardFallback is the notification text of the card.
func cardFallback(v bridge.ConversationView) string {
	owner := "unclaimed"
	if v.Owner != "" {
		owner = "owner " + v.OwnerName
	}
	return escape(fmt.Sprintf("%s · %s · %s", cardTitle(v), v.Status, owner))
}

func statusLabel(s bridge.Status) string {
	switch s {
	case bridge.StatusOpen:
		return ":large_green_circle: Open, waiting on staff"
	case bridge.StatusWaiting:
		return ":large_yellow_circle: Waiting on the customer"
	case bridge.StatusClosed:
		return ":white_circle: Closed"
	}
	return string(s)
}

func priorityLabel(p bridge.Priority) string {
	switch p {
	case bridge.PriorityUrgent:
		return ":rotating_light: Urgent"
	case bridge.PriorityHigh:
		return ":small_red_triangle: High"
	case bridge.PriorityLow:
		return "Low"
	}
	return "Normal"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// cardBlocks renders the ticket card: the thread's parent message, edited
// in place on every state change so the channel reads as a live board.
func cardBlocks(v bridge.ConversationView, previousLink string) []slack.Block {
	mk := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}

	owner := "Unclaimed"
	if v.Owner != "" {
		owner = escape(v.OwnerName)
	}
	customer := escape(v.CustomerName)
	if v.Identity != "" && v.Identity != v.CustomerName {
		customer += " · " + escape(v.Identity)
	}
	if v.Unreachable != "" {
		customer += "\n:no_entry: unreachable: " + escape(v.Unreachable)
	}
	status := statusLabel(v.Status)
	if !v.SnoozedUntil.IsZero() {
		status += "\n:zzz: snoozed until " + v.SnoozedUntil.UTC().Format("Mon 2 Jan 15:04 UTC")
	}
	if v.EscalatedTo != "" {
		status += "\n:rotating_light: escalated to " + escape(v.EscalatedTo)
	}
	if !v.SLADue.IsZero() {
		status += fmt.Sprintf("\n:stopwatch: SLA due <!date^%d^{date_short_pretty} {time}|%s>", v.SLADue.Unix(), v.SLADue.UTC().Format("2006-01-02 15:04 UTC"))
	}
	on := escape(string(v.Channel))
	if via := v.Via(); via != "" {
		on += " via " + escape(via)
	}
	fields := []*slack.TextBlockObject{
		mk("*Status*\n" + status),
		mk("*Owner*\n" + owner),
		mk("*Priority*\n" + priorityLabel(v.Priority)),
		mk("*Customer*\n" + customer + " on " + on),
		mk("*Department*\n" + escape(orDash(v.Department))),
		mk("*Messages*\n" + strconv.Itoa(v.MessageCount)),
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(cardTitle(v))),
		slack.NewSectionBlock(nil, fields, nil),
	}
	var about []slack.MixedElement
	if v.Subject != "" {
		about = append(about, plain("Subject: "+clip(v.Subject, 200)))
	}
	if v.LastMessage != "" && strings.TrimSpace(v.LastMessage) != strings.TrimSpace(v.Subject) {
		about = append(about, plain("Last message: "+clip(oneLine(v.LastMessage), 200)))
	}
	if len(v.Tags) > 0 {
		about = append(about, plain("Tags: "+strings.Join(v.Tags, ", ")))
	}
	if len(about) > 0 {
		blocks = append(blocks, slack.NewContextBlock("about", about...))
	}
	id := strconv.FormatInt(int64(v.ID), 10)
	button := func(action, label string, style slack.Style) *slack.ButtonBlockElement {
		b := slack.NewButtonBlockElement(action, id, plain(label))
		if style != "" {
			b.WithStyle(style)
		}
		return b
	}
	var buttons []slack.BlockElement
	switch {
	case v.Status == bridge.StatusClosed:
		buttons = append(buttons, button(actionReopen, "Reopen", slack.StylePrimary))
	case v.Owner == "":
		buttons = append(buttons, button(actionClaim, "Claim", slack.StylePrimary), button(actionClose, "Close", slack.StyleDanger))
	default:
		buttons = append(buttons, button(actionRelease, "Release", ""), button(actionClose, "Close", slack.StyleDanger))
	}
	buttons = append(buttons, button(actionStatus, "Status", ""))
	if v.Status != bridge.StatusClosed {
		// The best past answers, shown only to whoever pressed it.
		buttons = append(buttons, button(actionSuggest, "Suggest", ""))
	}
	blocks = append(blocks, slack.NewActionBlock("actions", buttons...))
	help := "Reply in this thread to answer the customer · start with `//` for an internal note · `!help` for commands"
	if previousLink != "" {
		help += " · continued from <" + previousLink + "|an earlier thread>"
	}
	blocks = append(blocks, slack.NewContextBlock("help", mk(help)))
	return blocks
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

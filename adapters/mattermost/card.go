package mattermost

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// The ticket card is the root post of a conversation's thread: a short
// message and one message attachment (model.SlackAttachment) with fields
// and buttons (interactive message actions). It is edited in place on
// every change, so the channel reads as a live board.

// Action ids of the card's buttons. Mattermost routes a click as
// /posts/{post_id}/actions/{action_id:[A-Za-z0-9]+}: ids are letters and
// digits only. Each id is also the command the button runs.
const (
	actionClaim   = "claim"
	actionRelease = "release"
	actionClose   = "close"
	actionReopen  = "reopen"
	actionStatus  = "status"
)

// propConversation marks a card post with its conversation (to find a
// card an earlier try posted when its answer was lost).
const propConversation = "threadline_conversation"

// attachment is a message attachment (model.SlackAttachment).
type attachment struct {
	Fallback string   `json:"fallback"`
	Color    string   `json:"color,omitempty"`
	Title    string   `json:"title,omitempty"`
	Text     string   `json:"text,omitempty"`
	Fields   []field  `json:"fields,omitempty"`
	Actions  []action `json:"actions,omitempty"`
	Footer   string   `json:"footer,omitempty"`
}

type field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// action is a button (model.PostAction); the server keeps Integration to
// itself and POSTs Context back to Integration.URL when it is clicked.
type action struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Type        string      `json:"type"`
	Style       string      `json:"style,omitempty"`
	Integration integration `json:"integration"`
}

type integration struct {
	URL     string         `json:"url"`
	Context map[string]any `json:"context"`
}

// signer makes the per-button proof that a click came through a card
// Threadline posted: HMAC-SHA256 of "action:conversation" with the
// install's action secret.
type signer []byte

func (k signer) sign(act string, conv bridge.ConversationID) string {
	m := hmac.New(sha256.New, k)
	fmt.Fprintf(m, "%s:%d", act, conv)
	return hex.EncodeToString(m.Sum(nil))
}

func (k signer) verify(act string, conv bridge.ConversationID, sig string) bool {
	want := k.sign(act, conv)
	return len(k) > 0 && hmac.Equal([]byte(want), []byte(sig))
}

// cardColor shows the state at a glance.
func cardColor(v bridge.ConversationView) string {
	switch {
	case v.Status == bridge.StatusClosed:
		return "#8A8A8A"
	case v.Priority == bridge.PriorityUrgent:
		return "#D24B4E"
	case v.Priority == bridge.PriorityHigh:
		return "#E67E22"
	case v.Status == bridge.StatusWaiting:
		return "#FFBC1F"
	}
	return "#1C58D9"
}

func statusLabel(s bridge.Status) string {
	switch s {
	case bridge.StatusOpen:
		return "🟢 Open, waiting on staff"
	case bridge.StatusWaiting:
		return "🟡 Waiting on the customer"
	case bridge.StatusClosed:
		return "⚪ Closed"
	}
	return string(s)
}

func priorityLabel(p bridge.Priority) string {
	switch p {
	case bridge.PriorityUrgent:
		return "🚨 Urgent"
	case bridge.PriorityHigh:
		return "🔺 High"
	case bridge.PriorityLow:
		return "Low"
	}
	return "Normal"
}

// cardTitle is "#42 · Anna (webchat)".
func cardTitle(v bridge.ConversationView) string {
	name := plainName(v.CustomerName)
	if name == "" {
		name = "Customer"
	}
	return clip(fmt.Sprintf("%s · %s (%s)", v.ID, name, v.Channel), 150)
}

// cardFallback is the card's notification text.
func cardFallback(v bridge.ConversationView) string {
	owner := "unclaimed"
	if v.Owner != "" {
		owner = "owner " + plainName(v.OwnerName)
	}
	return fmt.Sprintf("%s · %s · %s", cardTitle(v), v.Status, owner)
}

func stamp(t time.Time) string { return t.UTC().Format("Mon 2 Jan 15:04 UTC") }

// renderCard draws a conversation's card: the root post's message and
// props. url is where Mattermost sends button clicks; sign proves them.
// It is a pure function of its inputs (golden-tested).
func renderCard(v bridge.ConversationView, url string, k signer, previous bool) (string, map[string]any) {
	owner := "Unclaimed"
	if v.Owner != "" {
		owner = plainName(v.OwnerName)
	}
	customer := plainName(v.CustomerName)
	if v.Identity != "" && v.Identity != v.CustomerName {
		customer += " · " + plainName(v.Identity)
	}
	on := string(v.Channel)
	if via := v.Via(); via != "" {
		on += " via " + plainName(via)
	}
	customer += " on " + on
	if v.Unreachable != "" {
		customer += "\n⛔ unreachable: " + neutralize(oneLine(v.Unreachable))
	}
	status := statusLabel(v.Status)
	if !v.SnoozedUntil.IsZero() {
		status += "\n💤 snoozed until " + stamp(v.SnoozedUntil)
	}
	if v.EscalatedTo != "" {
		status += "\n🚨 escalated to " + plainName(v.EscalatedTo)
	}
	if !v.SLADue.IsZero() {
		status += "\n⏱ SLA due " + stamp(v.SLADue)
	}
	dept := plainName(v.Department)
	if dept == "" {
		dept = "—"
	}
	a := attachment{
		Fallback: cardFallback(v),
		Color:    cardColor(v),
		Fields: []field{
			{Title: "Status", Value: status, Short: true},
			{Title: "Owner", Value: owner, Short: true},
			{Title: "Priority", Value: priorityLabel(v.Priority), Short: true},
			{Title: "Customer", Value: customer, Short: true},
			{Title: "Department", Value: dept, Short: true},
			{Title: "Messages", Value: strconv.Itoa(v.MessageCount), Short: true},
		},
	}
	if v.Subject != "" {
		a.Title = neutralize(clip(oneLine(v.Subject), 200))
	}
	if v.LastMessage != "" && strings.TrimSpace(v.LastMessage) != strings.TrimSpace(v.Subject) {
		a.Text = "> " + neutralize(clip(oneLine(v.LastMessage), 300))
	}
	if len(v.Tags) > 0 {
		a.Fields = append(a.Fields, field{Title: "Tags", Value: neutralize(strings.Join(v.Tags, ", "))})
	}
	button := func(id, label, style string) action {
		return action{ID: id, Name: label, Type: "button", Style: style, Integration: integration{URL: url,
			Context: map[string]any{"action": id, "conversation": strconv.FormatInt(int64(v.ID), 10), "sig": k.sign(id, v.ID)}}}
	}
	switch {
	case v.Status == bridge.StatusClosed:
		a.Actions = append(a.Actions, button(actionReopen, "Reopen", "primary"))
	case v.Owner == "":
		a.Actions = append(a.Actions, button(actionClaim, "Claim", "primary"), button(actionClose, "Close", "danger"))
	default:
		a.Actions = append(a.Actions, button(actionRelease, "Release", "default"), button(actionClose, "Close", "danger"))
	}
	a.Actions = append(a.Actions, button(actionStatus, "Status", "default"))
	a.Footer = "Reply in this thread to answer the customer · start with // for an internal note · !help for commands"
	if previous {
		a.Footer += " · continued from an earlier thread"
	}
	message := "**" + cardTitle(v) + "**"
	props := map[string]any{"attachments": []attachment{a}, propConversation: strconv.FormatInt(int64(v.ID), 10)}
	return message, props
}

// cardOf is the conversation whose card p is (0 when it is none).
func cardOf(p Post) bridge.ConversationID {
	id, err := bridge.ParseConversationID(p.prop(propConversation))
	if err != nil || p.RootID != "" {
		return 0
	}
	return id
}

package discord

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/threadlinehq/threadline/bridge"
)

// Button custom ids: "tl:" + the command they run.
const buttonPrefix = "tl:"

// Embed colours by state.
const (
	colorOpen    = 0x5865F2
	colorWaiting = 0xFEE75C
	colorClosed  = 0x95A5A6
	colorHigh    = 0xE67E22
	colorUrgent  = 0xED4245
)

// card is the ticket card: the embed and the buttons under it.
type card struct {
	Embeds     []*discordgo.MessageEmbed    `json:"embeds"`
	Components []discordgo.MessageComponent `json:"components"`
}

// renderCard draws a conversation's ticket card. It is a pure function of
// the view, so it is golden-tested.
func renderCard(v bridge.ConversationView) card {
	e := &discordgo.MessageEmbed{
		Type:  discordgo.EmbedTypeRich,
		Title: clip(fmt.Sprintf("%s · %s", v.ID, customerLabel(v)), 256),
		Color: cardColor(v),
		Footer: &discordgo.MessageEmbedFooter{
			Text: "Plain text in this post goes to the customer · // or /note for notes · /help for commands",
		},
	}
	var desc []string
	if v.Subject != "" {
		desc = append(desc, "**"+clip(oneLine(v.Subject), 200)+"**")
	}
	if v.LastMessage != "" && v.LastMessage != v.Subject {
		desc = append(desc, "> "+clip(oneLine(v.LastMessage), 300))
	}
	e.Description = strings.Join(desc, "\n")
	owner := "Unclaimed"
	if v.Owner != "" {
		owner = v.OwnerName
	}
	who := string(v.Channel)
	if via := v.Via(); via != "" {
		who += " via " + via
	}
	if v.Identity != "" && v.Identity != v.CustomerName {
		who += " · " + v.Identity
	}
	add := func(name, value string, inline bool) {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: clip(value, 1024), Inline: inline})
	}
	add("Status", statusLabel(v.Status), true)
	add("Priority", string(v.Priority), true)
	add("Owner", owner, true)
	add("Customer", clip(oneLine(who), 200), true)
	if v.Department != "" {
		add("Department", v.Department, true)
	}
	add("Messages", strconv.Itoa(v.MessageCount), true)
	if !v.CreatedAt.IsZero() {
		opened := stamp(v.CreatedAt)
		if !v.FirstResponseAt.IsZero() {
			opened += " · first reply " + stamp(v.FirstResponseAt)
		} else {
			opened += " · no staff reply yet"
		}
		add("Opened", opened, false)
	}
	if v.EscalatedTo != "" {
		add("🚨 Escalated", v.EscalatedTo, true)
	}
	if !v.SLADue.IsZero() {
		add("⏱ SLA due", stamp(v.SLADue), true)
	}
	if !v.SnoozedUntil.IsZero() {
		add("💤 Snoozed until", stamp(v.SnoozedUntil), true)
	}
	if len(v.Tags) > 0 {
		add("Tags", strings.Join(v.Tags, ", "), false)
	}
	if v.Unreachable != "" {
		add("⚠ Customer unreachable", v.Unreachable, false)
	}
	if v.Status == bridge.StatusClosed && v.CloseReason != "" {
		add("Closed", v.CloseReason, false)
	}
	if v.PreviousThread != "" {
		add("Previous thread", "<#"+string(v.PreviousThread)+">", false)
	}
	var buttons []discordgo.MessageComponent
	if v.Status != bridge.StatusClosed {
		if v.Owner == "" {
			buttons = append(buttons, button("Claim", "claim", discordgo.PrimaryButton))
		} else {
			buttons = append(buttons, button("Release", "release", discordgo.SecondaryButton))
		}
		buttons = append(buttons, button("Close", "close", discordgo.DangerButton))
	} else {
		buttons = append(buttons, button("Reopen", "reopen", discordgo.SuccessButton))
	}
	buttons = append(buttons, button("Status", "status", discordgo.SecondaryButton))
	if v.Status != bridge.StatusClosed {
		// The best past answers, shown only to whoever pressed it.
		buttons = append(buttons, button("Suggest", "suggest", discordgo.SecondaryButton))
	}
	return card{Embeds: []*discordgo.MessageEmbed{e}, Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}}
}

func button(label, cmd string, style discordgo.ButtonStyle) discordgo.Button {
	return discordgo.Button{Label: label, Style: style, CustomID: buttonPrefix + cmd}
}

// stamp is a Discord timestamp that each reader sees in their time zone.
func stamp(t time.Time) string { return fmt.Sprintf("<t:%d:R>", t.Unix()) }

func customerLabel(v bridge.ConversationView) string {
	name := oneLine(v.CustomerName)
	if name == "" {
		name = oneLine(v.Identity)
	}
	if name == "" {
		name = "customer"
	}
	return clip(name, 60)
}

// threadName is the post title: "#42 · Anna (webchat)".
func threadName(v bridge.ConversationView) string {
	return clip(fmt.Sprintf("%s · %s (%s)", v.ID, customerLabel(v), v.Channel), 100)
}

func statusLabel(s bridge.Status) string {
	switch s {
	case bridge.StatusOpen:
		return "🟢 Open (waiting on staff)"
	case bridge.StatusWaiting:
		return "🟡 Waiting on customer"
	case bridge.StatusClosed:
		return "⚪ Closed"
	}
	return string(s)
}

func cardColor(v bridge.ConversationView) int {
	switch {
	case v.Status == bridge.StatusClosed:
		return colorClosed
	case v.Priority == bridge.PriorityUrgent:
		return colorUrgent
	case v.Priority == bridge.PriorityHigh:
		return colorHigh
	case v.Status == bridge.StatusWaiting:
		return colorWaiting
	}
	return colorOpen
}

// noMentions lets nothing in a message ping anyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

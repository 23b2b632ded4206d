package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// FormatList renders a queue of conversations, one per line.
func FormatList(convs []bridge.Conversation, now time.Time) string {
	if len(convs) == 0 {
		return "No open conversations. 🎉"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d open conversation(s):", len(convs))
	for _, c := range convs {
		owner := "unclaimed"
		if c.Owner != "" {
			owner = c.OwnerName
		}
		waited := c.LastCustomerAt
		if waited.IsZero() {
			waited = c.CreatedAt
		}
		fmt.Fprintf(&b, "\n%s %s · %s · %s · %s on %s · %s ago · %s", c.ID, c.Status, c.Priority, owner, c.CustomerName, c.Channel, Ago(now, waited), c.Subject)
	}
	return b.String()
}

// FormatStatus renders a conversation's state for !status and the CLI.
func FormatStatus(v bridge.ConversationView, now time.Time) string {
	var b strings.Builder
	owner := "unclaimed"
	if v.Owner != "" {
		owner = "owned by " + v.OwnerName
	}
	fmt.Fprintf(&b, "%s · %s · %s priority · %s", v.ID, v.Status, v.Priority, owner)
	if v.Department != "" {
		fmt.Fprintf(&b, " · %s", v.Department)
	}
	writeStatusCustomer(&b, v)
	writeStatusTimings(&b, v, now)
	if v.Status == bridge.StatusClosed && v.CloseReason != "" {
		fmt.Fprintf(&b, "\nClosed: %s", v.CloseReason)
	}
	if len(v.Tags) > 0 {
		fmt.Fprintf(&b, "\nTags: %s", strings.Join(v.Tags, ", "))
	}
	if v.EscalatedTo != "" {
		fmt.Fprintf(&b, "\nEscalated to %s %s ago", v.EscalatedTo, Ago(now, v.EscalatedAt))
	}
	if !v.SnoozedUntil.IsZero() {
		fmt.Fprintf(&b, "\nSnoozed for another %s", Round(v.SnoozedUntil.Sub(now)))
	}
	if v.SLA.Policy != "" {
		writeStatusSLA(&b, v, now)
	}
	return b.String()
}

// writeStatusCustomer adds who the customer is and how they are reached,
// then the subject.
func writeStatusCustomer(b *strings.Builder, v bridge.ConversationView) {
	who := v.CustomerName
	if v.Identity != "" && v.Identity != who {
		who += " (" + v.Identity + ")"
	}
	fmt.Fprintf(b, "\nCustomer: %s on %s", who, v.Channel)
	if via := v.Via(); via != "" {
		fmt.Fprintf(b, " via %s", via)
	}
	if v.Unreachable != "" {
		fmt.Fprintf(b, " · UNREACHABLE: %s", v.Unreachable)
	}
	if v.Subject != "" {
		fmt.Fprintf(b, "\nSubject: %s", v.Subject)
	}
}

// writeStatusTimings adds the line of ages: opened, first reply, last
// customer message, and the message count.
func writeStatusTimings(b *strings.Builder, v bridge.ConversationView, now time.Time) {
	fmt.Fprintf(b, "\nOpened %s ago", Ago(now, v.CreatedAt))
	if v.FirstResponseAt.IsZero() {
		b.WriteString(" · no staff reply yet")
	} else {
		fmt.Fprintf(b, " · first reply after %s", Round(v.FirstResponseAt.Sub(v.CreatedAt)))
	}
	if !v.LastCustomerAt.IsZero() {
		fmt.Fprintf(b, " · customer last wrote %s ago", Ago(now, v.LastCustomerAt))
	}
	fmt.Fprintf(b, " · %d messages", v.MessageCount)
}

// writeStatusSLA adds the SLA line: what response is due (or overdue, or
// paused) and whether the first response met its target.
func writeStatusSLA(b *strings.Builder, v bridge.ConversationView, now time.Time) {
	sl := v.SLA
	fmt.Fprintf(b, "\nSLA %s:", sl.Policy)
	switch {
	case !v.SLADue.IsZero() && v.SLADue.After(now):
		fmt.Fprintf(b, " %s response due in %s", sl.RespKind, Round(v.SLADue.Sub(now)))
	case !v.SLADue.IsZero():
		fmt.Fprintf(b, " %s response OVERDUE by %s", sl.RespKind, Round(now.Sub(v.SLADue)))
	case sl.RespKind != "":
		fmt.Fprintf(b, " %s response clock paused", sl.RespKind)
	default:
		b.WriteString(" no response due")
	}
	if sl.FirstMet != nil {
		fmt.Fprintf(b, " · first response %s", map[bool]string{true: "met", false: "missed"}[*sl.FirstMet])
	}
}

// Ago is a short "5m" / "3h" / "2d" duration since t.
func Ago(now, t time.Time) string { return Round(now.Sub(t)) }

// Round prints a duration coarsely for humans.
func Round(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// Clip shortens s to n runes with an ellipsis.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

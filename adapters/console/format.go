package console

import (
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Format renders an event as one or more terminal lines.
func Format(e Event) string {
	ts := e.At.Local().Format("15:04:05")
	id := fmt.Sprintf("#%d", e.Conversation)
	switch e.Type {
	case "hello":
		return fmt.Sprintf("%s connected to threadline %s; waiting for messages (Ctrl-C to stop)", ts, e.Text)
	case "thread":
		on := e.Card.Channel
		if e.Card.Via != "" {
			on += " via " + e.Card.Via
		}
		return fmt.Sprintf("%s %s NEW conversation · %s on %s · %s", ts, id, e.Card.Customer, on, cardLine(e.Card))
	case "card":
		return fmt.Sprintf("%s %s %s", ts, id, cardLine(e.Card))
	case "receipt":
		switch {
		case e.OK && e.Status == string(bridge.ReceiptDelivered):
			return fmt.Sprintf("%s %s ✓✓ reply %d reached the customer's device", ts, id, e.Message)
		case e.OK && e.Status == string(bridge.ReceiptRead):
			return fmt.Sprintf("%s %s ✓✓ reply %d read by the customer", ts, id, e.Message)
		}
		if e.OK {
			return fmt.Sprintf("%s %s ✓ reply %d delivered to the customer", ts, id, e.Message)
		}
		return fmt.Sprintf("%s %s ✗ reply %d NOT delivered: %s", ts, id, e.Message, e.Error)
	case "post":
		var who string
		switch e.Direction {
		case "customer":
			who = e.Author + " (customer)"
		case "staff":
			who = e.Author + " → customer"
		case "note":
			who = e.Author + " [note]"
		default:
			who = "⚙"
		}
		if e.Origin != "" && e.Origin != string(Platform) && e.Direction != "customer" {
			who += " via " + e.Origin
		}
		text := e.Text
		for _, f := range e.Files {
			if text != "" {
				text += "\n"
			}
			text += "📎 " + f
		}
		return fmt.Sprintf("%s %s %s: %s", ts, id, who, indent(text))
	case "typing":
		who := e.Author
		if who == "" {
			who = "the customer"
		}
		return fmt.Sprintf("%s %s %s is typing…", ts, id, who)
	}
	return fmt.Sprintf("%s %s %s %s", ts, id, e.Type, e.Text)
}

func cardLine(c *Card) string {
	if c == nil {
		return ""
	}
	owner := "unclaimed"
	if c.Owner != "" {
		owner = "owner " + c.Owner
	}
	s := fmt.Sprintf("[%s · %s · %s]", c.Status, c.Priority, owner)
	if c.Subject != "" {
		s += " " + c.Subject
	}
	return s
}

func indent(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n           ")
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

func ownerMention(c bridge.Conversation) []bridge.StaffID {
	if c.Owner == "" {
		return nil
	}
	return []bridge.StaffID{c.Owner}
}

// applyRules sets department, priority and tags from rule outcomes; it
// reports whether the card changed. Message rules only raise priority.
func (e *Engine) applyRules(tx bridge.Tx, c *bridge.Conversation, o rules.RuleOutcome, created bool, now time.Time) (bool, error) {
	changed := false
	if created && o.Department != "" {
		c.Department = o.Department
	}
	if o.Priority != "" && (created || o.Priority.Rank() < c.Priority.Rank()) {
		changed = changed || c.Priority != o.Priority
		c.Priority = o.Priority
	}
	for _, t := range o.Tags {
		added, err := tx.AddTag(c.ID, t, now)
		if err != nil {
			return false, err
		}
		changed = changed || added
	}
	if !created && len(o.Matched) > 0 && changed {
		if err := tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: bridge.SystemActor(), Action: "rules", Detail: strings.Join(o.Matched, ", "), At: now}); err != nil {
			return false, err
		}
	}
	return changed && !created, nil
}

// routedEffects records how a new conversation was routed, assigns it
// round-robin where configured, pings the department's on-call, and sends
// a rule's template reply or the acknowledgement.
func (e *Engine) routedEffects(tx bridge.Tx, c bridge.Conversation, o rules.RuleOutcome, now time.Time) error {
	if err := e.autoAssign(tx, &c, now); err != nil {
		return err
	}
	if len(o.Matched) > 0 {
		if err := tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: bridge.SystemActor(), Action: "routed",
			Detail: fmt.Sprintf("rules %s → department %q priority %s", strings.Join(o.Matched, ", "), c.Department, c.Priority), At: now}); err != nil {
			return err
		}
	}
	if oncall := e.dir.OnCall(c.Department, now); len(oncall) > 0 {
		where := "New conversation"
		if c.Department != "" {
			where = "New conversation for " + c.Department
		}
		if err := e.effects(tx, c.ID, Outcome{Notice: where + "; on call:", Mentions: oncall}, now); err != nil {
			return err
		}
	}
	if o.Reply == "" {
		return e.customerNotice(tx, c.ID, c.Channel, e.acknowledgement(tx, c, now), now)
	}
	body, ok := e.dir.Options().Templates[o.Reply]
	if !ok {
		return nil
	}
	auto := bridge.Actor{ID: "system", Name: "Threadline"}
	text := e.render(body, c, auto, now, tx)
	if err := e.customerNotice(tx, c.ID, c.Channel, text, now); err != nil {
		return err
	}
	return tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: bridge.SystemActor(), Action: "auto_reply", Detail: "template " + o.Reply, At: now})
}

// openCounter counts conversations waiting on staff: bridge.ConversationTx
// inside a write, readerCount outside.
type openCounter interface {
	CountOpen() (int, error)
}

// render fills a template for conversation c and agent. Each variable is
// computed only if body uses it: {{expected_wait}} may count the queue.
func (e *Engine) render(body string, c bridge.Conversation, agent bridge.Actor, now time.Time, open openCounter) string {
	return rules.RenderTemplateFunc(body, func(name string) string {
		switch name {
		case "customer":
			return greetingName(c)
		case "agent":
			return agent.Name
		case "conversation":
			return c.ID.String()
		case "department":
			if d, ok := e.dir.Department(c.Department); ok {
				return d.Name
			}
			return c.Department
		case "business_hours":
			return e.dir.Options().BusinessHours
		case "expected_wait":
			return e.waitEstimate(c, open)
		case "opens":
			return e.ackCalendar(c).NextOpen(now).In(e.dir.Location()).Format("Mon 15:04 MST")
		}
		return ""
	})
}

// greetingName is how templates call the customer: "" when no name is
// known (a visitor handle such as "Visitor 12", or the bare address a
// name falls back to), so the template drops it.
func greetingName(c bridge.Conversation) string {
	if bridge.IsVisitorHandle(c.CustomerName) || (c.CustomerName == c.Address && !strings.Contains(c.Address, "@")) {
		return ""
	}
	return c.CustomerName
}

// expectedWait is a rough estimate for customers, from the open queue.
func expectedWait(open openCounter) string {
	n, err := open.CountOpen()
	switch {
	case err != nil || n <= 2:
		return "a few minutes"
	case n <= 10:
		return "under an hour"
	}
	return "a few hours"
}

// readerCount counts the open queue outside a write (previews of templates).
type readerCount struct {
	ctx context.Context
	r   bridge.ConversationReader
}

func (rc readerCount) CountOpen() (int, error) {
	convs, err := rc.r.OpenConversations(rc.ctx, 100)
	n := 0
	for _, c := range convs {
		if c.Status == bridge.StatusOpen {
			n++
		}
	}
	return n, err
}

// Template returns a template by name (runtime ones override config ones).
func (e *Engine) Template(ctx context.Context, name string) (string, bool, error) {
	stored, err := e.store.Templates(ctx)
	if err != nil {
		return "", false, err
	}
	if b, ok := stored[name]; ok {
		return b, true, nil
	}
	b, ok := e.dir.Options().Templates[name]
	return b, ok, nil
}

// Templates lists all templates by name.
func (e *Engine) Templates(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range e.dir.Options().Templates {
		out[k] = v
	}
	stored, err := e.store.Templates(ctx)
	for k, v := range stored {
		out[k] = v
	}
	return out, err
}

// RenderTemplateFor renders a template for a conversation and agent.
func (e *Engine) RenderTemplateFor(ctx context.Context, conv bridge.ConversationID, name string, agent bridge.Actor) (string, error) {
	body, ok, err := e.Template(ctx, name)
	if err != nil {
		return "", err
	}
	if !ok {
		names, _ := e.Templates(ctx)
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, n)
		}
		sort.Strings(list)
		return "", bridge.Reject("no template %q (templates: %s)", name, strings.Join(list, ", "))
	}
	c, err := e.store.Conversation(ctx, conv)
	if err != nil {
		return "", err
	}
	return e.render(body, c, agent, e.now(), readerCount{ctx, e.store}), nil
}

// SaveTemplate adds or replaces a runtime template.
func (e *Engine) SaveTemplate(ctx context.Context, a bridge.Actor, name, body string) error {
	name = strings.ToLower(name)
	if !rules.ValidName(name) {
		return bridge.Reject("template names are lower-case letters, digits, - or _")
	}
	if err := rules.ValidateTemplate(body); err != nil {
		return bridge.Reject("%v", err)
	}
	if _, inConfig := e.dir.Options().Templates[name]; inConfig {
		return bridge.Reject("template %q comes from config.yaml; change it there", name)
	}
	now := e.now()
	return e.store.Write(ctx, func(tx bridge.Tx) error {
		if err := tx.SaveTemplate(name, body, a.ID, now); err != nil {
			return err
		}
		return tx.Audit(bridge.AuditEntry{Actor: a, Action: "template_save", Detail: name, At: now})
	})
}

// DeleteTemplate removes a runtime template.
func (e *Engine) DeleteTemplate(ctx context.Context, a bridge.Actor, name string) error {
	if _, inConfig := e.dir.Options().Templates[name]; inConfig {
		return bridge.Reject("template %q comes from config.yaml; remove it there", name)
	}
	now := e.now()
	return e.store.Write(ctx, func(tx bridge.Tx) error {
		ok, err := tx.DeleteTemplate(name)
		if err != nil {
			return err
		}
		if !ok {
			return bridge.Reject("no template %q", name)
		}
		return tx.Audit(bridge.AuditEntry{Actor: a, Action: "template_delete", Detail: name, At: now})
	})
}

// Assign makes someone else the owner.
func (e *Engine) Assign(ctx context.Context, sc StaffContext, to bridge.StaffID, toName string) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "assign", func(_ bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		if c.Status == bridge.StatusClosed {
			return Outcome{}, bridge.Reject("%s is closed; !reopen it first.", c.ID)
		}
		if c.Owner == to {
			return Outcome{}, bridge.Reject("%s is already %s's.", c.ID, toName)
		}
		prev := c.OwnerName
		c.Owner, c.OwnerName, c.ClaimedAt = to, toName, now
		detail := "to " + string(to)
		if prev != "" {
			detail += " (was " + prev + ")"
		}
		return Outcome{Notice: fmt.Sprintf("%s assigned this conversation to %s.", sc.Actor.Name, toName), Detail: detail, Mentions: []bridge.StaffID{to}}, nil
	})
}

// Handoff moves the conversation to another department (threads move to
// its channel where it has one) or to a person, with an optional note.
func (e *Engine) Handoff(ctx context.Context, sc StaffContext, dept string, to bridge.StaffID, toName, note string) (bridge.Conversation, error) {
	if dept != "" {
		if _, ok := e.dir.Department(dept); !ok {
			return bridge.Conversation{}, bridge.Reject("unknown department %q (departments: %s)", dept, strings.Join(e.dir.Departments(), ", "))
		}
	}
	summary := ""
	if dept != "" {
		summary = e.summary(ctx, sc.Conversation, note, sc.Actor)
	}
	return e.Act(ctx, sc, "handoff", func(tx bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		if note != "" {
			m := bridge.Message{Conversation: c.ID, Direction: bridge.DirNote, AuthorID: string(sc.Actor.ID), Author: sc.Actor.Name,
				Body: "Handoff note: " + note, Platform: sc.Surface, CreatedAt: now}
			if err := tx.InsertMessage(&m, 0); err != nil {
				return Outcome{}, err
			}
			if err := e.queue(tx, c.ID, now).post(m.ID, ""); err != nil {
				return Outcome{}, err
			}
		}
		if to != "" {
			c.Owner, c.OwnerName, c.ClaimedAt = to, toName, now
			return Outcome{Notice: fmt.Sprintf("%s handed this conversation to %s.", sc.Actor.Name, toName),
				Detail: "to " + string(to) + " " + note, Mentions: []bridge.StaffID{to}}, nil
		}
		if c.Department == dept {
			return Outcome{}, bridge.Reject("%s is already with %s.", c.ID, dept)
		}
		from := c.Department
		c.Department = dept
		c.Owner, c.OwnerName, c.ClaimedAt = "", "", time.Time{}
		msg := fmt.Sprintf("%s handed this conversation off to %s; it is unclaimed there.", sc.Actor.Name, dept)
		if note != "" {
			msg += " Note: " + note
		}
		return Outcome{Notice: msg, Detail: fmt.Sprintf("from %q to %q %s", from, dept, note),
			Mentions: e.dir.OnCall(dept, now), Move: true, Summary: summary}, nil
	})
}

// summary is shown at the top of a moved thread: the note and the latest
// exchange with the customer.
func (e *Engine) summary(ctx context.Context, conv bridge.ConversationID, note string, by bridge.Actor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Handed off by %s.", by.Name)
	if note != "" {
		fmt.Fprintf(&b, " Note: %s", note)
	}
	msgs, err := e.store.Messages(ctx, conv, 50)
	if err != nil {
		return b.String()
	}
	var talk []bridge.Message
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer || m.Direction == bridge.DirStaff {
			talk = append(talk, m)
		}
	}
	if len(talk) > 5 {
		talk = talk[len(talk)-5:]
	}
	if len(talk) > 0 {
		b.WriteString("\nLatest messages:")
	}
	for _, m := range talk {
		who := m.Author
		if m.Direction == bridge.DirStaff {
			who += " (staff)"
		}
		fmt.Fprintf(&b, "\n• %s: %s", who, firstLine(m.Body, 160))
	}
	return b.String()
}

// Escalate pulls a department (or the current department's on-call) in:
// priority goes to at least high, the on-call is pinged in the thread and
// in the department's own channel.
func (e *Engine) Escalate(ctx context.Context, sc StaffContext, target, reason string) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "escalate", func(_ bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		dept := target
		if target == "oncall" || target == "" {
			dept = c.Department
		} else if _, ok := e.dir.Department(dept); !ok {
			return Outcome{}, bridge.Reject("unknown department %q (departments: %s, or oncall)", dept, strings.Join(e.dir.Departments(), ", "))
		}
		if c.Status == bridge.StatusClosed {
			return Outcome{}, bridge.Reject("%s is closed; !reopen it first.", c.ID)
		}
		if c.EscalatedTo != "" && c.EscalatedTo == dept {
			return Outcome{}, bridge.Reject("%s is already escalated to %s.", c.ID, orName(dept))
		}
		if c.EscalatedTo == "" {
			c.PriorityBeforeEscalation = c.Priority
		}
		c.EscalatedTo, c.EscalatedAt = orName(dept), now
		if c.Priority.Rank() > bridge.PriorityHigh.Rank() {
			c.Priority = bridge.PriorityHigh
		}
		oncall := e.dir.OnCall(dept, now)
		msg := fmt.Sprintf("🚨 %s escalated this conversation to %s", sc.Actor.Name, orName(dept))
		if reason != "" {
			msg += ": " + reason
		}
		if len(oncall) == 0 {
			msg += " (nobody is on call there; set departments." + orName(dept) + ".oncall)"
		} else {
			msg += ". On call:"
		}
		return Outcome{Notice: msg, Detail: fmt.Sprintf("to %s %s", orName(dept), reason), Mentions: oncall, Announce: dept}, nil
	})
}

func orName(dept string) string {
	if dept == "" {
		return "on-call"
	}
	return dept
}

// Deescalate ends an escalation and restores the earlier priority.
func (e *Engine) Deescalate(ctx context.Context, sc StaffContext) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "deescalate", func(_ bridge.Tx, c *bridge.Conversation, _ time.Time) (Outcome, error) {
		if c.EscalatedTo == "" {
			return Outcome{}, bridge.Reject("%s is not escalated.", c.ID)
		}
		was := c.EscalatedTo
		if c.PriorityBeforeEscalation != "" {
			c.Priority = c.PriorityBeforeEscalation
		}
		c.EscalatedTo, c.EscalatedAt, c.PriorityBeforeEscalation = "", time.Time{}, ""
		return Outcome{Notice: fmt.Sprintf("%s de-escalated this conversation (was escalated to %s); priority is %s again.", sc.Actor.Name, was, c.Priority),
			Detail: "from " + was}, nil
	})
}

// SetPriority changes the priority.
func (e *Engine) SetPriority(ctx context.Context, sc StaffContext, p bridge.Priority) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "priority", func(_ bridge.Tx, c *bridge.Conversation, _ time.Time) (Outcome, error) {
		if c.Priority == p {
			return Outcome{}, bridge.Reject("%s is already %s priority.", c.ID, p)
		}
		was := c.Priority
		c.Priority = p
		return Outcome{Notice: fmt.Sprintf("%s set the priority to %s (was %s).", sc.Actor.Name, p, was), Detail: fmt.Sprintf("%s → %s", was, p)}, nil
	})
}

// Tag adds (add=true) or removes a tag.
func (e *Engine) Tag(ctx context.Context, sc StaffContext, tag string, add bool) (bridge.Conversation, error) {
	tag = rules.NormalizeTag(tag)
	if tag == "" {
		return bridge.Conversation{}, bridge.Reject("give a tag")
	}
	action := "tag_add"
	if !add {
		action = "tag_remove"
	}
	return e.Act(ctx, sc, action, func(tx bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		if add {
			ok, err := tx.AddTag(c.ID, tag, now)
			if err != nil {
				return Outcome{}, err
			}
			if !ok {
				return Outcome{}, bridge.Reject("%s already has the tag %s.", c.ID, tag)
			}
			return Outcome{Detail: tag}, nil
		}
		ok, err := tx.RemoveTag(c.ID, tag)
		if err != nil {
			return Outcome{}, err
		}
		if !ok {
			return Outcome{}, bridge.Reject("%s does not have the tag %s.", c.ID, tag)
		}
		return Outcome{Detail: tag}, nil
	})
}

// Snooze sets a conversation aside until a time: it comes back (and the
// owner is pinged) when the time comes or earlier when the customer writes.
func (e *Engine) Snooze(ctx context.Context, sc StaffContext, until time.Time) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "snooze", func(_ bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
		if c.Status == bridge.StatusClosed {
			return Outcome{}, bridge.Reject("%s is closed; there is nothing to snooze.", c.ID)
		}
		if !until.After(now) {
			return Outcome{}, bridge.Reject("that time is in the past")
		}
		c.SnoozedUntil = until
		when := until.In(e.dir.Location()).Format("Mon 2 Jan 15:04 MST")
		return Outcome{Notice: fmt.Sprintf("💤 %s snoozed this conversation until %s (or until the customer writes).", sc.Actor.Name, when),
			Detail: until.UTC().Format(time.RFC3339)}, nil
	})
}

// Unsnooze ends a snooze by hand.
func (e *Engine) Unsnooze(ctx context.Context, sc StaffContext) (bridge.Conversation, error) {
	return e.Act(ctx, sc, "unsnooze", func(_ bridge.Tx, c *bridge.Conversation, _ time.Time) (Outcome, error) {
		if c.SnoozedUntil.IsZero() {
			return Outcome{}, bridge.Reject("%s is not snoozed.", c.ID)
		}
		c.SnoozedUntil = time.Time{}
		return Outcome{Notice: fmt.Sprintf("%s ended the snooze.", sc.Actor.Name)}, nil
	})
}

// LinkCustomers merges the customer of other into this conversation's
// customer, so history shows both (same person on two channels).
func (e *Engine) LinkCustomers(ctx context.Context, sc StaffContext, other bridge.ConversationID) (bridge.Conversation, error) {
	oc, err := e.store.Conversation(ctx, other)
	if errors.Is(err, bridge.ErrNotFound) {
		return bridge.Conversation{}, bridge.Reject("there is no conversation %s", other)
	}
	if err != nil {
		return bridge.Conversation{}, err
	}
	return e.Act(ctx, sc, "link", func(tx bridge.Tx, c *bridge.Conversation, _ time.Time) (Outcome, error) {
		if oc.Customer == c.Customer {
			return Outcome{}, bridge.Reject("%s and %s already have the same customer.", c.ID, other)
		}
		if err := tx.MergeCustomers(c.Customer, oc.Customer); err != nil {
			return Outcome{}, err
		}
		return Outcome{Notice: fmt.Sprintf("%s linked this customer with the customer of %s (%s on %s): their histories are one now.",
			sc.Actor.Name, other, oc.CustomerName, oc.Channel), Detail: fmt.Sprintf("customer %d into %d", oc.Customer, c.Customer)}, nil
	})
}

// Sweep does the time-based work: snoozes that are over come back and ping
// their owner; claims whose owner did not answer within claims.expire_after
// are released. It is safe to run concurrently with everything else and
// after a restart (each change is one transaction that re-checks state).
func (e *Engine) Sweep(ctx context.Context) error {
	now := e.now()
	due, err := e.store.DueSnoozes(ctx, now)
	if err != nil {
		return err
	}
	sys := StaffContext{Actor: bridge.SystemActor()}
	for _, id := range due {
		sc := sys
		sc.Conversation = id
		_, err := e.Act(ctx, sc, "snooze_over", func(_ bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
			if c.SnoozedUntil.IsZero() || c.SnoozedUntil.After(now) {
				return Outcome{}, errSkip
			}
			c.SnoozedUntil = time.Time{}
			return Outcome{Notice: "⏰ Snooze is over: this conversation needs attention again.", Mentions: ownerMention(*c)}, nil
		})
		if err != nil && !errors.Is(err, errSkip) {
			return err
		}
	}
	if err := e.expireClaims(ctx, now); err != nil {
		return err
	}
	_, err = e.slaSweep(ctx, now)
	return err
}

var errSkip = errors.New("nothing to do")

func (e *Engine) expireClaims(ctx context.Context, now time.Time) error {
	cfg := e.dir.Options()
	shortest := cfg.Claims.ExpireAfter
	if r := cfg.Assignment.ReassignAfter; r > 0 && (shortest == 0 || r < shortest) {
		shortest = r
	}
	if shortest <= 0 {
		return nil
	}
	ids, err := e.store.StaleClaims(ctx, now.Add(-shortest))
	if err != nil {
		return err
	}
	for _, id := range ids {
		sc := StaffContext{Conversation: id, Actor: bridge.SystemActor()}
		_, err := e.Act(ctx, sc, "claim_expired", func(tx bridge.Tx, c *bridge.Conversation, now time.Time) (Outcome, error) {
			limit := cfg.Claims.ExpireAfter
			rr := e.dir.RoundRobin(c.Department) && cfg.Assignment.ReassignAfter > 0
			if rr {
				limit = cfg.Assignment.ReassignAfter
			}
			if limit <= 0 || !claimExpired(*c, limit, now) {
				return Outcome{}, errSkip
			}
			owner, ownerID := c.OwnerName, c.Owner
			c.Owner, c.OwnerName, c.ClaimedAt = "", "", time.Time{}
			if rr {
				next, name, err := e.pickAssignee(tx, c.Department, ownerID, now)
				if err != nil {
					return Outcome{}, err
				}
				if next != "" {
					c.Owner, c.OwnerName, c.ClaimedAt = next, name, now
					return Outcome{Notice: fmt.Sprintf("⌛ %s did not answer within %s; reassigned to %s (round robin).", owner, limit, name),
						Detail: fmt.Sprintf("%s → %s", ownerID, next), Mentions: []bridge.StaffID{next, ownerID}}, nil
				}
			}
			return Outcome{Notice: fmt.Sprintf("⌛ %s's claim expired: no answer to the customer within %s. The conversation is unclaimed again.", owner, limit),
				Detail: "owner " + string(ownerID), Mentions: []bridge.StaffID{ownerID}}, nil
		})
		if err != nil && !errors.Is(err, errSkip) {
			return err
		}
	}
	return nil
}

// claimExpired: claimed, the customer is waiting (open, not snoozed), and
// the owner has not answered since claiming for longer than limit.
func claimExpired(c bridge.Conversation, limit time.Duration, now time.Time) bool {
	if c.Owner == "" || c.Status != bridge.StatusOpen || c.ClaimedAt.IsZero() || !c.SnoozedUntil.IsZero() {
		return false
	}
	since := c.ClaimedAt
	if c.LastStaffAt.After(since) {
		since = c.LastStaffAt
	}
	return now.Sub(since) > limit
}

// recordRating stores a satisfaction answer on a closed conversation
// without reopening it.
func (e *Engine) recordRating(tx bridge.Tx, c bridge.Conversation, m bridge.InboundMessage, cust bridge.CustomerID, now time.Time, res *bridge.DeliverResult) error {
	name := m.Name
	if name == "" {
		name = m.Address
	}
	msg := bridge.Message{Conversation: c.ID, Direction: bridge.DirCustomer, AuthorID: m.Address, Author: name, Body: m.Text,
		Platform: m.Channel, ExternalID: m.ExternalID, CreatedAt: now}
	if err := tx.InsertMessage(&msg, 0); err != nil {
		return err
	}
	score, _ := ParseRating(m.Text)
	if err := tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: bridge.Actor{ID: bridge.StaffID("customer:" + m.Address), Name: name},
		Action: "csat", Detail: strconv.Itoa(score), At: now}); err != nil {
		return err
	}
	o := Outcome{Notice: fmt.Sprintf("⭐ The customer rated this conversation %d/5.", score), NoCard: true}
	if t := e.sla.Options().Satisfaction.Thanks; t != "" {
		o.Customer = []string{e.render(t, c, bridge.SystemActor(), now, tx)}
	}
	*res = bridge.DeliverResult{Conversation: c.ID, Message: msg.ID}
	_ = cust
	return e.effects(tx, c.ID, o, now)
}

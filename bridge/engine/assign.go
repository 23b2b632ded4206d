package engine

import (
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// pickAssignee returns the next person for a round-robin department after
// the last one assigned, skipping exclude and anyone at capacity; "" when
// nobody is available (or outside the assignment calendar's hours).
func (e *Engine) pickAssignee(tx bridge.Tx, dept string, exclude bridge.StaffID, now time.Time) (bridge.StaffID, string, error) {
	cands := e.dir.Assignable(dept)
	cfg := e.dir.Options().Assignment
	if len(cands) == 0 {
		return "", "", nil
	}
	if cfg.Calendar != nil && !cfg.Calendar.Open(now) {
		return "", "", nil
	}
	last, err := tx.GetCursor("roundrobin", dept)
	if err != nil {
		return "", "", err
	}
	start := 0
	for i, c := range cands {
		if string(c) == last {
			start = i + 1
		}
	}
	for i := range cands {
		cand := cands[(start+i)%len(cands)]
		if cand == exclude {
			continue
		}
		if cfg.Capacity > 0 {
			n, err := tx.OwnedOpen(cand)
			if err != nil {
				return "", "", err
			}
			if n >= cfg.Capacity {
				continue
			}
		}
		if err := tx.PutCursor("roundrobin", dept, string(cand), now); err != nil {
			return "", "", err
		}
		name, ok := e.dir.Name(cand)
		if !ok {
			if name, err = tx.StaffName(cand); err != nil || name == "" {
				name = string(cand)
			}
		}
		return cand, name, nil
	}
	return "", "", nil
}

// autoAssign assigns a new conversation of a round-robin department.
func (e *Engine) autoAssign(tx bridge.Tx, c *bridge.Conversation, now time.Time) error {
	if c.Owner != "" || !e.dir.RoundRobin(c.Department) {
		return nil
	}
	who, name, err := e.pickAssignee(tx, c.Department, "", now)
	if err != nil || who == "" {
		return err
	}
	c.Owner, c.OwnerName, c.ClaimedAt = who, name, now
	if err := tx.UpdateConversation(*c); err != nil {
		return err
	}
	if err := tx.Audit(bridge.AuditEntry{Conversation: c.ID, Actor: bridge.SystemActor(), Action: "auto_assign", Detail: string(who), At: now}); err != nil {
		return err
	}
	return e.effects(tx, c.ID, Outcome{Notice: fmt.Sprintf("Assigned to %s (round robin).", name), Mentions: []bridge.StaffID{who}}, now)
}

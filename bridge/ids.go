package bridge

import (
	"fmt"
	"strconv"
	"strings"
)

// ConversationID identifies a conversation; it is shown to staff as "#123".
type ConversationID int64

func (id ConversationID) String() string { return "#" + strconv.FormatInt(int64(id), 10) }

// ParseConversationID accepts "123" and "#123".
func ParseConversationID(s string) (ConversationID, error) {
	if len(s) > 0 && s[0] == '#' {
		s = s[1:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a conversation id (expected a number such as 42 or #42)", s)
	}
	return ConversationID(n), nil
}

// CustomerID identifies a customer record (one person across channels).
type CustomerID int64

// MessageID identifies a stored message.
type MessageID int64

// OutboxID identifies an outbox row.
type OutboxID int64

// Platform names a channel or surface: "webchat", "telegram", "email",
// "slack", "discord", "console".
type Platform string

// ExternalRef is an id that belongs to one platform, such as a Slack message
// ts or a Telegram message id. Keeping the platform next to the id means a
// Slack ts can never be looked up as a Telegram id.
type ExternalRef struct {
	Platform Platform
	ID       string
}

func (r ExternalRef) String() string { return string(r.Platform) + ":" + r.ID }

// IsZero reports whether the ref is empty.
func (r ExternalRef) IsZero() bool { return r.ID == "" }

// ThreadRef is a staff surface's handle for a conversation's thread (a Slack
// channel+ts, a Discord thread id, ...). Only the surface that issued it
// interprets it.
type ThreadRef string

// StaffID identifies a staff member on one surface: "slack:U123", "console:alice".
// Department members and on-call lists may also name groups of staff (see
// IsGroup): a Slack user group "slack:group:S0123ABC" or a Discord role
// "discord:role:123456789". Each surface describes its ids (StaffIDForm).
type StaffID string

// Actor is whoever performs an action: a staff member, the customer or the system.
type Actor struct {
	ID   StaffID
	Name string
	Role Role
	// Groups are the staff groups the surface knows the actor belongs to
	// ("slack:group:S0123ABC", "discord:role:123456789"); departments that
	// name groups as members count the actor in through them.
	Groups []StaffID
}

// SystemActor is used for automatic actions (SLA sweeps, dead letters).
func SystemActor() Actor { return Actor{ID: "system", Name: "Threadline", Role: RoleAdmin} }

// Role orders staff permissions: agent < lead < admin.
type Role int

const (
	RoleAgent Role = iota
	RoleLead
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleLead:
		return "lead"
	case RoleAdmin:
		return "admin"
	default:
		return "agent"
	}
}

// ParseRole parses "agent", "lead" or "admin".
func ParseRole(s string) (Role, error) {
	switch s {
	case "agent", "":
		return RoleAgent, nil
	case "lead":
		return RoleLead, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleAgent, fmt.Errorf("unknown role %q (want agent, lead or admin)", s)
}

// IsGroup reports whether id names a group of staff rather than one
// person: a group id has three parts, surface:kind:id ("slack:group:S0123",
// "discord:role:1234"); a person's has two. Which kinds exist, and what a
// well-formed one looks like, the surfaces say (StaffIDForm).
func (id StaffID) IsGroup() bool { return strings.Count(string(id), ":") >= 2 }

// Surface is the surface an id belongs to: the part before the first colon
// ("" when there is none).
func (id StaffID) Surface() Platform {
	s, _, ok := strings.Cut(string(id), ":")
	if !ok {
		return ""
	}
	return Platform(s)
}

// AppendUnique appends the ids not already in list.
func AppendUnique(list []StaffID, ids ...StaffID) []StaffID {
	for _, id := range ids {
		dup := false
		for _, x := range list {
			if x == id {
				dup = true
				break
			}
		}
		if !dup && id != "" {
			list = append(list, id)
		}
	}
	return list
}

// MentionHere is a mention of everyone active in the staff channel
// (Slack <!here>, Discord @here); the ladder's "here" target.
const MentionHere StaffID = "@here"

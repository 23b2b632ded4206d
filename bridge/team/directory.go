package team

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/sla"
)

// Options are the staff workflow: departments and their people, roles,
// routing rules, templates and the reply, claim and assignment policies.
type Options struct {
	Departments       map[string]Department
	DefaultDepartment string
	Staff             []Staff
	// DefaultRole is the role of staff not listed in Staff.
	DefaultRole bridge.Role
	Rules       []rules.Rule
	// Templates are quick replies from config ({{customer}}, ... variables).
	Templates map[string]string
	Claims    Claims
	// ReopenOnReply: a reply to a closed conversation reopens it and is
	// sent; otherwise it is refused (a forced reply still goes).
	ReopenOnReply bool
	// Permissions override the role a command needs (command → role).
	Permissions map[string]bridge.Role
	// Location is the team's time zone (nil: UTC).
	Location *time.Location
	// BusinessHours is the text the {{business_hours}} variable shows.
	BusinessHours string
	Assignment    Assignment
	// StaffIDs say how each surface's staff ids and groups look (none:
	// any surface:name id is a person, and no group can be listed).
	StaffIDs bridge.StaffIDForms
}

// Department is one department (support, engineering, billing, ...).
type Department struct {
	Name string // display name ("": the key)
	// Members are people or groups (StaffIDs tells them apart).
	Members []bridge.StaffID
	// MembersOnly: only members (and leads/admins) may reply, claim or
	// change its conversations; others may still write notes.
	MembersOnly bool
	// OnCall is paged on escalation and new conversations; Rotation, when
	// set, decides instead. Groups are mentioned as groups.
	OnCall   []bridge.StaffID
	Rotation *sla.Rotation
}

// Staff names a staff member and their role.
type Staff struct {
	ID   bridge.StaffID
	Name string
	Role bridge.Role
}

// Claims govern ownership.
type Claims struct {
	// ExpireAfter releases a claim whose owner has not answered the
	// customer for this long (0: never).
	ExpireAfter time.Duration
	// BlockOthers refuses a reply to a conversation claimed by somebody
	// else (a forced reply still goes); otherwise it is sent with a warning.
	BlockOthers bool
}

// Assignment hands new conversations out round-robin.
type Assignment struct {
	// Departments whose new conversations are assigned round-robin among
	// their members (and rotation people).
	Departments []string
	// Capacity skips people who already own this many open conversations (0: no limit).
	Capacity int
	// ReassignAfter gives the conversation to the next person when the
	// assignee has not answered within this time (0: never).
	ReassignAfter time.Duration
	// Calendar limits assignment to its open hours (nil: always).
	Calendar *sla.Calendar
}

// Directory answers who is who: roles, departments, membership, on-call.
// It is built once from options and read concurrently.
type Directory struct {
	o     Options
	staff map[bridge.StaffID]Staff
	// groups expands groups that can be listed (groups.go); nil: none can be.
	groups GroupSource
}

// New builds a Directory.
func New(o Options) *Directory {
	if o.Location == nil {
		o.Location = time.UTC
	}
	d := &Directory{o: o, staff: make(map[bridge.StaffID]Staff)}
	for _, s := range o.Staff {
		d.staff[s.ID] = s
	}
	return d
}

// Options returns the options the directory was built with.
func (d *Directory) Options() Options { return d.o }

// Location is the team's time zone.
func (d *Directory) Location() *time.Location { return d.o.Location }

// Permission returns the role config requires for a command, if it
// overrides the command table's.
func (d *Directory) Permission(command string) (bridge.Role, bool) {
	r, ok := d.o.Permissions[command]
	return r, ok
}

// Role returns the configured role of id, or the surface's default for
// staff not listed (console users default to admin: they hold the token).
func (d *Directory) Role(id bridge.StaffID, surfaceDefault bridge.Role) bridge.Role {
	if s, ok := d.staff[id]; ok {
		return s.Role
	}
	return max(d.o.DefaultRole, surfaceDefault)
}

// Name returns the configured name of a staff member, if listed.
func (d *Directory) Name(id bridge.StaffID) (string, bool) {
	s, ok := d.staff[id]
	return s.Name, ok && s.Name != ""
}

// Department returns a department.
func (d *Directory) Department(name string) (Department, bool) {
	c, ok := d.o.Departments[name]
	if ok && c.Name == "" {
		c.Name = name
	}
	return c, ok
}

// Departments lists department keys, sorted.
func (d *Directory) Departments() []string {
	out := make([]string, 0, len(d.o.Departments))
	for k := range d.o.Departments {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IsMember reports whether id belongs to dept: listed, or in one of its
// groups that can be listed. Membership through a group that cannot be
// listed is known only from an actor's groups (MemberOf).
func (d *Directory) IsMember(id bridge.StaffID, dept string) bool {
	for _, m := range d.o.Departments[dept].Members {
		if m == id {
			return true
		}
		if m.IsGroup() && d.inGroup(id, m) {
			return true
		}
	}
	return false
}

// MayAct reports whether actor may reply to or change conversations of
// dept, with the reason when not.
func (d *Directory) MayAct(a bridge.Actor, dept string) (bool, string) {
	c, ok := d.o.Departments[dept]
	if !ok || !c.MembersOnly || a.Role >= bridge.RoleLead || d.MemberOf(a, dept) {
		return true, ""
	}
	return false, fmt.Sprintf("only members of %s (or leads) may act on its conversations; you can still write a note with //, or ask a lead to !assign it", dept)
}

// OnCall returns who is on call for dept now: the rotation's person when
// the department has a rotation, else its oncall list.
func (d *Directory) OnCall(dept string, now time.Time) []bridge.StaffID {
	c := d.o.Departments[dept]
	if c.Rotation != nil {
		who, _ := c.Rotation.OnCall(now)
		return []bridge.StaffID{who}
	}
	return c.OnCall
}

// Rotation returns a department's rotation, if it has one.
func (d *Directory) Rotation(dept string) (*sla.Rotation, bool) {
	r := d.o.Departments[dept].Rotation
	return r, r != nil
}

// Assignable lists whom a department's conversations may be assigned to:
// its members (groups that can be listed expanded, the others left out),
// then rotation people not already listed.
func (d *Directory) Assignable(dept string) []bridge.StaffID {
	c := d.o.Departments[dept]
	out := d.expand(c.Members)
	if c.Rotation != nil {
		out = bridge.AppendUnique(out, c.Rotation.People()...)
	}
	return out
}

// RoundRobin reports whether dept assigns new conversations automatically.
func (d *Directory) RoundRobin(dept string) bool {
	for _, x := range d.o.Assignment.Departments {
		if x == dept {
			return true
		}
	}
	return false
}

// ResolveStaff finds a staff member by "@name", "name" or a staff id among
// configured staff and the names in known (staff seen on surfaces). When a
// name is ambiguous, the one on the prefer surface wins.
func (d *Directory) ResolveStaff(ref string, known map[bridge.StaffID]string, prefer bridge.Platform) (bridge.StaffID, string, bool) {
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "@")
	if ref == "" {
		return "", "", false
	}
	if d.o.StaffIDs.IsPerson(bridge.StaffID(ref)) {
		id := bridge.StaffID(ref)
		if n, ok := d.Name(id); ok {
			return id, n, true
		}
		if n, ok := known[id]; ok {
			return id, n, true
		}
		return id, ref, true
	}
	var found []bridge.StaffID
	names := map[bridge.StaffID]string{}
	for id, n := range known {
		if strings.EqualFold(n, ref) {
			found, names[id] = append(found, id), n
		}
	}
	for id, s := range d.staff {
		if strings.EqualFold(s.Name, ref) {
			if _, dup := names[id]; !dup {
				found = append(found, id)
			}
			names[id] = s.Name
		}
	}
	if len(found) > 1 {
		var same []bridge.StaffID
		for _, id := range found {
			if id.Surface() == prefer {
				same = append(same, id)
			}
		}
		found = same
	}
	if len(found) != 1 {
		return "", "", false
	}
	return found[0], names[found[0]], true
}

// Leads lists leads and admins for a department: its members with those
// roles, or every lead and admin when the department lists no members.
// Whether a lead is in one of the department's groups that cannot be
// listed is unknown, so the leads of that group's surface count (better one
// lead too many than an SLA breach nobody hears of).
func (d *Directory) Leads(dept string) []bridge.StaffID {
	members := d.o.Departments[dept].Members
	unlisted := d.unlistedSurfaces(members)
	var out []bridge.StaffID
	for _, s := range d.o.Staff {
		if s.Role < bridge.RoleLead {
			continue
		}
		if len(members) > 0 && !unlisted[s.ID.Surface()] && !d.IsMember(s.ID, dept) {
			continue
		}
		out = append(out, s.ID)
	}
	return out
}

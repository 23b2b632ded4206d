package team

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/sla"
)

// DepartmentConfig is one department (support, engineering, billing, ...).
type DepartmentConfig struct {
	Name string `yaml:"name"` // display name; defaults to the key
	// Channels puts the department's threads in its own channel per surface
	// (slack: C0123, discord: 1234567890). Unset: the surface's default channel.
	Channels map[string]string `yaml:"channels"`
	// Members are people (slack:U0123, discord:1234, console:alice) or
	// groups: a Slack user group (slack:group:S0123ABC) or a Discord role
	// (discord:role:1234).
	Members []bridge.StaffID `yaml:"members"`
	// MembersOnly: only members (and leads/admins) may reply, claim or
	// change its conversations; others may still write notes.
	MembersOnly bool `yaml:"members_only"`
	// OnCall is paged on escalation and new conversations; a rotation,
	// when configured, decides instead. Groups are mentioned as groups.
	OnCall   []bridge.StaffID    `yaml:"oncall"`
	Rotation *sla.RotationConfig `yaml:"rotation"`
}

// StaffConfig names a staff member and their role.
type StaffConfig struct {
	ID   bridge.StaffID `yaml:"id"` // slack:U0123, discord:1234, console:alice
	Name string         `yaml:"name"`
	Role string         `yaml:"role"` // agent, lead, admin
}

// ClaimsConfig governs ownership.
type ClaimsConfig struct {
	// ExpireAfter releases a claim whose owner has not answered the
	// customer for this long (0: never).
	ExpireAfter bridge.Duration `yaml:"expire_after"`
	// OthersReply decides what happens when someone replies to a
	// conversation claimed by somebody else: "warn" (send, and tell them)
	// or "block" (refuse; !reply sends anyway).
	OthersReply string `yaml:"others_reply"`
}

// WorkflowConfig is the staff-workflow part of config.yaml.
type Config struct {
	Departments       map[string]DepartmentConfig `yaml:"departments"`
	DefaultDepartment string                      `yaml:"default_department"`
	Staff             []StaffConfig               `yaml:"staff"`
	// DefaultRole is the role of staff not listed under staff.
	DefaultRole string             `yaml:"default_role"`
	Rules       []rules.RuleConfig `yaml:"rules"`
	// Templates are quick replies ({{customer}}, {{agent}}, ... variables);
	// more can be added at runtime with !template add.
	Templates map[string]string `yaml:"templates"`
	Claims    ClaimsConfig      `yaml:"claims"`
	// ClosedReplies: "block" (refuse; !reply sends and reopens) or "reopen"
	// (a reply to a closed conversation reopens it and is sent).
	ClosedReplies string `yaml:"closed_replies"`
	// Permissions override the role a command needs (command: role).
	Permissions map[string]string `yaml:"permissions"`
	// Timezone for "!snooze tomorrow 9:00" and business hours.
	Timezone string `yaml:"timezone"`
	// BusinessHours is the text the {{business_hours}} variable shows.
	BusinessHours string `yaml:"business_hours"`
	// Assignment hands new conversations out round-robin.
	Assignment AssignmentConfig `yaml:"assignment"`
}

// AssignmentConfig is round-robin auto-assignment.
type AssignmentConfig struct {
	// Departments whose new conversations are assigned round-robin among
	// their members (and rotation people).
	Departments []string `yaml:"departments"`
	// Capacity skips people who already own this many open conversations (0: no limit).
	Capacity int `yaml:"capacity"`
	// ReassignAfter gives the conversation to the next person when the
	// assignee has not answered within this time (0: never).
	ReassignAfter bridge.Duration `yaml:"reassign_after"`
	// Calendar (an sla.calendars name) limits assignment to its open hours.
	Calendar string `yaml:"calendar"`
}

// Defaults fills unset fields.
func (w *Config) Defaults() {
	if w.DefaultRole == "" {
		w.DefaultRole = "agent"
	}
	if w.Claims.OthersReply == "" {
		w.Claims.OthersReply = "warn"
	}
	if w.ClosedReplies == "" {
		w.ClosedReplies = "block"
	}
	if w.Timezone == "" {
		w.Timezone = "UTC"
	}
}

// Validate reports every problem; field paths are relative to the top level.
func (w Config) Validate(commandNames []string) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, bridge.FieldErrorf(field, format, args...))
	}
	checkStaff := func(field string, id bridge.StaffID) {
		switch {
		case id.IsGroup():
			add(field, "%q is a group; staff entries are people (name groups under departments.<name>.members or oncall)", id)
		case !id.IsPerson():
			add(field, "%q is not a staff id (want slack:U0123, discord:1234 or console:name)", id)
		}
	}
	checkMember := func(field string, id bridge.StaffID) {
		if p := memberProblem(id); p != "" {
			add(field, "%s", p)
		}
	}
	for key, d := range w.Departments {
		if !rules.ValidName(key) {
			add("departments."+key, "department keys must be lower-case letters, digits, - or _")
		}
		for i, m := range d.Members {
			checkMember(fmt.Sprintf("departments.%s.members[%d]", key, i), m)
		}
		for i, m := range d.OnCall {
			checkMember(fmt.Sprintf("departments.%s.oncall[%d]", key, i), m)
		}
		if d.Rotation != nil {
			if _, err := sla.NewRotation(*d.Rotation); err != nil {
				for _, e := range splitErrors(err) {
					var fe *bridge.FieldError
					if errors.As(e, &fe) {
						add("departments."+key+".rotation."+fe.Field, "%s", fe.Msg)
					}
				}
			}
		}
		for surface := range d.Channels {
			if surface != "slack" && surface != "discord" {
				add("departments."+key+".channels."+surface, "unknown surface (want slack or discord)")
			}
		}
	}
	dept := func(field, name string) {
		if name == "" {
			return
		}
		if _, ok := w.Departments[name]; !ok {
			add(field, "unknown department %q (define it under departments)", name)
		}
	}
	dept("default_department", w.DefaultDepartment)
	if _, err := bridge.ParseRole(w.DefaultRole); err != nil {
		add("default_role", "%v", err)
	}
	seen := map[bridge.StaffID]bool{}
	for i, s := range w.Staff {
		checkStaff(fmt.Sprintf("staff[%d].id", i), s.ID)
		if seen[s.ID] {
			add(fmt.Sprintf("staff[%d].id", i), "%s is listed twice", s.ID)
		}
		seen[s.ID] = true
		if _, err := bridge.ParseRole(s.Role); err != nil {
			add(fmt.Sprintf("staff[%d].role", i), "%v", err)
		}
	}
	for i, r := range w.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		if err := r.Validate(); err != nil {
			add(field, "%v", err)
		}
		dept(field+".set.department", r.Set.Department)
		if r.Set.Reply != "" {
			if _, ok := w.Templates[r.Set.Reply]; !ok {
				add(field+".set.reply", "unknown template %q (define it under templates)", r.Set.Reply)
			}
		}
	}
	for name, body := range w.Templates {
		if !rules.ValidName(name) {
			add("templates."+name, "template names must be lower-case letters, digits, - or _")
		}
		if err := rules.ValidateTemplate(body); err != nil {
			add("templates."+name, "%v", err)
		}
	}
	if w.Claims.OthersReply != "warn" && w.Claims.OthersReply != "block" {
		add("claims.others_reply", "must be warn or block, not %q", w.Claims.OthersReply)
	}
	if w.ClosedReplies != "block" && w.ClosedReplies != "reopen" {
		add("closed_replies", "must be block or reopen, not %q", w.ClosedReplies)
	}
	known := map[string]bool{}
	for _, n := range commandNames {
		known[n] = true
	}
	for cmd, role := range w.Permissions {
		if len(commandNames) > 0 && !known[cmd] {
			add("permissions."+cmd, "unknown command %q", cmd)
		}
		if _, err := bridge.ParseRole(role); err != nil {
			add("permissions."+cmd, "%v", err)
		}
	}
	for i, d := range w.Assignment.Departments {
		dept(fmt.Sprintf("assignment.departments[%d]", i), d)
		if c := w.Departments[d]; len(c.Members) == 0 && c.Rotation == nil {
			add(fmt.Sprintf("assignment.departments[%d]", i), "%s has no members or rotation to assign to", d)
		} else if onlyDiscordRoles(c.Members) && c.Rotation == nil {
			add(fmt.Sprintf("assignment.departments[%d]", i), "%s's members are only Discord roles, which Threadline cannot assign to (listing a role's members needs the privileged Server Members intent); list the people (discord:1234) or add a rotation", d)
		}
	}
	if w.Assignment.Capacity < 0 {
		add("assignment.capacity", "must not be negative")
	}
	if _, err := time.LoadLocation(w.Timezone); err != nil {
		add("timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", w.Timezone)
	}
	return errors.Join(errs...)
}

// Directory answers who is who: roles, departments, membership, on-call.
// It is built once from config and read concurrently.
type Directory struct {
	cfg       Config
	staff     map[bridge.StaffID]StaffConfig
	loc       *time.Location
	rotations map[string]*sla.Rotation
	// groups expands Slack user groups (groups.go); nil: none can be.
	groups GroupSource
}

// NewDirectory builds a Directory from validated config.
func New(cfg Config) *Directory {
	cfg.Defaults()
	d := &Directory{cfg: cfg, staff: make(map[bridge.StaffID]StaffConfig), loc: time.UTC, rotations: map[string]*sla.Rotation{}}
	for name, dc := range cfg.Departments {
		if dc.Rotation != nil {
			if r, err := sla.NewRotation(*dc.Rotation); err == nil {
				d.rotations[name] = r
			}
		}
	}
	for _, s := range cfg.Staff {
		d.staff[s.ID] = s
	}
	if loc, err := time.LoadLocation(cfg.Timezone); err == nil {
		d.loc = loc
	}
	return d
}

// Config returns the workflow config.
func (d *Directory) Config() Config { return d.cfg }

// Location is the team's time zone.
func (d *Directory) Location() *time.Location { return d.loc }

// Role returns the configured role of id, or the surface's default for
// staff not listed (console users default to admin: they hold the token).
func (d *Directory) Role(id bridge.StaffID, surfaceDefault bridge.Role) bridge.Role {
	if s, ok := d.staff[id]; ok {
		r, _ := bridge.ParseRole(s.Role)
		return r
	}
	def, _ := bridge.ParseRole(d.cfg.DefaultRole)
	return max(def, surfaceDefault)
}

// Name returns the configured name of a staff member, if listed.
func (d *Directory) Name(id bridge.StaffID) (string, bool) {
	s, ok := d.staff[id]
	return s.Name, ok && s.Name != ""
}

// Department returns a department's config.
func (d *Directory) Department(name string) (DepartmentConfig, bool) {
	c, ok := d.cfg.Departments[name]
	if ok && c.Name == "" {
		c.Name = name
	}
	return c, ok
}

// Departments lists department keys, sorted.
func (d *Directory) Departments() []string {
	out := make([]string, 0, len(d.cfg.Departments))
	for k := range d.cfg.Departments {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IsMember reports whether id belongs to dept: listed, or in one of its
// Slack user groups. Membership through a Discord role is known only from
// an actor's roles (MemberOf).
func (d *Directory) IsMember(id bridge.StaffID, dept string) bool {
	for _, m := range d.cfg.Departments[dept].Members {
		if m == id {
			return true
		}
		if m.IsGroup() && d.inSlackGroup(id, m) {
			return true
		}
	}
	return false
}

// MayAct reports whether actor may reply to or change conversations of
// dept, with the reason when not.
func (d *Directory) MayAct(a bridge.Actor, dept string) (bool, string) {
	c, ok := d.cfg.Departments[dept]
	if !ok || !c.MembersOnly || a.Role >= bridge.RoleLead || d.MemberOf(a, dept) {
		return true, ""
	}
	return false, fmt.Sprintf("only members of %s (or leads) may act on its conversations; you can still write a note with //, or ask a lead to !assign it", dept)
}

// OnCall returns who is on call for dept now: the rotation's person when
// the department has a rotation, else its oncall list.
func (d *Directory) OnCall(dept string, now time.Time) []bridge.StaffID {
	if r := d.rotations[dept]; r != nil {
		who, _ := r.OnCall(now)
		return []bridge.StaffID{who}
	}
	return d.cfg.Departments[dept].OnCall
}

// Rotation returns a department's rotation, if it has one.
func (d *Directory) Rotation(dept string) (*sla.Rotation, bool) {
	r, ok := d.rotations[dept]
	return r, ok
}

// Assignable lists whom a department's conversations may be assigned to:
// its members (Slack user groups expanded, Discord roles left out: they
// cannot be listed), then rotation people not already listed.
func (d *Directory) Assignable(dept string) []bridge.StaffID {
	c := d.cfg.Departments[dept]
	out := d.expand(c.Members)
	if c.Rotation != nil {
		out = bridge.AppendUnique(out, c.Rotation.People...)
	}
	return out
}

// RoundRobin reports whether dept assigns new conversations automatically.
func (d *Directory) RoundRobin(dept string) bool {
	for _, x := range d.cfg.Assignment.Departments {
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
	if bridge.StaffID(ref).IsPerson() {
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
			if strings.HasPrefix(string(id), string(prefer)+":") {
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
// Whether a Discord lead holds one of the department's Discord roles
// cannot be looked up, so Discord leads count for such a department
// (better one lead too many than an SLA breach nobody hears of).
func (d *Directory) Leads(dept string) []bridge.StaffID {
	members := d.cfg.Departments[dept].Members
	roles := hasDiscordRole(members)
	var out []bridge.StaffID
	for _, s := range d.cfg.Staff {
		r, _ := bridge.ParseRole(s.Role)
		if r < bridge.RoleLead {
			continue
		}
		unknown := roles && strings.HasPrefix(string(s.ID), "discord:")
		if len(members) > 0 && !unknown && !d.IsMember(s.ID, dept) {
			continue
		}
		out = append(out, s.ID)
	}
	return out
}

// splitErrors lists the errors joined in err.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// DepartmentKeys is the set of configured department keys.
func (w Config) DepartmentKeys() map[string]bool {
	out := make(map[string]bool, len(w.Departments))
	for k := range w.Departments {
		out[k] = true
	}
	return out
}

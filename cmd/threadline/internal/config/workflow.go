package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/sla"
	"github.com/threadlinehq/threadline/bridge/team"
)

// Workflow is the staff-workflow part of config.yaml: departments, staff,
// rules, templates, claims, permissions (top-level keys, see docs/workflow.md).
type Workflow struct {
	Departments       map[string]Department `yaml:"departments"`
	DefaultDepartment string                `yaml:"default_department"`
	Staff             []Staff               `yaml:"staff"`
	// DefaultRole is the role of staff not listed under staff.
	DefaultRole string `yaml:"default_role"`
	Rules       []Rule `yaml:"rules"`
	// Templates are quick replies ({{customer}}, {{agent}}, ... variables);
	// more can be added at runtime with !template add.
	Templates map[string]string `yaml:"templates"`
	Claims    Claims            `yaml:"claims"`
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
	Assignment Assignment `yaml:"assignment"`
}

// Department is one department (support, engineering, billing, ...).
type Department struct {
	Name string `yaml:"name"` // display name; defaults to the key
	// Channels puts the department's threads in its own channel per surface
	// (slack: C0123, discord: 1234567890, mattermost: 26-character channel
	// id). Unset: the surface's default channel.
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
	OnCall   []bridge.StaffID `yaml:"oncall"`
	Rotation *Rotation        `yaml:"rotation"`
}

// Staff names a staff member and their role.
type Staff struct {
	ID   bridge.StaffID `yaml:"id"` // slack:U0123, discord:1234, console:alice
	Name string         `yaml:"name"`
	Role string         `yaml:"role"` // agent, lead, admin
}

// Claims governs ownership.
type Claims struct {
	// ExpireAfter releases a claim whose owner has not answered the
	// customer for this long (0: never).
	ExpireAfter bridge.Duration `yaml:"expire_after"`
	// OthersReply decides what happens when someone replies to a
	// conversation claimed by somebody else: "warn" (send, and tell them)
	// or "block" (refuse; !reply sends anyway).
	OthersReply string `yaml:"others_reply"`
}

// Assignment is round-robin auto-assignment.
type Assignment struct {
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

// Rotation is a department's on-call rotation: people take turns,
// each for one shift, hand-over at Start's time of day.
type Rotation struct {
	People []bridge.StaffID `yaml:"people"`
	// Shift length (default 7d). Whole days follow the local calendar, so
	// hand-over stays at the same local time across DST changes.
	Shift bridge.Duration `yaml:"shift"`
	// Start is when people[0]'s first shift begins ("2026-01-05 09:00").
	Start     string             `yaml:"start"`
	Timezone  string             `yaml:"timezone"`
	Overrides []RotationOverride `yaml:"overrides"`
}

// RotationOverride puts someone else on call for a while (holidays, swaps).
type RotationOverride struct {
	From   string         `yaml:"from"`
	To     string         `yaml:"to"`
	Person bridge.StaffID `yaml:"person"`
}

// Defaults fills unset fields.
func (w *Workflow) Defaults() {
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

// problems collects a section's validation errors, each a
// bridge.FieldError with a path relative to the section.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, bridge.FieldErrorf(field, format, args...))
}

// nested adds the field errors of err under prefix (other errors under
// prefix itself).
func (p *problems) nested(prefix string, err error) {
	for _, e := range splitErrors(err) {
		var fe *bridge.FieldError
		if errors.As(e, &fe) {
			p.add(prefix+"."+fe.Field, "%s", fe.Msg)
		} else {
			p.add(prefix, "%v", e)
		}
	}
}

func (p problems) err() error { return errors.Join(p...) }

// splitErrors lists the errors joined in err, joins within joins
// flattened (none for nil).
func splitErrors(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, splitErrors(e)...)
	}
	return out
}

// Validate reports every problem; field paths are relative to the top
// level. commandNames are the commands permissions may name (none: any);
// ids says what staff ids and groups look like.
func (w Workflow) Validate(commandNames []string, ids bridge.StaffIDForms) error {
	var p problems
	w.checkDepartments(&p, ids)
	w.checkDepartment(&p, "default_department", w.DefaultDepartment)
	if _, err := bridge.ParseRole(w.DefaultRole); err != nil {
		p.add("default_role", "%v", err)
	}
	w.checkStaff(&p, ids)
	w.checkRules(&p)
	w.checkTemplates(&p)
	w.checkReplyPolicies(&p)
	w.checkPermissions(&p, commandNames)
	w.checkAssignment(&p, ids)
	if _, err := time.LoadLocation(w.Timezone); err != nil {
		p.add("timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", w.Timezone)
	}
	return p.err()
}

// checkDepartments: keys, members and on-call lists (people or groups of
// a known form), rotations, and the surfaces channels name.
func (w Workflow) checkDepartments(p *problems, ids bridge.StaffIDForms) {
	for key, d := range w.Departments {
		if !rules.ValidName(key) {
			p.add("departments."+key, "department keys must be lower-case letters, digits, - or _")
		}
		for i, m := range d.Members {
			if msg := memberProblem(ids, m); msg != "" {
				p.add(fmt.Sprintf("departments.%s.members[%d]", key, i), "%s", msg)
			}
		}
		for i, m := range d.OnCall {
			if msg := memberProblem(ids, m); msg != "" {
				p.add(fmt.Sprintf("departments.%s.oncall[%d]", key, i), "%s", msg)
			}
		}
		if d.Rotation != nil {
			_, err := d.Rotation.build()
			p.nested("departments."+key+".rotation", errors.Join(err, d.Rotation.checkPeople(ids)))
		}
		for surface := range d.Channels {
			if surface != "slack" && surface != "discord" && surface != "mattermost" {
				p.add("departments."+key+".channels."+surface, "unknown surface (want slack, discord or mattermost)")
			}
		}
	}
}

// checkDepartment: name, when set, is a configured department.
func (w Workflow) checkDepartment(p *problems, field, name string) {
	if name == "" {
		return
	}
	if _, ok := w.Departments[name]; !ok {
		p.add(field, "unknown department %q (define it under departments)", name)
	}
}

// checkStaff: staff entries are people, listed once, with a known role.
func (w Workflow) checkStaff(p *problems, ids bridge.StaffIDForms) {
	seen := map[bridge.StaffID]bool{}
	for i, s := range w.Staff {
		field := fmt.Sprintf("staff[%d].id", i)
		if msg := personProblem(ids, s.ID); msg != "" {
			p.add(field, "%s", msg)
		}
		if seen[s.ID] {
			p.add(field, "%s is listed twice", s.ID)
		}
		seen[s.ID] = true
		if _, err := bridge.ParseRole(s.Role); err != nil {
			p.add(fmt.Sprintf("staff[%d].role", i), "%v", err)
		}
	}
}

// checkRules: each rule is valid and names departments and templates
// that exist.
func (w Workflow) checkRules(p *problems) {
	for i, r := range w.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		if err := r.Validate(); err != nil {
			p.add(field, "%v", err)
		}
		w.checkDepartment(p, field+".set.department", r.Set.Department)
		if r.Set.Reply != "" {
			if _, ok := w.Templates[r.Set.Reply]; !ok {
				p.add(field+".set.reply", "unknown template %q (define it under templates)", r.Set.Reply)
			}
		}
	}
}

// checkTemplates: template names and bodies.
func (w Workflow) checkTemplates(p *problems) {
	for name, body := range w.Templates {
		if !rules.ValidName(name) {
			p.add("templates."+name, "template names must be lower-case letters, digits, - or _")
		}
		if err := rules.ValidateTemplate(body); err != nil {
			p.add("templates."+name, "%v", err)
		}
	}
}

// checkReplyPolicies: claims.others_reply and closed_replies.
func (w Workflow) checkReplyPolicies(p *problems) {
	if w.Claims.OthersReply != "warn" && w.Claims.OthersReply != "block" {
		p.add("claims.others_reply", "must be warn or block, not %q", w.Claims.OthersReply)
	}
	if w.ClosedReplies != "block" && w.ClosedReplies != "reopen" {
		p.add("closed_replies", "must be block or reopen, not %q", w.ClosedReplies)
	}
}

// checkPermissions: known commands, known roles.
func (w Workflow) checkPermissions(p *problems, commandNames []string) {
	known := map[string]bool{}
	for _, n := range commandNames {
		known[n] = true
	}
	for cmd, role := range w.Permissions {
		if len(commandNames) > 0 && !known[cmd] {
			p.add("permissions."+cmd, "unknown command %q", cmd)
		}
		if _, err := bridge.ParseRole(role); err != nil {
			p.add("permissions."+cmd, "%v", err)
		}
	}
}

// checkAssignment: round-robin departments exist and have someone
// Threadline can assign to.
func (w Workflow) checkAssignment(p *problems, ids bridge.StaffIDForms) {
	for i, d := range w.Assignment.Departments {
		field := fmt.Sprintf("assignment.departments[%d]", i)
		w.checkDepartment(p, field, d)
		c := w.Departments[d]
		if len(c.Members) == 0 && c.Rotation == nil {
			p.add(field, "%s has no members or rotation to assign to", d)
		} else if g, ok := onlyUnlisted(ids, c.Members); ok && c.Rotation == nil {
			p.add(field, "%s's members are only %ss, which Threadline cannot assign to (%s); list the people (%s) or add a rotation",
				d, g.Name, g.Unlisted, personExample(ids, c.Members[0].Surface()))
		}
	}
	if w.Assignment.Capacity < 0 {
		p.add("assignment.capacity", "must not be negative")
	}
}

// checkPeople: rotation people and override persons are people.
func (r Rotation) checkPeople(ids bridge.StaffIDForms) error {
	var p problems
	for i, who := range r.People {
		if !ids.IsPerson(who) {
			p.add(fmt.Sprintf("people[%d]", i), "%q is not a staff id", who)
		}
	}
	for i, o := range r.Overrides {
		if !ids.IsPerson(o.Person) {
			p.add(fmt.Sprintf("overrides[%d].person", i), "%q is not a staff id", o.Person)
		}
	}
	return p.err()
}

// build makes the rotation (an error lists every problem but people's ids).
func (r Rotation) build() (*sla.Rotation, error) {
	loc := time.UTC
	var tzErr error
	if r.Timezone != "" {
		l, err := time.LoadLocation(r.Timezone)
		if err != nil {
			tzErr = bridge.FieldErrorf("timezone", "unknown time zone %q", r.Timezone)
		} else {
			loc = l
		}
	}
	overrides := make([]sla.OverrideSpec, len(r.Overrides))
	for i, o := range r.Overrides {
		overrides[i] = sla.OverrideSpec{From: o.From, To: o.To, Person: o.Person}
	}
	rot, err := sla.NewRotation(sla.RotationSpec{People: r.People, Shift: r.Shift.D(), Start: r.Start, Location: loc, Overrides: overrides})
	return rot, errors.Join(tzErr, err)
}

// Groups lists every group named in departments' members and on-call
// lists, sorted, each once.
func (w Workflow) Groups() []bridge.StaffID {
	seen := map[bridge.StaffID]bool{}
	for _, d := range w.Departments {
		for _, id := range append(append([]bridge.StaffID(nil), d.Members...), d.OnCall...) {
			if id.IsGroup() {
				seen[id] = true
			}
		}
	}
	out := make([]bridge.StaffID, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Notes are things about a valid config that work differently from what
// one might expect; the banner and check-config print them.
func (w Workflow) Notes(ids bridge.StaffIDForms) []string {
	var listed []string
	for _, f := range ids {
		for _, g := range f.Groups {
			if g.Listable {
				listed = append(listed, g.Name+" members")
			}
		}
	}
	var out []string
	for _, dept := range w.Assignment.Departments {
		c, ok := w.Departments[dept]
		if !ok {
			continue
		}
		g, ok := firstUnlisted(ids, c.Members)
		if !ok {
			continue
		}
		out = append(out, fmt.Sprintf("round-robin in %s skips its %ss: %s, so only the people listed (and %s) are assigned; the %ss still count for membership and mentions",
			dept, g.Name, g.Unlisted, strings.Join(append(listed, "rotation people"), ", "), g.Name))
	}
	return out
}

// DepartmentKeys is the set of configured department keys.
func (w Workflow) DepartmentKeys() map[string]bool {
	out := make(map[string]bool, len(w.Departments))
	for k := range w.Departments {
		out[k] = true
	}
	return out
}

// options builds the directory's options; calendars are sla.calendars, built.
func (w Workflow) options(ids bridge.StaffIDForms, calendars map[string]*sla.Calendar) team.Options {
	o := team.Options{
		Departments:       make(map[string]team.Department, len(w.Departments)),
		DefaultDepartment: w.DefaultDepartment,
		Templates:         w.Templates,
		Claims:            team.Claims{ExpireAfter: w.Claims.ExpireAfter.D(), BlockOthers: w.Claims.OthersReply == "block"},
		ReopenOnReply:     w.ClosedReplies == "reopen",
		Permissions:       make(map[string]bridge.Role, len(w.Permissions)),
		BusinessHours:     w.BusinessHours,
		Assignment: team.Assignment{Departments: w.Assignment.Departments, Capacity: w.Assignment.Capacity,
			ReassignAfter: w.Assignment.ReassignAfter.D()},
		StaffIDs: ids,
	}
	for key, d := range w.Departments {
		td := team.Department{Name: d.Name, Members: d.Members, MembersOnly: d.MembersOnly, OnCall: d.OnCall}
		if d.Rotation != nil {
			if r, err := d.Rotation.build(); err == nil {
				td.Rotation = r
			}
		}
		o.Departments[key] = td
	}
	for _, s := range w.Staff {
		role, _ := bridge.ParseRole(s.Role)
		o.Staff = append(o.Staff, team.Staff{ID: s.ID, Name: s.Name, Role: role})
	}
	o.DefaultRole, _ = bridge.ParseRole(w.DefaultRole)
	for _, r := range w.Rules {
		o.Rules = append(o.Rules, r.rule())
	}
	for cmd, role := range w.Permissions {
		o.Permissions[cmd], _ = bridge.ParseRole(role)
	}
	if loc, err := time.LoadLocation(w.Timezone); err == nil {
		o.Location = loc
	}
	if name := w.Assignment.Calendar; name != "24x7" {
		o.Assignment.Calendar = calendars[name]
	}
	return o
}

package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
)

func TestWorkflowValidate(t *testing.T) {
	w := Workflow{
		Departments:       map[string]Department{"billing": {Members: []bridge.StaffID{"slack:U1", "bob"}}, "Bad Name": {}},
		DefaultDepartment: "sales",
		Staff:             []Staff{{ID: "slack:U1", Role: "boss"}, {ID: "slack:U1", Role: "agent"}},
		Rules: []Rule{{Set: RuleSet{Priority: "asap"}}, {When: RuleMatch{Keywords: []string{"x"}}, Set: RuleSet{Department: "legal", Reply: "nope"}},
			{On: "message", Set: RuleSet{Department: "billing"}}, {When: RuleMatch{To: []string{"sales@example.com", ""}}, Set: RuleSet{Department: "billing"}}},
		Templates:   map[string]string{"hi": "Hello {{name}}"},
		Claims:      Claims{OthersReply: "shout"},
		Permissions: map[string]string{"frobnicate": "lead", "close": "root"},
		Timezone:    "Mars/Olympus",
	}
	w.Defaults()
	err := w.Validate([]string{"close", "claim"}, staffIDForms())
	if err == nil {
		t.Fatal("no error")
	}
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		fields = append(fields, e.(*bridge.FieldError).Field)
	}
	got := strings.Join(fields, " ")
	for _, want := range []string{"departments.billing.members[1]", "departments.Bad Name", "default_department", "staff[0].role", "staff[1].id",
		"rules[0]", "rules[1].set.department", "rules[1].set.reply", "rules[2]", "rules[3]", "templates.hi", "claims.others_reply",
		"permissions.frobnicate", "permissions.close", "timezone"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing error for %s in %s", want, got)
		}
	}
	if !strings.Contains(err.Error(), `when.to[1]: empty`) {
		t.Errorf("rules[3] does not name the to value: %v", err)
	}
}

// TestStaffIDMessagesComeFromTheSurfaces: the hints in staff id problems
// are the surfaces' forms, word for word as they were when the core knew
// the platforms.
func TestStaffIDMessagesComeFromTheSurfaces(t *testing.T) {
	ids := staffIDForms()
	for _, tc := range []struct{ got, want string }{
		{memberProblem(ids, "bob"), `"bob" is not a staff id or group (want slack:U0123, discord:1234, mattermost:<user id>, console:name, or a group: slack:group:S0123ABC, discord:role:1234)`},
		{memberProblem(ids, "slack:group:billing"), `"slack:group:billing" is not a Slack user group: want slack:group: and the group's id, which starts with S (S0123ABC; in Slack open the group under People → User groups and copy the id from the link, or call usergroups.list)`},
		{memberProblem(ids, "discord:role:@Billing"), `"discord:role:@Billing" is not a Discord role: want discord:role: and the role's numeric id (Server Settings → Roles → ⋯ → Copy Role ID, with Developer Mode on)`},
		{memberProblem(ids, "slack:group:S0BILL"), ""},
		{memberProblem(ids, "console:alice"), ""},
		{personProblem(ids, "alice"), `"alice" is not a staff id (want slack:U0123, discord:1234, mattermost:<user id> or console:name)`},
		{personProblem(ids, "discord:role:1"), `"discord:role:1" is a group; staff entries are people (name groups under departments.<name>.members or oncall)`},
		{personProblem(ids, "discord:1"), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
	w := Workflow{Departments: map[string]Department{"support": {Members: []bridge.StaffID{"discord:role:5"}}},
		Assignment: Assignment{Departments: []string{"support"}}}
	w.Defaults()
	want := "assignment.departments[0]: support's members are only Discord roles, which Threadline cannot assign to (listing a role's members needs the privileged Server Members intent); list the people (discord:1234) or add a rotation"
	if err := w.Validate(nil, ids); err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestWorkflowGroupValidation(t *testing.T) {
	dept := func(members []bridge.StaffID, oncall ...bridge.StaffID) Workflow {
		return Workflow{Departments: map[string]Department{"billing": {Members: members, OnCall: oncall}}}
	}
	for _, tc := range []struct {
		name string
		cfg  Workflow
		want string // "" for valid
	}{
		{"slack group member", dept([]bridge.StaffID{"slack:group:S0123ABC"}), ""},
		{"discord role member", dept([]bridge.StaffID{"discord:role:123456789"}), ""},
		{"groups on call", dept(nil, "slack:group:S0123ABC", "discord:role:1"), ""},
		{"lower-case subteam id", dept([]bridge.StaffID{"slack:group:s0123"}), `departments.billing.members[0]: "slack:group:s0123" is not a Slack user group`},
		{"user id as a group", dept([]bridge.StaffID{"slack:group:U0123"}), "starts with S"},
		{"empty group", dept([]bridge.StaffID{"slack:group:"}), "is not a Slack user group"},
		{"role name instead of id", dept(nil, "discord:role:Support"), `departments.billing.oncall[0]: "discord:role:Support" is not a Discord role`},
		{"unknown kind of group", dept([]bridge.StaffID{"console:group:x"}), "is not a staff id or group"},
		{"staff entries are people", Workflow{Staff: []Staff{{ID: "slack:group:S0123"}}}, `staff[0].id: "slack:group:S0123" is a group`},
		{"rotation people are people", Workflow{Departments: map[string]Department{"eng": {Rotation: &Rotation{
			People: []bridge.StaffID{"discord:role:5"}, Start: "2026-01-05 09:00"}}}}, "departments.eng.rotation.people[0]"},
		{"rotation override persons are people", Workflow{Departments: map[string]Department{"eng": {Rotation: &Rotation{
			People: []bridge.StaffID{"discord:5"}, Start: "2026-01-05 09:00",
			Overrides: []RotationOverride{{From: "2026-02-02 09:00", To: "2026-02-03 09:00", Person: "bob"}}}}}},
			`departments.eng.rotation.overrides[0].person: "bob" is not a staff id`},
		{"rotation time zone", Workflow{Departments: map[string]Department{"eng": {Rotation: &Rotation{
			People: []bridge.StaffID{"discord:5"}, Start: "2026-01-05 09:00", Timezone: "Mars/Olympus"}}}},
			`departments.eng.rotation.timezone: unknown time zone "Mars/Olympus"`},
		{"assignment to Discord roles only", Workflow{Departments: map[string]Department{"support": {Members: []bridge.StaffID{"discord:role:5"}}},
			Assignment: Assignment{Departments: []string{"support"}}}, "assignment.departments[0]: support's members are only Discord roles"},
		{"assignment to Discord roles and people", Workflow{Departments: map[string]Department{"support": {Members: []bridge.StaffID{"discord:role:5", "discord:77"}}},
			Assignment: Assignment{Departments: []string{"support"}}}, ""},
		{"assignment to a Slack group", Workflow{Departments: map[string]Department{"support": {Members: []bridge.StaffID{"slack:group:S1"}}},
			Assignment: Assignment{Departments: []string{"support"}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Defaults()
			err := tc.cfg.Validate(nil, staffIDForms())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestWorkflowGroupsAndNotes(t *testing.T) {
	w := Workflow{
		Departments: map[string]Department{
			"support": {Members: []bridge.StaffID{"discord:role:5", "discord:77", "slack:group:S1"}, OnCall: []bridge.StaffID{"slack:group:S2"}},
			"billing": {Members: []bridge.StaffID{"slack:group:S1", "slack:U1"}},
		},
		Assignment: Assignment{Departments: []string{"support", "billing"}},
	}
	if got := w.Groups(); !slices.Equal(got, []bridge.StaffID{"discord:role:5", "slack:group:S1", "slack:group:S2"}) {
		t.Errorf("Groups = %v", got)
	}
	notes := w.Notes(staffIDForms())
	want := "round-robin in support skips its Discord roles: listing a role's members needs the privileged Server Members intent, " +
		"so only the people listed (and Slack user group members, rotation people) are assigned; the Discord roles still count for membership and mentions"
	if len(notes) != 1 || notes[0] != want {
		t.Errorf("Notes = %q", notes)
	}
}

// TestTeamOptionsAreParsed: the directory gets roles, zones, calendars,
// policies and rules as values, not as the words of the file.
func TestTeamOptionsAreParsed(t *testing.T) {
	cfg, err := parse(t, `timezone: Europe/Berlin
default_role: lead
closed_replies: reopen
claims: {others_reply: block, expire_after: 2h}
permissions: {close: admin}
staff:
  - {id: "slack:U1", name: Ann, role: admin}
departments:
  support: {members: ["slack:U1", "slack:group:S0SUP", "discord:role:7"]}
  eng:
    rotation: {people: ["slack:U1", "slack:U2"], start: "2026-01-05 09:00", timezone: Europe/Berlin}
assignment: {departments: [support], calendar: office, reassign_after: 15m}
sla:
  calendars:
    office: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}
rules:
  - {name: vip, on: message, when: {channels: [email], sentiment: negative}, set: {priority: urgent, tags: [vip]}}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.TeamOptions()
	if o.Location == nil || o.Location.String() != "Europe/Berlin" || o.DefaultRole != bridge.RoleLead || !o.ReopenOnReply ||
		!o.Claims.BlockOthers || o.Claims.ExpireAfter != 2*time.Hour || o.Permissions["close"] != bridge.RoleAdmin {
		t.Errorf("team options = %+v", o)
	}
	if len(o.Staff) != 1 || o.Staff[0].Role != bridge.RoleAdmin || o.Staff[0].Name != "Ann" {
		t.Errorf("staff = %+v", o.Staff)
	}
	if r := o.Departments["eng"].Rotation; r == nil || !slices.Equal(r.People(), []bridge.StaffID{"slack:U1", "slack:U2"}) {
		t.Errorf("rotation = %+v", r)
	}
	if c := o.Assignment.Calendar; c == nil || c.Location().String() != "Europe/Berlin" || o.Assignment.ReassignAfter != 15*time.Minute {
		t.Errorf("assignment = %+v", o.Assignment)
	}
	if !o.StaffIDs.Listable("slack:group:S0SUP") || o.StaffIDs.Listable("discord:role:7") || !o.StaffIDs.IsPerson("console:alice") {
		t.Error("the staff id forms are not the surfaces'")
	}
	want := rules.Rule{Name: "vip", OnMessage: true, When: rules.Match{Channels: []bridge.Platform{"email"}, Negative: true},
		Set: rules.Actions{Priority: bridge.PriorityUrgent, Tags: []string{"vip"}}}
	if len(o.Rules) != 1 || !reflect.DeepEqual(o.Rules[0], want) {
		t.Errorf("rules = %+v", o.Rules)
	}
	// 24x7 means no limit on assignment.
	cfg.Workflow.Assignment.Calendar = "24x7"
	if c := cfg.TeamOptions().Assignment.Calendar; c != nil {
		t.Errorf("24x7 assignment calendar = %v", c)
	}
}

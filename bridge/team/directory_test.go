package team

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/sla"
)

// groupMap is a GroupSource from a map; a group mapped to nil is "failed".
type groupMap map[bridge.StaffID][]bridge.StaffID

func (g groupMap) GroupMembers(group bridge.StaffID) ([]bridge.StaffID, bool) {
	m, ok := g[group]
	return m, ok && m != nil
}

func groupDirectory(src GroupSource) *Directory {
	d := New(Config{
		Departments: map[string]DepartmentConfig{
			"billing": {MembersOnly: true, Members: []bridge.StaffID{"slack:U1", "slack:group:S0BILL", "discord:role:700"},
				OnCall: []bridge.StaffID{"slack:group:S0ONCALL", "discord:role:701", "slack:U1"}},
			"sales":   {MembersOnly: true, Members: []bridge.StaffID{"slack:U1"}},
			"support": {},
		},
		Staff: []StaffConfig{
			{ID: "slack:ULEAD", Role: "lead"}, {ID: "slack:UOUT", Role: "lead"}, {ID: "discord:900", Role: "admin"},
			{ID: "slack:U2", Role: "agent"},
		},
	})
	if src != nil {
		d.SetGroups(src)
	}
	return d
}

func TestDirectoryGroupMembership(t *testing.T) {
	src := groupMap{"slack:group:S0BILL": {"slack:U2", "slack:ULEAD", "slack:U1"}, "slack:group:S0DOWN": nil}
	for _, tc := range []struct {
		name  string
		src   GroupSource
		actor bridge.Actor
		dept  string
		want  bool
	}{
		{"listed by id", src, bridge.Actor{ID: "slack:U1"}, "billing", true},
		{"slack group member via actor groups", nil, bridge.Actor{ID: "slack:U7", Groups: []bridge.StaffID{"slack:group:S0BILL"}}, "billing", true},
		{"slack group member via the directory's source", src, bridge.Actor{ID: "slack:U2"}, "billing", true},
		{"slack group member, no source", nil, bridge.Actor{ID: "slack:U2"}, "billing", false},
		{"not in the group", src, bridge.Actor{ID: "slack:U9"}, "billing", false},
		{"discord role holder", src, bridge.Actor{ID: "discord:5", Groups: []bridge.StaffID{"discord:role:700"}}, "billing", true},
		{"other discord role", src, bridge.Actor{ID: "discord:5", Groups: []bridge.StaffID{"discord:role:999"}}, "billing", false},
		{"on-call group is not membership", src, bridge.Actor{ID: "slack:U8", Groups: []bridge.StaffID{"slack:group:S0ONCALL", "discord:role:701"}}, "billing", false},
		{"a person in Groups is ignored", src, bridge.Actor{ID: "slack:U8", Groups: []bridge.StaffID{"slack:U1"}}, "billing", false},
		{"group of another department", src, bridge.Actor{ID: "slack:U2", Groups: []bridge.StaffID{"slack:group:S0BILL"}}, "sales", false},
		{"department without members_only", src, bridge.Actor{ID: "slack:U9"}, "support", true},
		{"lead", src, bridge.Actor{ID: "slack:U9", Role: bridge.RoleLead}, "billing", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := groupDirectory(tc.src)
			ok, why := d.MayAct(tc.actor, tc.dept)
			if ok != tc.want {
				t.Fatalf("MayAct = %v (%s), want %v", ok, why, tc.want)
			}
			if !ok && !strings.Contains(why, "only members of "+tc.dept) {
				t.Errorf("refusal does not explain: %q", why)
			}
		})
	}
}

func TestDirectoryGroupExpansion(t *testing.T) {
	ok := groupMap{"slack:group:S0BILL": {"slack:U2", "slack:U1", "slack:U3"}}
	failed := groupMap{"slack:group:S0BILL": nil}
	for _, tc := range []struct {
		name       string
		src        GroupSource
		assignable []bridge.StaffID
		leads      []bridge.StaffID
	}{
		// U1 is listed first and also in the group: once. Discord roles
		// cannot be listed, so nobody comes from them.
		{"group resolved", ok, []bridge.StaffID{"slack:U1", "slack:U2", "slack:U3"}, []bridge.StaffID{"discord:900"}},
		{"group resolved with a lead in it", groupMap{"slack:group:S0BILL": {"slack:ULEAD"}}, []bridge.StaffID{"slack:U1", "slack:ULEAD"}, []bridge.StaffID{"slack:ULEAD", "discord:900"}},
		{"resolving failed: nobody from the group", failed, []bridge.StaffID{"slack:U1"}, []bridge.StaffID{"discord:900"}},
		{"no source", nil, []bridge.StaffID{"slack:U1"}, []bridge.StaffID{"discord:900"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := groupDirectory(tc.src)
			if got := d.Assignable("billing"); !slices.Equal(got, tc.assignable) {
				t.Errorf("Assignable = %v, want %v", got, tc.assignable)
			}
			if got := d.Leads("billing"); !slices.Equal(got, tc.leads) {
				t.Errorf("Leads = %v, want %v", got, tc.leads)
			}
		})
	}
	d := groupDirectory(ok)
	// A department without Discord roles does not take Discord leads on trust.
	if got := d.Leads("sales"); len(got) != 0 {
		t.Errorf("sales leads = %v", got)
	}
	if !d.IsMember("slack:U3", "billing") || d.IsMember("slack:U9", "billing") || d.IsMember("discord:5", "billing") {
		t.Error("IsMember through the Slack group")
	}
	// On-call groups are returned as groups: surfaces mention them as such.
	want := []bridge.StaffID{"slack:group:S0ONCALL", "discord:role:701", "slack:U1"}
	if got := d.OnCall("billing", time.Now()); !slices.Equal(got, want) {
		t.Errorf("OnCall = %v", got)
	}
}

func TestWorkflowGroupValidation(t *testing.T) {
	dept := func(members []bridge.StaffID, oncall ...bridge.StaffID) Config {
		return Config{Departments: map[string]DepartmentConfig{"billing": {Members: members, OnCall: oncall}}}
	}
	for _, tc := range []struct {
		name string
		cfg  Config
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
		{"staff entries are people", Config{Staff: []StaffConfig{{ID: "slack:group:S0123"}}}, `staff[0].id: "slack:group:S0123" is a group`},
		{"rotation people are people", Config{Departments: map[string]DepartmentConfig{"eng": {Rotation: &sla.RotationConfig{
			People: []bridge.StaffID{"discord:role:5"}, Start: "2026-01-05 09:00"}}}}, "departments.eng.rotation.people[0]"},
		{"assignment to Discord roles only", Config{Departments: map[string]DepartmentConfig{"support": {Members: []bridge.StaffID{"discord:role:5"}}},
			Assignment: AssignmentConfig{Departments: []string{"support"}}}, "assignment.departments[0]: support's members are only Discord roles"},
		{"assignment to Discord roles and people", Config{Departments: map[string]DepartmentConfig{"support": {Members: []bridge.StaffID{"discord:role:5", "discord:77"}}},
			Assignment: AssignmentConfig{Departments: []string{"support"}}}, ""},
		{"assignment to a Slack group", Config{Departments: map[string]DepartmentConfig{"support": {Members: []bridge.StaffID{"slack:group:S1"}}},
			Assignment: AssignmentConfig{Departments: []string{"support"}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Defaults()
			err := tc.cfg.Validate(nil)
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
	w := Config{
		Departments: map[string]DepartmentConfig{
			"support": {Members: []bridge.StaffID{"discord:role:5", "discord:77", "slack:group:S1"}, OnCall: []bridge.StaffID{"slack:group:S2"}},
			"billing": {Members: []bridge.StaffID{"slack:group:S1", "slack:U1"}},
		},
		Assignment: AssignmentConfig{Departments: []string{"support", "billing"}},
	}
	if got := w.Groups(); !slices.Equal(got, []bridge.StaffID{"discord:role:5", "slack:group:S1", "slack:group:S2"}) {
		t.Errorf("Groups = %v", got)
	}
	notes := w.Notes()
	if len(notes) != 1 || !strings.Contains(notes[0], "round-robin in support skips its Discord roles") || !strings.Contains(notes[0], "Server Members intent") {
		t.Errorf("Notes = %q", notes)
	}
}

func TestStaffChannels(t *testing.T) {
	got := bridge.StaffChannels("C1", map[string]string{"sales": "C3", "billing": "C2", "support": "C1", "eng": ""})
	if want := []string{"C1", "C2", "C3"}; !slices.Equal(got, want) {
		t.Errorf("StaffChannels = %v, want %v", got, want)
	}
	if got := bridge.StaffChannels("", nil); len(got) != 0 {
		t.Errorf("nothing configured: %v", got)
	}
}

func TestWorkflowValidate(t *testing.T) {
	w := Config{
		Departments:       map[string]DepartmentConfig{"billing": {Members: []bridge.StaffID{"slack:U1", "bob"}}, "Bad Name": {}},
		DefaultDepartment: "sales",
		Staff:             []StaffConfig{{ID: "slack:U1", Role: "boss"}, {ID: "slack:U1", Role: "agent"}},
		Rules: []rules.RuleConfig{{Set: rules.RuleSet{Priority: "asap"}}, {When: rules.RuleMatch{Keywords: []string{"x"}}, Set: rules.RuleSet{Department: "legal", Reply: "nope"}},
			{On: "message", Set: rules.RuleSet{Department: "billing"}}, {When: rules.RuleMatch{To: []string{"sales@example.com", ""}}, Set: rules.RuleSet{Department: "billing"}}},
		Templates:   map[string]string{"hi": "Hello {{name}}"},
		Claims:      ClaimsConfig{OthersReply: "shout"},
		Permissions: map[string]string{"frobnicate": "lead", "close": "root"},
		Timezone:    "Mars/Olympus",
	}
	w.Defaults()
	err := w.Validate([]string{"close", "claim"})
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
}

func TestDirectory(t *testing.T) {
	d := New(Config{
		Departments: map[string]DepartmentConfig{"billing": {Members: []bridge.StaffID{"slack:U1"}, MembersOnly: true, OnCall: []bridge.StaffID{"slack:U1"}}},
		Staff:       []StaffConfig{{ID: "slack:U1", Name: "Alice", Role: "agent"}, {ID: "slack:U9", Name: "Lea", Role: "lead"}},
	})
	if d.Role("slack:U9", bridge.RoleAgent) != bridge.RoleLead || d.Role("slack:U5", bridge.RoleAgent) != bridge.RoleAgent || d.Role("console:x", bridge.RoleAdmin) != bridge.RoleAdmin {
		t.Error("roles")
	}
	if ok, _ := d.MayAct(bridge.Actor{ID: "slack:U1"}, "billing"); !ok {
		t.Error("member refused")
	}
	if ok, why := d.MayAct(bridge.Actor{ID: "slack:U5"}, "billing"); ok || !strings.Contains(why, "only members of billing") {
		t.Errorf("non-member allowed (%s)", why)
	}
	if ok, _ := d.MayAct(bridge.Actor{ID: "slack:U9", Role: bridge.RoleLead}, "billing"); !ok {
		t.Error("lead refused")
	}
	known := map[bridge.StaffID]string{"slack:U7": "bob", "console:bob": "bob"}
	if id, _, ok := d.ResolveStaff("@Alice", known, "slack"); !ok || id != "slack:U1" {
		t.Errorf("resolve alice = %s %v", id, ok)
	}
	if id, _, ok := d.ResolveStaff("@bob", known, "console"); !ok || id != "console:bob" {
		t.Errorf("ambiguous bob on console = %s %v", id, ok)
	}
	if _, _, ok := d.ResolveStaff("@carol", known, "slack"); ok {
		t.Error("unknown resolved")
	}
}

package bridge

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// groupMap is a GroupSource from a map; a group mapped to nil is "failed".
type groupMap map[StaffID][]StaffID

func (g groupMap) GroupMembers(group StaffID) ([]StaffID, bool) {
	m, ok := g[group]
	return m, ok && m != nil
}

func groupDirectory(src GroupSource) *Directory {
	d := NewDirectory(WorkflowConfig{
		Departments: map[string]DepartmentConfig{
			"billing": {MembersOnly: true, Members: []StaffID{"slack:U1", "slack:group:S0BILL", "discord:role:700"},
				OnCall: []StaffID{"slack:group:S0ONCALL", "discord:role:701", "slack:U1"}},
			"sales":   {MembersOnly: true, Members: []StaffID{"slack:U1"}},
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
		actor Actor
		dept  string
		want  bool
	}{
		{"listed by id", src, Actor{ID: "slack:U1"}, "billing", true},
		{"slack group member via actor groups", nil, Actor{ID: "slack:U7", Groups: []StaffID{"slack:group:S0BILL"}}, "billing", true},
		{"slack group member via the directory's source", src, Actor{ID: "slack:U2"}, "billing", true},
		{"slack group member, no source", nil, Actor{ID: "slack:U2"}, "billing", false},
		{"not in the group", src, Actor{ID: "slack:U9"}, "billing", false},
		{"discord role holder", src, Actor{ID: "discord:5", Groups: []StaffID{"discord:role:700"}}, "billing", true},
		{"other discord role", src, Actor{ID: "discord:5", Groups: []StaffID{"discord:role:999"}}, "billing", false},
		{"on-call group is not membership", src, Actor{ID: "slack:U8", Groups: []StaffID{"slack:group:S0ONCALL", "discord:role:701"}}, "billing", false},
		{"a person in Groups is ignored", src, Actor{ID: "slack:U8", Groups: []StaffID{"slack:U1"}}, "billing", false},
		{"group of another department", src, Actor{ID: "slack:U2", Groups: []StaffID{"slack:group:S0BILL"}}, "sales", false},
		{"department without members_only", src, Actor{ID: "slack:U9"}, "support", true},
		{"lead", src, Actor{ID: "slack:U9", Role: RoleLead}, "billing", true},
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
		assignable []StaffID
		leads      []StaffID
	}{
		// U1 is listed first and also in the group: once. Discord roles
		// cannot be listed, so nobody comes from them.
		{"group resolved", ok, []StaffID{"slack:U1", "slack:U2", "slack:U3"}, []StaffID{"discord:900"}},
		{"group resolved with a lead in it", groupMap{"slack:group:S0BILL": {"slack:ULEAD"}}, []StaffID{"slack:U1", "slack:ULEAD"}, []StaffID{"slack:ULEAD", "discord:900"}},
		{"resolving failed: nobody from the group", failed, []StaffID{"slack:U1"}, []StaffID{"discord:900"}},
		{"no source", nil, []StaffID{"slack:U1"}, []StaffID{"discord:900"}},
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
	want := []StaffID{"slack:group:S0ONCALL", "discord:role:701", "slack:U1"}
	if got := d.OnCall("billing", time.Now()); !slices.Equal(got, want) {
		t.Errorf("OnCall = %v", got)
	}
}

func TestWorkflowGroupValidation(t *testing.T) {
	dept := func(members []StaffID, oncall ...StaffID) WorkflowConfig {
		return WorkflowConfig{Departments: map[string]DepartmentConfig{"billing": {Members: members, OnCall: oncall}}}
	}
	for _, tc := range []struct {
		name string
		cfg  WorkflowConfig
		want string // "" for valid
	}{
		{"slack group member", dept([]StaffID{"slack:group:S0123ABC"}), ""},
		{"discord role member", dept([]StaffID{"discord:role:123456789"}), ""},
		{"groups on call", dept(nil, "slack:group:S0123ABC", "discord:role:1"), ""},
		{"lower-case subteam id", dept([]StaffID{"slack:group:s0123"}), `departments.billing.members[0]: "slack:group:s0123" is not a Slack user group`},
		{"user id as a group", dept([]StaffID{"slack:group:U0123"}), "starts with S"},
		{"empty group", dept([]StaffID{"slack:group:"}), "is not a Slack user group"},
		{"role name instead of id", dept(nil, "discord:role:Support"), `departments.billing.oncall[0]: "discord:role:Support" is not a Discord role`},
		{"unknown kind of group", dept([]StaffID{"console:group:x"}), "is not a staff id or group"},
		{"staff entries are people", WorkflowConfig{Staff: []StaffConfig{{ID: "slack:group:S0123"}}}, `staff[0].id: "slack:group:S0123" is a group`},
		{"rotation people are people", WorkflowConfig{Departments: map[string]DepartmentConfig{"eng": {Rotation: &RotationConfig{
			People: []StaffID{"discord:role:5"}, Start: "2026-01-05 09:00"}}}}, "departments.eng.rotation.people[0]"},
		{"assignment to Discord roles only", WorkflowConfig{Departments: map[string]DepartmentConfig{"support": {Members: []StaffID{"discord:role:5"}}},
			Assignment: AssignmentConfig{Departments: []string{"support"}}}, "assignment.departments[0]: support's members are only Discord roles"},
		{"assignment to Discord roles and people", WorkflowConfig{Departments: map[string]DepartmentConfig{"support": {Members: []StaffID{"discord:role:5", "discord:77"}}},
			Assignment: AssignmentConfig{Departments: []string{"support"}}}, ""},
		{"assignment to a Slack group", WorkflowConfig{Departments: map[string]DepartmentConfig{"support": {Members: []StaffID{"slack:group:S1"}}},
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
	w := WorkflowConfig{
		Departments: map[string]DepartmentConfig{
			"support": {Members: []StaffID{"discord:role:5", "discord:77", "slack:group:S1"}, OnCall: []StaffID{"slack:group:S2"}},
			"billing": {Members: []StaffID{"slack:group:S1", "slack:U1"}},
		},
		Assignment: AssignmentConfig{Departments: []string{"support", "billing"}},
	}
	if got := w.Groups(); !slices.Equal(got, []StaffID{"discord:role:5", "slack:group:S1", "slack:group:S2"}) {
		t.Errorf("Groups = %v", got)
	}
	notes := w.Notes()
	if len(notes) != 1 || !strings.Contains(notes[0], "round-robin in support skips its Discord roles") || !strings.Contains(notes[0], "Server Members intent") {
		t.Errorf("Notes = %q", notes)
	}
}

func TestStaffChannels(t *testing.T) {
	got := StaffChannels("C1", map[string]string{"sales": "C3", "billing": "C2", "support": "C1", "eng": ""})
	if want := []string{"C1", "C2", "C3"}; !slices.Equal(got, want) {
		t.Errorf("StaffChannels = %v, want %v", got, want)
	}
	if got := StaffChannels("", nil); len(got) != 0 {
		t.Errorf("nothing configured: %v", got)
	}
}

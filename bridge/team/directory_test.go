package team

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// groupMap is a GroupSource from a map; a group mapped to nil is "failed".
type groupMap map[bridge.StaffID][]bridge.StaffID

func (g groupMap) GroupMembers(group bridge.StaffID) ([]bridge.StaffID, bool) {
	m, ok := g[group]
	return m, ok && m != nil
}

// staffIDs are forms like the surfaces': one with groups that can be
// listed (Slack user groups), one with groups that cannot (Discord roles).
func staffIDs() bridge.StaffIDForms {
	return bridge.StaffIDForms{
		{Surface: "slack", Person: regexp.MustCompile(`^slack:[A-Z0-9]+$`),
			Groups: []bridge.GroupForm{{Prefix: "slack:group:", Name: "Slack user group", Listable: true}}},
		{Surface: "discord", Person: regexp.MustCompile(`^discord:[0-9]+$`),
			Groups: []bridge.GroupForm{{Prefix: "discord:role:", Name: "Discord role"}}},
		{Surface: "console", Person: regexp.MustCompile(`^console:[a-z]+$`)},
	}
}

func groupDirectory(src GroupSource) *Directory {
	d := New(Options{
		StaffIDs: staffIDs(),
		Departments: map[string]Department{
			"billing": {MembersOnly: true, Members: []bridge.StaffID{"slack:U1", "slack:group:S0BILL", "discord:role:700"},
				OnCall: []bridge.StaffID{"slack:group:S0ONCALL", "discord:role:701", "slack:U1"}},
			"sales":   {MembersOnly: true, Members: []bridge.StaffID{"slack:U1"}},
			"support": {},
		},
		Staff: []Staff{
			{ID: "slack:ULEAD", Role: bridge.RoleLead}, {ID: "slack:UOUT", Role: bridge.RoleLead}, {ID: "discord:900", Role: bridge.RoleAdmin},
			{ID: "slack:U2", Role: bridge.RoleAgent},
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
	// A department without groups that cannot be listed takes no leads on trust.
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

func TestStaffChannels(t *testing.T) {
	got := bridge.StaffChannels("C1", map[string]string{"sales": "C3", "billing": "C2", "support": "C1", "eng": ""})
	if want := []string{"C1", "C2", "C3"}; !slices.Equal(got, want) {
		t.Errorf("StaffChannels = %v, want %v", got, want)
	}
	if got := bridge.StaffChannels("", nil); len(got) != 0 {
		t.Errorf("nothing configured: %v", got)
	}
}

func TestDirectory(t *testing.T) {
	d := New(Options{
		StaffIDs:    staffIDs(),
		Departments: map[string]Department{"billing": {Members: []bridge.StaffID{"slack:U1"}, MembersOnly: true, OnCall: []bridge.StaffID{"slack:U1"}}},
		Staff:       []Staff{{ID: "slack:U1", Name: "Alice", Role: bridge.RoleAgent}, {ID: "slack:U9", Name: "Lea", Role: bridge.RoleLead}},
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

// TestDirectoryAsksTheForms: ids and groups are told apart by the
// surfaces' forms; without forms any surface:name id is a person and no
// group can be listed.
func TestDirectoryAsksTheForms(t *testing.T) {
	d := groupDirectory(groupMap{"slack:group:S0BILL": {"slack:U2"}})
	if id, _, ok := d.ResolveStaff("slack:U7", nil, "slack"); !ok || id != "slack:U7" {
		t.Errorf("a well-formed id: %s %v", id, ok)
	}
	if _, _, ok := d.ResolveStaff("slack:u-7", nil, "slack"); ok {
		t.Error("an id the slack form refuses resolved")
	}
	if got, ok := d.GroupLabel("discord:role:701"); !ok || got != "Discord role 701" {
		t.Errorf("GroupLabel = %q %v", got, ok)
	}
	if _, ok := d.GroupLabel("slack:U1"); ok {
		t.Error("a person has a group label")
	}
	bare := New(Options{Departments: map[string]Department{"billing": {Members: []bridge.StaffID{"slack:group:S0BILL"}}}})
	bare.SetGroups(groupMap{"slack:group:S0BILL": {"slack:U2"}})
	if id, _, ok := bare.ResolveStaff("slack:u-7", nil, "slack"); !ok || id != "slack:u-7" {
		t.Errorf("no forms: %s %v", id, ok)
	}
	if bare.IsMember("slack:U2", "billing") {
		t.Error("no forms: a group was listed")
	}
}

package bridge_test

import (
	"regexp"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
)

// TestStaffIDsAreToldApartByTheSurfacesForms: a group id has three parts;
// whether an id is well-formed and a group listable, the forms say.
func TestStaffIDsAreToldApartByTheSurfacesForms(t *testing.T) {
	forms := bridge.StaffIDForms{
		{Surface: "chat", Person: regexp.MustCompile(`^chat:[0-9]+$`),
			Groups: []bridge.GroupForm{{Prefix: "chat:team:", Name: "Chat team", Listable: true}, {Prefix: "chat:tag:", Name: "Chat tag"}}},
		{Surface: "desk", Person: regexp.MustCompile(`^desk:[a-z]+$`)},
	}
	for _, tc := range []struct {
		id       bridge.StaffID
		group    bool
		surface  bridge.Platform
		person   bool
		listable bool
	}{
		{"chat:42", false, "chat", true, false},
		{"chat:ann", false, "chat", false, false},
		{"desk:ann", false, "desk", true, false},
		{"chat:team:7", true, "chat", false, true},
		{"chat:tag:7", true, "chat", false, false},
		{"desk:group:x", true, "desk", false, false},
		{"ann", false, "", false, false},
		{bridge.MentionHere, false, "", false, false},
	} {
		if got := tc.id.IsGroup(); got != tc.group {
			t.Errorf("%s: IsGroup = %v", tc.id, got)
		}
		if got := tc.id.Surface(); got != tc.surface {
			t.Errorf("%s: Surface = %q", tc.id, got)
		}
		if got := forms.IsPerson(tc.id); got != tc.person {
			t.Errorf("%s: IsPerson = %v", tc.id, got)
		}
		if got := forms.Listable(tc.id); got != tc.listable {
			t.Errorf("%s: Listable = %v", tc.id, got)
		}
	}
	if g, ok := forms.Group("chat:tag:7"); !ok || g.Label("chat:tag:7") != "Chat tag 7" {
		t.Errorf("Group = %+v %v", g, ok)
	}
	// Without forms (tests, tools) any surface:name id is a person.
	if !(bridge.StaffIDForms{}).IsPerson("slack:U1") || (bridge.StaffIDForms{}).IsPerson("slack:group:S1") {
		t.Error("no forms")
	}
}

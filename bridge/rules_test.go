package bridge

import (
	"reflect"
	"strings"
	"testing"
)

func TestEvaluateRules(t *testing.T) {
	rules := []RuleConfig{
		{Name: "vip", When: RuleMatch{Domains: []string{"bigcorp.com"}, Customers: nil}, Set: RuleSet{Priority: "urgent", Tags: []string{"VIP"}}},
		{Name: "billing", When: RuleMatch{Keywords: []string{"invoice", "refund", "charged twice"}}, Set: RuleSet{Department: "billing", Priority: "high", Tags: []string{"billing"}}},
		{Name: "angry", On: "message", When: RuleMatch{Sentiment: "negative"}, Set: RuleSet{Priority: "high", Tags: []string{"upset"}}},
		{Name: "telegram", When: RuleMatch{Channels: []string{"telegram"}}, Set: RuleSet{Department: "support", Reply: "hello"}, Stop: true},
		{Name: "never", When: RuleMatch{Keywords: []string{"zzz"}}, Set: RuleSet{Tags: []string{"never"}}},
		{Name: "default", Set: RuleSet{Department: "support"}},
	}
	for _, tc := range []struct {
		name string
		in   RuleInput
		want RuleOutcome
	}{
		{"vip billing: first priority wins, tags add up",
			RuleInput{New: true, Channel: "email", Email: "ceo@BigCorp.com", Text: "Please send the invoice"},
			RuleOutcome{Department: "billing", Priority: PriorityUrgent, Tags: []string{"vip", "billing"}, Matched: []string{"vip", "billing", "default"}}},
		{"word boundaries: 'refunded' is not 'refund'",
			RuleInput{New: true, Channel: "webchat", Text: "I was refunded, thanks"},
			RuleOutcome{Department: "support", Matched: []string{"default"}}},
		{"phrase",
			RuleInput{New: true, Channel: "webchat", Text: "I got CHARGED TWICE."},
			RuleOutcome{Department: "billing", Priority: PriorityHigh, Tags: []string{"billing"}, Matched: []string{"billing", "default"}}},
		{"stop ends evaluation",
			RuleInput{New: true, Channel: "telegram", Text: "hi zzz"},
			RuleOutcome{Department: "support", Reply: "hello", Matched: []string{"telegram"}}},
		{"message rules run on later messages and only they do",
			RuleInput{New: false, Channel: "webchat", Text: "This is UNACCEPTABLE, worst service ever!!!"},
			RuleOutcome{Priority: PriorityHigh, Tags: []string{"upset"}, Matched: []string{"angry"}}},
		{"calm later message: nothing",
			RuleInput{New: false, Channel: "webchat", Text: "thanks, invoice received"},
			RuleOutcome{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EvaluateRules(rules, tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestNegativeSentiment(t *testing.T) {
	for text, want := range map[string]bool{
		"This is a scam":                          true,
		"I am disappointed and frustrated":        true,
		"WHY IS NOTHING WORKING FOR ME":           false,
		"WHY IS NOTHING WORKING FOR ME!!!":        true,
		"Could you help me reset my password?":    false,
		"Worst experience, unacceptable":          true,
		"I'm not angry, just curious":             true, // a heuristic, not magic: documented
		"the weather is terrible here, btw hello": true,
		"thanks, that was awesome":                false,
	} {
		if got := NegativeSentiment(text); got != want {
			t.Errorf("NegativeSentiment(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestWorkflowValidate(t *testing.T) {
	w := WorkflowConfig{
		Departments:       map[string]DepartmentConfig{"billing": {Members: []StaffID{"slack:U1", "bob"}}, "Bad Name": {}},
		DefaultDepartment: "sales",
		Staff:             []StaffConfig{{ID: "slack:U1", Role: "boss"}, {ID: "slack:U1", Role: "agent"}},
		Rules: []RuleConfig{{Set: RuleSet{Priority: "asap"}}, {When: RuleMatch{Keywords: []string{"x"}}, Set: RuleSet{Department: "legal", Reply: "nope"}},
			{On: "message", Set: RuleSet{Department: "billing"}}},
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
		fields = append(fields, e.(*FieldError).Field)
	}
	got := strings.Join(fields, " ")
	for _, want := range []string{"departments.billing.members[1]", "departments.Bad Name", "default_department", "staff[0].role", "staff[1].id",
		"rules[0]", "rules[1].set.department", "rules[1].set.reply", "rules[2]", "templates.hi", "claims.others_reply",
		"permissions.frobnicate", "permissions.close", "timezone"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing error for %s in %s", want, got)
		}
	}
}

func TestDirectory(t *testing.T) {
	d := NewDirectory(WorkflowConfig{
		Departments: map[string]DepartmentConfig{"billing": {Members: []StaffID{"slack:U1"}, MembersOnly: true, OnCall: []StaffID{"slack:U1"}}},
		Staff:       []StaffConfig{{ID: "slack:U1", Name: "Alice", Role: "agent"}, {ID: "slack:U9", Name: "Lea", Role: "lead"}},
	})
	if d.Role("slack:U9", RoleAgent) != RoleLead || d.Role("slack:U5", RoleAgent) != RoleAgent || d.Role("console:x", RoleAdmin) != RoleAdmin {
		t.Error("roles")
	}
	if ok, _ := d.MayAct(Actor{ID: "slack:U1"}, "billing"); !ok {
		t.Error("member refused")
	}
	if ok, why := d.MayAct(Actor{ID: "slack:U5"}, "billing"); ok || !strings.Contains(why, "only members of billing") {
		t.Errorf("non-member allowed (%s)", why)
	}
	if ok, _ := d.MayAct(Actor{ID: "slack:U9", Role: RoleLead}, "billing"); !ok {
		t.Error("lead refused")
	}
	known := map[StaffID]string{"slack:U7": "bob", "console:bob": "bob"}
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

func TestTemplates(t *testing.T) {
	if err := ValidateTemplate("Hi {{customer}}, {{ agent }} here"); err != nil {
		t.Error(err)
	}
	if err := ValidateTemplate("Hi {{nope}}"); err == nil || !strings.Contains(err.Error(), "{{nope}}") {
		t.Errorf("unknown var = %v", err)
	}
	got := RenderTemplate("Hi {{customer}}, I'm {{ agent }}. Ref {{conversation}}.", map[string]string{"customer": "Anna", "agent": "Bob", "conversation": "#4"})
	if got != "Hi Anna, I'm Bob. Ref #4." {
		t.Errorf("render = %q", got)
	}
}

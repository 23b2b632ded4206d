package config

import (
	"strings"
	"testing"
)

// TestDepartmentGroups: department members and on-call lists take Slack
// user groups and Discord roles; mistakes are reported with their line.
func TestDepartmentGroups(t *testing.T) {
	for _, tc := range []struct {
		name, yml string
		want      []string // problems; none: valid
	}{
		{"groups accepted", `departments:
  billing:
    members: ["slack:U0BOB", "slack:group:S0BILLING", "discord:role:1098765432109876543"]
    oncall: ["slack:group:S0ONCALL", "discord:role:1098765432109876544"]
    members_only: true
`, nil},
		{"bad group ids", `departments:
  billing:
    members:
      - "slack:group:billing-team"
      - "discord:role:@Billing"
    oncall: ["slack:groups:S0X"]
`, []string{
			`config.yaml:4: departments.billing.members[0]: "slack:group:billing-team" is not a Slack user group`,
			`config.yaml:5: departments.billing.members[1]: "discord:role:@Billing" is not a Discord role`,
			`config.yaml:6: departments.billing.oncall[0]: "slack:groups:S0X" is not a staff id or group`,
		}},
		{"staff are people", `staff:
  - {id: "slack:U0LEA", role: lead}
  - {id: "slack:group:S0LEADS", role: lead}
`, []string{`config.yaml:3: staff[1].id: "slack:group:S0LEADS" is a group; staff entries are people`}},
		{"round robin over Discord roles only", `departments:
  support: {members: ["discord:role:1098765432109876543"]}
assignment:
  departments: [support]
`, []string{`config.yaml:4: assignment.departments[0]: support's members are only Discord roles, which Threadline cannot assign to`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.yml, nil)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			got := err.Error()
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("missing %q in:\n%s", want, got)
				}
			}
			if n := len(err.(Errors)); n != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%s", n, len(tc.want), got)
			}
		})
	}
}

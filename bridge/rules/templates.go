package rules

import (
	"fmt"
	"regexp"
	"strings"
)

var templateVar = regexp.MustCompile(`\{\{\s*([a-z_]+)\s*\}\}`)

// TemplateVars lists the variables templates may use.
func TemplateVars() []string {
	return []string{"customer", "agent", "conversation", "department", "business_hours", "expected_wait", "opens"}
}

func knownVar(name string) bool {
	for _, v := range TemplateVars() {
		if v == name {
			return true
		}
	}
	return false
}

// ValidateTemplate checks that a template uses only known variables.
func ValidateTemplate(body string) error {
	if strings.TrimSpace(body) == "" {
		return fmt.Errorf("template is empty")
	}
	for _, m := range templateVar.FindAllStringSubmatch(body, -1) {
		if !knownVar(m[1]) {
			return fmt.Errorf("unknown variable {{%s}} (known: %s)", m[1], strings.Join(TemplateVars(), ", "))
		}
	}
	return nil
}

// RenderTemplate fills {{variables}}; a missing value renders empty.
func RenderTemplate(body string, vars map[string]string) string {
	return RenderTemplateFunc(body, func(name string) string { return vars[name] })
}

// RenderTemplateFunc fills {{variables}} with value(name), asked only for
// the variables body uses (some values cost a query). A variable without
// a value drops out with the space or comma that led to it, so "Thanks,
// {{customer}}!" reads "Thanks!" for a customer whose name is not known.
func RenderTemplateFunc(body string, value func(name string) string) string {
	var b strings.Builder
	last := 0
	for _, loc := range templateVar.FindAllStringSubmatchIndex(body, -1) {
		v := value(body[loc[2]:loc[3]])
		lead := body[last:loc[0]]
		if v == "" {
			lead = dropLead(lead, body[loc[1]:])
		}
		b.WriteString(lead)
		b.WriteString(v)
		last = loc[1]
	}
	b.WriteString(body[last:])
	return b.String()
}

// dropLead trims what led to an empty variable: the spaces before it, and
// a comma too when punctuation or the end follows ("message, {{x}}!").
func dropLead(lead, rest string) string {
	switch {
	case rest == "" || strings.ContainsAny(rest[:1], "!?.,;:)\n"):
		return strings.TrimSuffix(strings.TrimRight(lead, " "), ",")
	case rest[0] == ' ':
		return strings.TrimRight(lead, " ")
	}
	return lead
}

// ValidName reports whether s is a usable key: lower-case letters,
// digits, - and _ (department keys, template names).
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

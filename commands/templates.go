package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// runTemplate manages quick-reply templates: anyone may list them; changing
// them needs the template_edit permission (lead by default).
func runTemplate(ctx context.Context, in *Invocation) (string, error) {
	switch strings.ToLower(in.Args[0]) {
	case "list", "ls":
		return listTemplates(ctx, in)
	case "add", "set":
		if err := mayEditTemplates(in); err != nil {
			return "", err
		}
		return saveTemplate(ctx, in)
	case "remove", "rm", "delete":
		if err := mayEditTemplates(in); err != nil {
			return "", err
		}
		return removeTemplate(ctx, in)
	}
	return "", bridge.Reject("Usage: !template list | add <name> <text> | remove <name>")
}

func mayEditTemplates(in *Invocation) error {
	need := bridge.RoleLead
	if r, ok := in.Engine.Directory().Permission("template_edit"); ok {
		need = r
	}
	if in.Actor.Role < need {
		return bridge.Reject("changing templates needs the %s role; you are %s", need, in.Actor.Role)
	}
	return nil
}

func listTemplates(ctx context.Context, in *Invocation) (string, error) {
	all, err := in.Engine.Templates(ctx)
	if err != nil {
		return "", err
	}
	if len(all) == 0 {
		return "No templates yet. Add one: !template add greeting Hi {{customer}}, thanks for writing!", nil
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Templates (send with !t <name>):")
	for _, n := range names {
		fmt.Fprintf(&b, "\n%s: %s", n, firstLine(all[n]))
	}
	return b.String(), nil
}

// saveTemplate handles "add <name> <text>"; the text keeps its spacing and
// line breaks as typed.
func saveTemplate(ctx context.Context, in *Invocation) (string, error) {
	if len(in.Args) < 3 {
		return "", bridge.Reject("Usage: !template add <name> <text>")
	}
	name := in.Args[1]
	body := strings.TrimSpace(in.Rest[strings.Index(in.Rest, name)+len(name):])
	if err := in.Engine.SaveTemplate(ctx, in.Actor, name, body); err != nil {
		return "", err
	}
	name = strings.ToLower(name)
	return fmt.Sprintf("Template %s saved; send it with !t %s.", name, name), nil
}

func removeTemplate(ctx context.Context, in *Invocation) (string, error) {
	if len(in.Args) != 2 {
		return "", bridge.Reject("Usage: !template remove <name>")
	}
	name := strings.ToLower(in.Args[1])
	if err := in.Engine.DeleteTemplate(ctx, in.Actor, name); err != nil {
		return "", err
	}
	return fmt.Sprintf("Template %s removed.", name), nil
}

// firstLine is a template's preview in the list: its first line, clipped.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return Clip(s, 80)
}

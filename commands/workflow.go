package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/rules"
	"github.com/threadlinehq/threadline/bridge/team"
)

// Workflow returns the staff-workflow commands (departments, ownership,
// escalation, priority, tags, snooze, templates, customer context).
func Workflow() []Command {
	return []Command{
		{Name: "reply", Aliases: []string{"r"}, Args: "<text>", Help: "send to the customer even if the conversation is closed or someone else's", MinArgs: 1, MaxArgs: -1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				_, warning, err := in.Engine.ReplyWith(ctx, in.Staff(), in.Rest, nil, true)
				return warning, err
			}},
		{Name: "assign", Args: "@person", Help: "make someone the owner", Permission: bridge.RoleLead, MinArgs: 1, MaxArgs: 1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				id, name, err := in.resolveStaff(ctx, in.Args[0])
				if err != nil {
					return "", err
				}
				c, err := in.Engine.Assign(ctx, in.Staff(), id, name)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s is %s's now.", c.ID, name), nil
			}},
		{Name: "handoff", Aliases: []string{"transfer"}, Args: "@person|department [note]", Help: "hand the conversation to a person or another department, with a note", MinArgs: 1, MaxArgs: -1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				target := in.Args[0]
				note := strings.TrimSpace(strings.TrimPrefix(in.Rest, target))
				if _, ok := in.Engine.Directory().Department(strings.ToLower(target)); ok && !strings.HasPrefix(target, "@") {
					c, err := in.Engine.Handoff(ctx, in.Staff(), strings.ToLower(target), "", "", note)
					if err != nil {
						return "", err
					}
					return fmt.Sprintf("%s is with %s now.", c.ID, c.Department), nil
				}
				id, name, err := in.resolveStaff(ctx, target)
				if err != nil {
					return "", bridge.Reject("%v; departments: %s", err, strings.Join(in.Engine.Directory().Departments(), ", "))
				}
				c, err := in.Engine.Handoff(ctx, in.Staff(), "", id, name, note)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s is %s's now.", c.ID, name), nil
			}},
		{Name: "escalate", Args: "<department|oncall> [reason]", Help: "pull a department (or the on-call) in; priority goes to at least high", MinArgs: 1, MaxArgs: -1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				target := strings.ToLower(in.Args[0])
				reason := strings.TrimSpace(in.Rest[len(in.Args[0]):])
				c, err := in.Engine.Escalate(ctx, in.Staff(), target, reason)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s is escalated to %s.", c.ID, c.EscalatedTo), nil
			}},
		{Name: "deescalate", Help: "end the escalation; the earlier priority comes back", Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				c, err := in.Engine.Deescalate(ctx, in.Staff())
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s is no longer escalated.", c.ID), nil
			}},
		{Name: "priority", Aliases: []string{"prio", "p"}, Args: "urgent|high|normal|low", Help: "set the priority", MinArgs: 1, MaxArgs: 1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				p, err := bridge.ParsePriority(strings.ToLower(in.Args[0]))
				if err != nil {
					return "", bridge.Reject("%v", err)
				}
				c, err := in.Engine.SetPriority(ctx, in.Staff(), p)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s is %s priority.", c.ID, c.Priority), nil
			}},
		{Name: "tag", Aliases: []string{"tags"}, Args: "[add|remove] <tag>", Help: "tag the conversation (no arguments: list its tags)", MaxArgs: -1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				if len(in.Args) == 0 {
					v, err := in.Engine.Store().ConversationView(ctx, in.Conversation)
					if err != nil {
						return "", err
					}
					if len(v.Tags) == 0 {
						return fmt.Sprintf("%s has no tags.", v.ID), nil
					}
					return fmt.Sprintf("%s tags: %s", v.ID, strings.Join(v.Tags, ", ")), nil
				}
				add, words := true, in.Args
				switch strings.ToLower(in.Args[0]) {
				case "add", "+":
					words = in.Args[1:]
				case "remove", "rm", "del", "-":
					add, words = false, in.Args[1:]
				}
				if len(words) == 0 {
					return "", bridge.Reject("Usage: !tag add <tag> or !tag remove <tag>")
				}
				tag := rules.NormalizeTag(strings.Join(words, " "))
				if _, err := in.Engine.Tag(ctx, in.Staff(), tag, add); err != nil {
					return "", err
				}
				if add {
					return fmt.Sprintf("Tagged %s.", tag), nil
				}
				return fmt.Sprintf("Removed tag %s.", tag), nil
			}},
		{Name: "snooze", Args: "2h|tomorrow 9:00|friday|off", Help: "set aside until then (it comes back earlier if the customer writes)", MinArgs: 1, MaxArgs: 2, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				if strings.EqualFold(in.Rest, "off") || strings.EqualFold(in.Rest, "cancel") {
					c, err := in.Engine.Unsnooze(ctx, in.Staff())
					if err != nil {
						return "", err
					}
					return fmt.Sprintf("%s is awake.", c.ID), nil
				}
				dir := in.Engine.Directory()
				until, err := ParseWhen(in.Rest, in.Engine.Now(), dir.Location())
				if err != nil {
					return "", bridge.Reject("%v", err)
				}
				c, err := in.Engine.Snooze(ctx, in.Staff(), until)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%s snoozed until %s.", c.ID, until.In(dir.Location()).Format("Mon 2 Jan 15:04 MST")), nil
			}},
		{Name: "t", Aliases: []string{"tpl"}, Args: "<template>", Help: "send a quick-reply template to the customer", MinArgs: 1, MaxArgs: 1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				text, err := in.Engine.RenderTemplateFor(ctx, in.Conversation, strings.ToLower(in.Args[0]), in.Actor)
				if err != nil {
					return "", err
				}
				_, warning, err := in.Engine.ReplyWith(ctx, in.Staff(), text, nil, false)
				return warning, err
			}},
		{Name: "template", Args: "list | add <name> <text> | remove <name>", Help: "manage quick-reply templates ({{customer}}, {{agent}}, {{conversation}}, {{department}}, {{business_hours}}, {{expected_wait}})", MinArgs: 1, MaxArgs: -1, Global: true,
			Run: runTemplate},
		{Name: "history", Help: "the customer's earlier conversations on every channel", Run: runHistory},
		{Name: "link", Args: "#id", Help: "same person: merge this customer with the customer of another conversation", MinArgs: 1, MaxArgs: 1, Mutates: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				other, err := bridge.ParseConversationID(in.Args[0])
				if err != nil {
					return "", bridge.Reject("%v", err)
				}
				if _, err := in.Engine.LinkCustomers(ctx, in.Staff(), other); err != nil {
					return "", err
				}
				return fmt.Sprintf("Linked: !history now shows the conversations of both %s and %s.", in.Conversation, other), nil
			}},
		{Name: "search", Aliases: []string{"find"}, Args: "<words>", Help: "full-text search over all conversations", MinArgs: 1, MaxArgs: -1, Global: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				hits, err := in.Engine.Store().Search(ctx, in.Rest, 10)
				if err != nil {
					return "", bridge.Reject("%v", err)
				}
				if len(hits) == 0 {
					return "No matches.", nil
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%d match(es), newest first:", len(hits))
				for _, h := range hits {
					fmt.Fprintf(&b, "\n%s %s %s (%s): %s", h.Conversation, h.CreatedAt.In(in.Engine.Directory().Location()).Format("2006-01-02"), h.Author, h.Direction, h.Snippet)
				}
				return b.String(), nil
			}},
		{Name: "oncall", Help: "who is on call in each department", Global: true,
			Run: func(ctx context.Context, in *Invocation) (string, error) {
				dir := in.Engine.Directory()
				known, _ := in.Engine.Store().KnownStaff(ctx)
				if len(dir.Departments()) == 0 {
					return "No departments are configured.", nil
				}
				var b strings.Builder
				b.WriteString("On call now:")
				now := in.Engine.Now()
				for _, d := range dir.Departments() {
					ids := dir.OnCall(d, now)
					names := make([]string, 0, len(ids))
					for _, id := range ids {
						names = append(names, staffName(dir, known, id))
					}
					if len(names) == 0 {
						names = []string{"nobody"}
					}
					fmt.Fprintf(&b, "\n%s: %s", d, strings.Join(names, ", "))
					if r, ok := dir.Rotation(d); ok {
						_, until := r.OnCall(now)
						next, _ := r.OnCall(until)
						fmt.Fprintf(&b, " until %s, then %s", until.In(dir.Location()).Format("Mon 2 Jan 15:04 MST"), staffName(dir, known, next))
					}
				}
				return b.String(), nil
			}},
	}
}

func staffName(dir *team.Directory, known map[bridge.StaffID]string, id bridge.StaffID) string {
	if n, ok := dir.Name(id); ok {
		return n
	}
	if n, ok := known[id]; ok {
		return n
	}
	if g, ok := id.SlackGroup(); ok {
		return "Slack user group " + g
	}
	if r, ok := id.DiscordRole(); ok {
		return "Discord role " + r
	}
	return string(id)
}

// resolveStaff turns "@alice" (or a staff id) into who is meant.
func (in *Invocation) resolveStaff(ctx context.Context, ref string) (bridge.StaffID, string, error) {
	if id, ok := in.Mentions[ref]; ok {
		known, _ := in.Engine.Store().KnownStaff(ctx)
		return id, staffName(in.Engine.Directory(), known, id), nil
	}
	if ref == "@me" || ref == "me" {
		return in.Actor.ID, in.Actor.Name, nil
	}
	known, err := in.Engine.Store().KnownStaff(ctx)
	if err != nil {
		return "", "", err
	}
	id, name, ok := in.Engine.Directory().ResolveStaff(ref, known, in.Surface)
	if !ok {
		return "", "", bridge.Reject("do not know who %s is (mention them, or use their staff id such as slack:U0123)", ref)
	}
	return id, name, nil
}

func runTemplate(ctx context.Context, in *Invocation) (string, error) {
	sub := strings.ToLower(in.Args[0])
	editRole := bridge.RoleLead
	if r, ok := in.Engine.Directory().Config().Permissions["template_edit"]; ok {
		editRole, _ = bridge.ParseRole(r)
	}
	switch sub {
	case "list", "ls":
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
	case "add", "set":
		if in.Actor.Role < editRole {
			return "", bridge.Reject("changing templates needs the %s role; you are %s", editRole, in.Actor.Role)
		}
		if len(in.Args) < 3 {
			return "", bridge.Reject("Usage: !template add <name> <text>")
		}
		body := strings.TrimSpace(in.Rest[strings.Index(in.Rest, in.Args[1])+len(in.Args[1]):])
		if err := in.Engine.SaveTemplate(ctx, in.Actor, in.Args[1], body); err != nil {
			return "", err
		}
		return fmt.Sprintf("Template %s saved; send it with !t %s.", strings.ToLower(in.Args[1]), strings.ToLower(in.Args[1])), nil
	case "remove", "rm", "delete":
		if in.Actor.Role < editRole {
			return "", bridge.Reject("changing templates needs the %s role; you are %s", editRole, in.Actor.Role)
		}
		if len(in.Args) != 2 {
			return "", bridge.Reject("Usage: !template remove <name>")
		}
		if err := in.Engine.DeleteTemplate(ctx, in.Actor, strings.ToLower(in.Args[1])); err != nil {
			return "", err
		}
		return fmt.Sprintf("Template %s removed.", strings.ToLower(in.Args[1])), nil
	}
	return "", bridge.Reject("Usage: !template list | add <name> <text> | remove <name>")
}

func runHistory(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Store().Conversation(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	convs, err := in.Engine.Store().CustomerConversations(ctx, c.Customer, 20)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s's conversations (%d):", c.CustomerName, len(convs))
	for _, x := range convs {
		mark := ""
		if x.ID == c.ID {
			mark = " ← this one"
		}
		fmt.Fprintf(&b, "\n%s %s on %s · %s · %d messages · %s%s", x.ID, x.CreatedAt.In(in.Engine.Directory().Location()).Format("2006-01-02"),
			x.Channel, x.Status, x.MessageCount, x.Subject, mark)
	}
	return b.String(), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

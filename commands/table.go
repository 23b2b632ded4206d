package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Command is one row of the declarative command table.
type Command struct {
	Name       string
	Aliases    []string
	Args       string // usage of the arguments, e.g. "[reason]" or "<text>"
	Help       string // one line
	Permission bridge.Role
	MinArgs    int
	MaxArgs    int  // -1: any number (free text)
	Global     bool // usable without a conversation (outside a thread)
	// Mutates: changes the conversation or writes to the customer, so
	// department membership rules apply (notes and reads are always allowed).
	Mutates bool
	Run     func(ctx context.Context, in *Invocation) (string, error)
}

// Table is the set of commands a handler understands.
type Table struct {
	cmds   []Command
	byName map[string]int
}

// NewTable builds a table; duplicate names or aliases are an error.
func NewTable(cmds ...Command) (*Table, error) {
	t := &Table{byName: make(map[string]int)}
	for _, c := range cmds {
		if c.Run == nil || c.Name == "" {
			return nil, fmt.Errorf("command %q: name and Run are required", c.Name)
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			n = strings.ToLower(n)
			if _, dup := t.byName[n]; dup {
				return nil, fmt.Errorf("command name %q is used twice", n)
			}
			t.byName[n] = len(t.cmds)
		}
		t.cmds = append(t.cmds, c)
	}
	return t, nil
}

// Lookup finds a command by name or alias.
func (t *Table) Lookup(name string) (Command, bool) {
	i, ok := t.byName[strings.ToLower(name)]
	if !ok {
		return Command{}, false
	}
	return t.cmds[i], true
}

// Commands lists the commands in table order.
func (t *Table) Commands() []Command { return t.cmds }

// Usage is "!name args".
func (c Command) Usage(prefix string) string {
	if c.Args == "" {
		return prefix + c.Name
	}
	return prefix + c.Name + " " + c.Args
}

// Help renders the help text from the table.
func (t *Table) Help(s Syntax) string {
	var b strings.Builder
	b.WriteString("Plain text in this thread is sent to the customer. Commands (only staff see them):\n")
	width := 0
	for _, c := range t.cmds {
		width = max(width, len(c.Usage(s.Prefix)))
	}
	for _, c := range t.cmds {
		fmt.Fprintf(&b, "  %-*s  %s", width, c.Usage(s.Prefix), c.Help)
		if len(c.Aliases) > 0 {
			fmt.Fprintf(&b, " (also %s%s)", s.Prefix, strings.Join(c.Aliases, ", "+s.Prefix))
		}
		if c.Permission > bridge.RoleAgent {
			fmt.Fprintf(&b, " [%s]", c.Permission)
		}
		b.WriteByte('\n')
	}
	if len(s.NotePrefixes) > 0 {
		fmt.Fprintf(&b, "Start a message with %q to write an internal note instead.\n", s.NotePrefixes[0])
	}
	fmt.Fprintf(&b, "To send the customer a message that starts with %q, type it twice (%s%s...).", s.Prefix, s.Prefix, s.Prefix)
	return b.String()
}

// Names lists every command name of the full table (for config checks),
// plus "template_edit", the permission for changing templates.
func Names() []string {
	var out []string
	for _, c := range all() {
		out = append(out, c.Name)
	}
	return append(out, "template_edit")
}

// All is the full command table: Core, Workflow, Stats and Answers.
func All() (*Table, error) { return NewTable(all()...) }

func all() []Command {
	return append(append(append(Core(), Workflow()...), Stats()...), Answers()...)
}

package commands

import (
	"fmt"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/engine"
)

// Invocation is one command call.
type Invocation struct {
	Engine       *engine.Engine
	Conversation bridge.ConversationID // 0 for global commands used outside a thread
	Actor        bridge.Actor
	Surface      bridge.Platform
	ExternalID   string
	Args         []string
	Rest         string // arguments as typed
	Table        *Table
	Syntax       Syntax
	Mentions     map[string]bridge.StaffID // "@name" words the surface resolved
	Answers      *answers.Service          // nil when the process has none
}

// Staff returns the StaffContext for engine calls.
func (in *Invocation) Staff() engine.StaffContext {
	return engine.StaffContext{Conversation: in.Conversation, Actor: in.Actor, Surface: in.Surface, ExternalID: in.ExternalID}
}

// confirm is how a handler answers after an engine action on the
// conversation: the error if there was one, else format with the
// conversation's id as its first argument ("%s is open again.").
func confirm(c bridge.Conversation, err error, format string, args ...any) (string, error) {
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(format, append([]any{c.ID}, args...)...), nil
}

package bridge

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
)

// TypingTopic is the Relay topic of typing indicators. They are live only
// and best effort (nothing about them is stored), so they travel the way
// every other live push does: a visitor typing on one replica shows in
// the Discord thread the leader serves, a staff member typing in Discord
// shows in the widget of a visitor connected to any replica.
const TypingTopic = "typing"

// Typing says that someone is writing in a conversation right now.
// Surfaces and channels that can show it subscribe (SubscribeTyping); the
// side that notices it publishes (PublishTyping), at most every few
// seconds while the typing goes on.
type Typing struct {
	Conversation ConversationID `json:"conversation"`
	// Staff: a staff member is writing a reply; false: the customer is.
	Staff bool `json:"staff,omitempty"`
	// Name is who: the staff member's display name, or the customer's.
	Name string `json:"name,omitempty"`
	// Surface is where staff type, so that surface does not echo it.
	Surface Platform `json:"surface,omitempty"`
}

// PublishTyping sends t to every replica's subscribers.
func PublishTyping(ctx context.Context, r Relay, t Typing) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return r.Publish(ctx, TypingTopic, b)
}

// SubscribeTyping calls fn for every typing indicator published on r
// until the returned cancel is called. fn must not block for long.
func SubscribeTyping(r Relay, fn func(Typing)) (cancel func()) {
	return r.Subscribe(TypingTopic, func(payload []byte) {
		var t Typing
		if err := json.Unmarshal(payload, &t); err == nil && t.Conversation > 0 {
			fn(t)
		}
	})
}

// VisitorHandle is what staff call an anonymous web visitor who gave no
// name ("Visitor 12"): friendlier than the random id their address is.
func VisitorHandle(n int64) string { return "Visitor " + strconv.FormatInt(n, 10) }

var visitorHandle = regexp.MustCompile(`^Visitor [0-9]+$`)

// IsVisitorHandle reports whether name is a VisitorHandle, not a name the
// customer gave: templates greet such a customer without a name.
func IsVisitorHandle(name string) bool { return visitorHandle.MatchString(name) }

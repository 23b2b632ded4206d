package mattermost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// What the WebSocket at /api/v4/websocket sends: events
// (model.WebSocketEvent: {"event", "data", "broadcast", "seq"}) and
// answers to the client's requests (model.WebSocketResponse: {"status",
// "seq_reply", "error"}). The posted, post_edited and post_deleted events
// carry the post as a JSON string in data.post.

// Kinds of frames Threadline acts on.
const (
	evHello       = "hello"
	evPosted      = "posted"
	evPostEdited  = "post_edited"
	evPostDeleted = "post_deleted"
	evResponse    = "response" // an answer to a request (the authentication challenge)
)

// maxFrame bounds one frame (a post is at most 16383 characters plus its
// props, up to 800000).
const maxFrame = 4 << 20

// event is one parsed frame.
type event struct {
	Kind string
	Seq  int64
	// Post is set for posted, post_edited and post_deleted.
	Post *Post
	// Hello: the connection and the server.
	ConnectionID, ServerVersion string
	// Response: its status ("OK", "FAIL"), the request it answers and why it failed.
	Status   string
	SeqReply int64
	Error    string
}

type wsFrame struct {
	Event    string          `json:"event"`
	Data     json.RawMessage `json:"data"`
	Seq      int64           `json:"seq"`
	Status   string          `json:"status"`
	SeqReply int64           `json:"seq_reply"`
	Error    *appError       `json:"error"`
}

// parseEvent reads one frame. Frames that are neither an event nor an
// answer, and post events without a usable post, are errors; events of
// other kinds come back with their Kind only.
func parseEvent(b []byte) (event, error) {
	if len(b) > maxFrame {
		return event{}, fmt.Errorf("frame of %d bytes is over the %d limit", len(b), maxFrame)
	}
	var f wsFrame
	if err := json.Unmarshal(b, &f); err != nil {
		return event{}, fmt.Errorf("frame is not a JSON object: %w", err)
	}
	if f.Event == "" {
		if f.Status == "" {
			return event{}, errors.New("frame is neither an event nor an answer")
		}
		ev := event{Kind: evResponse, Status: f.Status, SeqReply: f.SeqReply}
		if f.Error != nil {
			ev.Error = f.Error.Message
			if f.Error.ID != "" {
				ev.Error += " (" + f.Error.ID + ")"
			}
		}
		return ev, nil
	}
	ev := event{Kind: f.Event, Seq: f.Seq}
	switch f.Event {
	case evHello:
		var d struct {
			ConnectionID  string `json:"connection_id"`
			ServerVersion string `json:"server_version"`
		}
		if len(f.Data) > 0 && !bytes.Equal(f.Data, []byte("null")) {
			if err := json.Unmarshal(f.Data, &d); err != nil {
				return event{}, fmt.Errorf("hello: %w", err)
			}
		}
		ev.ConnectionID, ev.ServerVersion = d.ConnectionID, d.ServerVersion
	case evPosted, evPostEdited, evPostDeleted:
		p, err := eventPost(f.Data)
		if err != nil {
			return event{}, fmt.Errorf("%s: %w", f.Event, err)
		}
		ev.Post = p
	}
	return ev, nil
}

// eventPost reads data.post: a JSON string holding the post (an object is
// accepted too).
func eventPost(data json.RawMessage) (*Post, error) {
	var d struct {
		Post json.RawMessage `json:"post"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("data is not an object: %w", err)
	}
	raw := bytes.TrimSpace(d.Post)
	if len(raw) == 0 {
		return nil, errors.New("no post in data")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("data.post: %w", err)
		}
		raw = []byte(s)
	}
	var p Post
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("data.post is not a post: %w", err)
	}
	if !IsID(p.ID) || !IsID(p.ChannelID) || (p.RootID != "" && !IsID(p.RootID)) || (p.UserID != "" && !IsID(p.UserID)) {
		return nil, errors.New("data.post lacks well-formed ids")
	}
	return &p, nil
}

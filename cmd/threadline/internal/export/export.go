// Package export renders conversations for `threadline export`: JSON lines
// (one object per conversation with its messages, or one per message) and
// Markdown transcripts (one file per conversation). Writers stream: they
// hold one conversation header at a time, never the history.
package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/termsafe"
	"github.com/threadlinehq/threadline/store"
)

// Conversation is the exported form of a conversation (JSON field names
// are the stable, documented export format).
type Conversation struct {
	ID              bridge.ConversationID `json:"id"`
	Customer        Customer              `json:"customer"`
	Channel         bridge.Platform       `json:"channel"`
	Address         string                `json:"address"`
	Entry           string                `json:"entry,omitempty"` // where the customer first wrote to: a mailbox, widget or @bot
	Subject         string                `json:"subject,omitempty"`
	Status          bridge.Status         `json:"status"`
	Priority        bridge.Priority       `json:"priority"`
	Department      string                `json:"department,omitempty"`
	Owner           bridge.StaffID        `json:"owner,omitempty"`
	OwnerName       string                `json:"owner_name,omitempty"`
	Tags            []string              `json:"tags,omitempty"`
	CreatedAt       time.Time             `json:"created_at"`
	UpdatedAt       time.Time             `json:"updated_at"`
	FirstResponseAt *time.Time            `json:"first_response_at,omitempty"`
	ClosedAt        *time.Time            `json:"closed_at,omitempty"`
	CloseReason     string                `json:"close_reason,omitempty"`
	MessageCount    int                   `json:"message_count"`
}

// Customer says who the conversation is with.
type Customer struct {
	ID       bridge.CustomerID `json:"id"`
	Name     string            `json:"name,omitempty"`
	Identity string            `json:"identity,omitempty"` // @username or email on the channel
}

// Message is the exported form of a message.
type Message struct {
	ID           bridge.MessageID      `json:"id"`
	Conversation bridge.ConversationID `json:"conversation_id"`
	Direction    bridge.Direction      `json:"direction"` // customer, staff (sent to the customer), note, system
	AuthorID     string                `json:"author_id,omitempty"`
	Author       string                `json:"author,omitempty"`
	Body         string                `json:"body"`
	Attachments  []bridge.Attachment   `json:"attachments,omitempty"`
	Platform     bridge.Platform       `json:"platform,omitempty"`
	ExternalID   string                `json:"external_id,omitempty"`
	CreatedAt    time.Time             `json:"created_at"`
}

func utc(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// FromConversation converts a stored conversation.
func FromConversation(c bridge.ConversationView) Conversation {
	return Conversation{
		ID: c.ID, Customer: Customer{ID: c.Customer, Name: c.CustomerName, Identity: c.Identity},
		Channel: c.Channel, Address: c.Address, Entry: c.Entry, Subject: c.Subject, Status: c.Status, Priority: c.Priority,
		Department: c.Department, Owner: c.Owner, OwnerName: c.OwnerName, Tags: c.Tags,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), FirstResponseAt: utc(c.FirstResponseAt),
		ClosedAt: utc(c.ClosedAt), CloseReason: c.CloseReason, MessageCount: c.MessageCount,
	}
}

// FromMessage converts a stored message.
func FromMessage(m bridge.Message) Message {
	return Message{ID: m.ID, Conversation: m.Conversation, Direction: m.Direction, AuthorID: m.AuthorID, Author: m.Author,
		Body: m.Body, Attachments: m.Attachments, Platform: m.Platform, ExternalID: m.ExternalID, CreatedAt: m.CreatedAt.UTC()}
}

// Formats lists the output formats.
var Formats = []string{"conversations", "messages", "markdown"}

// Writer renders an export; Close flushes it.
type Writer interface {
	Visitor() store.ExportVisitor
	Close() error
}

// New returns the writer for format: "conversations" and "messages" write
// JSON lines to w; "markdown" writes one file per conversation into dir.
func New(format string, w io.Writer, dir string) (Writer, error) {
	switch format {
	case "conversations":
		return &jsonConversations{w: bufio.NewWriterSize(w, 64<<10)}, nil
	case "messages":
		return &jsonMessages{w: bufio.NewWriterSize(w, 64<<10)}, nil
	case "markdown":
		if dir == "" {
			return nil, fmt.Errorf("--format markdown writes one file per conversation: give a directory with --out DIR")
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		return &markdown{dir: dir}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// jsonConversations writes one line per conversation:
// {...conversation fields..., "messages": [{...}, ...]}. The messages are
// streamed into the array one by one.
type jsonConversations struct {
	w     *bufio.Writer
	first bool
}

func (j *jsonConversations) Visitor() store.ExportVisitor {
	return store.ExportVisitor{
		Conversation: func(c bridge.ConversationView) error {
			b, err := marshal(FromConversation(c))
			if err != nil {
				return err
			}
			j.w.Write(b[:len(b)-1]) // drop "}": the messages array goes inside
			j.w.WriteString(`,"messages":[`)
			j.first = true
			return nil
		},
		Message: func(m bridge.Message) error {
			b, err := marshal(FromMessage(m))
			if err != nil {
				return err
			}
			if !j.first {
				j.w.WriteByte(',')
			}
			j.first = false
			_, err = j.w.Write(b)
			return err
		},
		End: func(bridge.ConversationView) error {
			_, err := j.w.WriteString("]}\n")
			return err
		},
	}
}

func (j *jsonConversations) Close() error { return j.w.Flush() }

// marshal is json.Marshal without HTML escaping (bodies stay readable).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// jsonMessages writes one line per message.
type jsonMessages struct{ w *bufio.Writer }

func (j *jsonMessages) Visitor() store.ExportVisitor {
	enc := json.NewEncoder(j.w)
	enc.SetEscapeHTML(false)
	return store.ExportVisitor{Message: func(m bridge.Message) error { return enc.Encode(FromMessage(m)) }}
}

func (j *jsonMessages) Close() error { return j.w.Flush() }

// markdown writes <dir>/<id>-<subject-slug>.md per conversation.
type markdown struct {
	dir string
	f   *os.File
	w   *bufio.Writer
}

func (m *markdown) Visitor() store.ExportVisitor {
	return store.ExportVisitor{
		Conversation: func(c bridge.ConversationView) error {
			name := FileName(c.ID, c.Subject)
			f, err := os.OpenFile(filepath.Join(m.dir, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			m.f, m.w = f, bufio.NewWriter(f)
			writeHeader(m.w, c)
			return nil
		},
		Message: func(msg bridge.Message) error {
			writeMessage(m.w, msg)
			return nil
		},
		End: func(bridge.ConversationView) error {
			err := m.w.Flush()
			if cerr := m.f.Close(); err == nil {
				err = cerr
			}
			m.f = nil
			return err
		},
	}
}

func (m *markdown) Close() error {
	if m.f != nil {
		return m.f.Close()
	}
	return nil
}

// FileName is a transcript's file name: the zero-padded id (so names sort
// by id) and a slug of the subject made of a-z, 0-9 and dashes only, so it
// is safe on every file system and in shells.
func FileName(id bridge.ConversationID, subject string) string {
	words := strings.FieldsFunc(strings.ToLower(subject), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	slug := ""
words:
	for _, w := range words {
		switch {
		case slug == "" && len(w) > 40:
			slug = w[:40]
		case slug == "":
			slug = w
		case len(slug)+1+len(w) <= 40:
			slug += "-" + w
		default:
			break words
		}
	}
	if slug == "" {
		return fmt.Sprintf("%06d.md", int64(id))
	}
	return fmt.Sprintf("%06d-%s.md", int64(id), slug)
}

const stamp = "2006-01-02 15:04 UTC"

func writeHeader(w *bufio.Writer, c bridge.ConversationView) {
	title := c.Subject
	if title == "" {
		title = "Conversation"
	}
	fmt.Fprintf(w, "# #%d %s\n\n", int64(c.ID), oneLine(title))
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "| %s | %s |\n", k, cell(v))
		}
	}
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	who := c.CustomerName
	if c.Identity != "" {
		who += " (" + c.Identity + ")"
	}
	row("Customer", fmt.Sprintf("%s, customer %d", who, int64(c.Customer)))
	row("Channel", fmt.Sprintf("%s (%s)", c.Channel, c.Address))
	row("Via", c.Via())
	status := string(c.Status)
	if c.CloseReason != "" {
		status += ": " + c.CloseReason
	}
	row("Status", status)
	row("Priority", string(c.Priority))
	row("Department", c.Department)
	row("Owner", c.OwnerName)
	row("Tags", strings.Join(c.Tags, ", "))
	row("Created", c.CreatedAt.UTC().Format(stamp))
	if !c.FirstResponseAt.IsZero() {
		row("First response", c.FirstResponseAt.UTC().Format(stamp))
	}
	if !c.ClosedAt.IsZero() {
		row("Closed", c.ClosedAt.UTC().Format(stamp))
	}
	row("Messages", fmt.Sprint(c.MessageCount))
	fmt.Fprintf(w, "\n## Transcript\n")
}

func writeMessage(w *bufio.Writer, m bridge.Message) {
	var who string
	switch m.Direction {
	case bridge.DirCustomer:
		who = m.Author + " (customer)"
	case bridge.DirStaff:
		who = m.Author + " → customer"
	case bridge.DirNote:
		who = m.Author + " (internal note)"
	default:
		who = "Threadline"
	}
	fmt.Fprintf(w, "\n**%s** · %s\n\n", oneLine(who), m.CreatedAt.UTC().Format(stamp))
	for _, line := range strings.Split(strings.TrimRight(m.Body, "\n"), "\n") {
		fmt.Fprintf(w, "> %s\n", safe(line))
	}
	for _, a := range m.Attachments {
		where := a.URL
		if where == "" {
			where = a.Path
		}
		fmt.Fprintf(w, ">\n> 📎 %s %s\n", oneLine(a.Name), oneLine(where))
	}
}

func oneLine(s string) string { return safe(strings.Join(strings.Fields(s), " ")) }

// htmlEscaper escapes what a Markdown viewer would take for HTML.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// safe is text from outside as a transcript shows it: no HTML a viewer
// would render (a customer's <script> or <img> stays text), no control
// characters a terminal would obey (cat on the file).
func safe(s string) string { return htmlEscaper.Replace(termsafe.String(s)) }

func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }

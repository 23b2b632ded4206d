package telegram

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/adapters/internal/attach"
)

func TestReadUpdate(t *testing.T) {
	cases := []struct {
		name, raw        string
		ok, start        bool
		text, ext, edit  string
		files            int
		malformed        bool
		nameWant, handle string
		reach            string
	}{
		{name: "text", raw: `{"update_id":7,"message":{"message_id":3,"from":{"id":42,"is_bot":false,"first_name":"Anna","last_name":"Smith","username":"anna_s"},"chat":{"id":42,"type":"private"},"date":1700000000,"text":"Hello"}}`,
			ok: true, text: "Hello", ext: "42:3", nameWant: "Anna Smith", handle: "anna_s"},
		{name: "start", raw: `{"update_id":8,"message":{"message_id":4,"from":{"id":42,"first_name":"Anna"},"chat":{"id":42,"type":"private"},"date":1,"text":"/start"}}`,
			ok: true, start: true, ext: "42:4", nameWant: "Anna"},
		{name: "start for this bot with payload", raw: `{"update_id":8,"message":{"message_id":4,"from":{"id":42,"first_name":"Anna"},"chat":{"id":42,"type":"private"},"date":1,"text":"/start@threadline_test_bot ref42"}}`,
			ok: true, start: true, ext: "42:4", nameWant: "Anna"},
		{name: "start for another bot is text", raw: `{"update_id":8,"message":{"message_id":4,"from":{"id":42,"first_name":"Anna"},"chat":{"id":42,"type":"private"},"date":1,"text":"/start@other_bot"}}`,
			ok: true, text: "/start@other_bot", ext: "42:4", nameWant: "Anna"},
		{name: "edit", raw: `{"update_id":9,"edited_message":{"message_id":3,"from":{"id":42,"first_name":"Anna"},"chat":{"id":42,"type":"private"},"date":1,"edit_date":2,"text":"Hello!"}}`,
			ok: true, text: "✏️ edited: Hello!", ext: "42:3:edit:9", edit: "42:3", nameWant: "Anna"},
		{name: "photo with caption", raw: `{"update_id":10,"message":{"message_id":5,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1,"caption":"broken","photo":[{"file_id":"s","file_unique_id":"us","width":90,"height":90},{"file_id":"b","file_unique_id":"ub","width":900,"height":900}]}}`,
			ok: true, text: "broken", ext: "42:5", files: 1, nameWant: "A"},
		{name: "voice without caption", raw: `{"update_id":11,"message":{"message_id":6,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1,"voice":{"file_id":"v","file_unique_id":"uv","duration":67}}}`,
			ok: true, text: "[voice message 1:07]", ext: "42:6", files: 1, nameWant: "A"},
		{name: "sticker", raw: `{"update_id":12,"message":{"message_id":7,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1,"sticker":{"file_id":"st","file_unique_id":"ust","emoji":"👍","is_animated":true}}}`,
			ok: true, text: "[sticker 👍]", ext: "42:7", files: 1, nameWant: "A"},
		{name: "unknown content", raw: `{"update_id":13,"message":{"message_id":8,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"date":1,"dice":{"emoji":"🎲","value":3}}}`,
			ok: true, text: "[a kind of Telegram message Threadline cannot show]", ext: "42:8", nameWant: "A"},
		{name: "group message ignored", raw: `{"update_id":14,"message":{"message_id":9,"from":{"id":42,"first_name":"A"},"chat":{"id":-100,"type":"supergroup"},"date":1,"text":"hi"}}`},
		{name: "bot sender ignored", raw: `{"update_id":15,"message":{"message_id":9,"from":{"id":43,"is_bot":true,"first_name":"B"},"chat":{"id":43,"type":"private"},"date":1,"text":"hi"}}`},
		{name: "callback query ignored", raw: `{"update_id":16,"callback_query":{"id":"1"}}`},
		{name: "blocked", raw: `{"update_id":19,"my_chat_member":{"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"A"},"date":1,"old_chat_member":{"status":"member"},"new_chat_member":{"status":"kicked","until_date":0}}}`,
			ok: true, reach: "blocked"},
		{name: "unblocked", raw: `{"update_id":20,"my_chat_member":{"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"A"},"date":1,"new_chat_member":{"status":"member"}}}`,
			ok: true, reach: "unblocked"},
		{name: "bot added to a group is ignored", raw: `{"update_id":21,"my_chat_member":{"chat":{"id":-5,"type":"group"},"from":{"id":42,"first_name":"A"},"date":1,"new_chat_member":{"status":"member"}}}`},
		{name: "wrong types", raw: `{"update_id":17,"message":"oops"}`, malformed: true},
		{name: "no chat id", raw: `{"update_id":18,"message":{"message_id":1,"from":{"id":1,"first_name":"A"},"chat":{"type":"private"},"text":"x"}}`, malformed: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := parseUpdate([]byte(c.raw))
			var in incoming
			ok := false
			if err == nil {
				in, ok, err = readUpdate(u, "threadline_test_bot")
			}
			if c.malformed {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("err = %v, want errMalformed", err)
				}
				return
			}
			if err != nil || ok != c.ok {
				t.Fatalf("ok=%v err=%v, want ok=%v", ok, err, c.ok)
			}
			if !ok {
				return
			}
			m := in.Msg
			if c.reach != "" {
				if in.Reach != c.reach || m.Address != "42" {
					t.Errorf("reach %q address %q, want %q", in.Reach, m.Address, c.reach)
				}
				return
			}
			if in.Start != c.start || m.ExternalID != c.ext || m.EditOf != c.edit || len(in.Files) != c.files ||
				m.Name != c.nameWant || m.Username != c.handle || m.Address != "42" || m.Channel != Platform {
				t.Errorf("got %+v (start %v, %d files)", m, in.Start, len(in.Files))
			}
			if len(m.To) != 1 || m.To[0] != "@threadline_test_bot" {
				t.Errorf("to %q, want the bot's @username", m.To)
			}
			if !c.start && m.Text != c.text {
				t.Errorf("text %q, want %q", m.Text, c.text)
			}
		})
	}
}

func TestLargestPhoto(t *testing.T) {
	p := largestPhoto([]photoSize{{FileID: "a", Width: 10, Height: 10}, {FileID: "c", Width: 800, Height: 600}, {FileID: "b", Width: 100, Height: 100}})
	if p.FileID != "c" {
		t.Errorf("largest photo %q", p.FileID)
	}
}

// FuzzParseUpdate feeds arbitrary bytes through the update parser: it must
// never panic, and whatever it accepts must be a storable message.
func FuzzParseUpdate(f *testing.F) {
	f.Add([]byte(`{"update_id":7,"message":{"message_id":3,"from":{"id":42,"first_name":"Anna"},"chat":{"id":42,"type":"private"},"date":1,"text":"Hello"}}`))
	f.Add([]byte(`{"update_id":9,"edited_message":{"message_id":3,"from":{"id":42,"first_name":"A"},"chat":{"id":42,"type":"private"},"edit_date":2,"caption":"x","document":{"file_id":"d","file_name":"../a.pdf"}}}`))
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"from":{"id":1},"chat":{"id":1,"type":"private"},"photo":[],"location":{"latitude":1,"longitude":2}}}`))
	f.Add([]byte(`{"update_id":"x"}`))
	f.Add([]byte(`{"update_id":5,"my_chat_member":{"chat":{"id":3,"type":"private"},"new_chat_member":{"status":"kicked"}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := parseUpdate(raw)
		if err != nil {
			return
		}
		in, ok, err := readUpdate(u, "bot")
		if err != nil || !ok {
			return
		}
		m := in.Msg
		if in.Reach != "" {
			if m.Address == "" || m.Address == "0" {
				t.Fatalf("reachability change without an address: %+v", in)
			}
			return
		}
		if m.Address == "" || m.Address == "0" || m.ExternalID == "" || m.Channel != Platform {
			t.Fatalf("accepted a message without address or id: %+v", m)
		}
		if !in.Start && strings.TrimSpace(m.Text) == "" {
			t.Fatalf("accepted a message with no text: %+v", m)
		}
		for _, f := range in.Files {
			if n := attach.SafeName(f.Name); strings.ContainsAny(n, `/\`) || strings.HasPrefix(n, ".") || !utf8.ValidString(n) {
				t.Fatalf("unsafe file name %q from %q", n, f.Name)
			}
		}
	})
}

func BenchmarkReadUpdate(b *testing.B) {
	raw := []byte(`{"update_id":7,"message":{"message_id":3,"from":{"id":42,"is_bot":false,"first_name":"Anna","last_name":"Smith","username":"anna_s","language_code":"en"},"chat":{"id":42,"type":"private","first_name":"Anna"},"date":1700000000,"text":"Hello, my parcel never arrived and the tracking page says nothing since Monday."}}`)
	for b.Loop() {
		u, err := parseUpdate(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := readUpdate(u, "bot"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkFormatReply(b *testing.B) {
	text := strings.Repeat("Thanks for waiting! Your *refund* of 20 € & <fees> is on its way. ", 150) // ~10 KB, 3 messages
	for b.Loop() {
		formatReply("<b>Alice</b>\n", 6, text, maxTextLen)
	}
}

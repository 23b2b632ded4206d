package whatsapp

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseNotification feeds the webhook parser what an attacker who
// knows the app secret, or a Meta change, could send: it must not panic,
// and what it makes of a message must be safe to store (an address of two
// digit runs, file names without paths, valid UTF-8 kept as is).
func FuzzParseNotification(f *testing.F) {
	for _, seed := range []string{
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.1","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"from":"1","id":"w","type":"document","document":{"id":"9","filename":"../../etc/passwd","mime_type":"text/plain; x=\"y\""}}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.1","status":"failed","errors":[{"code":131047,"title":"Re-engagement message"}]}]}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"from":"1","id":"w","type":"location","location":{"latitude":1e308,"longitude":-1e308}},{"from":"1","id":"x","type":"contacts","contacts":[{}]},{"from":"1","id":"y","type":"reaction","reaction":{"message_id":"z","emoji":"👍"}},{"from":"1","id":"z","type":"system","system":{"wa_id":"2"}}]}}]}]}`,
		`{"object":"page"}`, `[]`, `{"object":"whatsapp_business_account","entry":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, err := parseNotification(raw)
		if err != nil {
			return
		}
		for _, e := range n.Entry {
			for _, c := range e.Changes {
				for _, m := range c.Value.Messages {
					in, ok := readMessage(c.Value, m)
					if !ok {
						continue
					}
					if p, w, ok := splitAddress(in.Msg.Address); !ok || p != in.PhoneID || w != in.WaID {
						t.Fatalf("address %q does not split back", in.Msg.Address)
					}
					for _, file := range in.Files {
						if strings.ContainsAny(file.Name, `/\`) || strings.HasPrefix(file.Name, ".") || file.Name == "" || len(file.Name) > 100 {
							t.Fatalf("unsafe file name %q", file.Name)
						}
						if strings.ContainsAny(file.MIME, " \r\n\"") {
							t.Fatalf("unsafe MIME type %q", file.MIME)
						}
					}
					if in.Reaction == nil && in.System == "" && strings.TrimSpace(in.Msg.Text) == "" {
						t.Fatalf("a message with nothing to show: %+v", m)
					}
					if utf8.Valid(raw) && !utf8.ValidString(in.Msg.Text) {
						t.Fatalf("text became invalid UTF-8")
					}
				}
				for _, s := range c.Value.Statuses {
					if r, ok := statusNote(s, "advice"); ok && (r.ExternalID == "" || len(r.Error) > 700) {
						t.Fatalf("status %+v", r)
					}
				}
			}
		}
	})
}

func TestSplitTextKeepsEveryPieceWithinTheLimitAndLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		limit int
		first int
	}{
		{"paragraphs", strings.Repeat("word ", 3000), 4096, 10},
		{"one long word", strings.Repeat("x", 10000), 4096, 0},
		{"emoji count twice", strings.Repeat("😀", 3000), 4096, 9},
		{"lines", strings.Repeat("line\n", 2000), 1000, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := splitText(tc.text, tc.limit, tc.first)
			for i, p := range parts {
				room := tc.limit
				if i == 0 {
					room -= tc.first
				}
				if units(p) > room || p == "" {
					t.Fatalf("part %d has %d units (room %d)", i, units(p), room)
				}
			}
			strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if strip(strings.Join(parts, "")) != strip(tc.text) {
				t.Error("text lost or changed")
			}
		})
	}
}

func TestTheAuthorLineCannotCarryFormattingOrInvisibleCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"Alice":                  "*Alice*\n",
		"*Evil* _name_":          "*Evil name*\n",
		"Bob\u202Eevil\u200B":    "*Bobevil*\n",
		"  ":                     "",
		"~~~":                    "",
		strings.Repeat("n", 100): "*" + strings.Repeat("n", 63) + "…*\n",
	} {
		if got := header(in); got != want {
			t.Errorf("header(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDoubledMarkersBecomeWhatsAppsSingleOnes(t *testing.T) {
	for in, want := range map[string]string{
		"**bold** and ~~gone~~":       "*bold* and ~gone~",
		"2**3**4 stays":               "2**3**4 stays",
		"a ** b ** c":                 "a ** b ** c",
		"*already* _fine_ ```code```": "*already* _fine_ ```code```",
		"**open\nclose**":             "**open\nclose**",
	} {
		if got := staffText(in); got != want {
			t.Errorf("staffText(%q) = %q, want %q", in, got, want)
		}
	}
}

package commands_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store/storetest"
)

func TestWhatsAppTemplateCommandReadsNameLanguageAndParameters(t *testing.T) {
	st := storetest.Open(t)
	eng := engine.New(engine.Options{Store: st, Surfaces: []bridge.Platform{"console"}})
	table, err := commands.All()
	if err != nil {
		t.Fatal(err)
	}
	h := commands.NewHandler(eng, table, commands.DefaultSyntax(), nil)
	ctx := context.Background()
	wa, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "whatsapp", Address: "106540352242922:4915112345678", Name: "Maria", Text: "hallo"})
	web, _ := eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "v1", Name: "Anna", Text: "hello"})
	for _, tc := range []struct {
		conv     bridge.ConversationID
		text     string
		wantErr  string
		wantTpl  string // name|language|params
		wantBody string
	}{
		{conv: wa.Conversation, text: `!wa-template order_update de 4711 "next Friday"`, wantTpl: "order_update|de|4711,next Friday",
			wantBody: "[WhatsApp template order_update (de): “4711”, “next Friday”]"},
		{conv: wa.Conversation, text: "!wat Hello_World", wantTpl: "hello_world||", wantBody: "[WhatsApp template hello_world]"},
		{conv: wa.Conversation, text: "!wa-template shipping pt_BR", wantTpl: "shipping|pt_BR|"},
		{conv: wa.Conversation, text: "!wa-template 12345 99", wantTpl: "12345||99"},
		{conv: wa.Conversation, text: "!wa-template", wantErr: "Usage: !wa-template <name> [language] [parameters...]"},
		{conv: wa.Conversation, text: "!wa-template order-update", wantErr: "is not a WhatsApp template name"},
		{conv: web.Conversation, text: "!wa-template hello_world", wantErr: "is a webchat conversation: WhatsApp templates only go to WhatsApp customers"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			before := customerSends(t, st, tc.conv)
			fb, err := h.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: "console", Conversation: tc.conv, Actor: alice, Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if !fb.Error || !strings.Contains(fb.Text, tc.wantErr) || customerSends(t, st, tc.conv) != before {
					t.Errorf("feedback %+v, want a refusal saying %q and nothing sent", fb, tc.wantErr)
				}
				return
			}
			if fb.Error || !strings.Contains(fb.Text, "Sending the WhatsApp template") {
				t.Fatalf("feedback %+v", fb)
			}
			rows, _ := st.OutboxRows(ctx, tc.conv)
			last := rows[len(rows)-1]
			for _, r := range rows {
				if r.Kind == bridge.KindCustomerSend {
					last = r
				}
			}
			var p bridge.CustomerSendPayload
			json.Unmarshal([]byte(last.Payload), &p)
			if p.Template == nil {
				t.Fatalf("payload %q", last.Payload)
			}
			if got := p.Template.Name + "|" + p.Template.Language + "|" + strings.Join(p.Template.Params, ","); got != tc.wantTpl {
				t.Errorf("template %s, want %s", got, tc.wantTpl)
			}
			if m, _ := st.Message(ctx, last.Message); tc.wantBody != "" && m.Body != tc.wantBody {
				t.Errorf("stored %q, want %q", m.Body, tc.wantBody)
			}
		})
	}
}

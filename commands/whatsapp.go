package commands

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// whatsAppChannel is the WhatsApp channel's name (adapters/whatsapp; the
// commands do not import adapters).
const whatsAppChannel bridge.Platform = "whatsapp"

var (
	// Meta's template names: lower-case letters, digits and underscores.
	waTemplateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	// A language or locale code as Meta writes them: en, fil, en_US, pt_BR.
	waLanguage = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2,4})?$`)
)

// runWhatsAppTemplate sends one of the WhatsApp Business account's
// approved message templates: the only kind of message WhatsApp delivers
// more than 24 hours after the customer last wrote. The second argument
// is the template's language when it looks like one (en, en_US); the rest
// fill the template's body parameters {{1}}, {{2}}, ... in order.
func runWhatsAppTemplate(ctx context.Context, in *Invocation) (string, error) {
	c, err := in.Engine.Store().Conversation(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	if c.Channel != whatsAppChannel {
		return "", bridge.Reject("%s is a %s conversation: WhatsApp templates only go to WhatsApp customers. Write a normal reply instead.", c.ID, c.Channel)
	}
	name := strings.ToLower(in.Args[0])
	if !waTemplateName.MatchString(name) {
		return "", bridge.Reject("%q is not a WhatsApp template name (lower-case letters, digits and _, as in WhatsApp Manager → Message templates)", in.Args[0])
	}
	t := bridge.TemplateMessage{Name: name}
	params := in.Args[1:]
	if len(params) > 0 && waLanguage.MatchString(params[0]) {
		t.Language, params = params[0], params[1:]
	}
	if len(params) > 0 {
		t.Params = params
	}
	_, warning, err := in.Engine.ReplyTemplate(ctx, in.Staff(), t, TemplateText(t))
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("Sending the WhatsApp template %s to the customer.", name)
	if warning != "" {
		msg += " " + warning
	}
	return msg, nil
}

// TemplateText is how a template message reads in the thread and in the
// history: its name, language and parameters.
func TemplateText(t bridge.TemplateMessage) string {
	var b strings.Builder
	b.WriteString("[WhatsApp template " + t.Name)
	if t.Language != "" {
		b.WriteString(" (" + t.Language + ")")
	}
	for i, p := range t.Params {
		if i == 0 {
			b.WriteString(":")
		} else {
			b.WriteString(",")
		}
		b.WriteString(" “" + p + "”")
	}
	b.WriteString("]")
	return b.String()
}

package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The messages webhook as Meta documents it ("messages webhook reference"):
// one notification carries entries, each with changes; a change of field
// "messages" holds the business number it is about (metadata), the
// customers' profiles (contacts), and either customer messages, statuses
// of messages the business sent, or errors.

type notification struct {
	Object string  `json:"object"` // "whatsapp_business_account"
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID      string   `json:"id"` // the WhatsApp Business Account id
	Changes []change `json:"changes"`
}

type change struct {
	Field string `json:"field"` // "messages"
	Value value  `json:"value"`
}

type value struct {
	MessagingProduct string       `json:"messaging_product"`
	Metadata         metadata     `json:"metadata"`
	Contacts         []contact    `json:"contacts"`
	Messages         []message    `json:"messages"`
	Statuses         []status     `json:"statuses"`
	Errors           []whatsError `json:"errors"`
}

type metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type contact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type message struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"` // Unix seconds, as a string
	Type      string `json:"type"`
	Context   *struct {
		From string `json:"from"`
		ID   string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image       *media       `json:"image"`
	Video       *media       `json:"video"`
	Audio       *media       `json:"audio"`
	Document    *media       `json:"document"`
	Sticker     *media       `json:"sticker"`
	Location    *location    `json:"location"`
	Contacts    []sharedCard `json:"contacts"`
	Interactive *interactive `json:"interactive"`
	Button      *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	System *struct {
		Body    string `json:"body"`
		Type    string `json:"type"`
		NewWaID string `json:"wa_id"`
	} `json:"system"`
	Errors []whatsError `json:"errors"`
}

type media struct {
	ID       string `json:"id"`
	MIMEType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	Voice    bool   `json:"voice"`
	Animated bool   `json:"animated"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
	URL       string  `json:"url"`
}

// sharedCard is a contact card the customer shared.
type sharedCard struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
	Phones []struct {
		Phone string `json:"phone"`
		WaID  string `json:"wa_id"`
		Type  string `json:"type"`
	} `json:"phones"`
	Emails []struct {
		Email string `json:"email"`
	} `json:"emails"`
	Org struct {
		Company string `json:"company"`
	} `json:"org"`
}

type interactive struct {
	Type        string `json:"type"` // button_reply, list_reply, nfm_reply
	ButtonReply *struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"button_reply"`
	ListReply *struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"list_reply"`
}

type status struct {
	ID          string       `json:"id"` // the wamid of the message the business sent
	Status      string       `json:"status"`
	Timestamp   string       `json:"timestamp"`
	RecipientID string       `json:"recipient_id"`
	Errors      []whatsError `json:"errors"`
}

type whatsError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// Limits of one notification, far above what Meta sends (it batches up to
// a few hundred updates): a body that exceeds them is refused whole.
const (
	maxItems = 1000
)

var errMalformed = errors.New("malformed webhook")

// parseNotification decodes a webhook body. Anything that is not a
// WhatsApp Business Account notification of the documented shape is
// errMalformed; counts are bounded.
func parseNotification(raw []byte) (notification, error) {
	var n notification
	if err := json.Unmarshal(raw, &n); err != nil {
		return notification{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if n.Object != "whatsapp_business_account" {
		return notification{}, fmt.Errorf("%w: object %q is not whatsapp_business_account", errMalformed, n.Object)
	}
	items := 0
	for _, e := range n.Entry {
		for _, c := range e.Changes {
			items += 1 + len(c.Value.Messages) + len(c.Value.Statuses) + len(c.Value.Contacts) + len(c.Value.Errors)
		}
	}
	if items > maxItems {
		return notification{}, fmt.Errorf("%w: %d items in one notification", errMalformed, items)
	}
	return n, nil
}

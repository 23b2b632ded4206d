package fakewhatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Checker is the contract check of the Cloud API calls a customer channel
// makes, written from Meta's reference pages (docs/whatsapp.md, "Facts the
// fake relies on"): the messages endpoint's request body per message type,
// the media upload's form, the bearer token. Meta publishes an OpenAPI
// description too (facebook/openapi, business-messaging-api_v23.0.yaml);
// these checks agree with it for the fields used here.
type Checker struct{}

var (
	numericID = regexp.MustCompile(`^[0-9]{1,30}$`)
	recipient = regexp.MustCompile(`^\+?[0-9]{5,20}$`)
)

// messageTypes are the documented values of "type" and the object each
// one needs.
var messageTypes = map[string]bool{
	"audio": true, "contacts": true, "document": true, "image": true, "interactive": true, "location": true,
	"reaction": true, "sticker": true, "template": true, "text": true, "video": true,
}

var topLevel = map[string]bool{
	"messaging_product": true, "recipient_type": true, "to": true, "type": true, "context": true,
	"biz_opaque_callback_data": true,
}

// Check implements contract.Checker.
func (Checker) Check(r *http.Request, body []byte) []string {
	rest := strings.TrimPrefix(r.URL.Path, "/"+Version+"/")
	id, sub, _ := strings.Cut(rest, "/")
	route := r.Method + " /{id}"
	if sub != "" {
		route += "/" + sub
	}
	var out []string
	add := func(format string, args ...any) { out = append(out, route+": "+fmt.Sprintf(format, args...)) }
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		add("no Authorization: Bearer <access token> header")
	}
	if !numericID.MatchString(id) {
		add("%q is not a Graph API object id", id)
	}
	switch {
	case r.Method == http.MethodPost && sub == "messages":
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
			add("Content-Type %q, want application/json", ct)
		}
		for _, p := range checkMessage(body) {
			add("%s", p)
		}
	case r.Method == http.MethodPost && sub == "media":
		for _, p := range checkUpload(r, body) {
			add("%s", p)
		}
	case r.Method == http.MethodGet && sub == "":
	default:
		add("not an endpoint of the Cloud API a customer channel uses")
	}
	return out
}

func checkMessage(body []byte) []string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return []string{"the body is not a JSON object: " + err.Error()}
	}
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	var s string
	if str(m, "messaging_product", &s) != nil || s != "whatsapp" {
		add(`messaging_product is required and must be "whatsapp"`)
	}
	if v, ok := m["recipient_type"]; ok {
		if json.Unmarshal(v, &s) != nil || (s != "individual" && s != "group") {
			add(`recipient_type must be "individual" or "group"`)
		}
	}
	if str(m, "to", &s) != nil || !recipient.MatchString(s) {
		add("to is required: the customer's phone number or WhatsApp id")
	}
	typ := "text"
	if v, ok := m["type"]; ok {
		if json.Unmarshal(v, &typ) != nil || !messageTypes[typ] {
			add("type %s is not a message type", v)
			return out
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !topLevel[k] && k != typ {
			add("unexpected field %q for a %s message", k, typ)
		}
	}
	obj, ok := m[typ]
	if !ok {
		add("a %s message needs its %q object", typ, typ)
		return out
	}
	switch typ {
	case "text":
		out = append(out, checkText(obj)...)
	case "image", "video", "audio", "document", "sticker":
		out = append(out, checkMedia(typ, obj)...)
	case "template":
		out = append(out, checkTemplate(obj)...)
	}
	return out
}

func checkText(raw json.RawMessage) []string {
	var t map[string]json.RawMessage
	if json.Unmarshal(raw, &t) != nil {
		return []string{"text must be an object"}
	}
	var out []string
	var body string
	if str(t, "body", &body) != nil || body == "" {
		out = append(out, "text.body is required")
	} else if n := utf8.RuneCountInString(body); n > 4096 {
		out = append(out, fmt.Sprintf("text.body has %d characters, more than 4096", n))
	}
	for k, v := range t {
		switch k {
		case "body":
		case "preview_url":
			var b bool
			if json.Unmarshal(v, &b) != nil {
				out = append(out, "text.preview_url must be a boolean")
			}
		default:
			out = append(out, fmt.Sprintf("unexpected field text.%s", k))
		}
	}
	return out
}

func checkMedia(typ string, raw json.RawMessage) []string {
	var o map[string]json.RawMessage
	if json.Unmarshal(raw, &o) != nil {
		return []string{typ + " must be an object"}
	}
	var out []string
	_, hasID := o["id"]
	_, hasLink := o["link"]
	if hasID == hasLink {
		out = append(out, typ+" needs exactly one of id (an uploaded media id) and link")
	}
	for k, v := range o {
		switch k {
		case "id", "link":
			var s string
			if json.Unmarshal(v, &s) != nil || s == "" {
				out = append(out, fmt.Sprintf("%s.%s must be a non-empty string", typ, k))
			}
		case "caption":
			var s string
			switch {
			case typ == "audio" || typ == "sticker":
				out = append(out, typ+" messages take no caption")
			case json.Unmarshal(v, &s) != nil:
				out = append(out, typ+".caption must be a string")
			case utf8.RuneCountInString(s) > 1024:
				out = append(out, fmt.Sprintf("%s.caption has %d characters, more than 1024", typ, utf8.RuneCountInString(s)))
			}
		case "filename":
			if typ != "document" {
				out = append(out, "only documents take a filename")
			}
		default:
			out = append(out, fmt.Sprintf("unexpected field %s.%s", typ, k))
		}
	}
	return out
}

func checkTemplate(raw json.RawMessage) []string {
	var t struct {
		Name     *string `json:"name"`
		Language *struct {
			Code   string `json:"code"`
			Policy string `json:"policy"`
		} `json:"language"`
		Components []struct {
			Type       string            `json:"type"`
			SubType    string            `json:"sub_type"`
			Parameters []json.RawMessage `json:"parameters"`
		} `json:"components"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return []string{"template: " + err.Error()}
	}
	var out []string
	if t.Name == nil || *t.Name == "" || len(*t.Name) > 512 {
		out = append(out, "template.name is required (at most 512 characters)")
	}
	if t.Language == nil || t.Language.Code == "" {
		out = append(out, "template.language.code is required")
	} else if t.Language.Policy != "" && t.Language.Policy != "deterministic" {
		out = append(out, `template.language.policy must be "deterministic"`)
	}
	for i, c := range t.Components {
		switch c.Type {
		case "header", "body", "button":
		default:
			out = append(out, fmt.Sprintf("template.components[%d].type %q is not header, body or button", i, c.Type))
		}
		for j, p := range c.Parameters {
			var param struct {
				Type string  `json:"type"`
				Text *string `json:"text"`
			}
			if json.Unmarshal(p, &param) != nil {
				out = append(out, fmt.Sprintf("template.components[%d].parameters[%d] must be an object", i, j))
				continue
			}
			switch param.Type {
			case "text":
				if param.Text == nil {
					out = append(out, fmt.Sprintf("template.components[%d].parameters[%d]: a text parameter needs text", i, j))
				}
			case "currency", "date_time", "image", "document", "video", "payload", "location":
			default:
				out = append(out, fmt.Sprintf("template.components[%d].parameters[%d].type %q is not a parameter type", i, j, param.Type))
			}
		}
	}
	return out
}

func checkUpload(r *http.Request, body []byte) []string {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return []string{"the body must be multipart/form-data"}
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	fields := map[string]string{}
	file := false
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if p.FileName() != "" {
			file = p.FormName() == "file"
			continue
		}
		var b bytes.Buffer
		b.ReadFrom(p)
		fields[p.FormName()] = b.String()
	}
	var out []string
	if fields["messaging_product"] != "whatsapp" {
		out = append(out, `messaging_product is required and must be "whatsapp"`)
	}
	if t := fields["type"]; t == "" || !strings.Contains(t, "/") {
		out = append(out, "type is required: the file's MIME type")
	}
	if !file {
		out = append(out, "file is required (a file part named file)")
	}
	return out
}

func str(m map[string]json.RawMessage, key string, dst *string) error {
	v, ok := m[key]
	if !ok {
		return fmt.Errorf("missing %s", key)
	}
	return json.Unmarshal(v, dst)
}

package contract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Slack checks requests against Slack's OpenAPI 2 description of the Web
// API (slack/web-api.openapi.json, 2021) and, for what Slack added since,
// the methods and parameters in SlackNewer: the method exists; every
// parameter (query, form, multipart or JSON body) is known and has its
// type (string, integer, number, boolean; a JSON-encoded one such as
// blocks or attachments must be that JSON); required ones are there, the
// token either as a parameter or as a Bearer Authorization header; a JSON
// body goes only to a method that takes one.
type Slack struct {
	file string

	once    sync.Once
	methods map[string]*SlackMethod
	err     error
}

// NewSlack returns a checker reading slack/web-api.openapi.json under dir
// when it first checks a request.
func NewSlack(dir string) *Slack {
	return &Slack{file: filepath.Join(dir, "slack", "web-api.openapi.json")}
}

// SlackMethod is a Web API method as the checker knows it.
type SlackMethod struct {
	// Page is the method's documentation page the parameters were read from.
	Page string
	// Params are the method's arguments besides token.
	Params map[string]SlackParam
	// JSONBody: the method also takes an application/json body.
	JSONBody bool
	// HeaderToken: the token must travel in the Authorization header;
	// Slack refuses it as a parameter.
	HeaderToken bool
	// PostOnly: Slack refuses the method over GET.
	PostOnly bool
}

// SlackParam is one argument of a method.
type SlackParam struct {
	Type     string // string, integer, number or boolean
	Required bool
	JSON     string // "array", "object", "blocks" or "any" for a JSON-encoded argument
}

type slackDoc struct {
	Paths map[string]map[string]struct {
		Consumes     []string `json:"consumes"`
		ExternalDocs struct {
			URL string `json:"url"`
		} `json:"externalDocs"`
		Parameters []struct {
			Name        string `json:"name"`
			In          string `json:"in"`
			Type        string `json:"type"`
			Required    bool   `json:"required"`
			Description string `json:"description"`
		} `json:"parameters"`
	} `json:"paths"`
}

func (s *Slack) load() (map[string]*SlackMethod, error) {
	s.once.Do(func() {
		data, err := os.ReadFile(s.file)
		if err != nil {
			s.err = err
			return
		}
		var doc slackDoc
		if err := json.Unmarshal(data, &doc); err != nil {
			s.err = fmt.Errorf("%s: %w", s.file, err)
			return
		}
		methods := make(map[string]*SlackMethod, len(doc.Paths))
		for path, ops := range doc.Paths {
			m := &SlackMethod{Params: map[string]SlackParam{}}
			for _, op := range ops {
				m.Page = op.ExternalDocs.URL
				for _, c := range op.Consumes {
					m.JSONBody = m.JSONBody || c == "application/json"
				}
				for _, p := range op.Parameters {
					if p.Name == "token" {
						continue // checked on its own: header or parameter
					}
					kind := slackJSONKind(p.Description)
					if kind != "" && p.Name == "blocks" {
						kind = "blocks"
					}
					m.Params[p.Name] = SlackParam{Type: p.Type, Required: p.Required, JSON: kind}
				}
			}
			methods[strings.TrimPrefix(path, "/")] = m
		}
		newer := SlackNewer()
		for name, m := range newer.Methods {
			if _, ok := methods[name]; !ok {
				methods[name] = &m
			}
		}
		for name, params := range newer.Params {
			if m, ok := methods[name]; ok {
				for p, def := range params {
					m.Params[p] = def
				}
			}
		}
		s.methods = methods
	})
	return s.methods, s.err
}

// slackJSONKind reads from a parameter's description whether it is
// JSON-encoded ("A JSON-based array of structured blocks, presented as a
// URL-encoded string") and what the JSON holds.
func slackJSONKind(desc string) string {
	if !strings.Contains(desc, "JSON") {
		return ""
	}
	switch d := strings.ToLower(desc); {
	case strings.Contains(d, "json-based array"), strings.Contains(d, "json array"):
		return "array"
	case strings.Contains(d, "json-based object"), strings.Contains(d, "json hash"), strings.Contains(d, "json map"),
		strings.Contains(d, "json key-value map"):
		return "object"
	}
	return "any"
}

// Check implements Checker.
func (s *Slack) Check(r *http.Request, body []byte) []string {
	methods, err := s.load()
	if err != nil {
		return []string{"slack: cannot read the description: " + err.Error()}
	}
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	m, ok := methods[name]
	if !ok {
		return []string{fmt.Sprintf("slack %s: no such method in the description (nor in SlackNewer)", name)}
	}
	c := slackCall{label: "slack " + name, m: m}
	if m.PostOnly && r.Method != http.MethodPost {
		c.add("the method must be called with POST, not %s", r.Method)
	}
	vals := queryArgs(r)
	for _, p := range readArgs(r, body, c.m.JSONBody, "the Web API", vals) {
		c.add("%s", p)
	}
	bearer := strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
	_, tokenParam := vals["token"]
	switch {
	case m.HeaderToken && tokenParam:
		c.add("the token must be sent in the Authorization header, not as a parameter")
	case m.HeaderToken && !bearer:
		c.add("no Bearer token in the Authorization header")
	case !bearer && !tokenParam:
		c.add("no token (neither a token parameter nor a Bearer Authorization header)")
	}
	delete(vals, "token")
	for _, k := range sortedKeys(vals) {
		p, ok := m.Params[k]
		if !ok {
			c.add("unknown parameter %q", k)
			continue
		}
		if err := p.check(vals[k]); err != nil {
			c.add("parameter %q: %v", k, err)
		}
	}
	for _, k := range sortedKeys(m.Params) {
		if v, ok := vals[k]; m.Params[k].Required && (!ok || v.empty()) {
			c.add("required parameter %q is missing", k)
		}
	}
	return c.problems
}

type slackCall struct {
	label    string
	m        *SlackMethod
	problems []string
}

func (c *slackCall) add(format string, args ...any) {
	c.problems = append(c.problems, c.label+": "+fmt.Sprintf(format, args...))
}

// check tells whether v has the parameter's type.
func (p SlackParam) check(v arg) error {
	if v.isFile {
		if p.Type != "string" || p.JSON != "" {
			return fmt.Errorf("a file was sent, want %s", p.describe())
		}
		return nil
	}
	if p.JSON != "" {
		var x any
		if v.isJSON && v.json != nil {
			if t, ok := v.json.(string); ok {
				v = arg{text: t} // JSON-encoded inside the JSON body, as in a form
			} else {
				x = v.json
			}
		}
		if x == nil {
			var err error
			if x, err = decodeJSON([]byte(v.text)); err != nil {
				return fmt.Errorf("not JSON (%v)", err)
			}
		}
		return slackJSONShape(x, p.JSON)
	}
	if v.isJSON {
		switch x := v.json.(type) {
		case string:
			v = arg{text: x}
		case json.Number:
			if p.Type == "integer" || p.Type == "number" || p.Type == "string" {
				v = arg{text: x.String()}
			} else {
				return fmt.Errorf("%s is a number, want %s", x, p.describe())
			}
		case bool:
			if p.Type != "boolean" {
				return fmt.Errorf("%v is a boolean, want %s", x, p.describe())
			}
			return nil
		default:
			return fmt.Errorf("%s is %s, want %s", short(x), jsonType(x), p.describe())
		}
	}
	switch p.Type {
	case "integer":
		if _, err := strconv.ParseInt(v.text, 10, 64); err != nil {
			return fmt.Errorf("%q is not an integer", v.text)
		}
	case "number":
		if _, err := strconv.ParseFloat(v.text, 64); err != nil {
			return fmt.Errorf("%q is not a number", v.text)
		}
	case "boolean":
		switch strings.ToLower(v.text) {
		case "true", "false", "1", "0":
		default:
			return fmt.Errorf("%q is not a boolean (true, false, 1 or 0)", v.text)
		}
	}
	return nil
}

func (p SlackParam) describe() string {
	if p.JSON != "" {
		return "JSON (" + p.JSON + ")"
	}
	return p.Type
}

// slackJSONShape checks a JSON-encoded argument's shape; blocks are an
// array of objects each with a type, as Block Kit requires.
func slackJSONShape(x any, kind string) error {
	switch kind {
	case "array":
		arr, ok := x.([]any)
		if !ok {
			return fmt.Errorf("%s is %s, want a JSON array", short(x), jsonType(x))
		}
		for i, e := range arr {
			if _, ok := e.(map[string]any); !ok {
				return fmt.Errorf("item %d is %s, want an object", i, jsonType(e))
			}
		}
	case "object":
		if _, ok := x.(map[string]any); !ok {
			return fmt.Errorf("%s is %s, want a JSON object", short(x), jsonType(x))
		}
	case "blocks":
		arr, ok := x.([]any)
		if !ok {
			return fmt.Errorf("%s is %s, want a JSON array of blocks", short(x), jsonType(x))
		}
		for i, e := range arr {
			b, ok := e.(map[string]any)
			if !ok {
				return fmt.Errorf("block %d is %s, want an object", i, jsonType(e))
			}
			if t, ok := b["type"].(string); !ok || t == "" {
				return fmt.Errorf("block %d has no type", i)
			}
		}
	}
	return nil
}

package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Discord checks requests against Discord's OpenAPI 3.1 description of the
// HTTP API (discord/openapi.json, API v10; v9, which the adapter's library
// uses, has the same routes): the route and method exist, path and query
// parameters are known and match their schemas, required ones are there,
// and a JSON body (or a multipart body's payload_json, form fields and
// files[n] parts) validates against the route's request schema, strictly:
// a member the schema does not name is reported too.
type Discord struct {
	file string

	once sync.Once
	doc  *discordDoc
	err  error

	mu      sync.Mutex
	schemas map[string]*schema // components resolved so far
}

// NewDiscord returns a checker reading discord/openapi.json under dir when
// it first checks a request.
func NewDiscord(dir string) *Discord {
	return &Discord{file: filepath.Join(dir, "discord", "openapi.json"), schemas: map[string]*schema{}}
}

type discordDoc struct {
	Paths      map[string]*discordPathItem `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`

	routes []*discordRoute
}

type discordPathItem struct {
	Parameters []discordParam `json:"parameters"`
	Get        *discordOp     `json:"get"`
	Put        *discordOp     `json:"put"`
	Post       *discordOp     `json:"post"`
	Patch      *discordOp     `json:"patch"`
	Delete     *discordOp     `json:"delete"`
}

type discordOp struct {
	OperationID string         `json:"operationId"`
	Parameters  []discordParam `json:"parameters"`
	RequestBody *struct {
		Required bool `json:"required"`
		Content  map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

type discordParam struct {
	Name     string  `json:"name"`
	In       string  `json:"in"`
	Required bool    `json:"required"`
	Schema   *schema `json:"schema"`
}

type discordRoute struct {
	template string
	segs     []string // a literal, or "{name}"
	literals int
	item     *discordPathItem
}

func (it *discordPathItem) op(method string) *discordOp {
	switch method {
	case http.MethodGet:
		return it.Get
	case http.MethodPut:
		return it.Put
	case http.MethodPost:
		return it.Post
	case http.MethodPatch:
		return it.Patch
	case http.MethodDelete:
		return it.Delete
	}
	return nil
}

func (it *discordPathItem) methods() []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		if it.op(m) != nil {
			out = append(out, m)
		}
	}
	return out
}

func (d *Discord) load() (*discordDoc, error) {
	d.once.Do(func() {
		data, err := os.ReadFile(d.file)
		if err != nil {
			d.err = err
			return
		}
		doc := new(discordDoc)
		if err := json.Unmarshal(data, doc); err != nil {
			d.err = fmt.Errorf("%s: %w", d.file, err)
			return
		}
		for tmpl, item := range doc.Paths {
			r := &discordRoute{template: tmpl, segs: strings.Split(strings.Trim(tmpl, "/"), "/"), item: item}
			for _, s := range r.segs {
				if !strings.HasPrefix(s, "{") {
					r.literals++
				}
			}
			doc.routes = append(doc.routes, r)
			for _, p := range item.Parameters {
				p.Schema.prepare()
			}
			for _, m := range item.methods() {
				op := item.op(m)
				for _, p := range op.Parameters {
					p.Schema.prepare()
				}
				if op.RequestBody != nil {
					for _, c := range op.RequestBody.Content {
						c.Schema.prepare()
					}
				}
			}
		}
		d.doc = doc
	})
	return d.doc, d.err
}

// resolve finds a components schema ("#/components/schemas/Name").
func (d *Discord) resolve(ref string) (*schema, error) {
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[name]; ok {
		return s, nil
	}
	raw, ok := d.doc.Components.Schemas[name]
	if !ok {
		return nil, fmt.Errorf("$ref %q names no schema", ref)
	}
	s := new(schema)
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, fmt.Errorf("$ref %q: %w", ref, err)
	}
	s.prepare()
	d.schemas[name] = s
	return s, nil
}

var (
	discordVersion  = regexp.MustCompile(`^/api/v[0-9]+`)
	discordFilePart = regexp.MustCompile(`^files\[[0-9]+\]$`)
	jsonNumber      = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// Check implements Checker.
func (d *Discord) Check(r *http.Request, body []byte) []string {
	doc, err := d.load()
	if err != nil {
		return []string{"discord: cannot read the description: " + err.Error()}
	}
	raw := discordVersion.ReplaceAllString(r.URL.EscapedPath(), "")
	segs := strings.Split(strings.Trim(raw, "/"), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	route := d.match(doc, segs)
	if route == nil {
		return []string{fmt.Sprintf("discord %s %s: no such route in the description", r.Method, raw)}
	}
	op := route.item.op(r.Method)
	if op == nil {
		return []string{fmt.Sprintf("discord %s %s: the route takes %s, not %s", r.Method, route.template,
			strings.Join(route.item.methods(), ", "), r.Method)}
	}
	ignore := map[string]bool{}
	for _, m := range DiscordIgnored()[op.OperationID] {
		ignore["body."+m], ignore["payload_json."+m] = true, true
	}
	c := discordCall{v: validator{resolve: d.resolve, strict: true, ignore: ignore},
		label: fmt.Sprintf("discord %s (%s %s)", op.OperationID, r.Method, route.template)}
	params := append(slices.Clone(route.item.Parameters), op.Parameters...)
	for i, s := range route.segs {
		if name, ok := strings.CutPrefix(s, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			c.param(params, "path", name, segs[i])
		}
	}
	query := r.URL.Query()
	for _, name := range sortedKeys(query) {
		c.param(params, "query", name, query.Get(name))
	}
	for _, p := range params {
		if p.In == "query" && p.Required && !query.Has(p.Name) {
			c.add("required query parameter %q is missing", p.Name)
		}
	}
	c.body(op, r.Header.Get("Content-Type"), body)
	return c.problems
}

// match finds the route a path takes: literal segments must be equal, a
// {param} takes any one segment; of several, the most literal wins
// (/users/@me over /users/{user_id}).
func (d *Discord) match(doc *discordDoc, segs []string) *discordRoute {
	var best *discordRoute
	for _, r := range doc.routes {
		if len(r.segs) != len(segs) {
			continue
		}
		ok := true
		for i, s := range r.segs {
			if strings.HasPrefix(s, "{") {
				ok = segs[i] != ""
			} else {
				ok = s == segs[i]
			}
			if !ok {
				break
			}
		}
		if ok && (best == nil || r.literals > best.literals) {
			best = r
		}
	}
	return best
}

type discordCall struct {
	v        validator
	label    string
	problems []string
}

func (c *discordCall) add(format string, args ...any) {
	c.problems = append(c.problems, c.label+": "+fmt.Sprintf(format, args...))
}

func (c *discordCall) addAll(errs []string) {
	for _, e := range errs {
		c.add("%s", e)
	}
}

func (c *discordCall) param(params []discordParam, in, name, value string) {
	for _, p := range params {
		if p.In == in && p.Name == name {
			c.addAll(c.v.validateText(value, p.Schema, in+" "+name))
			return
		}
	}
	c.add("unknown %s parameter %q", in, name)
}

func (c *discordCall) body(op *discordOp, contentType string, body []byte) {
	empty := len(bytes.TrimSpace(body)) == 0
	if op.RequestBody == nil {
		if !empty {
			c.add("the route takes no body, got %d bytes", len(body))
		}
		return
	}
	if empty {
		if op.RequestBody.Required {
			c.add("the route requires a body, got none")
		}
		return
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		c.add("body with no usable Content-Type (%q)", contentType)
		return
	}
	content, ok := op.RequestBody.Content[mt]
	if !ok {
		c.add("Content-Type %s is not accepted (want one of %s)", mt, strings.Join(sortedKeys(op.RequestBody.Content), ", "))
		return
	}
	switch mt {
	case "application/json":
		c.json(body, content.Schema, "body")
	case "multipart/form-data":
		c.multipart(op, body, params["boundary"], content.Schema)
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			c.add("form body does not parse: %v", err)
			return
		}
		for _, name := range sortedKeys(form) {
			c.field(content.Schema, name, form.Get(name))
		}
	}
}

func (c *discordCall) json(body []byte, s *schema, at string) {
	val, err := decodeJSON(body)
	if err != nil {
		c.add("%s is not JSON: %v", at, err)
		return
	}
	c.addAll(c.v.validate(val, s, at))
}

// multipart checks a multipart body as Discord reads it: payload_json
// holds the JSON body (checked against the route's JSON schema when it has
// one), other fields stand for JSON members, file parts must be named as
// the multipart schema names them (files[n]).
func (c *discordCall) multipart(op *discordOp, body []byte, boundary string, s *schema) {
	jsonSchema := s
	if j, ok := op.RequestBody.Content["application/json"]; ok {
		jsonSchema = j.Schema
	}
	known := map[string]bool{}
	c.v.ownProperties(s, known, 0)
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			c.add("multipart body does not parse: %v", err)
			return
		}
		data, err := io.ReadAll(part)
		if err != nil {
			c.add("multipart part %q does not read: %v", part.FormName(), err)
			return
		}
		switch name := part.FormName(); {
		case name == "payload_json":
			c.json(data, jsonSchema, "payload_json")
		case part.FileName() != "":
			// Discord takes files[n] on every route that takes multipart
			// (the description names them on some routes only).
			if !known[name] && !discordFilePart.MatchString(name) {
				c.add("file part %q is not one the route takes (files[n])", name)
			}
		default:
			c.field(s, name, string(data))
		}
	}
}

// field checks a form field standing for the JSON member name.
func (c *discordCall) field(s *schema, name, value string) {
	p := c.v.property(s, name, 0)
	if p == nil {
		c.add("unknown form field %q", name)
		return
	}
	c.addAll(c.v.validateText(value, p, "form "+name))
}

// validateText validates a value that travels as text (a path segment, a
// query parameter): it passes if the text, or the number, boolean or JSON
// it spells, passes.
func (v validator) validateText(text string, s *schema, at string) []string {
	var best []string
	for _, cand := range textCandidates(text) {
		errs := v.validate(cand, s, at)
		if len(errs) == 0 {
			return nil
		}
		if best == nil || len(errs) < len(best) {
			best = errs
		}
	}
	return best
}

// textCandidates are the values a text may stand for: what it spells
// (number, boolean, JSON) first, so that of two equally wrong readings the
// typed one's problem is reported, then the text itself.
func textCandidates(text string) []any {
	var out []any
	if isNumber(text) {
		out = append(out, json.Number(text))
	}
	switch text {
	case "true":
		out = append(out, true)
	case "false":
		out = append(out, false)
	}
	if strings.HasPrefix(text, "[") || strings.HasPrefix(text, "{") {
		if v, err := decodeJSON([]byte(text)); err == nil {
			out = append(out, v)
		}
	}
	return append(out, text)
}

func isNumber(s string) bool { return jsonNumber.MatchString(s) }

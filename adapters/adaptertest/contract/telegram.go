package contract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Telegram checks requests against the Bot API description
// (telegram/bot-api.json: every method and type with its fields, required
// flags and types, from the official Bot API page): the method exists
// (case-insensitively, as Telegram reads method names); every parameter is
// known and required ones are there; values have their types, whether
// sent as JSON (numbers, booleans, objects) or as text (query, form,
// multipart: Integer, Float, Boolean spelled out, objects and arrays
// JSON-serialized and checked member by member); an InputFile is an
// uploaded file part, and a file part nothing refers to is refused.
type Telegram struct {
	file string

	once sync.Once
	doc  *tgDoc
	err  error
}

// NewTelegram returns a checker reading telegram/bot-api.json under dir
// when it first checks a request.
func NewTelegram(dir string) *Telegram {
	return &Telegram{file: filepath.Join(dir, "telegram", "bot-api.json")}
}

type tgDoc struct {
	Version string               `json:"version"`
	Methods map[string]*tgObject `json:"methods"`
	Types   map[string]*tgObject `json:"types"`

	lower map[string]*tgObject // methods by lower-case name
}

type tgObject struct {
	Name     string     `json:"name"`
	Href     string     `json:"href"`
	Fields   []*tgField `json:"fields"`
	Subtypes []string   `json:"subtypes"`

	byName map[string]*tgField
}

type tgField struct {
	Name        string   `json:"name"`
	Types       []string `json:"types"`
	Required    bool     `json:"required"`
	Description string   `json:"description"`

	// constant is the value a kind's discriminator must have ("Scope
	// type, must be chat"): the description says it only in words.
	constant string
}

// tgDiscriminator reads the value a discriminating field must have from
// its description: every kind of a Bot API union says it this way.
var tgDiscriminator = regexp.MustCompile(`(?:must be|always) [“"]?([a-z_]+)[”"]?`)

func (t *Telegram) load() (*tgDoc, error) {
	t.once.Do(func() {
		data, err := os.ReadFile(t.file)
		if err != nil {
			t.err = err
			return
		}
		doc := new(tgDoc)
		if err := json.Unmarshal(data, doc); err != nil {
			t.err = fmt.Errorf("%s: %w", t.file, err)
			return
		}
		doc.lower = make(map[string]*tgObject, len(doc.Methods))
		for i, set := range []map[string]*tgObject{doc.Methods, doc.Types} {
			for name, o := range set {
				o.byName = make(map[string]*tgField, len(o.Fields))
				for _, f := range o.Fields {
					o.byName[f.Name] = f
					if m := tgDiscriminator.FindStringSubmatch(f.Description); m != nil && i == 1 &&
						(f.Name == "type" || f.Name == "source" || f.Name == "status") {
						f.constant = m[1]
					}
					f.Description = "" // not needed again
				}
				if i == 0 {
					doc.lower[strings.ToLower(name)] = o
				}
			}
		}
		t.doc = doc
	})
	return t.doc, t.err
}

// Check implements Checker.
func (t *Telegram) Check(r *http.Request, body []byte) []string {
	doc, err := t.load()
	if err != nil {
		return []string{"telegram: cannot read the description: " + err.Error()}
	}
	rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
	_, name, _ := strings.Cut(rest, "/")
	m := doc.Methods[name]
	if m == nil {
		m = doc.lower[strings.ToLower(name)]
	}
	if m == nil {
		return []string{fmt.Sprintf("telegram %s: no such method in the Bot API %s description", name, doc.Version)}
	}
	c := tgCall{doc: doc, label: "telegram " + m.Name}
	vals := queryArgs(r)
	for _, p := range readArgs(r, body, true, "the Bot API", vals) {
		c.add("%s", p)
	}
	attached := map[string]bool{}
	for _, v := range vals {
		collectAttach(v, attached)
	}
	for _, k := range sortedKeys(vals) {
		f := m.byName[k]
		switch {
		case f != nil:
			for _, e := range c.types(f.Types, vals[k], k) {
				c.add("%s", e)
			}
		case vals[k].isFile && attached[k]:
			// A file an attach://name elsewhere refers to.
		case vals[k].isFile:
			c.add("file part %q is neither a parameter nor referred to by attach://%s", k, k)
		default:
			c.add("unknown parameter %q", k)
		}
	}
	for _, f := range m.Fields {
		if _, ok := vals[f.Name]; f.Required && !ok {
			c.add("required parameter %q is missing", f.Name)
		}
	}
	return c.problems
}

type tgCall struct {
	doc      *tgDoc
	label    string
	problems []string
}

func (c *tgCall) add(format string, args ...any) {
	c.problems = append(c.problems, c.label+": "+fmt.Sprintf(format, args...))
}

// collectAttach notes the file parts an attach://name refers to.
func collectAttach(v arg, into map[string]bool) {
	var walk func(any)
	walk = func(x any) {
		switch y := x.(type) {
		case string:
			if name, ok := strings.CutPrefix(y, "attach://"); ok {
				into[name] = true
			}
		case []any:
			for _, e := range y {
				walk(e)
			}
		case map[string]any:
			for _, e := range y {
				walk(e)
			}
		}
	}
	if v.isJSON {
		walk(v.json)
		return
	}
	if x, err := decodeJSON([]byte(v.text)); err == nil {
		walk(x)
	}
	walk(v.text)
}

// types checks v against a field's types: it passes if any fits; else the
// closest type's problems are returned.
func (c *tgCall) types(types []string, v arg, at string) []string {
	var best []string
	for _, t := range types {
		errs := c.typ(t, v, at)
		if len(errs) == 0 {
			return nil
		}
		if best == nil || len(errs) < len(best) {
			best = errs
		}
	}
	if len(types) > 1 && len(best) > 0 {
		best[0] += " (allowed: " + strings.Join(types, " or ") + ")"
	}
	return best
}

func (c *tgCall) typ(t string, v arg, at string) []string {
	bad := func(want string) []string {
		switch {
		case v.isFile:
			return []string{fmt.Sprintf("%s: an uploaded file, want %s", at, want)}
		case v.isJSON:
			return []string{fmt.Sprintf("%s: %s is %s, want %s", at, short(v.json), jsonType(v.json), want)}
		}
		return []string{fmt.Sprintf("%s: %q is not %s", at, v.text, want)}
	}
	if t == "InputFile" {
		if v.isFile {
			return nil
		}
		if s, ok := v.stringValue(); ok && strings.HasPrefix(s, "attach://") {
			return nil
		}
		return bad("an uploaded file (InputFile)")
	}
	if v.isFile {
		return bad(t)
	}
	switch t {
	case "String":
		if v.isJSON {
			if _, ok := v.json.(string); !ok {
				return bad("a String")
			}
		}
		return nil
	case "Integer":
		if v.isJSON {
			if !hasType(v.json, "integer") {
				return bad("an Integer")
			}
		} else if _, err := strconv.ParseInt(v.text, 10, 64); err != nil {
			return bad("an Integer")
		}
		return nil
	case "Float":
		if v.isJSON {
			if !hasType(v.json, "number") {
				return bad("a Float")
			}
		} else if _, err := strconv.ParseFloat(v.text, 64); err != nil {
			return bad("a Float")
		}
		return nil
	case "Boolean":
		if v.isJSON {
			if _, ok := v.json.(bool); !ok {
				return bad("a Boolean")
			}
		} else {
			switch strings.ToLower(v.text) {
			case "true", "false", "1", "0":
			default:
				return bad("a Boolean (true or false)")
			}
		}
		return nil
	}
	// Arrays and objects: JSON in a JSON body, JSON-serialized text
	// otherwise (Telegram also reads a JSON-serialized string in a JSON body).
	x, ok := v.json, v.isJSON
	if s, isStr := x.(string); !ok || isStr {
		if isStr {
			v.text = s
		}
		dec, err := decodeJSON([]byte(v.text))
		if err != nil {
			return []string{fmt.Sprintf("%s: %q is not JSON-serialized %s", at, cut(v.text), t)}
		}
		x = dec
	}
	return c.jsonType(t, x, at)
}

func (v arg) stringValue() (string, bool) {
	if v.isJSON {
		s, ok := v.json.(string)
		return s, ok
	}
	return v.text, !v.isFile
}

// jsonType checks a JSON value (inside a serialized object or array)
// against a Bot API type.
func (c *tgCall) jsonType(t string, x any, at string) []string {
	if elem, ok := strings.CutPrefix(t, "Array of "); ok {
		arr, ok := x.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %s is %s, want %s", at, short(x), jsonType(x), t)}
		}
		var errs []string
		for i, e := range arr {
			errs = append(errs, c.jsonType(elem, e, fmt.Sprintf("%s[%d]", at, i))...)
		}
		return errs
	}
	switch t {
	case "String", "Integer", "Float", "Boolean", "InputFile":
		return c.typ(t, arg{json: x, isJSON: true}, at)
	}
	o := c.doc.Types[t]
	if o == nil {
		return []string{fmt.Sprintf("%s: the description has no type %s", at, t)}
	}
	if len(o.Subtypes) > 0 {
		if k := c.kindOf(o, x); k != "" {
			return c.jsonType(k, x, at)
		}
		var best []string
		for _, st := range o.Subtypes {
			errs := c.jsonType(st, x, at)
			if len(errs) == 0 {
				return nil
			}
			if best == nil || len(errs) < len(best) {
				best = errs
			}
		}
		return []string{fmt.Sprintf("%s: %s is none of %s's %d kinds; the closest fails with: %s",
			at, short(x), t, len(o.Subtypes), strings.Join(best, "; "))}
	}
	obj, ok := x.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %s is %s, want a %s object", at, short(x), jsonType(x), t)}
	}
	var errs []string
	for _, k := range sortedKeys(obj) {
		f := o.byName[k]
		if f == nil {
			if len(o.Fields) > 0 {
				errs = append(errs, fmt.Sprintf("%s: %s has no field %q", at, t, k))
			}
			continue
		}
		if f.constant != "" && obj[k] != f.constant {
			errs = append(errs, fmt.Sprintf("%s.%s: %s, a %s's must be %q", at, k, short(obj[k]), t, f.constant))
			continue
		}
		var best []string
		for _, ft := range f.Types {
			e := c.jsonType(ft, obj[k], at+"."+k)
			if len(e) == 0 {
				best = nil
				break
			}
			if best == nil || len(e) < len(best) {
				best = e
			}
		}
		errs = append(errs, best...)
	}
	for _, f := range o.Fields {
		if _, ok := obj[f.Name]; f.Required && !ok {
			errs = append(errs, fmt.Sprintf("%s: %s lacks its required field %q", at, t, f.Name))
		}
	}
	return errs
}

// kindOf finds the kind of union o whose discriminator x carries.
func (c *tgCall) kindOf(o *tgObject, x any) string {
	obj, ok := x.(map[string]any)
	if !ok {
		return ""
	}
	for _, st := range o.Subtypes {
		if k := c.doc.Types[st]; k != nil {
			for _, f := range k.Fields {
				if f.constant != "" && obj[f.Name] == f.constant {
					return st
				}
			}
		}
	}
	return ""
}

func cut(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

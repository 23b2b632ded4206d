package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// schema is the part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that
// the Discord description uses: type (a name or a list, "null" for
// nullable; OpenAPI 3.0's nullable too), properties, required, items,
// enum, const, oneOf/anyOf/allOf, $ref, additionalProperties, string,
// array, object and number bounds, pattern and the formats cheap to check.
// Annotations (title, description, contentEncoding) are ignored.
type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 typeList           `json:"type"`
	Nullable             bool               `json:"nullable"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	AdditionalProperties json.RawMessage    `json:"additionalProperties"`
	Items                *schema            `json:"items"`
	Enum                 []json.RawMessage  `json:"enum"`
	Const                json.RawMessage    `json:"const"`
	OneOf                []*schema          `json:"oneOf"`
	AnyOf                []*schema          `json:"anyOf"`
	AllOf                []*schema          `json:"allOf"`
	Format               string             `json:"format"`
	Pattern              string             `json:"pattern"`
	MinLength            *int               `json:"minLength"`
	MaxLength            *int               `json:"maxLength"`
	MinItems             *int               `json:"minItems"`
	MaxItems             *int               `json:"maxItems"`
	UniqueItems          bool               `json:"uniqueItems"`
	MinProperties        *int               `json:"minProperties"`
	MaxProperties        *int               `json:"maxProperties"`
	Minimum              *json.Number       `json:"minimum"`
	Maximum              *json.Number       `json:"maximum"`

	// Filled by prepare.
	pattern    *regexp.Regexp
	enum       []any
	constant   any
	hasConst   bool
	extra      *schema // additionalProperties as a schema
	noExtra    bool    // additionalProperties: false
	prepareErr error
}

// typeList is "type": a single name or a list of names.
type typeList []string

func (t *typeList) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return json.Unmarshal(b, (*[]string)(t))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*t = typeList{s}
	return nil
}

// prepare compiles what validation needs once: patterns, enum and const
// values, additionalProperties. It walks every subschema but not $refs.
func (s *schema) prepare() {
	if s == nil {
		return
	}
	if s.Pattern != "" {
		s.pattern, s.prepareErr = regexp.Compile(s.Pattern)
	}
	for _, raw := range s.Enum {
		v, err := decodeJSON(raw)
		if err != nil {
			s.prepareErr = err
		}
		s.enum = append(s.enum, v)
	}
	if len(s.Const) > 0 {
		s.constant, s.prepareErr = decodeJSON(s.Const)
		s.hasConst = true
	}
	if a := bytes.TrimSpace(s.AdditionalProperties); len(a) > 0 {
		switch string(a) {
		case "false":
			s.noExtra = true
		case "true":
		default:
			s.extra = new(schema)
			if err := json.Unmarshal(a, s.extra); err != nil {
				s.prepareErr = err
			}
		}
	}
	s.extra.prepare()
	s.Items.prepare()
	for _, p := range s.Properties {
		p.prepare()
	}
	for _, l := range [][]*schema{s.OneOf, s.AnyOf, s.AllOf} {
		for _, c := range l {
			c.prepare()
		}
	}
}

// decodeJSON decodes with numbers kept exact (snowflakes and int64 nonces
// do not fit a float64).
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// resolver finds the schema a $ref names.
type resolver func(ref string) (*schema, error)

// validator validates JSON values against schemas. Strict validation also
// refuses object members a schema that lists its properties does not name
// (plain JSON Schema allows them), as the platforms drop unknown members
// silently, which hides a misspelt one; a member set to its zero value
// (null, false, 0, "", [] or {}) asks for nothing and passes, as do the
// members ignore names (by path, such as "body.ID").
type validator struct {
	resolve resolver
	strict  bool
	ignore  map[string]bool
}

// maxRefHops bounds $ref chains that lead back to themselves without
// consuming any of the value.
const maxRefHops = 32

func (v validator) validate(val any, s *schema, at string) []string {
	return v.walk(val, s, at, 0, true)
}

func (v validator) walk(val any, s *schema, at string, hops int, strict bool) []string {
	if s == nil {
		return nil
	}
	if s.Ref != "" {
		if hops > maxRefHops {
			return []string{at + ": $ref chain too deep at " + s.Ref}
		}
		r, err := v.resolve(s.Ref)
		if err != nil {
			return []string{at + ": " + err.Error()}
		}
		errs := v.walk(val, r, at, hops+1, strict)
		// A $ref's siblings apply too (JSON Schema 2020-12).
		sib := *s
		sib.Ref = ""
		return append(errs, v.walk(val, &sib, at, hops, strict)...)
	}
	if s.prepareErr != nil {
		return []string{at + ": the description's schema is broken: " + s.prepareErr.Error()}
	}
	var errs []string
	if len(s.Type) > 0 && !(s.Nullable && val == nil) {
		if !slices.ContainsFunc(s.Type, func(t string) bool { return hasType(val, t) }) {
			return []string{fmt.Sprintf("%s: %s is %s, want %s", at, short(val), jsonType(val), strings.Join(s.Type, " or "))}
		}
	}
	if s.enum != nil && !slices.ContainsFunc(s.enum, func(e any) bool { return equalJSON(val, e) }) {
		errs = append(errs, fmt.Sprintf("%s: %s is not one of %s", at, short(val), shortList(s.enum)))
	}
	if s.hasConst && !equalJSON(val, s.constant) {
		errs = append(errs, fmt.Sprintf("%s: %s, want %s", at, short(val), short(s.constant)))
	}
	switch x := val.(type) {
	case string:
		errs = append(errs, stringErrs(x, s, at)...)
	case json.Number:
		errs = append(errs, numberErrs(x, s, at)...)
	case []any:
		if s.MinItems != nil && len(x) < *s.MinItems {
			errs = append(errs, fmt.Sprintf("%s: %d items, at least %d allowed", at, len(x), *s.MinItems))
		}
		if s.MaxItems != nil && len(x) > *s.MaxItems {
			errs = append(errs, fmt.Sprintf("%s: %d items, at most %d allowed", at, len(x), *s.MaxItems))
		}
		if s.UniqueItems {
			for i := range x {
				for j := range i {
					if equalJSON(x[i], x[j]) {
						errs = append(errs, fmt.Sprintf("%s: items %d and %d are equal, items must be unique", at, j, i))
					}
				}
			}
		}
		if s.Items != nil {
			for i, e := range x {
				errs = append(errs, v.walk(e, s.Items, fmt.Sprintf("%s[%d]", at, i), 0, true)...)
			}
		}
	case map[string]any:
		errs = append(errs, v.object(x, s, at, strict)...)
	}
	for _, c := range s.AllOf {
		// The members describe one object together: none of them alone
		// may call the others' members unknown.
		errs = append(errs, v.walk(val, c, at, hops, false)...)
	}
	if len(s.AnyOf) > 0 {
		errs = append(errs, v.alternatives(val, s.AnyOf, at, "anyOf")...)
	}
	if len(s.OneOf) > 0 {
		// Treated as anyOf: the descriptions' unions are told apart by a
		// const member, and an ambiguous one is not what a platform refuses.
		errs = append(errs, v.alternatives(val, s.OneOf, at, "oneOf")...)
	}
	return errs
}

func (v validator) object(x map[string]any, s *schema, at string, strict bool) []string {
	var errs []string
	for _, name := range s.Required {
		if _, ok := x[name]; !ok {
			errs = append(errs, fmt.Sprintf("%s: required member %q is missing", at, name))
		}
	}
	if s.MinProperties != nil && len(x) < *s.MinProperties {
		errs = append(errs, fmt.Sprintf("%s: %d members, at least %d allowed", at, len(x), *s.MinProperties))
	}
	if s.MaxProperties != nil && len(x) > *s.MaxProperties {
		errs = append(errs, fmt.Sprintf("%s: %d members, at most %d allowed", at, len(x), *s.MaxProperties))
	}
	var known map[string]bool
	if strict && v.strict && s.extra == nil && !s.noExtra {
		known = map[string]bool{}
		v.collectProperties(s, known, 0)
		if len(known) == 0 {
			known = nil // a free-form object
		}
	}
	for _, name := range sortedKeys(x) {
		p, declared := s.Properties[name]
		switch {
		case declared:
			errs = append(errs, v.walk(x[name], p, at+"."+name, 0, true)...)
		case s.extra != nil:
			errs = append(errs, v.walk(x[name], s.extra, at+"."+name, 0, true)...)
		case s.noExtra:
			errs = append(errs, fmt.Sprintf("%s: member %q is not allowed", at, name))
		case known != nil && !known[name] && !isZero(x[name]) && !v.ignore[at+"."+name]:
			errs = append(errs, fmt.Sprintf("%s: member %q is not in the description (the platform ignores it)", at, name))
		}
	}
	return errs
}

// collectProperties gathers the members s names: its own and its allOf
// members' (which describe one object together). If there are any, the
// members its alternatives name count too (each alternative is checked
// strictly on its own); a schema that only lists alternatives leaves the
// check to them.
func (v validator) collectProperties(s *schema, into map[string]bool, hops int) {
	v.ownProperties(s, into, hops)
	if len(into) == 0 {
		return
	}
	for _, l := range [][]*schema{s.OneOf, s.AnyOf} {
		for _, c := range l {
			v.ownProperties(c, into, hops+1)
		}
	}
}

// property finds the schema of the member name among s's own and its
// allOf members' properties.
func (v validator) property(s *schema, name string, hops int) *schema {
	if s == nil || hops > maxRefHops {
		return nil
	}
	if p, ok := s.Properties[name]; ok {
		return p
	}
	if s.Ref != "" {
		if r, err := v.resolve(s.Ref); err == nil {
			if p := v.property(r, name, hops+1); p != nil {
				return p
			}
		}
	}
	for _, c := range s.AllOf {
		if p := v.property(c, name, hops+1); p != nil {
			return p
		}
	}
	return nil
}

func (v validator) ownProperties(s *schema, into map[string]bool, hops int) {
	if s == nil || hops > maxRefHops {
		return
	}
	if s.Ref != "" {
		if r, err := v.resolve(s.Ref); err == nil {
			v.ownProperties(r, into, hops+1)
		}
	}
	for name := range s.Properties {
		into[name] = true
	}
	for _, c := range s.AllOf {
		v.ownProperties(c, into, hops+1)
	}
}

// alternatives passes when any alternative passes; otherwise it reports
// the alternative that came closest (fewest problems), in one message.
func (v validator) alternatives(val any, alts []*schema, at, kw string) []string {
	var best []string
	for _, a := range alts {
		errs := v.walk(val, a, at, 0, true)
		if len(errs) == 0 {
			return nil
		}
		if best == nil || len(errs) < len(best) {
			best = errs
		}
	}
	return []string{fmt.Sprintf("%s: %s matches none of the %d %s alternatives; the closest fails with: %s",
		at, short(val), len(alts), kw, strings.Join(best, "; "))}
}

func stringErrs(x string, s *schema, at string) []string {
	var errs []string
	n := utf8.RuneCountInString(x)
	if s.MinLength != nil && n < *s.MinLength {
		errs = append(errs, fmt.Sprintf("%s: %d characters, at least %d allowed", at, n, *s.MinLength))
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		errs = append(errs, fmt.Sprintf("%s: %d characters, at most %d allowed", at, n, *s.MaxLength))
	}
	if s.pattern != nil && !s.pattern.MatchString(x) {
		errs = append(errs, fmt.Sprintf("%s: %s does not match %s", at, short(x), s.Pattern))
	}
	switch s.Format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %s is not an RFC 3339 date-time", at, short(x)))
		}
	case "uri":
		if u, err := url.Parse(x); err != nil || u.Scheme == "" {
			errs = append(errs, fmt.Sprintf("%s: %s is not an absolute URI", at, short(x)))
		}
	}
	return errs
}

var (
	int32Min = big.NewFloat(-1 << 31)
	int32Max = big.NewFloat(1<<31 - 1)
	int64Min = big.NewFloat(-1 << 63)
	int64Max = new(big.Float).SetUint64(1<<63 - 1)
)

func numberErrs(x json.Number, s *schema, at string) []string {
	f, ok := bigNumber(x)
	if !ok {
		return []string{fmt.Sprintf("%s: %s is not a number", at, x)}
	}
	var errs []string
	if s.Minimum != nil {
		if m, ok := bigNumber(*s.Minimum); ok && f.Cmp(m) < 0 {
			errs = append(errs, fmt.Sprintf("%s: %s is below the minimum %s", at, x, *s.Minimum))
		}
	}
	if s.Maximum != nil {
		if m, ok := bigNumber(*s.Maximum); ok && f.Cmp(m) > 0 {
			errs = append(errs, fmt.Sprintf("%s: %s is above the maximum %s", at, x, *s.Maximum))
		}
	}
	switch s.Format {
	case "int32":
		if f.Cmp(int32Min) < 0 || f.Cmp(int32Max) > 0 {
			errs = append(errs, fmt.Sprintf("%s: %s does not fit an int32", at, x))
		}
	case "int64":
		if f.Cmp(int64Min) < 0 || f.Cmp(int64Max) > 0 {
			errs = append(errs, fmt.Sprintf("%s: %s does not fit an int64", at, x))
		}
	}
	return errs
}

func bigNumber(n json.Number) (*big.Float, bool) {
	f, _, err := big.ParseFloat(string(n), 10, 128, big.ToNearestEven)
	return f, err == nil
}

// isZero reports whether a JSON value is its type's zero value.
func isZero(val any) bool {
	switch x := val.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		f, ok := bigNumber(x)
		return ok && f.Sign() == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func hasType(val any, t string) bool {
	switch t {
	case "null":
		return val == nil
	case "boolean":
		_, ok := val.(bool)
		return ok
	case "string":
		_, ok := val.(string)
		return ok
	case "object":
		_, ok := val.(map[string]any)
		return ok
	case "array":
		_, ok := val.([]any)
		return ok
	case "number":
		_, ok := val.(json.Number)
		return ok
	case "integer":
		n, ok := val.(json.Number)
		if !ok {
			return false
		}
		f, ok := bigNumber(n)
		return ok && f.IsInt()
	}
	return false
}

func jsonType(val any) string {
	switch x := val.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case json.Number:
		if hasType(x, "integer") {
			return "an integer"
		}
		return "a number"
	}
	return fmt.Sprintf("%T", val)
}

// equalJSON compares decoded JSON values, numbers by value.
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, okx := bigNumber(x)
		fy, oky := bigNumber(y)
		return okx && oky && fx.Cmp(fy) == 0
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, equalJSON)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalJSON(xv, yv) {
				return false
			}
		}
		return true
	}
	return a == b
}

// short renders a value for a message, cut to a readable length.
func short(val any) string {
	b, err := json.Marshal(val)
	if err != nil {
		return fmt.Sprint(val)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

func shortList(vals []any) string {
	parts := make([]string, 0, len(vals))
	for _, v := range vals {
		parts = append(parts, short(v))
	}
	s := "[" + strings.Join(parts, ", ") + "]"
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Package config loads config.yaml strictly: unknown keys, type errors and
// validation failures are all reported at once, each with file:line;
// ${VAR} references are expanded, *_file secrets read, env overrides applied.
package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/threadlinehq/threadline/bridge"
)

// Problem is one config error.
type Problem struct {
	File string
	Line int
	Path string // dotted key path, e.g. webchat.rate.per_ip_per_minute
	Msg  string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Path, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// Errors is every problem found in a config file.
type Errors []Problem

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Env looks up environment variables; tests pass a map.
type Env func(key string) (string, bool)

// OSEnv reads the process environment.
func OSEnv(key string) (string, bool) { return os.LookupEnv(key) }

// MapEnv serves variables from a map.
func MapEnv(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Load reads, expands, decodes, defaults and validates the file at path.
func Load(path string, env Env) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, env)
}

// Default is the configuration an empty file would give, before
// validation (an empty file is refused: it enables no staff surface).
func Default() *Config {
	cfg := &Config{}
	cfg.defaults()
	return cfg
}

// Parse is Load on bytes already read; path is used in messages and to
// resolve relative file paths.
func Parse(path string, data []byte, env Env) (*Config, error) {
	l := &loader{file: path, env: env, lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{l.yamlProblem(err)}
	}
	cfg := &Config{}
	if len(root.Content) > 0 {
		doc := root.Content[0]
		l.expand(doc)
		l.index(doc, "")
		l.checkKeys(doc, reflect.TypeOf(cfg).Elem(), "")
		if err := doc.Decode(cfg); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				for _, msg := range te.Errors {
					l.problems = append(l.problems, l.yamlProblem(errors.New(hideValue(msg))))
				}
			} else {
				l.problems = append(l.problems, l.yamlProblem(err))
			}
		}
	}
	// Carry on after key and type problems so validation problems are
	// reported in the same run; only YAML syntax errors stop early.
	decodeProblems := map[int]bool{}
	for _, p := range l.problems {
		decodeProblems[p.Line] = true
	}
	l.readSecretFiles(reflect.ValueOf(cfg).Elem(), "")
	// Before defaults: they replace zero and negative numbers, so a
	// negative one would otherwise pass silently.
	l.checkNegative(reflect.ValueOf(cfg).Elem(), "")
	cfg.applyEnv(env)
	cfg.resolvePaths(filepath.Dir(path))
	cfg.defaults()
	before := len(l.problems)
	for _, fe := range cfg.validate() {
		l.addFieldError(fe.section, fe.err)
	}
	// A value the decoder already rejected is not reported twice.
	kept := l.problems[:before]
	for _, p := range l.problems[before:] {
		if !decodeProblems[p.Line] || p.Line == 0 {
			kept = append(kept, p)
		}
	}
	l.problems = kept
	if len(l.problems) > 0 {
		return nil, l.sorted()
	}
	return cfg, nil
}

type loader struct {
	file     string
	env      Env
	lines    map[string]int // key path -> line
	problems []Problem
}

func (l *loader) sorted() Errors {
	sort.SliceStable(l.problems, func(i, j int) bool { return l.problems[i].Line < l.problems[j].Line })
	return Errors(l.problems)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func (l *loader) yamlProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{File: l.file, Line: n, Msg: m[2]}
	}
	return Problem{File: l.file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// typeErrValue is the value quote in a yaml.v3 type error:
// "cannot unmarshal !!str `424242:...` into telegram.Config".
var typeErrValue = regexp.MustCompile("^(.*cannot unmarshal \\S+) `[^`]*`( into (\\S+))$")

// hideValue drops the start of the value yaml quotes in a type error
// unless the target is a plain bool or number: a scalar where a section or
// list belongs is often a misplaced secret (`telegram: 123:AAE...`), and
// its first characters must not reach logs.
func hideValue(msg string) string {
	m := typeErrValue.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	switch m[3] {
	case "bool", "int", "int64", "int32", "uint", "uint64", "uint32", "float64", "float32":
		return msg
	}
	return m[1] + m[2]
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// expand replaces ${VAR} and ${VAR:-default} in scalar values. $ alone is
// left alone, so passwords containing $ survive.
func (l *loader) expand(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		n.Value = varRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := varRef.FindStringSubmatch(ref)
			if v, ok := l.env(m[1]); ok && v != "" {
				return v
			}
			return m[2]
		})
		if n.Style == 0 {
			// Plain scalars are re-resolved, so ${PORT} may be a number.
			n.Tag = ""
		}
		return
	}
	for _, c := range n.Content {
		l.expand(c)
	}
}

// index records the line of every key path.
func (l *loader) index(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			l.lines[p] = k.Line
			l.index(v, p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			l.lines[p] = c.Line
			l.index(c, p)
		}
	}
}

func join(path, key string) string {
	if key == "" {
		return path
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// checkKeys reports keys that match no field, with the line and the keys
// that would have been valid.
func (l *loader) checkKeys(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		// The decoder stops at the first failing UnmarshalText and reports it
		// without a line, so check these values here and blank bad ones.
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			u := reflect.New(t).Interface().(encoding.TextUnmarshaler)
			if err := u.UnmarshalText([]byte(n.Value)); err != nil {
				l.problems = append(l.problems, Problem{File: l.file, Line: n.Line, Path: path, Msg: err.Error()})
				n.Tag, n.Value = "!!null", ""
			}
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				l.problems = append(l.problems, Problem{File: l.file, Line: k.Line, Path: join(path, k.Value),
					Msg: "unknown key" + suggest(k.Value, fields)})
				continue
			}
			l.checkKeys(v, f, join(path, k.Value))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			l.checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			l.checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// yamlFields maps yaml key names to field types, following ,inline.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func suggest(key string, fields map[string]reflect.Type) string {
	var names []string
	best, bestD := "", 3
	for k := range fields {
		names = append(names, k)
		if d := distance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	sort.Strings(names)
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (valid keys: " + strings.Join(names, ", ") + ")"
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// readSecretFiles fills every string field X from the file named by its
// sibling field X_file, when that is set.
func (l *loader) readSecretFiles(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			l.readSecretFiles(v.Elem(), path)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			l.readSecretFiles(e, join(path, fmt.Sprint(k.Interface())))
			v.SetMapIndex(k, e)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			l.readSecretFiles(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Struct:
		t := v.Type()
		names := map[string]int{}
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			names[name] = i
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if target, ok := strings.CutSuffix(name, "_file"); ok && f.Type.Kind() == reflect.String {
				file := v.Field(i).String()
				ti, has := names[target]
				if file == "" || !has {
					continue
				}
				b, err := os.ReadFile(file)
				if err != nil {
					l.problems = append(l.problems, Problem{File: l.file, Line: l.lines[join(path, name)], Path: join(path, name),
						Msg: fmt.Sprintf("cannot read secret file: %v", err)})
					continue
				}
				v.Field(ti).SetString(string(bytes.TrimSpace(b)))
				continue
			}
			l.readSecretFiles(v.Field(i), join(path, name))
		}
	}
}

// checkNegative reports every number written in the file below zero: no
// setting of Threadline takes one (counts, sizes, rates, durations).
func (l *loader) checkNegative(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			l.checkNegative(v.Elem(), path)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			l.checkNegative(v.MapIndex(k), join(path, fmt.Sprint(k.Interface())))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			l.checkNegative(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				if name != "-" {
					l.checkNegative(v.Field(i), join(path, name))
				}
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() < 0 {
			l.negative(path, fmt.Sprint(v.Interface()))
		}
	case reflect.Float32, reflect.Float64:
		if v.Float() < 0 {
			l.negative(path, fmt.Sprint(v.Float()))
		}
	}
}

func (l *loader) negative(path, value string) {
	l.problems = append(l.problems, Problem{File: l.file, Line: l.lineOf(path), Path: path,
		Msg: fmt.Sprintf("must not be negative (it is %s); leave it out for the default", value)})
}

// addFieldError turns a section's validation error into problems with lines.
func (l *loader) addFieldError(section string, err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			l.addFieldError(section, e)
		}
		return
	}
	path := section
	msg := err.Error()
	var fe *bridge.FieldError
	if errors.As(err, &fe) {
		path, msg = join(section, fe.Field), fe.Msg
	}
	l.problems = append(l.problems, Problem{File: l.file, Line: l.lineOf(path), Path: path, Msg: msg})
}

// lineOf finds the line of path or of its nearest ancestor present in the file.
func (l *loader) lineOf(path string) int {
	for path != "" {
		if n, ok := l.lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

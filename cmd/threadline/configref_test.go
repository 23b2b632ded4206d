package main

import (
	"bytes"
	"encoding"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
)

//go:generate go test -run TestConfigReference -update .

var update = flag.Bool("update", false, "rewrite docs/CONFIG.md from the config structs")

const modulePath = "github.com/threadlinehq/threadline"

// TestConfigReference generates docs/CONFIG.md from the config structs:
// every key (walked by reflection from config.Config, so none can be
// missed), its type, its default (from loading an empty file) and its
// meaning (the field's doc comment in the source, or configDocs). It fails
// when a key has no description, when configDocs names a key that no
// longer exists, and when the committed file is stale (run it with
// -update, or go generate ./cmd/threadline).
func TestConfigReference(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	comments, err := fieldComments(root)
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := config.Default(), error(nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []refKey
	walkConfig(reflect.TypeOf(config.Config{}), reflect.ValueOf(*defaults), "", "", &keys)

	used := map[string]bool{}
	var undocumented []string
	for i, k := range keys {
		if d, ok := configDocs[k.path]; ok {
			keys[i].doc, used[k.path] = d, true
		} else if target, ok := strings.CutSuffix(k.path, "_file"); ok && k.typ == "string" && slicesContainsKey(keys, target) {
			keys[i].doc = "Read `" + lastKey(target) + "` from this file instead (a secret kept out of the config)."
		} else if c := comments[k.field]; c != "" {
			keys[i].doc = c
			goName := k.field[strings.LastIndexByte(k.field, '.')+1:]
			for _, sep := range []string{" ", ", "} {
				if rest, ok := strings.CutPrefix(c, goName+sep); ok {
					keys[i].doc = "`" + lastKey(k.path) + "`" + sep + rest
				}
			}
		} else {
			undocumented = append(undocumented, k.path+" ("+k.field+")")
		}
		if d, ok := configDefaults[k.path]; ok {
			keys[i].def, used["default:"+k.path] = d, true
		}
		keys[i].env = configEnv[k.path]
	}
	if len(undocumented) > 0 {
		t.Errorf("config keys without a description (add a doc comment to the field or an entry to configDocs):\n  %s",
			strings.Join(undocumented, "\n  "))
	}
	for p := range configDocs {
		if !used[p] {
			t.Errorf("configDocs describes %q, which is not a config key", p)
		}
	}
	for p := range configDefaults {
		if !used["default:"+p] {
			t.Errorf("configDefaults names %q, which is not a config key", p)
		}
	}
	for p := range configEnv {
		if !slicesContainsKey(keys, p) {
			t.Errorf("configEnv names %q, which is not a config key", p)
		}
	}

	got := renderReference(keys)
	path := filepath.Join(root, "docs", "CONFIG.md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("docs/CONFIG.md is stale (%v): run `go test ./cmd/threadline -run TestConfigReference -update`", err)
	}
}

// refKey is one config key in the reference.
type refKey struct {
	path  string // dotted yaml path; <name> for map keys, [] for list items
	field string // Go pkg.Type.Field, to find its comment
	typ   string
	def   string
	env   string
	doc   string
}

var textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

func walkConfig(t reflect.Type, v reflect.Value, path, field string, out *[]refKey) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		if v.IsValid() && !v.IsNil() {
			v = v.Elem()
		} else {
			v = reflect.Value{}
		}
	}
	leaf := func(typ string) {
		*out = append(*out, refKey{path: path, field: field, typ: typ, def: defaultOf(v)})
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		leaf("duration")
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			var fv reflect.Value
			if v.IsValid() {
				fv = v.Field(i)
			}
			id := strings.TrimPrefix(t.PkgPath(), modulePath+"/") + "." + t.Name() + "." + f.Name
			if strings.Contains(opts, "inline") {
				walkConfig(f.Type, fv, path, id, out)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			walkConfig(f.Type, fv, p, id, out)
		}
	case reflect.Map:
		if e := t.Elem(); e.Kind() == reflect.Struct || (e.Kind() == reflect.Pointer && e.Elem().Kind() == reflect.Struct) {
			walkConfig(e, reflect.Value{}, path+".<name>", field, out)
			return
		}
		leaf("map")
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			walkConfig(t.Elem(), reflect.Value{}, path+"[]", field, out)
			return
		}
		leaf("list")
	case reflect.Bool:
		leaf("bool")
	case reflect.Int, reflect.Int64:
		leaf("integer")
	case reflect.Float64:
		leaf("number")
	default:
		leaf(t.Kind().String())
	}
}

func defaultOf(v reflect.Value) string {
	if !v.IsValid() || v.IsZero() {
		return ""
	}
	if d, ok := v.Interface().(bridge.Duration); ok {
		return shortDuration(d.D())
	}
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, _ := m.MarshalText()
		return string(b)
	}
	switch v.Kind() {
	case reflect.Slice:
		var parts []string
		for i := 0; i < v.Len(); i++ {
			parts = append(parts, fmt.Sprintf("%q", v.Index(i).Interface()))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		return "" // adapter defaults live in the adapters
	}
	return fmt.Sprint(v.Interface())
}

// shortDuration writes durations the way config files do: 7d, 10m, 1h30m.
func shortDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fieldComments reads the doc or line comment of every struct field in the
// packages that hold config structs, keyed pkgdir.Type.Field.
func fieldComments(root string) (map[string]string, error) {
	out := map[string]string{}
	for _, dir := range []string{"cmd/threadline/internal/config", "store", "adapters/webchat", "adapters/console",
		"adapters/slack", "adapters/telegram", "adapters/email", "adapters/discord", "adapters/mattermost", "adapters/whatsapp"} {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, filepath.Join(root, dir), func(fi os.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, pkg := range pkgs {
			for _, f := range pkg.Files {
				ast.Inspect(f, func(n ast.Node) bool {
					ts, ok := n.(*ast.TypeSpec)
					if !ok {
						return true
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						return true
					}
					for _, fl := range st.Fields.List {
						text := ""
						if fl.Doc != nil {
							text = fl.Doc.Text()
						} else if fl.Comment != nil {
							text = fl.Comment.Text()
						}
						for _, name := range fl.Names {
							out[dir+"."+ts.Name.Name+"."+name.Name] = cleanComment(text, name.Name)
						}
					}
					return true
				})
			}
		}
	}
	return out, nil
}

var spaces = regexp.MustCompile(`\s+`)

func cleanComment(text, goName string) string {
	text = strings.TrimSpace(spaces.ReplaceAllString(text, " "))
	if rest, ok := strings.CutPrefix(text, goName+": "); ok {
		text = strings.ToUpper(rest[:1]) + rest[1:]
	}
	if text != "" && !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, ")") {
		text += "."
	}
	if text != "" && text[0] >= 'a' && text[0] <= 'z' {
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	return text
}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	return strings.TrimSuffix(path, "[]")
}

func slicesContainsKey(keys []refKey, path string) bool {
	for _, k := range keys {
		if k.path == path {
			return true
		}
	}
	return false
}

// sectionNames orders and titles the reference's sections.
func sectionOf(path string) string {
	head, _, ok := strings.Cut(path, ".")
	head = strings.TrimSuffix(head, "[]")
	if !ok && !strings.Contains(path, "[]") {
		return ""
	}
	return head
}

func renderReference(keys []refKey) []byte {
	var b bytes.Buffer
	b.WriteString(`# Configuration reference

Every key of ` + "`config.yaml`" + `, generated from the config structs by
` + "`go test ./cmd/threadline -run TestConfigReference -update`" + ` (or ` + "`go generate ./cmd/threadline`" + `).
Do not edit by hand: the test fails when this file and the structs disagree.

- Durations read ` + "`90s`, `15m`, `4h`, `3d`" + `. ` + "`${VAR}` and `${VAR:-default}`" + ` in any value read the environment.
- ` + "`<name>`" + ` stands for a key you choose (a department, a calendar, an adapter); ` + "`[]`" + ` for an item of a list.
- "Default" is what an empty file gets; the shipped ` + "`config.yaml`" + ` turns on the web chat and the console.
- Env is the environment variable that overrides the key when it is set.
- Unknown keys and values of the wrong type are errors (` + "`threadline check-config`" + `).

`)
	order := []string{}
	bySection := map[string][]refKey{}
	for _, k := range keys {
		s := sectionOf(k.path)
		if _, ok := bySection[s]; !ok {
			order = append(order, s)
		}
		bySection[s] = append(bySection[s], k)
	}
	// Top-level scalars first, then sections in struct order.
	sort.SliceStable(order, func(i, j int) bool { return order[i] == "" && order[j] != "" })
	for _, s := range order {
		title := "`" + s + "`"
		if s == "" {
			title = "Top level"
		}
		fmt.Fprintf(&b, "## %s\n\n| Key | Type | Default | Env | Meaning |\n|---|---|---|---|---|\n", title)
		for _, k := range bySection[s] {
			def, env := k.def, k.env
			if def != "" {
				def = "`" + strings.ReplaceAll(def, "|", `\|`) + "`"
			}
			if env != "" {
				env = "`" + env + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", k.path, k.typ, def, env, strings.ReplaceAll(k.doc, "|", `\|`))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// configEnv is the environment variable of each key that has one.
var configEnv = map[string]string{
	"store.path":                "THREADLINE_DB",
	"http.listen":               "THREADLINE_LISTEN",
	"public_url":                "THREADLINE_PUBLIC_URL",
	"admin.listen":              "THREADLINE_ADMIN_LISTEN",
	"data_dir":                  "THREADLINE_DATA_DIR",
	"http.metrics_token":        "THREADLINE_METRICS_TOKEN",
	"answers.llm.url":           "THREADLINE_LLM_URL",
	"answers.llm.api_key":       "THREADLINE_LLM_API_KEY",
	"slack.bot_token":           "SLACK_BOT_TOKEN",
	"slack.app_token":           "SLACK_APP_TOKEN",
	"slack.signing_secret":      "SLACK_SIGNING_SECRET",
	"slack.channel_id":          "SLACK_CHANNEL_ID",
	"slack.api_url":             "SLACK_API_URL",
	"telegram.bot_token":        "TELEGRAM_BOT_TOKEN",
	"telegram.api_url":          "TELEGRAM_API_URL",
	"telegram.webhook_secret":   "TELEGRAM_WEBHOOK_SECRET",
	"email.imap.url":            "EMAIL_IMAP_URL",
	"email.smtp.url":            "EMAIL_SMTP_URL",
	"email.from":                "EMAIL_FROM",
	"discord.bot_token":         "DISCORD_BOT_TOKEN",
	"discord.channel_id":        "DISCORD_CHANNEL_ID",
	"discord.guild_id":          "DISCORD_GUILD_ID",
	"discord.api_url":           "DISCORD_API_URL",
	"whatsapp.token":            "WHATSAPP_TOKEN",
	"whatsapp.phone_number_ids": "WHATSAPP_PHONE_NUMBER_ID",
	"whatsapp.api_url":          "WHATSAPP_API_URL",
	"whatsapp.verify_token":     "WHATSAPP_VERIFY_TOKEN",
	"whatsapp.app_secret":       "WHATSAPP_APP_SECRET",
	"mattermost.url":            "MATTERMOST_URL",
	"mattermost.bot_token":      "MATTERMOST_BOT_TOKEN",
	"mattermost.channel_id":     "MATTERMOST_CHANNEL_ID",
	"mattermost.command_token":  "MATTERMOST_COMMAND_TOKEN",
}

// configDefaults overrides defaults the empty-file load cannot show.
var configDefaults = map[string]string{
	"http.metrics":                    "true",
	"data_dir":                        "directory of store.path",
	"public_url":                      "http://<http.listen>",
	"admin.token_file":                "<data_dir>/admin.token",
	"store.read_connections":          "max(4, CPUs)",
	"conversations.max_message_bytes": "65536",
	"digest.timezone":                 "top-level timezone",
}

// configDocs describes keys whose field has no doc comment, or whose
// comment is written for programmers rather than operators.
var configDocs = map[string]string{
	"http.listen":                                    "Address of the public HTTP listener: web chat, webhooks, `/healthz`, `/readyz`, `/metrics`. `0.0.0.0:8080` accepts outside connections.",
	"http.max_body_bytes":                            "Largest request body accepted (413 above it).",
	"http.shutdown_timeout":                          "How long a graceful HTTP shutdown waits for requests in flight.",
	"admin.listen":                                   "Address of the admin API the CLI (`watch`, `say`) uses; must be loopback.",
	"log.level":                                      "`debug`, `info`, `warn` or `error` (flag `--log-level`).",
	"log.format":                                     "`text` or `json` (flag `--log-format`); logs go to stderr.",
	"store.path":                                     "The SQLite database file (created with mode 0600; relative paths are relative to the config file), or a `postgres://` URL for PostgreSQL ([postgresql.md](postgresql.md)).",
	"store.busy_timeout":                             "How long SQLite waits for a lock before `database is locked` (PostgreSQL: for the server when opening).",
	"store.read_connections":                         "Size of the read connection pool (writes have a connection of their own).",
	"conversations.reopen_window":                    "A customer message within this time after a close reopens the conversation; later ones start a new conversation.",
	"conversations.default_priority":                 "Priority of new conversations: `urgent`, `high`, `normal` or `low`.",
	"conversations.max_message_bytes":                "Longer inbound messages are cut, with a marker.",
	"commands.prefix":                                "Prefix of staff commands (`!claim`), 1 to 3 characters.",
	"commands.note_prefixes":                         "Prefixes that make staff text an internal note.",
	"outbox.pacing.<name>.per_destination":           "Messages per second to one destination (chat, channel) of adapter `<name>`; overrides the adapter's documented limit. 0: unlimited.",
	"outbox.pacing.<name>.per_adapter":               "Messages per second in total for adapter `<name>`. 0: unlimited.",
	"webchat.enabled":                                "Turns the web chat channel on (the shipped config.yaml does).",
	"webchat.token_max_age":                          "Lifetime of a visitor token; renewed on each visit.",
	"webchat.max_message_chars":                      "Longest message a visitor may send (413 above it).",
	"webchat.per_ip_per_minute":                      "Messages per minute from one IP address (429 with Retry-After above it).",
	"webchat.title":                                  "Title of the chat widget, in every language (empty: \"Chat with us\", translated; `strings.<lang>.title` per language).",
	"webchat.greeting":                               "First line the widget shows a visitor in business hours, in every language (empty: \"Hi! Ask us anything.\" translated, with the usual wait).",
	"departments.<name>.members":                     "Staff ids (`slack:U0…`, `discord:…`, `console:alice`) who belong to the department, or groups: a Slack user group `slack:group:S0…` (needs the `usergroups:read` scope) or a Discord role `discord:role:…` (counts for membership and mentions, not for round-robin).",
	"departments.<name>.rotation.people":             "Staff ids taking on-call shifts in turn.",
	"departments.<name>.rotation.timezone":           "Time zone of `start` and the hand-over times.",
	"departments.<name>.rotation.overrides[].from":   "Start of an override (`2026-03-16 09:00`, in the rotation's time zone).",
	"departments.<name>.rotation.overrides[].to":     "End of the override.",
	"departments.<name>.rotation.overrides[].person": "Staff id on call during the override.",
	"admin.token_file":                               "File holding the admin token the CLI authenticates with; created with mode 0600 if missing.",
	"webchat.per_visitor_per_minute":                 "Messages per minute from one visitor (429 with Retry-After above it).",
	"rules[].on":                                     "`new_conversation` (default): the rule looks at new conversations; `message`: at every customer message (it may only raise priority and add tags).",
	"rules[].when.channels":                          "Matches conversations on these channels (`webchat`, `telegram`, `email`, `whatsapp`).",
	"email.imap.tls":                                 "`tls` (TLS from the first byte), `starttls` or `none`.",
	"email.imap.mailbox":                             "The folder that is read.",
	"email.imap.poll_interval":                       "How often to check for mail when the server has no IDLE.",
	"telegram.local_server":                          "`api_url` is a telegram-bot-api server started with `--local` on this machine: files are read from the paths it returns (and `max_file_bytes` may go above 20 MB).",
	"digest.slack_channel":                           "Slack channel id (`C0123456789`) the digest is posted to; the bot must be a member.",
	"digest.discord_channel":                         "Discord text channel id the digest is posted to (needs Send Messages and Attach Files).",
	"staff[].id":                                     "Staff id: `slack:U0123`, `discord:1234`, `mattermost:<user id>`, `console:alice`.",
	"staff[].role":                                   "`agent`, `lead` or `admin`.",
	"departments.<name>.name":                        "Display name; defaults to the key.",
	"email.reply_to":                                 "Reply-To address of replies, instead of the From address.",
	"sla.close_notice":                               "Text sent to the customer when staff close a conversation (empty: none).",
	"sla.repeat_interval":                            "After the breach notice, remind every interval (counted on the policy's calendar), up to `max_nags` times.",
	"slack.sent_reaction":                            "Reaction on a staff reply once it was delivered to the customer.",
	"default_department":                             "Department of new conversations that no rule routes.",
	"staff[].name":                                   "Display name used in `!assign @name` and messages.",
	"rules[].name":                                   "Name of the rule (shown in the audit log).",
	"rules[].set.department":                         "Route the conversation to this department.",
	"rules[].set.priority":                           "Set this priority (`on: message` rules only raise it).",
	"rules[].set.tags":                               "Add these tags.",
	"sla.calendars.<name>.timezone":                  "Time zone of the calendar's hours.",
	"sla.calendars.<name>.hours":                     "Business hours per day range, e.g. `mon-fri: \"09:00-17:00\"`.",
	"sla.calendars.<name>.holidays":                  "Dates (`2026-12-24`) without business hours.",
	"sla.policies[].name":                            "Name of the policy (shown in `!status`).",
	"sla.policies[].priority":                        "The policy applies to conversations of this priority (empty: any).",
	"sla.policies[].department":                      "The policy applies to this department (empty: any).",
	"sla.policies[].channel":                         "The policy applies to this channel (empty: any).",
	"sla.policies[].first_response":                  "Target from the first customer message to the first staff reply.",
	"sla.policies[].next_response":                   "Target from each later customer message to the next staff reply.",
	"sla.policies[].resolution":                      "Target from creation to close.",
	"sla.max_nags":                                   "Most reminders sent after a breach.",
	"sla.ladder.warning":                             "Who a warning mentions: `owner`, `oncall`, `leads`, `here` or staff ids.",
	"sla.ladder.breach":                              "Who a breach notice mentions.",
	"sla.ladder.repeat":                              "Who reminders after a breach mention.",
	"sla.acknowledgement.enabled":                    "Send every new conversation an acknowledgement (unless a rule already replied).",
	"sla.acknowledgement.template":                   "Acknowledgement text; `{{expected_wait}}` comes from the first-response target.",
	"sla.acknowledgement.out_of_hours":               "Acknowledgement outside the calendar's hours; `{{opens}}` says when hours start.",
	"sla.reopen_notice":                              "Text sent to the customer when a conversation reopens (empty: none).",
	"sla.satisfaction.enabled":                       "Ask for a 1-5 rating after a close.",
	"sla.satisfaction.question":                      "The satisfaction question.",
	"sla.satisfaction.thanks":                        "Answer to a rating.",
	"slack.failed_reaction":                          "Reaction on a staff reply that could not be delivered.",
	"telegram.bot_token":                             "Token from @BotFather; turns the Telegram channel on. Never logged.",
	"email.imap.host":                                "IMAP server host (from `url` when unset).",
	"email.imap.port":                                "IMAP server port (default from `tls`: 993, or 143).",
	"email.imap.username":                            "IMAP login.",
	"email.imap.password":                            "IMAP password (or app password).",
	"email.smtp.host":                                "SMTP server host (from `url` when unset).",
	"email.smtp.port":                                "SMTP server port (default from `tls`: 465, or 587).",
	"email.smtp.tls":                                 "`tls` (TLS from the first byte), `starttls` or `none`.",
	"email.smtp.username":                            "SMTP login; empty means no AUTH.",
	"email.smtp.password":                            "SMTP password (or app password).",
	"discord.admin_role_ids":                         "Members with one of these roles get Threadline's admin role.",
}

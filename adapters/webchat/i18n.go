package webchat

import (
	"slices"
	"sort"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// Languages are the widget's own translations (static/widget.js holds
// the texts; a test checks that every language has every key).
var Languages = []string{"en", "de", "fr", "es", "ru", "pt"}

// StringKeys are the widget's texts that webchat.strings may override.
// {name}-style placeholders in a text are filled in by the widget.
var StringKeys = []string{
	"launcher", "title", "greeting", "wait", "away", "awayUntil", "close", "messages", "placeholder", "send",
	"attach", "remove", "drop", "name", "email", "department", "choose", "optional", "required", "badEmail",
	"connecting", "reconnecting", "tooFast", "retrying", "tooLong", "tooBig", "badType", "tooMany", "typing",
	"someone", "seen", "you", "newMessage", "unread", "file", "emailAsk", "emailSave", "emailNo", "emailSaved",
	"articles", "helped", "helpedYes", "helpedNo", "glad", "readMore",
}

// validateStrings checks webchat.strings: known languages (or "*") and keys.
func validateStrings(s map[string]map[string]string) []error {
	var errs []error
	langs := make([]string, 0, len(s))
	for l := range s {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		if l != "*" && !slices.Contains(Languages, l) {
			errs = append(errs, bridge.FieldErrorf("strings."+l, "%q is not one of the widget's languages (%s, or * for all)", l, strings.Join(Languages, ", ")))
			continue
		}
		keys := make([]string, 0, len(s[l]))
		for k := range s[l] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains(StringKeys, k) {
				errs = append(errs, bridge.FieldErrorf("strings."+l+"."+k, "is not one of the widget's texts (%s)", strings.Join(StringKeys, ", ")))
			}
		}
	}
	return errs
}

// widgetStrings is webchat.strings with title, greeting, away_greeting
// and theme.launcher_text folded in as "*" texts (a language's own text
// still wins over them).
func (c Config) widgetStrings() map[string]map[string]string {
	out := map[string]map[string]string{}
	for l, m := range c.Strings {
		out[l] = map[string]string{}
		for k, v := range m {
			out[l][k] = v
		}
	}
	all := out["*"]
	if all == nil {
		all = map[string]string{}
	}
	for k, v := range map[string]string{"title": c.Title, "greeting": c.Greeting, "away": c.AwayGreeting, "awayUntil": c.AwayGreeting, "launcher": c.Theme.LauncherText} {
		if _, set := all[k]; !set && strings.TrimSpace(v) != "" {
			all[k] = v
		}
	}
	if len(all) > 0 {
		out["*"] = all
	}
	return out
}

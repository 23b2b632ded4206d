package webchat_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/webchat"
	"github.com/threadlinehq/threadline/bridge"
)

// widgetTranslations reads the I18N table of static/widget.js: language ->
// the keys it has.
func widgetTranslations(t *testing.T) map[string][]string {
	t.Helper()
	src, err := os.ReadFile("static/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(src, []byte("var I18N = {"))
	end := bytes.Index(src[start:], []byte("\n  };"))
	if start < 0 || end < 0 {
		t.Fatal("no I18N table in widget.js")
	}
	table := string(src[start : start+end])
	out := map[string][]string{}
	langRe := regexp.MustCompile(`(?m)^    ([a-z]{2}): \{`)
	keyRe := regexp.MustCompile(`([A-Za-z]+): "`)
	locs := langRe.FindAllStringSubmatchIndex(table, -1)
	for i, l := range locs {
		stop := len(table)
		if i+1 < len(locs) {
			stop = locs[i+1][0]
		}
		lang := table[l[2]:l[3]]
		for _, k := range keyRe.FindAllStringSubmatch(table[l[1]:stop], -1) {
			out[lang] = append(out[lang], k[1])
		}
		sort.Strings(out[lang])
	}
	return out
}

// TestEveryLanguageHasEveryText: the widget's translations and the keys
// config may override (webchat.StringKeys) are the same set, in each of
// the six languages.
func TestEveryLanguageHasEveryText(t *testing.T) {
	tr := widgetTranslations(t)
	want := slices.Sorted(slices.Values(webchat.StringKeys))
	langs := make([]string, 0, len(tr))
	for l := range tr {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	if !slices.Equal(langs, slices.Sorted(slices.Values(webchat.Languages))) {
		t.Errorf("widget.js has languages %v, webchat.Languages %v", langs, webchat.Languages)
	}
	for _, l := range langs {
		if !slices.Equal(tr[l], want) {
			t.Errorf("%s has keys %v\nwant %v", l, tr[l], want)
		}
	}
}

// TestTheWidgetCarriesItsConfig: widget.js is served with the config's
// texts, look and form in it (no extra request before the launcher
// shows), gzipped when the browser takes it, and revalidated by ETag.
func TestTheWidgetCarriesItsConfig(t *testing.T) {
	f := newFixture(t, func(c *webchat.Config) {
		c.Title = "Acme support"
		c.Strings = map[string]map[string]string{"de": {"title": "Acme Hilfe"}}
		c.Theme = webchat.Theme{Color: "#0a7d5a", Position: "left", Mode: "dark"}
		c.PreChat.Departments = []webchat.DepartmentChoice{{Label: "Billing", To: "Billing"}}
	})
	get := func(h map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", f.srv.URL+"/chat/widget.js", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		tr := &http.Transport{DisableCompression: true}
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, plain := get(nil)
	i := bytes.Index(plain, []byte("var CFG = "))
	if res.StatusCode != 200 || i < 0 {
		t.Fatalf("widget: %d", res.StatusCode)
	}
	var cfg map[string]any
	if err := json.NewDecoder(bytes.NewReader(plain[i+len("var CFG = "):])).Decode(&cfg); err != nil {
		t.Fatalf("config in the widget: %v", err)
	}
	strs, _ := json.Marshal(cfg["strings"])
	pre, _ := json.Marshal(cfg["prechat"])
	if cfg["color"] != "#0a7d5a" || cfg["position"] != "left" || cfg["mode"] != "dark" ||
		!strings.Contains(string(strs), `"*":{"title":"Acme support"}`) || !strings.Contains(string(strs), `"de":{"title":"Acme Hilfe"}`) ||
		!strings.Contains(string(pre), `{"label":"Billing","to":"billing"}`) || cfg["files"] == nil {
		t.Errorf("config = %v", cfg)
	}
	res, gz := get(map[string]string{"Accept-Encoding": "br, gzip"})
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %v %v", res.Header, err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) || len(gz) > len(plain)/2 {
		t.Errorf("gzipped %d of %d bytes", len(gz), len(plain))
	}
	if p, g := f.ad.WidgetSize(); p != len(plain) || g != len(gz) {
		t.Errorf("WidgetSize = %d %d, served %d %d", p, g, len(plain), len(gz))
	}
	if res, _ := get(map[string]string{"If-None-Match": res.Header.Get("ETag")}); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", res.StatusCode)
	}
}

// TestWidgetConfigIsChecked: every mistake in the widget's settings is
// reported with its key.
func TestWidgetConfigIsChecked(t *testing.T) {
	no := false
	c := webchat.Config{
		Language: "it", Strings: map[string]map[string]string{"de": {"titel": "x"}, "xx": {"title": "y"}},
		Theme:   webchat.Theme{Color: "blue", Position: "top", Mode: "sepia"},
		PreChat: webchat.PreChat{Name: "maybe", Department: "off", Departments: []webchat.DepartmentChoice{{Label: "", To: "a b"}, {Label: "B", To: "b"}, {Label: "B2", To: "B"}}},
		Files:   &no, MaxFileBytes: -1, AllowedFileTypes: []string{"image/*", "pdf"}, IdentitySecret: "short",
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"language", "strings.de.titel", "strings.xx", "theme.color", "theme.position", "theme.mode",
		"prechat.name", "prechat.department", "prechat.departments[0].label", "prechat.departments[0].to", "prechat.departments[2].to",
		"max_file_bytes", "allowed_file_types[1]", "identity_secret"} {
		if !slices.Contains(fieldsOf(err), want) {
			t.Errorf("no error for %s in:\n%v", want, err)
		}
	}
	good := webchat.Config{}
	good.Defaults()
	if err := good.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// fieldsOf lists the keys of the FieldErrors joined in err.
func fieldsOf(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			var fe *bridge.FieldError
			if errors.As(e, &fe) {
				out = append(out, fe.Field)
			}
		}
	}
	return out
}

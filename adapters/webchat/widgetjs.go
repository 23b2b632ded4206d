package webchat

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

// widgetConfig is what the widget knows before it talks to the API: the
// config's texts, look and form, put into widget.js as it is served, so
// the launcher shows in the right language and colour without a request.
type widgetConfig struct {
	Language string                       `json:"language,omitempty"`
	Strings  map[string]map[string]string `json:"strings,omitempty"`
	Color    string                       `json:"color"`
	Position string                       `json:"position"`
	Mode     string                       `json:"mode"`
	Sound    bool                         `json:"sound,omitempty"`
	MaxChars int                          `json:"max_chars"`
	PreChat  widgetPreChat                `json:"prechat"`
	Files    *widgetFiles                 `json:"files,omitempty"` // nil: visitors cannot attach files
	Identify bool                         `json:"identify,omitempty"`
	// EmailReplies: unseen replies go by email (EmailFollowUp), so the
	// widget offers to take an address when the visitor gave none.
	EmailReplies bool `json:"email_replies,omitempty"`
	// Articles: offer knowledge-base articles (deflection).
	Articles bool `json:"articles,omitempty"`
}

type widgetPreChat struct {
	Name        string             `json:"name"`
	Email       string             `json:"email"`
	Department  string             `json:"department"`
	Departments []DepartmentChoice `json:"departments,omitempty"`
}

// MarshalJSON writes a choice as {"label","to"}.
func (d DepartmentChoice) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"label": d.Label, "to": strings.ToLower(strings.TrimSpace(d.To))})
}

type widgetFiles struct {
	MaxBytes int64    `json:"max_bytes"`
	Types    []string `json:"types"`
	MaxFiles int      `json:"max_files"`
}

// configMarker is where the widget's source expects its config.
const configMarker = "/*threadline:config*/{}"

// widgetAsset is widget.js with the config in it, ready to serve plain
// or gzipped.
type widgetAsset struct {
	plain, gz []byte
	etag      string
}

// buildWidget reads the widget's source and puts the config in.
func (a *Adapter) buildWidget() (widgetAsset, error) {
	src, err := fs.ReadFile(static, "static/widget.js")
	if err != nil {
		return widgetAsset{}, err
	}
	if bytes.Count(src, []byte(configMarker)) != 1 {
		return widgetAsset{}, errors.New("webchat: widget.js lacks its config marker")
	}
	c := a.cfg
	wc := widgetConfig{Language: c.Language, Strings: c.widgetStrings(), Color: c.Theme.Color, Position: c.Theme.Position,
		Mode: c.Theme.Mode, Sound: c.Sound, MaxChars: c.MaxMessageChars, Identify: c.IdentitySecret != "", Articles: a.articlesOn(),
		PreChat:      widgetPreChat{Name: c.PreChat.Name, Email: c.PreChat.Email, Department: c.PreChat.Department, Departments: c.PreChat.Departments},
		EmailReplies: a.emailReplies && c.PreChat.Email != FieldOff}
	if a.filesOn() {
		wc.Files = &widgetFiles{MaxBytes: c.MaxFileBytes, Types: c.AllowedFileTypes, MaxFiles: maxFilesPerMessage}
	}
	j, err := json.Marshal(wc)
	if err != nil {
		return widgetAsset{}, fmt.Errorf("webchat: widget config: %w", err)
	}
	plain := bytes.Replace(src, []byte(configMarker), j, 1)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(plain)
	_ = zw.Close()
	sum := sha256.Sum256(plain)
	return widgetAsset{plain: plain, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

// WidgetSize is the size of widget.js as served: plain and gzipped bytes.
func (a *Adapter) WidgetSize() (plain, gzipped int) { return len(a.asset.plain), len(a.asset.gz) }

func (a *Adapter) widget(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("ETag", a.asset.etag)
	h.Add("Vary", "Accept-Encoding")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.asset.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.asset.plain
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.asset.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reads Accept-Encoding loosely: gzip listed and not q=0.
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.ReplaceAll(params, " ", "") != "q=0"
		}
	}
	return false
}

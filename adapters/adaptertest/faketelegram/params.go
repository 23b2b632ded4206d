package faketelegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// params are a call's parameters, from the query string, a JSON body, a
// form or a multipart form: the Bot API accepts all four.
type params struct {
	vals  map[string]string // JSON arrays/objects are kept as raw JSON
	files map[string]upload
}

type upload struct {
	name, mime string
	data       []byte
}

const maxUpload = 60 << 20

func readParams(r *http.Request) (params, error) {
	p := params{vals: map[string]string{}, files: map[string]upload{}}
	for k, v := range r.URL.Query() {
		p.vals[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload))
		if err != nil {
			return p, err
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return p, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return p, fmt.Errorf("can't parse JSON object")
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				p.vals[k] = s
			} else {
				p.vals[k] = string(raw)
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return p, err
		}
		for k, v := range r.PostForm {
			p.vals[k] = v[0]
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			return p, err
		}
		for k, v := range r.MultipartForm.Value {
			p.vals[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return p, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return p, err
			}
			p.files[k] = upload{name: fhs[0].Filename, mime: fhs[0].Header.Get("Content-Type"), data: data}
		}
	}
	return p, nil
}

func (p params) str(k string) string { return p.vals[k] }

func (p params) int(k string) (int64, bool) {
	v, ok := p.vals[k]
	if !ok || v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func (p params) bool(k string) bool {
	v := strings.ToLower(p.vals[k])
	return v == "true" || v == "1"
}

// list reads a JSON array of strings (allowed_updates).
func (p params) list(k string) []string {
	v, ok := p.vals[k]
	if !ok {
		return nil
	}
	var out []string
	if json.Unmarshal([]byte(v), &out) != nil {
		return nil
	}
	return out
}

func (p params) summary() map[string]string {
	out := make(map[string]string, len(p.vals)+len(p.files))
	for k, v := range p.vals {
		out[k] = v
	}
	for k, f := range p.files {
		out[k] = fmt.Sprintf("<file %s, %d bytes>", f.name, len(f.data))
	}
	return out
}

package contract

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
)

// arg is a parameter as sent: text (query, form or multipart field), a
// decoded JSON value (a JSON body's member) or an uploaded file (a
// multipart file part).
type arg struct {
	text   string
	json   any
	isJSON bool
	isFile bool
}

func (v arg) empty() bool {
	switch {
	case v.isFile:
		return false
	case v.isJSON:
		return v.json == nil || v.json == ""
	}
	return v.text == ""
}

// queryArgs are the query string's parameters.
func queryArgs(r *http.Request) map[string]arg {
	vals := map[string]arg{}
	for k, v := range r.URL.Query() {
		vals[k] = arg{text: v[0]}
	}
	return vals
}

// readArgs adds the parameters in body to vals: a form, a multipart form
// or, when jsonBody is true, a JSON object. api names the platform's API
// in problems ("the Web API"); it returns the problems found.
func readArgs(r *http.Request, body []byte, jsonBody bool, api string, vals map[string]arg) []string {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return []string{fmt.Sprintf("body with no usable Content-Type (%q)", r.Header.Get("Content-Type"))}
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return []string{fmt.Sprintf("form body does not parse: %v", err)}
		}
		for k, v := range form {
			vals[k] = arg{text: v[0]}
		}
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return []string{fmt.Sprintf("multipart body does not parse: %v", err)}
			}
			data, _ := io.ReadAll(part)
			if part.FileName() != "" {
				vals[part.FormName()] = arg{isFile: true}
			} else {
				vals[part.FormName()] = arg{text: string(data)}
			}
		}
	case "application/json":
		if !jsonBody {
			return []string{"the method does not take a JSON body (send the arguments form-encoded)"}
		}
		v, err := decodeJSON(body)
		obj, ok := v.(map[string]any)
		if err != nil || !ok {
			return []string{"JSON body is not an object"}
		}
		for k, x := range obj {
			vals[k] = arg{json: x, isJSON: true}
		}
	default:
		return []string{fmt.Sprintf("Content-Type %s is not one %s takes", mt, api)}
	}
	return nil
}

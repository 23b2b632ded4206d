package fakemattermost

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checker holds the REST calls the fake receives to what Mattermost's API
// documentation says it accepts (docs/mattermost.md, "What the fake
// relies on"): the routes, bearer tokens, the required fields of each
// body, id formats, the post length and file limits, and action ids a
// click can reach. No machine-readable description is kept in the
// repository's platform specs for Mattermost, so the rules are written
// out here, each from its source.
type checker struct{ s *Server }

var (
	idRE     = regexp.MustCompile(`^[a-z0-9]{26}$`)
	actionRE = regexp.MustCompile(`^[A-Za-z0-9]+$`) // the click route: /posts/{post_id}/actions/{action_id:[A-Za-z0-9]+}
	emojiRE  = regexp.MustCompile(`^[a-z0-9_+-]{1,64}$`)
)

func (c checker) Check(r *http.Request, body []byte) []string {
	var out []string
	add := func(format string, args ...any) {
		out = append(out, r.Method+" "+r.URL.Path+": "+fmt.Sprintf(format, args...))
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		add("no \"Authorization: Bearer <token>\" header (every API call needs the session or access token)")
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v4/"), "/")
	ids := func(vals ...string) {
		for _, v := range vals {
			if v != "me" && !idRE.MatchString(v) {
				add("%q is not a Mattermost id (26 lower-case letters and digits)", v)
			}
		}
	}
	obj := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			add("the body is not a JSON object: %v", err)
			return nil
		}
		return m
	}
	str := func(m map[string]any, key string, required bool) string {
		v, ok := m[key]
		if !ok {
			if required {
				add("%s is required", key)
			}
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			add("%s must be a string", key)
		}
		return s
	}
	route := r.Method + " " + strings.Join(parts, "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "users":
		ids(parts[1])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "users" && parts[1] == "username":
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "channels":
		ids(parts[1])
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "channels" && parts[2] == "members":
		ids(parts[1], parts[3])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "channels" && parts[2] == "posts":
		ids(parts[1])
		if v := r.URL.Query().Get("since"); v != "" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				add("since must be a time in milliseconds")
			}
		}
	case route == "POST posts":
		m := obj()
		if m == nil {
			break
		}
		ids(str(m, "channel_id", true))
		msg := str(m, "message", true)
		if root := str(m, "root_id", false); root != "" {
			ids(root)
		}
		c.post(add, msg, m)
	case r.Method == http.MethodPut && len(parts) == 3 && parts[0] == "posts" && parts[2] == "patch":
		ids(parts[1])
		if m := obj(); m != nil {
			msg, _ := m["message"].(string)
			c.post(add, msg, m)
		}
	case (r.Method == http.MethodGet || r.Method == http.MethodDelete) && len(parts) == 2 && parts[0] == "posts":
		ids(parts[1])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "posts" && parts[2] == "thread":
		ids(parts[1])
	case route == "POST posts/ephemeral":
		m := obj()
		if m == nil {
			break
		}
		ids(str(m, "user_id", true))
		p, ok := m["post"].(map[string]any)
		if !ok {
			add("post is required (an object with channel_id and message)")
			break
		}
		ids(str(p, "channel_id", true))
		str(p, "message", true)
	case route == "POST reactions":
		m := obj()
		if m == nil {
			break
		}
		ids(str(m, "user_id", true), str(m, "post_id", true))
		if e := str(m, "emoji_name", true); !emojiRE.MatchString(e) {
			add("emoji_name %q is not an emoji name", e)
		}
	case route == "GET config/client":
		if r.URL.Query().Get("format") != "old" {
			add("format=old is required (the new format is not supported yet)")
		}
	case route == "POST files":
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
			add("the body must be multipart/form-data with files and channel_id")
		}
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "files":
		ids(parts[1])
	default:
		add("not a route of the REST API v4 the fake knows")
	}
	return out
}

// post checks a post's message and props: the length limit, file ids (at
// most 5 per post) and the buttons of its attachments.
func (c checker) post(add func(string, ...any), msg string, m map[string]any) {
	if n := utf8.RuneCountInString(msg); n > maxPostRunes {
		add("message has %d characters; posts are limited to %d", n, maxPostRunes)
	}
	if f, ok := m["file_ids"].([]any); ok && len(f) > 5 {
		add("%d file_ids; posts are limited to 5 files", len(f))
	}
	props, _ := m["props"].(map[string]any)
	atts, _ := props["attachments"].([]any)
	for i, a := range atts {
		am, _ := a.(map[string]any)
		acts, _ := am["actions"].([]any)
		for j, x := range acts {
			act, _ := x.(map[string]any)
			id, _ := act["id"].(string)
			if !actionRE.MatchString(id) {
				add("attachments[%d].actions[%d].id %q: clicks are routed to /posts/{post_id}/actions/{action_id:[A-Za-z0-9]+}, so this button could never be clicked", i, j, id)
			}
			if name, _ := act["name"].(string); name == "" {
				add("attachments[%d].actions[%d] has no name (the button's label)", i, j)
			}
			in, _ := act["integration"].(map[string]any)
			u, _ := in["url"].(string)
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				add("attachments[%d].actions[%d].integration.url %q is not an absolute http(s) URL", i, j, u)
			}
		}
	}
}

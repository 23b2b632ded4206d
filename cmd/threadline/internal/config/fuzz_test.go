package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary config files to the loader: it never panics,
// reports problems as Errors with file and line, and a config it accepts
// has every default filled in. Inputs naming secret files are skipped (the
// loader would read them from this machine).
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../../../../config.yaml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"http:\n  listen: 127.0.0.1:0\nconsole: {enabled: true}\n",
		"webchat: {enabled: yes please, token_secret: short}\nbogus: 1\n",
		"slack: {bot_token: ${SLACK_TOKEN:-xoxb-1}, channel_id: C1, app_token: xapp-1}\n",
		"telegram: 123456:AAEsecret\n",
		"departments:\n  billing: {members: [\"slack:U1\"], members_only: true}\nrules:\n  - {name: r, when: {keywords: [x]}, set: {department: billing}}\n",
		"sla: {policies: [{name: p, first_response: 1h}]}\n",
		"outbox: {workers: -1, base_backoff: 1h, max_backoff: 1s}\n",
		"store: {synchronous: sometimes}\n",
		"a: &a [*a]\n", "- - - -\n", "{", "\t", "",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	env := MapEnv(map[string]string{"SLACK_TOKEN": "xoxb-env", "HOME": "/home/x"})
	f.Fuzz(func(t *testing.T, data []byte) {
		if strings.Contains(string(data), "_file") {
			return
		}
		cfg, err := Parse(dir+"/config.yaml", data, env)
		if err != nil {
			var problems Errors
			if !errors.As(err, &problems) || len(problems) == 0 {
				t.Fatalf("error %T %v, want config.Errors", err, err)
			}
			for _, p := range problems {
				if p.File != dir+"/config.yaml" || p.Msg == "" {
					t.Fatalf("problem without file or message: %+v", p)
				}
			}
			return
		}
		if cfg.Store.Path == "" || cfg.HTTP.Listen == "" || cfg.Commands.Prefix == "" || cfg.Outbox.Workers <= 0 {
			t.Fatalf("accepted config without defaults: %+v", cfg)
		}
	})
}

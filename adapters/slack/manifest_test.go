package slack

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestManifestIsValidYAML(t *testing.T) {
	for _, socket := range []bool{true, false} {
		m := Manifest(socket, "https://help.example.com/", "/ticket")
		var v map[string]any
		if err := yaml.Unmarshal([]byte(m), &v); err != nil {
			t.Fatalf("socket=%v: %v\n%s", socket, err, m)
		}
		has := strings.Contains(m, "https://help.example.com/slack/events")
		if has == socket {
			t.Errorf("socket=%v: request URLs present=%v", socket, has)
		}
		for _, s := range Scopes() {
			if !strings.Contains(m, "- "+s[0]) {
				t.Errorf("scope %s missing", s[0])
			}
		}
	}
}

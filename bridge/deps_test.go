package bridge_test

import (
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/clocktest"
	"github.com/threadlinehq/threadline/store/storetest"
)

// An adapter's Init refuses to start without the dependencies every
// adapter needs, and says which ones and whose Init it was.
func TestDepsValidateNamesWhatIsMissing(t *testing.T) {
	st := storetest.Open(t)
	for _, tc := range []struct {
		name    string
		deps    bridge.Deps
		missing []string
	}{
		{"nothing", bridge.Deps{}, []string{"Deps.Clock", "Deps.Store"}},
		{"no store", bridge.Deps{Clock: clocktest.Monday()}, []string{"Deps.Store"}},
		{"no clock", bridge.Deps{Store: st}, []string{"Deps.Clock"}},
		{"complete", bridge.Deps{Clock: clocktest.Monday(), Store: st}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.deps.Validate("slack")
			if len(tc.missing) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), "slack: ") {
				t.Fatalf("Validate = %v, want an error naming slack", err)
			}
			for _, m := range tc.missing {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Validate = %v, want it to name %s", err, m)
				}
			}
		})
	}
	if err := (bridge.Deps{}).RequireCore("email"); err == nil || !strings.Contains(err.Error(), "email") || !strings.Contains(err.Error(), "Deps.Core") {
		t.Errorf("RequireCore = %v, want an error naming email and Deps.Core", err)
	}
}

// The optional dependencies have working defaults: no log is a silent
// one, no transport is the default one, no prefix is "!".
func TestDepsDefaults(t *testing.T) {
	var d bridge.Deps
	d.Logger("surface", "slack").Info("dropped")
	if d.Transport() == nil || d.Prefix() != "!" {
		t.Errorf("Transport %v, Prefix %q", d.Transport(), d.Prefix())
	}
	d.CommandPrefix = "/"
	if d.Prefix() != "/" {
		t.Errorf("Prefix %q, want the configured /", d.Prefix())
	}
}

package contract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvDir names a directory holding the descriptions (slack/, discord/,
// telegram/ as in shared/platform-specs); it overrides the search.
const EnvDir = "THREADLINE_PLATFORM_SPECS"

// specsPath is where the descriptions live relative to a directory above
// the repository: the developers' guide keeps them in ../shared, outside
// the repository, so they are never copied into it.
const specsPath = "shared/platform-specs"

// ErrNoSpecs is returned by Dir when no descriptions are found.
var ErrNoSpecs = errors.New("platform API descriptions not found")

// Dir finds the descriptions: $THREADLINE_PLATFORM_SPECS if set, else the
// first shared/platform-specs found walking up from the working directory
// (tests run in their package's directory, below the repository root), else
// walking up from this source file (for a test that changed directory).
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if isDir(d) {
			return d, nil
		}
		return "", fmt.Errorf("%w: %s=%s is not a directory", ErrNoSpecs, EnvDir, d)
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			if c := filepath.Join(d, specsPath); isDir(c) {
				return c, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("%w: no %s above %v (set %s)", ErrNoSpecs, specsPath, starts, EnvDir)
}

// Required reports whether missing descriptions are a failure rather than
// a reason to skip: in CI they must be there, on a developer's machine
// they may not be.
func Required() bool { return os.Getenv("CI") == "true" }

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Need returns the descriptions' directory to a test that needs them:
// without them the test fails in CI (Required) and is skipped elsewhere.
func Need(t testing.TB) string {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		if Required() {
			t.Fatalf("%v; CI=true, so the contract check may not be skipped", err)
		}
		t.Skipf("%v; outside CI the contract check is skipped", err)
	}
	return dir
}

package bridge

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads "90s", "15m", "72h" and "3d" from
// config files.
type Duration time.Duration

// UnmarshalText parses Go durations plus a "d" (24h) suffix.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "0" {
		*d = 0
		return nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("invalid duration %q (examples: 90s, 15m, 4h, 3d)", s)
		}
		*d = Duration(n * float64(24*time.Hour))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q (examples: 90s, 15m, 4h, 3d)", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalText prints the duration the way it is read.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

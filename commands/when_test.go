package commands

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 3, 4, 15, 30, 0, 0, berlin) // a Wednesday
	for in, want := range map[string]string{
		"2h":               "2026-03-04 17:30",
		"90m":              "2026-03-04 17:00",
		"3d":               "2026-03-07 15:30",
		"1w":               "2026-03-11 15:30",
		"tomorrow":         "2026-03-05 09:00",
		"tomorrow 14:15":   "2026-03-05 14:15",
		"today 18:00":      "2026-03-04 18:00",
		"17:00":            "2026-03-04 17:00",
		"08:00":            "2026-03-05 08:00",
		"friday":           "2026-03-06 09:00",
		"wed":              "2026-03-11 09:00",
		"monday 10:30":     "2026-03-09 10:30",
		"2026-12-01":       "2026-12-01 09:00",
		"2026-12-01 13:45": "2026-12-01 13:45",
	} {
		got, err := ParseWhen(in, now, berlin)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if s := got.In(berlin).Format("2006-01-02 15:04"); s != want {
			t.Errorf("%q = %s, want %s", in, s, want)
		}
	}
	for _, bad := range []string{"", "soon", "25:00", "tomorrow noon", "-2h", "2026-13-01", "monday 9 am"} {
		if _, err := ParseWhen(bad, now, berlin); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

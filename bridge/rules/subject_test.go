package rules

import "testing"

func TestThreadSubject(t *testing.T) {
	for in, want := range map[string]string{
		"Login problem":                    "login problem",
		"Re: Login problem":                "login problem",
		"AW: RE: Login  problem":           "login problem",
		"Fwd: Re: [Support] Login problem": "login problem",
		"Re[2]: Login problem [#42]":       "login problem [#42]",
		"[#42] Re: Login problem":          "login problem",
		"SV: Ответ: Вход не работает":      "вход не работает",
		"Re:":                "",
		"":                   "",
		"Reminder: invoice":  "reminder: invoice",
		"Regarding my order": "regarding my order",
	} {
		if got := ThreadSubject(in); got != want {
			t.Errorf("ThreadSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

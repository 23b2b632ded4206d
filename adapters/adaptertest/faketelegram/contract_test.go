package faketelegram_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
	"github.com/threadlinehq/threadline/adapters/adaptertest/faketelegram"
)

func TestFakeChecksEveryCallAgainstTheBotAPIDescription(t *testing.T) {
	contract.Need(t)
	f := faketelegram.New("")
	defer f.Close()
	send := func(method, body string) {
		t.Helper()
		res, err := http.Post(f.URL()+"/bot"+f.Token()+"/"+method, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	send("sendMessage", `{"chat_id":5150,"text":"hi"}`)
	if v := f.TakeViolations(); len(v) != 0 {
		t.Fatalf("a call Telegram accepts was refused: %q", v)
	}
	send("sendMessage", `{"chat_id":5150}`)
	send("getUpdates", `{"timeout":"soon"}`)
	got := strings.Join(f.TakeViolations(), "\n")
	for _, want := range []string{`sendMessage: required parameter "text" is missing`, `timeout: "soon" is a string, want an Integer`} {
		if !strings.Contains(got, want) {
			t.Errorf("violations %q lack %q", got, want)
		}
	}
}

package fakeslack_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
)

func call(t *testing.T, f *fakeslack.Server, method string, v url.Values) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.APIURL()+method, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+f.BotToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func TestFakeChecksEveryCallAgainstSlacksDescription(t *testing.T) {
	contract.Need(t)
	f := fakeslack.New()
	defer f.Close()
	f.SetChannel(fakeslack.Channel{ID: "C0STAFF01", Member: true})
	call(t, f, "chat.postMessage", url.Values{"channel": {"C0STAFF01"}, "text": {"hi"}})
	if v := f.TakeViolations(); len(v) != 0 {
		t.Fatalf("a call Slack accepts was refused: %q", v)
	}
	call(t, f, "chat.postMessage", url.Values{"text": {"no channel"}})
	call(t, f, "conversations.replies", url.Values{"channel": {"C0STAFF01"}, "ts": {"1.2"}, "limit": {"ten"}})
	got := strings.Join(f.TakeViolations(), "\n")
	for _, want := range []string{`chat.postMessage: required parameter "channel" is missing`, `"ten" is not an integer`} {
		if !strings.Contains(got, want) {
			t.Errorf("violations %q lack %q", got, want)
		}
	}
}

// TestFakeCloseFailsTheTestOnAViolationNobodyTook is what every test
// using the fake relies on: it needs no change to be checked.
func TestFakeCloseFailsTheTestOnAViolationNobodyTook(t *testing.T) {
	contract.Need(t)
	f := fakeslack.New()
	call(t, f, "chat.postMesage", url.Values{"channel": {"C0STAFF01"}})
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "chat.postMesage: no such method") {
			t.Errorf("Close panicked with %q; want the violation", msg)
		}
	}()
	f.Close()
	t.Error("Close did not panic")
}

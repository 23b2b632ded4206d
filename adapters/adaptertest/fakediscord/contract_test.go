package fakediscord_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/contract"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakediscord"
)

func TestFakeChecksEveryCallAgainstDiscordsDescription(t *testing.T) {
	contract.Need(t)
	f := fakediscord.New(fakediscord.Options{})
	defer f.Close()
	ch := f.AddTextChannel("support")
	send := func(method, path, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, f.APIURL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bot "+f.Token())
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	send("POST", "/channels/"+ch+"/messages", `{"content":"hi"}`)
	send("GET", "/channels/"+ch+"/messages?limit=10", "")
	if v := f.TakeViolations(); len(v) != 0 {
		t.Fatalf("calls Discord accepts were refused: %q", v)
	}
	send("POST", "/channels/"+ch+"/messages", `{"content":5}`)
	send("GET", "/channels/"+ch+"/messages?limit=1000", "")
	got := strings.Join(f.TakeViolations(), "\n")
	for _, want := range []string{"body.content: 5 is an integer", "query limit: 1000 is above the maximum 100"} {
		if !strings.Contains(got, want) {
			t.Errorf("violations %q lack %q", got, want)
		}
	}
}

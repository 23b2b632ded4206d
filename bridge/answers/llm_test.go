package answers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeopenai"
	"github.com/threadlinehq/threadline/bridge/answers"
	"github.com/threadlinehq/threadline/bridge/clocktest"
)

func newLLM(t *testing.T, f *fakeopenai.Server, o answers.LLMOptions) *answers.LLM {
	t.Helper()
	o.URL = f.BaseURL()
	if o.Model == "" {
		o.Model = "llama3.1"
	}
	c, err := answers.NewLLM(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var hello = []answers.ChatMessage{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Where is my parcel?\nIt is late."}}

func TestLLMSendsOneChatCompletionWithStreamingOff(t *testing.T) {
	f := fakeopenai.New()
	defer f.Close()
	f.Key = "sk-test"
	c := newLLM(t, f, answers.LLMOptions{APIKey: "sk-test", MaxTokens: 300})
	got, err := c.Complete(context.Background(), hello)
	if err != nil || got != "Reply to: Where is my parcel?" {
		t.Fatalf("Complete = %q, %v", got, err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Model != "llama3.1" || r.Stream == nil || *r.Stream || r.MaxTokens != 300 || r.System() != "Be brief." || r.Authorization != "Bearer sk-test" {
		t.Errorf("request %+v", r)
	}
}

func TestLLMErrorsSayWhatHappened(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp fakeopenai.Response
		kind string
		want string
	}{
		{"server error", fakeopenai.Response{Status: 500, Error: "model crashed"}, "unavailable", "HTTP 500: model crashed"},
		{"bad model", fakeopenai.Response{Status: 404, Error: "model \"llama9\" not found, try pulling it first"}, "refused", "model \"llama9\" not found"},
		{"garbage", fakeopenai.Response{Raw: "<html>proxy error</html>"}, "bad_answer", "not the chat-completions JSON"},
		{"empty", fakeopenai.Response{Raw: `{"choices":[{"message":{"role":"assistant","content":"  "}}]}`}, "bad_answer", "an empty answer"},
		{"gateway timeout", fakeopenai.Response{Status: 504, Error: "upstream timed out"}, "timeout", "did not answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fakeopenai.New()
			defer f.Close()
			f.Push(tc.resp)
			_, err := newLLM(t, f, answers.LLMOptions{}).Complete(context.Background(), hello)
			var le *answers.LLMError
			if !errors.As(err, &le) || le.Kind != tc.kind || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v (%+v), want kind %s containing %q", err, le, tc.kind, tc.want)
			}
		})
	}
}

func TestLLMWrongKeyIsRefused(t *testing.T) {
	f := fakeopenai.New()
	defer f.Close()
	f.Key = "right"
	_, err := newLLM(t, f, answers.LLMOptions{APIKey: "wrong"}).Complete(context.Background(), hello)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401: Incorrect API key") {
		t.Errorf("err %v", err)
	}
}

func TestLLMTimesOutAndSaysSo(t *testing.T) {
	f := fakeopenai.New()
	defer f.Close()
	f.Push(fakeopenai.Response{Content: "too late", Delay: 5 * time.Second})
	start := time.Now()
	_, err := newLLM(t, f, answers.LLMOptions{Timeout: 100 * time.Millisecond}).Complete(context.Background(), hello)
	var le *answers.LLMError
	if !errors.As(err, &le) || le.Kind != "timeout" || !strings.Contains(err.Error(), "100ms") {
		t.Errorf("err %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("the timeout did not cut the request: %s", time.Since(start))
	}
}

func TestLLMRateLimitedWaitsForRetryAfterWithoutAsking(t *testing.T) {
	f := fakeopenai.New()
	defer f.Close()
	clock := clocktest.Monday()
	f.Push(fakeopenai.Response{Status: 429, Error: "Rate limit reached", RetryAfter: "20"})
	c := newLLM(t, f, answers.LLMOptions{Clock: clock})
	_, err := c.Complete(context.Background(), hello)
	var le *answers.LLMError
	if !errors.As(err, &le) || le.Kind != "rate_limited" || le.RetryAfter != 20*time.Second || !strings.Contains(err.Error(), "try again in 20s") {
		t.Fatalf("err %v", err)
	}
	clock.Advance(15 * time.Second)
	_, err = c.Complete(context.Background(), hello)
	if !errors.As(err, &le) || le.Kind != "rate_limited" || le.RetryAfter != 5*time.Second {
		t.Errorf("within Retry-After: %v", err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("the endpoint was asked %d times during its Retry-After", n)
	}
	clock.Advance(6 * time.Second)
	if got, err := c.Complete(context.Background(), hello); err != nil || got == "" {
		t.Errorf("after Retry-After: %q %v", got, err)
	}
}

func TestLLMUnreachableEndpoint(t *testing.T) {
	f := fakeopenai.New()
	url := f.BaseURL()
	f.Close()
	c, err := answers.NewLLM(answers.LLMOptions{URL: url, Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Complete(context.Background(), hello)
	var le *answers.LLMError
	if !errors.As(err, &le) || le.Kind != "unavailable" || !strings.Contains(err.Error(), "cannot be reached") {
		t.Errorf("err %v", err)
	}
}

func TestChatURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:11434/v1":           "http://localhost:11434/v1/chat/completions",
		"http://localhost:11434":              "http://localhost:11434/v1/chat/completions",
		"https://api.example.com/v1/":         "https://api.example.com/v1/chat/completions",
		"http://gpu:8000/v1/chat/completions": "http://gpu:8000/v1/chat/completions",
		"https://proxy.example.com/openai":    "https://proxy.example.com/openai/v1/chat/completions",
	} {
		if got, err := answers.ChatURL(in); err != nil || got != want {
			t.Errorf("ChatURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "localhost:11434", "ftp://x/v1", "http://"} {
		if _, err := answers.ChatURL(bad); err == nil {
			t.Errorf("ChatURL(%q) accepted", bad)
		}
	}
	if _, err := answers.NewLLM(answers.LLMOptions{URL: "http://localhost:11434/v1"}); err == nil {
		t.Error("no model accepted")
	}
}

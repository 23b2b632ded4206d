package whatsapp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
	"github.com/threadlinehq/threadline/adapters/whatsapp"
)

func TestCallbackVerificationEchoesTheChallengeOnlyForTheVerifyToken(t *testing.T) {
	f := newFixture(t, nil)
	url := f.hook.URL + whatsapp.WebhookPath
	ctx := context.Background()
	status, body, err := f.fake.VerifyCallback(ctx, url, fakewhatsapp.VerifyToken, "1158201444")
	if err != nil || status != http.StatusOK || body != "1158201444" {
		t.Fatalf("right token: %d %q %v", status, body, err)
	}
	for _, tc := range []struct {
		name, token, challenge string
		want                   int
	}{
		{"wrong verify token", "guess", "1158201444", http.StatusForbidden},
		{"empty verify token", "", "1158201444", http.StatusForbidden},
		{"a challenge that is markup", fakewhatsapp.VerifyToken, "<script>alert(1)</script>", http.StatusBadRequest},
		{"no challenge", fakewhatsapp.VerifyToken, "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := f.fake.VerifyCallback(ctx, url, tc.token, tc.challenge)
			if err != nil || status != tc.want || (tc.challenge != "" && strings.Contains(body, tc.challenge)) {
				t.Errorf("got %d %q %v, want %d without the challenge", status, body, err, tc.want)
			}
		})
	}
	res, err := http.Get(url + "?hub.mode=unsubscribe&hub.verify_token=" + fakewhatsapp.VerifyToken + "&hub.challenge=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("hub.mode other than subscribe: %d", res.StatusCode)
	}
}

func TestWebhookPostsWithoutTheAppSecretsSignatureAreRefusedAndNotStored(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SetWebhook("") // this test posts by hand
	url := f.hook.URL + whatsapp.WebhookPath
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` +
		`"contacts":[{"profile":{"name":"Mallory"},"wa_id":"4915100000000"}],` +
		`"messages":[{"from":"4915100000000","id":"wamid.forged1","timestamp":"1749416383","type":"text","text":{"body":"forged"}}]}}]}]}`)
	ctx := context.Background()
	for _, tc := range []struct{ name, sig string }{
		{"no signature", ""},
		{"signed with another secret", fakewhatsapp.Sign(body, "not-the-app-secret")},
		{"signature of another body", fakewhatsapp.Sign([]byte(`{}`), f.fake.AppSecret())},
		{"not hex", "sha256=zz"},
		{"sha1 instead of sha256", "sha1=" + strings.TrimPrefix(fakewhatsapp.Sign(body, f.fake.AppSecret()), "sha256=")},
		{"truncated", fakewhatsapp.Sign(body, f.fake.AppSecret())[:40]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, err := f.fake.PostWebhook(ctx, url, body, tc.sig)
			if err != nil || status != http.StatusUnauthorized {
				t.Errorf("got %d %v, want 401", status, err)
			}
		})
	}
	if n := len(f.in.delivered()); n != 0 {
		t.Fatalf("%d forged messages stored", n)
	}
	status, err := f.fake.PostWebhook(ctx, url, body, fakewhatsapp.Sign(body, f.fake.AppSecret()))
	if err != nil || status != http.StatusOK {
		t.Fatalf("genuine post: %d %v", status, err)
	}
	if got := f.in.waitFor(t, 1)[0].msg.Text; got != "forged" {
		t.Errorf("stored %q", got)
	}
	// Other methods are not served.
	req, _ := http.NewRequest(http.MethodPut, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", res.StatusCode)
	}
}

func TestValidSignatureIsHMACSHA256OfTheRawBody(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account"}`)
	sig := fakewhatsapp.Sign(body, "s3cret")
	if !whatsapp.ValidSignature(body, sig, "s3cret") {
		t.Fatal("a correct signature was refused")
	}
	for _, tc := range []struct {
		name        string
		body        []byte
		sig, secret string
	}{
		{"body changed by one byte", []byte(string(body[:len(body)-1]) + " "), sig, "s3cret"},
		{"other secret", body, sig, "other"},
		{"empty secret configured", body, fakewhatsapp.Sign(body, ""), ""},
		{"upper-case prefix", body, "SHA256=" + strings.TrimPrefix(sig, "sha256="), "s3cret"},
	} {
		if whatsapp.ValidSignature(tc.body, tc.sig, tc.secret) {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakewhatsapp"
)

// doctorWhatsApp runs doctor on a config with only the console and
// WhatsApp (pointed at the fake) plus extra.
func doctorWhatsApp(t *testing.T, fake *fakewhatsapp.Server, token, ids, extra string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := testConfig + `whatsapp:
  token: ` + token + `
  api_url: ` + fake.URL() + `
  phone_number_ids: [` + ids + `]
  verify_token: ` + fakewhatsapp.VerifyToken + `
  app_secret: ` + fake.AppSecret() + `
` + extra
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "--config", path, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	return runCLI(t, "--config", path, "doctor", "--timeout", "10s")
}

func TestDoctorChecksTheWhatsAppTokenNumbersAndCallbackURL(t *testing.T) {
	fake := fakewhatsapp.New()
	fake.ReportTo(t)
	defer fake.Close()
	code, out, progress := doctorWhatsApp(t, fake, fake.Token(), fakewhatsapp.DefaultNumber.ID, "public_url: https://support.example.invalid\n")
	if code != 0 {
		t.Errorf("exit %d, want 0 (the callback URL is only a warning from here):\n%s", code, out)
	}
	for _, want := range []string{
		"PASS  whatsapp  phone number " + fakewhatsapp.DefaultNumber.ID + ": +15550783881 (ACME Support), quality GREEN",
		"WARN  whatsapp  callback URL: GET https://support.example.invalid/whatsapp/webhook: the callback URL did not answer",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if !strings.Contains(progress, "… whatsapp: GET "+fake.URL()+"/"+fakewhatsapp.DefaultNumber.ID) {
		t.Errorf("progress:\n%s", progress)
	}
	for _, secret := range []string{fake.Token(), fake.AppSecret(), fakewhatsapp.VerifyToken} {
		if strings.Contains(out+progress, secret) {
			t.Errorf("secret %q printed:\n%s\n%s", secret, out, progress)
		}
	}
	if len(fake.AllSent()) != 0 {
		t.Error("doctor sent a message")
	}
}

func TestDoctorWhatsAppFailures(t *testing.T) {
	fake := fakewhatsapp.New()
	fake.ReportTo(t)
	defer fake.Close()
	for _, tc := range []struct {
		name, token, ids, extra string
		want                    []string
	}{
		{"refused token", "EAAG-revoked", fakewhatsapp.DefaultNumber.ID, "",
			[]string{"FAIL  whatsapp  phone number " + fakewhatsapp.DefaultNumber.ID + ": whatsapp get phone number: HTTP 401, code 190", "fix: WHATSAPP_TOKEN was refused or has expired"}},
		{"not a number of the account", fake.Token(), fakewhatsapp.DefaultNumber.ID + ", 999999999999", "",
			[]string{"FAIL  whatsapp  phone number 999999999999", `fix: the id is not a phone number this token may use: copy "Phone number ID"`}},
		{"callback URL not https", fake.Token(), fakewhatsapp.DefaultNumber.ID, "public_url: http://support.example.com\n",
			[]string{"FAIL  whatsapp  callback URL: public_url http://support.example.com is not https://", "fix: set public_url"}},
		{"callback URL private", fake.Token(), fakewhatsapp.DefaultNumber.ID, "public_url: https://10.0.0.7\n",
			[]string{"FAIL  whatsapp  callback URL: public_url https://10.0.0.7 is a local or private address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := doctorWhatsApp(t, fake, tc.token, tc.ids, tc.extra)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("missing %q in:\n%s", want, out)
				}
			}
		})
	}
	fake.TakeViolations() // the revoked token's calls are what they are
}

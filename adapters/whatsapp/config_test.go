package whatsapp_test

import (
	"strings"
	"testing"

	"github.com/threadlinehq/threadline/adapters/whatsapp"
)

func TestConfigNeedsTheNumberTheVerifyTokenAndTheAppSecretOnceATokenIsSet(t *testing.T) {
	var off whatsapp.Config
	off.Defaults()
	if err := off.Validate(); err != nil || off.Enabled() {
		t.Fatalf("no token: %v", err)
	}
	c := whatsapp.Config{Token: "EAAG"}
	c.Defaults()
	err := c.Validate()
	for _, want := range []string{"phone_number_ids", "verify_token", "app_secret"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %s not reported: %v", want, err)
		}
	}
	c = whatsapp.Config{Token: "Bearer EAAG", PhoneNumberIDs: []string{" 106540352242922, 333333333333333 "}, VerifyToken: "v", AppSecret: "s"}
	c.Defaults()
	if err := c.Validate(); err != nil || c.Token != "EAAG" || len(c.PhoneNumberIDs) != 2 || c.APIURL != whatsapp.DefaultAPIURL || c.TemplateLanguage != "en_US" {
		t.Errorf("valid config: %+v %v", c, err)
	}
	c.PhoneNumberIDs = []string{"+15550783881", "106540352242922", "106540352242922"}
	c.TemplateLanguage = "english"
	err = c.Validate()
	for _, want := range []string{`phone_number_ids[0]: "+15550783881" is not a phone number id`, "phone_number_ids[2]: 106540352242922 is listed twice", "template_language"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "EAAG") {
		t.Error("the token is in the error")
	}
}

func TestEnvironmentOverridesTheFile(t *testing.T) {
	c := whatsapp.Config{Token: "file", PhoneNumberIDs: []string{"1"}}
	env := map[string]string{"WHATSAPP_TOKEN": "env", "WHATSAPP_PHONE_NUMBER_ID": "106540352242922,333333333333333",
		"WHATSAPP_VERIFY_TOKEN": "vt", "WHATSAPP_APP_SECRET": "sec", "WHATSAPP_API_URL": "http://127.0.0.1:9/v23.0/"}
	c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	c.Defaults()
	if c.Token != "env" || strings.Join(c.PhoneNumberIDs, " ") != "106540352242922 333333333333333" || c.VerifyToken != "vt" || c.AppSecret != "sec" || c.APIURL != "http://127.0.0.1:9/v23.0" {
		t.Errorf("%+v", c)
	}
}

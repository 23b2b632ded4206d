package whatsapp

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
)

// DefaultAPIURL is the Graph API version this adapter was written against
// (the version of Meta's published OpenAPI description of the Cloud API).
const DefaultAPIURL = "https://graph.facebook.com/v23.0"

// Config is the whatsapp section of config.yaml. The channel is on when
// Token is set (env WHATSAPP_TOKEN).
type Config struct {
	// Token is a system user access token with the
	// whatsapp_business_messaging permission (env WHATSAPP_TOKEN).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// PhoneNumberIDs are the business phone numbers customers write to, by
	// their phone number id (env WHATSAPP_PHONE_NUMBER_ID, comma-separated).
	// Each is a way in: routing rules match it, or the number itself, with
	// when.to. Webhooks for other numbers of the account are ignored.
	PhoneNumberIDs []string `yaml:"phone_number_ids"`
	// APIURL is the Graph API base with its version (env WHATSAPP_API_URL).
	APIURL string `yaml:"api_url"`
	// VerifyToken is the string entered as "Verify token" with the callback
	// URL in the app dashboard (env WHATSAPP_VERIFY_TOKEN).
	VerifyToken     string `yaml:"verify_token"`
	VerifyTokenFile string `yaml:"verify_token_file"`
	// AppSecret is the Meta app's secret: every webhook POST must carry its
	// HMAC-SHA256 signature (env WHATSAPP_APP_SECRET).
	AppSecret     string `yaml:"app_secret"`
	AppSecretFile string `yaml:"app_secret_file"`
	// MaxFileBytes caps downloaded customer files; larger ones are kept as
	// a note only (default 25 MB; WhatsApp allows documents up to 100 MB).
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// TemplateLanguage is the language of templates sent without one
	// (!wa-template name ...), e.g. en_US (default en_US).
	TemplateLanguage string `yaml:"template_language"`
	// AnonymousReplies hides the staff member's name on replies; by default
	// each reply starts with the author's name in bold.
	AnonymousReplies bool `yaml:"anonymous_replies"`
	// LinkPreviews lets WhatsApp show a preview of the first link in a
	// reply (off by default: a preview fetches the page).
	LinkPreviews bool `yaml:"link_previews"`
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(strings.TrimSpace(c.APIURL), "/")
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = 25 << 20
	}
	if c.TemplateLanguage == "" {
		c.TemplateLanguage = "en_US"
	}
	c.Token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Token), "Bearer "))
	c.VerifyToken = strings.TrimSpace(c.VerifyToken)
	c.AppSecret = strings.TrimSpace(c.AppSecret)
	var ids []string
	for _, id := range c.PhoneNumberIDs {
		for _, part := range strings.Split(id, ",") {
			if p := strings.TrimSpace(part); p != "" {
				ids = append(ids, p)
			}
		}
	}
	c.PhoneNumberIDs = ids
}

// ApplyEnv reads WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID (comma-separated
// for several numbers), WHATSAPP_API_URL, WHATSAPP_VERIFY_TOKEN and
// WHATSAPP_APP_SECRET; set variables override the file.
func (c *Config) ApplyEnv(env func(string) (string, bool)) {
	for _, kv := range []struct {
		dst *string
		key string
	}{
		{&c.Token, "WHATSAPP_TOKEN"},
		{&c.APIURL, "WHATSAPP_API_URL"},
		{&c.VerifyToken, "WHATSAPP_VERIFY_TOKEN"},
		{&c.AppSecret, "WHATSAPP_APP_SECRET"},
	} {
		if v, ok := env(kv.key); ok && strings.TrimSpace(v) != "" {
			*kv.dst = strings.TrimSpace(v)
		}
	}
	if v, ok := env("WHATSAPP_PHONE_NUMBER_ID"); ok && strings.TrimSpace(v) != "" {
		c.PhoneNumberIDs = []string{v}
	}
}

// Enabled reports whether the channel should run.
func (c Config) Enabled() bool { return c.Token != "" }

var (
	phoneNumberID = regexp.MustCompile(`^[0-9]{5,30}$`)
	languageCode  = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2,4})?$`)
)

// Validate reports config errors. Messages never contain the secrets.
func (c Config) Validate() error {
	var errs []error
	if strings.ContainsAny(c.Token, " \t\r\n") {
		errs = append(errs, bridge.FieldErrorf("token", "contains white space: copy the access token alone"))
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, bridge.FieldErrorf("api_url", "%q is not an http(s) URL (default %s)", c.APIURL, DefaultAPIURL))
	}
	if c.MaxFileBytes < 0 {
		errs = append(errs, bridge.FieldErrorf("max_file_bytes", "must not be negative (0 means the default, 25 MB)"))
	}
	if !languageCode.MatchString(c.TemplateLanguage) {
		errs = append(errs, bridge.FieldErrorf("template_language", "%q is not a language code as WhatsApp writes them (en, en_US, pt_BR)", c.TemplateLanguage))
	}
	seen := map[string]bool{}
	for i, id := range c.PhoneNumberIDs {
		switch {
		case !phoneNumberID.MatchString(id):
			errs = append(errs, bridge.FieldErrorf(fmt.Sprintf("phone_number_ids[%d]", i),
				"%q is not a phone number id (the digits shown as \"Phone number ID\" in the app's WhatsApp → API Setup, not the phone number)", id))
		case seen[id]:
			errs = append(errs, bridge.FieldErrorf(fmt.Sprintf("phone_number_ids[%d]", i), "%s is listed twice", id))
		}
		seen[id] = true
	}
	if !c.Enabled() {
		return errors.Join(errs...)
	}
	if len(c.PhoneNumberIDs) == 0 {
		errs = append(errs, bridge.FieldErrorf("phone_number_ids", "WhatsApp needs the phone number id of the business number (WHATSAPP_PHONE_NUMBER_ID)"))
	}
	if c.VerifyToken == "" {
		errs = append(errs, bridge.FieldErrorf("verify_token", "the webhook needs a verify token (WHATSAPP_VERIFY_TOKEN): choose one and enter the same in the app's webhook settings"))
	}
	if c.AppSecret == "" {
		errs = append(errs, bridge.FieldErrorf("app_secret", "webhook requests cannot be checked without the app secret (WHATSAPP_APP_SECRET, App settings → Basic)"))
	}
	return errors.Join(errs...)
}

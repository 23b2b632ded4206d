package webchat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// identityClaim is what Threadline.identify sends: a logged-in customer's
// email, signed by the host site's server with webchat.identity_secret.
type identityClaim struct {
	Email     string `json:"email"`
	Name      string `json:"name"`
	Signature string `json:"signature"`
}

// IdentitySignature is the signature a host site's server computes for a
// logged-in customer's email: hex HMAC-SHA256 under the identity secret
// of the email, trimmed and lower-cased.
func IdentitySignature(secret []byte, email string) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(h.Sum(nil))
}

// identify checks a claim and returns the identity's visitor id: derived
// from the email under the token key, so it is the same on every device
// (the history follows the customer) and nobody can compute it without
// the key.
func (a *Adapter) identify(c identityClaim) (string, *apiError) {
	if len(a.idKey) == 0 {
		return "", errorf(http.StatusBadRequest, "identity_not_configured", "this chat does not verify identities: set webchat.identity_secret")
	}
	email := strings.ToLower(strings.TrimSpace(c.Email))
	if email == "" || len(email) > 200 || !plausibleEmail(email) {
		return "", errorf(http.StatusBadRequest, "bad_identity", "identity needs the customer's email address")
	}
	sig := strings.ToLower(strings.TrimSpace(c.Signature))
	if !hmac.Equal([]byte(sig), []byte(IdentitySignature(a.idKey, email))) {
		return "", errorf(http.StatusForbidden, "bad_signature", "the identity's signature does not match its email (hex HMAC-SHA256 of the lower-cased email under webchat.identity_secret)")
	}
	return a.tokens.mac("identity." + email)[:22], nil
}

package bridge

import "strings"

// BearerToken reads "Authorization: Bearer <token>". The scheme is
// case-insensitive (RFC 7235: "bearer" and "BEARER" are the same), the
// token is not; ok is false when there is no bearer token.
func BearerToken(authorization string) (token string, ok bool) {
	scheme, tok, found := strings.Cut(strings.TrimSpace(authorization), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

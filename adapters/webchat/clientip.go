package webchat

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// parseProxy reads a trusted_proxies entry: an address or a CIDR.
func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (a *Adapter) trustedProxy(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range a.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clientIP is the address rate limits key on. Behind a trusted proxy it is
// the rightmost X-Forwarded-For entry that is not one of our proxies: each
// proxy appends the address it saw, so entries to the left of that are
// the client's own claims (it could write any). Without trust_proxy, or
// when the request did not come from a listed proxy, the header is ignored.
func (a *Adapter) clientIP(r *http.Request) string {
	remote, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		remote = r.RemoteAddr
	}
	if !a.cfg.TrustProxy || (len(a.proxies) > 0 && !a.trustedProxy(remote)) {
		return remote
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, e := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(e))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if len(a.proxies) > 0 && a.trustedProxy(hops[i]) {
			continue
		}
		if _, err := netip.ParseAddr(hops[i]); err == nil {
			return hops[i]
		}
		break // garbage where an address should be: do not guess further left
	}
	return remote
}

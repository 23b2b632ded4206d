package outbox

import (
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// pacer spaces sends per destination and per adapter. It is owned by the
// outbox loop goroutine; nothing else touches it.
type pacer struct {
	rates map[bridge.Platform]bridge.Pacing
	next  map[string]time.Time
}

func newPacer(rates map[bridge.Platform]bridge.Pacing) *pacer {
	return &pacer{rates: rates, next: make(map[string]time.Time)}
}

func paceKeys(target bridge.Platform, dest string) (adapter, destination string) {
	return string(target), string(target) + "\x00" + dest
}

// reserve takes a send slot for (target, dest) at now, or says how long to wait.
func (p *pacer) reserve(target bridge.Platform, dest string, now time.Time) time.Duration {
	ak, dk := paceKeys(target, dest)
	at := p.next[ak]
	if d := p.next[dk]; d.After(at) {
		at = d
	}
	if at.After(now) {
		return at.Sub(now)
	}
	r := p.rates[target]
	if r.PerAdapter > 0 {
		p.next[ak] = now.Add(time.Duration(float64(time.Second) / r.PerAdapter))
	}
	if r.PerDestination > 0 {
		p.next[dk] = now.Add(time.Duration(float64(time.Second) / r.PerDestination))
	}
	if len(p.next) > 50000 {
		p.prune(now)
	}
	return 0
}

// block keeps the destination quiet until t (a 429's Retry-After).
func (p *pacer) block(target bridge.Platform, dest string, t time.Time) {
	_, dk := paceKeys(target, dest)
	if t.After(p.next[dk]) {
		p.next[dk] = t
	}
}

func (p *pacer) prune(now time.Time) {
	for k, t := range p.next {
		if !t.After(now) {
			delete(p.next, k)
		}
	}
}

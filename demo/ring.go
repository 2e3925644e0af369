package demo

import (
	"time"

	"github.com/kimiclaw/kimiscale/core/sim"
)

// ring keeps the newest readings, oldest first, in a fixed buffer.
type ring struct {
	buf   []sim.Reading
	start int
	n     int
}

func newRing(capacity int) *ring { return &ring{buf: make([]sim.Reading, max(capacity, 1))} }

func (r *ring) push(x sim.Reading) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = x
		r.n++
		return
	}
	r.buf[r.start] = x
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring) at(i int) sim.Reading { return r.buf[(r.start+i)%len(r.buf)] }

func (r *ring) last() (sim.Reading, bool) {
	if r.n == 0 {
		return sim.Reading{}, false
	}
	return r.at(r.n - 1), true
}

// before returns the index of the newest reading at or before t, or -1.
func (r *ring) before(t time.Time) int {
	lo, hi := 0, r.n
	for lo < hi {
		mid := (lo + hi) / 2
		if r.at(mid).At.After(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}

package demo

import (
	"bytes"
	_ "embed" // the trace
	"fmt"
	"time"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/core/backtest"
)

// nasaJuly is the NASA July 1995 trace; see TRACE-SOURCE.md.
//
//go:embed nasa_http_jul1995_1min.csv
var nasaJuly []byte

// Trace returns the embedded NASA July 1995 trace: HTTP requests per minute.
func Trace() ([]core.Sample, error) {
	s, err := backtest.ReadTrace(bytes.NewReader(nasaJuly))
	if err != nil {
		return nil, fmt.Errorf("embedded trace: %w", err)
	}
	return s, nil
}

// loop is a trace that repeats after its end: demand at any time at or
// after its start.
type loop struct {
	samples []core.Sample
	start   time.Time
	period  time.Duration // the trace's span plus one interval
}

func newLoop(s []core.Sample) (loop, error) {
	if len(s) < 2 {
		return loop{}, fmt.Errorf("trace has %d samples: want at least 2", len(s))
	}
	for i := 1; i < len(s); i++ {
		if !s[i].At.After(s[i-1].At) {
			return loop{}, fmt.Errorf("trace sample %d at %s is not after the previous one", i, s[i].At.Format(time.RFC3339))
		}
	}
	last := s[len(s)-1].At.Sub(s[len(s)-2].At)
	return loop{samples: s, start: s[0].At, period: s[len(s)-1].At.Add(last).Sub(s[0].At)}, nil
}

// demand is the latest sample at or before t, the trace repeating after its
// end. t must not be before the trace's start.
func (l loop) demand(t time.Time) float64 {
	off := t.Sub(l.start) % l.period
	at := l.start.Add(off)
	lo, hi := 0, len(l.samples)
	for lo < hi { // first sample after at
		mid := (lo + hi) / 2
		if l.samples[mid].At.After(at) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return l.samples[max(lo-1, 0)].Value
}

// peak is the highest demand of the trace.
func (l loop) peak() float64 {
	p := 0.0
	for _, s := range l.samples {
		p = max(p, s.Value)
	}
	return p
}

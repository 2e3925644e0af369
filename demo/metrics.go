package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// maxBackfillPoints bounds one Backfill's answer per metric.
const maxBackfillPoints = 100_000

// Metrics is the demo's metrics source (it implements ui.MetricsSource):
// the simulated kimiclaw-db's readings, stamped with simulated time.
type Metrics struct{ c *Cluster }

// Metrics returns the cluster's metrics source.
func (c *Cluster) Metrics() Metrics { return Metrics{c: c} }

// Poll returns the latest step's readings, all four metrics, stamped with
// that step's simulated time (at most 15 s before the clock's now).
func (m Metrics) Poll(ctx context.Context) (core.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return core.Snapshot{}, fmt.Errorf("demo poll: %w", err)
	}
	m.c.mu.Lock()
	r, ok := m.c.ring.last()
	m.c.mu.Unlock()
	if !ok {
		return core.Snapshot{}, errors.New("demo poll: the cluster has no reading yet")
	}
	return r.Snapshot(), nil
}

// Backfill returns the readings between from and to at step: for each time
// the newest reading at or before it, stamped with its own time (so a time
// after the latest step repeats nothing). History starts at the warm-up (two
// days before the demo's start) and is kept for a day beyond it; times
// before the oldest reading kept are left out.
func (m Metrics) Backfill(ctx context.Context, from, to time.Time, step time.Duration) (map[core.Metric][]core.Sample, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("demo backfill: %w", err)
	}
	switch {
	case step <= 0:
		return nil, fmt.Errorf("demo backfill: step %s: want a positive step", step)
	case to.Before(from):
		return nil, fmt.Errorf("demo backfill: to %s is before from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	case to.Sub(from)/step > maxBackfillPoints:
		return nil, fmt.Errorf("demo backfill: %s at %s is more than %d points; use a larger step", to.Sub(from), step, maxBackfillPoints)
	}
	out := make(map[core.Metric][]core.Sample, 4)
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	rg := m.c.ring
	prev := -1
	for t := from; !t.After(to); t = t.Add(step) {
		i := rg.before(t)
		if i < 0 || i == prev {
			continue // before the history, or no newer reading than the last one
		}
		prev = i
		r := rg.at(i)
		if r.At.Before(from) {
			continue
		}
		out[core.MetricCPU] = append(out[core.MetricCPU], core.Sample{At: r.At, Value: r.CPU})
		out[core.MetricMemory] = append(out[core.MetricMemory], core.Sample{At: r.At, Value: r.Memory})
		out[core.MetricQPS] = append(out[core.MetricQPS], core.Sample{At: r.At, Value: r.QPS})
		out[core.MetricConnections] = append(out[core.MetricConnections], core.Sample{At: r.At, Value: r.Connections})
	}
	return out, nil
}

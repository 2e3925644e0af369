package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// lastScaleAnnotation is the shared last-scale record (DESIGN.md contract).
const lastScaleAnnotation = "kimiscale.kimiclaw.io/last-scale"

// Headless prints one line per simulated minute until ctx ends: the
// simulated load, the Deployment's replicas, what the HPA set, and the
// decision core.Decide makes with policy at that minute, as the dashboard
// would show it. It only watches; Run (or Advance) must be stepping the
// cluster. It returns nil when ctx ends.
func (c *Cluster) Headless(ctx context.Context, w io.Writer, policy core.Policy) error {
	readings, cancel := c.subscribe()
	defer cancel()

	// The forecast's history: what the dashboard backfills at start.
	keep := time.Hour
	if m := policy.Forecast.Model; m == core.ModelHoltWinters || m == core.ModelAuto {
		keep = max(keep, 2*policy.Forecast.Season.D())
	}
	keep = max(keep, time.Duration(policy.Forecast.Points)*Step)
	hist := core.NewHistory(int(keep/Step) + 1)
	now := c.Latest().At
	past, err := c.Metrics().Backfill(ctx, now.Add(-keep), now, Step)
	if err != nil {
		return fmt.Errorf("headless: %w", err)
	}
	for m, samples := range past {
		for _, s := range samples {
			hist.Series(m).Push(s)
		}
	}

	h := headless{policy: policy, hist: hist, prevSpec: -1}
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-readings:
			hist.Add(r.Snapshot())
			if !r.At.Truncate(time.Minute).Equal(r.At) {
				continue
			}
			if _, err := io.WriteString(w, h.line(r)); err != nil {
				return fmt.Errorf("headless: %w", err)
			}
		}
	}
}

// headless is Headless's memory between lines.
type headless struct {
	policy   core.Policy
	hist     *core.History
	scales   core.ScaleHistory
	prevSpec int32
}

// line decides at step r and formats one line.
func (h *headless) line(r stepRecord) string {
	spec := r.Replicas
	if h.prevSpec >= 0 && spec != h.prevSpec {
		h.scales.RecordScale(h.prevSpec, spec, r.At)
	}
	h.prevSpec = spec
	var last *core.LastScale
	if r.lastScale != "" {
		var ls core.LastScale
		if err := json.Unmarshal([]byte(r.lastScale), &ls); err == nil {
			last = &ls
		}
	}
	hpa := r.hpa
	if hpa == "" {
		hpa = "none"
	}
	d := core.Decide(core.Input{
		Policy:       h.policy,
		Current:      spec,
		Ready:        r.Ready,
		Snapshot:     r.Snapshot(),
		History:      h.hist,
		Scales:       h.scales,
		LastScale:    last,
		PollInterval: Step,
	}, r.At)
	h.scales.Observe(d)
	h.scales.Prune(r.At, h.policy.Behavior)

	codes := make([]string, 0, len(d.Reasons))
	for _, rs := range d.Reasons {
		codes = append(codes, string(rs.Code))
	}
	return fmt.Sprintf("%s  load %4.0f  cpu %5.1f%%  mem %5.1f%%  qps %6.0f  conns %6.0f  replicas %2d (%2d ready)  hpa %s  kimiscale %s %d->%d  %s\n",
		r.At.UTC().Format(time.RFC3339), r.Demand, r.CPU*100, r.Memory*100, r.QPS, r.Connections,
		spec, r.Ready, hpa, d.Action, d.Current, d.Target, strings.Join(codes, ","))
}

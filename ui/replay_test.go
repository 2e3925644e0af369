package ui

import (
	"testing"

	"github.com/kimiclaw/kimiscale/core"
)

// A console started when the load has just dropped must not scale down on
// its first poll: a console that had been running would hold the last
// 300 s of higher recommendations (the scale-down stabilization window).
func TestFirstDecisionStabilizedByBackfill(t *testing.T) {
	r := newRig()
	r.metrics.flat = map[core.Metric]float64{ // within every threshold at 3 replicas
		core.MetricCPU: 0.5, core.MetricMemory: 0.5, core.MetricQPS: 21000, core.MetricConnections: 9000,
	}
	r.metrics.vals = map[core.Metric]float64{ // low load now
		core.MetricCPU: 0.1, core.MetricMemory: 0.2, core.MetricQPS: 900, core.MetricConnections: 300,
	}
	m := r.model(t, 120, 40, nil) // core.Decide
	d := m.decision
	if d == nil {
		t.Fatal("no decision after the first poll")
	}
	if d.Target < d.Current {
		t.Fatalf("first decision %s %d → %d: a fresh console skipped the scale-down stabilization window", d.Action, d.Current, d.Target)
	}
	if !hasReason(*d, core.ReasonScaleDownStabilized) {
		t.Errorf("first decision %s with reasons %v, want %s", d.Action, reasonSummary(*d), core.ReasonScaleDownStabilized)
	}
	if n := len(m.scales.Recommendations); n < 2 || n > 21 {
		t.Errorf("%d recommendations after the replay, want the window's (≤ 300s/15s = 20) plus the live one", n)
	}
}

func hasReason(d core.Decision, c core.ReasonCode) bool {
	for _, r := range d.Reasons {
		if r.Code == c {
			return true
		}
	}
	return false
}

func TestNoReplayWithoutBackfill(t *testing.T) {
	r := newRig()
	r.deps.Backfill = 0
	m := r.model(t, 120, 40, nil)
	if n := len(m.scales.Recommendations); n != 1 {
		t.Fatalf("%d recommendations without any history, want only the live decision's", n)
	}
}

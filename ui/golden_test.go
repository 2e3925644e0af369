package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kimiclaw/kimiscale/core"
)

// Golden files hold the screen without ANSI codes: what a person reads with
// NO_COLOR. Regenerate with `make golden` (go test ./ui/... -update).

// metricsOf is the Metrics map of a hand-made decision.
func metricsOf(in core.Input, fresh bool, why string) map[core.Metric]core.MetricStatus {
	out := map[core.Metric]core.MetricStatus{}
	for _, r := range in.Policy.Rules {
		v := in.Snapshot.Readings[r.Metric].Value
		if !r.Metric.Utilization() && in.Ready > 0 {
			v /= float64(in.Ready)
		}
		s := core.MetricStatus{Value: v, Up: r.Up, Down: r.Down, Fresh: fresh}
		if !fresh {
			s.Why = why
		}
		out[r.Metric] = s
	}
	return out
}

// forecastAt is a rising CPU forecast from now.
func forecastAt(now time.Time) *core.ForecastStatus {
	f := &core.ForecastStatus{Model: "linear", Horizon: 5 * time.Minute, CPU: 0.83, Lower: 0.76, Upper: 0.90}
	for i := 1; i <= 20; i++ {
		k := float64(i) / 20
		f.Path = append(f.Path, core.ForecastPoint{At: now.Add(time.Duration(i) * 15 * time.Second),
			Value: 0.74 + 0.09*k, Lower: 0.74 + 0.02*k, Upper: 0.74 + 0.16*k})
	}
	return f
}

// scaleUp is a decision to go from current to current+1 on CPU.
func scaleUp(in core.Input, now time.Time) core.Decision {
	return core.Decision{
		At: now, Action: core.ActionScaleUp, Current: in.Current, Target: in.Current + 1, Proposed: in.Current + 1,
		Reasons: []core.Reason{
			{Code: core.ReasonCPUAboveThreshold, Message: "CPU 74.0% is above the scale-up threshold 70%: +1"},
			{Code: core.ReasonForecastAbove, Message: "CPU is forecast to reach 83.0% in 5m (linear), above 80%: at least 4 replicas"},
		},
		Metrics: metricsOf(in, true, ""), Forecast: forecastAt(now),
		Cooldown:   core.CooldownStatus{Blocks: core.DirectionNone},
		HPADesired: in.Current + 1, AutoApply: true,
		Recommendation: core.Recommendation{At: now, Replicas: in.Current + 1},
	}
}

// heldByCooldown is a scale-up the cooldown after a scale-down holds back.
func heldByCooldown(in core.Input, now time.Time) core.Decision {
	d := scaleUp(in, now)
	d.Target = in.Current
	until := in.LastScale.At.Add(10 * time.Minute)
	d.Cooldown = core.CooldownStatus{Blocks: core.DirectionUp, Remaining: until.Sub(now), Total: 10 * time.Minute, Until: until}
	d.Reasons = append(d.Reasons, core.Reason{Code: core.ReasonCooldownAfterScaleDown,
		Message: fmt.Sprintf("no scale-up within 10m after the scale-down at %s: %s left", in.LastScale.At.Format("15:04:05"), mmss(until.Sub(now)))})
	d.AutoApply, d.AutoApplyWhy = false, "the cooldown blocks the change"
	return d
}

// warned is scaleUp with each of in.Warnings quoted in a reason first and
// auto-apply paused, as core.Decide does for cluster state warnings.
func warned(in core.Input, now time.Time) core.Decision {
	d := scaleUp(in, now)
	var rs []core.Reason
	for _, w := range in.Warnings {
		rs = append(rs, core.Reason{Code: core.ReasonClusterStateWarning,
			Message: `the cluster state has a warning: "` + w + `"; auto-apply pauses until it is repaired (a human may still approve)`})
	}
	d.Reasons = append(rs, d.Reasons...)
	d.AutoApply, d.AutoApplyWhy = false, "a cluster state warning (deployment prod/kimiclaw-db): auto-apply pauses until repaired"
	return d
}

// maintain is a decision with nothing to do.
func maintain(in core.Input, now time.Time) core.Decision {
	d := scaleUp(in, now)
	d.Action, d.Target, d.Proposed, d.HPADesired = core.ActionMaintain, in.Current, in.Current, in.Current
	d.Reasons = []core.Reason{{Code: core.ReasonWithinThresholds, Message: "every metric is within its thresholds"}}
	d.AutoApply, d.AutoApplyWhy = false, "nothing to do"
	return d
}

// staleHold is the decision when no metric is usable.
func staleHold(in core.Input, now time.Time) core.Decision {
	return core.Decision{
		At: now, Action: core.ActionHold, Current: in.Current, Target: in.Current, Proposed: in.Current,
		Reasons:    []core.Reason{{Code: core.ReasonMetricsStale, Message: "no metric is usable: holding at 3 replicas"}},
		Metrics:    metricsOf(in, false, "stale for 1m0s"),
		Cooldown:   core.CooldownStatus{Blocks: core.DirectionNone},
		HPADesired: in.Current, AutoApply: false, AutoApplyWhy: "no metric is usable",
	}
}

// mode is one golden scenario.
type mode struct {
	name  string
	setup func(r *rig) // before the model is built
	after func(t *testing.T, r *rig, m Model) Model
	dec   func(core.Input, time.Time) core.Decision
}

func modes() []mode {
	return []mode{
		{name: "normal", dec: scaleUp},
		{name: "cooldown", dec: heldByCooldown, setup: func(r *rig) {
			r.cluster.state.LastScale = &core.LastScale{At: t0.Add(-2*time.Minute - 48*time.Second), Direction: core.DirectionDown,
				From: 4, To: 3, By: "bob@ops", Reason: "AllBelowThreshold"}
		}},
		{name: "stale", dec: staleHold, after: func(t *testing.T, r *rig, m Model) Model {
			r.clk.Step(time.Minute)
			r.metrics.err = fmt.Errorf("query cpu: dial tcp 127.0.0.1:9090: connection refused")
			m = update(t, m, m.pollCmd()())
			return send(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: r.clk.Now()})
		}},
		{name: "readonly", dec: scaleUp, setup: func(r *rig) {
			r.access.a = core.Access{Events: true, Missing: []string{"patch deployments", "patch horizontalpodautoscalers"}}
		}},
		{name: "auto", dec: maintain, after: func(t *testing.T, r *rig, m Model) Model {
			m = send(t, m, press("A"))
			m = send(t, m, press("y"))
			return update(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
		}},
		{name: "warning", dec: warned, setup: func(r *rig) {
			r.cluster.state.Warnings = []string{lastScaleWarning}
		}, after: func(t *testing.T, r *rig, m Model) Model {
			m = send(t, m, press("A"))
			m = send(t, m, press("y"))
			return update(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
		}},
		{name: "hpa", dec: scaleUp, setup: func(r *rig) {
			r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 2, Max: 10}, CurrentReplicas: 3, DesiredReplicas: 4}
		}},
		{name: "hpa_pinned", dec: scaleUp, setup: func(r *rig) {
			r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 3, Max: 3}, CurrentReplicas: 3, DesiredReplicas: 3,
				PinnedFrom: &core.Bounds{Min: 2, Max: 10}}
		}},
		{name: "hpa_waiting", dec: scaleUp, setup: func(r *rig) { // minReplicas raised to 3, the HPA not synced yet
			*r = *arrangedRig()
		}},
		{name: "dryrun", dec: scaleUp, setup: func(r *rig) { r.deps.DryRun = true }, after: func(t *testing.T, r *rig, m Model) Model {
			return send(t, m, press("a"))
		}},
		{name: "nodata", dec: scaleUp, setup: func(r *rig) {
			r.metrics.err = fmt.Errorf("query cpu: dial tcp 127.0.0.1:9090: connect: connection refused")
		}},
		{name: "dialog", dec: scaleUp, after: func(t *testing.T, r *rig, m Model) Model {
			return send(t, m, press("a"))
		}},
	}
}

// screen renders the model as a person reads it without colour.
func screen(m Model) []byte {
	return []byte(ansi.Strip(m.View().Content))
}

func TestScreen(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}}
	for _, md := range modes() {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", md.name, sz.w, sz.h), func(t *testing.T) {
				r := newRig()
				if md.setup != nil {
					md.setup(r)
				}
				m := r.model(t, sz.w, sz.h, md.dec)
				if md.after != nil {
					m = md.after(t, r, m)
				}
				golden.RequireEqual(t, screen(m))
			})
		}
	}
}

func TestScreenTooSmall(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{79, 24}, {80, 23}, {40, 10}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newRig().model(t, sz.w, sz.h, scaleUp)
			out := screen(m)
			golden.RequireEqual(t, out)
		})
	}
}

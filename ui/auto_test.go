package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// held sends the Lease-held status of the model's campaign.
func held(t *testing.T, m Model) Model {
	t.Helper()
	return send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
}

func TestAutoApplyNeedsFreshDecision(t *testing.T) {
	t.Run("paused for 2h then the Lease arrives", func(t *testing.T) {
		r := newRig()
		r.metrics.flat = r.metrics.vals
		m := r.model(t, 120, 40, nil) // core.Decide: CPU 74% for a day wants a scale-up
		if d := m.decision; d == nil || !d.AutoApply || d.Target <= d.Current {
			t.Fatalf("decision %+v: want an automatic scale-up, or the test proves nothing", d)
		}
		m = keys(t, m, "p")
		r.clk.Step(2 * time.Hour)
		m = tick(t, r, m, t0)
		m = held(t, keys(t, m, "A", "y"))
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v on a 2-hour-old decision while paused", r.actuator.scales)
		}
		if !strings.Contains(text(m), "[AUTO PAUSED: polling is paused") {
			t.Errorf("the badge does not say why auto-apply waits:\n%s", text(m))
		}
	})
	t.Run("decision older than one interval", func(t *testing.T) {
		r := newRig()
		m := r.model(t, 120, 40, scaleUp)
		r.clk.Step(time.Minute)
		m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0}) // the poll it starts never returns
		m = held(t, keys(t, m, "A", "y"))
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v on a decision 1m old (interval 15s)", r.actuator.scales)
		}
		if !strings.Contains(text(m), "the decision is 1m0s old") {
			t.Errorf("the badge does not say the decision is old:\n%s", text(m))
		}
	})
	t.Run("cluster state read since the decision", func(t *testing.T) {
		r := newRig()
		m := r.model(t, 120, 40, scaleUp)
		if d := m.decision; d == nil || !d.AutoApply || d.Current != m.state.Replicas {
			t.Fatalf("decision %+v: want an automatic scale-up from the replicas now, or the test proves nothing", d)
		}
		// Another console scaled to 4 and this console read the state back
		// (after a write of its own while paused, say): the decision was
		// made for 3.
		st := *m.state
		st.Replicas, st.ReadyReplicas = 4, 4
		m = send(t, m, stateMsg{now: r.clk.Now(), state: st})
		m = held(t, keys(t, m, "A", "y"))
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v from a decision made for 3 replicas while 4 run", r.actuator.scales)
		}
	})
	t.Run("between two polls", func(t *testing.T) {
		r := newRig()
		m := r.model(t, 120, 40, scaleUp)
		r.clk.Step(20 * time.Second)
		m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0})
		m = held(t, keys(t, m, "A", "y"))
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v on a decision 20s old (interval 15s)", r.actuator.scales)
		}
		if !strings.Contains(text(m), "[AUTO · Lease held by alice@laptop]") {
			t.Errorf("a decision one poll old is not held back, the next poll acts on it; the badge says otherwise:\n%s", text(m))
		}
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) == 0 || !r.actuator.scales[0].Auto {
			t.Fatalf("the next poll did not apply: %+v", r.actuator.scales)
		}
	})
	t.Run("cluster state failed", func(t *testing.T) {
		r := newRig()
		m := held(t, keys(t, r.model(t, 120, 40, maintain), "A", "y"))
		m.decide = scaleUp
		r.cluster.err = errors.New("the server is currently unable to handle the request")
		r.clk.Step(15 * time.Second)
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v with the cluster state of the poll before", r.actuator.scales)
		}
		if !strings.Contains(text(m), "[AUTO PAUSED: the last poll failed") {
			t.Errorf("the badge does not say the poll failed:\n%s", text(m))
		}
		r.cluster.err = nil
		r.clk.Step(15 * time.Second)
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) == 0 || !r.actuator.scales[0].Auto || r.actuator.scales[0].To != 4 {
			t.Fatalf("after a good poll: scales %+v, want an automatic 3 → 4", r.actuator.scales)
		}
	})
	t.Run("metrics failed", func(t *testing.T) {
		r := newRig()
		m := held(t, keys(t, r.model(t, 120, 40, maintain), "A", "y"))
		m.decide = scaleUp
		r.metrics.err = errors.New("prometheus: connection refused")
		r.clk.Step(15 * time.Second)
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v with the snapshot of the poll before", r.actuator.scales)
		}
	})
}

// scaleDownOne is a decision to go one replica down.
func scaleDownOne(in core.Input, now time.Time) core.Decision {
	d := scaleUp(in, now)
	d.Action, d.Target, d.Proposed, d.HPADesired = core.ActionScaleDown, in.Current-1, in.Current-1, in.Current-1
	d.Reasons = []core.Reason{{Code: core.ReasonAllBelowThreshold, Message: "every metric is below its scale-down threshold: -1"}}
	d.Recommendation = core.Recommendation{At: now, Replicas: in.Current - 1}
	return d
}

// countLog counts the event-log lines containing s.
func countLog(m Model, s string) int {
	n := 0
	for _, e := range m.log {
		if strings.Contains(e.Text, s) {
			n++
		}
	}
	return n
}

func TestAutoApplyWithHPA(t *testing.T) {
	t.Run("scale-down the HPA already allows is left to the HPA", func(t *testing.T) {
		r := newRig()
		r.cluster.state.Replicas, r.cluster.state.ReadyReplicas = 5, 5
		r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 2, Max: 10}}
		m := held(t, keys(t, r.model(t, 120, 40, scaleDownOne), "A", "y"))
		for range 3 {
			r.clk.Step(15 * time.Second)
			m = send(t, m, m.pollCmd()())
		}
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v: the HPA's minReplicas 2 already allows 4, k8s would refuse each", r.actuator.scales)
		}
		if n := countLog(m, "HPA kimiclaw-hpa decides scale-downs"); n != 1 {
			t.Errorf("the skip is logged %d times, want once:\n%v", n, m.log)
		}
	})
	t.Run("a refused write is not retried until something changes", func(t *testing.T) {
		r := newRig()
		r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 2, Max: 10}}
		r.actuator.err = errors.New(`horizontalpodautoscalers.autoscaling "kimiclaw-hpa" is forbidden`)
		m := held(t, keys(t, r.model(t, 120, 40, scaleUp), "A", "y"))
		for range 3 {
			r.clk.Step(15 * time.Second)
			m = send(t, m, m.pollCmd()())
		}
		if len(r.actuator.scales) != 1 {
			t.Fatalf("the refused automatic write was sent %d times, want once", len(r.actuator.scales))
		}
		if !strings.Contains(lastLogWith(m, "not applied"), "not retried until the decision or the cluster changes") {
			t.Errorf("the refusal does not say it is not retried: %q", lastLogWith(m, "not applied"))
		}
		r.cluster.mu.Lock()
		r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 3, Max: 10}}
		r.cluster.mu.Unlock()
		r.clk.Step(15 * time.Second)
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) != 2 {
			t.Fatalf("after the HPA bounds changed: %d writes, want a second try", len(r.actuator.scales))
		}
		m.decide = func(in core.Input, now time.Time) core.Decision {
			d := scaleUp(in, now)
			d.Target, d.Proposed = in.Current+2, in.Current+2
			return d
		}
		r.clk.Step(15 * time.Second)
		_ = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) != 3 || r.actuator.scales[2].To != 5 {
			t.Fatalf("after the decision changed: writes %+v, want a third to 5", r.actuator.scales)
		}
	})
}

// lastLogWith is the last event-log line containing s.
func lastLogWith(m Model, s string) string {
	for i := len(m.log) - 1; i >= 0; i-- {
		if strings.Contains(m.log[i].Text, s) {
			return m.log[i].Text
		}
	}
	return ""
}

// lastScaleWarning is the sentence k8s.Client.State writes for an
// unreadable last-scale annotation.
const lastScaleWarning = `deployment prod/kimiclaw-db: parse kimiscale.kimiclaw.io/last-scale "{": unexpected end of JSON input; ` +
	`the cooldown cannot see the last scale and does not apply until this is repaired: ` +
	`remove it with kubectl annotate deployment/kimiclaw-db kimiscale.kimiclaw.io/last-scale- (the next scale writes a new one)`

// TestAutoApplyClusterStateWarning: with auto-apply on and a cluster record
// unreadable, core.Decide's scale-up is not written, and the screen says
// why at 80×24 (header badge, the warning under the action); once the
// record is repaired the next poll applies.
func TestAutoApplyClusterStateWarning(t *testing.T) {
	r := newRig()
	r.metrics.flat = r.metrics.vals // CPU 74% for a day: core.Decide wants a scale-up
	r.cluster.state.Warnings = []string{lastScaleWarning}
	m := held(t, keys(t, r.model(t, 80, 24, nil), "A", "y"))
	if len(r.actuator.scales) != 0 {
		t.Fatalf("auto-apply wrote %+v when the Lease arrived, while the last-scale record is unreadable", r.actuator.scales)
	}
	r.clk.Step(15 * time.Second)
	m = send(t, m, m.pollCmd()())
	d := m.decision
	if d == nil || d.Target <= d.Current {
		t.Fatalf("decision %+v: want a scale-up, or the test proves nothing", d)
	}
	if d.AutoApply || !d.Has(core.ReasonClusterStateWarning) {
		t.Fatalf("decision AutoApply = %v, reasons %v; want false with ClusterStateWarning", d.AutoApply, d.Reasons)
	}
	if len(r.actuator.scales) != 0 {
		t.Fatalf("auto-apply wrote %+v while the last-scale record is unreadable", r.actuator.scales)
	}
	screen := text(m)
	for _, want := range []string{
		"[! CLUSTER WARNING: see Decision]",
		"[AUTO PAUSED: a cluster state warning",
		"! ClusterStateWarning: the cluster",
		`has a warning: "deployment`,
		"kimiscale.kimiclaw.io/last-scale",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the 80×24 screen does not show %q:\n%s", want, screen)
		}
	}
	// A human may still approve it.
	m = keys(t, m, "a")
	if m.dialog == nil || m.dialog.kind != dialogScale || m.dialog.scale.To != d.Target {
		t.Fatalf("approve with a warning opened %+v, want the scale confirmation to %d", m.dialog, d.Target)
	}
	m = keys(t, m, "esc")

	r.cluster.mu.Lock()
	r.cluster.state.Warnings = nil
	r.cluster.mu.Unlock()
	r.clk.Step(15 * time.Second)
	m = send(t, m, m.pollCmd()())
	if len(r.actuator.scales) != 1 || !r.actuator.scales[0].Auto {
		t.Fatalf("after the record is repaired: scales %+v, want one automatic write", r.actuator.scales)
	}
	if strings.Contains(text(m), "CLUSTER WARNING") {
		t.Errorf("the badge stays after the warning is gone:\n%s", text(m))
	}
}

// TestCooldownScaleDownNotSeen: a scale-down through the HPA recorded a
// minute ago (minReplicas lowered for 8 → 5) that the HPA never made does
// not hold a scale-up: core.Decide lets it through, the cooldown panel says
// why, and auto-apply writes it. Once the replicas are below 8 the same
// record blocks, in the decision and in the countdown alike.
func TestCooldownScaleDownNotSeen(t *testing.T) {
	tests := []struct {
		name     string
		replicas int32
		screen   string
		writes   int
	}{
		{name: "8 run: not happened, scale-up applied", replicas: 8, screen: "scale-up open (8 run: the scale-down to 5 has not happened)", writes: 1},
		{name: "7 run: happening, scale-up held", replicas: 7, screen: "scale-up blocked: 09:00 of 10:00 left", writes: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig()
			r.metrics.flat = r.metrics.vals // CPU 74% for a day: core.Decide wants one more replica
			s := &r.cluster.state
			s.Replicas, s.ReadyReplicas = tc.replicas, tc.replicas
			s.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 5, Max: 10}, CurrentReplicas: tc.replicas, DesiredReplicas: tc.replicas}
			s.LastScale = &core.LastScale{At: t0.Add(-time.Minute), Direction: core.DirectionDown, From: 8, To: 5, By: "bob@ops", Reason: "AllBelowThreshold"}
			m := r.model(t, 120, 40, nil)
			d := m.decision
			if d == nil || d.Proposed != tc.replicas+1 {
				t.Fatalf("decision %+v: want a proposed scale-up to %d, or the test proves nothing", d, tc.replicas+1)
			}
			if got := d.Has(core.ReasonCooldownScaleDownPending); got != (tc.writes == 1) {
				t.Errorf("decision reasons %v: CooldownScaleDownPending = %v, want %v", d.Reasons, got, tc.writes == 1)
			}
			if !strings.Contains(text(m), tc.screen) {
				t.Errorf("the screen does not say %q:\n%s", tc.screen, text(m))
			}
			m = held(t, keys(t, m, "A", "y"))
			if len(r.actuator.scales) != tc.writes {
				t.Fatalf("auto-apply wrote %+v, want %d writes", r.actuator.scales, tc.writes)
			}
			if tc.writes == 1 && (r.actuator.scales[0].From != 8 || r.actuator.scales[0].To != 9 || !r.actuator.scales[0].Auto) {
				t.Errorf("auto-apply wrote %+v, want an automatic 8 → 9", r.actuator.scales[0])
			}
		})
	}
}

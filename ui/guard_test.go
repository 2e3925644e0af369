package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// TestApproveRefusedOnStaleData: a (approve) never opens the confirmation,
// and a, y never writes, when the decision does not come from a fresh poll.
func TestApproveRefusedOnStaleData(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, r *rig, m Model) Model
		want  string
	}{
		{name: "paused until STALE", setup: func(t *testing.T, r *rig, m Model) Model {
			m = keys(t, m, "p")
			r.clk.Step(time.Minute)
			return tick(t, r, m, t0)
		}, want: "not approved: the decision is from 12:00:00, 1m ago (polling paused): press p to resume and approve the fresh decision"},
		{name: "paused just now", setup: func(t *testing.T, r *rig, m Model) Model {
			return keys(t, m, "p")
		}, want: "not approved: the decision is from 12:00:00, 0s ago (polling paused): press p to resume"},
		{name: "no poll came back", setup: func(t *testing.T, r *rig, m Model) Model {
			r.clk.Step(time.Minute)
			return update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0}) // its poll never returns
		}, want: "not approved: the decision is from 12:00:00, 1m ago (STALE: no fresh poll for more than 45s): approve once a poll succeeds"},
		{name: "cluster state failed", setup: func(t *testing.T, r *rig, m Model) Model {
			r.cluster.err = errors.New("the server is currently unable to handle the request")
			r.clk.Step(15 * time.Second)
			return update(t, m, m.pollCmd()())
		}, want: "(the last poll failed: read cluster state: the server is currently unable to handle the request)"},
		{name: "metrics failed", setup: func(t *testing.T, r *rig, m Model) Model {
			r.metrics.err = errors.New("prometheus: connection refused")
			r.clk.Step(15 * time.Second)
			return update(t, m, m.pollCmd()())
		}, want: "(the last poll failed: poll metrics: prometheus: connection refused)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig()
			m := tc.setup(t, r, r.model(t, 120, 40, scaleUp))
			m = keys(t, m, "a")
			if m.dialog != nil {
				t.Fatalf("a on a decision that is not fresh opened %+v", m.dialog)
			}
			if !strings.Contains(m.status, tc.want) {
				t.Errorf("status %q, want %q", m.status, tc.want)
			}
			m = keys(t, m, "y")
			if len(r.actuator.scales) != 0 {
				t.Fatalf("a, y wrote %+v on a decision that is not fresh", r.actuator.scales)
			}
		})
	}
}

// TestOverrideOnStaleDataSaysSo: the human's own number goes through on
// stale data, and the dialog says the data is stale.
func TestOverrideOnStaleDataSaysSo(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "p")
	r.clk.Step(time.Minute)
	m = tick(t, r, m, t0)
	m = keys(t, m, "o", "backspace", "5", "enter")
	if m.dialog == nil {
		t.Fatalf("override on stale data: no dialog (status %q)", m.status)
	}
	if want := "STALE DATA: the latest decision is from 12:00:00, 1m ago (polling paused)"; !strings.Contains(text(m), want) {
		t.Errorf("the override dialog does not say %q:\n%s", want, text(m))
	}
	m = keys(t, m, "y")
	if len(r.actuator.scales) != 1 || r.actuator.scales[0].To != 5 {
		t.Fatalf("scales %+v, want the override to 5", r.actuator.scales)
	}
}

// TestWriteReadBackWhilePaused: a write while polling is paused reads the
// cluster state back (no metrics poll), so the header shows what was
// written.
func TestWriteReadBackWhilePaused(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "p")
	polls := r.metrics.polls
	m = keys(t, m, "o", "backspace", "5", "enter", "y")
	if len(r.actuator.scales) != 1 {
		t.Fatalf("scales %+v, want the override", r.actuator.scales)
	}
	if m.state.Replicas != 5 || !strings.Contains(text(m), "replicas 5 (5 ready)") {
		t.Errorf("after the write while paused, the header shows replicas %d, want 5 read back:\n%s", m.state.Replicas, text(m))
	}
	if r.metrics.polls != polls {
		t.Errorf("the read-back polled the metrics while paused (%d → %d polls)", polls, r.metrics.polls)
	}
}

// TestDecisionPanelSaysNotFresh: the Decision panel says when the decision
// shown is not refreshed.
func TestDecisionPanelSaysNotFresh(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	if strings.Contains(text(m), "not refreshed") {
		t.Fatalf("a fresh decision is marked not refreshed:\n%s", text(m))
	}
	m = keys(t, m, "p")
	if want := "! PAUSED: polling stopped; this decision is not refreshed"; !strings.Contains(text(m), want) {
		t.Errorf("paused: the Decision panel does not say %q:\n%s", want, text(m))
	}
	m = keys(t, m, "p")
	r.clk.Step(time.Minute)
	m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0})
	if want := "! STALE: this decision is not refreshed; a refuses it"; !strings.Contains(text(m), want) {
		t.Errorf("stale: the Decision panel does not say %q:\n%s", want, text(m))
	}
}

// arrangedRig is kimiclaw-db at 2 replicas right after a scale-up through
// the HPA raised its minReplicas to 3: the HPA has not synced yet.
func arrangedRig() *rig {
	r := newRig()
	r.cluster.state.Replicas, r.cluster.state.ReadyReplicas = 2, 2
	r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 3, Max: 10}, CurrentReplicas: 2, DesiredReplicas: 3}
	return r
}

// TestHPAScaleUpArranged: a scale-up the HPA's minReplicas already brings
// about is not written again, by approve or auto-apply, and the Decision
// panel says it waits for the HPA.
func TestHPAScaleUpArranged(t *testing.T) {
	const why = "HPA kimiclaw-hpa's minReplicas 3 already brings kimiclaw-db to 3 within one sync"
	t.Run("approve", func(t *testing.T) {
		r := arrangedRig()
		m := r.model(t, 120, 40, scaleUp)
		if d := m.decision; d.Target != 3 || d.Current != 2 {
			t.Fatalf("decision %d → %d, want 2 → 3, or the test proves nothing", d.Current, d.Target)
		}
		if want := "! WAITING FOR THE HPA: HPA kimiclaw-hpa's minReplicas 3"; !strings.Contains(text(m), want) {
			t.Errorf("the Decision panel does not say %q:\n%s", want, text(m))
		}
		m = keys(t, m, "a")
		if want := "nothing to approve: " + why; m.status != want {
			t.Errorf("status %q, want %q", m.status, want)
		}
		m = keys(t, m, "y")
		if m.dialog != nil || len(r.actuator.scales) != 0 {
			t.Fatalf("a y: dialog %+v, scales %+v; want nothing to approve", m.dialog, r.actuator.scales)
		}
	})
	t.Run("auto-apply", func(t *testing.T) {
		r := arrangedRig()
		m := held(t, keys(t, r.model(t, 120, 40, scaleUp), "A", "y"))
		for range 3 {
			r.clk.Step(15 * time.Second)
			m = send(t, m, m.pollCmd()())
		}
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v: the HPA's minReplicas 3 already brings it to 3", r.actuator.scales)
		}
		if n := countLog(m, "auto: nothing written for 2 → 3: "+why); n != 1 {
			t.Errorf("the skip is logged %d times, want once:\n%v", n, m.log)
		}
	})
	t.Run("the HPA synced: the next scale-up goes ahead", func(t *testing.T) {
		r := arrangedRig()
		m := r.model(t, 120, 40, scaleUp)
		r.cluster.state.Replicas, r.cluster.state.ReadyReplicas = 3, 3
		r.clk.Step(15 * time.Second)
		m = update(t, m, m.pollCmd()())
		m = keys(t, m, "a")
		if m.dialog == nil || m.dialog.scale.To != 4 {
			t.Fatalf("a at 3 replicas with minReplicas 3: dialog %+v (status %q), want the scale 3 → 4", m.dialog, m.status)
		}
	})
	t.Run("the HPA raised while the dialog is open", func(t *testing.T) {
		r := newRig()
		r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 2, Max: 10}}
		m := keys(t, r.model(t, 120, 40, scaleUp), "a")
		r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 4, Max: 10}} // another console
		r.clk.Step(15 * time.Second)
		m = update(t, m, m.pollCmd()())
		m = keys(t, m, "y")
		if len(r.actuator.scales) != 0 || !strings.Contains(m.status, "not applied: nothing to approve now: HPA kimiclaw-hpa's minReplicas 4") {
			t.Fatalf("y: scales %+v, status %q; want nothing written and why", r.actuator.scales, m.status)
		}
	})
}

// TestLongStatusWraps: at 80 columns the refusal keeps its remedy: the
// footer takes a second line from the body, and the screen stays 80×24.
func TestLongStatusWraps(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 80, 24, scaleUp), "p")
	r.clk.Step(time.Minute)
	m = tick(t, r, m, t0)
	m = keys(t, m, "a")
	checkBlock(t, m.View().Content, 80, 24)
	lines := strings.Split(text(m), "\n")
	foot := strings.Join(strings.Fields(lines[len(lines)-2]+" "+lines[len(lines)-1]), " ")
	for _, want := range []string{"not approved: the decision is from 12:00:00", "press p to resume and approve the fresh decision"} {
		if !strings.Contains(foot, want) {
			t.Errorf("the footer does not say %q:\n%s", want, strings.Join(lines[len(lines)-2:], "\n"))
		}
	}
}

// TestSecondWriteWhilePausedSeesTheCooldown: a write made while polling is
// paused is read back into the cluster state (its last-scale record too),
// not into the decision; a second write right after must still meet the
// cooldown the first one started, not the decision's older view of it.
func TestSecondWriteWhilePausedSeesTheCooldown(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "p")
	m = keys(t, m, "o", "backspace", "5", "enter", "y")
	if len(r.actuator.scales) != 1 || m.state.LastScale == nil || m.state.LastScale.To != 5 {
		t.Fatalf("first override: scales %+v, last-scale %+v; want 3 → 5 read back", r.actuator.scales, m.state.LastScale)
	}
	r.clk.Step(20 * time.Second)
	m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0})
	m = keys(t, m, "o", "backspace", "3", "enter")
	if m.dialog == nil || !strings.Contains(text(m), "BLOCKED: the cooldown blocks scale-down for 04:40 more") {
		t.Fatalf("a scale-down 20 s after the scale-up: the dialog does not say the cooldown blocks it:\n%s", text(m))
	}
	m = keys(t, m, "y")
	if len(r.actuator.scales) != 1 {
		t.Fatalf("y wrote %+v past the cooldown without the bypass", r.actuator.scales[1:])
	}
	if m.dialog == nil || m.dialog.kind != dialogBypass {
		t.Fatalf("y: dialog %+v, want the bypass question", m.dialog)
	}
	m = keys(t, m, "B")
	if len(r.actuator.scales) != 2 || !r.actuator.scales[1].BypassCooldown {
		t.Errorf("B: scales %+v, want 5 → 3 with the bypass recorded", r.actuator.scales)
	}
}

package ui

import (
	"errors"
	"strings"
	"testing"
	"time"
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

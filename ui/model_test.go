package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/kimiclaw/kimiscale/core"
)

// keys presses each key in turn, running what the Cmds produce at once.
func keys(t *testing.T, m Model, ks ...string) Model {
	t.Helper()
	for _, k := range ks {
		m = send(t, m, press(k))
	}
	return m
}

func text(m Model) string { return ansi.Strip(m.View().Content) }

func lastLog(m Model) string {
	if len(m.log) == 0 {
		return ""
	}
	return m.log[len(m.log)-1].Text
}

func TestApprove(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	m = keys(t, m, "a")
	if m.dialog == nil || m.dialog.focus != 0 {
		t.Fatalf("after a: dialog %+v, want one focused on Cancel", m.dialog)
	}
	if !strings.Contains(text(m), "Scale prod/kimiclaw-db from 3 to 4 replicas?") {
		t.Errorf("dialog does not say what will change:\n%s", text(m))
	}
	m = keys(t, m, "enter") // focus is on Cancel
	if m.dialog != nil || len(r.actuator.scales) != 0 {
		t.Fatalf("enter on Cancel: dialog %v, scales %v; want closed and nothing written", m.dialog, r.actuator.scales)
	}
	m = keys(t, m, "a", "y")
	if len(r.actuator.scales) != 1 {
		t.Fatalf("after a y: %d scale requests, want 1", len(r.actuator.scales))
	}
	got := r.actuator.scales[0]
	want := core.ScaleRequest{From: 3, To: 4, ResourceVersion: "1042", By: "alice@laptop", Reason: got.Reason}
	if got != want || !strings.Contains(got.Reason, "CPUAboveThreshold") {
		t.Errorf("Scale(%+v), want %+v with the reasons", got, want)
	}
	if !strings.Contains(lastLog(m), "scale 3 → 4 via Deployment spec.replicas") {
		t.Errorf("event log %q, want the applied scale", lastLog(m))
	}
	if m.state.Replicas != 4 || !strings.Contains(text(m), "replicas 4 (4 ready)") {
		t.Errorf("after the write the screen shows replicas %d, want 4 read back", m.state.Replicas)
	}
}

func TestApproveTabEnterConfirms(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	m = keys(t, m, "a", "tab", "enter")
	if len(r.actuator.scales) != 1 {
		t.Fatalf("a tab enter: %d scale requests, want 1 (enter presses the focused Scale button)", len(r.actuator.scales))
	}
}

func TestOverride(t *testing.T) {
	tests := []struct {
		name    string
		typed   []string
		wantTo  int32 // 0: nothing written
		wantMsg string
	}{
		{name: "valid", typed: []string{"backspace", "6"}, wantTo: 6},
		{name: "out of bounds", typed: []string{"backspace", "1", "2"}, wantMsg: "12 is out of bounds: replicas must be between 2 and 10"},
		{name: "below min", typed: []string{"backspace", "1"}, wantMsg: "1 is out of bounds"},
		{name: "not a number", typed: []string{"backspace", "x", "y", "z"}, wantMsg: `"xyz" is not a number`},
		{name: "empty", typed: []string{"backspace"}, wantMsg: "type a replica count between 2 and 10"},
		{name: "current", typed: nil, wantMsg: "3 is the current count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig()
			m := r.model(t, 120, 40, scaleUp)
			m = keys(t, m, "o")
			m = keys(t, m, tc.typed...)
			if tc.wantMsg != "" && !strings.Contains(text(m), tc.wantMsg) {
				t.Errorf("while typing, the field does not say %q:\n%s", tc.wantMsg, text(m))
			}
			m = keys(t, m, "enter")
			if tc.wantTo == 0 {
				if m.dialog != nil {
					t.Fatalf("enter on an invalid count opened the dialog")
				}
				if !strings.Contains(m.status, tc.wantMsg) {
					t.Errorf("status %q, want %q", m.status, tc.wantMsg)
				}
				return
			}
			if m.dialog == nil {
				t.Fatalf("enter on %d: no confirmation dialog (status %q)", tc.wantTo, m.status)
			}
			m = keys(t, m, "y")
			if len(r.actuator.scales) != 1 || r.actuator.scales[0].To != tc.wantTo {
				t.Fatalf("scales %+v, want one to %d", r.actuator.scales, tc.wantTo)
			}
			if !strings.Contains(r.actuator.scales[0].Reason, "override") {
				t.Errorf("reason %q does not record the override", r.actuator.scales[0].Reason)
			}
		})
	}
}

func TestOverrideEscCancels(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "o", "backspace", "5", "esc")
	if m.input != nil || m.dialog != nil || len(r.actuator.scales) != 0 {
		t.Fatalf("esc left override %v dialog %v scales %v", m.input, m.dialog, r.actuator.scales)
	}
}

func cooldownRig() *rig {
	r := newRig()
	r.cluster.state.LastScale = &core.LastScale{At: t0.Add(-3 * time.Minute), Direction: core.DirectionDown, From: 4, To: 3, By: "bob@ops"}
	return r
}

func TestCooldownBypass(t *testing.T) {
	t.Run("confirmed twice", func(t *testing.T) {
		r := cooldownRig()
		m := keys(t, r.model(t, 120, 40, heldByCooldown), "a")
		if m.dialog == nil || !m.dialog.blocked || !strings.Contains(text(m), "BLOCKED: the cooldown blocks scale-up for 07:00 more") {
			t.Fatalf("approve through a cooldown: dialog %+v does not warn:\n%s", m.dialog, text(m))
		}
		m = keys(t, m, "y")
		if m.dialog == nil || m.dialog.kind != dialogBypass || len(r.actuator.scales) != 0 {
			t.Fatalf("first y: dialog %v, scales %v; want the bypass confirmation and no write", m.dialog, r.actuator.scales)
		}
		if m.dialog.focus != 0 {
			t.Errorf("bypass dialog focus %d, want Cancel", m.dialog.focus)
		}
		m = keys(t, m, "B")
		if len(r.actuator.scales) != 1 || !r.actuator.scales[0].BypassCooldown || r.actuator.scales[0].To != 4 {
			t.Fatalf("scales %+v, want one 3 → 4 with BypassCooldown", r.actuator.scales)
		}
	})
	t.Run("second confirmation refused", func(t *testing.T) {
		r := cooldownRig()
		m := keys(t, r.model(t, 120, 40, heldByCooldown), "a", "y", "n")
		if m.dialog != nil || len(r.actuator.scales) != 0 {
			t.Fatalf("n on the bypass: dialog %v scales %v, want nothing written", m.dialog, r.actuator.scales)
		}
	})
	t.Run("override into the cooldown", func(t *testing.T) {
		r := cooldownRig()
		m := keys(t, r.model(t, 120, 40, heldByCooldown), "o", "backspace", "5", "enter", "y")
		if m.dialog == nil || m.dialog.kind != dialogBypass {
			t.Fatalf("override up during the up cooldown: dialog %+v, want the bypass confirmation", m.dialog)
		}
	})
}

func TestReject(t *testing.T) {
	r := newRig()
	target := int32(4)
	dec := func(in core.Input, now time.Time) core.Decision {
		d := scaleUp(in, now)
		d.Target, d.Proposed = target, target
		return d
	}
	m := keys(t, r.model(t, 120, 40, dec), "x")
	if !m.isRejected() || !strings.Contains(text(m), "rejected by you") {
		t.Fatalf("x did not reject:\n%s", text(m))
	}
	m = keys(t, m, "a")
	if m.dialog != nil || !strings.Contains(m.status, "you rejected this decision") {
		t.Fatalf("approve after reject: dialog %v status %q", m.dialog, m.status)
	}
	m = update(t, m, m.pollCmd()()) // same decision: stays rejected
	if !m.isRejected() {
		t.Fatalf("an unchanged decision came back after a poll")
	}
	target = 5
	m = update(t, m, m.pollCmd()())
	if m.isRejected() || m.rejected != "" {
		t.Fatalf("a changed decision (3 → 5) is still rejected")
	}
}

func TestAuto(t *testing.T) {
	t.Run("on with the Lease applies", func(t *testing.T) {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, scaleUp), "A")
		if m.dialog == nil || m.dialog.kind != dialogAuto {
			t.Fatalf("A: dialog %+v, want the auto-apply confirmation", m.dialog)
		}
		m = keys(t, m, "y")
		if r.lease.acquired != 1 {
			t.Fatalf("Acquire called %d times, want 1", r.lease.acquired)
		}
		m = send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
		if len(r.actuator.scales) == 0 || !r.actuator.scales[0].Auto || r.actuator.scales[0].To != 4 {
			t.Fatalf("scales %+v, want an automatic 3 → 4", r.actuator.scales)
		}
		if !strings.Contains(text(m), "[AUTO · Lease held by alice@laptop]") {
			t.Errorf("header lacks the AUTO badge:\n%s", text(m))
		}
		m = keys(t, m, "A")
		if m.autoWanted || r.lease.released != 1 {
			t.Fatalf("A again: autoWanted %v, released %d; want off and released", m.autoWanted, r.lease.released)
		}
	})
	t.Run("paused while a metric is unusable", func(t *testing.T) {
		r := newRig()
		dec := func(in core.Input, now time.Time) core.Decision {
			d := scaleUp(in, now)
			d.AutoApply, d.AutoApplyWhy = false, "memory is unusable: stale for 1m0s"
			return d
		}
		m := keys(t, r.model(t, 120, 40, dec), "A", "y")
		m = send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v while the decision forbids it", r.actuator.scales)
		}
		if !strings.Contains(text(m), "[AUTO PAUSED: memory is unusable: stale for 1m0s]") {
			t.Errorf("no PAUSED badge with the reason:\n%s", text(m))
		}
	})
	t.Run("Lease held by another console", func(t *testing.T) {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, scaleUp), "A", "y")
		m = send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: false, Holder: "bob@ops"}})
		if len(r.actuator.scales) != 0 || !strings.Contains(text(m), "[AUTO WAITING · Lease held by bob@ops]") {
			t.Fatalf("scales %v; screen:\n%s", r.actuator.scales, text(m))
		}
	})
	t.Run("no Lease configured", func(t *testing.T) {
		r := newRig()
		r.deps.Lease = nil
		m := keys(t, r.model(t, 120, 40, scaleUp), "A")
		if m.dialog != nil || !strings.Contains(m.status, "auto-apply unavailable") {
			t.Fatalf("A without a Lease: dialog %v status %q", m.dialog, m.status)
		}
	})
	t.Run("Acquire fails", func(t *testing.T) {
		r := newRig()
		r.lease.err = errors.New("leases.coordination.k8s.io is forbidden")
		m := keys(t, r.model(t, 120, 40, scaleUp), "A", "y")
		if m.autoWanted || !strings.Contains(lastLog(m), "forbidden") {
			t.Fatalf("autoWanted %v, log %q; want off with the error", m.autoWanted, lastLog(m))
		}
	})
	t.Run("Lease lost stops at once", func(t *testing.T) {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, maintain), "A", "y")
		m = send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
		m = send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: false, Holder: "bob@ops"}})
		if m.autoActive() || !strings.Contains(lastLog(m), "Lease lost to bob@ops: auto-apply stopped") {
			t.Fatalf("autoActive %v, log %q", m.autoActive(), lastLog(m))
		}
		m.decide = scaleUp
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) != 0 {
			t.Fatalf("wrote %+v after losing the Lease", r.actuator.scales)
		}
	})
	t.Run("started with --auto", func(t *testing.T) {
		r := newRig()
		r.deps.Auto = true
		m := New(r.deps)
		if !m.autoWanted {
			t.Fatalf("Deps.Auto did not request auto-apply")
		}
		m = send(t, m, m.acquireLeaseCmd()())
		if r.lease.acquired != 1 {
			t.Fatalf("Acquire called %d times, want 1", r.lease.acquired)
		}
	})
}

func TestDuckDBApply(t *testing.T) {
	for _, restart := range []bool{false, true} {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, scaleUp), "d")
		if m.dialog == nil || !strings.Contains(text(m), "memory_limit: 4GB → 6GiB") {
			t.Fatalf("d: no DuckDB dialog with the change:\n%s", text(m))
		}
		if restart {
			m = keys(t, m, "r")
		}
		m = keys(t, m, "y")
		if len(r.actuator.ducks) != 1 {
			t.Fatalf("restart=%v: %d DuckDB requests, want 1", restart, len(r.actuator.ducks))
		}
		got := r.actuator.ducks[0]
		if got.To.MemoryLimit != "6GiB" || got.To.Threads != 4 || got.Restart != restart || got.From.ResourceVersion != "77" {
			t.Errorf("restart=%v: ApplyDuckDB(%+v)", restart, got)
		}
		if !strings.Contains(lastLog(m), "via ConfigMap") {
			t.Errorf("log %q, want the applied result", lastLog(m))
		}
	}
}

func TestApplyFailureShown(t *testing.T) {
	r := newRig()
	r.actuator.err = errors.New(`deployments.apps "kimiclaw-db" is forbidden`)
	m := keys(t, r.model(t, 120, 40, scaleUp), "a", "y")
	want := `not applied: scale 3 → 4: deployments.apps "kimiclaw-db" is forbidden`
	if !strings.Contains(lastLog(m), want) || !strings.Contains(text(m), "✘ not applied") {
		t.Fatalf("log %q, want %q on screen:\n%s", lastLog(m), want, text(m))
	}
	r2 := newRig()
	r2.cluster.state.Replicas = 3
	m2 := keys(t, r2.model(t, 120, 40, scaleUp), "a")
	r2.cluster.state.Replicas = 5 // another console scaled meanwhile
	m2 = keys(t, m2, "y")
	if !strings.Contains(lastLog(m2), "not applied: scale 3 → 4: precondition failed") {
		t.Fatalf("precondition failure not shown: %q", lastLog(m2))
	}
}

func TestReadOnly(t *testing.T) {
	r := newRig()
	r.access.a = core.Access{Missing: []string{"patch deployments"}}
	m := r.model(t, 120, 40, scaleUp)
	for _, k := range []string{"a", "o", "x", "A", "d"} {
		m = keys(t, m, k)
		if m.dialog != nil || m.input != nil {
			t.Fatalf("%s opened a write in read-only mode", k)
		}
		if want := "missing permission patch deployments"; !strings.Contains(m.status, want) {
			t.Errorf("%s: status %q, want %q", k, m.status, want)
		}
	}
	if !strings.Contains(text(m), "[READ-ONLY]") {
		t.Errorf("no READ-ONLY badge")
	}
}

// tick sends a heartbeat at the rig's clock, with wall time wall.
func tick(t *testing.T, r *rig, m Model, wall time.Time) Model {
	t.Helper()
	return send(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: wall})
}

func TestTicksPollOnTheDashboardsClock(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	polls := r.metrics.polls
	if _, cmd := m.Update(tickMsg{tag: m.tickTag + 1, now: r.clk.Now()}); cmd != nil {
		t.Errorf("a tick of another loop continued, which would double the tick rate")
	}
	wall := t0
	r.clk.Step(5 * time.Second)
	m = tick(t, r, m, wall)
	if r.metrics.polls != polls {
		t.Fatalf("polled 5s after the last poll, interval 15s")
	}
	r.clk.Step(10 * time.Second)
	m = tick(t, r, m, wall.Add(time.Second))
	if r.metrics.polls != polls+1 {
		t.Fatalf("polls %d, want %d once the interval passed", r.metrics.polls, polls+1)
	}
	// A clock running 60 times faster than the wall (the demo's) gets
	// heartbeats often enough to poll every 15 s of its own time.
	for i := 2; i < 5; i++ {
		r.clk.Step(time.Minute)
		m = tick(t, r, m, wall.Add(time.Duration(i)*time.Second))
	}
	if got := m.nextTick(); got != minTick {
		t.Errorf("nextTick() at 60× = %s, want the floor %s", got, minTick)
	}
	m.rate = 20
	if got := m.nextTick(); got < 700*time.Millisecond || got > 800*time.Millisecond {
		t.Errorf("nextTick() at 20× = %s, want 15s/20 = 750ms", got)
	}
	if m.now != r.clk.Now() {
		t.Errorf("now %s, want the clock's %s", m.now, r.clk.Now())
	}
}

func TestPause(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "p")
	polls := r.metrics.polls
	if !m.paused || !strings.Contains(text(m), "[PAUSED") {
		t.Fatalf("p did not pause")
	}
	r.clk.Step(time.Minute)
	m = tick(t, r, m, t0)
	if r.metrics.polls != polls {
		t.Errorf("polled while paused")
	}
	if !strings.Contains(text(m), "STALE 1m0s") {
		t.Errorf("paused data does not show its age:\n%s", text(m))
	}
	m = keys(t, m, "p")
	if m.paused || r.metrics.polls != polls+1 {
		t.Fatalf("resume: paused %v, polls %d → %d; want one poll at once", m.paused, polls, r.metrics.polls)
	}
}

func TestDialogFrozen(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "a")
	before := strings.Join(m.dialog.lines, "\n")
	r.cluster.state.ResourceVersion = "2000"
	r.metrics.vals[core.MetricCPU] = 0.95
	m = update(t, m, m.pollCmd()())
	if got := strings.Join(m.dialog.lines, "\n"); got != before || m.dialog.scale.ResourceVersion != "1042" {
		t.Fatalf("dialog changed while open:\n%s\nwant\n%s", got, before)
	}
	if m.state.ResourceVersion != "2000" {
		t.Errorf("live data stopped while the dialog was open")
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, maintain), "A", "y")
		m = update(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true}})
		_, cmd := m.Update(press(k))
		if cmd == nil {
			t.Fatalf("%s returned no command", k)
		}
		_, seq := cmdsOf(cmd) // release the Lease, then quit
		var quit bool
		for _, c := range seq {
			_, quit = c().(tea.QuitMsg)
		}
		if !quit {
			t.Errorf("%s did not quit", k)
		}
		if r.lease.released != 1 {
			t.Errorf("%s: Lease released %d times, want 1", k, r.lease.released)
		}
	}
}

func TestTooSmallMessage(t *testing.T) {
	m := newRig().model(t, 60, 20, scaleUp)
	if want := "terminal too small (need 80×24, have 60×20)"; !strings.Contains(text(m), want) {
		t.Fatalf("screen %q, want %q", text(m), want)
	}
}

func TestNoColor(t *testing.T) {
	m := newRig().model(t, 120, 40, scaleUp)
	if raw := m.View().Content; !strings.Contains(raw, "\x1b[38;") {
		t.Fatalf("the unpinned view has no colour to take away; the test would prove nothing")
	}
	out := m.WithColorProfile(colorprofile.Ascii).View().Content
	for _, sgr := range []string{"\x1b[38;", "\x1b[48;", "\x1b[3", "\x1b[9"} {
		if strings.Contains(out, sgr) {
			t.Fatalf("NO_COLOR output still has colour %q", sgr)
		}
	}
	for _, s := range []string{"▲ SCALE UP", "[MANUAL]", string(runeForecast), string(runeBand), string(runeUp)} {
		if !strings.Contains(ansi.Strip(out), s) {
			t.Errorf("NO_COLOR output lacks %q, which carries the meaning without colour", s)
		}
	}
}

func TestWithRealDecide(t *testing.T) {
	r := newRig()
	r.metrics.flat = r.metrics.vals // the load has been this high for a while
	m := r.model(t, 200, 60, nil)   // core.Decide
	if m.decision == nil {
		t.Fatal("no decision")
	}
	if m.decision.Action != core.ActionScaleUp || m.decision.Target <= 3 {
		t.Errorf("CPU 74%% > 70%%: decision %s %d → %d, want a scale-up", m.decision.Action, m.decision.Current, m.decision.Target)
	}
	if len(m.scales.Recommendations) == 0 {
		t.Errorf("the decision's recommendation was not recorded for the next one")
	}
	if !strings.Contains(text(m), string(m.decision.Reasons[0].Code)) {
		t.Errorf("the reason %s is not on screen", m.decision.Reasons[0].Code)
	}
}

func TestWindowCycles(t *testing.T) {
	m := newRig().model(t, 120, 40, scaleUp)
	for _, want := range []string{"6h", "24h", "15m", "1h"} {
		m = keys(t, m, "w")
		if !strings.Contains(text(m), "window "+want) {
			t.Fatalf("after w: header does not show window %s", want)
		}
	}
}

func TestScaleEventsMarked(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	r.clk.Step(15 * time.Second)
	r.cluster.state.Replicas = 5
	m = update(t, m, m.pollCmd()())
	if len(m.marks) != 1 || m.marks[0].From != 3 || m.marks[0].To != 5 {
		t.Fatalf("marks %+v, want one 3 → 5", m.marks)
	}
	if len(m.scales.Events) != 1 || m.scales.Events[0].Change != 2 {
		t.Errorf("scale history events %+v, want +2", m.scales.Events)
	}
	if !strings.Contains(m.charts.repl.View(), "▲") {
		t.Errorf("replicas chart has no ▲ marker:\n%s", m.charts.repl.View())
	}
}

func TestOtherConsolesEvents(t *testing.T) {
	r := newRig()
	r.cluster.events = []core.ClusterEvent{
		{At: t0.Add(-time.Minute), Reason: "ScaledUp", Message: "3 → 4", By: "bob@ops"},
		{At: t0.Add(-30 * time.Second), Reason: "ScaledUp", Message: "mine", By: "alice@laptop"},
	}
	m := r.model(t, 120, 40, scaleUp)
	if !strings.Contains(text(m), "ScaledUp by bob@ops: 3 → 4") || strings.Contains(text(m), "mine") {
		t.Fatalf("event log should show bob's write and not our own:\n%s", text(m))
	}
	m = update(t, m, m.pollCmd()())
	n := 0
	for _, e := range m.log {
		if e.Kind == logOther {
			n++
		}
	}
	if n != 1 {
		t.Errorf("bob's event logged %d times, want once", n)
	}
}

// A routine poll returns within milliseconds: it neither animates the
// spinner (an extra message and redraw per poll) nor shows in the header.
// A poll still in flight at the next heartbeat is slow, and shows both.
func TestSpinnerOnlyWhileSlow(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	if m.polling {
		t.Fatal("still polling after the poll returned")
	}
	nm, cmd := m.Update(m.spin.Tick())
	if cmd != nil || nm.(Model).spinning {
		t.Errorf("an idle spinner kept ticking")
	}
	m = nm.(Model)
	r.clk.Step(15 * time.Second)
	nm, cmd = m.Update(tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0})
	m = nm.(Model)
	if !m.polling || cmd == nil {
		t.Fatalf("the tick did not start a poll")
	}
	if m.spinning || strings.Contains(text(m), "polling") {
		t.Errorf("a poll just started shows the spinner: spinning %v, header %q", m.spinning, strings.SplitN(text(m), "\n", 2)[0])
	}
	r.clk.Step(time.Second)
	nm, cmd = m.Update(tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0.Add(time.Second)})
	m = nm.(Model)
	if !m.polling || !m.spinning || cmd == nil {
		t.Fatalf("a poll still in flight a heartbeat later did not start the spinner")
	}
	if !strings.Contains(text(m), "polling") {
		t.Errorf("no polling indicator while a slow poll is in flight")
	}

	// A poll started by resuming meets a heartbeat 10 ms later: not slow yet.
	m = r.model(t, 120, 40, scaleUp)
	m = keys(t, m, "p")
	nm, _ = m.Update(press("p")) // its poll left in flight
	m = nm.(Model)
	if !m.polling {
		t.Fatal("resuming did not start a poll")
	}
	r.clk.Step(10 * time.Millisecond)
	nm, _ = m.Update(tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: m.lastWall.Add(10 * time.Millisecond)})
	if m = nm.(Model); m.pollSlow || strings.Contains(strings.SplitN(text(m), "\n", 2)[0], "polling") {
		t.Errorf("a heartbeat 10 ms after a poll started marked it slow")
	}
}

// TestPollingHeartbeatKeepsTheFrame: a heartbeat that starts a poll draws
// no new frame (the poll's answer, milliseconds later, is drawn); the
// answer is, and so is the next heartbeat while the poll is slow.
func TestPollingHeartbeatKeepsTheFrame(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	before := m.View().Content
	r.clk.Step(15 * time.Second)
	m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0})
	if !m.polling {
		t.Fatal("the heartbeat did not start a poll")
	}
	if got := m.View().Content; got != before {
		t.Errorf("the heartbeat that started a poll drew a new frame:\n%s", ansi.Strip(got))
	}
	polled := update(t, m, m.pollCmd()())
	if got, want := polled.View().Content, polled.render(); got != want || got == before {
		t.Errorf("the poll's answer is not drawn:\n%s", ansi.Strip(got))
	}

	// The poll is slow: the next heartbeat draws, spinner and all.
	r.clk.Step(time.Second)
	m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0.Add(time.Second)})
	if got := text(m); got == ansi.Strip(before) || !strings.Contains(got, "polling") {
		t.Errorf("a heartbeat during a slow poll did not draw it:\n%s", got)
	}
}

// fastPoll is the model after a poll's answer, and the frame drawn then.
type fastPoll struct {
	m     Model
	frame string
	// current says the frame is the model's view, and fed that the
	// charts hold the poll's data (both when the poll was answered: the
	// chart set is shared with later models).
	current, fed bool
}

// fastPolls drives m at 60× of the wall clock, as bubbletea would: a
// heartbeat every 500 ms of wall time (30 s of the dashboard's), each
// starting a poll that answers at once, and a View after every message.
// The first heartbeat only measures the clock's rate.
func fastPolls(t *testing.T, r *rig, m Model, n int) []fastPoll {
	t.Helper()
	var out []fastPoll
	for range n {
		m = heartbeat(t, r, m, 30*time.Second, 500*time.Millisecond)
		if !m.polling {
			t.Fatal("the heartbeat did not start a poll")
		}
		m = update(t, m, m.pollCmd()())
		out = append(out, framed(m))
	}
	return out
}

// heartbeat advances the dashboard's clock by step and the wall clock
// (r.wall) by wall, and sends m a heartbeat; View is called after it.
func heartbeat(t *testing.T, r *rig, m Model, step, wall time.Duration) Model {
	t.Helper()
	if r.wall.IsZero() {
		r.wall = t0
	}
	r.clk.Step(step)
	r.wall = r.wall.Add(wall)
	m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: r.wall})
	m.View()
	return m
}

// framed calls View, as bubbletea does after a message, and records it.
func framed(m Model) fastPoll {
	frame := m.View().Content
	return fastPoll{m: m, frame: frame, current: frame == m.render(),
		fed: !m.chartsDue && m.charts.metric[0].data.Now.Equal(m.now)}
}

func TestFastClockDrawsEverySecondPoll(t *testing.T) {
	r := newRig()
	ps := fastPolls(t, r, r.model(t, 120, 40, scaleUp), 6)
	if got := ps[len(ps)-1].m.rate; got != 60 {
		t.Fatalf("rate = %v, want 60", got)
	}
	// Poll 0 comes before the rate is known, and is drawn; from then on
	// every second poll is.
	for i := 1; i < len(ps); i++ {
		m := ps[i].m
		drawn := ps[i].frame != ps[i-1].frame
		if want := i%2 == 0; drawn != want {
			t.Errorf("poll %d: drawn %v, want %v (every second poll at 60×)", i, drawn, want)
		}
		if drawn {
			if !ps[i].current {
				t.Errorf("poll %d: the frame drawn is not the model's view", i)
			}
			if !ps[i].fed {
				t.Errorf("poll %d: drawn without the poll's data in the charts", i)
			}
		} else if !m.chartsDue {
			t.Errorf("poll %d: held, but the charts are not marked due", i)
		}
	}

	// A key draws what a held poll brought, charts included.
	held := ps[5].m
	if !held.chartsDue {
		t.Fatal("poll 5 was not held")
	}
	k := keys(t, held, "tab")
	if k.chartsDue || !k.charts.metric[0].data.Now.Equal(held.now) || k.View().Content != k.render() {
		t.Errorf("a key after a held poll did not draw the poll's data")
	}
}

func TestHeartbeatDrawsAHeldPoll(t *testing.T) {
	r := newRig()
	ps := fastPolls(t, r, r.model(t, 120, 40, scaleUp), 6)
	m := ps[5].m
	if !m.chartsDue {
		t.Fatal("poll 5 was not held")
	}
	// The next poll is slow: its heartbeat holds the frame, the one after
	// draws what poll 5 brought.
	m = heartbeat(t, r, m, 30*time.Second, 500*time.Millisecond)
	if !m.polling || !m.chartsDue {
		t.Fatal("the heartbeat did not start a poll, or drew")
	}
	m = heartbeat(t, r, m, 30*time.Second, 500*time.Millisecond)
	if f := framed(m); !f.current || !f.fed {
		t.Errorf("a heartbeat during a slow poll did not draw the held one (current %v, fed %v)", f.current, f.fed)
	}
}

func TestSlowerClockDrawsEveryPoll(t *testing.T) {
	// At 1.5× (as at 1×, with the heartbeat's jitter) a heartbeat a
	// second of the dashboard's time starts a poll every 15: the frame
	// before it is a second old, and the poll is drawn all the same.
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	polls := 0
	for range 60 {
		m = heartbeat(t, r, m, time.Second, 667*time.Millisecond)
		if !m.polling {
			continue
		}
		polls++
		m = update(t, m, m.pollCmd()())
		if f := framed(m); !f.current || !f.fed {
			t.Fatalf("a poll at %.1f× was held", m.rate)
		}
	}
	if polls < 3 || m.rate < 1.4 || m.rate > 1.6 {
		t.Fatalf("%d polls at rate %v, want some at 1.5", polls, m.rate)
	}
}

func TestFastClockDrawsARecoveryAtOnce(t *testing.T) {
	r := newRig()
	ps := fastPolls(t, r, r.model(t, 120, 40, scaleUp), 3)
	// The cluster read fails, the metrics do not: the data stays fresh.
	r.cluster.err = errors.New("the server is currently unable to handle the request")
	failed := fastPolls(t, r, ps[2].m, 1)[0]
	const notice = "this decision is not refreshed"
	if !failed.current || !strings.Contains(ansi.Strip(failed.frame), notice) {
		t.Fatalf("a failed poll was not drawn at once (current %v):\n%s", failed.current, ansi.Strip(failed.frame))
	}
	r.cluster.err = nil
	ok := fastPolls(t, r, failed.m, 1)[0]
	if !ok.current || !ok.fed || strings.Contains(ansi.Strip(ok.frame), notice) {
		t.Errorf("the poll after a failed one was held:\n%s", ansi.Strip(ok.frame))
	}
}

func TestFastClockDrawsChangesAtOnce(t *testing.T) {
	// What a person must see at once is never held: a new decision, new
	// replicas, an event in the log, a failed poll.
	tests := []struct {
		name   string
		change func(r *rig, target *int32)
	}{
		{"decision", func(_ *rig, target *int32) { *target = 1 }},
		{"replicas", func(r *rig, _ *int32) { r.cluster.state.Replicas = 4 }},
		{"ready replicas", func(r *rig, _ *int32) { r.cluster.state.ReadyReplicas = 2 }},
		{"event", func(r *rig, _ *int32) {
			r.cluster.events = append(r.cluster.events, core.ClusterEvent{At: r.clk.Now().Add(time.Second),
				Reason: "ScalingReplicaSet", By: "bob@ops", Message: "scaled to 5"})
		}},
		{"failed poll", func(r *rig, _ *int32) {
			r.cluster.err = errors.New("the server is currently unable to handle the request")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig()
			var target int32
			m := r.model(t, 120, 40, func(in core.Input, now time.Time) core.Decision {
				d := scaleUp(in, now)
				d.Target += target
				return d
			})
			ps := fastPolls(t, r, m, 3) // poll 2 was drawn; poll 3 would be held
			tc.change(r, &target)
			next := fastPolls(t, r, ps[2].m, 1)[0]
			if !next.fed || next.frame == ps[2].frame || !next.current {
				t.Errorf("a poll that brought a change (%s) was not drawn at once", tc.name)
			}
		})
	}
}

func TestFastClockAsksForTheHolderOncePerInterval(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, scaleUp)
	r.lease.holder = "bob@ops"
	before := r.lease.asked
	const n = 61 // 30 s of wall time at 60×
	ps := fastPolls(t, r, m, n)
	// Poll 0 asks (the rate is not known yet); then one poll in every
	// 15 s of wall time does: 15 s × 60 / 30 s a poll = every 30th poll.
	if got, want := r.lease.asked-before, 1+(n-1)/30; got != want {
		t.Errorf("%d polls at 60× asked for the holder %d times, want %d", n, got, want)
	}
	if got := ps[n-1].m.holder; got != "bob@ops" {
		t.Errorf("holder = %q, want bob@ops", got)
	}
}

func TestDryRunResult(t *testing.T) {
	r := newRig()
	r.deps.DryRun = true
	r.actuator.dryRun = true
	m := keys(t, r.model(t, 120, 40, scaleUp), "a", "y")
	if want := "dry-run: scale 3 → 4 would apply via Deployment spec.replicas"; !strings.Contains(lastLog(m), want) {
		t.Fatalf("log %q, want %q", lastLog(m), want)
	}
	if m.state.Replicas != 3 {
		t.Errorf("a dry run changed replicas to %d", m.state.Replicas)
	}
}

func TestScaleNeedsHPAPermission(t *testing.T) {
	r := newRig()
	r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 2, Max: 10}}
	r.access.a.HPA = false
	m := r.model(t, 120, 40, scaleUp)
	for _, k := range []string{"a", "o"} {
		m = keys(t, m, k)
		if m.dialog != nil || m.input != nil || !strings.Contains(m.status, "missing permission patch horizontalpodautoscalers") {
			t.Fatalf("%s with an HPA and no HPA permission: dialog %v, status %q", k, m.dialog, m.status)
		}
	}
}

func TestOtherConsoleHoldsLease(t *testing.T) {
	r := newRig()
	r.lease.holder = "bob@ops"
	m := r.model(t, 120, 40, scaleUp)
	if !strings.Contains(text(m), "auto-apply Lease held by bob@ops") {
		t.Fatalf("the header does not say who holds the Lease:\n%s", text(m))
	}
	m = keys(t, m, "A")
	if m.dialog == nil || !strings.Contains(text(m), "The Lease is held by bob@ops now") {
		t.Fatalf("the auto-apply dialog does not say who holds the Lease")
	}
}

func TestNoDataYet(t *testing.T) {
	r := newRig()
	r.metrics.err = errors.New("query cpu: dial tcp 127.0.0.1:9090: connect: connection refused")
	m := r.model(t, 120, 40, scaleUp)
	if m.decision != nil {
		t.Fatalf("a decision without any metrics")
	}
	for _, want := range []string{"NO DATA: poll metrics: query cpu", "No data yet, so no decision.", "Retrying every 15s"} {
		if !strings.Contains(text(m), want) {
			t.Errorf("screen lacks %q:\n%s", want, text(m))
		}
	}
	r.metrics.err = nil
	r.clk.Step(15 * time.Second)
	m = tick(t, r, m, t0)
	if m.decision == nil || m.pollErr != nil {
		t.Fatalf("the dashboard did not recover when the source came back: err %v", m.pollErr)
	}
}

// TestStatusExpires: a footer status message goes after 5 s of the
// dashboard's clock, or as soon as the decision changes, and the key hints
// come back.
func TestStatusExpires(t *testing.T) {
	const msg = "nothing to approve: the decision is maintain at 3 replicas"
	footer := func(m Model) string {
		lines := strings.Split(text(m), "\n")
		return lines[len(lines)-1]
	}
	t.Run("after 5s", func(t *testing.T) {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, maintain), "a")
		if !strings.Contains(footer(m), msg) {
			t.Fatalf("footer %q, want %q", footer(m), msg)
		}
		r.clk.Step(4 * time.Second)
		m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0})
		if !strings.Contains(footer(m), msg) {
			t.Fatalf("4s later the footer %q lost the message", footer(m))
		}
		r.clk.Step(time.Second)
		m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0.Add(time.Second)})
		if m.status != "" || !strings.Contains(footer(m), "? help") {
			t.Fatalf("5s later: status %q, footer %q; want the key hints back", m.status, footer(m))
		}
		m = keys(t, m, "a") // the same message again starts its own time
		if !strings.Contains(footer(m), msg) {
			t.Fatalf("a again: footer %q, want %q", footer(m), msg)
		}
	})
	t.Run("when the decision changes", func(t *testing.T) {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, maintain), "a")
		m.decide = scaleUp
		r.clk.Step(time.Second)
		m = update(t, m, m.pollCmd()())
		if m.status != "" || !strings.Contains(footer(m), "? help") {
			t.Fatalf("after the decision became a scale-up: status %q, footer %q; want the key hints back", m.status, footer(m))
		}
	})
}

// TestRejectSaysWhat: the log names what was rejected, a held change as
// held, and what the rejection does.
func TestRejectSaysWhat(t *testing.T) {
	tests := []struct {
		name string
		r    *rig
		dec  func(core.Input, time.Time) core.Decision
		want string
	}{
		{name: "scale-up", r: newRig(), dec: scaleUp, want: "rejected the scale-up 3 → 4 (a and auto-apply skip it until the decision changes)"},
		{name: "held", r: cooldownRig(), dec: heldByCooldown, want: "rejected the held scale-up 3 → 4 (a and auto-apply skip it until the decision changes)"},
		{name: "scale-down", r: newRig(), dec: scaleDownOne, want: "rejected the scale-down 3 → 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := keys(t, tc.r.model(t, 120, 40, tc.dec), "x")
			if got := lastLog(m); !strings.Contains(got, tc.want) {
				t.Errorf("log %q, want %q", got, tc.want)
			}
			if want := "✗ rejected by you: a and auto-apply skip it until it"; !strings.Contains(text(m), want) {
				t.Errorf("the Decision panel does not say %q:\n%s", want, text(m))
			}
		})
	}
}

// TestHelpClosesOnQ: the help says any key closes it, and q does.
func TestHelpClosesOnQ(t *testing.T) {
	m := keys(t, newRig().model(t, 120, 40, maintain), "?")
	if !m.showHelp || !strings.Contains(text(m), "(any key closes, q too; ctrl+c quits)") {
		t.Fatalf("? did not open the help, or it does not say how it closes:\n%s", text(m))
	}
	nm, cmd := m.Update(press("q"))
	if m = nm.(Model); m.showHelp || m.quitting || cmd != nil {
		t.Fatalf("q on the help: showHelp %v, quitting %v, cmd %v; want it closed and the program running", m.showHelp, m.quitting, cmd != nil)
	}
}

// TestStatusExpiresInWallTime: on a clock running 10 times faster than the
// wall (the demo's --speed 10), a status message still stays 5 s of the
// wall, 50 s of the dashboard's time.
func TestStatusExpiresInWallTime(t *testing.T) {
	r := newRig()
	m := r.model(t, 120, 40, maintain)
	wall := t0
	step := func(d time.Duration) { // d of the dashboard's time, d/10 of the wall
		r.clk.Step(d)
		wall = wall.Add(d / 10)
		m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: wall})
	}
	step(10 * time.Second)
	step(10 * time.Second) // the rate is measured: 10×
	m = keys(t, m, "a")
	step(40 * time.Second) // 4 s of the wall
	if m.status == "" {
		t.Fatalf("the status went after 4 s of the wall at 10×")
	}
	step(10 * time.Second)
	if m.status != "" {
		t.Fatalf("status %q still there after 5 s of the wall", m.status)
	}
}

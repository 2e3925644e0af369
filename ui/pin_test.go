package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/kimiclaw/kimiscale/core"
)

// hpaRig is the rig with HPA kimiclaw-hpa (bounds 2..10) targeting the
// Deployment.
func hpaRig() *rig {
	r := newRig()
	r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 2, Max: 10}, CurrentReplicas: 3, DesiredReplicas: 4}
	return r
}

// pinnedRig is the rig with kimiclaw-hpa pinned at 3, its original bounds
// 2..10 saved.
func pinnedRig() *rig {
	r := newRig()
	r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 3, Max: 3}, CurrentReplicas: 3, DesiredReplicas: 3,
		PinnedFrom: &core.Bounds{Min: 2, Max: 10}}
	return r
}

func TestPin(t *testing.T) {
	r := hpaRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "P")
	if m.input == nil || m.input.purpose != countPin {
		t.Fatalf("P with an HPA: field %+v, want the pin field", m.input)
	}
	if got := m.input.in.Value(); got != "4" {
		t.Errorf("pin field prefilled with %q, want the decision's target 4", got)
	}
	if want := "✓ minReplicas 2→4, maxReplicas 10→4"; !strings.Contains(text(m), want) {
		t.Errorf("the field does not say %q:\n%s", want, text(m))
	}
	m = keys(t, m, "backspace", "6", "enter")
	if m.dialog == nil || m.dialog.kind != dialogPin || m.dialog.focus != 0 {
		t.Fatalf("enter on 6: dialog %+v, want the pin confirmation focused on Cancel", m.dialog)
	}
	want := "HPA kimiclaw-hpa minReplicas 2→6, maxReplicas 10→6 (original 2..10 saved in annotation kimiscale.kimiclaw.io/pinned-from)"
	if !strings.Contains(strings.Join(m.dialog.lines, "\n"), want) {
		t.Errorf("pin dialog lines %q, want %q", m.dialog.lines, want)
	}
	if len(r.actuator.pins) != 0 {
		t.Fatalf("pinned before the confirmation: %+v", r.actuator.pins)
	}
	m = keys(t, m, "y")
	if len(r.actuator.pins) != 1 {
		t.Fatalf("after y: %d pin requests, want 1", len(r.actuator.pins))
	}
	got := r.actuator.pins[0]
	if got.Replicas != 6 || got.Unpin || got.By != "alice@laptop" || !strings.Contains(got.Reason, "pin by alice@laptop") {
		t.Errorf("Pin(%+v), want 6 replicas by alice@laptop with a reason", got)
	}
	if want := "pin HPA kimiclaw-hpa at 6 via HPA minReplicas=maxReplicas"; !strings.Contains(lastLog(m), want) || m.log[len(m.log)-1].Kind != logApplied {
		t.Errorf("event log %q, want ✔ %q", lastLog(m), want)
	}
	if !strings.Contains(text(m), "[HPA kimiclaw-hpa PINNED at 6, was 2..10]") {
		t.Errorf("the pin was not read back into the header:\n%s", text(m))
	}
}

func TestPinField(t *testing.T) {
	tests := []struct {
		name    string
		hpaMax  int32 // 0: 10
		typed   []string
		wantN   int32 // 0: enter opens no dialog
		wantMsg string
		seen    string // the start of wantMsg the field shows, when it wraps
	}{
		{name: "prefilled target", wantN: 4, wantMsg: "✓ minReplicas 2→4"},
		{name: "current count holds it", typed: []string{"backspace", "3"}, wantN: 3, wantMsg: "holds the current 3 replicas"},
		{name: "out of bounds", typed: []string{"backspace", "1", "2"},
			wantMsg: "12 is out of bounds: a pin must be between 2 and 10 (the policy's min and max replicas)",
			seen:    "12 is out of bounds: a pin must be between 2 and 10"},
		{name: "below the policy min", typed: []string{"backspace", "1"}, wantMsg: "1 is out of bounds: a pin must be between 2 and 10"},
		{name: "not a number", typed: []string{"backspace", "x"}, wantMsg: `"x" is not a number`},
		{name: "empty", typed: []string{"backspace"}, wantMsg: "type a replica count between 2 and 10"},
		{name: "above the HPA's max", hpaMax: 6, typed: []string{"backspace", "8"}, wantN: 8,
			wantMsg: "8 is above the HPA's maxReplicas 6: the pin overrides it until you unpin",
			seen:    "8 is above the HPA's maxReplicas 6: the pin overrides it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := hpaRig()
			if tc.hpaMax != 0 {
				r.cluster.state.HPA.Bounds.Max = tc.hpaMax
			}
			m := keys(t, r.model(t, 120, 40, scaleUp), "P")
			m = keys(t, m, tc.typed...)
			seen := tc.seen
			if seen == "" {
				seen = tc.wantMsg
			}
			if !strings.Contains(text(m), seen) {
				t.Errorf("while typing, the field does not say %q:\n%s", seen, text(m))
			}
			m = keys(t, m, "enter")
			if tc.wantN == 0 {
				if m.dialog != nil || m.input == nil {
					t.Fatalf("enter on an invalid count: dialog %v, field %v; want the field kept open", m.dialog, m.input)
				}
				if !strings.Contains(m.status, tc.wantMsg) {
					t.Errorf("status %q, want %q", m.status, tc.wantMsg)
				}
				return
			}
			if m.dialog == nil || m.dialog.kind != dialogPin || m.dialog.pin.Replicas != tc.wantN {
				t.Fatalf("enter: dialog %+v, want the pin at %d", m.dialog, tc.wantN)
			}
			m = keys(t, m, "y")
			if len(r.actuator.pins) != 1 || r.actuator.pins[0].Replicas != tc.wantN {
				t.Errorf("pins %+v, want one at %d", r.actuator.pins, tc.wantN)
			}
		})
	}
}

func TestPinCancelled(t *testing.T) {
	for _, ks := range [][]string{{"P", "esc"}, {"P", "enter", "n"}, {"P", "enter", "enter"}} {
		t.Run(strings.Join(ks, " "), func(t *testing.T) {
			r := hpaRig()
			m := keys(t, r.model(t, 120, 40, scaleUp), ks...)
			if m.input != nil || m.dialog != nil || len(r.actuator.pins) != 0 {
				t.Fatalf("field %v, dialog %v, pins %v; want closed and nothing written", m.input, m.dialog, r.actuator.pins)
			}
			if !strings.Contains(m.status, "pin cancelled") {
				t.Errorf("status %q, want it to say the pin was cancelled", m.status)
			}
		})
	}
}

func TestUnpin(t *testing.T) {
	r := pinnedRig()
	m := keys(t, r.model(t, 120, 40, scaleUp), "P")
	if m.input != nil || m.dialog == nil || m.dialog.kind != dialogUnpin || m.dialog.focus != 0 {
		t.Fatalf("P on a pinned HPA: field %v, dialog %+v; want the unpin confirmation focused on Cancel", m.input, m.dialog)
	}
	if !strings.Contains(text(m), "restore HPA bounds 2..10") {
		t.Errorf("unpin dialog does not say what it restores:\n%s", text(m))
	}
	m = keys(t, m, "y")
	if len(r.actuator.pins) != 1 {
		t.Fatalf("after y: %d pin requests, want 1", len(r.actuator.pins))
	}
	if got := r.actuator.pins[0]; !got.Unpin || got.By != "alice@laptop" || !strings.Contains(got.Reason, "back to 2..10") {
		t.Errorf("Pin(%+v), want an unpin by alice@laptop back to 2..10", got)
	}
	if want := "unpin HPA kimiclaw-hpa via HPA bounds restored"; !strings.Contains(lastLog(m), want) {
		t.Errorf("event log %q, want %q", lastLog(m), want)
	}
	if !strings.Contains(text(m), "[HPA kimiclaw-hpa 2..10 wants 3]") {
		t.Errorf("the restored bounds were not read back into the header:\n%s", text(m))
	}
}

func TestPinRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig)
		want  string
	}{
		{name: "no HPA", want: "no HPA targets kimiclaw-db: pinning needs one"},
		{name: "read-only flag", setup: func(r *rig) { r.deps.ReadOnly = true }, want: "read-only (--readonly): writes are off"},
		{name: "no actuator", setup: func(r *rig) { r.deps.Actuator = nil }, want: "read-only: this console has no actuator"},
		{name: "no write permission", setup: func(r *rig) {
			r.access.a = core.Access{Missing: []string{"patch deployments", "patch horizontalpodautoscalers"}}
		}, want: "read-only: missing permission patch deployments, patch horizontalpodautoscalers"},
		{name: "no HPA permission", setup: func(r *rig) { r.access.a.HPA = false },
			want: "cannot pin HPA kimiclaw-hpa: missing permission patch horizontalpodautoscalers"},
		{name: "no HPA permission to unpin", setup: func(r *rig) {
			r.access.a.HPA = false
			r.cluster.state.HPA = pinnedRig().cluster.state.HPA
		}, want: "cannot unpin HPA kimiclaw-hpa: missing permission patch horizontalpodautoscalers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := hpaRig()
			if tc.name == "no HPA" {
				r = newRig()
			}
			if tc.setup != nil {
				tc.setup(r)
			}
			m := keys(t, r.model(t, 120, 40, scaleUp), "P")
			if m.input != nil || m.dialog != nil {
				t.Fatalf("P opened field %v dialog %v, want neither", m.input, m.dialog)
			}
			if !strings.Contains(m.status, tc.want) || !strings.Contains(text(m), tc.want) {
				t.Errorf("status %q, want %q on screen", m.status, tc.want)
			}
			if len(r.actuator.pins) != 0 {
				t.Errorf("pinned %+v", r.actuator.pins)
			}
		})
	}
}

func TestPinFailureShown(t *testing.T) {
	r := hpaRig()
	r.actuator.err = errors.New(`horizontalpodautoscalers.autoscaling "kimiclaw-hpa" is forbidden`)
	m := keys(t, r.model(t, 120, 40, scaleUp), "P", "enter", "y")
	want := `not applied: pin HPA kimiclaw-hpa at 4: horizontalpodautoscalers.autoscaling "kimiclaw-hpa" is forbidden`
	if !strings.Contains(lastLog(m), want) || m.log[len(m.log)-1].Kind != logFailed || !strings.Contains(text(m), "✘ not applied") {
		t.Fatalf("log %q, want ✘ %q on screen:\n%s", lastLog(m), want, text(m))
	}
	if m.state.HPA.Pinned() || m.writing != 0 {
		t.Errorf("after a failed pin: pinned %v, writing %d", m.state.HPA.Pinned(), m.writing)
	}
}

func TestPinThroughCooldown(t *testing.T) {
	r := hpaRig()
	r.cluster.state.LastScale = &core.LastScale{At: t0.Add(-3 * time.Minute), Direction: core.DirectionDown, From: 4, To: 3, By: "bob@ops"}
	m := keys(t, r.model(t, 120, 40, heldByCooldown), "P", "backspace", "5", "enter")
	if m.dialog == nil || !m.dialog.blocked || !strings.Contains(text(m), "BLOCKED: the cooldown blocks scale-up for 07:00 more") {
		t.Fatalf("pin up during the up cooldown: dialog %+v does not warn:\n%s", m.dialog, text(m))
	}
	m = keys(t, m, "y")
	if m.dialog == nil || m.dialog.kind != dialogBypass || m.dialog.focus != 0 || len(r.actuator.pins) != 0 {
		t.Fatalf("first y: dialog %+v, pins %v; want the bypass confirmation and no write", m.dialog, r.actuator.pins)
	}
	m = keys(t, m, "B")
	if len(r.actuator.pins) != 1 || r.actuator.pins[0].Replicas != 5 || !strings.Contains(r.actuator.pins[0].Reason, "cooldown bypassed") {
		t.Fatalf("pins %+v, want one at 5 whose reason records the bypass", r.actuator.pins)
	}
	if !strings.Contains(m.log[len(m.log)-2].Text, "cooldown bypass confirmed by alice@laptop for the pin at 5") {
		t.Errorf("the bypass is not in the event log: %+v", m.log)
	}
}

func TestPinnedRefusesScale(t *testing.T) {
	r := pinnedRig()
	m := r.model(t, 120, 40, scaleUp)
	for _, k := range []string{"a", "o"} {
		m = keys(t, m, k)
		if m.dialog != nil || m.input != nil {
			t.Fatalf("%s on a pinned HPA opened dialog %v field %v", k, m.dialog, m.input)
		}
		if want := "HPA kimiclaw-hpa is pinned at 3: scaling is refused while it is pinned; P unpins it (restores 2..10)"; m.status != want {
			t.Errorf("%s: status %q, want %q", k, m.status, want)
		}
	}
	m = keys(t, m, "A", "y")
	m = send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
	if len(r.actuator.scales) != 0 {
		t.Errorf("auto-apply scaled a pinned HPA: %+v", r.actuator.scales)
	}
	if !strings.Contains(text(m), "blocked by: HPA pinned (P unpins)") {
		t.Errorf("the decision panel does not say the pin blocks it:\n%s", text(m))
	}
}

func TestPinFooter(t *testing.T) {
	for _, tc := range []struct {
		r    *rig
		want bool
	}{{newRig(), false}, {hpaRig(), true}} {
		m := tc.r.model(t, 200, 60, scaleUp)
		lines := strings.Split(text(m), "\n")
		if got := strings.Contains(lines[len(lines)-1], "P pin HPA"); got != tc.want {
			t.Errorf("HPA present %v: footer offers P = %v, want %v: %q", tc.want, got, tc.want, lines[len(lines)-1])
		}
	}
}

func TestPanelPinDialogs(t *testing.T) {
	cases := map[string]struct {
		r  func() *rig
		ks []string
	}{
		"pin_field":      {hpaRig, []string{"P"}},
		"pin_field_high": {hpaRig, []string{"P", "backspace", "1", "2"}},
		"pin_field_over_hpa": {func() *rig {
			r := hpaRig()
			r.cluster.state.HPA.Bounds.Max = 6
			return r
		}, []string{"P", "backspace", "8"}},
		"pin":   {hpaRig, []string{"P", "enter"}},
		"unpin": {pinnedRig, []string{"P"}},
	}
	for name, tc := range cases {
		for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", name, sz.w, sz.h), func(t *testing.T) {
				m := keys(t, tc.r().model(t, sz.w, sz.h, scaleUp), tc.ks...)
				checkBlock(t, m.View().Content, sz.w, sz.h)
				golden.RequireEqual(t, screen(m))
			})
		}
	}
	t.Run("unpin_moves/120x40", func(t *testing.T) {
		r := newRig()
		s := &r.cluster.state
		s.Replicas, s.ReadyReplicas = 4, 4
		s.LastScale = &core.LastScale{At: t0.Add(-3 * time.Minute), Direction: core.DirectionDown, From: 8, To: 4, By: "bob@ops"}
		s.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 4, Max: 4}, PinnedFrom: &core.Bounds{Min: 8, Max: 10}}
		m := keys(t, r.model(t, 120, 40, heldByCooldown), "P")
		golden.RequireEqual(t, screen(m))
	})
	t.Run("pin_bypass/120x40", func(t *testing.T) {
		r := hpaRig()
		r.cluster.state.LastScale = &core.LastScale{At: t0.Add(-3 * time.Minute), Direction: core.DirectionDown, From: 4, To: 3, By: "bob@ops"}
		m := keys(t, r.model(t, 120, 40, heldByCooldown), "P", "backspace", "5", "enter", "y")
		golden.RequireEqual(t, screen(m))
	})
}

// TestUnpinThroughCooldown: an unpin whose restored bounds move the
// replicas goes through the cooldown check and bypass confirmation of a
// pin; one whose bounds hold the current count does not.
func TestUnpinThroughCooldown(t *testing.T) {
	cooldown := &core.LastScale{At: t0.Add(-3 * time.Minute), Direction: core.DirectionDown, From: 8, To: 4, By: "bob@ops"}
	t.Run("restoring 8..10 from 4 is a scale-up", func(t *testing.T) {
		r := newRig()
		s := &r.cluster.state
		s.Replicas, s.ReadyReplicas, s.LastScale = 4, 4, cooldown
		s.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 4, Max: 4}, PinnedFrom: &core.Bounds{Min: 8, Max: 10}}
		m := keys(t, r.model(t, 120, 40, heldByCooldown), "P")
		if m.dialog == nil || m.dialog.kind != dialogUnpin || !m.dialog.blocked {
			t.Fatalf("P: dialog %+v, want the unpin confirmation, blocked by the cooldown", m.dialog)
		}
		if want := "from 4 to 8 replicas at the HPA's next sync (a scale-up)"; !strings.Contains(strings.Join(m.dialog.lines, " "), want) {
			t.Errorf("the unpin dialog's lines %q do not say %q", m.dialog.lines, want)
		}
		if want := "BLOCKED: the cooldown blocks scale-up for 07:00 more"; !strings.Contains(text(m), want) {
			t.Errorf("the unpin dialog does not say %q:\n%s", want, text(m))
		}
		m = keys(t, m, "y")
		if m.dialog == nil || m.dialog.kind != dialogBypass || len(r.actuator.pins) != 0 {
			t.Fatalf("y: dialog %+v, pins %+v; want the bypass confirmation and nothing written", m.dialog, r.actuator.pins)
		}
		m = keys(t, m, "B")
		if len(r.actuator.pins) != 1 || !r.actuator.pins[0].Unpin || !strings.Contains(r.actuator.pins[0].Reason, "cooldown bypassed") {
			t.Fatalf("B: pins %+v, want one unpin whose reason records the bypass", r.actuator.pins)
		}
		if got := lastLogWith(m, "cooldown bypass"); !strings.Contains(got, "cooldown bypass confirmed by alice@laptop for the unpin") {
			t.Errorf("log %q, want the bypass of the unpin", got)
		}
	})
	t.Run("restoring 2..10 keeps 4", func(t *testing.T) {
		r := newRig()
		s := &r.cluster.state
		s.Replicas, s.ReadyReplicas, s.LastScale = 4, 4, cooldown
		s.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 4, Max: 4}, PinnedFrom: &core.Bounds{Min: 2, Max: 10}}
		_ = keys(t, r.model(t, 120, 40, heldByCooldown), "P", "y")
		if len(r.actuator.pins) != 1 || strings.Contains(r.actuator.pins[0].Reason, "bypass") {
			t.Fatalf("P y: pins %+v, want one unpin without a bypass", r.actuator.pins)
		}
	})
}

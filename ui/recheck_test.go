package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// upTo is a decision to scale from the current count to *to.
func upTo(to *int32) func(core.Input, time.Time) core.Decision {
	return func(in core.Input, now time.Time) core.Decision {
		d := scaleUp(in, now)
		d.Target, d.Proposed, d.HPADesired = *to, *to, *to
		return d
	}
}

// TestApproveRechecksAtConfirmation: y on an approve dialog writes only
// when the live decision still asks for what the dialog showed, from a
// fresh poll.
func TestApproveRechecksAtConfirmation(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *rig, to *int32)
		writes int
		status string
	}{
		{name: "unchanged decision, new poll", change: func(r *rig, to *int32) {}, writes: 1},
		{name: "target changed", change: func(r *rig, to *int32) { *to = 4 }, status: "not applied: the decision changed while the dialog was open (now 3 → 4); review it and approve again"},
		{name: "now maintain", change: func(r *rig, to *int32) { *to = 3 }, status: "not applied: the decision changed while the dialog was open (now scale_up at 3)"},
		{name: "poll failed", change: func(r *rig, to *int32) { r.cluster.err = errors.New("etcdserver: request timed out") },
			status: "not approved: the decision is from 12:00:15, 0s ago (the last poll failed: read cluster state: etcdserver: request timed out)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig()
			to := int32(5)
			m := keys(t, r.model(t, 120, 40, upTo(&to)), "a")
			if m.dialog == nil || m.dialog.scale.To != 5 {
				t.Fatalf("a: dialog %+v, want the scale 3 → 5", m.dialog)
			}
			tc.change(r, &to)
			r.clk.Step(15 * time.Second)
			m = update(t, m, m.pollCmd()())
			m = keys(t, m, "y")
			if len(r.actuator.scales) != tc.writes {
				t.Fatalf("y wrote %+v, want %d writes", r.actuator.scales, tc.writes)
			}
			if tc.writes == 1 && r.actuator.scales[0].To != 5 {
				t.Errorf("y wrote %+v, want 3 → 5", r.actuator.scales[0])
			}
			if !strings.Contains(m.status, tc.status) {
				t.Errorf("status %q, want %q", m.status, tc.status)
			}
		})
	}
}

// TestCooldownEndsWhileDialogOpen: the cooldown countdown in a dialog is
// live, and a change the cooldown no longer blocks is applied without a
// bypass (none recorded), whether the first or the bypass dialog is open.
func TestCooldownEndsWhileDialogOpen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		open    []string // keys that open the dialog the cooldown ends under
		confirm string
		ended   string
	}{
		{name: "first dialog", open: []string{"a"}, confirm: "y", ended: "the cooldown has ended: confirming applies without a bypass"},
		{name: "bypass dialog", open: []string{"a", "y"}, confirm: "B", ended: "the cooldown has ended: B applies the change without a bypass"},
		{name: "override", open: []string{"o", "backspace", "5", "enter"}, confirm: "y", ended: "the cooldown has ended: confirming applies without a bypass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cooldownRig() // scale-up blocked until 12:07:00
			m := keys(t, r.model(t, 120, 40, heldByCooldown), tc.open...)
			if m.dialog == nil || !strings.Contains(text(m), "BLOCKED: the cooldown blocks scale-up for 07:00 more") {
				t.Fatalf("%v: dialog %+v does not show the countdown:\n%s", tc.open, m.dialog, text(m))
			}
			r.clk.Step(10 * time.Second) // a heartbeat between polls
			m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0})
			if !strings.Contains(text(m), "BLOCKED: the cooldown blocks scale-up for 06:50 more") {
				t.Fatalf("10s later the dialog's countdown is frozen:\n%s", text(m))
			}
			r.clk.Step(20 * time.Second) // a heartbeat that starts a poll, and the poll
			m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0.Add(10 * time.Second)})
			if !m.polling {
				t.Fatal("the heartbeat 30s later did not start a poll")
			}
			m = update(t, m, m.pollCmd()())
			if !strings.Contains(text(m), "BLOCKED: the cooldown blocks scale-up for 06:30 more") {
				t.Fatalf("30s later the dialog's countdown is frozen:\n%s", text(m))
			}
			r.clk.Step(7 * time.Minute)
			m = update(t, m, m.pollCmd()()) // the same held decision, its cooldown over
			if !strings.Contains(text(m), tc.ended) {
				t.Fatalf("the dialog does not say %q:\n%s", tc.ended, text(m))
			}
			m = keys(t, m, tc.confirm)
			if len(r.actuator.scales) != 1 || r.actuator.scales[0].BypassCooldown {
				t.Fatalf("y after the cooldown ended wrote %+v, want one scale without BypassCooldown (status %q)", r.actuator.scales, m.status)
			}
			if got := lastLogWith(m, "cooldown"); !strings.Contains(got, "the cooldown ended while the dialog was open") || strings.Contains(got, "bypass confirmed") {
				t.Errorf("log %q, want it to say the cooldown ended and nothing was bypassed", got)
			}
		})
	}
}

// TestBypassNeedsB: the second confirmation of a cooldown bypass needs B;
// y and enter, the keys of the first, do nothing there (a double y or key
// repeat cannot go through the cooldown), and the footer says what does.
func TestBypassNeedsB(t *testing.T) {
	r := cooldownRig()
	m := keys(t, r.model(t, 120, 40, heldByCooldown), "a", "y")
	if m.dialog == nil || m.dialog.kind != dialogBypass {
		t.Fatalf("a y: dialog %+v, want the bypass confirmation", m.dialog)
	}
	if !strings.Contains(text(m), "Press B to bypass the cooldown, esc cancels") {
		t.Errorf("the bypass dialog does not say which key bypasses:\n%s", text(m))
	}
	m = keys(t, m, "y", "y", "enter", "tab", "enter", "y")
	if m.dialog == nil || m.dialog.kind != dialogBypass || len(r.actuator.scales) != 0 {
		t.Fatalf("y/enter/tab on the bypass: dialog %+v, scales %+v; want it open and nothing written", m.dialog, r.actuator.scales)
	}
	if want := "y and enter do not bypass the cooldown: press B to bypass it, esc cancels"; m.status != want {
		t.Errorf("status %q, want %q", m.status, want)
	}
	m = keys(t, m, "B")
	if len(r.actuator.scales) != 1 || !r.actuator.scales[0].BypassCooldown {
		t.Fatalf("B: scales %+v, want one with BypassCooldown", r.actuator.scales)
	}
}

// TestTooSmallIgnoresKeys: while the screen says the terminal is too
// small, every key but q and ctrl+c is ignored, also by a dialog the
// screen hides.
func TestTooSmallIgnoresKeys(t *testing.T) {
	r := newRig()
	m := keys(t, r.model(t, 60, 20, scaleUp), "a", "y", "o", "P", "A", "p")
	if m.dialog != nil || m.input != nil || m.paused || len(r.actuator.scales) != 0 {
		t.Fatalf("keys acted on a too-small screen: dialog %+v, field %+v, paused %v, scales %+v", m.dialog, m.input, m.paused, r.actuator.scales)
	}
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = keys(t, m, "a")
	m = update(t, m, tea.WindowSizeMsg{Width: 60, Height: 20})
	m = keys(t, m, "y", "tab", "enter")
	if m.dialog == nil || len(r.actuator.scales) != 0 {
		t.Fatalf("keys moved the hidden dialog on: dialog %+v, scales %+v", m.dialog, r.actuator.scales)
	}
	_, cmd := m.Update(press("q"))
	if cmd == nil {
		t.Fatal("q on a too-small screen did not quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Errorf("q on a too-small screen did not quit")
	}
}

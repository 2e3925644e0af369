package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kimiclaw/kimiscale/core"
)

// Golden files of each panel on its own, at the widths the layouts give it.

func panelWidths() []int { return []int{40, 59, 80} }

func TestPanelDecision(t *testing.T) {
	r := newRig()
	in := core.Input{Policy: core.DefaultPolicy(), Current: 3, Ready: 3,
		Snapshot: core.Snapshot{Readings: map[core.Metric]core.Reading{core.MetricCPU: {Value: 0.74}, core.MetricMemory: {Value: 0.5},
			core.MetricQPS: {Value: 21000}, core.MetricConnections: {Value: 9000}}},
		LastScale: &core.LastScale{At: t0.Add(-3 * time.Minute)}}
	warnedIn := in
	warnedIn.Warnings = []string{lastScaleWarning}
	st := DefaultStyles()
	cases := map[string]struct {
		d        *core.Decision
		rejected bool
		extra    []string
	}{
		"waiting":  {},
		"scale_up": {d: new(scaleUp(in, t0))},
		"cooldown": {d: new(heldByCooldown(in, t0))},
		"stale":    {d: new(staleHold(in, t0))},
		"maintain": {d: new(maintain(in, t0))},
		"rejected": {d: new(scaleUp(in, t0)), rejected: true},
		"readonly": {d: new(scaleUp(in, t0)), extra: []string{"read-only", "Lease held by bob@ops"}},
		"warning":  {d: new(warned(warnedIn, t0))},
	}
	_ = r
	for name, tc := range cases {
		for _, w := range panelWidths() {
			t.Run(fmt.Sprintf("%s/%d", name, w), func(t *testing.T) {
				out := decisionView(&st, tc.d, decisionExtras{rejected: tc.rejected, blocks: tc.extra}, true, w, 14)
				checkBlock(t, out, w, 14)
				golden.RequireEqual(t, []byte(ansi.Strip(out)))
			})
		}
	}
}

func TestPanelCooldown(t *testing.T) {
	st := DefaultStyles()
	last := &core.LastScale{At: t0.Add(-3 * time.Minute), Direction: core.DirectionDown, From: 4, To: 3, By: "bob@ops", Reason: "AllBelowThreshold"}
	up := &core.Decision{Cooldown: core.CooldownStatus{Blocks: core.DirectionUp, Total: 10 * time.Minute, Until: t0.Add(7 * time.Minute)}}
	down := &core.Decision{Cooldown: core.CooldownStatus{Blocks: core.DirectionDown, Total: 5 * time.Minute, Until: t0.Add(90 * time.Second)}}
	// An HPA scale-down 8 → 5 recorded 3m ago that the replicas do not show.
	hpaLast := &core.LastScale{At: t0.Add(-3 * time.Minute), Direction: core.DirectionDown, From: 8, To: 5, By: "bob@ops", Reason: "AllBelowThreshold"}
	pending := &core.Decision{Current: 8, Cooldown: core.CooldownStatus{Blocks: core.DirectionNone, Total: 10 * time.Minute, Until: t0.Add(7 * time.Minute), Pending: true}}
	cases := map[string]struct {
		d    *core.Decision
		last *core.LastScale
		now  time.Time
	}{
		"none":         {d: &core.Decision{}},
		"up_blocked":   {d: up, last: last, now: t0},
		"up_later":     {d: up, last: last, now: t0.Add(6*time.Minute + 30*time.Second)},
		"up_over":      {d: up, last: last, now: t0.Add(8 * time.Minute)},
		"down_blocked": {d: down, now: t0},
		"pending":      {d: pending, last: hpaLast, now: t0},
		"pending_over": {d: pending, last: hpaLast, now: t0.Add(8 * time.Minute)},
	}
	for name, tc := range cases {
		for _, w := range panelWidths() {
			t.Run(fmt.Sprintf("%s/%d", name, w), func(t *testing.T) {
				out := cooldownView(&st, tc.d, tc.last, tc.now, w, 3)
				checkBlock(t, out, w, 3)
				golden.RequireEqual(t, []byte(ansi.Strip(out)))
			})
		}
	}
}

func TestPanelDuckDB(t *testing.T) {
	st := DefaultStyles()
	cs := baseState()
	withVPA := baseState()
	withVPA.VPA = &core.VPARecommendation{Target: core.Resources{CPU: 3000, Memory: 6 * core.GiB},
		LowerBound: core.Resources{CPU: 500, Memory: 2 * core.GiB}, UpperBound: core.Resources{CPU: 4000, Memory: 16 * core.GiB}}
	noLimits := baseState()
	noLimits.Limits = core.Resources{}
	noConfig := baseState()
	noConfig.DuckDB = nil
	rec := func(s core.ClusterState) (*core.DuckDBRecommendation, error) {
		r, err := core.RecommendDuckDB(core.DefaultPolicy(), s.Limits)
		if err != nil {
			return nil, err
		}
		return &r, nil
	}
	cases := map[string]*core.ClusterState{"plain": &cs, "vpa": &withVPA, "no_limits": &noLimits, "no_configmap": &noConfig, "waiting": nil}
	for name, s := range cases {
		for _, w := range panelWidths() {
			t.Run(fmt.Sprintf("%s/%d", name, w), func(t *testing.T) {
				var r *core.DuckDBRecommendation
				var err error
				if s != nil {
					r, err = rec(*s)
				}
				out := duckDBView(&st, s, r, err, false, w, 10)
				checkBlock(t, out, w, 10)
				golden.RequireEqual(t, []byte(ansi.Strip(out)))
			})
		}
	}
}

func TestPanelEvents(t *testing.T) {
	st := DefaultStyles()
	log := []logEntry{
		{At: t0, Kind: logInfo, Text: "auto-apply requested: asking for the Lease"},
		{At: t0.Add(time.Second), Kind: logApplied, Text: "scale 3 → 4 via Deployment spec.replicas"},
		{At: t0.Add(2 * time.Second), Kind: logFailed, Text: `not applied: scale 4 → 5: deployments.apps "kimiclaw-db" is forbidden: User "alice" cannot patch resource "deployments" in API group "apps"`},
		{At: t0.Add(3 * time.Second), Kind: logOther, Text: "ScaledDown by bob@ops: 5 → 4 (AllBelowThreshold)"},
	}
	for _, w := range panelWidths() {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			out := eventsView(&st, log, false, w, 8)
			checkBlock(t, out, w, 8)
			golden.RequireEqual(t, []byte(ansi.Strip(out)))
		})
	}
	t.Run("empty", func(t *testing.T) {
		golden.RequireEqual(t, []byte(ansi.Strip(eventsView(&st, nil, true, 40, 3))))
	})
}

func TestPanelDialogs(t *testing.T) {
	cases := map[string][]string{
		"scale":          {"a"},
		"scale_focus_ok": {"a", "tab"},
		"duckdb":         {"d"},
		"duckdb_restart": {"d", "r"},
		"auto":           {"A"},
		"override_valid": {"o", "backspace", "6"},
		"override_high":  {"o", "backspace", "1", "2"},
		"override_nan":   {"o", "backspace", "x"},
		"help":           {"?"},
	}
	for name, ks := range cases {
		for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", name, sz.w, sz.h), func(t *testing.T) {
				m := keys(t, newRig().model(t, sz.w, sz.h, scaleUp), ks...)
				checkBlock(t, m.View().Content, sz.w, sz.h)
				golden.RequireEqual(t, screen(m))
			})
		}
	}
	t.Run("bypass/120x40", func(t *testing.T) {
		m := keys(t, cooldownRig().model(t, 120, 40, heldByCooldown), "a", "y")
		golden.RequireEqual(t, screen(m))
	})
	t.Run("override_stale/120x40", func(t *testing.T) {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, scaleUp), "p")
		r.clk.Step(time.Minute)
		m = keys(t, tick(t, r, m, t0), "o", "backspace", "5", "enter")
		golden.RequireEqual(t, screen(m))
	})
}

func TestPanelCharts(t *testing.T) {
	r := newRig()
	m := r.model(t, 200, 60, scaleUp)
	for _, win := range []string{"1h", "6h", "24h", "15m"} {
		t.Run(win, func(t *testing.T) {
			for i, mt := range core.Metrics() {
				t.Run(string(mt), func(t *testing.T) {
					c := m.charts.metric[i]
					checkBlock(t, c.View(), c.w, c.h)
					golden.RequireEqual(t, []byte(ansi.Strip(c.View())))
				})
			}
			t.Run("replicas", func(t *testing.T) {
				golden.RequireEqual(t, []byte(ansi.Strip(m.charts.repl.View())))
			})
			m = keys(t, m, "w")
		})
	}
}

func TestNarrowFocusShowsDuckDB(t *testing.T) {
	m := newRig().model(t, 80, 24, scaleUp)
	if strings.Contains(text(m), "DuckDB") {
		t.Fatalf("DuckDB shown at 80×24 before it has focus")
	}
	m = keys(t, m, "tab")
	if !strings.Contains(text(m), "▶ DuckDB") || !strings.Contains(text(m), "memory_limit 4GB") {
		t.Fatalf("tab did not bring DuckDB forward:\n%s", text(m))
	}
	m = keys(t, m, "tab")
	if !strings.Contains(text(m), "▶ Events") {
		t.Fatalf("second tab did not focus the events")
	}
}

// checkBlock asserts s is exactly w cells wide and h lines high.
func checkBlock(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

func TestScreenSize(t *testing.T) {
	for _, md := range modes() {
		for _, sz := range []struct{ w, h int }{{80, 24}, {100, 30}, {139, 45}, {140, 45}, {200, 60}, {300, 80}} {
			r := newRig()
			if md.setup != nil {
				md.setup(r)
			}
			m := r.model(t, sz.w, sz.h, md.dec)
			if md.after != nil {
				m = md.after(t, r, m)
			}
			t.Run(fmt.Sprintf("%s/%dx%d", md.name, sz.w, sz.h), func(t *testing.T) {
				checkBlock(t, m.View().Content, sz.w, sz.h)
			})
		}
	}
}

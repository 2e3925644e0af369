package ui

import (
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// benchModel is the dashboard at 200×60 with 24 h of 15 s history, on the
// 24 h window (every sample visible), with the real core.Decide.
func benchModel(b *testing.B) (*rig, Model) {
	b.Helper()
	r := newRig()
	t := &testing.T{}
	m := r.model(t, 200, 60, nil)
	for range 3 { // to the 24h window
		m = keys(t, m, "w")
	}
	if got := m.hist.Series(core.MetricCPU).Len(); got < 5760 {
		b.Fatalf("history holds %d CPU samples, want 24 h of 15 s (5760)", got)
	}
	return r, m
}

// BenchmarkView is a full View() at 200×60 (target ≤ 3 ms).
func BenchmarkView(b *testing.B) {
	_, m := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkViewCold is View right after a poll: the decision and DuckDB
// panels are rendered again rather than reused.
func BenchmarkViewCold(b *testing.B) {
	_, m := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		m.charts.decision, m.charts.duck = memo{}, memo{}
		_ = m.View()
	}
}

// BenchmarkNewSample is handling one poll: history push, decision, and the
// redraw of every chart (target ≤ 5 ms).
func BenchmarkNewSample(b *testing.B) {
	r, m := benchModel(b)
	msg := m.pollCmd()().(pollMsg)
	b.ReportAllocs()
	for b.Loop() {
		msg.now = msg.now.Add(15 * time.Second)
		for k, rd := range msg.snap.Readings {
			rd.At = msg.now
			msg.snap.Readings[k] = rd
		}
		nm, _ := m.Update(msg)
		m = nm.(Model)
	}
	_ = r
}

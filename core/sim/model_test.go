package sim

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestModelStartupAndRemoval(t *testing.T) {
	m, err := NewModel(100, time.Minute, 2, t0)
	if err != nil {
		t.Fatalf("NewModel() error = %v", err)
	}
	if err := m.Scale(4, t0.Add(15*time.Second)); err != nil {
		t.Fatalf("Scale(4) error = %v", err)
	}
	steps := []struct {
		at        time.Duration
		scaleTo   int32 // -1: no change
		wantReady int32
		wantReps  int32
	}{
		{at: 30 * time.Second, scaleTo: -1, wantReady: 2, wantReps: 4},
		{at: 74 * time.Second, scaleTo: -1, wantReady: 2, wantReps: 4},
		{at: 75 * time.Second, scaleTo: -1, wantReady: 4, wantReps: 4}, // ready exactly startup after the request
		{at: 90 * time.Second, scaleTo: 6, wantReady: 4, wantReps: 6},
		// Removing 3 takes the two starting replicas first, then one ready.
		{at: 100 * time.Second, scaleTo: 3, wantReady: 3, wantReps: 3},
		{at: 200 * time.Second, scaleTo: -1, wantReady: 3, wantReps: 3},
	}
	for _, s := range steps {
		now := t0.Add(s.at)
		if s.scaleTo >= 0 {
			if err := m.Scale(s.scaleTo, now); err != nil {
				t.Fatalf("Scale(%d) error = %v", s.scaleTo, err)
			}
		}
		if got := m.Ready(now); got != s.wantReady {
			t.Errorf("at %s: Ready() = %d, want %d", s.at, got, s.wantReady)
		}
		if got := m.Replicas(); got != s.wantReps {
			t.Errorf("at %s: Replicas() = %d, want %d", s.at, got, s.wantReps)
		}
	}
}

func TestModelObserve(t *testing.T) {
	m, err := NewModel(50, time.Minute, 4, t0)
	if err != nil {
		t.Fatalf("NewModel() error = %v", err)
	}
	r := m.Observe(140, t0)
	want := Reading{At: t0, Demand: 140, Replicas: 4, Ready: 4, CPU: 0.7, Memory: 0.37, QPS: 5600, Connections: 2800}
	if !near(r.CPU, want.CPU) || !near(r.Memory, want.Memory) || !near(r.QPS, want.QPS) ||
		!near(r.Connections, want.Connections) || r.Ready != 4 || r.Replicas != 4 || !r.At.Equal(t0) {
		t.Errorf("Observe(140) = %+v, want %+v", r, want)
	}
	// Per ready replica, QPS and connections stay under the seed's
	// scale-down thresholds (2000) while CPU is under 100 %.
	if perReplica := r.QPS / float64(r.Ready); perReplica >= 2000 {
		t.Errorf("QPS per replica at 70%% CPU = %v, want < 2000", perReplica)
	}
	snap := r.Snapshot()
	if len(snap.Readings) != 4 {
		t.Errorf("Snapshot() has %d readings, want 4", len(snap.Readings))
	}
}

func TestNewModelErrors(t *testing.T) {
	tests := []struct {
		name     string
		capacity float64
		startup  time.Duration
		replicas int32
	}{
		{"zero capacity", 0, time.Minute, 2},
		{"NaN capacity", math.NaN(), time.Minute, 2},
		{"negative startup", 10, -time.Second, 2},
		{"negative replicas", 10, time.Minute, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewModel(tc.capacity, tc.startup, tc.replicas, t0); err == nil {
				t.Errorf("NewModel(%v, %s, %d) error = nil, want an error", tc.capacity, tc.startup, tc.replicas)
			}
		})
	}
}

func TestAbove(t *testing.T) {
	// 0.7 computed the way the simulator computes it lands a few ulps off.
	capacity := 405.0 / 7
	u := 405 / (10 * capacity)
	if Above(u, 0.7) {
		t.Errorf("Above(%v, 0.7) = true, want false: the peak at the default capacity is exactly the threshold", u)
	}
	if !Above(0.7001, 0.7) {
		t.Errorf("Above(0.7001, 0.7) = false, want true")
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

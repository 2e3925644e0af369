package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kimiclaw/kimiscale/core"
)

// t0 is the fixed epoch of every UI test.
var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// fakeMetrics is a canned MetricsSource: Poll returns readings at the
// clock's now (or err), Backfill returns a deterministic 24 h of load.
type fakeMetrics struct {
	mu    sync.Mutex
	clk   *clocktesting.FakeClock
	vals  map[core.Metric]float64
	err   error
	polls int
	// flat, when set, is the backfill: each metric constant at its value.
	flat map[core.Metric]float64
}

func (f *fakeMetrics) Poll(context.Context) (core.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	if f.err != nil {
		return core.Snapshot{}, f.err
	}
	now := f.clk.Now()
	s := core.Snapshot{At: now, Readings: map[core.Metric]core.Reading{}}
	for m, v := range f.vals {
		s.Readings[m] = core.Reading{Value: v, At: now}
	}
	return s, nil
}

// load is a deterministic daily-ish curve for metric m at time t.
func load(m core.Metric, t time.Time) float64 {
	x := float64(t.Unix()%86400) / 86400 * 2 * math.Pi
	w := 0.5 + 0.3*math.Sin(x) + 0.08*math.Sin(17*x)
	switch m {
	case core.MetricCPU:
		return w
	case core.MetricMemory:
		return 0.35 + 0.2*w
	case core.MetricQPS:
		return 3 * 9000 * w
	}
	return 3 * 5000 * w
}

func (f *fakeMetrics) Backfill(_ context.Context, from, to time.Time, step time.Duration) (map[core.Metric][]core.Sample, error) {
	out := map[core.Metric][]core.Sample{}
	for _, m := range core.Metrics() {
		for t := from; t.Before(to); t = t.Add(step) {
			v := load(m, t)
			if f.flat != nil {
				v = f.flat[m]
			}
			out[m] = append(out[m], core.Sample{At: t, Value: v})
		}
	}
	return out, nil
}

// fakeCluster returns a fixed state; Scale on the fakeActuator changes it.
type fakeCluster struct {
	mu     sync.Mutex
	state  core.ClusterState
	events []core.ClusterEvent
	err    error
}

func (f *fakeCluster) State(context.Context) (core.ClusterState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state, f.err
}

func (f *fakeCluster) Events(_ context.Context, since time.Time) ([]core.ClusterEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []core.ClusterEvent
	for _, e := range f.events {
		if e.At.After(since) {
			out = append(out, e)
		}
	}
	return out, nil
}

// fakeActuator records requests and applies scales to the fakeCluster.
type fakeActuator struct {
	mu      sync.Mutex
	cluster *fakeCluster
	clk     *clocktesting.FakeClock
	err     error
	dryRun  bool // report writes as dry-run and change nothing
	// restartErr makes ApplyDuckDB report the ConfigMap applied and the
	// rolling restart failed, as k8s.Client does.
	restartErr error
	scales     []core.ScaleRequest
	pins       []core.PinRequest
	ducks      []core.DuckDBRequest
}

func (f *fakeActuator) Scale(_ context.Context, req core.ScaleRequest) (core.ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scales = append(f.scales, req)
	if f.err != nil {
		return core.ApplyResult{}, f.err
	}
	if f.dryRun {
		return core.ApplyResult{Applied: true, DryRun: true, At: f.clk.Now(), Via: "Deployment spec.replicas"}, nil
	}
	f.cluster.mu.Lock()
	defer f.cluster.mu.Unlock()
	if h := f.cluster.state.HPA; h.Pinned() { // as k8s.Client: a pinned HPA is not scaled
		return core.ApplyResult{}, fmt.Errorf("hpa %s: kimiscale pinned it at %d; pin it to %d or unpin it first", h.Name, h.Bounds.Min, req.To)
	}
	if f.cluster.state.Replicas != req.From {
		return core.ApplyResult{Applied: false, At: f.clk.Now(), Message: "precondition failed: replicas changed"}, nil
	}
	// As k8s.Client: the replicas and the last-scale record in one write.
	dir := core.DirectionUp
	if req.To < req.From {
		dir = core.DirectionDown
	}
	f.cluster.state.LastScale = &core.LastScale{At: f.clk.Now(), Direction: dir, From: req.From, To: req.To, By: req.By, Reason: req.Reason}
	f.cluster.state.Replicas = req.To
	f.cluster.state.ReadyReplicas = req.To
	return core.ApplyResult{Applied: true, At: f.clk.Now(), Via: "Deployment spec.replicas"}, nil
}

// Pin pins or unpins the fakeCluster's HPA the way k8s.Client does: the
// original bounds are kept in PinnedFrom, and unpin restores them.
func (f *fakeActuator) Pin(_ context.Context, req core.PinRequest) (core.ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pins = append(f.pins, req)
	if f.err != nil {
		return core.ApplyResult{}, f.err
	}
	f.cluster.mu.Lock()
	defer f.cluster.mu.Unlock()
	if f.cluster.state.HPA == nil {
		return core.ApplyResult{}, errors.New("no HorizontalPodAutoscaler targets the deployment")
	}
	// A new HPAState rather than a write through the pointer the model
	// was handed by State.
	h := new(*f.cluster.state.HPA)
	f.cluster.state.HPA = h
	switch {
	case req.Unpin && h.PinnedFrom == nil:
		return core.ApplyResult{}, errors.New("the HPA is not pinned by kimiscale")
	case req.Unpin:
		h.Bounds, h.PinnedFrom = *h.PinnedFrom, nil
		return core.ApplyResult{Applied: true, At: f.clk.Now(), Via: "HPA bounds restored"}, nil
	}
	if h.PinnedFrom == nil {
		h.PinnedFrom = new(h.Bounds)
	}
	h.Bounds = core.Bounds{Min: req.Replicas, Max: req.Replicas}
	return core.ApplyResult{Applied: true, At: f.clk.Now(), Via: "HPA minReplicas=maxReplicas"}, nil
}

func (f *fakeActuator) ApplyDuckDB(_ context.Context, req core.DuckDBRequest) (core.ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ducks = append(f.ducks, req)
	if f.err != nil {
		return core.ApplyResult{}, f.err
	}
	if f.restartErr != nil && req.Restart {
		return core.ApplyResult{Applied: true, At: f.clk.Now(), Via: "ConfigMap", Message: "restart NOT done: " + f.restartErr.Error()},
			fmt.Errorf("duckdb-config updated, but the rolling restart was not applied: %w", f.restartErr)
	}
	return core.ApplyResult{Applied: true, At: f.clk.Now(), Via: "ConfigMap"}, nil
}

type fakeAccess struct{ a core.Access }

func (f fakeAccess) Access(context.Context) (core.Access, error) { return f.a, nil }

// fullAccess may do every write.
func fullAccess() core.Access {
	return core.Access{Scale: true, HPA: true, ConfigMap: true, Restart: true, Lease: true, Events: true}
}

// fakeLease hands out a channel the test writes statuses to.
type fakeLease struct {
	mu       sync.Mutex
	ch       chan core.LeaseStatus
	err      error
	acquired int
	released int
	holder   string
	asked    int // Holder calls
}

func (f *fakeLease) Acquire(context.Context) (<-chan core.LeaseStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acquired++
	if f.err != nil {
		return nil, f.err
	}
	return f.ch, nil
}

func (f *fakeLease) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released++
}

func (f *fakeLease) Holder(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	return f.holder, nil
}

// rig is a model with its fakes.
type rig struct {
	clk      *clocktesting.FakeClock
	metrics  *fakeMetrics
	cluster  *fakeCluster
	actuator *fakeActuator
	lease    *fakeLease
	access   *fakeAccess
	deps     Deps
	wall     time.Time // the wall clock of heartbeats (t0 until set)
}

// baseState is kimiclaw-db at 3 replicas with DuckDB settings and limits.
func baseState() core.ClusterState {
	return core.ClusterState{
		Namespace: "prod", Deployment: "kimiclaw-db",
		Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3,
		ResourceVersion: "1042", Selector: "app=kimiclaw-db",
		Requests: core.Resources{CPU: 2000, Memory: 4 * core.GiB},
		Limits:   core.Resources{CPU: 4000, Memory: 8 * core.GiB},
		DuckDB:   &core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "77"},
	}
}

func newRig() *rig {
	clk := clocktesting.NewFakeClock(t0)
	r := &rig{clk: clk}
	r.metrics = &fakeMetrics{clk: clk, vals: map[core.Metric]float64{
		core.MetricCPU: 0.74, core.MetricMemory: 0.52, core.MetricQPS: 21000, core.MetricConnections: 9000,
	}}
	r.cluster = &fakeCluster{state: baseState()}
	r.actuator = &fakeActuator{cluster: r.cluster, clk: clk}
	r.lease = &fakeLease{ch: make(chan core.LeaseStatus, 8)}
	r.access = &fakeAccess{a: fullAccess()}
	r.deps = Deps{
		Context: "kind-prod", Namespace: "prod", Deployment: "kimiclaw-db", User: "alice@laptop",
		Metrics: r.metrics, Cluster: r.cluster, Actuator: r.actuator, Access: r.access, Lease: r.lease,
		Clock: clk, Policy: core.DefaultPolicy(), Interval: 15 * time.Second, Backfill: 24 * time.Hour,
	}
	return r
}

// model builds the model, sizes it and runs the start-up I/O by hand:
// access, backfill (which polls once).
func (r *rig) model(t *testing.T, w, h int, decide func(core.Input, time.Time) core.Decision) Model {
	t.Helper()
	m := New(r.deps)
	if decide != nil {
		m.decide = decide
	}
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	if cmd := m.accessCmd(); cmd != nil {
		m = update(t, m, cmd())
	}
	if cmd := m.holderCmd(); cmd != nil {
		m = update(t, m, cmd())
	}
	m = update(t, m, m.backfillCmd()()) // returns the first poll
	m = update(t, m, m.pollCmd()())
	return m
}

// update sends one message and returns the model, dropping the Cmd.
func update(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	nm, _ := m.Update(msg)
	return nm.(Model)
}

// send sends msg and runs what the returned Cmd produces at once (ticks
// and other waits are dropped), feeding the results back, depth-limited.
func send(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	return sendDepth(t, m, msg, 0)
}

func sendDepth(t *testing.T, m Model, msg tea.Msg, depth int) Model {
	t.Helper()
	nm, cmd := m.Update(msg)
	m = nm.(Model)
	if depth > 6 {
		return m
	}
	for _, out := range runNow(cmd) {
		m = sendDepth(t, m, out, depth+1)
	}
	return m
}

// runNowWait is how long runNow waits for a Cmd. The fakes answer at once,
// so only a tick or a blocking wait (the Lease channel) runs into it; it is
// generous because a loaded CI machine can delay a goroutine by tens of
// milliseconds, and a Cmd cut off by that would drop its message.
const runNowWait = 250 * time.Millisecond

// runNow runs cmd and returns the messages it produces within runNowWait;
// a tick or a blocking wait produces nothing.
func runNow(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		switch msg := msg.(type) {
		case nil:
			return nil
		case tea.BatchMsg:
			var out []tea.Msg
			for _, c := range msg {
				out = append(out, runNow(c)...)
			}
			return out
		case tickMsg:
			return nil // the loop: not driven by these tests
		default:
			return []tea.Msg{msg}
		}
	case <-time.After(runNowWait):
		return nil
	}
}

// press is a key press of s ("a", "enter", "esc", "tab", "ctrl+c").
func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	k := tea.KeyPressMsg{Code: r, Text: s}
	if r >= 'A' && r <= 'Z' {
		k.Code = r + 'a' - 'A'
		k.ShiftedCode = r
		k.Mod = tea.ModShift
	}
	return k
}

package sim

import (
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/core/backtest"
)

const (
	nasaFile  = "../../testdata/traces/nasa_http_jul1995_1min.csv"
	azureFile = "../../testdata/traces/azure2019_vm_cpu_total_5min.csv"
)

func readTrace(tb testing.TB, path string) []core.Sample {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open trace: %v", err)
	}
	defer f.Close()
	s, err := backtest.ReadTrace(f)
	if err != nil {
		tb.Fatalf("ReadTrace(%s): %v", path, err)
	}
	return s
}

// nasaReport runs every policy over the whole NASA July trace once for all
// the tests that look at it.
var nasaReport = sync.OnceValues(func() (Report, error) {
	f, err := os.Open(nasaFile)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	trace, err := backtest.ReadTrace(f)
	if err != nil {
		return Report{}, err
	}
	return Run(trace, Options{Timeline: true})
})

func nasa(t *testing.T) Report {
	t.Helper()
	rep, err := nasaReport()
	if err != nil {
		t.Fatalf("run NASA July: %v", err)
	}
	return rep
}

// The targets: predictive has fewer violation minutes than hpa at
// no more than 5 % extra replica-minutes; oracle is the cheapest with zero
// violations, and first in the table.
func TestNASATargets(t *testing.T) {
	rep := nasa(t)
	h, p, o := result(t, rep, PolicyHPA), result(t, rep, PolicyPredictive), result(t, rep, PolicyOracle)
	if p.ViolationMinutes >= h.ViolationMinutes {
		t.Errorf("predictive violation minutes = %v, want fewer than hpa's %v", p.ViolationMinutes, h.ViolationMinutes)
	}
	if p.ReplicaMinutes > 1.05*h.ReplicaMinutes {
		t.Errorf("predictive replica-minutes = %v (%.3f× hpa), want at most 1.05× hpa's %v",
			p.ReplicaMinutes, p.ReplicaMinutes/h.ReplicaMinutes, h.ReplicaMinutes)
	}
	if o.ViolationMinutes != 0 {
		t.Errorf("oracle: %v violation minutes, want 0", o.ViolationMinutes)
	}
	checkOracleFirst(t, rep)
	var b writerCounter
	if err := rep.WriteTable(&b); err != nil || b.n == 0 {
		t.Errorf("WriteTable() = %v after %d bytes, want a table", err, b.n)
	}
}

// checkOracleFirst: no policy has fewer violation minutes than the oracle,
// nor as few at fewer replica-minutes.
func checkOracleFirst(t *testing.T, rep Report) {
	t.Helper()
	o := result(t, rep, PolicyOracle)
	for _, q := range rep.Policies {
		if q.Name == PolicyOracle {
			continue
		}
		if q.ViolationMinutes < o.ViolationMinutes ||
			(q.ViolationMinutes == o.ViolationMinutes && q.ReplicaMinutes < o.ReplicaMinutes) {
			t.Errorf("%s: %v violation minutes at %v replica-minutes, better than the oracle's %v at %v",
				q.Name, q.ViolationMinutes, q.ReplicaMinutes, o.ViolationMinutes, o.ReplicaMinutes)
		}
	}
}

// On the Azure VM trace hpa and predictive never overload the service
// either; the oracle, which once kept every step under the 70 % threshold,
// cost more than both (1.054× hpa). Kept under 100 % it is the cheapest.
func TestAzureOracleFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a month of the Azure trace; not in -short")
	}
	rep := run(t, readTrace(t, azureFile), Options{Compare: []string{PolicyHPA, PolicyPredictive, PolicyOracle}})
	checkOracleFirst(t, rep)
	if o := result(t, rep, PolicyOracle); o.ViolationMinutes != 0 {
		t.Errorf("oracle: %v violation minutes, want 0", o.ViolationMinutes)
	}
}

type writerCounter struct{ n int }

func (w *writerCounter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func TestNASAInvariants(t *testing.T) {
	rep := nasa(t)
	p := core.DefaultPolicy()
	for _, q := range rep.Policies {
		t.Run(q.Name, func(t *testing.T) {
			if len(q.Timeline) != 39692*4 {
				t.Fatalf("timeline has %d steps, want %d", len(q.Timeline), 39692*4)
			}
			for _, pt := range q.Timeline {
				if pt.Replicas < p.MinReplicas || pt.Replicas > p.MaxReplicas {
					t.Fatalf("at %s: %d replicas, outside [%d, %d]", pt.T, pt.Replicas, p.MinReplicas, p.MaxReplicas)
				}
				if pt.Ready < 1 {
					t.Fatalf("at %s: no replica ready", pt.T)
				}
			}
		})
	}
	t.Run("seed keeps its cooldown", func(t *testing.T) {
		checkCooldown(t, result(t, rep, PolicySeed), p.Cooldown)
	})
	t.Run("hpa keeps its rate limits", func(t *testing.T) {
		checkRateLimits(t, result(t, rep, PolicyHPA), p.Behavior)
	})
}

type scaleEvent struct {
	at       time.Time
	from, to int32
}

func events(q PolicyResult, initial int32) []scaleEvent {
	var out []scaleEvent
	prev := initial
	for _, pt := range q.Timeline {
		if pt.Replicas != prev {
			out = append(out, scaleEvent{at: pt.T, from: prev, to: pt.Replicas})
			prev = pt.Replicas
		}
	}
	return out
}

// checkCooldown: no scale-down within AfterScaleUp of a scale-up, no
// scale-up within AfterScaleDown of a scale-down.
func checkCooldown(t *testing.T, q PolicyResult, c core.CooldownPolicy) {
	t.Helper()
	evs := events(q, q.Timeline[0].Replicas)
	if len(evs) == 0 {
		t.Fatal("seed never scaled: nothing to check")
	}
	for i := 1; i < len(evs); i++ {
		prev, cur := evs[i-1], evs[i]
		gap := cur.at.Sub(prev.at)
		switch {
		case prev.to > prev.from && cur.to < cur.from && gap < c.AfterScaleUp.D():
			t.Errorf("scale-down %d→%d at %s only %s after the scale-up at %s", cur.from, cur.to, cur.at, gap, prev.at)
		case prev.to < prev.from && cur.to > cur.from && gap < c.AfterScaleDown.D():
			t.Errorf("scale-up %d→%d at %s only %s after the scale-down at %s", cur.from, cur.to, cur.at, gap, prev.at)
		}
	}
}

// checkRateLimits recomputes, for every hpa scale, the replicas at the start
// of each policy period (upstream: current − added + removed by the events
// strictly newer than now − period) and checks the scale stays within the
// Percent policies.
func checkRateLimits(t *testing.T, q PolicyResult, b core.Behavior) {
	t.Helper()
	evs := events(q, q.Timeline[0].Replicas)
	if len(evs) == 0 {
		t.Fatal("hpa never scaled: nothing to check")
	}
	for i, e := range evs {
		rules := b.ScaleUp
		if e.to < e.from {
			rules = b.ScaleDown
		}
		for _, pol := range rules.Policies {
			var added, removed int32
			for _, prev := range evs[:i] {
				if prev.at.After(e.at.Add(-pol.Period.D())) {
					if prev.to > prev.from {
						added += prev.to - prev.from
					} else {
						removed += prev.from - prev.to
					}
				}
			}
			start := float64(e.from - added + removed)
			if e.to > e.from {
				if limit := int32(math.Ceil(start * (1 + float64(pol.Value)/100))); e.to > max(limit, e.from) {
					t.Errorf("scale-up %d→%d at %s exceeds %d%% per %s: at most %d", e.from, e.to, e.at, pol.Value, pol.Period, limit)
				}
			} else if limit := int32(start * (1 - float64(pol.Value)/100)); e.to < limit {
				t.Errorf("scale-down %d→%d at %s exceeds %d%% per %s: at least %d", e.from, e.to, e.at, pol.Value, pol.Period, limit)
			}
		}
	}
}

// referenceHPA is the HPA as the independent reference simulator
// computes it: the exact utilization ratio (no whole-percent rounding) and
// desired = ceil(ratio × ready) with the starting pods left out, current
// within the tolerance; then the same normalization.
type referenceHPA struct {
	e      *env
	scales core.ScaleHistory
}

func (h *referenceHPA) decide(i int, r Reading) (int32, error) {
	now := h.e.at(i)
	ratio := r.CPU / h.e.threshold
	desired := r.Replicas
	if math.Abs(ratio-1) > h.e.policy.Tolerance {
		desired = int32(math.Ceil(ratio*float64(r.Ready) - 1e-9))
	}
	b := h.e.policy.Behavior
	to, _, rec := core.Normalize(core.NormalizeInput{Behavior: &b, Min: h.e.policy.MinReplicas, Max: h.e.policy.MaxReplicas,
		Current: r.Replicas, Desired: desired, Scales: h.scales}, now)
	h.scales.Record(rec)
	h.scales.RecordScale(r.Replicas, to, now)
	h.scales.Prune(now, b)
	return to, nil
}

// The reference figures for the HPA (44.75 violation minutes,
// 1,198.75 above 70 %, 90,670.5 replica-minutes, 1,008 scale events) come
// from a simulator of the same model; with its HPA arithmetic this model
// reproduces them, which checks the startup, the removal, the steps, the
// stabilization window's strict cutoff and the epsilon. The replica-minutes
// differ by 6 (0.007 %).
//
// Its oracle kept every step under the 70 % threshold and held each
// replica through the decision of the last step that needs it (the most
// need of steps i..i+k at step i): 0.980× its hpa, which referenceOracle
// reproduces. The oracle planned for the same ceiling needs only steps
// i+1..i+k (the decision at step i acts from step i+1), also never goes
// above 70 %, and is cheaper.
func TestReferenceFigures(t *testing.T) {
	trace := readTrace(t, nasaFile)
	e, err := newEnv(trace, Options{})
	if err != nil {
		t.Fatalf("newEnv() error = %v", err)
	}
	ref, err := e.run("reference-hpa", &referenceHPA{e: e})
	if err != nil {
		t.Fatalf("run() error = %v", err)
	}
	if ref.ViolationMinutes != 44.75 || ref.MinutesAboveThreshold != 1198.75 || ref.ScaleEvents != 1008 {
		t.Errorf("reference hpa = %v violation min, %v above, %d events; want 44.75, 1198.75, 1008",
			ref.ViolationMinutes, ref.MinutesAboveThreshold, ref.ScaleEvents)
	}
	if d := math.Abs(ref.ReplicaMinutes-90670.5) / 90670.5; d > 1e-4 {
		t.Errorf("reference hpa replica-minutes = %v, want 90670.5 within 0.01 %%", ref.ReplicaMinutes)
	}
	refOracle, err := e.run("reference-oracle", referenceOracle(e))
	if err != nil {
		t.Fatalf("run() error = %v", err)
	}
	if ratio := refOracle.ReplicaMinutes / ref.ReplicaMinutes; math.Abs(ratio-0.980) > 0.0005 || refOracle.MinutesAboveThreshold != 0 {
		t.Errorf("reference oracle: %.4f× reference hpa, %v minutes above 70 %%; want 0.980× and 0", ratio, refOracle.MinutesAboveThreshold)
	}
	o, err := e.run(PolicyOracle, newOracle(e, e.threshold))
	if err != nil {
		t.Fatalf("run() error = %v", err)
	}
	if o.MinutesAboveThreshold != 0 || o.ReplicaMinutes >= refOracle.ReplicaMinutes {
		t.Errorf("oracle at 70 %%: %v minutes above, %v replica-minutes; want 0, and fewer than the reference oracle's %v",
			o.MinutesAboveThreshold, o.ReplicaMinutes, refOracle.ReplicaMinutes)
	}
}

// referenceOracle is the reference oracle: at step i the most
// replicas that keep any of the steps i..i+k at or under the threshold.
func referenceOracle(e *env) *oracle {
	k := int((e.startup + e.step - 1) / e.step)
	plan := make([]int32, len(e.demand))
	for i := range plan {
		for j := i; j <= min(i+k, len(plan)-1); j++ {
			plan[i] = max(plan[i], e.need(e.demand[j]))
		}
	}
	return &oracle{plan: plan}
}

// cycled returns a 30-day one-minute trace: the NASA July trace repeated.
func cycled(tb testing.TB) []core.Sample {
	tb.Helper()
	src := readTrace(tb, nasaFile)
	out := make([]core.Sample, 30*24*60)
	for i := range out {
		out[i] = core.Sample{At: src[0].At.Add(time.Duration(i) * time.Minute), Value: src[i%len(src)].Value}
	}
	return out
}

// BenchmarkRun is the target: one 30-day one-minute trace through
// all four policies in at most 1 s, timelines included (simulate --timeline).
func BenchmarkRun(b *testing.B) {
	trace := cycled(b)
	for b.Loop() {
		if _, err := Run(trace, Options{Timeline: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunPolicy splits BenchmarkRun by policy.
func BenchmarkRunPolicy(b *testing.B) {
	trace := cycled(b)
	for _, name := range PolicyNames() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(trace, Options{Compare: []string{name}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

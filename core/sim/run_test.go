package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// minutes builds a trace of one sample per minute from t0.
func minutes(values ...float64) []core.Sample {
	out := make([]core.Sample, len(values))
	for i, v := range values {
		out[i] = core.Sample{At: t0.Add(time.Duration(i) * time.Minute), Value: v}
	}
	return out
}

// flat returns n copies of v.
func flat(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func run(t *testing.T, trace []core.Sample, opts Options) Report {
	t.Helper()
	opts.Timeline = true
	rep, err := Run(trace, opts)
	if err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	return rep
}

func result(t *testing.T, rep Report, name string) PolicyResult {
	t.Helper()
	r, ok := rep.Result(name)
	if !ok {
		t.Fatalf("report has no policy %q", name)
	}
	return r
}

// firstScale returns the time and replicas of the first step whose
// replicas differ from the first step's, or the zero time.
func firstScale(p PolicyResult) (time.Time, int32) {
	for _, pt := range p.Timeline {
		if pt.Replicas != p.Timeline[0].Replicas {
			return pt.T, pt.Replicas
		}
	}
	return time.Time{}, 0
}

// A step from 100 to 250 at minute 10, with 100 per replica at 70 %:
// 2 replicas hold 100 at 50 %, the step puts them at 125 %, and 4 replicas
// hold 250 at 62.5 %.
func TestStep(t *testing.T) {
	trace := minutes(append(flat(10, 100), flat(20, 250)...)...)
	rep := run(t, trace, Options{Capacity: 100, Compare: []string{PolicyHPA, PolicyPredictive, PolicyOracle}})
	step := t0.Add(10 * time.Minute)

	// hpa: the 60 s up-window holds 2 until every recommendation strictly
	// newer than now − 60 s asks for 4: at step + 45 s the window holds
	// the recommendations of step, +15 s, +30 s and +45 s (the one of
	// step − 15 s is exactly 60 s old and out). The replicas are ready
	// 60 s later, so 7 steps (1.75 minutes) overloaded.
	h := result(t, rep, PolicyHPA)
	if at, to := firstScale(h); !at.Equal(step.Add(45*time.Second)) || to != 4 {
		t.Errorf("hpa first scale = %d at %s, want 4 at %s", to, at, step.Add(45*time.Second))
	}
	if h.ViolationMinutes != 1.75 || h.ScaleEvents != 1 {
		t.Errorf("hpa violation minutes, scale events = %v, %d, want 1.75, 1", h.ViolationMinutes, h.ScaleEvents)
	}

	// predictive scales at once: 1 minute overloaded (the startup).
	p := result(t, rep, PolicyPredictive)
	if at, to := firstScale(p); !at.Equal(step) || to != 4 {
		t.Errorf("predictive first scale = %d at %s, want 4 at %s", to, at, step)
	}
	if p.ViolationMinutes != 1 {
		t.Errorf("predictive violation minutes = %v, want 1", p.ViolationMinutes)
	}

	// oracle asks a startup ahead for what keeps the step at or under
	// 100 %: 3 replicas carry 250 at 83 %. It knows the window too: the
	// last step's replicas serve no later step, so its last decision goes
	// back to the minimum.
	o := result(t, rep, PolicyOracle)
	if at, to := firstScale(o); !at.Equal(step.Add(-time.Minute)) || to != 3 {
		t.Errorf("oracle first scale = %d at %s, want 3 at %s", to, at, step.Add(-time.Minute))
	}
	if o.ViolationMinutes != 0 || o.MinutesAboveThreshold != 20 || o.ScaleEvents != 2 {
		t.Errorf("oracle = %v violation, %v above, %d events; want 0, 20, 2", o.ViolationMinutes, o.MinutesAboveThreshold, o.ScaleEvents)
	}
	// 9 minutes at 2, 20.75 at 3, the last step at 2.
	if want := 9*2.0 + 20.75*3 + 0.25*2; o.ReplicaMinutes != want {
		t.Errorf("oracle replica-minutes = %v, want %v", o.ReplicaMinutes, want)
	}
}

// A ramp of 10 units a minute from 100 to 700: slow enough that every
// policy keeps up, and the oracle holds exactly what the demand a startup
// later needs at 100 %.
func TestRamp(t *testing.T) {
	var vals []float64
	for v := 100.0; v <= 700; v += 10 {
		vals = append(vals, v)
	}
	trace := minutes(vals...)
	rep := run(t, trace, Options{Capacity: 100})
	for _, p := range rep.Policies {
		if p.ViolationMinutes != 0 {
			t.Errorf("%s: violation minutes = %v, want 0 on a slow ramp", p.Name, p.ViolationMinutes)
		}
	}
	o := result(t, rep, PolicyOracle)
	for i, pt := range o.Timeline {
		// 4 steps of 15 s are the 60 s startup; the demand only grows, and
		// the last step's replicas serve no later step.
		j := min(i+4, len(o.Timeline)-1)
		want := int32(2)
		if j > i {
			want = max(2, ceilDiv(o.Timeline[j].Demand, 100))
		}
		if pt.Replicas != want {
			t.Fatalf("oracle at %s: replicas = %d, want %d (demand %v a startup later)", pt.T, pt.Replicas, want, o.Timeline[j].Demand)
		}
	}
}

func ceilDiv(x, y float64) int32 {
	q := int32(x / y)
	if float64(q)*y < x {
		q++
	}
	return q
}

// A spike of 30 s, shorter than the 60 s startup: no reactive policy can
// help, only the oracle avoids it; the hpa's up-window ignores it.
func TestSpikeShorterThanStartup(t *testing.T) {
	var trace []core.Sample
	for i := range 160 { // 40 minutes of 15 s samples
		v := 100.0
		if i == 40 || i == 41 {
			v = 250
		}
		trace = append(trace, core.Sample{At: t0.Add(time.Duration(i) * 15 * time.Second), Value: v})
	}
	rep := run(t, trace, Options{Capacity: 100})
	for _, name := range []string{PolicyHPA, PolicyPredictive, PolicySeed} {
		p := result(t, rep, name)
		if p.ViolationMinutes != 0.5 {
			t.Errorf("%s: violation minutes = %v, want 0.5 (the whole spike)", name, p.ViolationMinutes)
		}
	}
	// predictive asks at once (too late for this spike), then holds the
	// replicas for its 10-minute down-window after the last high
	// recommendation, and is back at 2 by the end.
	p := result(t, rep, PolicyPredictive)
	spike := t0.Add(10 * time.Minute)
	if at, to := firstScale(p); !at.Equal(spike) || to != 4 {
		t.Errorf("predictive first scale = %d at %s, want 4 at %s", to, at, spike)
	}
	for _, pt := range p.Timeline {
		if pt.T.After(spike) && pt.T.Before(spike.Add(15*time.Second+DefaultPredictive().DownWindow)) && pt.Replicas < 4 {
			t.Errorf("predictive at %s: %d replicas, want the spike's 4 held for the down-window", pt.T, pt.Replicas)
			break
		}
	}
	if last := p.Timeline[len(p.Timeline)-1]; last.Replicas != 2 {
		t.Errorf("predictive at the end: %d replicas, want 2", last.Replicas)
	}
	if h := result(t, rep, PolicyHPA); h.ScaleEvents != 0 {
		t.Errorf("hpa: scale events = %d, want 0: the 60 s up-window ignores a 30 s spike", h.ScaleEvents)
	}
	o := result(t, rep, PolicyOracle)
	if o.ViolationMinutes != 0 || o.MinutesAboveThreshold != 0.5 {
		t.Errorf("oracle: %v violation, %v above, want 0 and 0.5 (3 replicas carry 250 at 83 %%)", o.ViolationMinutes, o.MinutesAboveThreshold)
	}
	// Up to 3 a startup before the spike, down at its last step: one
	// replica for 5 steps.
	if o.ScaleEvents != 2 || o.ReplicaMinutes != 40*2+1.25 {
		t.Errorf("oracle: %d events, %v replica-minutes, want 2 and %v", o.ScaleEvents, o.ReplicaMinutes, 40*2+1.25)
	}
}

func TestFlaps(t *testing.T) {
	// Up at minute 5, down when the load goes (after the hpa's 5 min
	// down-window), up again within 10 min: one flap counted for the
	// down after the up (if within 10 min) and for the second up.
	trace := minutes(append(append(flat(5, 100), flat(3, 250)...), flat(30, 100)...)...)
	rep := run(t, trace, Options{Capacity: 100, Compare: []string{PolicyOracle}})
	o := result(t, rep, PolicyOracle)
	// oracle: up at 4:00, down at 7:45 (after observing the last 250):
	// one reversal.
	if o.ScaleEvents != 2 || o.Flaps != 1 {
		t.Errorf("oracle: %d events, %d flaps, want 2 and 1", o.ScaleEvents, o.Flaps)
	}
}

func TestRunErrors(t *testing.T) {
	trace := minutes(100, 120, 130)
	tests := []struct {
		name  string
		trace []core.Sample
		opts  Options
		want  string
	}{
		{"empty trace", nil, Options{}, "trace is empty"},
		{"invalid policy", trace, Options{Policy: func() core.Policy { p := core.DefaultPolicy(); p.MaxReplicas = 1; return p }()}, "maxReplicas"},
		{"no replicas", trace, Options{Policy: func() core.Policy { p := core.DefaultPolicy(); p.MinReplicas = 0; return p }()}, "minReplicas"},
		{"unknown policy", trace, Options{Compare: []string{"hpa", "magic"}}, `unknown policy "magic"`},
		{"duplicate policy", trace, Options{Compare: []string{"hpa", "hpa"}}, "twice"},
		{"negative capacity", trace, Options{Capacity: -1}, "capacity"},
		{"negative startup", trace, Options{Startup: -time.Second}, "startup"},
		{"tiny step", trace, Options{Step: time.Millisecond}, "step"},
		{"from before the trace", trace, Options{From: t0.Add(-time.Minute)}, "outside the trace"},
		{"to after the trace", trace, Options{To: t0.Add(time.Hour)}, "after the trace"},
		{"empty window", trace, Options{From: t0.Add(time.Minute), To: t0.Add(time.Minute)}, "not after"},
		{"all zero", minutes(0, 0), Options{}, "pass a capacity"},
		{"negative demand", minutes(1, -1), Options{}, "demand -1"},
		{"out of order", []core.Sample{{At: t0.Add(time.Minute), Value: 1}, {At: t0, Value: 1}}, Options{}, "increasing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(tc.trace, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestWindowAndDefaults(t *testing.T) {
	trace := minutes(70, 140, 700, 140, 70)
	rep := run(t, trace, Options{From: t0.Add(time.Minute), To: t0.Add(4 * time.Minute), Compare: []string{PolicyOracle}})
	// Default capacity: the trace's peak / (10 × 0.70).
	if rep.Capacity != 100 {
		t.Errorf("Capacity = %v, want 100", rep.Capacity)
	}
	// A window without the peak keeps the trace's capacity.
	if rep := run(t, trace, Options{To: t0.Add(2 * time.Minute), Compare: []string{PolicyOracle}}); rep.Capacity != 100 {
		t.Errorf("Capacity of a window without the peak = %v, want the trace's 100", rep.Capacity)
	}
	if rep.StepSeconds != 15 || rep.StartupSeconds != 60 {
		t.Errorf("step, startup = %v s, %v s, want 15, 60", rep.StepSeconds, rep.StartupSeconds)
	}
	o := result(t, rep, PolicyOracle)
	if n := len(o.Timeline); n != 12 {
		t.Errorf("timeline has %d steps, want 12 (3 minutes)", n)
	}
	if !o.Timeline[0].T.Equal(t0.Add(time.Minute)) {
		t.Errorf("timeline starts at %s, want %s", o.Timeline[0].T, t0.Add(time.Minute))
	}
}

func TestWriteTable(t *testing.T) {
	trace := minutes(append(flat(10, 100), flat(20, 250)...)...)
	rep := run(t, trace, Options{Capacity: 100, Compare: []string{PolicyHPA, PolicyPredictive, PolicyOracle}})
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatalf("WriteTable() error = %v", err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("WriteTable() wrote %d lines, want 6:\n%s", len(lines), b.String())
	}
	// Ranked: oracle (0 violations), predictive (1 min), hpa (1.75 min).
	for i, name := range []string{"oracle", "predictive", "hpa"} {
		f := strings.Fields(lines[3+i])
		if f[0] != string(rune('1'+i)) || f[1] != name {
			t.Errorf("row %d = %q, want rank %d %s", i+1, lines[3+i], i+1, name)
		}
	}
	if f := strings.Fields(lines[5]); f[3] != "+0.00" || f[6] != "1.000x" {
		t.Errorf("hpa row = %q, want +0.00 violations and 1.000x cost relative to itself", lines[5])
	}
}

// The timelines are built only when asked for: they are most of a long
// run's memory, and simulate's table and default JSON leave them out.
func TestTimelineOnlyWhenAsked(t *testing.T) {
	trace := minutes(flat(60, 100)...)
	for _, want := range []bool{false, true} {
		rep, err := Run(trace, Options{Timeline: want})
		if err != nil {
			t.Fatalf("Run(Timeline: %v) error = %v", want, err)
		}
		for _, p := range rep.Policies {
			if got := p.Timeline != nil; got != want {
				t.Errorf("Run(Timeline: %v): policy %s has a timeline: %v, want %v", want, p.Name, got, want)
			}
			if want && len(p.Timeline) != 60*4 {
				t.Errorf("policy %s: %d timeline points, want %d (one per 15 s for an hour)", p.Name, len(p.Timeline), 60*4)
			}
		}
	}
}

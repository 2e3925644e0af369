package core

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const poll = 15 * time.Second

// seedInput is kimiclaw-db at 3 replicas (3 ready) under the seed's policy,
// with every reading taken at t0. qps and conn are per replica; the readings
// carry the totals, as the sources report them.
func seedInput(cpu, mem, qps, conn float64) Input {
	return Input{
		Policy:  DefaultPolicy(),
		Current: 3,
		Ready:   3,
		Snapshot: Snapshot{At: t0, Readings: map[Metric]Reading{
			MetricCPU:         {Value: cpu, At: t0},
			MetricMemory:      {Value: mem, At: t0},
			MetricQPS:         {Value: qps * 3, At: t0},
			MetricConnections: {Value: conn * 3, At: t0},
		}},
		PollInterval: poll,
	}
}

// seedMetrics is the Metrics map Decide reports for seedInput.
func seedMetrics(cpu, mem, qps, conn float64) map[Metric]MetricStatus {
	return map[Metric]MetricStatus{
		MetricCPU:         {Value: cpu, Up: 0.70, Down: 0.30, Fresh: true},
		MetricMemory:      {Value: mem, Up: 0.80, Down: 0.40, Fresh: true},
		MetricQPS:         {Value: qps, Up: 8000, Down: 2000, Fresh: true},
		MetricConnections: {Value: conn, Up: 8000, Down: 2000, Fresh: true},
	}
}

var noCooldown = CooldownStatus{Blocks: DirectionNone}

// decisionOpts compare Decisions: per-replica values come from a division,
// and the forecast path is checked on its own.
var decisionOpts = cmp.Options{
	cmpopts.EquateApprox(0, 1e-9),
	cmpopts.IgnoreFields(ForecastStatus{}, "Path"),
}

// TestDecideWhole compares whole Decisions for the main paths.
func TestDecideWhole(t *testing.T) {
	tests := []struct {
		name string
		in   func() Input
		want Decision
	}{
		{
			name: "CPU 74% fires the CPU rule (+1)",
			in:   func() Input { return seedInput(0.74, 0.5, 5000, 5000) },
			want: Decision{
				At: t0, Action: ActionScaleUp, Current: 3, Target: 4, Proposed: 4,
				Reasons: []Reason{{Code: ReasonCPUAboveThreshold, Message: "CPU 74.0% is above the 70% scale-up threshold (+1)"}},
				Metrics: seedMetrics(0.74, 0.5, 5000, 5000), Cooldown: noCooldown,
				HPADesired:        3, // 74/70 is within the 10 % tolerance
				Recommendation:    Recommendation{At: t0, Replicas: 4},
				HPARecommendation: Recommendation{At: t0, Replicas: 3},
				AutoApply:         true,
			},
		},
		{
			name: "QPS and CPU fire: the largest step (+2) wins",
			in:   func() Input { return seedInput(0.75, 0.5, 9000, 5000) },
			want: Decision{
				At: t0, Action: ActionScaleUp, Current: 3, Target: 5, Proposed: 5,
				Reasons: []Reason{
					{Code: ReasonCPUAboveThreshold, Message: "CPU 75.0% is above the 70% scale-up threshold (+1)"},
					{Code: ReasonQPSAboveThreshold, Message: "QPS 9000 per replica is above the 8000 scale-up threshold (+2)"},
				},
				Metrics: seedMetrics(0.75, 0.5, 9000, 5000), Cooldown: noCooldown,
				HPADesired:        3,
				Recommendation:    Recommendation{At: t0, Replicas: 5},
				HPARecommendation: Recommendation{At: t0, Replicas: 3},
				AutoApply:         true,
			},
		},
		{
			name: "every metric below its down threshold (−1)",
			in:   func() Input { return seedInput(0.2, 0.3, 1000, 1000) },
			want: Decision{
				At: t0, Action: ActionScaleDown, Current: 3, Target: 2, Proposed: 2,
				Reasons: []Reason{{Code: ReasonAllBelowThreshold, Message: "every metric is below its scale-down threshold " +
					"(CPU 20.0% < 30%, memory 30.0% < 40%, QPS 1000 per replica < 2000, connections 1000 per replica < 2000) (−1)"}},
				Metrics: seedMetrics(0.2, 0.3, 1000, 1000), Cooldown: noCooldown,
				HPADesired:        2, // max(ceil(3×20/70), ceil(3×30/80), ceil(3000/8000)) = 1, then 10 % per minute of 3
				Recommendation:    Recommendation{At: t0, Replicas: 2},
				HPARecommendation: Recommendation{At: t0, Replicas: 2},
				AutoApply:         true,
			},
		},
		{
			name: "within thresholds: maintain",
			in:   func() Input { return seedInput(0.5, 0.5, 5000, 5000) },
			want: Decision{
				At: t0, Action: ActionMaintain, Current: 3, Target: 3, Proposed: 3,
				Reasons: []Reason{{Code: ReasonWithinThresholds,
					Message: "no metric is above its scale-up threshold, and CPU 50.0% is not below its 30% scale-down threshold"}},
				Metrics: seedMetrics(0.5, 0.5, 5000, 5000), Cooldown: noCooldown,
				HPADesired:        3, // ceil(3 × 50/70) = 3
				Recommendation:    Recommendation{At: t0, Replicas: 3},
				HPARecommendation: Recommendation{At: t0, Replicas: 3},
				AutoApplyWhy:      "nothing to do",
			},
		},
		{
			name: "memory stale and the rest low: no scale-down, no auto-apply",
			in: func() Input {
				in := seedInput(0.2, 0.3, 1000, 1000)
				in.Snapshot.Readings[MetricMemory] = Reading{Value: 0.3, At: t0.Add(-46 * time.Second)}
				return in
			},
			want: Decision{
				At: t0, Action: ActionMaintain, Current: 3, Target: 3, Proposed: 3,
				Reasons: []Reason{
					{Code: ReasonMetricUnusable, Message: "unusable: memory (stale for 46s); no scale-down and no auto-apply on partial data"},
					{Code: ReasonWithinThresholds, Message: "no usable metric is above its scale-up threshold; " +
						"the usable ones are below their scale-down thresholds, but a scale-down needs every metric"},
				},
				Metrics: func() map[Metric]MetricStatus {
					m := seedMetrics(0.2, 0.3, 1000, 1000)
					m[MetricMemory] = MetricStatus{Value: 0.3, Up: 0.8, Down: 0.4, Why: "stale for 46s", Age: 46 * time.Second}
					return m
				}(),
				Cooldown:          noCooldown,
				HPADesired:        3, // a missing metric never causes a scale-down
				Recommendation:    Recommendation{At: t0, Replicas: 3},
				AutoApplyWhy:      "a metric is unusable: auto-apply pauses until every metric is fresh",
				HPARecommendation: Recommendation{},
			},
		},
		{
			name: "no usable metric: hold",
			in: func() Input {
				in := seedInput(0.9, 0.9, 9000, 9000)
				in.Snapshot.Readings = map[Metric]Reading{
					MetricCPU:    {State: ReadingError, Detail: "connection refused"},
					MetricMemory: {Value: math.NaN(), At: t0},
					MetricQPS:    {State: ReadingUnavailable},
				}
				return in
			},
			want: Decision{
				At: t0, Action: ActionHold, Current: 3, Target: 3, Proposed: 3,
				Reasons: []Reason{{Code: ReasonMetricsStale, Message: "no metric is usable (CPU (query error: connection refused), " +
					"memory (value is NaN), QPS (unavailable), connections (missing)): holding at 3 replicas"}},
				Metrics: map[Metric]MetricStatus{
					MetricCPU:         {Up: 0.70, Down: 0.30, Why: "query error: connection refused", Age: t0.Sub(time.Time{})},
					MetricMemory:      {Up: 0.80, Down: 0.40, Why: "value is NaN"},
					MetricQPS:         {Up: 8000, Down: 2000, Why: "unavailable", Age: t0.Sub(time.Time{})},
					MetricConnections: {Up: 8000, Down: 2000, Why: "missing"},
				},
				Cooldown:     noCooldown,
				HPADesired:   3,
				AutoApplyWhy: "no metric is usable",
			},
		},
		{
			name: "scale-down within 5m of a scale-up: blocked, proposal visible",
			in: func() Input {
				in := seedInput(0.2, 0.3, 1000, 1000)
				in.LastScale = &LastScale{At: t0.Add(-4*time.Minute - 59*time.Second), Direction: DirectionUp, From: 2, To: 3}
				return in
			},
			want: Decision{
				At: t0, Action: ActionMaintain, Current: 3, Target: 3, Proposed: 2,
				Reasons: []Reason{
					{Code: ReasonAllBelowThreshold, Message: "every metric is below its scale-down threshold " +
						"(CPU 20.0% < 30%, memory 30.0% < 40%, QPS 1000 per replica < 2000, connections 1000 per replica < 2000) (−1)"},
					{Code: ReasonCooldownAfterScaleUp, Message: "scale-down to 2 blocked: within 5m of the scale-up at 23:55:01 (1s left)"},
				},
				Metrics: seedMetrics(0.2, 0.3, 1000, 1000),
				Cooldown: CooldownStatus{Blocks: DirectionDown, Remaining: time.Second, Total: 5 * time.Minute,
					Until: t0.Add(time.Second)},
				HPADesired:        2,
				Recommendation:    Recommendation{At: t0, Replicas: 2},
				HPARecommendation: Recommendation{At: t0, Replicas: 2},
				AutoApplyWhy:      "the cooldown holds the proposal",
			},
		},
		{
			name: "override through the cooldown, explicitly bypassed",
			in: func() Input {
				in := seedInput(0.5, 0.5, 5000, 5000)
				in.LastScale = &LastScale{At: t0.Add(-time.Minute), Direction: DirectionDown, From: 4, To: 3}
				in.Override, in.BypassCooldown = 6, true
				return in
			},
			want: Decision{
				At: t0, Action: ActionScaleUp, Current: 3, Target: 6, Proposed: 6,
				Reasons: []Reason{
					{Code: ReasonOverride, Message: "a human asked for 6 replicas (now 3) instead of the rules"},
					{Code: ReasonCooldownBypassed, Message: "a human chose to go through the cooldown (9m left after the scale down at 23:59:00)"},
				},
				Metrics: seedMetrics(0.5, 0.5, 5000, 5000),
				Cooldown: CooldownStatus{Blocks: DirectionUp, Remaining: 9 * time.Minute, Total: 10 * time.Minute,
					Until: t0.Add(9 * time.Minute), Bypassed: true},
				HPADesired:        3,
				HPARecommendation: Recommendation{At: t0, Replicas: 3},
				AutoApplyWhy:      "an override is applied by a human, never automatically",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.in(), t0)
			if diff := cmp.Diff(tc.want, got, decisionOpts); diff != "" {
				t.Errorf("Decide() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideThresholds pins every threshold of the seed's table: a value
// exactly at a threshold does not fire; just past it does.
func TestDecideThresholds(t *testing.T) {
	const mid = 0.5 // CPU and memory between their thresholds
	tests := []struct {
		name                string
		cpu, mem, qps, conn float64
		want                int32
		code                ReasonCode
	}{
		{name: "CPU 70% exactly does not fire", cpu: 0.70, mem: mid, qps: 5000, conn: 5000, want: 3, code: ReasonWithinThresholds},
		{name: "CPU 70.01% fires +1", cpu: 0.7001, mem: mid, qps: 5000, conn: 5000, want: 4, code: ReasonCPUAboveThreshold},
		{name: "memory 80% exactly does not fire", cpu: mid, mem: 0.80, qps: 5000, conn: 5000, want: 3, code: ReasonWithinThresholds},
		{name: "memory 80.01% fires +1", cpu: mid, mem: 0.8001, qps: 5000, conn: 5000, want: 4, code: ReasonMemoryAboveThreshold},
		{name: "QPS 8000 per replica exactly does not fire", cpu: mid, mem: mid, qps: 8000, conn: 5000, want: 3, code: ReasonWithinThresholds},
		{name: "QPS 8000.1 per replica fires +2", cpu: mid, mem: mid, qps: 8000.1, conn: 5000, want: 5, code: ReasonQPSAboveThreshold},
		{name: "connections 8000 per replica exactly does not fire", cpu: mid, mem: mid, qps: 5000, conn: 8000, want: 3, code: ReasonWithinThresholds},
		{name: "connections 8001 per replica fires +1", cpu: mid, mem: mid, qps: 5000, conn: 8001, want: 4, code: ReasonConnectionsAbove},
		{name: "all low: −1", cpu: 0.29, mem: 0.39, qps: 1999, conn: 1999, want: 2, code: ReasonAllBelowThreshold},
		{name: "CPU 30% exactly blocks the scale-down", cpu: 0.30, mem: 0.39, qps: 1999, conn: 1999, want: 3, code: ReasonWithinThresholds},
		{name: "memory 40% exactly blocks the scale-down", cpu: 0.29, mem: 0.40, qps: 1999, conn: 1999, want: 3, code: ReasonWithinThresholds},
		{name: "QPS 2000 per replica exactly blocks the scale-down", cpu: 0.29, mem: 0.39, qps: 2000, conn: 1999, want: 3, code: ReasonWithinThresholds},
		{name: "connections 2000 per replica exactly blocks the scale-down", cpu: 0.29, mem: 0.39, qps: 1999, conn: 2000, want: 3, code: ReasonWithinThresholds},
		{name: "one metric up and others down: up wins", cpu: 0.9, mem: 0.1, qps: 100, conn: 100, want: 4, code: ReasonCPUAboveThreshold},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(seedInput(tc.cpu, tc.mem, tc.qps, tc.conn), t0)
			if d.Target != tc.want {
				t.Errorf("Decide().Target = %d, want %d (reasons %v)", d.Target, tc.want, d.Reasons)
			}
			if !d.Has(tc.code) {
				t.Errorf("Decide() reasons = %v, want one with code %s", d.Reasons, tc.code)
			}
		})
	}
}

// TestDecideAggregation: QPS and connections per ready replica by default,
// the total when the rule says so.
func TestDecideAggregation(t *testing.T) {
	in := seedInput(0.5, 0.5, 0, 5000)
	in.Ready = 2 // one replica not ready: 3 × 5000 connections over 2 ready is 7500
	in.Snapshot.Readings[MetricQPS] = Reading{Value: 17000, At: t0}
	d := Decide(in, t0)
	if got := d.Metrics[MetricQPS].Value; got != 8500 {
		t.Errorf("QPS per ready replica = %v, want 8500 (17000 / 2)", got)
	}
	if d.Target != 5 || !d.Has(ReasonQPSAboveThreshold) {
		t.Errorf("Decide() = target %d, reasons %v; want 5 by the QPS rule", d.Target, d.Reasons)
	}

	in.Policy.Rules[2].Aggregation = Total
	in.Policy.Rules[2].Up, in.Policy.Rules[2].Down = 20000, 5000
	d = Decide(in, t0)
	if got := d.Metrics[MetricQPS].Value; got != 17000 {
		t.Errorf("QPS total = %v, want 17000", got)
	}
	if d.Target != 3 {
		t.Errorf("Decide().Target = %d, want 3 (17000 total is under 20000)", d.Target)
	}

	in = seedInput(0.5, 0.5, 5000, 5000)
	in.Ready = 0
	d = Decide(in, t0)
	if m := d.Metrics[MetricQPS]; m.Fresh || m.Why != "no ready replica to average over" {
		t.Errorf("QPS with no ready replica = %+v, want unusable with a reason", m)
	}
}

// TestDecideFreshness pins the staleness edge: 3 poll intervals of age are
// still usable, a moment more is not.
func TestDecideFreshness(t *testing.T) {
	tests := []struct {
		name      string
		age       time.Duration
		wantFresh bool
	}{
		{name: "45s old (3 × 15s) is usable", age: 45 * time.Second, wantFresh: true},
		{name: "45.001s old is stale", age: 45*time.Second + time.Millisecond, wantFresh: false},
		{name: "from the future beyond 45s is unusable", age: -46 * time.Second, wantFresh: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput(0.5, 0.5, 5000, 5000)
			in.Snapshot.Readings[MetricCPU] = Reading{Value: 0.5, At: t0.Add(-tc.age)}
			d := Decide(in, t0)
			if got := d.Metrics[MetricCPU].Fresh; got != tc.wantFresh {
				t.Errorf("Metrics[cpu].Fresh = %v, want %v (%+v)", got, tc.wantFresh, d.Metrics[MetricCPU])
			}
			if d.Has(ReasonMetricUnusable) == tc.wantFresh {
				t.Errorf("Has(MetricUnusable) = %v, want %v", !tc.wantFresh, !tc.wantFresh)
			}
		})
	}

	// Partial data still lets a scale-up through, but never automatically.
	in := seedInput(0.9, 0.5, 5000, 5000)
	delete(in.Snapshot.Readings, MetricConnections)
	d := Decide(in, t0)
	if d.Action != ActionScaleUp || d.AutoApply {
		t.Errorf("Decide() = %s, AutoApply %v; want scale_up without auto-apply", d.Action, d.AutoApply)
	}
}

// fixedForecaster predicts value at the horizon and records how many
// samples it was given.
type fixedForecaster struct {
	name  string
	value float64
	err   error
	got   *int
}

func (f fixedForecaster) Name() string { return f.name }

func (f fixedForecaster) Forecast(h []Sample, horizon time.Duration) (Forecast, error) {
	if f.got != nil {
		*f.got = len(h)
	}
	if f.err != nil {
		return Forecast{}, f.err
	}
	at := h[len(h)-1].At.Add(horizon)
	return Forecast{Model: f.name, Points: []ForecastPoint{{At: at, Value: f.value, Lower: f.value - 0.1, Upper: f.value + 0.1}}}, nil
}

// cpuHistory is n CPU samples 15 s apart ending at t0, rising by step from
// start.
func cpuHistory(n int, start, step float64) *History {
	h := NewHistory(240)
	for i := range n {
		h.Series(MetricCPU).Push(Sample{At: t0.Add(-time.Duration(n-1-i) * poll), Value: start + step*float64(i)})
	}
	return h
}

func TestDecideForecast(t *testing.T) {
	t.Run("seed linear model: 10 points rising 1 % per 15 s forecast 85 % in 5m", func(t *testing.T) {
		in := seedInput(0.65, 0.5, 5000, 5000)
		in.History = cpuHistory(30, 0.36, 0.01) // the last 10 points are 0.56 … 0.65
		d := Decide(in, t0)
		if d.Forecast == nil {
			t.Fatalf("Decide().Forecast = nil, want the linear forecast (reasons %v)", d.Reasons)
		}
		if d.Forecast.Model != "linear" || d.Forecast.Horizon != 5*time.Minute || math.Abs(d.Forecast.CPU-0.85) > 1e-9 {
			t.Errorf("Forecast = %s %s %v, want linear 5m0s 0.85", d.Forecast.Model, d.Forecast.Horizon, d.Forecast.CPU)
		}
		if len(d.Forecast.Path) != 20 {
			t.Errorf("len(Forecast.Path) = %d, want 20 (5m of 15s steps)", len(d.Forecast.Path))
		}
		// ceil(0.85 × 3 / 0.70) = 4.
		if d.Target != 4 || !d.Has(ReasonForecastAbove) {
			t.Errorf("Decide() = target %d, reasons %v; want 4 by the forecast", d.Target, d.Reasons)
		}
		want := "CPU forecast 5m ahead is 85.0% (linear), above the 80% threshold: sized for the forecast 85.0% on 3 replicas; " +
			"4 replicas run that load at 63.7%, within the 70% scale-up threshold"
		if d.Reasons[len(d.Reasons)-1].Message != want {
			t.Errorf("forecast reason = %q, want %q", d.Reasons[len(d.Reasons)-1].Message, want)
		}
	})

	tests := []struct {
		name       string
		model      string
		value      float64
		err        error
		cpu        float64
		threshold  float64
		wantTarget int32
		wantCode   ReasonCode
		wantLen    int
	}{
		{name: "forecast 80% exactly does not fire", model: "linear", value: 0.80, cpu: 0.5, wantTarget: 3, wantCode: ReasonWithinThresholds, wantLen: 10},
		{name: "forecast 80.01% fires: ceil(0.8001×3/0.7) = 4", model: "linear", value: 0.8001, cpu: 0.5, wantTarget: 4, wantCode: ReasonForecastAbove, wantLen: 10},
		{name: "forecast capped at 100%: ceil(1.0×3/0.7) = 5, above the rules' 4", model: "linear", value: 1.7, cpu: 0.9, wantTarget: 5, wantCode: ReasonForecastAbove, wantLen: 10},
		{name: "rules above the forecast: max(rules, forecast)", model: "linear", value: 0.81, cpu: 0.5, wantTarget: 4, wantCode: ReasonForecastAbove, wantLen: 10},
		{name: "exact quotient does not round up: 0.84×5/0.7 = 6", model: "linear", value: 0.84, cpu: 0.5, wantTarget: 6, wantCode: ReasonForecastAbove, wantLen: 10},
		{name: "at least current+1 under a low threshold", model: "linear", value: 0.6, cpu: 0.5, threshold: 0.5, wantTarget: 4, wantCode: ReasonForecastAbove, wantLen: 10},
		{name: "non-linear models see the whole series", model: "holt", value: 0.5, cpu: 0.5, wantTarget: 3, wantCode: ReasonWithinThresholds, wantLen: 30},
		{name: "short history is silent", model: "linear", err: ErrShortHistory, cpu: 0.5, wantTarget: 3, wantCode: ReasonWithinThresholds, wantLen: 10},
		{name: "a failing model is reported, rules still apply", model: "linear", err: errors.New("boom"), cpu: 0.9, wantTarget: 4, wantCode: ReasonForecastUnavailable, wantLen: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput(tc.cpu, 0.5, 5000, 5000)
			if tc.name == "exact quotient does not round up: 0.84×5/0.7 = 6" {
				in.Current, in.Ready = 5, 5
				in.Snapshot.Readings[MetricQPS] = Reading{Value: 5 * 5000, At: t0}
				in.Snapshot.Readings[MetricConnections] = Reading{Value: 5 * 5000, At: t0}
			}
			if tc.threshold > 0 {
				in.Policy.Forecast.Threshold = tc.threshold
			}
			in.History = cpuHistory(30, 0.5, 0)
			var got int
			in.Forecaster = fixedForecaster{name: tc.model, value: tc.value, err: tc.err, got: &got}
			d := Decide(in, t0)
			if d.Target != tc.wantTarget {
				t.Errorf("Decide().Target = %d, want %d (reasons %v)", d.Target, tc.wantTarget, d.Reasons)
			}
			if !d.Has(tc.wantCode) {
				t.Errorf("Decide() reasons = %v, want code %s", d.Reasons, tc.wantCode)
			}
			if got != tc.wantLen {
				t.Errorf("forecaster got %d samples, want %d", got, tc.wantLen)
			}
		})
	}

	t.Run("a trend below zero is floored at 0%", func(t *testing.T) {
		in := seedInput(0.4, 0.5, 5000, 5000)
		in.History = cpuHistory(30, 0.5, 0)
		var got int
		in.Forecaster = fixedForecaster{name: "linear", value: -0.28, got: &got}
		d := Decide(in, t0)
		if d.Forecast == nil || d.Forecast.CPU != 0 || d.Forecast.Lower < 0 || d.Forecast.Upper < 0 {
			t.Errorf("Decide().Forecast = %+v, want CPU 0 and a band no lower than 0", d.Forecast)
		}
	})
	t.Run("no forecast while CPU is stale", func(t *testing.T) {
		in := seedInput(0.5, 0.5, 5000, 5000)
		in.Snapshot.Readings[MetricCPU] = Reading{Value: 0.5, At: t0.Add(-time.Minute)}
		in.History = cpuHistory(30, 0.5, 0.05)
		if d := Decide(in, t0); d.Forecast != nil {
			t.Errorf("Decide().Forecast = %+v, want nil while CPU is unusable", d.Forecast)
		}
	})
	t.Run("unknown policy model is reported", func(t *testing.T) {
		in := seedInput(0.5, 0.5, 5000, 5000)
		in.Policy.Forecast.Model = "prophet"
		in.History = cpuHistory(30, 0.5, 0)
		d := Decide(in, t0)
		if !d.Has(ReasonForecastUnavailable) || d.Target != 3 {
			t.Errorf("Decide() = target %d, reasons %v; want 3 with ForecastUnavailable", d.Target, d.Reasons)
		}
	})
}

// TestDecideBehaviourAndBounds: steps 4 and 5 inside Decide.
func TestDecideBehaviourAndBounds(t *testing.T) {
	tests := []struct {
		name    string
		in      func() Input
		want    int32
		wantHas ReasonCode
	}{
		{
			name: "a maintain recommendation 30s ago holds a scale-up (60s up-window)",
			in: func() Input {
				in := seedInput(0.9, 0.5, 5000, 5000)
				in.Scales.Recommendations = []Recommendation{{At: t0.Add(-30 * time.Second), Replicas: 3}}
				return in
			},
			want: 3, wantHas: ReasonScaleUpStabilized,
		},
		{
			name: "a maintain recommendation 4m ago holds a scale-down (300s down-window)",
			in: func() Input {
				in := seedInput(0.1, 0.1, 100, 100)
				in.Scales.Recommendations = []Recommendation{{At: t0.Add(-4 * time.Minute), Replicas: 3}}
				return in
			},
			want: 3, wantHas: ReasonScaleDownStabilized,
		},
		{
			name: "max 10: a scale-up at 10 is clamped",
			in: func() Input {
				in := seedInput(0.9, 0.5, 5000, 5000)
				in.Current, in.Ready = 10, 10
				return in
			},
			want: 10, wantHas: ReasonTooManyReplicas,
		},
		{
			name: "min 2: a scale-down at 2 is clamped",
			in: func() Input {
				in := seedInput(0.1, 0.1, 100, 100)
				in.Current, in.Ready = 2, 2
				return in
			},
			want: 2, wantHas: ReasonTooFewReplicas,
		},
		{
			name: "QPS +2 from 1 replica over min: 100 % per minute allows 2",
			in: func() Input {
				in := seedInput(0.5, 0.5, 9000, 5000)
				in.Policy.MinReplicas = 1
				in.Current, in.Ready = 1, 1
				in.Snapshot.Readings[MetricQPS] = Reading{Value: 9000, At: t0}
				in.Snapshot.Readings[MetricConnections] = Reading{Value: 5000, At: t0}
				return in
			},
			want: 2, wantHas: ReasonScaleUpLimit,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in(), t0)
			if d.Target != tc.want || !d.Has(tc.wantHas) {
				t.Errorf("Decide() = target %d, reasons %v; want %d with %s", d.Target, d.Reasons, tc.want, tc.wantHas)
			}
		})
	}
}

func TestDecideCooldown(t *testing.T) {
	up := func(ago time.Duration) *LastScale {
		return &LastScale{At: t0.Add(-ago), Direction: DirectionUp, From: 2, To: 3}
	}
	down := func(ago time.Duration) *LastScale {
		return &LastScale{At: t0.Add(-ago), Direction: DirectionDown, From: 4, To: 3}
	}
	// hpaDown is a scale-down through the HPA: minReplicas lowered so
	// the HPA may go from 8 to 5; the Deployment is left to the HPA.
	hpaDown := func(ago time.Duration) *LastScale {
		return &LastScale{At: t0.Add(-ago), Direction: DirectionDown, From: 8, To: 5}
	}
	low := [4]float64{0.1, 0.1, 100, 100}
	high := [4]float64{0.9, 0.5, 5000, 5000}
	tests := []struct {
		name     string
		load     [4]float64
		last     *LastScale
		current  int32 // replicas (and ready); 0 is seedInput's 3
		bypass   bool
		want     int32
		proposed int32
		code     ReasonCode
	}{
		{name: "4m59s after an up: down blocked", load: low, last: up(4*time.Minute + 59*time.Second), want: 3, proposed: 2, code: ReasonCooldownAfterScaleUp},
		{name: "5m00s after an up: down allowed", load: low, last: up(5 * time.Minute), want: 2, proposed: 2, code: ReasonAllBelowThreshold},
		{name: "1m after an up: another up allowed", load: high, last: up(time.Minute), want: 4, proposed: 4, code: ReasonCPUAboveThreshold},
		{name: "9m59s after a down: up blocked", load: high, last: down(9*time.Minute + 59*time.Second), want: 3, proposed: 4, code: ReasonCooldownAfterScaleDown},
		{name: "10m00s after a down: up allowed", load: high, last: down(10 * time.Minute), want: 4, proposed: 4, code: ReasonCPUAboveThreshold},
		{name: "1m after a down: another down allowed", load: low, last: down(time.Minute), want: 2, proposed: 2, code: ReasonAllBelowThreshold},
		{name: "bypass lets a blocked up through", load: high, last: down(time.Minute), bypass: true, want: 4, proposed: 4, code: ReasonCooldownBypassed},
		{name: "HPA down not taken effect (8 run, from 8): up allowed", load: high, last: hpaDown(time.Minute), current: 8, want: 9, proposed: 9, code: ReasonCooldownScaleDownPending},
		{name: "HPA down not taken effect (9 run, from 8): up allowed", load: high, last: hpaDown(9 * time.Minute), current: 9, want: 10, proposed: 10, code: ReasonCooldownScaleDownPending},
		{name: "HPA down partly taken effect (7 run, from 8): up blocked", load: high, last: hpaDown(time.Minute), current: 7, want: 7, proposed: 8, code: ReasonCooldownAfterScaleDown},
		{name: "HPA down taken effect (5 run): up blocked", load: high, last: hpaDown(time.Minute), current: 5, want: 5, proposed: 6, code: ReasonCooldownAfterScaleDown},
		{name: "direct down (3 run, from 4): up blocked as before", load: high, last: down(time.Minute), current: 3, want: 3, proposed: 4, code: ReasonCooldownAfterScaleDown},
		{name: "HPA down not taken effect: another down allowed", load: low, last: hpaDown(time.Minute), current: 8, want: 7, proposed: 7, code: ReasonAllBelowThreshold},
		{
			name: "up record not taken effect (3 run, 3 → 4): down still blocked", load: low, current: 3, want: 3, proposed: 2, code: ReasonCooldownAfterScaleUp,
			last: &LastScale{At: t0.Add(-time.Minute), Direction: DirectionUp, From: 3, To: 4},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput(tc.load[0], tc.load[1], tc.load[2], tc.load[3])
			if tc.current != 0 {
				in.Current, in.Ready = tc.current, tc.current
			}
			in.LastScale, in.BypassCooldown = tc.last, tc.bypass
			d := Decide(in, t0)
			if d.Target != tc.want || d.Proposed != tc.proposed || !d.Has(tc.code) {
				t.Errorf("Decide() = target %d proposed %d reasons %v; want %d, %d with %s",
					d.Target, d.Proposed, d.Reasons, tc.want, tc.proposed, tc.code)
			}
			if d.Target == d.Current && d.Action != ActionMaintain {
				t.Errorf("blocked Decide().Action = %s, want maintain", d.Action)
			}
		})
	}
}

// TestDecideScaleDownNotSeen is the 3 a.m. case: at 03:00 kimiscale lowered
// the HPA's minReplicas for a scale-down from 8 to 5, the HPA's own metrics
// kept 8 replicas, and at 03:01 the load rises: the scale-up goes through,
// with a reason that says why the cooldown does not hold it. Once the
// replicas fall below 8 the window from 03:00 applies.
func TestDecideScaleDownNotSeen(t *testing.T) {
	at3 := time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC)
	now := at3.Add(time.Minute)
	input := func(current int32) Input {
		in := seedInput(0.9, 0.5, 5000, 5000)
		in.Snapshot.At = now
		for m, r := range in.Snapshot.Readings {
			r.At = now
			in.Snapshot.Readings[m] = r
		}
		in.Current, in.Ready = current, current
		in.LastScale = &LastScale{At: at3, Direction: DirectionDown, From: 8, To: 5, By: "alice@laptop", Reason: "AllBelowThreshold"}
		return in
	}
	// 5000 per replica whatever the replicas: seedInput's totals are for
	// 3 replicas, so per replica they are 15000/current.
	metrics := func(current int32) map[Metric]MetricStatus {
		m := seedMetrics(0.9, 0.5, 5000, 5000)
		for _, k := range []Metric{MetricQPS, MetricConnections} {
			s := m[k]
			s.Value = 15000 / float64(current)
			m[k] = s
		}
		return m
	}
	cpuUp := Reason{Code: ReasonCPUAboveThreshold, Message: "CPU 90.0% is above the 70% scale-up threshold (+1)"}
	tests := []struct {
		name    string
		current int32
		want    Decision
	}{
		{
			name: "8 replicas run: the scale-down has not happened, the scale-up goes", current: 8,
			want: Decision{
				At: now, Action: ActionScaleUp, Current: 8, Target: 9, Proposed: 9,
				Reasons: []Reason{cpuUp, {Code: ReasonCooldownScaleDownPending,
					Message: "the scale-down from 8 to 5 recorded at 03:00:00 has not happened (8 replicas run), so it does not block a scale-up; " +
						"it would until 03:10:00 once the replicas fall below 8"}},
				Metrics:  metrics(8),
				Cooldown: CooldownStatus{Blocks: DirectionNone, Total: 10 * time.Minute, Until: at3.Add(10 * time.Minute), Pending: true},
				// CPU 90 % at a 70 % target: ceil(8 × 0.9/0.7) = 11, clamped to 10.
				HPADesired:        10,
				Recommendation:    Recommendation{At: now, Replicas: 9},
				HPARecommendation: Recommendation{At: now, Replicas: 11},
				AutoApply:         true,
			},
		},
		{
			name: "7 replicas run: the scale-down has begun, the scale-up waits", current: 7,
			want: Decision{
				At: now, Action: ActionMaintain, Current: 7, Target: 7, Proposed: 8,
				Reasons: []Reason{cpuUp, {Code: ReasonCooldownAfterScaleDown,
					Message: "scale-up to 8 blocked: within 10m of the scale-down at 03:00:00 (9m left)"}},
				Metrics:  metrics(7),
				Cooldown: CooldownStatus{Blocks: DirectionUp, Remaining: 9 * time.Minute, Total: 10 * time.Minute, Until: at3.Add(10 * time.Minute)},
				// ceil(7 × 0.9/0.7) = 9.
				HPADesired:        9,
				Recommendation:    Recommendation{At: now, Replicas: 8},
				HPARecommendation: Recommendation{At: now, Replicas: 9},
				AutoApplyWhy:      "the cooldown holds the proposal",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(input(tc.current), now)
			if diff := cmp.Diff(tc.want, got, decisionOpts); diff != "" {
				t.Errorf("Decide() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideClusterStateWarning: a cluster record k8s could not read
// pauses auto-apply and says so in a reason quoting the warning; the
// decision itself stands, for a human to approve.
func TestDecideClusterStateWarning(t *testing.T) {
	lastScaleWarning := `deployment prod/kimiclaw-db: parse kimiscale.kimiclaw.io/last-scale "{": unexpected end of JSON input; ` +
		`the cooldown cannot see the last scale and does not apply until this is repaired: ` +
		`remove it with kubectl annotate deployment/kimiclaw-db kimiscale.kimiclaw.io/last-scale- (the next scale writes a new one)`
	originalMinWarning := `hpa prod/kimiclaw-hpa: parse kimiscale.kimiclaw.io/original-min-replicas "two": want a whole number of 1 or more; ` +
		`its minReplicas before kimiscale moved it is unknown, so kimiscale will not move minReplicas`
	quote := func(w string) Reason {
		return Reason{Code: ReasonClusterStateWarning,
			Message: `the cluster state has a warning: "` + w + `"; auto-apply pauses until it is repaired (a human may still approve)`}
	}
	cpuUp := Reason{Code: ReasonCPUAboveThreshold, Message: "CPU 74.0% is above the 70% scale-up threshold (+1)"}
	scaleUp := func(why string, reasons ...Reason) Decision {
		return Decision{
			At: t0, Action: ActionScaleUp, Current: 3, Target: 4, Proposed: 4,
			Reasons: append(reasons, cpuUp),
			Metrics: seedMetrics(0.74, 0.5, 5000, 5000), Cooldown: noCooldown,
			HPADesired:        3,
			Recommendation:    Recommendation{At: t0, Replicas: 4},
			HPARecommendation: Recommendation{At: t0, Replicas: 3},
			AutoApply:         why == "", AutoApplyWhy: why,
		}
	}
	tests := []struct {
		name     string
		warnings []string
		want     Decision
	}{
		{name: "no warning: auto-apply may scale up", want: scaleUp("")},
		{
			name: "unreadable last-scale: the scale-up stands, auto-apply pauses", warnings: []string{lastScaleWarning},
			want: scaleUp("a cluster state warning (deployment prod/kimiclaw-db): auto-apply pauses until repaired", quote(lastScaleWarning)),
		},
		{
			name: "two warnings: one reason each, both objects named", warnings: []string{lastScaleWarning, originalMinWarning},
			want: scaleUp("2 cluster state warnings (deployment prod/kimiclaw-db, hpa prod/kimiclaw-hpa): auto-apply pauses until repaired",
				quote(lastScaleWarning), quote(originalMinWarning)),
		},
		{
			name: "a warning without an object before its colon", warnings: []string{"something is off"},
			want: scaleUp("a cluster state warning: auto-apply pauses until repaired", quote("something is off")),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput(0.74, 0.5, 5000, 5000)
			in.Warnings = tc.warnings
			got := Decide(in, t0)
			if diff := cmp.Diff(tc.want, got, decisionOpts); diff != "" {
				t.Errorf("Decide() (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("every path carries the warning", func(t *testing.T) {
		stale := seedInput(0.74, 0.5, 5000, 5000)
		stale.Snapshot.Readings = map[Metric]Reading{}
		zero := seedInput(0.74, 0.5, 5000, 5000)
		zero.Current = 0
		override := seedInput(0.74, 0.5, 5000, 5000)
		override.Override = 6
		partial := seedInput(0.74, 0.5, 5000, 5000)
		delete(partial.Snapshot.Readings, MetricQPS)
		quiet := seedInput(0.74, 0.5, 5000, 5000)
		quiet.SkipExplanation = true
		for name, in := range map[string]Input{"no metric": stale, "0 replicas": zero, "override": override, "partial": partial, "quiet": quiet} {
			in.Warnings = []string{lastScaleWarning}
			d := Decide(in, t0)
			if d.AutoApply || d.AutoApplyWhy == "" || len(d.Reasons) == 0 || d.Reasons[0].Code != ReasonClusterStateWarning {
				t.Errorf("%s: Decide() = auto %v (%q), reasons %v; want no auto-apply, a why, and ClusterStateWarning first",
					name, d.AutoApply, d.AutoApplyWhy, d.Reasons)
			}
		}
	})
}

func TestDecideOverride(t *testing.T) {
	tests := []struct {
		name     string
		override int32
		last     *LastScale
		want     Action
		target   int32
		code     ReasonCode
	}{
		{name: "valid override scales", override: 6, want: ActionScaleUp, target: 6, code: ReasonOverride},
		{name: "override to current maintains", override: 3, want: ActionMaintain, target: 3, code: ReasonOverride},
		{name: "above max is refused", override: 11, want: ActionHold, target: 3, code: ReasonOverrideInvalid},
		{name: "below min is refused", override: 1, want: ActionHold, target: 3, code: ReasonOverrideInvalid},
		{
			name: "cooldown still applies without a bypass", override: 2,
			last: &LastScale{At: t0.Add(-time.Minute), Direction: DirectionUp, From: 2, To: 3},
			want: ActionMaintain, target: 3, code: ReasonCooldownAfterScaleUp,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput(0.9, 0.9, 9000, 9000) // the rules would say +2
			in.Override, in.LastScale = tc.override, tc.last
			d := Decide(in, t0)
			if d.Action != tc.want || d.Target != tc.target || !d.Has(tc.code) {
				t.Errorf("Decide() = %s to %d, reasons %v; want %s to %d with %s", d.Action, d.Target, d.Reasons, tc.want, tc.target, tc.code)
			}
			if d.AutoApply {
				t.Error("an override must never auto-apply")
			}
			if !d.Recommendation.At.IsZero() {
				t.Errorf("an override recorded recommendation %+v, want none", d.Recommendation)
			}
		})
	}
}

func TestDecideInvalidInput(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Input)
		want   string
	}{
		{name: "no poll interval", modify: func(in *Input) { in.PollInterval = 0 }, want: "poll interval must be positive, got 0s"},
		{name: "negative current", modify: func(in *Input) { in.Current = -1 }, want: "current replicas must be at least 0, got -1"},
		{name: "negative override", modify: func(in *Input) { in.Override = -2 }, want: "override must be a replica count above 0 (or 0 for none), got -2"},
		{name: "min above max", modify: func(in *Input) { in.Policy.MinReplicas = 11 }, want: "policy maxReplicas must be at least 1 and at least minReplicas 11, got 10"},
		{name: "unknown metric", modify: func(in *Input) { in.Policy.Rules[0].Metric = "latency" }, want: `policy metrics[0]: unknown metric "latency": want one of cpu, memory, qps, connections`},
		{name: "no staleness bound", modify: func(in *Input) { in.Policy.StaleAfter = 0 }, want: "policy staleAfterIntervals must be at least 1, got 0"},
		{name: "unknown aggregation", modify: func(in *Input) { in.Policy.Rules[2].Aggregation = "avg" }, want: `policy metrics[2] (qps): unknown aggregation "avg": want "perReplica" or "total"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput(0.9, 0.5, 5000, 5000)
			tc.modify(&in)
			d := Decide(in, t0)
			if d.Action != ActionHold || d.Target != d.Current || d.AutoApply {
				t.Errorf("Decide() = %s to %d (auto %v), want hold at current", d.Action, d.Target, d.AutoApply)
			}
			if len(d.Reasons) != 1 || d.Reasons[0].Code != ReasonInvalidInput || d.Reasons[0].Message != tc.want {
				t.Errorf("Decide().Reasons = %v, want one InvalidInput %q", d.Reasons, tc.want)
			}
		})
	}

	t.Run("scaled to zero holds", func(t *testing.T) {
		in := seedInput(0.9, 0.5, 5000, 5000)
		in.Current, in.Ready = 0, 0
		d := Decide(in, t0)
		if d.Action != ActionHold || !d.Has(ReasonScalingDisabled) || d.HPADesired != 0 {
			t.Errorf("Decide() = %s, reasons %v, HPADesired %d; want hold, ScalingDisabled, 0", d.Action, d.Reasons, d.HPADesired)
		}
	})
}

// TestDecideHPADesired: what the plain HPA would choose with the seed's
// kimiclaw-hpa (CPU 70 %, memory 80 %, connections AverageValue 8000).
func TestDecideHPADesired(t *testing.T) {
	tests := []struct {
		name    string
		in      func() Input
		want    int32
		wantRec int32
	}{
		{name: "CPU 80%: ceil(3 × 80/70) = 4", in: func() Input { return seedInput(0.80, 0.5, 5000, 5000) }, want: 4, wantRec: 4},
		{name: "CPU 77% is within tolerance", in: func() Input { return seedInput(0.77, 0.5, 5000, 5000) }, want: 3, wantRec: 3},
		{name: "connections 12000 per pod: ceil(36000/8000) = 5", in: func() Input { return seedInput(0.5, 0.5, 5000, 12000) }, want: 5, wantRec: 5},
		{name: "QPS is not an HPA metric", in: func() Input { return seedInput(0.5, 0.5, 50000, 5000) }, want: 3, wantRec: 3},
		{name: "memory 95%: ceil(3 × 95/80) = 4", in: func() Input { return seedInput(0.5, 0.95, 5000, 5000) }, want: 4, wantRec: 4},
		{name: "combined by max", in: func() Input { return seedInput(0.80, 0.95, 5000, 16000) }, want: 6, wantRec: 6},
		{name: "HPA rate: at most double per minute", in: func() Input { return seedInput(0.99, 0.5, 5000, 40000) }, want: 6, wantRec: 15},
		{
			name: "HPA stabilizes on its own recommendations",
			in: func() Input {
				in := seedInput(0.2, 0.2, 100, 100)
				in.Scales.HPARecommendations = []Recommendation{{At: t0.Add(-2 * time.Minute), Replicas: 3}}
				in.Scales.Recommendations = []Recommendation{{At: t0.Add(-2 * time.Minute), Replicas: 9}}
				return in
			},
			want: 3, wantRec: 1,
		},
		{
			name: "a stale metric blocks an HPA scale-down",
			in: func() Input {
				in := seedInput(0.2, 0.2, 100, 100)
				in.Snapshot.Readings[MetricCPU] = Reading{State: ReadingEmpty}
				return in
			},
			want: 3, wantRec: 0,
		},
		{
			name: "a stale metric does not block an HPA scale-up",
			in: func() Input {
				in := seedInput(0.95, 0.2, 100, 100)
				in.Snapshot.Readings[MetricMemory] = Reading{State: ReadingEmpty}
				return in
			},
			want: 5, wantRec: 5,
		},
		{
			name: "current above max goes to max",
			in: func() Input {
				in := seedInput(0.5, 0.5, 5000, 5000)
				in.Current, in.Ready = 12, 12
				return in
			},
			want: 10, wantRec: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in(), t0)
			if d.HPADesired != tc.want {
				t.Errorf("Decide().HPADesired = %d, want %d", d.HPADesired, tc.want)
			}
			if d.HPARecommendation.Replicas != tc.wantRec {
				t.Errorf("Decide().HPARecommendation = %+v, want %d replicas", d.HPARecommendation, tc.wantRec)
			}
		})
	}
}

// TestDecideReasonsReadable: every reason of every path has a code and a
// sentence, and no sentence leaks a Go zero value.
func TestDecideReasonsReadable(t *testing.T) {
	inputs := []Input{
		seedInput(0.9, 0.9, 9000, 9000),
		seedInput(0.1, 0.1, 10, 10),
		seedInput(0.5, 0.5, 5000, 5000),
	}
	for _, in := range inputs {
		d := Decide(in, t0)
		if len(d.Reasons) == 0 {
			t.Errorf("Decide(%v) has no reason", in.Snapshot.Readings)
		}
		for _, r := range d.Reasons {
			if r.Code == "" || r.Message == "" || strings.Contains(r.Message, "%!") || strings.Contains(r.Message, "<nil>") {
				t.Errorf("reason %+v is not readable", r)
			}
		}
	}
}

// TestDecideLoop runs the loop the dashboard runs (decide, record, apply)
// every 15 s and pins when each change happens: a first scale-up at once,
// then one per minute as the 60 s up-window and the 100 %/60 s policy allow,
// up to max 10; after the load drops, the 5 min cooldown and the 300 s
// down-window (which must first forget the high recommendations) hold the
// scale-down until 690 s, and the next one waits a full window again.
func TestDecideLoop(t *testing.T) {
	type change struct {
		at       time.Duration
		from, to int32
	}
	var (
		scales  ScaleHistory
		last    *LastScale
		current int32 = 3
		got     []change
	)
	for at := time.Duration(0); at <= 1000*time.Second; at += poll {
		now := t0.Add(at)
		cpu := 0.9
		if at >= 400*time.Second {
			cpu = 0.1
		}
		in := Input{
			Policy: DefaultPolicy(), Current: current, Ready: current,
			Snapshot: Snapshot{At: now, Readings: map[Metric]Reading{
				MetricCPU:         {Value: cpu, At: now},
				MetricMemory:      {Value: 0.1, At: now},
				MetricQPS:         {Value: 100, At: now},
				MetricConnections: {Value: 100, At: now},
			}},
			Scales: scales, LastScale: last, PollInterval: poll,
		}
		d := Decide(in, now)
		scales.Observe(d)
		if d.Target != current {
			got = append(got, change{at: at, from: current, to: d.Target})
			scales.RecordScale(current, d.Target, now)
			dir := DirectionUp
			if d.Target < current {
				dir = DirectionDown
			}
			last = &LastScale{At: now, Direction: dir, From: current, To: d.Target, By: "test"}
			current = d.Target
		}
		scales.Prune(now, in.Policy.Behavior)
	}
	want := []change{
		{0, 3, 4}, {60 * time.Second, 4, 5}, {120 * time.Second, 5, 6}, {180 * time.Second, 6, 7},
		{240 * time.Second, 7, 8}, {300 * time.Second, 8, 9}, {360 * time.Second, 9, 10},
		{690 * time.Second, 10, 9}, {990 * time.Second, 9, 8},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(change{})); diff != "" {
		t.Errorf("scale changes (-want +got):\n%s", diff)
	}
	if n := len(scales.Recommendations); n > 21 {
		t.Errorf("after Prune the history holds %d recommendations, want at most 21 (300 s of 15 s)", n)
	}
}

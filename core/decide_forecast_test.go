package core

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// bandForecaster predicts value at the horizon with the band [lower, upper].
type bandForecaster struct {
	value, lower, upper float64
}

func (bandForecaster) Name() string { return ModelLinear }

func (f bandForecaster) Forecast(h []Sample, horizon time.Duration) (Forecast, error) {
	at := h[len(h)-1].At.Add(horizon)
	return Forecast{Model: ModelLinear, Points: []ForecastPoint{{At: at, Value: f.value, Lower: f.lower, Upper: f.upper}}}, nil
}

// replicasInput is kimiclaw-db at current replicas (ready of them ready)
// under the seed's policy, with CPU at cpu of the requests (above 1.0 when
// the limits allow it) and the other metrics within their thresholds.
func replicasInput(current, ready int32, cpu float64) Input {
	return Input{
		Policy:  DefaultPolicy(),
		Current: current,
		Ready:   ready,
		Snapshot: Snapshot{At: t0, Readings: map[Metric]Reading{
			MetricCPU:         {Value: cpu, At: t0},
			MetricMemory:      {Value: 0.5, At: t0},
			MetricQPS:         {Value: 5000 * float64(ready), At: t0},
			MetricConnections: {Value: 5000 * float64(ready), At: t0},
		}},
		History:      cpuHistory(30, 0.5, 0),
		PollInterval: poll,
	}
}

// TestDecideForecastSizing is the demo's spike (2 replicas at 138.3 % of the
// requests, where the seed's cap holds the forecast at 100 %) and the cases
// around it: the forecast's target never falls below what the measured load
// needs, the sentence states the load it sized for and the utilization the
// target gives, and the forecast status is one consistent band.
func TestDecideForecastSizing(t *testing.T) {
	tests := []struct {
		name         string
		in           Input
		fc           bandForecaster
		wantForecast ForecastStatus
		wantTarget   int32
		wantHPA      int32
		wantReason   string // "" when the forecast does not fire
	}{
		{
			// The demo frame: the rules say 3 (+1), the capped forecast
			// ceil(1.0 × 2 / 0.7) = 3, the plain HPA ceil(2 × 138 / 70) = 4.
			name: "demo spike: 2 replicas at 138.3%, forecast capped at 100%, band above it",
			in:   replicasInput(2, 2, 1.383),
			fc:   bandForecaster{value: 1.52, lower: 1.32, upper: 1.72},
			wantForecast: ForecastStatus{Model: ModelLinear, Horizon: 5 * time.Minute,
				CPU: 1.52, Lower: 1.32, Upper: 1.72},
			wantTarget: 4, wantHPA: 4,
			wantReason: "CPU forecast 5m ahead is 100.0% (linear, capped from 152.0%), above the 80% threshold: " +
				"sized for the measured CPU 138.3% on 2 replicas (above the capped forecast); " +
				"4 replicas run that load at 69.2%, within the 70% scale-up threshold",
		},
		{
			name: "falling forecast under the measured load: sized for the measured load",
			in:   replicasInput(2, 2, 1.383),
			fc:   bandForecaster{value: 0.9, lower: 0.7, upper: 1.1},
			wantForecast: ForecastStatus{Model: ModelLinear, Horizon: 5 * time.Minute,
				CPU: 0.9, Lower: 0.7, Upper: 1.1},
			wantTarget: 4, wantHPA: 4,
			wantReason: "CPU forecast 5m ahead is 90.0% (linear), above the 80% threshold: " +
				"sized for the measured CPU 138.3% on 2 replicas (above the capped forecast); " +
				"4 replicas run that load at 69.2%, within the 70% scale-up threshold",
		},
		{
			// ceil(2 × 2.5 / 0.7) = 8, but +100 % per 60 s allows 4 now.
			name: "spike far above the cap: the measured load, limited by the rate policy",
			in:   replicasInput(2, 2, 2.5),
			fc:   bandForecaster{value: 3, lower: 2.6, upper: 3.4},
			wantForecast: ForecastStatus{Model: ModelLinear, Horizon: 5 * time.Minute,
				CPU: 3, Lower: 2.6, Upper: 3.4},
			wantTarget: 4, wantHPA: 4,
			wantReason: "CPU forecast 5m ahead is 100.0% (linear, capped from 300.0%), above the 80% threshold: " +
				"sized for the measured CPU 250.0% on 2 replicas (above the capped forecast); " +
				"8 replicas run that load at 62.5%, within the 70% scale-up threshold",
		},
		{
			name: "forecast above the measured load: sized for the forecast",
			in:   replicasInput(2, 2, 0.75),
			fc:   bandForecaster{value: 0.95, lower: 0.85, upper: 1.05},
			wantForecast: ForecastStatus{Model: ModelLinear, Horizon: 5 * time.Minute,
				CPU: 0.95, Lower: 0.85, Upper: 1.05},
			wantTarget: 3, wantHPA: 2, // the rules' +1 too; 75/70 is within the HPA's tolerance
			wantReason: "CPU forecast 5m ahead is 95.0% (linear), above the 80% threshold: " +
				"sized for the forecast 95.0% on 2 replicas; " +
				"3 replicas run that load at 63.3%, within the 70% scale-up threshold",
		},
		{
			// Two of four replicas ready: the load is 1.383 × 2 replicas'
			// worth, which 4 carry at 69.2 %; the seed's step is a scale-up,
			// so one more.
			name: "starting replicas: the load of the ready ones, at least one more",
			in:   replicasInput(4, 2, 1.383),
			fc:   bandForecaster{value: 1.52, lower: 1.32, upper: 1.72},
			wantForecast: ForecastStatus{Model: ModelLinear, Horizon: 5 * time.Minute,
				CPU: 1.52, Lower: 1.32, Upper: 1.72},
			wantTarget: 5, wantHPA: 4,
			wantReason: "CPU forecast 5m ahead is 100.0% (linear, capped from 152.0%), above the 80% threshold: " +
				"sized for the measured CPU 138.3% on 2 replicas (above the capped forecast); " +
				"5 replicas (one more than now) run that load at 55.3%, within the 70% scale-up threshold",
		},
		{
			name: "forecast at 80% exactly does not fire, and is reported uncapped",
			in:   replicasInput(2, 2, 0.6),
			fc:   bandForecaster{value: 0.8, lower: 0.7, upper: 0.9},
			wantForecast: ForecastStatus{Model: ModelLinear, Horizon: 5 * time.Minute,
				CPU: 0.8, Lower: 0.7, Upper: 0.9},
			wantTarget: 2, wantHPA: 2,
		},
		{
			// A biased model's band can miss its own point; the status widens
			// it to hold the point, and floors it at 0.
			name: "a band that misses the point is widened to hold it",
			in:   replicasInput(2, 2, 0.6),
			fc:   bandForecaster{value: -0.1, lower: 0.05, upper: 0.2},
			wantForecast: ForecastStatus{Model: ModelLinear, Horizon: 5 * time.Minute,
				CPU: 0, Lower: 0, Upper: 0.2},
			wantTarget: 2, wantHPA: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Forecaster = tc.fc
			d := Decide(in, t0)
			if diff := cmp.Diff(&tc.wantForecast, d.Forecast, decisionOpts); diff != "" {
				t.Errorf("Decide().Forecast mismatch (-want +got):\n%s", diff)
			}
			if d.Target != tc.wantTarget || d.HPADesired != tc.wantHPA {
				t.Errorf("Decide() = target %d, HPADesired %d, want %d and %d (reasons %v)",
					d.Target, d.HPADesired, tc.wantTarget, tc.wantHPA, d.Reasons)
			}
			var got string
			for _, r := range d.Reasons {
				if r.Code == ReasonForecastAbove {
					got = r.Message
				}
			}
			if got != tc.wantReason {
				t.Errorf("ForecastAboveThreshold sentence = %q, want %q", got, tc.wantReason)
			}
		})
	}
}

// TestDecideForecastDemoLinear replays the demo's frame with the seed's own
// linear model: CPU rising to 138.3 % on 2 replicas. The forecast and its
// band lie above 100 % on one scale, and the target is the plain HPA's.
func TestDecideForecastDemoLinear(t *testing.T) {
	in := replicasInput(2, 2, 1.383)
	h := NewHistory(240)
	for i, v := range []float64{1.20, 1.22, 1.25, 1.24, 1.28, 1.30, 1.31, 1.34, 1.36, 1.383} {
		h.Series(MetricCPU).Push(Sample{At: t0.Add(-time.Duration(9-i) * poll), Value: v})
	}
	in.History = h
	d := Decide(in, t0)
	f := d.Forecast
	if f == nil {
		t.Fatalf("Decide().Forecast = nil, want the linear forecast (reasons %v)", d.Reasons)
	}
	if !(f.Lower <= f.CPU && f.CPU <= f.Upper) || f.CPU <= 1 || f.Lower <= 1 {
		t.Errorf("Forecast = %v in [%v, %v], want a point above 100%% inside its band", f.CPU, f.Lower, f.Upper)
	}
	if end := f.Path[len(f.Path)-1]; end.Value != f.CPU || end.Lower != f.Lower || end.Upper != f.Upper {
		t.Errorf("Forecast path ends at %+v, want the status's %v in [%v, %v]", end, f.CPU, f.Lower, f.Upper)
	}
	if d.Target != 4 || d.HPADesired != 4 {
		t.Errorf("Decide() = target %d, HPADesired %d, want 4 and 4 (reasons %v)", d.Target, d.HPADesired, d.Reasons)
	}
	want := "CPU forecast 5m ahead is 100.0% (linear, capped from " + pct(f.CPU) + "), above the 80% threshold: " +
		"sized for the measured CPU 138.3% on 2 replicas (above the capped forecast); " +
		"4 replicas run that load at 69.2%, within the 70% scale-up threshold"
	if r := d.Reasons[len(d.Reasons)-1]; r.Code != ReasonForecastAbove || r.Message != want {
		t.Errorf("last reason = %v, want %s %q", r, ReasonForecastAbove, want)
	}
}

func pct(x float64) string { return string(appendPct(nil, x)) }

// TestDecideForecastNeverBelowHPA checks over a grid of replicas, CPU and
// forecasts that the forecast's recommendation is never below the HPA
// formula on the measured CPU, and that its sentence states the utilization
// its target gives, within the up-threshold.
func TestDecideForecastNeverBelowHPA(t *testing.T) {
	p := DefaultPolicy()
	cpuRule, _ := p.Rule(MetricCPU)
	for current := int32(1); current <= 10; current++ {
		for ready := int32(1); ready <= current; ready++ {
			for cpu := 0.05; cpu <= 3; cpu += 0.0731 {
				for _, fc := range []float64{0.81, 0.95, 1.2, 2.5} {
					in := replicasInput(current, ready, cpu)
					in.Forecaster = bandForecaster{value: fc, lower: fc - 0.1, upper: fc + 0.1}
					d := Decide(in, t0)
					hpa := replicasForRatio(current, ready, utilizationRatio(cpu, 1, cpuRule.Up), p.Tolerance)
					got := d.Recommendation.Replicas
					if got < hpa {
						t.Fatalf("current %d, ready %d, CPU %.4f, forecast %v: recommendation %d, below the HPA formula's %d",
							current, ready, cpu, fc, got, hpa)
					}
					var msg string
					for _, r := range d.Reasons {
						if r.Code == ReasonForecastAbove {
							msg = r.Message
						}
					}
					load := max(min(fc, ForecastCap), cpu)
					n := ceilReplicas(load*float64(ready)/cpuRule.Up - 1e-9)
					n = max(n, current+1)
					u := load * float64(ready) / float64(n)
					if u > cpuRule.Up*(1+1e-9) {
						t.Fatalf("current %d, ready %d, CPU %.4f: %d replicas run %.4f, above the up-threshold", current, ready, cpu, n, u)
					}
					if want := strconv.Itoa(int(n)) + " replicas"; !strings.Contains(msg, "; "+want) || !strings.Contains(msg, "run that load at "+pct(u)+",") {
						t.Fatalf("current %d, ready %d, CPU %.4f, forecast %v: sentence %q, want %q at %s", current, ready, cpu, fc, msg, want, pct(u))
					}
					if math.IsNaN(d.Forecast.CPU) || d.Forecast.Lower > d.Forecast.CPU || d.Forecast.CPU > d.Forecast.Upper {
						t.Fatalf("Forecast = %+v, want Lower ≤ CPU ≤ Upper", d.Forecast)
					}
				}
			}
		}
	}
}

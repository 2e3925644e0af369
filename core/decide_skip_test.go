package core

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDecideSkipFlags checks that SkipHPADesired, SkipForecastPath and
// SkipExplanation leave out what they name and nothing else: the same
// decision, reason codes and forecast value, on every path that builds a
// sentence or a forecast.
func TestDecideSkipFlags(t *testing.T) {
	last := &LastScale{At: t0.Add(-2 * time.Minute), Direction: DirectionDown, From: 4, To: 3}
	tests := []struct {
		name string
		in   func() Input
		code ReasonCode // a reason the decision must carry
	}{
		{"rules up", func() Input { return seedInput(0.85, 0.9, 9000, 5000) }, ReasonCPUAboveThreshold},
		{"within thresholds", func() Input { return seedInput(0.5, 0.5, 5000, 5000) }, ReasonWithinThresholds},
		{"all below", func() Input { return seedInput(0.1, 0.1, 100, 100) }, ReasonAllBelowThreshold},
		{"forecast above", func() Input {
			in := seedInput(0.65, 0.5, 5000, 5000)
			in.History = cpuHistory(30, 0.36, 0.01)
			return in
		}, ReasonForecastAbove},
		{"forecast below", func() Input {
			in := seedInput(0.5, 0.5, 5000, 5000)
			in.History = cpuHistory(30, 0.5, 0)
			return in
		}, ReasonWithinThresholds},
		{"forecast overflows", func() Input {
			in := seedInput(0.5, 0.5, 5000, 5000)
			h := NewHistory(240)
			for i := range 12 {
				h.Series(MetricCPU).Push(Sample{At: t0.Add(-time.Duration(11-i) * poll), Value: float64(1-2*(i%2)) * math.MaxFloat64})
			}
			in.History = h
			return in
		}, ReasonForecastUnavailable},
		{"forecast skips a NaN sample", func() Input {
			in := seedInput(0.65, 0.5, 5000, 5000)
			h := cpuHistory(30, 0.36, 0.01)
			h.Series(MetricCPU).Push(Sample{At: t0.Add(time.Second), Value: math.NaN()})
			in.History = h
			return in
		}, ReasonForecastAbove},
		{"holt forecaster", func() Input {
			in := seedInput(0.65, 0.5, 5000, 5000)
			in.History = cpuHistory(60, 0.06, 0.01)
			in.Forecaster = Holt{}
			return in
		}, ReasonForecastAbove},
		{"cooldown blocks the scale-up", func() Input {
			in := seedInput(0.85, 0.5, 5000, 5000)
			in.LastScale = last
			return in
		}, ReasonCooldownAfterScaleDown},
		{"cooldown bypassed", func() Input {
			in := seedInput(0.85, 0.5, 5000, 5000)
			in.LastScale, in.BypassCooldown = last, true
			return in
		}, ReasonCooldownBypassed},
		{"stale metric", func() Input {
			in := seedInput(0.85, 0.5, 5000, 5000)
			in.Snapshot.Readings[MetricMemory] = Reading{Value: 0.5, At: t0.Add(-time.Hour)}
			return in
		}, ReasonMetricUnusable},
		{"invalid input", func() Input {
			in := seedInput(0.5, 0.5, 5000, 5000)
			in.PollInterval = 0
			return in
		}, ReasonInvalidInput},
		{"scaled to zero", func() Input {
			in := seedInput(0.5, 0.5, 5000, 5000)
			in.Current, in.Ready = 0, 0
			return in
		}, ReasonScalingDisabled},
		{"no usable metric", func() Input {
			in := seedInput(0.5, 0.5, 5000, 5000)
			for m, r := range in.Snapshot.Readings {
				r.At = t0.Add(-time.Hour)
				in.Snapshot.Readings[m] = r
			}
			return in
		}, ReasonMetricsStale},
		{"scale-down stabilized", func() Input {
			in := seedInput(0.1, 0.1, 100, 100)
			in.Scales.Recommendations = []Recommendation{{At: t0.Add(-time.Minute), Replicas: 3}}
			return in
		}, ReasonScaleDownStabilized},
		{"override", func() Input {
			in := seedInput(0.5, 0.5, 5000, 5000)
			in.Override = 5
			return in
		}, ReasonOverride},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := Decide(tc.in(), t0)
			if !want.Has(tc.code) {
				t.Fatalf("Decide() reasons = %v, want %s: the case does not test its path", want.Reasons, tc.code)
			}
			in := tc.in()
			in.SkipHPADesired, in.SkipForecastPath = true, true
			got := Decide(in, t0)
			in.SkipExplanation = true
			quiet := Decide(in, t0)
			if got.HPADesired != 0 || !got.HPARecommendation.At.IsZero() {
				t.Errorf("HPADesired = %d, HPARecommendation = %+v with SkipHPADesired; want 0 and none", got.HPADesired, got.HPARecommendation)
			}
			if got.Forecast != nil && got.Forecast.Path != nil {
				t.Errorf("Forecast.Path has %d points with SkipForecastPath, want nil", len(got.Forecast.Path))
			}
			want.HPADesired, want.HPARecommendation = 0, Recommendation{}
			if diff := cmp.Diff(want, got, decisionOpts); diff != "" {
				t.Errorf("the skip flags changed the decision (-without +with):\n%s", diff)
			}
			want.Metrics = nil
			for i := range want.Reasons {
				if want.Reasons[i].Message == "" {
					t.Errorf("reason %s has no message without SkipExplanation", want.Reasons[i].Code)
				}
				want.Reasons[i].Message = ""
			}
			if diff := cmp.Diff(want, quiet, decisionOpts); diff != "" {
				t.Errorf("SkipExplanation changed more than the sentences and metrics (-without +with):\n%s", diff)
			}
		})
	}
}

// TestAppendDuration checks the allocation-free duration against
// fmtDuration, which is built on time.Duration.String.
func TestAppendDuration(t *testing.T) {
	want := map[time.Duration]string{
		0:                                     "0s",
		400 * time.Millisecond:                "0s",
		500 * time.Millisecond:                "1s",
		59*time.Second + 600*time.Millisecond: "1m",
		5 * time.Minute:                       "5m",
		4*time.Minute + 10*time.Second:        "4m10s",
		time.Hour:                             "1h",
		time.Hour + 5*time.Second:             "1h0m5s",
		time.Hour + 5*time.Minute:             "1h5m",
		25*time.Hour + 30*time.Minute + time.Second: "25h30m1s",
		-5 * time.Minute: "-5m",
		math.MaxInt64:    "2562047h47m16.854775807s", // Round saturates
	}
	for d, w := range want {
		if got := string(appendDuration([]byte("x"), d)); got != "x"+w {
			t.Errorf("appendDuration(%s) = %q, want %q", d, got, "x"+w)
		}
	}
	// Every second of the first two days, and a spread of odd durations.
	for d := time.Duration(0); d <= 48*time.Hour; d += time.Second {
		if got, w := string(appendDuration(nil, d)), fmtDuration(d); got != w {
			t.Fatalf("appendDuration(%s) = %q, want %q", d, got, w)
		}
	}
	for d := time.Duration(1); d > 0 && d < math.MaxInt64/3; d = d*3 + 7 {
		if got, w := string(appendDuration(nil, d)), fmtDuration(d); got != w {
			t.Errorf("appendDuration(%d) = %q, want %q", d, got, w)
		}
	}
	if s := fmtDuration(90 * time.Minute); strings.Contains(s, "0s") {
		t.Errorf("fmtDuration(90m) = %q, want no trailing zero units", s)
	}
}

package core

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fixed epoch of every core test.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// rules is upstream's generateScalingRules: a Pods and/or Percent policy
// (a zero value leaves it out), selectPolicy Max, and a stabilization window,
// all in seconds.
func rules(pods, podsPeriod, percent, percentPeriod, window int32) ScalingRules {
	r := ScalingRules{StabilizationWindow: secs(window), SelectPolicy: SelectMax}
	if pods != 0 {
		r.Policies = append(r.Policies, ScalingPolicy{Type: PodsPolicy, Value: pods, Period: secs(podsPeriod)})
	}
	if percent != 0 {
		r.Policies = append(r.Policies, ScalingPolicy{Type: PercentPolicy, Value: percent, Period: secs(percentPeriod)})
	}
	return r
}

func secs(s int32) Duration { return Duration(time.Duration(s) * time.Second) }

// defaultUp and defaultDown are what the API server fills in for a behaviour
// whose direction is not set (upstream's GenerateHPAScaleUpRules and
// GenerateHPAScaleDownRules with nil).
func defaultUp() ScalingRules   { return rules(4, 15, 100, 15, 0) }
func defaultDown() ScalingRules { return rules(0, 0, 100, 15, 300) }

// uniformEvents is upstream's generateEventsUniformDistribution: the changes
// spread over the last period, each in the middle of its segment. Negative
// sign makes them scale-down events.
func uniformEvents(changes []int32, sign int32, period int, now time.Time) []ScaleEvent {
	events := make([]ScaleEvent, len(changes))
	seg := float64(period) / float64(len(changes))
	for i, c := range changes {
		ago := float64(period) - seg*float64(i+1) + seg/2
		events[i] = ScaleEvent{At: now.Add(-time.Duration(ago * float64(time.Second))), Change: sign * c}
	}
	return events
}

func codes(rs []Reason) []ReasonCode {
	out := []ReasonCode{}
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

// TestNormalizeUpstream holds the cases of upstream's horizontal_test.go
// (TestScalingWithRules, TestNormalizeDesiredReplicasWithBehaviors) with
// their exact setups.
func TestNormalizeUpstream(t *testing.T) {
	now := t0
	tests := []struct {
		name      string
		behavior  *Behavior
		min, max  int32
		current   int32
		desired   int32
		recs      []Recommendation
		events    []ScaleEvent
		want      int32
		wantCodes []ReasonCode
	}{
		{
			name: "no behaviour set: default limit max(2×current, 4)",
			min:  1, max: 1000, current: 10, desired: 50,
			want: 20, wantCodes: []ReasonCode{ReasonScaleUpLimit},
		},
		{
			name:     "scaleUp with default behavior",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: defaultDown()},
			min:      1, max: 1000, current: 10, desired: 50,
			want: 20, wantCodes: []ReasonCode{ReasonScaleUpLimit},
		},
		{
			name:     "scaleUp with pods policy larger than percent policy",
			behavior: &Behavior{ScaleUp: rules(100, 60, 100, 60, 0), ScaleDown: defaultDown()},
			min:      1, max: 1000, current: 10, desired: 500,
			want: 110, wantCodes: []ReasonCode{ReasonScaleUpLimit},
		},
		{
			name:     "scaleUp with percent policy larger than pods policy",
			behavior: &Behavior{ScaleUp: rules(2, 60, 100, 60, 0), ScaleDown: defaultDown()},
			min:      1, max: 1000, current: 10, desired: 500,
			want: 20, wantCodes: []ReasonCode{ReasonScaleUpLimit},
		},
		{
			name:     "scaleDown with percent policy larger than pod policy",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: rules(20, 60, 1, 60, 300)},
			min:      1, max: 1000, current: 100, desired: 2,
			want: 80, wantCodes: []ReasonCode{ReasonScaleDownLimit},
		},
		{
			name:     "scaleDown with pod policy larger than percent policy",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: rules(2, 60, 1, 60, 300)},
			min:      1, max: 1000, current: 100, desired: 2,
			want: 98, wantCodes: []ReasonCode{ReasonScaleDownLimit},
		},
		{
			name:     "scaleUp with percent policy and previous scale up and down events",
			behavior: &Behavior{ScaleUp: rules(0, 0, 300, 300, 0), ScaleDown: defaultDown()},
			events: append(uniformEvents([]int32{4}, +1, 120, now),
				uniformEvents([]int32{2}, -1, 120, now)...),
			min: 1, max: 1000, current: 6, desired: 24,
			want: 16, wantCodes: []ReasonCode{ReasonScaleUpLimit}, // (6 − 4 + 2) × 400 %
		},
		{
			name:     "scaleDown with percent policy limitation and previous events",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: rules(0, 0, 50, 120, 300)},
			events:   uniformEvents([]int32{2, 4, 6}, -1, 120, now),
			min:      1, max: 1000, current: 100, desired: 0,
			want: 56, wantCodes: []ReasonCode{ReasonScaleDownLimit}, // (100 + 12) − 50 %
		},
		{
			name:     "scale up stabilization",
			behavior: &Behavior{ScaleUp: rules(100, 60, 0, 0, 300), ScaleDown: rules(0, 0, 100, 15, 0)},
			recs: []Recommendation{
				{At: now.Add(-2 * time.Minute), Replicas: 4},
				{At: now.Add(-1 * time.Minute), Replicas: 5},
			},
			min: 1, max: 1000, current: 1, desired: 7,
			want: 4, wantCodes: []ReasonCode{ReasonScaleUpStabilized},
		},
		{
			name:     "scale down stabilization",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: rules(0, 0, 100, 15, 300)},
			recs: []Recommendation{
				{At: now.Add(-2 * time.Minute), Replicas: 4},
				{At: now.Add(-1 * time.Minute), Replicas: 5},
			},
			min: 1, max: 1000, current: 100, desired: 3,
			want: 5, wantCodes: []ReasonCode{ReasonScaleDownStabilized},
		},
		{
			name:     "scaleUp with spec MaxReplicas limitation with large pod policy and events",
			behavior: &Behavior{ScaleUp: rules(300, 60, 0, 0, 0), ScaleDown: defaultDown()},
			events:   uniformEvents([]int32{1, 5, 9}, +1, 120, now),
			min:      1, max: 200, current: 100, desired: 500,
			want: 200, wantCodes: []ReasonCode{ReasonTooManyReplicas},
		},
		{
			name:     "scaleUp with currentReplicas limitation with a lot of recent scale up events",
			behavior: &Behavior{ScaleUp: rules(5, 120, 0, 0, 0), ScaleDown: defaultDown()},
			events:   uniformEvents([]int32{1, 5, 9}, +1, 120, now),
			min:      1, max: 1000, current: 100, desired: 500,
			want: 100, wantCodes: []ReasonCode{ReasonScaleUpLimit}, // 100 − 15 + 5 < 100
		},
		{
			name:     "scaleUp with pod policy and previous scale up events",
			behavior: &Behavior{ScaleUp: rules(150, 120, 0, 0, 0), ScaleDown: defaultDown()},
			events:   uniformEvents([]int32{1, 5, 9}, +1, 120, now),
			min:      1, max: 1000, current: 100, desired: 500,
			want: 235, wantCodes: []ReasonCode{ReasonScaleUpLimit},
		},
		{
			name:     "scaleUp with percent policy and previous scale up events",
			behavior: &Behavior{ScaleUp: rules(0, 0, 200, 120, 0), ScaleDown: defaultDown()},
			events:   uniformEvents([]int32{1, 5, 9}, +1, 120, now),
			min:      1, max: 1000, current: 100, desired: 500,
			want: 255, wantCodes: []ReasonCode{ReasonScaleUpLimit},
		},
		{
			name:     "scaleDown with previous events preventing further scale down",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: rules(0, 0, 10, 120, 300)},
			events:   uniformEvents([]int32{10, 10, 10}, -1, 120, now),
			min:      1, max: 1000, current: 100, desired: 0,
			want: 100, wantCodes: []ReasonCode{ReasonScaleDownLimit},
		},
		{
			name:     "scaleDown with previous events still allowing more scale down",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: rules(0, 0, 1000, 120, 300)},
			events:   uniformEvents([]int32{10, 10, 10}, -1, 120, now),
			min:      1, max: 1000, current: 10, desired: 5,
			want: 5, wantCodes: []ReasonCode{},
		},
		{
			name:     "scaleDown with spec MinReplicas limitation with large percent policy",
			behavior: &Behavior{ScaleUp: defaultUp(), ScaleDown: rules(0, 0, 100, 60, 300)},
			min:      5, max: 1000, current: 10, desired: 2,
			want: 5, wantCodes: []ReasonCode{ReasonTooFewReplicas},
		},
		{
			name: "no behaviour: maxReplicas is the limit because maxReplicas < scaleUpLimit",
			min:  1, max: 10, current: 20, desired: 1000,
			want: 10, wantCodes: []ReasonCode{ReasonTooManyReplicas},
		},
		{
			name: "no behaviour: prenormalized desired replicas < minReplicas",
			min:  2, max: 8, current: 3, desired: 1,
			want: 2, wantCodes: []ReasonCode{ReasonTooFewReplicas},
		},
		{
			name: "no behaviour: stabilize to the highest recommendation of 5 minutes",
			recs: []Recommendation{
				{At: now.Add(-2 * time.Minute), Replicas: 4},
				{At: now.Add(-1 * time.Minute), Replicas: 5},
			},
			min: 1, max: 10, current: 5, desired: 3,
			want: 5, wantCodes: []ReasonCode{ReasonScaleDownStabilized},
		},
		{
			name: "no behaviour: old recommendations do not stabilize",
			recs: []Recommendation{
				{At: now.Add(-10 * time.Minute), Replicas: 10},
				{At: now.Add(-9 * time.Minute), Replicas: 9},
			},
			min: 1, max: 10, current: 5, desired: 3,
			want: 3, wantCodes: []ReasonCode{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := NormalizeInput{
				Behavior: tc.behavior, Min: tc.min, Max: tc.max,
				Current: tc.current, Desired: tc.desired,
				Scales: ScaleHistory{Recommendations: tc.recs, Events: tc.events},
			}
			got, reasons, rec := Normalize(in, now)
			if got != tc.want {
				t.Errorf("Normalize() = %d, want %d (reasons %v)", got, tc.want, reasons)
			}
			if diff := cmp.Diff(tc.wantCodes, codes(reasons)); diff != "" {
				t.Errorf("Normalize() reason codes (-want +got):\n%s", diff)
			}
			if want := (Recommendation{At: now, Replicas: tc.desired}); rec != want {
				t.Errorf("Normalize() recommendation = %+v, want %+v", rec, want)
			}
		})
	}
}

// TestNormalizeSeed pins the seed's HPA behaviour (kimiclaw-hpa): up window
// 60 s with Percent 100 per 60 s, down window 300 s with Percent 10 per 60 s,
// replicas 2..10.
func TestNormalizeSeed(t *testing.T) {
	b := DefaultPolicy().Behavior
	tests := []struct {
		name      string
		current   int32
		desired   int32
		recs      []Recommendation
		events    []ScaleEvent
		want      int32
		wantCodes []ReasonCode
	}{
		{name: "up: at most double per minute", current: 3, desired: 9, want: 6, wantCodes: []ReasonCode{ReasonScaleUpLimit}},
		{name: "up: max bounds first", current: 6, desired: 20, want: 10, wantCodes: []ReasonCode{ReasonTooManyReplicas}},
		{
			name: "up: a scale-up 59s ago still counts", current: 4, desired: 9,
			events: []ScaleEvent{{At: t0.Add(-59 * time.Second), Change: 2}},
			want:   4, wantCodes: []ReasonCode{ReasonScaleUpLimit}, // started the period at 2: 2 × 200 % = 4
		},
		{
			name: "up: a scale-up exactly 60s ago no longer counts", current: 4, desired: 9,
			events: []ScaleEvent{{At: t0.Add(-60 * time.Second), Change: 2}},
			want:   8, wantCodes: []ReasonCode{ReasonScaleUpLimit},
		},
		{name: "down: 10 % per minute of 10 is 1", current: 10, desired: 2, want: 9, wantCodes: []ReasonCode{ReasonScaleDownLimit}},
		{name: "down: 10 % of 5 truncates to 4", current: 5, desired: 2, want: 4, wantCodes: []ReasonCode{ReasonScaleDownLimit}},
		{
			name: "up window: a lower recommendation 59s ago holds the scale-up", current: 3, desired: 4,
			recs: []Recommendation{{At: t0.Add(-59 * time.Second), Replicas: 3}},
			want: 3, wantCodes: []ReasonCode{ReasonScaleUpStabilized},
		},
		{
			name: "up window: a recommendation exactly 60s old is outside", current: 3, desired: 4,
			recs: []Recommendation{{At: t0.Add(-60 * time.Second), Replicas: 3}},
			want: 4, wantCodes: []ReasonCode{},
		},
		{
			name: "down window: a higher recommendation 299s ago holds the scale-down", current: 5, desired: 4,
			recs: []Recommendation{{At: t0.Add(-299 * time.Second), Replicas: 5}},
			want: 5, wantCodes: []ReasonCode{ReasonScaleDownStabilized},
		},
		{
			name: "down window: a recommendation exactly 300s old is outside", current: 5, desired: 4,
			recs: []Recommendation{{At: t0.Add(-300 * time.Second), Replicas: 5}},
			want: 4, wantCodes: []ReasonCode{},
		},
		{name: "min: never below 2", current: 2, desired: 1, want: 2, wantCodes: []ReasonCode{ReasonTooFewReplicas}},
		{name: "current above max goes to max", current: 12, desired: 12, want: 10, wantCodes: []ReasonCode{ReasonTooManyReplicas}},
		{name: "current below min goes to min", current: 1, desired: 1, want: 2, wantCodes: []ReasonCode{ReasonTooFewReplicas}},
		{name: "within range", current: 4, desired: 5, want: 5, wantCodes: []ReasonCode{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := NormalizeInput{Behavior: &b, Min: 2, Max: 10, Current: tc.current, Desired: tc.desired,
				Scales: ScaleHistory{Recommendations: tc.recs, Events: tc.events}}
			got, reasons, _ := Normalize(in, t0)
			if got != tc.want {
				t.Errorf("Normalize() = %d, want %d (reasons %v)", got, tc.want, reasons)
			}
			if diff := cmp.Diff(tc.wantCodes, codes(reasons)); diff != "" {
				t.Errorf("Normalize() reason codes (-want +got):\n%s", diff)
			}
			for _, r := range reasons {
				if r.Message == "" {
					t.Errorf("reason %s has no message", r.Code)
				}
			}
		})
	}
}

func TestSelectPolicy(t *testing.T) {
	two := []ScalingPolicy{
		{Type: PodsPolicy, Value: 2, Period: secs(60)},
		{Type: PercentPolicy, Value: 50, Period: secs(60)},
	}
	tests := []struct {
		name      string
		sel       SelectPolicy
		up        bool
		current   int32
		want      int32
		wantCodes []ReasonCode
	}{
		// Upstream's TestCalculateScaleUpLimitWithScalingRules: Min of +2 and +50 % of 1.
		{name: "up Min", sel: SelectMin, up: true, current: 1, want: 2, wantCodes: []ReasonCode{ReasonScaleUpLimit}},
		{name: "up Max", sel: SelectMax, up: true, current: 10, want: 15, wantCodes: []ReasonCode{ReasonScaleUpLimit}},
		{name: "up default is Max", sel: "", up: true, current: 10, want: 15, wantCodes: []ReasonCode{ReasonScaleUpLimit}},
		{name: "up Disabled", sel: SelectDisabled, up: true, current: 10, want: 10, wantCodes: []ReasonCode{ReasonScalingDisabled}},
		// Upstream's TestCalculateScaleDownLimitWithBehaviors: Min of −2 and −50 % of 5.
		{name: "down Min", sel: SelectMin, current: 5, want: 3, wantCodes: []ReasonCode{ReasonScaleDownLimit}},
		{name: "down Max", sel: SelectMax, current: 10, want: 5, wantCodes: []ReasonCode{ReasonScaleDownLimit}},
		{name: "down Disabled", sel: SelectDisabled, current: 10, want: 10, wantCodes: []ReasonCode{ReasonScalingDisabled}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ScalingRules{SelectPolicy: tc.sel, Policies: two}
			b := Behavior{ScaleUp: r, ScaleDown: r}
			desired := int32(1000)
			if !tc.up {
				desired = 1
			}
			got, reasons, _ := Normalize(NormalizeInput{Behavior: &b, Min: 1, Max: 1000, Current: tc.current, Desired: desired}, t0)
			if got != tc.want {
				t.Errorf("Normalize() = %d, want %d", got, tc.want)
			}
			if diff := cmp.Diff(tc.wantCodes, codes(reasons)); diff != "" {
				t.Errorf("Normalize() reason codes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScaleHistoryRecordAndPrune(t *testing.T) {
	b := DefaultPolicy().Behavior // windows 60 s / 300 s, periods 60 s / 60 s
	var h ScaleHistory
	h.Record(Recommendation{}) // a decision without a recommendation
	for i := range 40 {        // 10 minutes of 15 s decisions
		h.Record(Recommendation{At: t0.Add(time.Duration(i) * 15 * time.Second), Replicas: int32(i)})
	}
	h.RecordScale(3, 3, t0) // no change: nothing
	h.RecordScale(3, 4, t0.Add(8*time.Minute))
	h.RecordScale(4, 3, t0.Add(9*time.Minute))
	h.RecordScale(3, 5, t0.Add(9*time.Minute+30*time.Second))
	h.Observe(Decision{HPARecommendation: Recommendation{At: t0.Add(time.Minute), Replicas: 7}})

	now := t0.Add(10 * time.Minute)
	h.Prune(now, b)

	// Recommendations at or after now − 300 s: 5m00s … 9m45s.
	if got, want := len(h.Recommendations), 20; got != want {
		t.Errorf("after Prune len(Recommendations) = %d, want %d", got, want)
	}
	if got := h.Recommendations[0].At; !got.Equal(now.Add(-5 * time.Minute)) {
		t.Errorf("oldest kept recommendation at %s, want %s", got, now.Add(-5*time.Minute))
	}
	if len(h.HPARecommendations) != 0 {
		t.Errorf("after Prune HPARecommendations = %v, want none (9 minutes old)", h.HPARecommendations)
	}
	want := []ScaleEvent{{At: t0.Add(9*time.Minute + 30*time.Second), Change: 2}}
	if diff := cmp.Diff(want, h.Events); diff != "" {
		t.Errorf("after Prune Events (-want +got):\n%s", diff)
	}
}

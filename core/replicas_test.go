package core

import (
	"math"
	"testing"
)

// pods builds ready pods with 1000m requests using the given millicores.
func pods(usage ...float64) []PodUsage {
	out := make([]PodUsage, len(usage))
	for i, u := range usage {
		out[i] = PodUsage{Name: "p" + string(rune('0'+i)), Usage: u, Request: 1000, Ready: true}
	}
	return out
}

// TestResourceReplicas holds upstream's replica_calculator_test.go cases
// (TestReplicaCalcScaleUp, TestReplicaCalcScaleUpUnreadyLessScale, ...) and
// the tolerance edges.
func TestResourceReplicas(t *testing.T) {
	tests := []struct {
		name    string
		current int32
		pods    func() []PodUsage
		target  float64
		want    int32
	}{
		{
			name: "upstream ScaleUp: 300m/500m/700m of 1000m at 30 % → 5", current: 3,
			pods: func() []PodUsage { return pods(300, 500, 700) }, target: 0.30, want: 5,
		},
		{
			name: "upstream ScaleUpUnreadyLessScale: the 300m pod not ready counts as 0 % → 4", current: 3,
			pods: func() []PodUsage {
				p := pods(300, 500, 700)
				p[0].Ready = false
				return p
			},
			target: 0.30, want: 4,
		},
		{
			name: "upstream ScaleUpUnreadyNoScale: unready pod pulls the ratio back under 1 → keep", current: 3,
			pods: func() []PodUsage {
				p := pods(400, 500, 700)
				p[0].Ready = false
				return p
			},
			target: 0.40, want: 3, // ready 60 % → 150 %; with the unready at 0: 40 % → 100 %
		},
		{
			name: "upstream ScaleDown: 100m/300m/500m/250m/250m at 50 % → 3", current: 5,
			pods: func() []PodUsage { return pods(100, 300, 500, 250, 250) }, target: 0.50, want: 3,
		},
		{
			name: "upstream ScaleDownIgnoresUnreadyPods: unready ignored on scale-down → 2", current: 5,
			pods: func() []PodUsage {
				p := pods(100, 300, 500, 250, 250)
				p[3].Ready, p[4].Ready = false, false
				return p
			},
			target: 0.50, want: 2,
		},
		{
			name: "upstream MissingMetricsScaleDown: missing pods count as 100 % → 3", current: 4,
			pods: func() []PodUsage {
				p := pods(400, 95, 0, 0)
				p[3].Missing = true
				return p
			},
			target: 0.50, want: 3,
		},
		{
			name: "MissingMetricsScaleUp: missing pods count as 0 % → 6", current: 4,
			pods: func() []PodUsage {
				p := pods(400, 500, 700, 0)
				p[3].Missing = true
				return p
			},
			target: 0.30, want: 6, // ready 53 % → 177 %; with the missing at 0: 40 % → ceil(1.33 × 4)
		},
		{
			name: "upstream MissingMetricsNoChange: within tolerance either way → keep", current: 4,
			pods: func() []PodUsage {
				p := pods(1000, 1000, 1000, 0)
				p[3].Missing = true
				return p
			},
			target: 1.00, want: 4,
		},
		{
			name: "tolerance: 77 % against 70 % is ratio 1.1 exactly → keep", current: 4,
			pods: func() []PodUsage { return pods(770, 770, 770, 770) }, target: 0.70, want: 4,
		},
		{
			name: "tolerance: 78 % against 70 % is outside → ceil(4 × 1.114) = 5", current: 4,
			pods: func() []PodUsage { return pods(780, 780, 780, 780) }, target: 0.70, want: 5,
		},
		{
			name: "tolerance: 63 % against 70 % is ratio 0.9 exactly → keep", current: 4,
			pods: func() []PodUsage { return pods(630, 630, 630, 630) }, target: 0.70, want: 4,
		},
		{
			name: "utilization truncates to whole percent as upstream: 77.9 % is 77 %", current: 4,
			pods: func() []PodUsage { return pods(779, 779, 779, 779) }, target: 0.70, want: 4,
		},
		{
			name: "no ready pod with a metric → keep", current: 3,
			pods: func() []PodUsage {
				p := pods(900, 900)
				p[0].Ready, p[1].Missing = false, true
				return p
			},
			target: 0.50, want: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResourceReplicas(tc.current, tc.pods(), tc.target, 0.1); got != tc.want {
				t.Errorf("ResourceReplicas(%d, …, %v, 0.1) = %d, want %d", tc.current, tc.target, got, tc.want)
			}
		})
	}
}

func TestReplicasForRatio(t *testing.T) {
	tests := []struct {
		current int32
		ratio   float64
		want    int32
	}{
		{current: 3, ratio: 1.0, want: 3},
		{current: 3, ratio: 1.1, want: 3},   // inclusive upper edge
		{current: 3, ratio: 0.9, want: 3},   // inclusive lower edge
		{current: 3, ratio: 1.101, want: 4}, // ceil(3.303)
		{current: 10, ratio: 0.5, want: 5},
		{current: 10, ratio: 0.55, want: 6},
		{current: 1, ratio: 1e12, want: math.MaxInt32}, // saturates
		{current: 4, ratio: 0, want: 0},
	}
	for _, tc := range tests {
		if got := ReplicasForRatio(tc.current, tc.ratio, 0.1); got != tc.want {
			t.Errorf("ReplicasForRatio(%d, %v, 0.1) = %d, want %d", tc.current, tc.ratio, got, tc.want)
		}
	}
}

func TestValueReplicas(t *testing.T) {
	tests := []struct {
		name           string
		current, ready int32
		total, target  float64
		want           int32
	}{
		{name: "8800 per replica is within 10 % of 8000", current: 3, ready: 3, total: 26400, target: 8000, want: 3},
		{name: "9000 per replica: ceil(27000/8000) = 4", current: 3, ready: 3, total: 27000, target: 8000, want: 4},
		{name: "1000 per replica: ceil(3000/8000) = 1", current: 3, ready: 3, total: 3000, target: 8000, want: 1},
		{name: "per ready replica: 2 ready of 3", current: 3, ready: 2, total: 20000, target: 8000, want: 3},
		{name: "no ready replica → keep", current: 3, ready: 0, total: 20000, target: 8000, want: 3},
		{name: "NaN total → keep", current: 3, ready: 3, total: math.NaN(), target: 8000, want: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValueReplicas(tc.current, tc.ready, tc.total, tc.target, 0.1); got != tc.want {
				t.Errorf("ValueReplicas(%d, %d, %v, %v, 0.1) = %d, want %d",
					tc.current, tc.ready, tc.total, tc.target, got, tc.want)
			}
		})
	}
}

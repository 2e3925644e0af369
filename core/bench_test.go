package core

import (
	"testing"
	"time"
)

// BenchmarkDecide is one decision of the seed's policy with four metrics, the
// linear forecast over 1 h of 15 s CPU history (240 samples), a scale
// history with a full down-window of recommendations and a recent scale.
// Target: ≤ 50 µs/op on the 2-core dev machine.
func BenchmarkDecide(b *testing.B) {
	h := NewHistory(240)
	for i := range 240 {
		at := t0.Add(-time.Duration(239-i) * poll)
		v := 0.5 + 0.2*float64(i%40)/40
		h.Add(Snapshot{At: at, Readings: map[Metric]Reading{
			MetricCPU:         {Value: v, At: at},
			MetricMemory:      {Value: 0.5, At: at},
			MetricQPS:         {Value: 15000, At: at},
			MetricConnections: {Value: 15000, At: at},
		}})
	}
	in := seedInput(0.74, 0.5, 5000, 5000)
	in.History = h
	for i := range 20 {
		at := t0.Add(-time.Duration(20-i) * poll)
		in.Scales.Recommendations = append(in.Scales.Recommendations, Recommendation{At: at, Replicas: 3})
		in.Scales.HPARecommendations = append(in.Scales.HPARecommendations, Recommendation{At: at, Replicas: 3})
	}
	in.Scales.Events = []ScaleEvent{{At: t0.Add(-2 * time.Minute), Change: 1}}
	in.LastScale = &LastScale{At: t0.Add(-2 * time.Minute), Direction: DirectionUp, From: 2, To: 3}
	if d := Decide(in, t0); d.Forecast == nil || len(d.Metrics) != 4 {
		b.Fatalf("benchmark input does not exercise the forecast and four metrics: %+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Decide(in, t0)
	}
}

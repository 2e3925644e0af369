package core

import (
	"math"
	"testing"
	"time"
)

// benchSeries is 7 days of 1-minute points with a daily cycle, a slow trend
// and deterministic pseudo-random noise: the size the budget names.
func benchSeries() []Sample {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 7 * 24 * 60
	xs := make([]Sample, n)
	seed := uint64(42)
	for i := range xs {
		seed = seed*6364136223846793005 + 1442695040888963407
		noise := float64(seed>>11)/float64(1<<53) - 0.5
		day := 2 * math.Pi * float64(i%1440) / 1440
		xs[i] = Sample{At: t0.Add(time.Duration(i) * time.Minute), Value: 100 + 40*math.Sin(day) + 0.001*float64(i) + 20*noise}
	}
	return xs
}

func benchForecaster(b *testing.B, f Forecaster) {
	xs := benchSeries()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.Forecast(xs, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHoltWinters is the budget: a Holt-Winters fit and a
// 5-minute forecast over 7 days of 1-minute points, at most 5 ms/op.
func BenchmarkHoltWinters(b *testing.B) { benchForecaster(b, HoltWinters{}) }

// BenchmarkHolt fits Holt on the same 7 days.
func BenchmarkHolt(b *testing.B) { benchForecaster(b, Holt{}) }

// BenchmarkLinear is the seed's model on the same history (it reads the
// last 10 points).
func BenchmarkLinear(b *testing.B) { benchForecaster(b, Linear{Points: 10}) }

// BenchmarkAuto runs auto's three candidates and its scoring on the same 7
// days.
func BenchmarkAuto(b *testing.B) { benchForecaster(b, Auto{Points: 10}) }

// BenchmarkHoltShort is the simulator's predictive refit: Holt over the last
// 30 one-minute means, 2.5 minutes ahead, once per simulated minute (43,200
// times in the 30-day BenchmarkRun of core/sim).
func BenchmarkHoltShort(b *testing.B) {
	xs := benchSeries()[:30]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Holt{}).Forecast(xs, 150*time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

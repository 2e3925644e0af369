package core

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestIntervalOffsetsSmall checks the sorted path for short error lists
// against the selection it replaces, bit for bit, with ties and zeros.
func TestIntervalOffsetsSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := minQuantileErrors; n <= 70; n++ {
		for trial := range 50 {
			errs := make([]float64, n)
			for i := range errs {
				errs[i] = rng.NormFloat64() * 10
				switch {
				case trial%5 == 1 && i%3 == 0:
					errs[i] = math.Round(errs[i]) // ties
				case trial%5 == 2 && i == n/2:
					errs[i] = math.Copysign(0, -1) // a zero takes the selection
				}
			}
			sel := append([]float64(nil), errs...)
			wantLo := min(quantile(sel, 0.10), 0)
			wantHi := max(quantile(sel, 0.90), 0)
			lo, hi := intervalOffsets(append([]float64(nil), errs...))
			if math.Float64bits(lo) != math.Float64bits(wantLo) || math.Float64bits(hi) != math.Float64bits(wantHi) {
				t.Fatalf("n=%d trial %d: intervalOffsets = (%v, %v), want (%v, %v)", n, trial, lo, hi, wantLo, wantHi)
			}
		}
	}
}

// TestNelderMeadMinimises checks the allocation-lean Nelder-Mead
// still minimises: a quadratic bowl from a start far off.
func TestNelderMeadMinimises(t *testing.T) {
	f := func(x []float64) float64 { return (x[0]-1)*(x[0]-1) + 4*(x[1]+2)*(x[1]+2) + (x[2]-3)*(x[2]-3) }
	best := nelderMead(f, []float64{5, 5, -5}, 1.5, 400)
	if f(best) > 1e-3 {
		t.Errorf("nelderMead() = %v with f = %g, want near (1, -2, 3)", best, f(best))
	}
}

// TestLinearEndMatchesPath checks that the end-only linear forecast Decide
// uses is the path's last point, and fails as the path does.
func TestLinearEndMatchesPath(t *testing.T) {
	mk := func(n int, v func(i int) float64) []Sample {
		xs := make([]Sample, n)
		for i := range xs {
			xs[i] = Sample{At: t0.Add(time.Duration(i) * poll), Value: v(i)}
		}
		return xs
	}
	histories := map[string][]Sample{
		"rising":   mk(10, func(i int) float64 { return 0.3 + 0.01*float64(i) }),
		"noisy":    mk(10, func(i int) float64 { return 0.5 + 0.1*math.Sin(float64(i)*1.7) }),
		"two":      mk(2, func(i int) float64 { return float64(i) }),
		"overflow": mk(10, func(i int) float64 { return float64(1-2*(i%2)) * math.MaxFloat64 }),
		"near max": mk(10, func(i int) float64 { return 1e307 * float64(i) }),
	}
	for name, xs := range histories {
		for _, l := range []Linear{{Points: 10}, {Points: 10, FromLine: true}, {Points: 10, Cap: 1}} {
			full, errFull := l.Forecast(xs, 5*time.Minute)
			f, end, _, _, err := l.forecastPath(xs, 5*time.Minute, l.Points+64, false)
			if (err == nil) != (errFull == nil) || (err != nil && err.Error() != errFull.Error()) {
				t.Errorf("%s %+v: end-only error %v, want %v", name, l, err, errFull)
				continue
			}
			if err != nil {
				continue
			}
			if f.Points != nil || f.Model != full.Model || end != full.End() {
				t.Errorf("%s %+v: end-only = %+v (points %d), want %+v", name, l, end, len(f.Points), full.End())
			}
		}
	}
}

// TestEsRunHolt checks Holt's short path against the general filter, bit
// for bit, over series and weights that include zeros, jumps and overflow.
func TestEsRunHolt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		y := make([]float64, 5+rng.IntN(60))
		for i := range y {
			switch trial % 4 {
			case 0:
				y[i] = 100 + 10*rng.NormFloat64()
			case 1:
				y[i] = float64(rng.IntN(3)) // many exact zeros
			case 2:
				y[i] = rng.Float64() * math.MaxFloat64 // overflows
			default:
				y[i] = 50 * math.Sin(float64(i)/3)
			}
		}
		p := esParams{alpha: rng.Float64(), beta: rng.Float64(), phi: 1}
		if trial%7 == 0 {
			p.beta = 0
		}
		spec := esSpec{trend: true}
		level, trend, _, start := esInit(y, spec)
		h := 1 + rng.IntN(4)
		errFrom := start + h + rng.IntN(3)
		want1, want2, want3 := esRun(y, spec, p, level, trend, nil, start, h, errFrom)
		spec.noNegZero = !hasNegZero(y)
		if !spec.noNegZero {
			t.Fatalf("trial %d: series has a −0", trial)
		}
		got1, got2, got3 := esRun(y, spec, p, level, trend, nil, start, h, errFrom)
		for i, pair := range [][2]float64{{got1, want1}, {got2, want2}, {got3, want3}} {
			if math.Float64bits(pair[0]) != math.Float64bits(pair[1]) && !(math.IsNaN(pair[0]) && math.IsNaN(pair[1])) {
				t.Fatalf("trial %d: result %d = %v, want %v", trial, i, pair[0], pair[1])
			}
		}
	}
	if !hasNegZero([]float64{1, math.Copysign(0, -1)}) || hasNegZero([]float64{0, 1}) {
		t.Error("hasNegZero does not tell −0 from +0")
	}
}

// TestHoltPointOnly checks that PointOnly forecasts the same values, with a
// zero-width band, and fails as Holt does on a history too short.
func TestHoltPointOnly(t *testing.T) {
	xs := benchSeries()
	for _, n := range []int{30, 300, 3000} {
		for _, damped := range []bool{false, true} {
			want, err := Holt{Damped: damped}.Forecast(xs[:n], 150*time.Second)
			if err != nil {
				t.Fatalf("Holt.Forecast(%d samples) error = %v", n, err)
			}
			got, err := Holt{Damped: damped, PointOnly: true}.Forecast(xs[:n], 150*time.Second)
			if err != nil {
				t.Fatalf("Holt{PointOnly}.Forecast(%d samples) error = %v", n, err)
			}
			if got.Model != want.Model || len(got.Points) != len(want.Points) {
				t.Fatalf("PointOnly = %s with %d points, want %s with %d", got.Model, len(got.Points), want.Model, len(want.Points))
			}
			for i, p := range got.Points {
				w := want.Points[i]
				if p.At != w.At || p.Value != w.Value || p.Lower != p.Value || p.Upper != p.Value {
					t.Errorf("n=%d damped=%v point %d = %+v, want %v at %s with a zero-width band", n, damped, i, p, w.Value, w.At)
				}
			}
		}
	}
	if _, err := (Holt{PointOnly: true}).Forecast(xs[:2], time.Minute); !errors.Is(err, ErrShortHistory) {
		t.Errorf("Holt{PointOnly}.Forecast(2 samples) error = %v, want ErrShortHistory", err)
	}
}

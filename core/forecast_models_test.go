package core

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var fcEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// series returns n samples step apart from fcEpoch with values f(i).
func series(n int, step time.Duration, f func(i int) float64) []Sample {
	xs := make([]Sample, n)
	for i := range xs {
		xs[i] = Sample{At: fcEpoch.Add(time.Duration(i) * step), Value: f(i)}
	}
	return xs
}

// noise is a deterministic pseudo-random sequence, roughly normal with unit
// variance (the sum of 12 uniforms minus 6).
type noise uint64

func (n *noise) next() float64 {
	var s float64
	for range 12 {
		*n = *n*6364136223846793005 + 1442695040888963407
		s += float64(uint64(*n)>>11) / float64(1<<53)
	}
	return s - 6
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func allModels() []Forecaster {
	return []Forecaster{
		Linear{Points: 10},
		Linear{Points: 10, FromLine: true},
		Holt{},
		Holt{Damped: true},
		HoltWinters{Season: 2 * time.Hour},
		HoltWinters{Season: 2 * time.Hour, Damped: true},
		Auto{Points: 10, Season: 2 * time.Hour},
	}
}

func TestForecastLineIsExact(t *testing.T) {
	// 3 days of 5-minute points on a line: every model that has a trend
	// extrapolates it exactly, with a zero-width interval.
	const step = 5 * time.Minute
	xs := series(3*288, step, func(i int) float64 { return 10 + 0.5*float64(i) })
	last := xs[len(xs)-1]
	for _, m := range allModels() {
		if h, ok := m.(Holt); ok && h.Damped {
			continue // a damped trend is not a line
		}
		if hw, ok := m.(HoltWinters); ok && hw.Damped {
			continue
		}
		t.Run(m.Name(), func(t *testing.T) {
			f, err := m.Forecast(xs, 30*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Points) != 6 {
				t.Fatalf("Forecast() has %d points, want 6 (30m of 5m steps)", len(f.Points))
			}
			for k, p := range f.Points {
				wantAt := last.At.Add(time.Duration(k+1) * step)
				want := last.Value + 0.5*float64(k+1)
				if !p.At.Equal(wantAt) || !near(p.Value, want, 1e-6) || !near(p.Lower, want, 1e-6) || !near(p.Upper, want, 1e-6) {
					t.Errorf("point %d = %+v, want %s value %g with a zero-width interval", k, p, wantAt, want)
				}
			}
		})
	}
}

func TestForecastConstant(t *testing.T) {
	xs := series(3*24*4, 15*time.Minute, func(int) float64 { return 42 })
	for _, m := range allModels() {
		t.Run(m.Name(), func(t *testing.T) {
			f, err := m.Forecast(xs, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range f.Points {
				if !near(p.Value, 42, 1e-9) || !near(p.Lower, 42, 1e-9) || !near(p.Upper, 42, 1e-9) {
					t.Errorf("point = %+v, want 42 with a zero-width interval", p)
				}
			}
		})
	}
}

func TestHoltWintersRecoversSeason(t *testing.T) {
	// A pure daily cycle at 15-minute steps over 4 days: Holt-Winters must
	// forecast the next 6 hours of the cycle, which Holt cannot.
	const step = 15 * time.Minute
	cycle := func(i int) float64 {
		ph := 2 * math.Pi * float64(i%96) / 96
		return 100 + 30*math.Sin(ph) + 10*math.Cos(3*ph)
	}
	xs := series(4*96, step, cycle)
	f, err := HoltWinters{}.Forecast(xs, 6*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if f.Model != ModelHoltWinters {
		t.Errorf("Model = %q, want %q", f.Model, ModelHoltWinters)
	}
	if len(f.Points) != 24 {
		t.Fatalf("Forecast() has %d points, want 24", len(f.Points))
	}
	for k, p := range f.Points {
		want := cycle(len(xs) + k)
		if !near(p.Value, want, 0.5) {
			t.Errorf("step %d: forecast %.3f, want %.3f (±0.5)", k+1, p.Value, want)
		}
		if p.Lower > want+0.5 || p.Upper < want-0.5 {
			t.Errorf("step %d: interval [%.3f, %.3f] misses %.3f", k+1, p.Lower, p.Upper, want)
		}
	}
	// The same history through auto picks the seasonal model.
	a, err := Auto{Points: 10}.Forecast(xs, 6*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := "auto(holt-winters-damped)"; a.Model != want {
		t.Errorf("auto Model = %q, want %q", a.Model, want)
	}
}

func TestHoltWintersFallsBackToHolt(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		horizon time.Duration
		want    string
	}{
		{"history shorter than two seasons", 2*96 - 1, time.Hour, "holt-winters(holt: history < 2 seasons)"},
		{"exactly two seasons", 2 * 96, time.Hour, "holt-winters"},
		{"horizon longer than a season", 3 * 96, 25 * time.Hour, "holt-winters(holt: horizon > 1 season)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			xs := series(tc.n, 15*time.Minute, func(i int) float64 { return float64(i % 96) })
			f, err := HoltWinters{}.Forecast(xs, tc.horizon)
			if err != nil {
				t.Fatal(err)
			}
			if f.Model != tc.want {
				t.Errorf("Model = %q, want %q", f.Model, tc.want)
			}
		})
	}
}

func TestForecastIntervalCoverage(t *testing.T) {
	// A noisy daily cycle: over 200 origins, each model's 80 % interval at
	// the horizon holds between 65 % and 95 % of the actual values.
	const step = 15 * time.Minute
	var nz noise = 7
	xs := series(9*96, step, func(i int) float64 {
		return 100 + 20*math.Sin(2*math.Pi*float64(i%96)/96) + 5*nz.next()
	})
	models := []Forecaster{Linear{Points: 10}, Holt{Damped: true}, HoltWinters{Damped: true}, Auto{Points: 10}}
	for _, m := range models {
		t.Run(m.Name(), func(t *testing.T) {
			var inside, total int
			for o := 7 * 96; o+4 < len(xs); o++ {
				f, err := m.Forecast(xs[:o+1], time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if a := xs[o+4].Value; a >= f.End().Lower && a <= f.End().Upper {
					inside++
				}
				total++
			}
			if c := float64(inside) / float64(total); c < 0.65 || c > 0.95 {
				t.Errorf("coverage = %.2f over %d origins, want 0.65..0.95", c, total)
			}
		})
	}
}

func TestForecastShortHistory(t *testing.T) {
	for _, m := range allModels() {
		for _, n := range []int{0, 1} {
			xs := series(n, time.Minute, func(int) float64 { return 1 })
			if _, err := m.Forecast(xs, 5*time.Minute); !errors.Is(err, ErrShortHistory) {
				t.Errorf("%s.Forecast(%d samples) error = %v, want ErrShortHistory", m.Name(), n, err)
			}
		}
	}
	// The smoothing models need the horizon's steps plus 3.
	xs := series(7, time.Minute, func(i int) float64 { return float64(i) })
	for _, m := range []Forecaster{Holt{}, HoltWinters{}} {
		if _, err := m.Forecast(xs, 5*time.Minute); !errors.Is(err, ErrShortHistory) {
			t.Errorf("%s.Forecast(7 samples, 5 steps) error = %v, want ErrShortHistory", m.Name(), err)
		}
	}
	// Linear needs two points; auto then falls back to it.
	xs = series(2, time.Minute, func(i int) float64 { return float64(i) })
	f, err := Auto{Points: 10}.Forecast(xs, 5*time.Minute)
	if err != nil || f.Model != "auto(linear)" || !near(f.End().Value, 6, 1e-9) {
		t.Errorf("Auto.Forecast(2 samples) = %+v, %v; want auto(linear) ending at 6", f, err)
	}
}

func TestForecastSkipsNonFinite(t *testing.T) {
	// A failed scrape (NaN or ±Inf) is skipped, not read as a value: the
	// line through the rest is still exact.
	xs := series(40, time.Minute, func(i int) float64 { return 2 * float64(i) })
	xs[30].Value = math.NaN()
	xs[35].Value = math.Inf(1)
	f, err := Linear{Points: 10}.Forecast(xs, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.End().Value; !near(got, 2*44, 1e-9) {
		t.Errorf("linear forecast = %g, want %g", got, 2.0*44)
	}
	for _, m := range allModels() {
		f, err := m.Forecast(xs, 5*time.Minute)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		for _, p := range f.Points {
			if math.IsNaN(p.Value) || math.IsNaN(p.Lower) || math.IsNaN(p.Upper) || math.IsInf(p.Value, 0) {
				t.Errorf("%s: point %+v is not finite", m.Name(), p)
			}
		}
	}
}

func TestForecastRejectsBadInput(t *testing.T) {
	ordered := series(30, time.Minute, func(i int) float64 { return float64(i) })
	unordered := append([]Sample(nil), ordered...)
	unordered[20], unordered[21] = unordered[21], unordered[20]
	tests := []struct {
		name    string
		m       Forecaster
		xs      []Sample
		horizon time.Duration
		want    string
	}{
		{"out of order", Holt{}, unordered, 5 * time.Minute, "strictly increasing"},
		{"out of order, linear", Linear{Points: 10}, unordered, 5 * time.Minute, "strictly increasing"},
		{"out of order, auto", Auto{Points: 10}, unordered, 5 * time.Minute, "auto model: history sample"},
		{"zero horizon", Holt{}, ordered, 0, "horizon must be positive"},
		{"zero horizon, auto", Auto{Points: 10}, ordered, 0, "auto model: horizon must be positive"},
		{"negative horizon", Linear{Points: 10}, ordered, -time.Minute, "horizon must be positive"},
		{"linear without points", Linear{}, ordered, time.Minute, "points must be at least 2"},
		{"season shorter than two steps", HoltWinters{Season: 89 * time.Second}, ordered, time.Minute, "at least two 1m0s sample steps"},
		{"negative season", HoltWinters{Season: -time.Hour}, ordered, time.Minute, "season must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.Forecast(tc.xs, tc.horizon)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Forecast() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestForecastJitteryStep(t *testing.T) {
	// Samples 15.002 s apart: five minutes is 20 steps, not 21, and the
	// daily season rounds to 5759 steps instead of failing.
	xs := make([]Sample, 2*5760+100)
	for i := range xs {
		xs[i] = Sample{At: fcEpoch.Add(time.Duration(i) * 15002 * time.Millisecond), Value: float64(i % 5759)}
	}
	for _, m := range []Forecaster{Linear{Points: 10}, HoltWinters{}} {
		f, err := m.Forecast(xs, 5*time.Minute)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		if len(f.Points) != 20 || f.Model != m.Name() {
			t.Errorf("%s: %d points from model %q, want 20 from %q", m.Name(), len(f.Points), f.Model, m.Name())
		}
	}
}

func TestLinearCap(t *testing.T) {
	xs := series(10, time.Minute, func(i int) float64 { return 0.5 + 0.1*float64(i) })
	f, err := Linear{Points: 10, Cap: 1}.Forecast(xs, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if e := f.End(); e.Value != 1 || e.Upper != 1 {
		t.Errorf("capped forecast = %+v, want value and upper 1", e)
	}
	// The seed's formula: last + trend × 5 on a one-minute series.
	f, err = Linear{Points: 10}.Forecast(xs, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.End().Value, 1.4+0.1*5; !near(got, want, 1e-12) {
		t.Errorf("uncapped forecast = %g, want last + trend × 5 = %g", got, want)
	}
}

func TestLinearIntervalMatchesOLS(t *testing.T) {
	// y = 0, 1, 0, 1, ... on 4 points one second apart: slope 0.2 per second,
	// fitted line 0.2 + 0.2·x (x̄ = 1.5, Sxx = 5), SSE 0.8, s² = 0.4.
	xs := series(4, time.Second, func(i int) float64 { return float64(i % 2) })
	f, err := Linear{Points: 4}.Forecast(xs, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// From the last sample: 1 + 0.2; variance s²(2 + 1/5 + 2·1·1.5/5).
	wantHalf := 1.886 * math.Sqrt(0.4*(2+0.2+0.6))
	if e := f.End(); !near(e.Value, 1.2, 1e-12) || !near(e.Upper-e.Value, wantHalf, 1e-9) {
		t.Errorf("linear end = %+v, want 1.2 ± %.6f", e, wantHalf)
	}
	f, err = Linear{Points: 4, FromLine: true}.Forecast(xs, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The line at x = 4: 0.2 + 0.2·4 = 1.0; variance s²(1 + 1/4 + 2.5²/5).
	wantHalf = 1.886 * math.Sqrt(0.4*(1+0.25+6.25/5))
	if e := f.End(); !near(e.Value, 1.0, 1e-12) || !near(e.Upper-e.Value, wantHalf, 1e-9) {
		t.Errorf("linear-line end = %+v, want 1.0 ± %.6f", e, wantHalf)
	}
}

func TestNewForecaster(t *testing.T) {
	base := DefaultPolicy().Forecast
	tests := []struct {
		model string
		want  Forecaster
	}{
		{"linear", Linear{Points: 10}},
		{"holt", Holt{}},
		{"holt-damped", Holt{Damped: true}},
		{"holt-winters", HoltWinters{Season: 24 * time.Hour}},
		{"holt-winters-damped", HoltWinters{Season: 24 * time.Hour, Damped: true}},
		{"auto", Auto{Points: 10, Season: 24 * time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			p := base
			p.Model = tc.model
			got, err := NewForecaster(p)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || got.Name() != tc.model {
				t.Errorf("NewForecaster(%q) = %#v named %q, want %#v", tc.model, got, got.Name(), tc.want)
			}
		})
	}
	if len(tests) != len(ModelNames()) {
		t.Errorf("ModelNames() = %v, want the %d names tested", ModelNames(), len(tests))
	}

	bad := []struct {
		name string
		edit func(*ForecastPolicy)
		want []string
	}{
		{"unknown", func(p *ForecastPolicy) { p.Model = "prophet" }, []string{`"prophet"`, "linear, holt, holt-damped, holt-winters, holt-winters-damped, auto"}},
		{"empty", func(p *ForecastPolicy) { p.Model = "" }, []string{`""`, "valid models"}},
		{"linear without points", func(p *ForecastPolicy) { p.Points = 1 }, []string{"points must be at least 2, got 1"}},
		{"negative season", func(p *ForecastPolicy) { p.Model = "holt-winters"; p.Season = Duration(-time.Hour) }, []string{"season must be positive"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.edit(&p)
			_, err := NewForecaster(p)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("NewForecaster() error = %v, want one containing %q", err, w)
				}
			}
		})
	}
}

func TestForecastEdgeCasesFoundByFuzzing(t *testing.T) {
	// Two points: the line through them, with no residual to size a band.
	two := series(2, time.Minute, func(i int) float64 { return float64(i) })
	f, err := Linear{Points: 10}.Forecast(two, 5*time.Minute)
	if e := f.End(); err != nil || e.Value != 6 || e.Lower != 6 || e.Upper != 6 {
		t.Errorf("Linear on 2 points = %+v, %v; want 6 with a zero-width band", e, err)
	}
	// Values near the float64 limit overflow: an error, never ±Inf or NaN.
	huge := series(40, time.Minute, func(i int) float64 { return float64(1-2*(i%2)) * math.MaxFloat64 })
	for _, m := range allModels() {
		f, err := m.Forecast(huge, 5*time.Minute)
		if err == nil {
			for _, p := range f.Points {
				if math.IsInf(p.Value, 0) || math.IsNaN(p.Value) || math.IsInf(p.Lower, 0) || math.IsInf(p.Upper, 0) {
					t.Errorf("%s on huge values = %+v, want an error or finite points", m.Name(), p)
				}
			}
		}
	}
	// A biased fit: the band is widened to hold the point forecast.
	var nz noise = 3
	xs := series(300, time.Minute, func(i int) float64 { return 5*nz.next() + 100*float64(i%50) })
	for _, m := range allModels() {
		f, err := m.Forecast(xs, 5*time.Minute)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		for _, p := range f.Points {
			if p.Lower > p.Value || p.Value > p.Upper {
				t.Errorf("%s: point %+v, want Lower ≤ Value ≤ Upper", m.Name(), p)
			}
		}
	}
}

func TestQuantileMatchesSort(t *testing.T) {
	var nz noise = 11
	for _, n := range []int{1, 2, 3, 10, 101, 1440} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(nz.next() * 3) // ties on purpose
		}
		sorted := append([]float64(nil), xs...)
		slices.Sort(sorted)
		for _, q := range []float64{0, 0.1, 0.5, 0.9, 1} {
			pos := q * float64(n-1)
			i := int(pos)
			want := sorted[i]
			if i+1 < n {
				want = sorted[i]*(1-(pos-float64(i))) + sorted[i+1]*(pos-float64(i))
			}
			if got := quantile(append([]float64(nil), xs...), q); !near(got, want, 1e-12) {
				t.Errorf("quantile(n=%d, q=%g) = %g, want %g", n, q, got, want)
			}
		}
	}
}

package backtest

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func minutes(vals ...float64) []core.Sample {
	xs := make([]core.Sample, len(vals))
	for i, v := range vals {
		xs[i] = core.Sample{At: t0.Add(time.Duration(i) * time.Minute), Value: v}
	}
	return xs
}

// shifted forecasts the last value plus Offset, with an interval of ±Width,
// and records what it was shown.
type shifted struct {
	Offset, Width float64
	seen          *[][]core.Sample
}

func (shifted) Name() string { return "shifted" }

func (s shifted) Forecast(h []core.Sample, horizon time.Duration) (core.Forecast, error) {
	if s.seen != nil {
		*s.seen = append(*s.seen, h)
	}
	last := h[len(h)-1]
	v := last.Value + s.Offset
	return core.Forecast{Model: "shifted", Points: []core.ForecastPoint{
		{At: last.At.Add(horizon), Value: v, Lower: v - s.Width, Upper: v + s.Width},
	}}, nil
}

func TestEvaluateScores(t *testing.T) {
	// Alternating 10, 20: the naive forecast one minute ahead is always 10 off.
	vals := make([]float64, 40)
	for i := range vals {
		vals[i] = float64(10 + 10*(i%2))
	}
	opt := Options{Origins: 19, Horizon: time.Minute, MaxHistory: time.Hour}
	tests := []struct {
		name    string
		m       core.Forecaster
		mae     float64
		mase    float64
		cover   float64
		mapePct float64
	}{
		// Origins are minutes 20..38: ten at 10 (actual 20), nine at 20 (actual 10).
		{"naive", shifted{}, 10, 1, 0, (10*50 + 9*100) / 19.0},
		{"naive with a wide interval", shifted{Width: 10}, 10, 1, 1, (10*50 + 9*100) / 19.0},
		{"always 5 high", shifted{Offset: 5}, (10*5 + 9*15) / 19.0, (10*5 + 9*15) / 190.0, 0, (10*25 + 9*150) / 19.0},
		{"5 high, interval ±5", shifted{Offset: 5, Width: 5}, (10*5 + 9*15) / 19.0, (10*5 + 9*15) / 190.0, 10 / 19.0, (10*25 + 9*150) / 19.0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Evaluate(minutes(vals...), []core.Forecaster{tc.m}, opt)
			if err != nil {
				t.Fatal(err)
			}
			r := rs[0]
			if r.Origins != 19 || !near(r.MAE, tc.mae) || !near(r.MASE, tc.mase) || !near(r.NaiveMAE, 10) ||
				!near(r.Coverage, tc.cover) || !near(r.MAPE, tc.mapePct) || r.MAPESkipped != 0 || r.Chosen["shifted"] != 19 {
				t.Errorf("Evaluate() = %+v, want origins 19, MAE %g, MASE %g, naive 10, coverage %g, MAPE %g",
					r, tc.mae, tc.mase, tc.cover, tc.mapePct)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestEvaluateOrigins(t *testing.T) {
	// 100 minutes, horizon 5m, 10 origins: from index 50 to 94, evenly, each
	// seeing at most 20 minutes of history.
	vals := make([]float64, 100)
	for i := range vals {
		vals[i] = float64(i * i)
	}
	var seen [][]core.Sample
	opt := Options{Origins: 10, Horizon: 5 * time.Minute, MaxHistory: 20 * time.Minute}
	if _, err := Evaluate(minutes(vals...), []core.Forecaster{shifted{seen: &seen}}, opt); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10 {
		t.Fatalf("model called %d times, want 10", len(seen))
	}
	for k, h := range seen {
		want := 50 + int(math.Round(float64(k)*44/9))
		last := h[len(h)-1]
		if got := int(last.At.Sub(t0) / time.Minute); got != want {
			t.Errorf("origin %d at minute %d, want %d", k, got, want)
		}
		if span := last.At.Sub(h[0].At); len(h) != 20 || span >= 20*time.Minute {
			t.Errorf("origin %d saw %d samples spanning %s, want 20 within (origin − 20m, origin]", k, len(h), span)
		}
	}
}

func TestEvaluateMAPESkipsZeros(t *testing.T) {
	vals := []float64{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}
	rs, err := Evaluate(minutes(vals...), []core.Forecaster{shifted{}}, Options{Origins: 5, Horizon: time.Minute, MaxHistory: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// Origins are minutes 6..10: actuals at 7..11 are 0,1,0,1,0.
	if r := rs[0]; r.MAPESkipped != 3 || !near(r.MAPE, 100) {
		t.Errorf("MAPE = %g skipping %d, want 100 %% skipping 3 zero actuals", r.MAPE, r.MAPESkipped)
	}
}

type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Forecast([]core.Sample, time.Duration) (core.Forecast, error) {
	return core.Forecast{}, core.ErrShortHistory
}

func TestEvaluateErrors(t *testing.T) {
	ok := Options{Origins: 5, Horizon: time.Minute, MaxHistory: time.Hour}
	changing := minutes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	gappy := append(minutes(1, 2, 3, 4, 5, 6, 7, 8), core.Sample{At: t0.Add(30 * time.Minute), Value: 9})
	tests := []struct {
		name   string
		series []core.Sample
		models []core.Forecaster
		opt    Options
		want   string
		is     error
	}{
		{"no origins", changing, []core.Forecaster{shifted{}}, Options{Horizon: time.Minute, MaxHistory: time.Hour}, "origins must be at least 1", nil},
		{"no horizon", changing, []core.Forecaster{shifted{}}, Options{Origins: 5, MaxHistory: time.Hour}, "horizon must be positive", nil},
		{"no history", changing, []core.Forecaster{shifted{}}, Options{Origins: 5, Horizon: time.Minute}, "max history must be positive", nil},
		{"no models", changing, nil, ok, "no models", nil},
		{"empty series", nil, []core.Forecaster{shifted{}}, ok, "empty", nil},
		{"too few origins", changing, []core.Forecaster{shifted{}}, Options{Origins: 50, Horizon: time.Minute, MaxHistory: time.Hour}, "50 origins", nil},
		{"constant", minutes(5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5), []core.Forecaster{shifted{}}, ok, "undefined", nil},
		{"irregular", gappy, []core.Forecaster{shifted{}}, Options{Origins: 2, Horizon: time.Minute, MaxHistory: time.Hour}, "no sample at", nil},
		{"model fails", changing, []core.Forecaster{failing{}}, ok, "model failing at origin", core.ErrShortHistory},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(tc.series, tc.models, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Evaluate() error = %v, want one containing %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Evaluate() error = %v, want it to wrap %v", err, tc.is)
			}
		})
	}
}

func TestDefaultOptionsAreTheProtocol(t *testing.T) {
	if got, want := DefaultOptions(), (Options{Origins: 300, Horizon: 5 * time.Minute, MaxHistory: 7 * 24 * time.Hour}); got != want {
		t.Errorf("DefaultOptions() = %+v, want %+v", got, want)
	}
}

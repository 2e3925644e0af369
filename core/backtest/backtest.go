package backtest

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// Options is the rolling-origin protocol.
type Options struct {
	// Origins is how many forecast origins are spread evenly over the second
	// half of the series (the protocol: 300).
	Origins int
	// Horizon is how far ahead each forecast is scored (the protocol: 5m).
	Horizon time.Duration
	// MaxHistory is the most history a model sees at an origin (the
	// protocol: 7 days).
	MaxHistory time.Duration
}

// DefaultOptions is the protocol of the forecast targets: 300 origins over
// the second half of the trace, 5 minutes ahead, at most 7 days of history.
func DefaultOptions() Options {
	return Options{Origins: 300, Horizon: 5 * time.Minute, MaxHistory: 7 * 24 * time.Hour}
}

// Models is the set forecast-eval reports, in the order of its table: the
// seed's linear regression as the seed computes it (from the last sample) and
// as the reference measured it (the fitted line), Holt and
// Holt-Winters, plain and damped, and auto. points is the linear window (seed:
// 10); season is the Holt-Winters season (zero means 24 h).
func Models(points int, season time.Duration) []core.Forecaster {
	return []core.Forecaster{
		core.Linear{Points: points},
		core.Linear{Points: points, FromLine: true},
		core.Holt{},
		core.Holt{Damped: true},
		core.HoltWinters{Season: season},
		core.HoltWinters{Season: season, Damped: true},
		core.Auto{Points: points, Season: season},
	}
}

// Validate reports the first option out of range.
func (o Options) Validate() error {
	switch {
	case o.Origins < 1:
		return fmt.Errorf("origins must be at least 1, got %d", o.Origins)
	case o.Horizon <= 0:
		return fmt.Errorf("horizon must be positive, got %s", o.Horizon)
	case o.MaxHistory <= 0:
		return fmt.Errorf("max history must be positive, got %s", o.MaxHistory)
	}
	return nil
}

// Result is one model's score over every origin.
type Result struct {
	// Model is the forecaster's Name.
	Model string `json:"model"`
	// Origins is how many forecasts were scored.
	Origins int `json:"origins"`
	// MAE is the mean absolute error of the point forecast at the horizon.
	MAE float64 `json:"mae"`
	// MAPE is the mean absolute percentage error (in percent) over the
	// origins whose actual value is not zero; MAPESkipped counts the others.
	MAPE        float64 `json:"mape"`
	MAPESkipped int     `json:"mape_skipped"`
	// MASE is MAE divided by NaiveMAE; below 1 beats "no change".
	MASE float64 `json:"mase"`
	// NaiveMAE is the MAE of the last-value forecast on the same origins.
	NaiveMAE float64 `json:"naive_mae"`
	// Coverage is the share of actual values inside the 80 % interval.
	Coverage float64 `json:"coverage"`
	// Chosen counts the Forecast.Model each forecast reported (e.g. which
	// model "auto" picked, or a fallback), by name.
	Chosen map[string]int `json:"chosen"`
}

// Evaluate scores each model on series (time-ordered, regularly spaced) with
// the rolling-origin protocol:
//
//  1. Origins are Origins sample indices spread evenly (rounded to the nearest
//     sample) from the middle of the series to the last sample that still has
//     a sample exactly Horizon later.
//  2. At each origin the model sees the samples in (origin − MaxHistory,
//     origin] and forecasts Horizon ahead; its Forecast.End() is scored
//     against the sample at origin + Horizon.
//  3. MASE divides the model's MAE by the MAE of the naive forecast (the
//     origin's own value) over the same origins.
//
// A model that fails at any origin fails the evaluation: with the protocol's
// history every model must forecast.
func Evaluate(series []core.Sample, models []core.Forecaster, opt Options) ([]Result, error) {
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("backtest options: %w", err)
	}
	if len(models) == 0 {
		return nil, errors.New("backtest: no models to evaluate")
	}
	origins, targets, err := originsOf(series, opt)
	if err != nil {
		return nil, err
	}

	var naive float64
	for k, o := range origins {
		naive += math.Abs(series[targets[k]].Value - series[o].Value)
	}
	naive /= float64(len(origins))
	if naive == 0 {
		return nil, errors.New("backtest: the series never changes over the horizon at the origins, so MASE (MAE / the naive forecast's MAE) is undefined")
	}

	results := make([]Result, 0, len(models))
	for _, m := range models {
		r := Result{Model: m.Name(), Origins: len(origins), NaiveMAE: naive, Chosen: map[string]int{}}
		var absSum, apeSum float64
		var inside, apeN int
		for k, o := range origins {
			from := sort.Search(o+1, func(i int) bool {
				return series[i].At.After(series[o].At.Add(-opt.MaxHistory))
			})
			f, err := m.Forecast(series[from:o+1], opt.Horizon)
			if err != nil {
				return nil, fmt.Errorf("backtest model %s at origin %s: %w", m.Name(), series[o].At.Format(time.RFC3339), err)
			}
			end := f.End()
			actual := series[targets[k]]
			if !end.At.Equal(actual.At) {
				return nil, fmt.Errorf("backtest model %s at origin %s: forecast ends at %s, want %s",
					m.Name(), series[o].At.Format(time.RFC3339), end.At.Format(time.RFC3339), actual.At.Format(time.RFC3339))
			}
			e := math.Abs(actual.Value - end.Value)
			absSum += e
			if actual.Value != 0 {
				apeSum += e / math.Abs(actual.Value)
				apeN++
			}
			if actual.Value >= end.Lower && actual.Value <= end.Upper {
				inside++
			}
			r.Chosen[f.Model]++
		}
		n := float64(len(origins))
		r.MAE = absSum / n
		r.MAPESkipped = len(origins) - apeN
		if apeN > 0 {
			r.MAPE = 100 * apeSum / float64(apeN)
		}
		r.MASE = r.MAE / naive
		r.Coverage = float64(inside) / n
		results = append(results, r)
	}
	return results, nil
}

// originsOf returns the origin indices and, for each, the index of the sample
// Horizon later.
func originsOf(series []core.Sample, opt Options) (origins, targets []int, err error) {
	// The last origin is the newest sample no later than the series' end
	// minus Horizon; on a regular series it has a sample exactly Horizon later.
	if len(series) == 0 {
		return nil, nil, errors.New("backtest: the series is empty")
	}
	end := series[len(series)-1].At.Add(-opt.Horizon)
	last := sort.Search(len(series), func(i int) bool { return series[i].At.After(end) }) - 1
	first := len(series) / 2
	if last < first {
		return nil, nil, fmt.Errorf("backtest: the second half of the series (%d samples) has no sample exactly %s after another; want a regular series longer than the horizon",
			len(series)-first, opt.Horizon)
	}
	if last-first+1 < opt.Origins {
		return nil, nil, fmt.Errorf("backtest: %d origins asked for but the second half of the series has only %d usable samples",
			opt.Origins, last-first+1)
	}
	for k := range opt.Origins {
		i := first
		if opt.Origins > 1 {
			i = first + int(math.Round(float64(k)*float64(last-first)/float64(opt.Origins-1)))
		}
		j, ok := sampleAt(series, series[i].At.Add(opt.Horizon))
		if !ok {
			return nil, nil, fmt.Errorf("backtest: no sample at %s, %s after the origin %s; want a regular series",
				series[i].At.Add(opt.Horizon).Format(time.RFC3339), opt.Horizon, series[i].At.Format(time.RFC3339))
		}
		origins = append(origins, i)
		targets = append(targets, j)
	}
	return origins, targets, nil
}

// sampleAt finds the sample at exactly t.
func sampleAt(series []core.Sample, t time.Time) (int, bool) {
	j := sort.Search(len(series), func(i int) bool { return !series[i].At.Before(t) })
	return j, j < len(series) && series[j].At.Equal(t)
}

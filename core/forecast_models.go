package core

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Model names as policies, the CLI and the UI spell them.
const (
	ModelLinear            = "linear"
	ModelHolt              = "holt"
	ModelHoltDamped        = "holt-damped"
	ModelHoltWinters       = "holt-winters"
	ModelHoltWintersDamped = "holt-winters-damped"
	ModelAuto              = "auto"
)

// ModelNames lists every model name NewForecaster accepts.
func ModelNames() []string {
	return []string{ModelLinear, ModelHolt, ModelHoltDamped, ModelHoltWinters, ModelHoltWintersDamped, ModelAuto}
}

// NewForecaster returns the forecaster the policy names: the linear model
// fits the last p.Points samples, as the seed does; the Holt-Winters models
// use p.Season (zero means 24 h); "auto" picks among linear, damped Holt and
// damped Holt-Winters on every call. An unknown model name is an error that
// names it and the valid ones.
func NewForecaster(p ForecastPolicy) (Forecaster, error) {
	season := time.Duration(p.Season)
	if season < 0 {
		return nil, fmt.Errorf("forecast model %q: season must be positive, got %s", p.Model, season)
	}
	switch p.Model {
	case ModelLinear, ModelAuto:
		if p.Points < 2 {
			return nil, fmt.Errorf("forecast model %q: points must be at least 2, got %d", p.Model, p.Points)
		}
		if p.Model == ModelAuto {
			return Auto{Points: p.Points, Season: season}, nil
		}
		return Linear{Points: p.Points}, nil
	case ModelHolt:
		return Holt{}, nil
	case ModelHoltDamped:
		return Holt{Damped: true}, nil
	case ModelHoltWinters:
		return HoltWinters{Season: season}, nil
	case ModelHoltWintersDamped:
		return HoltWinters{Season: season, Damped: true}, nil
	}
	return nil, fmt.Errorf("unknown forecast model %q: valid models are %s",
		p.Model, strings.Join(ModelNames(), ", "))
}

// Auto forecasts with whichever of its candidates made the smallest error on
// the history: the mean absolute error of the forecasts each would have made
// at the asked horizon over the newest day of samples (for the smoothing
// models, with the weights fitted to that history). The candidates are the
// seed's linear model (Points), damped Holt and damped Holt-Winters (Season);
// Forecast.Model reports the choice, e.g. "auto(holt-winters-damped)".
// Candidates that cannot forecast the history (too short, or overflowing)
// are passed over; ties go to the simpler model.
type Auto struct {
	// Points is the linear candidate's window (seed: 10).
	Points int
	// Season is the Holt-Winters candidate's season; zero means 24 h.
	Season time.Duration
}

// scorer is a model that can say how well it would have done on history.
type scorer interface {
	Forecaster
	scored(history []Sample, horizon time.Duration) (Forecast, float64, error)
}

// Name implements Forecaster.
func (Auto) Name() string { return ModelAuto }

// Forecast implements Forecaster.
func (a Auto) Forecast(history []Sample, horizon time.Duration) (Forecast, error) {
	// Bad input is reported once, not once per candidate.
	if horizon <= 0 {
		return Forecast{}, fmt.Errorf("auto model: horizon must be positive, got %s", horizon)
	}
	if _, err := cleanHistory(history); err != nil {
		return Forecast{}, fmt.Errorf("auto model: %w", err)
	}
	candidates := []scorer{
		Linear{Points: a.Points},
		Holt{Damped: true},
		HoltWinters{Season: a.Season, Damped: true},
	}
	var (
		best      Forecast
		bestScore = math.Inf(1)
		found     bool
		errs      []error
	)
	for _, c := range candidates {
		f, score, err := c.scored(history, horizon)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || score < bestScore {
			best, bestScore, found = f, score, true
		}
	}
	if !found {
		return Forecast{}, fmt.Errorf("auto model: no candidate can forecast: %w", errors.Join(errs...))
	}
	best.Model = ModelAuto + "(" + best.Model + ")"
	return best, nil
}

// Linear is the seed's predictive model: an ordinary least-squares line
// through the last Points samples, extrapolated from the last sample.
//
// The seed computes "last CPU + trend × 5" with the trend per point of a
// one-minute series. Linear keeps that shape but makes the trend a slope per
// second of sample time, so it is correct at any scrape interval: the value
// k steps after the last sample is last + slope × (k × step). On a one-minute
// series at a five-minute horizon this is exactly the seed's formula.
// FromLine instead extrapolates the fitted line itself (its value at the last
// sample's time, plus slope × d), which is how the reference figures
// for "the seed's linear regression" (MASE 1.159 and 1.074) were measured.
//
// The 80 % interval is the ordinary-least-squares one for that estimator,
// with residual standard error s (n−2 degrees of freedom) and d seconds
// ahead: the error of y(t) + b̂·d has variance s²·(2 + d²/Sxx +
// 2·d·(x_n − x̄)/Sxx); the error of the line has s²·(1 + 1/n +
// (x_n + d − x̄)²/Sxx). The half-width is Student's t(0.90, n−2) times the
// square root. Fitted to two points there is no residual left and the
// interval has zero width.
type Linear struct {
	// Points is how many of the newest samples the line is fitted to (seed: 10).
	Points int
	// Cap, when above zero, caps the point forecast and interval (the seed
	// caps CPU utilization at 1.0). Zero means no cap.
	Cap float64
	// FromLine extrapolates the fitted line rather than the last sample.
	FromLine bool
}

// Name implements Forecaster.
func (l Linear) Name() string {
	if l.FromLine {
		return ModelLinear + "-line"
	}
	return ModelLinear
}

// Forecast implements Forecaster.
func (l Linear) Forecast(history []Sample, horizon time.Duration) (Forecast, error) {
	f, _, _, err := l.forecast(history, horizon, l.Points+64)
	return f, err
}

// forecast reads the newest tail samples (the fit window plus slack for
// skipped scrapes) and also returns them cleaned and the horizon in steps.
func (l Linear) forecast(history []Sample, horizon time.Duration, tail int) (Forecast, []Sample, int, error) {
	f, _, xs, steps, err := l.forecastPath(history, horizon, tail, true)
	return f, xs, steps, err
}

// forecastPath is forecast that also returns the last point of the path
// (the horizon). With keep false it stores no path (Forecast.Points is nil)
// but computes and checks every point as Forecast does, so it fails exactly
// when Forecast would, with the same error: Decide needs only the end.
func (l Linear) forecastPath(history []Sample, horizon time.Duration, tail int, keep bool) (Forecast, ForecastPoint, []Sample, int, error) {
	if l.Points < 2 {
		return Forecast{}, ForecastPoint{}, nil, 0, fmt.Errorf("%s model: points must be at least 2, got %d", l.Name(), l.Points)
	}
	xs, err := cleanTail(history, tail)
	if err != nil {
		return Forecast{}, ForecastPoint{}, nil, 0, fmt.Errorf("%s model: %w", l.Name(), err)
	}
	if len(xs) < 2 {
		return Forecast{}, ForecastPoint{}, nil, 0, fmt.Errorf("%s model needs at least 2 finite samples, got %d: %w", l.Name(), len(xs), ErrShortHistory)
	}
	steps, step, err := horizonSteps(xs, horizon)
	if err != nil {
		return Forecast{}, ForecastPoint{}, nil, 0, fmt.Errorf("%s model: %w", l.Name(), err)
	}
	fit := fitLine(xs[max(0, len(xs)-l.Points):])
	last := xs[len(xs)-1]
	f := Forecast{Model: l.Name()}
	if keep {
		f.Points = make([]ForecastPoint, 0, steps)
	}
	point := func(k int) ForecastPoint {
		d := (time.Duration(k) * step).Seconds()
		v, half := fit.at(d, l.FromLine)
		p := ForecastPoint{At: last.At.Add(time.Duration(k) * step), Value: v, Lower: v - half, Upper: v + half}
		if l.Cap > 0 {
			p.Value = min(p.Value, l.Cap)
			p.Lower = min(p.Lower, l.Cap)
			p.Upper = min(p.Upper, l.Cap)
		}
		return p
	}
	if !keep {
		// The end alone when no point of the path can overflow: the
		// points before it lie between the last sample (or the line) and
		// the end, and their intervals are narrower (the variance grows
		// with d, x_n being the newest time above the mean), so a wide
		// margin below the largest float bounds them all. Otherwise the
		// whole path is checked below, as Forecast checks it.
		d := (time.Duration(steps) * step).Seconds()
		v, half := fit.at(d, l.FromLine)
		base := math.Abs(fit.last)
		if l.FromLine {
			base = math.Abs(fit.my) + math.Abs(fit.slope*fit.xn)
		}
		if bound := base + math.Abs(fit.slope*d) + math.Abs(v) + 2*half; bound < 1e300 && fit.xn >= 0 {
			return f, point(steps), xs, steps, nil
		}
	}
	var p ForecastPoint
	for k := 1; k <= steps; k++ {
		p = point(k)
		if keep {
			f.Points = append(f.Points, p)
		} else if err := checkFinitePoint(p); err != nil {
			return Forecast{}, ForecastPoint{}, nil, 0, fmt.Errorf("%s model: %w", l.Name(), err)
		}
	}
	if err := checkFinite(f); err != nil {
		return Forecast{}, ForecastPoint{}, nil, 0, fmt.Errorf("%s model: %w", l.Name(), err)
	}
	return f, p, xs, steps, nil
}

// scored forecasts and scores the model by the mean absolute error of the
// forecasts it would have made at the horizon over the score window.
func (l Linear) scored(history []Sample, horizon time.Duration) (Forecast, float64, error) {
	f, xs, steps, err := l.forecast(history, horizon, l.Points+scoreWindowMax+64)
	if err != nil {
		return Forecast{}, 0, err
	}
	var errSum float64
	var errN int
	step := xs[len(xs)-1].At.Sub(xs[len(xs)-2].At)
	for t := max(l.Points-1, len(xs)-steps-scoreWindow(step)); t+steps < len(xs); t++ {
		g := fitLine(xs[t-l.Points+1 : t+1])
		v, _ := g.at(xs[t+steps].At.Sub(xs[t].At).Seconds(), l.FromLine)
		if l.Cap > 0 {
			v = min(v, l.Cap)
		}
		errSum += math.Abs(xs[t+steps].Value - v)
		errN++
	}
	score := math.Inf(1)
	if errN > 0 {
		score = errSum / float64(errN)
	}
	return f, score, nil
}

// lineFit is a least-squares line on x = seconds since the first sample.
type lineFit struct {
	n, mx, my, slope, sxx, s2, xn, last float64
}

func fitLine(xs []Sample) lineFit {
	// Each sample's time in seconds once, not three times; on the stack for
	// the windows the models use.
	var buf [64]float64
	x := buf[:0]
	if len(xs) > len(buf) {
		x = make([]float64, 0, len(xs))
	}
	t0 := xs[0].At
	for _, s := range xs {
		x = append(x, s.At.Sub(t0).Seconds())
	}
	return fitLineX(x, xs)
}

// fitLineX is fitLine with the sample times given in seconds since the
// first, x[i] for xs[i].
func fitLineX(x []float64, xs []Sample) lineFit {
	n := float64(len(xs))
	var mx, my float64
	for i, s := range xs {
		mx += x[i]
		my += s.Value
	}
	mx /= n
	my /= n
	var sxx, sxy float64
	for i, s := range xs {
		dx := x[i] - mx
		sxx += dx * dx
		sxy += dx * (s.Value - my)
	}
	g := lineFit{n: n, mx: mx, my: my, sxx: sxx, last: xs[len(xs)-1].Value}
	if sxx > 0 {
		g.slope = sxy / sxx
	}
	var sse float64
	for i, s := range xs {
		e := s.Value - (my + g.slope*(x[i]-mx))
		sse += e * e
	}
	if len(xs) > 2 {
		g.s2 = sse / (n - 2)
	}
	g.xn = x[len(xs)-1] - mx
	return g
}

// at is the forecast d seconds after the last sample and its 80 % half-width.
func (g lineFit) at(d float64, fromLine bool) (v, half float64) {
	var varF float64
	if fromLine {
		v = g.my + g.slope*(g.xn+d)
		varF = 1 + 1/g.n
		if g.sxx > 0 {
			varF += (g.xn + d) * (g.xn + d) / g.sxx
		}
	} else {
		v = g.last + g.slope*d
		varF = 2
		if g.sxx > 0 {
			varF += d*d/g.sxx + 2*d*g.xn/g.sxx
		}
	}
	if g.n <= 2 {
		// Two points leave no residual to size an interval from.
		return v, 0
	}
	return v, studentT90(int(g.n)-2) * math.Sqrt(g.s2*max(varF, 0))
}

// studentT90 is the 90th percentile of Student's t with dof degrees of
// freedom (one side of an 80 % two-sided interval), from the standard table;
// between table rows it takes the next smaller dof (a slightly wider interval).
func studentT90(dof int) float64 {
	switch {
	case dof <= 0:
		return math.Inf(1)
	case dof == 1:
		return 3.078
	case dof == 2:
		return 1.886
	case dof == 3:
		return 1.638
	case dof == 4:
		return 1.533
	case dof == 5:
		return 1.476
	case dof == 6:
		return 1.440
	case dof == 7:
		return 1.415
	case dof == 8:
		return 1.397
	case dof == 9:
		return 1.383
	case dof < 12:
		return 1.372
	case dof < 15:
		return 1.356
	case dof < 20:
		return 1.341
	case dof < 30:
		return 1.325
	case dof < 60:
		return 1.310
	case dof < 120:
		return 1.296
	}
	return 1.2816
}

// cleanHistory returns history without NaN or infinite values: a failed
// scrape is skipped, never read as zero, and the models treat the samples
// left as consecutive steps (a few missing scrapes barely move a fit). It
// rejects samples out of time order, since every model assumes a
// time-ordered series.
func cleanHistory(history []Sample) ([]Sample, error) {
	clean := true
	for i, s := range history {
		if i > 0 && !s.At.After(history[i-1].At) {
			return nil, fmt.Errorf("history sample at %s is not after the one before it at %s; want strictly increasing timestamps",
				s.At.Format(time.RFC3339Nano), history[i-1].At.Format(time.RFC3339Nano))
		}
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			clean = false
		}
	}
	if clean {
		return history, nil
	}
	out := make([]Sample, 0, len(history))
	for _, s := range history {
		if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
			out = append(out, s)
		}
	}
	return out, nil
}

// checkFinite rejects a forecast that overflowed: values near ±1.8e308 in
// the history can make the arithmetic infinite.
func checkFinite(f Forecast) error {
	for _, p := range f.Points {
		if err := checkFinitePoint(p); err != nil {
			return err
		}
	}
	return nil
}

// checkFinitePoint is checkFinite for one point.
func checkFinitePoint(p ForecastPoint) error {
	for _, v := range [3]float64{p.Value, p.Lower, p.Upper} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("forecast at %s is not a finite number (%g); the history's values are too large to extrapolate",
				p.At.Format(time.RFC3339), v)
		}
	}
	return nil
}

// cleanTail is cleanHistory over the newest n samples only: models that read
// a short tail need not scan a week of history.
func cleanTail(history []Sample, n int) ([]Sample, error) {
	return cleanHistory(history[max(0, len(history)-n):])
}

// sampleStep is the series' typical sample interval: the median of the gaps
// between consecutive samples of the newest (at most 64) samples, so that one
// missing scrape does not change it. xs must hold at least 2 samples.
func sampleStep(xs []Sample) time.Duration {
	from := max(0, len(xs)-65)
	var buf [64]time.Duration // on the stack: sampleStep runs on every forecast
	gaps := buf[:0]
	for i := from + 1; i < len(xs); i++ {
		gaps = append(gaps, xs[i].At.Sub(xs[i-1].At))
	}
	// Insertion sort: at most 64 gaps, usually already equal.
	for i := 1; i < len(gaps); i++ {
		for j := i; j > 0 && gaps[j] < gaps[j-1]; j-- {
			gaps[j], gaps[j-1] = gaps[j-1], gaps[j]
		}
	}
	return gaps[len(gaps)/2]
}

// horizonSteps is how many sample steps reach horizon and the step itself:
// rounded up, at least one, but a horizon within 5 % of a step of a whole
// number of steps is that number, so a jittery scrape interval (15.002 s)
// does not add a step to a five-minute horizon.
func horizonSteps(xs []Sample, horizon time.Duration) (int, time.Duration, error) {
	if horizon <= 0 {
		return 0, 0, fmt.Errorf("horizon must be positive, got %s", horizon)
	}
	step := sampleStep(xs)
	if step <= 0 {
		return 0, 0, fmt.Errorf("samples must be spaced in time, got a median step of %s", step)
	}
	steps := int(math.Ceil(float64(horizon)/float64(step) - 0.05))
	return max(steps, 1), step, nil
}

// Holt is Holt's linear exponential smoothing (level and trend), optionally
// with a damped trend; its weights are fitted to the history on every call
// (see the smoothing notes in forecast_smoothing.go).
type Holt struct {
	// Damped fits a damping factor φ in [0.8, 1] so the trend fades with the
	// horizon instead of running on.
	Damped bool
	// PointOnly leaves out the 80 % interval: Lower and Upper equal Value,
	// and the replay of in-sample errors behind the interval, a third of a
	// fit on a short history, is skipped. The point forecast is the same.
	// For callers that read only Value, such as the simulator's predictive
	// policy.
	PointOnly bool
}

// Name implements Forecaster.
func (h Holt) Name() string {
	if h.Damped {
		return ModelHolt + "-damped"
	}
	return ModelHolt
}

// Forecast implements Forecaster.
func (h Holt) Forecast(history []Sample, horizon time.Duration) (Forecast, error) {
	f, _, err := h.scored(history, horizon)
	return f, err
}

func (h Holt) scored(history []Sample, horizon time.Duration) (Forecast, float64, error) {
	xs, steps, step, err := prepare(h.Name(), history, horizon)
	if err != nil {
		return Forecast{}, 0, err
	}
	if h.PointOnly {
		f, err := smoothingPoints(h.Name(), xs, esSpec{trend: true, damped: h.Damped}, steps, step)
		return f, math.Inf(1), err
	}
	return smoothingForecast(h.Name(), xs, esSpec{trend: true, damped: h.Damped}, steps, step)
}

// HoltWinters is additive Holt-Winters: level, trend and a season of length
// Season (default 24 h), with weights fitted to the history on every call.
// The season needs history covering at least two seasons; with less it
// forecasts with Holt and says so in Forecast.Model.
type HoltWinters struct {
	// Season is the length of one season; zero means 24 h.
	Season time.Duration
	// Damped damps the trend, as in Holt.
	Damped bool
}

// Name implements Forecaster.
func (hw HoltWinters) Name() string {
	if hw.Damped {
		return ModelHoltWinters + "-damped"
	}
	return ModelHoltWinters
}

// Forecast implements Forecaster.
func (hw HoltWinters) Forecast(history []Sample, horizon time.Duration) (Forecast, error) {
	f, _, err := hw.scored(history, horizon)
	return f, err
}

func (hw HoltWinters) scored(history []Sample, horizon time.Duration) (Forecast, float64, error) {
	xs, steps, step, err := prepare(hw.Name(), history, horizon)
	if err != nil {
		return Forecast{}, 0, err
	}
	season := hw.Season
	if season == 0 {
		season = 24 * time.Hour
	}
	if season < 0 {
		return Forecast{}, 0, fmt.Errorf("%s model: season must be positive, got %s", hw.Name(), season)
	}
	// The season in steps, rounded: a scrape interval that does not divide
	// the day exactly (or jitters) shifts the season by under half a step.
	m := int(math.Round(float64(season) / float64(step)))
	if m < 2 {
		return Forecast{}, 0, fmt.Errorf("%s model: season %s must be at least two %s sample steps", hw.Name(), season, step)
	}
	if len(xs) < 2*m || steps > m {
		holt := Holt{Damped: hw.Damped}
		f, score, err := smoothingForecast(holt.Name(), xs, esSpec{trend: true, damped: hw.Damped}, steps, step)
		f.Model = fmt.Sprintf("%s(%s: history < 2 seasons)", hw.Name(), holt.Name())
		if steps > m {
			f.Model = fmt.Sprintf("%s(%s: horizon > 1 season)", hw.Name(), holt.Name())
		}
		return f, score, err
	}
	return smoothingForecast(hw.Name(), xs, esSpec{trend: true, damped: hw.Damped, m: m}, steps, step)
}

// prepare cleans history and checks it against the horizon.
func prepare(name string, history []Sample, horizon time.Duration) ([]Sample, int, time.Duration, error) {
	xs, err := cleanHistory(history)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s model: %w", name, err)
	}
	if len(xs) < 3 {
		return nil, 0, 0, fmt.Errorf("%s model needs at least 3 finite samples, got %d: %w", name, len(xs), ErrShortHistory)
	}
	steps, step, err := horizonSteps(xs, horizon)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s model: %w", name, err)
	}
	if len(xs) < steps+3 {
		return nil, 0, 0, fmt.Errorf("%s model needs at least %d samples (horizon %s is %d steps of %s, plus 3), got %d: %w",
			name, steps+3, horizon, steps, step, len(xs), ErrShortHistory)
	}
	return xs, steps, step, nil
}

// smoothingPoints is smoothingForecast without the intervals: the same fit
// and point forecasts, Lower and Upper equal to Value.
func smoothingPoints(name string, xs []Sample, spec esSpec, steps int, step time.Duration) (Forecast, error) {
	y := values(xs)
	if spec.m > 0 {
		spec.profile = seasonProfile(y, spec.m)
	}
	fit, err := esFitParams(y, spec, steps)
	if err != nil {
		return Forecast{}, fmt.Errorf("%s model: %w", name, err)
	}
	last := xs[len(xs)-1].At
	f := Forecast{Model: name, Points: make([]ForecastPoint, steps)}
	for k := 1; k <= steps; k++ {
		v := fit.forecast(k)
		f.Points[k-1] = ForecastPoint{At: last.Add(time.Duration(k) * step), Value: v, Lower: v, Upper: v}
	}
	if err := checkFinite(f); err != nil {
		return Forecast{}, fmt.Errorf("%s model: %w", name, err)
	}
	return f, nil
}

// smoothingForecast fits spec to xs and returns the path, with its intervals,
// and the mean absolute in-sample error at the horizon over the score window.
func smoothingForecast(name string, xs []Sample, spec esSpec, steps int, step time.Duration) (Forecast, float64, error) {
	y := values(xs)
	if spec.m > 0 {
		spec.profile = seasonProfile(y, spec.m)
	}
	fit, err := esFitParams(y, spec, steps)
	if err != nil {
		return Forecast{}, 0, fmt.Errorf("%s model: %w", name, err)
	}
	// The errors behind the intervals and the score come from a replay whose
	// season profile did not see the score window, when the history allows:
	// a profile that averages the very values it is scored on (six days of
	// them, unsmoothed, on Azure) makes the in-sample errors look a fifth
	// smaller than the forecasts' and the intervals too narrow.
	window := scoreWindow(step)
	replay := spec
	if spec.m > 0 && len(y)-window >= 2*spec.m {
		replay.profile = seasonProfile(y[:len(y)-window], spec.m)
	}
	errs := esErrors(y, replay, fit.p, steps, window)
	// The score first: the intervals reorder the errors.
	score := meanAbs(errs[steps-1])
	last := xs[len(xs)-1].At
	f := Forecast{Model: name, Points: make([]ForecastPoint, steps)}
	for k := 1; k <= steps; k++ {
		v := fit.forecast(k)
		lo, hi := intervalOffsets(errs[k-1])
		f.Points[k-1] = ForecastPoint{At: last.Add(time.Duration(k) * step), Value: v, Lower: v + lo, Upper: v + hi}
	}
	if err := checkFinite(f); err != nil {
		return Forecast{}, 0, fmt.Errorf("%s model: %w", name, err)
	}
	return f, score, nil
}

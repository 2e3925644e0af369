package core

import (
	"fmt"
	"math"
	"time"
)

// Exponential smoothing, additive, in error-correction form (Hyndman &
// Athanasopoulos, "Forecasting: Principles and Practice", ch. 8). With the
// one-step error e(t) = y(t) − (l + φb + s(t−m)):
//
//	level   l(t) = l(t−1) + φ·b(t−1) + α·e(t)
//	trend   b(t) = φ·b(t−1) + α·β·e(t)
//	season  s(t) = s(t−m) + γ·e(t)
//	k ahead ŷ(t+k) = l(t) + (φ + φ² + … + φ^k)·b(t) + s(t+k−m)
//
// Holt is the model without a season, Holt-Winters the one with it; φ = 1
// unless the trend is damped. β is a share of α (0..1), so the trend never
// adapts faster than the level, and γ is at most 1 − α.
//
// Start: the season starts from a smoothed classical decomposition of the
// whole history (seasonProfile), the level and trend from a line through the
// first season of the filtered run. Only the newest fitWindowMax samples are
// scored, after a warm-up of at most warmupMax; older history shapes the
// season profile but not the weights, which keeps a fit on a week of minutes
// within the benchmark budget.
//
// Weights are fitted by Nelder–Mead (nelderMeadEvals evaluations) on the sum
// of squared errors of the forecasts the model would have made in-sample at
// the horizon it is asked for (k = the horizon in steps). Fitting on the
// horizon's own error rather than the one-step error is deliberate: it is the
// error the decision uses, and on a noisy series it smooths the level more.
// On NASA July at 5 minutes it is the difference between MASE 0.777 (auto)
// and 0.803 (the same models fitted on one-step errors).
//
// Intervals: the 80 % band at k steps is the empirical 10th and 90th
// percentile of the model's in-sample k-step errors over the score window
// (the newest day of targets, at most scoreWindowMax points), added to the
// point forecast. With fewer than minQuantileErrors errors it is a normal
// approximation, ±1.2816 × their root mean square. For Holt-Winters the
// errors come from a replay whose season profile did not see the score window
// (see smoothingForecast).

const (
	fitWindowMax      = 2160 // newest targets the fit scores (a day and a half of minutes)
	warmupMax         = 720  // samples filtered before the fit window (half a day of minutes)
	scoreWindowMax    = 1440 // newest targets errors and intervals come from (a day of minutes)
	minQuantileErrors = 20
	nelderMeadEvals   = 40
	z90               = 1.2815515655446004 // standard normal 90th percentile
)

// esSpec says which components a smoothing model has.
type esSpec struct {
	trend  bool
	damped bool
	m      int // season length in steps; 0 means no season
	// profile is the initial season by phase (see seasonProfile); the
	// filter works on copies.
	profile []float64
	// noNegZero says the series holds no −0, which lets esRun take its
	// short path for Holt (see esRunHolt).
	noNegZero bool
}

// esParams are the smoothing weights.
type esParams struct {
	alpha, beta, gamma, phi float64
}

// esFit is a fitted model: its weights and its state after the last sample.
type esFit struct {
	p      esParams
	level  float64
	trend  float64
	season []float64 // by phase: season[t % m] is the newest s for that phase
	n      int       // samples filtered; the next step is t = n
}

// esInit returns the state before the first filtered step and that step.
//
// The season starts from a classical decomposition of the whole history:
// the mean, per phase, of the series minus its centred moving average over
// one season, smoothed across neighbouring phases (a circular moving average
// over 1/48 of the season, 30 minutes of a day) and centred on zero. Starting
// from a smooth profile matters: on a noisy series, indices taken from two
// raw seasons carry that noise into every forecast for days.
func esInit(y []float64, spec esSpec) (level, trend float64, season []float64, start int) {
	// The filter runs over the fit window and a warm-up before it only:
	// older samples shape the season profile but not the weights, which keeps
	// a fit within the benchmark budget on a week of minutes.
	start = max(0, len(y)-fitWindowMax-warmupMax)
	if spec.m > 0 {
		// Level and trend from a least-squares line through the first
		// season of the run, deseasonalised, taken back to the step before.
		season = spec.profile
		k := min(len(y)-start, spec.m)
		var mx, my, sxx, sxy float64
		for i := range k {
			mx += float64(i)
			my += y[start+i] - season[(start+i)%spec.m]
		}
		mx /= float64(k)
		my /= float64(k)
		for i := range k {
			dx := float64(i) - mx
			sxx += dx * dx
			sxy += dx * (y[start+i] - season[(start+i)%spec.m] - my)
		}
		if spec.trend && sxx > 0 {
			trend = sxy / sxx
		}
		return my - trend*(mx+1), trend, season, start
	}
	if spec.trend {
		k := min(len(y)-1-start, 10)
		trend = (y[start+k] - y[start]) / float64(k)
	}
	return y[start], trend, nil, start + 1
}

// seasonProfile is the smoothed, zero-mean seasonal profile of y by phase
// (index mod m). y must hold at least 2m samples.
//
// How much to smooth depends on the series: NASA's per-minute counts are
// noisy and want a window of about a quarter of an hour, while Azure's
// five-minute profile has sharp features that repeat every day and want
// none. The width is chosen by cross-validation between the seasons: the
// profile of the even seasons, smoothed, should predict the raw profile of
// the odd ones (and the other way round), whose noise is independent.
func seasonProfile(y []float64, m int) []float64 {
	n := len(y)
	var sum, cnt [2][]float64 // by parity of the season index
	for k := range 2 {
		sum[k] = make([]float64, m)
		cnt[k] = make([]float64, m)
	}
	// Centred moving average over m (2×m when m is even, as in classical
	// decomposition): window [t−m/2, t+m/2] with half weights at the ends.
	half := m / 2
	var run float64
	for i := 0; i <= 2*half && i < n; i++ {
		run += y[i]
	}
	phase, parity := half%m, (half/m)%2
	for t := half; t+half < n; t++ {
		if t > half {
			run += y[t+half] - y[t-half-1]
		}
		ma := run / float64(2*half+1)
		if m%2 == 0 {
			ma = (run - 0.5*y[t-half] - 0.5*y[t+half]) / float64(m)
		}
		sum[parity][phase] += y[t] - ma
		cnt[parity][phase]++
		if phase++; phase == m {
			phase, parity = 0, 1-parity
		}
	}
	all := make([]float64, m)
	for i := range all {
		if c := cnt[0][i] + cnt[1][i]; c > 0 {
			all[i] = (sum[0][i] + sum[1][i]) / c
		}
		for k := range 2 {
			if cnt[k][i] > 0 {
				sum[k][i] /= cnt[k][i]
			}
		}
	}
	bestW, bestErr := 0, math.Inf(1)
	smooth := make([]float64, m)
	for w := 0; w <= min(m/48, (m-1)/2); w = max(2*w, w+1) {
		var e float64
		for k := range 2 {
			circularMean(smooth, sum[k], w)
			for i, v := range smooth {
				d := v - sum[1-k][i]
				e += d * d
			}
		}
		if e < bestErr {
			bestW, bestErr = w, e
		}
	}
	circularMean(smooth, all, bestW)
	var mean float64
	for _, v := range smooth {
		mean += v
	}
	mean /= float64(m)
	for i := range smooth {
		smooth[i] -= mean
	}
	return smooth
}

// circularMean sets dst[i] to the mean of src over phases i−w .. i+w,
// wrapping around, by a running sum.
func circularMean(dst, src []float64, w int) {
	m := len(src)
	var win float64
	for d := -w; d <= w; d++ {
		win += src[(d+m)%m]
	}
	// in and out are the phases entering and leaving the window as it moves
	// from i to i+1: i+w+1 and i−w, wrapped (no modulo in the loop).
	in, out := (w+1)%m, (m-w)%m
	for i := range dst {
		dst[i] = win / float64(2*w+1)
		win += src[in] - src[out]
		if in++; in == m {
			in = 0
		}
		if out++; out == m {
			out = 0
		}
	}
}

// esRun filters y with p from its initial state. It returns the sum of
// squared h-step errors over the targets at index ≥ errFrom and the final
// state. season is modified in place.
func esRun(y []float64, spec esSpec, p esParams, level, trend float64, season []float64, start, h, errFrom int) (sse, lv, tr float64) {
	phi := p.phi
	ab := p.alpha * p.beta
	ph := phiSum(phi, h)
	m := spec.m
	if m == 0 && phi == 1 && spec.noNegZero {
		return esRunHolt(y, p.alpha, ab, ph, level, trend, start, h, errFrom)
	}
	n := len(y)
	phase := 0
	if m > 0 {
		phase = start % m
	}
	for t := start; t < n; t++ {
		var s float64
		if m > 0 {
			s = season[phase]
		}
		e := y[t] - (level + phi*trend + s)
		level += phi*trend + p.alpha*e
		trend = phi*trend + ab*e
		if m > 0 {
			season[phase] = s + p.gamma*e
			phase++
			if phase == m {
				phase = 0
			}
		}
		if j := t + h; j >= errFrom && j < n {
			f := level + ph*trend
			if m > 0 {
				// s(t+h−m) is at phase (t+h) mod m; phase is now (t+1) mod m.
				q := phase + h - 1
				for q >= m {
					q -= m
				}
				f += season[q]
			}
			d := y[j] - f
			sse += d * d
		}
	}
	return sse, level, trend
}

// esRunHolt is esRun for Holt without damping or season, with two
// operations fewer on the chain every step carries: φ·b is b exactly when
// φ = 1, and adding the season's +0 to l + b changes nothing unless l + b is
// −0, which needs both to be −0, which neither becomes unless the series
// holds a −0 (the caller checks: spec.noNegZero). The results are esRun's,
// bit for bit; the Holt refit runs every simulated minute.
func esRunHolt(y []float64, alpha, ab, ph, level, trend float64, start, h, errFrom int) (sse, lv, tr float64) {
	n := len(y)
	for t := start; t < n; t++ {
		e := y[t] - (level + trend)
		level += trend + alpha*e
		trend += ab * e
		if j := t + h; j >= errFrom && j < n {
			d := y[j] - (level + ph*trend)
			sse += d * d
		}
	}
	return sse, level, trend
}

// hasNegZero reports whether y holds a −0.
func hasNegZero(y []float64) bool {
	for _, v := range y {
		if v == 0 && math.Signbit(v) {
			return true
		}
	}
	return false
}

// phiSum is φ + φ² + … + φ^k.
func phiSum(phi float64, k int) float64 {
	if phi == 1 {
		return float64(k)
	}
	var s, p float64 = 0, 1
	for range k {
		p *= phi
		s += p
	}
	return s
}

// esParamsFrom maps an unconstrained vector to valid weights.
func esParamsFrom(v []float64, spec esSpec) esParams {
	p := esParams{alpha: logistic(v[0]), phi: 1}
	i := 1
	if spec.trend {
		p.beta = logistic(v[i])
		i++
		if spec.damped {
			p.phi = 0.8 + 0.2*logistic(v[i])
			i++
		}
	}
	if spec.m > 0 {
		p.gamma = (1 - p.alpha) * logistic(v[i])
	}
	return p
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// esFitParams fits the weights of spec on y for h-step forecasts.
func esFitParams(y []float64, spec esSpec, h int) (esFit, error) {
	level0, trend0, season0, start := esInit(y, spec)
	spec.noNegZero = !hasNegZero(y)
	errFrom := max(start+h, len(y)-fitWindowMax)
	season := make([]float64, len(season0))
	cost := func(v []float64) float64 {
		copy(season, season0)
		sse, _, _ := esRun(y, spec, esParamsFrom(v, spec), level0, trend0, season, start, h, errFrom)
		if math.IsNaN(sse) || math.IsInf(sse, 0) {
			return math.Inf(1)
		}
		return sse
	}
	// Start from weights that suit noisy operational series.
	var x0buf [4]float64
	x0 := append(x0buf[:0], logit(0.2))
	if spec.trend {
		x0 = append(x0, logit(0.05))
		if spec.damped {
			x0 = append(x0, logit(0.5))
		}
	}
	if spec.m > 0 {
		x0 = append(x0, logit(0.1))
	}
	best := nelderMead(cost, x0, 1.5, nelderMeadEvals)
	p := esParamsFrom(best, spec)
	copy(season, season0)
	_, level, trend := esRun(y, spec, p, level0, trend0, season, start, h, len(y))
	if math.IsNaN(level) || math.IsInf(level, 0) || math.IsNaN(trend) || math.IsInf(trend, 0) {
		return esFit{}, fmt.Errorf("smoothing diverged with α=%.3g β=%.3g γ=%.3g φ=%.3g", p.alpha, p.beta, p.gamma, p.phi)
	}
	return esFit{p: p, level: level, trend: trend, season: season, n: len(y)}, nil
}

// forecast is the k-step forecast from the end of the fit.
func (f esFit) forecast(k int) float64 {
	v := f.level + phiSum(f.p.phi, k)*f.trend
	if m := len(f.season); m > 0 {
		v += f.season[(f.n+k-1)%m]
	}
	return v
}

// esErrors replays the fitted weights over y and returns, for each k in
// 1..steps, the in-sample k-step errors whose targets fall in the newest
// window samples.
func esErrors(y []float64, spec esSpec, p esParams, steps, window int) [][]float64 {
	level, trend, season0, start := esInit(y, spec)
	season := append([]float64(nil), season0...)
	from := max(start+1, len(y)-window)
	// The k-step errors are those with targets in [max(from, start+k),
	// len(y)): one backing array, each k its exact share, so no append
	// grows.
	errs := make([][]float64, steps)
	total := 0
	for k := 1; k <= steps; k++ {
		total += max(len(y)-max(from, start+k), 0)
	}
	backing := make([]float64, 0, total)
	for k := 1; k <= steps; k++ {
		c := max(len(y)-max(from, start+k), 0)
		errs[k-1], backing = backing[:0:c], backing[c:c:cap(backing)]
	}
	m := spec.m
	phase := 0
	if m > 0 {
		phase = start % m
	}
	for t := start; t < len(y); t++ {
		var s float64
		if m > 0 {
			s = season[phase]
		}
		e := y[t] - (level + p.phi*trend + s)
		level += p.phi*trend + p.alpha*e
		trend = p.phi*trend + p.alpha*p.beta*e
		if m > 0 {
			season[phase] = s + p.gamma*e
			phase = (phase + 1) % m
		}
		if t+steps < from {
			continue
		}
		ph := 0.0
		pk := 1.0
		for k := 1; k <= steps; k++ {
			j := t + k
			pk *= p.phi
			ph += pk
			if j < from || j >= len(y) {
				continue
			}
			f := level + ph*trend
			if m > 0 {
				f += season[(phase+k-1)%m]
			}
			errs[k-1] = append(errs[k-1], y[j]-f)
		}
	}
	return errs
}

// intervalOffsets returns the 80 % band around a point forecast from errors:
// their 10th and 90th percentiles (widened to include zero), or ±z90 × RMS
// when there are few. It reorders errs (the percentiles are selections):
// pass a copy to keep their order.
func intervalOffsets(errs []float64) (lo, hi float64) {
	if len(errs) == 0 {
		return 0, 0
	}
	if len(errs) < minQuantileErrors {
		var ss float64
		for _, e := range errs {
			ss += e * e
		}
		r := z90 * math.Sqrt(ss/float64(len(errs)))
		return -r, r
	}
	// A biased model can have both percentiles on one side of zero; the band
	// is widened to hold the point forecast, which every consumer expects.
	if len(errs) <= 64 && sortSmall(errs) {
		return min(quantileSorted(errs, 0.10), 0), max(quantileSorted(errs, 0.90), 0)
	}
	return min(quantile(errs, 0.10), 0), max(quantile(errs, 0.90), 0)
}

// quantile is the q-quantile of s with linear interpolation between order
// statistics (as numpy's default). It reorders s: a selection, O(len(s)),
// instead of a sort, because it runs for every step of every forecast.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(pos)
	v := selectKth(s, i)
	if i+1 >= len(s) {
		return v
	}
	// After selection everything right of i is ≥ s[i]; the next order
	// statistic is their minimum.
	next := s[i+1]
	for _, x := range s[i+2:] {
		next = min(next, x)
	}
	frac := pos - float64(i)
	return v*(1-frac) + next*frac
}

// sortSmall sorts a short s in place by insertion (faster than two
// selections when s is short, as a refit on half an hour of minutes has)
// and reports true, unless s holds a NaN or a zero: then it reports false
// and quantile must select, because NaN has no order, and which of −0 and
// +0 a selection returns depends on where they sit. Every other value is
// its own order statistic, so quantileSorted returns what quantile would.
func sortSmall(s []float64) bool {
	for _, x := range s {
		if x != x || x == 0 {
			return false
		}
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return true
}

// quantileSorted is quantile of a sorted s.
func quantileSorted(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(pos)
	v := s[i]
	if i+1 >= len(s) {
		return v
	}
	frac := pos - float64(i)
	return v*(1-frac) + s[i+1]*frac
}

// selectKth reorders s so that s[k] is its k-th smallest value, with no larger
// value before it and no smaller one after it, and returns s[k] (Hoare's
// selection with a median-of-three pivot).
func selectKth(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

// meanAbs is the mean absolute value of errs, +Inf when empty.
func meanAbs(errs []float64) float64 {
	if len(errs) == 0 {
		return math.Inf(1)
	}
	var s float64
	for _, e := range errs {
		s += math.Abs(e)
	}
	return s / float64(len(errs))
}

// scoreWindow is how many of the newest targets in-sample errors come from:
// a day of samples, between 60 and scoreWindowMax.
func scoreWindow(step time.Duration) int {
	return min(max(int(24*time.Hour/step), 60), scoreWindowMax)
}

// values copies the sample values.
func values(xs []Sample) []float64 {
	y := make([]float64, len(xs))
	for i, s := range xs {
		y[i] = s.Value
	}
	return y
}

// nelderMead minimises f from x0 with an initial simplex of size scale, in at
// most maxEvals evaluations, and returns the best point found. f must not
// keep the slice it is given: the points live in one array, and a rejected
// trial point's storage is reused by the next.
func nelderMead(f func([]float64) float64, x0 []float64, scale float64, maxEvals int) []float64 {
	d := len(x0)
	// d+1 simplex points, then the centroid and two spare trial points.
	mem := make([]float64, (d+4)*d)
	next := func() []float64 {
		x := mem[:d:d]
		mem = mem[d:]
		return x
	}
	pts := make([][]float64, d+1)
	vals := make([]float64, d+1)
	for i := range pts {
		pts[i] = next()
		copy(pts[i], x0)
		if i > 0 {
			pts[i][i-1] += scale
		}
		vals[i] = f(pts[i])
	}
	evals := d + 1
	centroid := next()
	spare := [2][]float64{next(), next()}
	// trial writes centroid + a × (worst − centroid) into a spare point.
	trial := func(i int, a float64, worst []float64) []float64 {
		x := spare[i]
		for j := range x {
			x[j] = centroid[j] + a*(worst[j]-centroid[j])
		}
		return x
	}
	for evals < maxEvals {
		// Order: best first.
		for i := 1; i <= d; i++ {
			for j := i; j > 0 && vals[j] < vals[j-1]; j-- {
				vals[j], vals[j-1] = vals[j-1], vals[j]
				pts[j], pts[j-1] = pts[j-1], pts[j]
			}
		}
		for j := range centroid {
			centroid[j] = 0
			for i := range d {
				centroid[j] += pts[i][j]
			}
			centroid[j] /= float64(d)
		}
		worst := pts[d]
		// A point taken into the simplex gives its spare slot the worst
		// point's storage, which no one reads after that.
		xr := trial(0, -1, worst)
		fr := f(xr)
		evals++
		switch {
		case fr < vals[0]:
			xe := trial(1, -2, worst)
			fe := f(xe)
			evals++
			if fe < fr {
				pts[d], vals[d], spare[1] = xe, fe, worst
			} else {
				pts[d], vals[d], spare[0] = xr, fr, worst
			}
		case fr < vals[d-1]:
			pts[d], vals[d], spare[0] = xr, fr, worst
		default:
			xc := trial(1, 0.5, worst)
			fc := f(xc)
			evals++
			if fc < vals[d] {
				pts[d], vals[d], spare[1] = xc, fc, worst
				continue
			}
			// Shrink towards the best.
			for i := 1; i <= d; i++ {
				for j := range pts[i] {
					pts[i][j] = pts[0][j] + 0.5*(pts[i][j]-pts[0][j])
				}
				vals[i] = f(pts[i])
				evals++
			}
		}
	}
	bi := 0
	for i := range vals {
		if vals[i] < vals[bi] {
			bi = i
		}
	}
	return pts[bi]
}

package core

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Decide turns one Input into one Decision. It is pure: the same input and
// now give the same decision. The steps run in this order, each a separate
// function below, and every step that changes or blocks the result adds a
// Reason (a code and a sentence):
//
//  0. Input: each of Input.Warnings (a cluster record k8s could not read)
//     adds a ReasonClusterStateWarning quoting it and pauses auto-apply;
//     the decision itself goes on, for a human to approve. An inconsistent
//     input (negative counts, no poll interval, an unknown metric,
//     min > max, ...) holds with ReasonInvalidInput naming the field; a
//     Deployment at 0 replicas holds (autoscaling is off, as the HPA treats
//     it).
//  1. Freshness: each metric of the policy is judged with Reading.Freshness
//     at now, allowing StaleAfter poll intervals of age. Missing, NaN,
//     infinite, failed or stale readings are unusable. With no usable metric
//     the action is hold (ReasonMetricsStale); with any unusable metric there
//     is no scale-down and no auto-apply (ReasonMetricUnusable).
//  2. Rules (the seed's table): CPU and memory are utilization fractions of
//     the pods' requests; QPS and connections are per ready replica (or the
//     total, per the rule's Aggregation). Up when any usable metric is above
//     its up threshold (strictly: 0.70 does not fire, 0.7001 does), by the
//     largest StepUp among those that fired; down only when every metric is
//     usable and strictly below its down threshold, by the largest StepDown.
//  3. Forecast (the seed's predictive scale-up): when the CPU reading is
//     usable and History holds CPU samples, the forecaster (Input.Forecaster,
//     else the policy's model) predicts CPU Horizon ahead from the last Points
//     samples (linear) or the whole series (other models). Decision.Forecast
//     reports the model's point and 80 % band on the metric's own scale
//     (utilization of the requests, above 1.0 when the limits allow),
//     floored at 0, with Lower ≤ CPU ≤ Upper. The seed's trigger caps the
//     forecast at ForecastCap (1.0): above the forecast Threshold, the
//     target is the smallest n that carries the larger of the capped
//     forecast and the measured CPU (utilization × ready replicas) at or
//     under the CPU up threshold, at least current + 1, so it is never below
//     the HPA's formula on the measured load; the proposal becomes the
//     larger of the rules' and the forecast's, and the sentence names the
//     load sized for and the utilization n replicas give.
//  4. HPA behaviour: Normalize with the policy's Behavior and Input.Scales
//     (stabilization windows, then rate policies).
//  5. Bounds: Normalize clamps to [MinReplicas, MaxReplicas] (upstream does
//     this inside the rate step; a current count already outside the bounds
//     goes straight to the nearest bound).
//  6. Cooldown (see Cooldown): a change in a direction the cooldown blocks
//     keeps Target at Current, with Proposed showing what waits and the time
//     left; a human's explicit BypassCooldown lets it through with
//     ReasonCooldownBypassed. A scale-up within the window of a recorded
//     scale-down the replicas do not show yet (still at or above its From,
//     as when an HPA keeps them up) goes through with
//     ReasonCooldownScaleDownPending.
//
// With Input.Override > 0 steps 2–5 are replaced by the human's number,
// which must lie inside the bounds (else ReasonOverrideInvalid and nothing
// happens); the cooldown still applies unless bypassed.
//
// The caller closes the loop: after each decision ScaleHistory.Observe(d)
// (so the stabilization windows see it), after each applied change
// ScaleHistory.RecordScale (for the rate policies) and the shared LastScale
// record (for the cooldown), and ScaleHistory.Prune from time to time.
//
// Beside its own verdict, the Decision carries HPADesired: what the plain
// Kubernetes HPA would set with the seed's HPA metrics (CPU and memory
// utilization, connections per pod) at the policy's up thresholds, the
// policy's behaviour and bounds, no forecast and no cooldown.
// Input.SkipHPADesired leaves it out.
//
// Decide runs every poll interval of the dashboard and every step of the
// replay simulator, so it allocates little: the Decision's map, reasons and
// forecast, and each reason's sentence once, built without fmt.
func Decide(in Input, now time.Time) Decision {
	d := decide(&in, now)
	if in.SkipExplanation {
		// The sentences Decide writes were skipped as they came; Normalize's
		// are blanked here, so that none is left.
		for i := range d.Reasons {
			d.Reasons[i].Message = ""
		}
	}
	return d
}

func decide(in *Input, now time.Time) Decision {
	quiet := in.SkipExplanation
	d := Decision{
		At:       now,
		Action:   ActionHold,
		Current:  in.Current,
		Target:   in.Current,
		Proposed: in.Current,
		// Room for the usual reasons (rules, forecast, behaviour, cooldown)
		// in one allocation.
		Reasons:  make([]Reason, 0, 4),
		Cooldown: CooldownStatus{Blocks: DirectionNone},
	}
	if !quiet {
		d.Metrics = make(map[Metric]MetricStatus, len(in.Policy.Rules))
	}
	// Step 0. The cluster state's warnings come first: they qualify
	// everything after, whatever the outcome.
	for _, w := range in.Warnings {
		d.Reasons = append(d.Reasons, warningReason(w, quiet))
	}
	if err := validateInput(in); err != nil {
		d.Reasons = append(d.Reasons, Reason{Code: ReasonInvalidInput, Message: err.Error()})
		d.AutoApplyWhy = "the input is invalid: " + err.Error()
		return d
	}
	d.Cooldown = Cooldown(in.Policy.Cooldown, in.LastScale, in.Current, now)

	// Step 1. The views live on the stack for the policies of up to four
	// metrics (every metric kimiscale knows).
	var viewBuf [4]metricView
	views := judgeFreshness(in, now, viewBuf[:0])
	usable, unusable := 0, []string{}
	for _, v := range views {
		if d.Metrics != nil {
			d.Metrics[v.rule.Metric] = v.status
		}
		if v.status.Fresh {
			usable++
		} else {
			unusable = append(unusable, metricLabel(v.rule.Metric)+" ("+v.status.Why+")")
		}
	}
	if !in.SkipHPADesired {
		d.HPADesired, d.HPARecommendation = hpaDesired(in, views, now)
	}

	if in.Override > 0 {
		return decideOverride(in, d)
	}
	if in.Current == 0 {
		d.Reasons = append(d.Reasons, Reason{Code: ReasonScalingDisabled,
			Message: "the Deployment is scaled to 0: autoscaling is off until it is scaled up by hand, as the HPA treats it"})
		d.AutoApplyWhy = "autoscaling is off at 0 replicas"
		return d
	}
	if usable == 0 {
		d.Reasons = append(d.Reasons, Reason{Code: ReasonMetricsStale,
			Message: "no metric is usable (" + strings.Join(unusable, ", ") + "): holding at " + itoa(in.Current) + " replicas"})
		d.AutoApplyWhy = "no metric is usable"
		return d
	}
	if len(unusable) > 0 {
		d.Reasons = append(d.Reasons, Reason{Code: ReasonMetricUnusable,
			Message: "unusable: " + strings.Join(unusable, ", ") + "; no scale-down and no auto-apply on partial data"})
	}

	// Step 2.
	var proposal int32
	proposal, d.Reasons = applyRules(in.Current, views, d.Reasons, quiet)

	// Step 3.
	var reason Reason
	proposal, d.Forecast, reason = applyForecast(in, views, proposal, now)
	if reason.Code != "" {
		d.Reasons = append(d.Reasons, reason)
	}
	d.Recommendation = Recommendation{At: now, Replicas: proposal}

	// Steps 4 and 5.
	b := in.Policy.Behavior
	target, reasons, _ := Normalize(NormalizeInput{
		Behavior: &b,
		Min:      in.Policy.MinReplicas,
		Max:      in.Policy.MaxReplicas,
		Current:  in.Current,
		Desired:  proposal,
		Scales:   ScaleHistory{Recommendations: in.Scales.Recommendations, Events: in.Scales.Events},
	}, now)
	d.Reasons = append(d.Reasons, reasons...)
	d.Proposed = target

	// Step 6.
	applyCooldown(in, &d, target)
	d.AutoApply, d.AutoApplyWhy = autoApply(&d, len(unusable) > 0, in.Warnings)
	return d
}

// warningReason is the reason for one cluster state warning, quoting it.
func warningReason(w string, quiet bool) Reason {
	if quiet {
		return Reason{Code: ReasonClusterStateWarning}
	}
	return Reason{Code: ReasonClusterStateWarning,
		Message: "the cluster state has a warning: \"" + w + "\"; auto-apply pauses until it is repaired (a human may still approve)"}
}

// warningsWhy is AutoApplyWhy for cluster state warnings: how many, and
// the objects they name, short enough for the dashboard's badge.
func warningsWhy(ws []string) string {
	var subjects []string
	for _, w := range ws {
		if s := warningSubject(w); s != "" && !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	what := "a cluster state warning"
	if len(ws) > 1 {
		what = strconv.Itoa(len(ws)) + " cluster state warnings"
	}
	if len(subjects) > 0 {
		what += " (" + strings.Join(subjects, ", ") + ")"
	}
	return what + ": auto-apply pauses until repaired"
}

// warningSubject is the object a warning names: the text before its first
// colon ("deployment prod/kimiclaw-db"), as k8s writes them; "" when there
// is no short one.
func warningSubject(w string) string {
	i := strings.Index(w, ": ")
	if i <= 0 || i > 60 {
		return ""
	}
	return w[:i]
}

// validateInput rejects an input Decide cannot reason about, naming the
// field and what is valid. Policy files are validated in full when they are
// loaded; this guards Decide against a hand-built Input.
func validateInput(in *Input) error {
	p := in.Policy
	switch {
	case in.Current < 0:
		return fmt.Errorf("current replicas must be at least 0, got %d", in.Current)
	case in.Ready < 0:
		return fmt.Errorf("ready replicas must be at least 0, got %d", in.Ready)
	case in.Override < 0:
		return fmt.Errorf("override must be a replica count above 0 (or 0 for none), got %d", in.Override)
	case in.PollInterval <= 0:
		return fmt.Errorf("poll interval must be positive, got %s", in.PollInterval)
	case p.StaleAfter < 1:
		return fmt.Errorf("policy staleAfterIntervals must be at least 1, got %d", p.StaleAfter)
	case p.MinReplicas < 0:
		return fmt.Errorf("policy minReplicas must be at least 0, got %d", p.MinReplicas)
	case p.MaxReplicas < max(p.MinReplicas, 1):
		return fmt.Errorf("policy maxReplicas must be at least 1 and at least minReplicas %d, got %d", p.MinReplicas, p.MaxReplicas)
	case len(p.Rules) == 0:
		return errors.New("policy has no metrics: want at least one of " + metricNames())
	}
	for i, r := range p.Rules {
		if !r.Metric.Valid() {
			return fmt.Errorf("policy metrics[%d]: unknown metric %q: want one of %s", i, r.Metric, metricNames())
		}
		switch r.Aggregation {
		case "", PerReplica, Total:
		default:
			return fmt.Errorf("policy metrics[%d] (%s): unknown aggregation %q: want %q or %q", i, r.Metric, r.Aggregation, PerReplica, Total)
		}
	}
	return nil
}

func metricNames() string {
	names := make([]string, 0, 4)
	for _, m := range Metrics() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// metricView is one rule with the value it is compared at, from step 1.
type metricView struct {
	rule Rule
	// raw is the reading as the source reported it (a total for QPS and
	// connections); status.Value is what the thresholds see.
	raw    float64
	status MetricStatus
}

// judgeFreshness is step 1: every rule's reading judged at now, and turned
// into the value its thresholds apply to, appended to views.
func judgeFreshness(in *Input, now time.Time, views []metricView) []metricView {
	maxAge := time.Duration(in.Policy.StaleAfter) * in.PollInterval
	for _, r := range in.Policy.Rules {
		v := metricView{rule: r, status: MetricStatus{Up: r.Up, Down: r.Down}}
		reading, ok := in.Snapshot.Readings[r.Metric]
		if !ok {
			v.status.Why = "missing"
			views = append(views, v)
			continue
		}
		f := reading.Freshness(now, maxAge)
		v.status.Age = f.Age
		if finite(reading.Value) {
			v.raw = reading.Value
			v.status.Value = reading.Value
			if !r.Metric.Utilization() && perReplica(r) && in.Ready > 0 {
				v.status.Value = reading.Value / float64(in.Ready)
			}
		}
		switch {
		case !f.Usable:
			v.status.Why = f.Why
			views = append(views, v)
			continue
		case !r.Metric.Utilization() && perReplica(r) && in.Ready <= 0:
			v.status.Why = "no ready replica to average over"
			views = append(views, v)
			continue
		}
		v.status.Fresh = true
		views = append(views, v)
	}
	return views
}

// perReplica reports whether a rate or count rule compares per ready replica
// (the seed's reading, and the default) rather than the total.
func perReplica(r Rule) bool { return r.Aggregation != Total }

// applyRules is step 2: the seed's table. It appends its reasons to reasons.
// The numbers come first and the sentences after, so only the sentences the
// outcome reports are written; quiet writes none (SkipExplanation).
func applyRules(current int32, views []metricView, reasons []Reason, quiet bool) (int32, []Reason) {
	var stepUp, stepDown int32
	allUsable := true
	notBelow := -1 // the first usable metric not below its down threshold
	for i, v := range views {
		stepDown = max(stepDown, v.rule.StepDown)
		if !v.status.Fresh {
			allUsable = false
			continue
		}
		val := v.status.Value
		if val > v.rule.Up {
			stepUp = max(stepUp, v.rule.StepUp)
		}
		if !(val < v.rule.Down) && notBelow < 0 {
			notBelow = i
		}
	}
	if quiet {
		return quietRules(current, views, reasons, stepUp, stepDown, notBelow, allUsable)
	}
	var buf [256]byte
	switch {
	case stepUp > 0:
		for _, v := range views {
			if !v.status.Fresh || !(v.status.Value > v.rule.Up) {
				continue
			}
			b := appendDescribe(buf[:0], v.rule, v.status.Value)
			b = append(b, " is above the "...)
			b = appendThreshold(b, v.rule, v.rule.Up)
			b = append(b, " scale-up threshold (+"...)
			b = strconv.AppendInt(b, int64(v.rule.StepUp), 10)
			b = append(b, ')')
			reasons = append(reasons, Reason{Code: aboveCode(v.rule.Metric), Message: string(b)})
		}
		return current + stepUp, reasons
	case notBelow >= 0:
		v := views[notBelow]
		b := append(buf[:0], "no metric is above its scale-up threshold, and "...)
		b = appendDescribe(b, v.rule, v.status.Value)
		b = append(b, " is not below its "...)
		b = appendThreshold(b, v.rule, v.rule.Down)
		b = append(b, " scale-down threshold"...)
		return current, append(reasons, Reason{Code: ReasonWithinThresholds, Message: string(b)})
	case !allUsable:
		return current, append(reasons, Reason{Code: ReasonWithinThresholds, Message: "no usable metric is above its scale-up threshold; " +
			"the usable ones are below their scale-down thresholds, but a scale-down needs every metric"})
	case stepDown <= 0:
		return current, append(reasons, Reason{Code: ReasonWithinThresholds, Message: "every metric is below its scale-down threshold, but no rule has a scale-down step"})
	}
	// Every metric is usable and below its down threshold.
	b := append(buf[:0], "every metric is below its scale-down threshold ("...)
	for i, v := range views {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendDescribe(b, v.rule, v.status.Value)
		b = append(b, " < "...)
		b = appendThreshold(b, v.rule, v.rule.Down)
	}
	b = append(b, ") (−"...)
	b = strconv.AppendInt(b, int64(stepDown), 10)
	b = append(b, ')')
	return max(current-stepDown, 0), append(reasons, Reason{Code: ReasonAllBelowThreshold, Message: string(b)})
}

// quietRules is the end of applyRules with codes and no sentences.
func quietRules(current int32, views []metricView, reasons []Reason, stepUp, stepDown int32, notBelow int, allUsable bool) (int32, []Reason) {
	switch {
	case stepUp > 0:
		for _, v := range views {
			if v.status.Fresh && v.status.Value > v.rule.Up {
				reasons = append(reasons, Reason{Code: aboveCode(v.rule.Metric)})
			}
		}
		return current + stepUp, reasons
	case notBelow >= 0 || !allUsable || stepDown <= 0:
		return current, append(reasons, Reason{Code: ReasonWithinThresholds})
	}
	return max(current-stepDown, 0), append(reasons, Reason{Code: ReasonAllBelowThreshold})
}

func aboveCode(m Metric) ReasonCode {
	switch m {
	case MetricCPU:
		return ReasonCPUAboveThreshold
	case MetricMemory:
		return ReasonMemoryAboveThreshold
	case MetricQPS:
		return ReasonQPSAboveThreshold
	case MetricConnections:
		return ReasonConnectionsAbove
	}
	return ReasonCode(string(m) + "AboveThreshold")
}

// applyForecast is step 3: the seed's predictive scale-up on CPU. Its
// reason has an empty Code when it gives none.
func applyForecast(in *Input, views []metricView, proposal int32, now time.Time) (int32, *ForecastStatus, Reason) {
	var cpu *metricView
	for i := range views {
		if views[i].rule.Metric == MetricCPU {
			cpu = &views[i]
		}
	}
	if in.History == nil || cpu == nil || !cpu.status.Fresh {
		return proposal, nil, Reason{}
	}
	series := in.History.Series(MetricCPU)
	if series == nil || series.Len() < 2 {
		return proposal, nil, Reason{}
	}
	horizon := in.Policy.Forecast.Horizon.D()
	var (
		end   ForecastPoint
		path  []ForecastPoint
		model string
		name  string // the forecaster's name
		err   error
	)
	if lin, ok := policyLinear(in); ok {
		// The seed's own model, called directly rather than through the
		// Forecaster interface, so that its samples stay on the stack and,
		// with SkipForecastPath, no path is stored.
		var buf [32]Sample
		var fc Forecast
		fc, end, _, _, err = lin.forecastPath(series.Tail(buf[:0], lin.Points), horizon, lin.Points+64, !in.SkipForecastPath)
		name, model, path = lin.Name(), fc.Model, fc.Points
	} else {
		f := in.Forecaster
		if f == nil {
			if f, err = NewForecaster(in.Policy.Forecast); err != nil {
				return proposal, nil, Reason{Code: ReasonForecastUnavailable, Message: "no forecast: " + err.Error()}
			}
		}
		n := series.Len()
		if f.Name() == ModelLinear && in.Policy.Forecast.Points > 0 {
			n = in.Policy.Forecast.Points
		}
		var fc Forecast
		fc, err = f.Forecast(series.Tail(make([]Sample, 0, min(n, series.Len())), n), horizon)
		if err == nil && len(fc.Points) == 0 {
			return proposal, nil, Reason{Code: ReasonForecastUnavailable, Message: "no forecast: the " + f.Name() + " model returned no finite value"}
		}
		end, name, model = fc.End(), f.Name(), fc.Model
		if !in.SkipForecastPath {
			path = fc.Points
		}
	}
	if errors.Is(err, ErrShortHistory) {
		return proposal, nil, Reason{}
	}
	if err != nil {
		return proposal, nil, Reason{Code: ReasonForecastUnavailable, Message: "no forecast: " + err.Error()}
	}
	if !finite(end.Value) {
		return proposal, nil, Reason{Code: ReasonForecastUnavailable, Message: "no forecast: the " + name + " model returned no finite value"}
	}
	if model == "" {
		model = name
	}
	fs := forecastStatus(model, horizon, end, path, in.Forecaster == nil)
	// The seed's trigger: the forecast capped at 100 %, above the threshold.
	threshold := in.Policy.Forecast.Threshold
	capped := min(fs.CPU, ForecastCap)
	if capped <= threshold {
		return proposal, fs, Reason{}
	}
	s := forecastSizing(in, cpu, capped)
	if in.SkipExplanation {
		return max(proposal, s.target), fs, Reason{Code: ReasonForecastAbove}
	}
	return max(proposal, s.target), fs, Reason{Code: ReasonForecastAbove, Message: s.sentence(cpu.rule, fs, capped, threshold)}
}

// ForecastCap is the seed's cap on the CPU forecast ("capped at 1.0"): the
// forecast threshold is compared with the forecast capped here, and the
// replicas are sized for at most this much forecast load. The forecast
// itself (Decision.Forecast) is not capped: CPU utilization is a fraction of
// the pods' requests and exceeds 1.0 whenever the limits allow it.
const ForecastCap = 1.0

// forecastStatus is the forecast as Decision.Forecast reports it, on one
// scale: the model's values, uncapped, floored at 0 (no load is the least
// there can be), with Lower ≤ CPU ≤ Upper; the path floored the same way.
// owned says the path is Decide's own to change; another forecaster's path
// is copied before a value is changed.
func forecastStatus(model string, horizon time.Duration, end ForecastPoint, path []ForecastPoint, owned bool) *ForecastStatus {
	point := max(end.Value, 0)
	return &ForecastStatus{
		Model: model, Horizon: horizon, CPU: point,
		Lower: min(max(finiteOr(end.Lower, point), 0), point),
		Upper: max(finiteOr(end.Upper, point), point),
		Path:  floorPath(path, owned),
	}
}

// floorPath floors a forecast path at 0 as forecastStatus floors its end,
// keeping each point inside its band.
func floorPath(path []ForecastPoint, owned bool) []ForecastPoint {
	for i, p := range path {
		if p.Value >= 0 && p.Lower >= 0 && p.Lower <= p.Value && p.Value <= p.Upper {
			continue
		}
		if !owned {
			path, owned = slices.Clone(path), true
		}
		v := max(p.Value, 0)
		path[i].Value, path[i].Lower, path[i].Upper = v, min(max(p.Lower, 0), v), max(p.Upper, v)
	}
	return path
}

// sizing is how the forecast step sized its target: load is the CPU
// utilization, averaged over pods replicas, that target replicas must carry
// within the up-threshold.
type sizing struct {
	target   int32
	pods     int32
	load     float64
	measured bool // load is the measured CPU, above the capped forecast
	oneMore  bool // target is current + 1, more than the load needs
}

// forecastSizing is the replica target of a forecast that fired: the
// smallest n that carries the larger of the capped forecast and the measured
// CPU at or under the CPU up-threshold, and at least one more than now (the
// seed's predictive step is a scale-up). The measured CPU is a floor so that
// the forecast never asks for fewer replicas than the load already there
// needs (the HPA's formula on the current value): with the forecast capped
// at 100 % and CPU at 138 % of the requests, sizing for the forecast alone
// would under-size. The load is the utilization times the ready replicas it
// is averaged over (the current ones when none is ready), as the HPA counts
// starting pods idle on a scale-up.
func forecastSizing(in *Input, cpu *metricView, capped float64) sizing {
	s := sizing{pods: in.Ready, load: capped, target: in.Current + 1, oneMore: true}
	if s.pods <= 0 {
		s.pods = in.Current
	}
	if m := cpu.status.Value; m > capped {
		s.load, s.measured = m, true
	}
	if cpu.rule.Up > 0 {
		// The epsilon keeps an exact quotient such as 0.84 × 5 / 0.7 = 6
		// from rounding up to 7.
		if n := ceilReplicas(s.load*float64(s.pods)/cpu.rule.Up - 1e-9); n >= s.target {
			s.target, s.oneMore = n, false
		}
	}
	return s
}

// sentence explains the sizing with the numbers it used, e.g. "CPU forecast
// 5m ahead is 100.0% (linear, capped from 152.0%), above the 80% threshold:
// sized for the measured CPU 138.3% on 2 replicas (above the capped
// forecast); 4 replicas run that load at 69.2%, within the 70% scale-up
// threshold".
func (s sizing) sentence(r Rule, fs *ForecastStatus, capped, threshold float64) string {
	var buf [320]byte
	b := append(buf[:0], "CPU forecast "...)
	b = appendDuration(b, fs.Horizon)
	b = append(b, " ahead is "...)
	b = appendPct(b, capped)
	b = append(b, " ("...)
	b = append(b, fs.Model...)
	if fs.CPU > capped {
		b = append(b, ", capped from "...)
		b = appendPct(b, fs.CPU)
	}
	b = append(b, "), above the "...)
	b = appendThreshold(b, r, threshold)
	b = append(b, " threshold: sized for "...)
	if s.measured {
		b = append(b, "the measured CPU "...)
	} else {
		b = append(b, "the forecast "...)
	}
	b = appendPct(b, s.load)
	b = append(b, " on "...)
	b = strconv.AppendInt(b, int64(s.pods), 10)
	b = append(b, " replicas"...)
	if s.measured {
		b = append(b, " (above the capped forecast)"...)
	}
	b = append(b, "; "...)
	b = strconv.AppendInt(b, int64(s.target), 10)
	b = append(b, " replicas"...)
	if s.oneMore {
		b = append(b, " (one more than now)"...)
	}
	b = append(b, " run that load at "...)
	b = appendPct(b, s.load*float64(s.pods)/float64(s.target))
	if r.Up > 0 {
		b = append(b, ", within the "...)
		b = appendThreshold(b, r, r.Up)
		b = append(b, " scale-up threshold"...)
	}
	return string(b)
}

// policyLinear returns the policy's linear model when Decide forecasts with
// it: no Input.Forecaster, and a forecast policy NewForecaster accepts as
// linear.
func policyLinear(in *Input) (Linear, bool) {
	p := in.Policy.Forecast
	if in.Forecaster != nil || p.Model != ModelLinear || time.Duration(p.Season) < 0 || p.Points < 2 {
		return Linear{}, false
	}
	return Linear{Points: p.Points}, true
}

// applyCooldown is step 6.
func applyCooldown(in *Input, d *Decision, target int32) {
	dir := DirectionNone
	switch {
	case target > in.Current:
		dir = DirectionUp
	case target < in.Current:
		dir = DirectionDown
	}
	d.Target = target
	switch {
	case dir == DirectionUp && d.Cooldown.Pending:
		d.Reasons = append(d.Reasons, pendingReason(in, d.Cooldown, in.SkipExplanation))
	case d.Cooldown.Allows(dir):
	case in.SkipExplanation:
		code := ReasonCooldownBypassed
		switch {
		case in.BypassCooldown:
			d.Cooldown.Bypassed = true
		case d.Cooldown.Blocks == DirectionUp:
			code, d.Target = ReasonCooldownAfterScaleDown, in.Current
		default:
			code, d.Target = ReasonCooldownAfterScaleUp, in.Current
		}
		d.Reasons = append(d.Reasons, Reason{Code: code})
	default:
		last := in.LastScale
		var buf [160]byte
		if in.BypassCooldown {
			d.Cooldown.Bypassed = true
			b := append(buf[:0], "a human chose to go through the cooldown ("...)
			b = appendDuration(b, d.Cooldown.Remaining)
			b = append(b, " left after the scale "...)
			b = append(b, lastDirection(last)...)
			b = append(b, " at "...)
			b = last.At.UTC().AppendFormat(b, time.TimeOnly)
			b = append(b, ')')
			d.Reasons = append(d.Reasons, Reason{Code: ReasonCooldownBypassed, Message: string(b)})
		} else {
			code := ReasonCooldownAfterScaleUp
			if d.Cooldown.Blocks == DirectionUp {
				code = ReasonCooldownAfterScaleDown
			}
			d.Target = in.Current
			b := append(buf[:0], "scale-"...)
			b = append(b, dir...)
			b = append(b, " to "...)
			b = strconv.AppendInt(b, int64(target), 10)
			b = append(b, " blocked: within "...)
			b = appendDuration(b, d.Cooldown.Total)
			b = append(b, " of the scale-"...)
			b = append(b, lastDirection(last)...)
			b = append(b, " at "...)
			b = last.At.UTC().AppendFormat(b, time.TimeOnly)
			b = append(b, " ("...)
			b = appendDuration(b, d.Cooldown.Remaining)
			b = append(b, " left)"...)
			d.Reasons = append(d.Reasons, Reason{Code: code, Message: string(b)})
		}
	}
	switch {
	case d.Target > in.Current:
		d.Action = ActionScaleUp
	case d.Target < in.Current:
		d.Action = ActionScaleDown
	default:
		d.Action = ActionMaintain
	}
}

// pendingReason says that the recorded scale-down, which the replicas do
// not show, lets the scale-up through.
func pendingReason(in *Input, c CooldownStatus, quiet bool) Reason {
	if quiet {
		return Reason{Code: ReasonCooldownScaleDownPending}
	}
	last := in.LastScale
	var buf [192]byte
	b := append(buf[:0], "the scale-down from "...)
	b = strconv.AppendInt(b, int64(last.From), 10)
	b = append(b, " to "...)
	b = strconv.AppendInt(b, int64(last.To), 10)
	b = append(b, " recorded at "...)
	b = last.At.UTC().AppendFormat(b, time.TimeOnly)
	b = append(b, " has not happened ("...)
	b = strconv.AppendInt(b, int64(in.Current), 10)
	b = append(b, " replicas run), so it does not block a scale-up; it would until "...)
	b = c.Until.UTC().AppendFormat(b, time.TimeOnly)
	b = append(b, " once the replicas fall below "...)
	b = strconv.AppendInt(b, int64(last.From), 10)
	return Reason{Code: ReasonCooldownScaleDownPending, Message: string(b)}
}

// decideOverride replaces steps 2–5 by the human's number.
func decideOverride(in *Input, d Decision) Decision {
	p := in.Policy
	if in.Override < p.MinReplicas || in.Override > p.MaxReplicas {
		d.Reasons = append(d.Reasons, Reason{Code: ReasonOverrideInvalid, Message: fmt.Sprintf(
			"override %d is outside the policy's bounds %d..%d: nothing is applied", in.Override, p.MinReplicas, p.MaxReplicas)})
		d.AutoApplyWhy = "the override is invalid"
		return d
	}
	d.Reasons = append(d.Reasons, Reason{Code: ReasonOverride, Message: fmt.Sprintf(
		"a human asked for %d replicas (now %d) instead of the rules", in.Override, in.Current)})
	d.Proposed = in.Override
	applyCooldown(in, &d, in.Override)
	d.AutoApply, d.AutoApplyWhy = false, "an override is applied by a human, never automatically"
	return d
}

// autoApply says whether auto-apply may make this change without a human.
func autoApply(d *Decision, partial bool, warnings []string) (bool, string) {
	switch {
	case len(warnings) > 0:
		return false, warningsWhy(warnings)
	case partial:
		return false, "a metric is unusable: auto-apply pauses until every metric is fresh"
	case d.Cooldown.Bypassed:
		return false, "going through the cooldown needs a human"
	case d.Action == ActionMaintain && d.Proposed != d.Current:
		return false, "the cooldown holds the proposal"
	case d.Action == ActionMaintain:
		return false, "nothing to do"
	}
	return true, ""
}

// hpaMetrics are the metrics of the seed's kimiclaw-hpa: CPU and memory
// average utilization and the Pods metric kimiclaw_active_connections. QPS
// is kimiscale's own and not part of the HPA.
func hpaMetrics() [3]Metric { return [3]Metric{MetricCPU, MetricMemory, MetricConnections} }

// hpaDesired is what the plain HPA would set: per metric the replica
// calculator at the rule's up threshold as target, combined by max; a
// missing metric never causes a scale-down (upstream: if some metrics are
// invalid and the rest would scale down, nothing changes); then the
// behaviour and the bounds. It returns the HPA's recommendation to record.
func hpaDesired(in *Input, views []metricView, now time.Time) (int32, Recommendation) {
	p := in.Policy
	switch {
	case in.Current == 0:
		return 0, Recommendation{} // autoscaling off, as upstream
	case in.Current > p.MaxReplicas:
		return p.MaxReplicas, Recommendation{}
	case in.Current < p.MinReplicas:
		return p.MinReplicas, Recommendation{}
	}
	desired, valid, invalid := int32(0), 0, 0
	for _, m := range hpaMetrics() {
		var v *metricView
		for i := range views {
			if views[i].rule.Metric == m {
				v = &views[i]
			}
		}
		if v == nil {
			continue // not a metric of this policy
		}
		if !v.status.Fresh || in.Ready <= 0 {
			invalid++
			continue
		}
		var n int32
		switch {
		case m.Utilization():
			n = replicasForRatio(in.Current, in.Ready, utilizationRatio(v.raw, 1, v.rule.Up), p.Tolerance)
		case perReplica(v.rule):
			n = ValueReplicas(in.Current, in.Ready, v.raw, v.rule.Up, p.Tolerance)
		default: // a Value target on the total, as an External metric
			n = replicasForRatio(in.Current, in.Ready, v.raw/v.rule.Up, p.Tolerance)
		}
		desired = max(desired, n)
		valid++
	}
	if valid == 0 || (invalid > 0 && desired < in.Current) {
		return in.Current, Recommendation{}
	}
	b := p.Behavior
	got, _, rec := Normalize(NormalizeInput{
		Behavior: &b, Min: p.MinReplicas, Max: p.MaxReplicas,
		Current: in.Current, Desired: desired,
		Scales: ScaleHistory{Recommendations: in.Scales.HPARecommendations, Events: in.Scales.Events},
	}, now)
	return got, rec
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func finiteOr(x, fallback float64) float64 {
	if finite(x) {
		return x
	}
	return fallback
}

func itoa(n int32) string { return strconv.FormatInt(int64(n), 10) }

// metricLabel is a metric's name in sentences.
func metricLabel(m Metric) string {
	switch m {
	case MetricCPU:
		return "CPU"
	case MetricQPS:
		return "QPS"
	}
	return string(m)
}

// appendPct appends a fraction as a percentage with one decimal: 0.74 →
// "74.0%".
func appendPct(b []byte, x float64) []byte {
	return append(strconv.AppendFloat(b, x*100, 'f', 1, 64), '%')
}

// appendNum appends a value with at most one decimal: 8000 → "8000", 812.25
// → "812.3".
func appendNum(b []byte, x float64) []byte {
	return strconv.AppendFloat(b, math.Round(x*10)/10, 'f', -1, 64)
}

// appendDescribe appends a metric and its value as its thresholds see it,
// e.g. "CPU 74.0%" or "QPS 9000 per replica".
func appendDescribe(b []byte, r Rule, v float64) []byte {
	b = append(b, metricLabel(r.Metric)...)
	b = append(b, ' ')
	switch {
	case r.Metric.Utilization():
		return appendPct(b, v)
	case perReplica(r):
		return append(appendNum(b, v), " per replica"...)
	}
	return append(appendNum(b, v), " in total"...)
}

// appendThreshold appends a threshold without noise: 0.70 → "70%", 8000 →
// "8000".
func appendThreshold(b []byte, r Rule, t float64) []byte {
	if r.Metric.Utilization() {
		return append(strconv.AppendFloat(b, math.Round(t*100*100)/100, 'f', -1, 64), '%')
	}
	return appendNum(b, t)
}

// fmtDuration writes a duration without trailing zero units: 5m0s → "5m",
// 4m10s stays.
func fmtDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// appendDuration appends fmtDuration(d) without allocating for the
// durations a decision shows (from 0 up to a few years).
func appendDuration(b []byte, d time.Duration) []byte {
	if d < 0 || d > 1e6*time.Hour {
		return append(b, fmtDuration(d)...)
	}
	sec := int64(d.Round(time.Second) / time.Second)
	h, m, s := sec/3600, sec/60%60, sec%60
	switch {
	case h > 0:
		b = append(strconv.AppendInt(b, h, 10), 'h')
		if m == 0 && s == 0 {
			return b
		}
		b = append(strconv.AppendInt(b, m, 10), 'm')
	case m > 0:
		b = append(strconv.AppendInt(b, m, 10), 'm')
	default:
		return append(strconv.AppendInt(b, s, 10), 's')
	}
	if s == 0 {
		return b
	}
	return append(strconv.AppendInt(b, s, 10), 's')
}

package core

import (
	"fmt"
	"math"
	"time"
)

// This file is the HPA's normalization of a desired replica count, as
// Kubernetes' horizontal.go computes it, with time as a parameter and the
// controller's memory (recent recommendations and scale events) as a value,
// ScaleHistory, that the caller keeps between decisions.
//
// With a behaviour (autoscaling/v2 spec.behavior) the steps are, as
// upstream's normalizeDesiredReplicasWithBehaviors:
//  1. stabilize: scale up only to the lowest recommendation of the up-window,
//     down only to the highest of the down-window (a window holds the
//     recommendations strictly newer than now − window, and the new one);
//  2. rate: limit the change by the Pods/Percent policies of the direction over
//     their periods, counting from the replicas at the start of each period
//     (current − added + removed in the period), combined by selectPolicy;
//  3. bounds: clamp to [min, max].
//
// Without a behaviour (nil), upstream's older path applies: only the
// down-window of DefaultDownscaleStabilization (recommendations at or after
// now − window, the one place upstream's cutoff is inclusive), then at most
// max(2×current, 4) replicas and the bounds.
//
// A current count outside [min, max] is first brought to the nearest bound
// without looking at the desired count, as upstream's reconcile does.

// DefaultDownscaleStabilization is the kube-controller-manager's
// --horizontal-pod-autoscaler-downscale-stabilization default, the down-window
// of an HPA without a behaviour.
const DefaultDownscaleStabilization = 5 * time.Minute

// scaleUpLimitFactor and scaleUpLimitMinimum are upstream's limit for an HPA
// without a behaviour: at most max(2×current, 4) replicas.
const (
	scaleUpLimitFactor  = 2.0
	scaleUpLimitMinimum = 4.0
)

// NormalizeInput is what Normalize needs: upstream's NormalizationArg plus the
// controller's memory.
type NormalizeInput struct {
	// Behavior is the HPA's behaviour; nil means none is set.
	Behavior *Behavior
	Min, Max int32
	Current  int32
	// Desired is the count the metrics ask for, before stabilization.
	Desired int32
	Scales  ScaleHistory
}

// Normalize turns a desired replica count into the count the HPA would set,
// in the order described above. It returns the count, a reason for every step
// that changed it, and the recommendation to record in the ScaleHistory for
// the next call (Desired at now).
func Normalize(in NormalizeInput, now time.Time) (replicas int32, reasons []Reason, rec Recommendation) {
	rec = Recommendation{At: now, Replicas: in.Desired}
	if r, reason, out := currentOutOfBounds(in.Current, in.Min, in.Max); out {
		return r, []Reason{reason}, rec
	}
	if in.Behavior == nil {
		stabilized, reason, changed := stabilizeDownOnly(in.Desired, in.Scales.Recommendations, now)
		if changed {
			reasons = append(reasons, reason)
		}
		limited, reason, changed := limitWithoutBehavior(in.Current, stabilized, in.Min, in.Max)
		if changed {
			reasons = append(reasons, reason)
		}
		return limited, reasons, rec
	}
	b := *in.Behavior
	stabilized, reason, changed := stabilize(in.Desired, in.Current, b, in.Scales.Recommendations, now)
	if changed {
		reasons = append(reasons, reason)
	}
	limited, reason, changed := limitRate(in.Current, stabilized, in.Min, in.Max, b, in.Scales.Events, now)
	if changed {
		reasons = append(reasons, reason)
	}
	return limited, reasons, rec
}

// currentOutOfBounds brings a current count outside [min, max] to the bound.
func currentOutOfBounds(current, lo, hi int32) (int32, Reason, bool) {
	switch {
	case current > hi:
		return hi, Reason{Code: ReasonTooManyReplicas,
			Message: fmt.Sprintf("%d replicas is above the maximum of %d: scale to %d", current, hi, hi)}, true
	case current < lo:
		return lo, Reason{Code: ReasonTooFewReplicas,
			Message: fmt.Sprintf("%d replicas is below the minimum of %d: scale to %d", current, lo, lo)}, true
	}
	return current, Reason{}, false
}

// stabilize is upstream's stabilizeRecommendationWithBehaviors: the lowest
// recommendation of the up-window bounds a scale-up and the highest of the
// down-window bounds a scale-down; the result is current brought inside
// [upRecommendation, downRecommendation].
func stabilize(desired, current int32, b Behavior, recs []Recommendation, now time.Time) (int32, Reason, bool) {
	upCutoff := now.Add(-b.ScaleUp.StabilizationWindow.D())
	downCutoff := now.Add(-b.ScaleDown.StabilizationWindow.D())
	up, down := desired, desired
	for _, r := range recs {
		if r.At.After(upCutoff) {
			up = min(up, r.Replicas)
		}
		if r.At.After(downCutoff) {
			down = max(down, r.Replicas)
		}
	}
	got := min(max(current, up), down)
	if got == desired {
		return got, Reason{}, false
	}
	if desired >= current {
		return got, Reason{Code: ReasonScaleUpStabilized, Message: fmt.Sprintf(
			"wanted %d replicas, but the lowest recommendation of the last %s was %d: holding at %d",
			desired, b.ScaleUp.StabilizationWindow.D(), up, got)}, true
	}
	return got, Reason{Code: ReasonScaleDownStabilized, Message: fmt.Sprintf(
		"wanted %d replicas, but the highest recommendation of the last %s was %d: holding at %d",
		desired, b.ScaleDown.StabilizationWindow.D(), down, got)}, true
}

// stabilizeDownOnly is upstream's stabilizeRecommendation for an HPA without
// a behaviour: the highest of desired and the recommendations of the last
// DefaultDownscaleStabilization (inclusive cutoff, as upstream).
func stabilizeDownOnly(desired int32, recs []Recommendation, now time.Time) (int32, Reason, bool) {
	cutoff := now.Add(-DefaultDownscaleStabilization)
	got := desired
	for _, r := range recs {
		if !r.At.Before(cutoff) {
			got = max(got, r.Replicas)
		}
	}
	if got == desired {
		return got, Reason{}, false
	}
	// Upstream reports this path as ScaleDownStabilized whatever the direction.
	return got, Reason{Code: ReasonScaleDownStabilized, Message: fmt.Sprintf(
		"wanted %d replicas, but the highest recommendation of the last %s was %d: holding at %d",
		desired, DefaultDownscaleStabilization, got, got)}, true
}

// limitWithoutBehavior is upstream's convertDesiredReplicasWithRules: the
// bounds, and at most max(2×current, 4) replicas.
func limitWithoutBehavior(current, desired, lo, hi int32) (int32, Reason, bool) {
	limit := int32(math.Max(scaleUpLimitFactor*float64(current), scaleUpLimitMinimum))
	switch {
	case desired < lo:
		return lo, tooFew(desired, lo), true
	case desired > hi && hi <= limit:
		return hi, tooMany(desired, hi), true
	case desired > limit:
		return limit, Reason{Code: ReasonScaleUpLimit, Message: fmt.Sprintf(
			"wanted %d replicas, but an HPA without a behaviour adds at most up to max(2×%d, 4) = %d at a time",
			desired, current, limit)}, true
	}
	return desired, Reason{}, false
}

// limitRate is upstream's convertDesiredReplicasWithBehaviorRate: the rate
// policies of the direction and the bounds.
func limitRate(current, desired, lo, hi int32, b Behavior, events []ScaleEvent, now time.Time) (int32, Reason, bool) {
	switch {
	case desired > current:
		limit := max(scaleUpLimit(current, events, b.ScaleUp, now), current)
		if limit < hi {
			if desired > limit {
				if b.ScaleUp.SelectPolicy == SelectDisabled {
					return current, Reason{Code: ReasonScalingDisabled, Message: fmt.Sprintf(
						"wanted %d replicas, but scale-up is disabled (selectPolicy Disabled)", desired)}, true
				}
				return limit, Reason{Code: ReasonScaleUpLimit, Message: fmt.Sprintf(
					"wanted %d replicas, but the scale-up policies (%s) allow at most %d now",
					desired, policiesString(b.ScaleUp), limit)}, true
			}
		} else if desired > hi {
			return hi, tooMany(desired, hi), true
		}
	case desired < current:
		limit := min(scaleDownLimit(current, events, b.ScaleDown, now), current)
		if limit > lo {
			if desired < limit {
				if b.ScaleDown.SelectPolicy == SelectDisabled {
					return current, Reason{Code: ReasonScalingDisabled, Message: fmt.Sprintf(
						"wanted %d replicas, but scale-down is disabled (selectPolicy Disabled)", desired)}, true
				}
				return limit, Reason{Code: ReasonScaleDownLimit, Message: fmt.Sprintf(
					"wanted %d replicas, but the scale-down policies (%s) allow at least %d now",
					desired, policiesString(b.ScaleDown), limit)}, true
			}
		} else if desired < lo {
			return lo, tooFew(desired, lo), true
		}
	}
	return desired, Reason{}, false
}

func tooFew(desired, lo int32) Reason {
	return Reason{Code: ReasonTooFewReplicas, Message: fmt.Sprintf(
		"wanted %d replicas, below the minimum of %d: using %d", desired, lo, lo)}
}

func tooMany(desired, hi int32) Reason {
	return Reason{Code: ReasonTooManyReplicas, Message: fmt.Sprintf(
		"wanted %d replicas, above the maximum of %d: using %d", desired, hi, hi)}
}

// policiesString writes the policies of one direction for a reason, e.g.
// "Percent 10 per 1m0s".
func policiesString(r ScalingRules) string {
	s := ""
	for i, p := range r.Policies {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d per %s", p.Type, p.Value, p.Period.D())
	}
	if len(r.Policies) > 1 {
		sel := r.SelectPolicy
		if sel == "" {
			sel = SelectMax
		}
		s += ", select " + string(sel)
	}
	if s == "" {
		s = "none"
	}
	return s
}

// changeInPeriod sums the replicas added and removed by events strictly newer
// than now − period (upstream's getReplicasChangePerPeriod).
func changeInPeriod(events []ScaleEvent, period time.Duration, now time.Time) (added, removed int32) {
	cutoff := now.Add(-period)
	for _, e := range events {
		if !e.At.After(cutoff) {
			continue
		}
		if e.Change > 0 {
			added += e.Change
		} else {
			removed -= e.Change
		}
	}
	return added, removed
}

// scaleUpLimit is upstream's calculateScaleUpLimitWithScalingRules: the most
// replicas the scale-up policies allow now. selectPolicy Max (the default)
// takes the largest proposal, Min the smallest, Disabled allows none.
func scaleUpLimit(current int32, events []ScaleEvent, r ScalingRules, now time.Time) int32 {
	if r.SelectPolicy == SelectDisabled {
		return current
	}
	pick := func(a, b int32) int32 { return max(a, b) }
	result := int32(math.MinInt32)
	if r.SelectPolicy == SelectMin {
		pick = func(a, b int32) int32 { return min(a, b) }
		result = math.MaxInt32
	}
	for _, p := range r.Policies {
		added, removed := changeInPeriod(events, p.Period.D(), now)
		start := current - added + removed
		var proposed int32
		switch p.Type {
		case PodsPolicy:
			proposed = start + p.Value
		case PercentPolicy:
			// Rounded up, so that a small percentage still adds a pod.
			proposed = ceilReplicas(float64(start) * (1 + float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// scaleDownLimit is upstream's calculateScaleDownLimitWithBehaviors: the
// fewest replicas the scale-down policies allow now. selectPolicy Max (the
// default) takes the largest change (the smallest count), Min the smallest.
func scaleDownLimit(current int32, events []ScaleEvent, r ScalingRules, now time.Time) int32 {
	if r.SelectPolicy == SelectDisabled {
		return current
	}
	pick := func(a, b int32) int32 { return min(a, b) }
	result := int32(math.MaxInt32)
	if r.SelectPolicy == SelectMin {
		pick = func(a, b int32) int32 { return max(a, b) }
		result = math.MinInt32
	}
	for _, p := range r.Policies {
		added, removed := changeInPeriod(events, p.Period.D(), now)
		start := current - added + removed
		var proposed int32
		switch p.Type {
		case PodsPolicy:
			proposed = start - p.Value
		case PercentPolicy:
			// Truncated toward zero, as upstream's int32 conversion.
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// Record appends a recommendation; a zero one (a decision that made none) is
// ignored.
func (h *ScaleHistory) Record(rec Recommendation) {
	if rec.At.IsZero() {
		return
	}
	h.Recommendations = append(h.Recommendations, rec)
}

// RecordScale appends the scale event of a change from → to at a time; no
// change records nothing.
func (h *ScaleHistory) RecordScale(from, to int32, at time.Time) {
	if from == to {
		return
	}
	h.Events = append(h.Events, ScaleEvent{At: at, Change: to - from})
}

// Observe records both recommendations of a decision: kimiscale's own and
// the plain HPA's (see Decision.HPARecommendation).
func (h *ScaleHistory) Observe(d Decision) {
	h.Record(d.Recommendation)
	if !d.HPARecommendation.At.IsZero() {
		h.HPARecommendations = append(h.HPARecommendations, d.HPARecommendation)
	}
}

// Prune drops what no stabilization window or rate period of b needs any
// more at now, so the history stays bounded however long it runs.
// Recommendations are kept for the longer of the two windows and at least
// DefaultDownscaleStabilization (which an HPA without a behaviour uses);
// scale-up events for the longest scale-up period, scale-down events for the
// longest scale-down period.
func (h *ScaleHistory) Prune(now time.Time, b Behavior) {
	keep := max(b.ScaleUp.StabilizationWindow.D(), b.ScaleDown.StabilizationWindow.D(), DefaultDownscaleStabilization)
	cutoff := now.Add(-keep)
	h.Recommendations = pruneRecs(h.Recommendations, cutoff)
	h.HPARecommendations = pruneRecs(h.HPARecommendations, cutoff)

	upCutoff := now.Add(-longestPeriod(b.ScaleUp))
	downCutoff := now.Add(-longestPeriod(b.ScaleDown))
	events := h.Events[:0]
	for _, e := range h.Events {
		if (e.Change > 0 && e.At.After(upCutoff)) || (e.Change < 0 && e.At.After(downCutoff)) {
			events = append(events, e)
		}
	}
	clear(h.Events[len(events):])
	h.Events = events
}

// pruneRecs keeps, in place, the recommendations at or after cutoff (the
// inclusive cutoff of the no-behaviour window is the widest any window uses).
func pruneRecs(recs []Recommendation, cutoff time.Time) []Recommendation {
	kept := recs[:0]
	for _, r := range recs {
		if !r.At.Before(cutoff) {
			kept = append(kept, r)
		}
	}
	clear(recs[len(kept):])
	return kept
}

func longestPeriod(r ScalingRules) time.Duration {
	var d time.Duration
	for _, p := range r.Policies {
		d = max(d, p.Period.D())
	}
	return d
}

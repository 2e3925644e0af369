package core

import "math"

// This file is the HPA's replica calculator as Kubernetes computes it
// (pkg/controller/podautoscaler/replica_calculator.go): a usage ratio
// against the target, a tolerance band around 1.0 inside which nothing
// changes, and desired = ceil(ratio × pods). Pods that are not ready, or that
// report no metric, are left out of the first ratio and then filled in
// pessimistically for the direction the ratio points: on a scale-up they count
// as idle, on a scale-down missing pods count as fully busy. If that recomputed
// ratio turns back across 1.0, or lands inside the tolerance, the current count
// stays, so missing data never makes a scale larger than the data supports.

// PodUsage is one pod's reading of a resource, as the metrics API reports it.
// Usage and Request are in the same unit (e.g. millicores).
type PodUsage struct {
	Name    string
	Usage   float64
	Request float64
	// Ready is false for a pod that is not (yet) ready; its usage is ignored
	// and, on a scale-up, counted as 0 %.
	Ready bool
	// Missing is set for a pod the metrics API returned no value for; Usage is
	// then ignored. Missing takes precedence over Ready, as upstream.
	Missing bool
}

// withinTolerance reports whether ratio is inside the band in which the HPA
// does not act: 1−tolerance ≤ ratio ≤ 1+tolerance (upstream's
// Tolerances.isWithin, which is inclusive at both ends).
func withinTolerance(ratio, tolerance float64) bool {
	return 1-tolerance <= ratio && ratio <= 1+tolerance
}

// ReplicasForRatio is the HPA's core step: ceil(current × ratio), or current
// when the ratio is within the tolerance of 1.0.
func ReplicasForRatio(current int32, ratio, tolerance float64) int32 {
	return replicasForRatio(current, current, ratio, tolerance)
}

// replicasForRatio is ReplicasForRatio with the count the ratio multiplies
// (the ready pods, upstream's readyPodCount) apart from the count that stays
// when the ratio is within tolerance (spec.replicas).
func replicasForRatio(current, ready int32, ratio, tolerance float64) int32 {
	if withinTolerance(ratio, tolerance) {
		return current
	}
	return ceilReplicas(ratio * float64(ready))
}

// ceilReplicas rounds x up to a replica count, saturating instead of
// overflowing int32.
func ceilReplicas(x float64) int32 {
	c := math.Ceil(x)
	switch {
	case math.IsNaN(c) || c <= 0:
		return 0
	case c >= math.MaxInt32:
		return math.MaxInt32
	}
	return int32(c)
}

// utilizationRatio is upstream's GetResourceUtilizationRatio: the usage as a
// whole percent of the requests (integer division, as upstream computes it in
// milli-units), divided by the target percent. target is a fraction (0.70 is
// 70 %).
func utilizationRatio(usage, request, target float64) float64 {
	if request <= 0 || target <= 0 {
		return math.NaN()
	}
	// The tiny epsilon keeps 0.29×100 = 28.999999999999996 at 29 %, as the
	// integer arithmetic upstream does on milli-values gives.
	pct := math.Floor(usage*100/request + 1e-9)
	return pct / math.Round(target*100)
}

// ResourceReplicas is upstream's GetResourceReplicas for a utilization target
// (CPU or memory): targetUtilization is a fraction of the pods' requests (0.30
// is 30 %). It returns current when no ready pod has a usable reading.
func ResourceReplicas(current int32, pods []PodUsage, targetUtilization, tolerance float64) int32 {
	var (
		usage, request     float64 // ready pods with a metric
		missingRequest     float64
		unreadyRequest     float64
		ready              int32
		nMissing, nUnready int
	)
	for _, p := range pods {
		switch {
		case p.Missing:
			nMissing++
			missingRequest += p.Request
		case !p.Ready:
			nUnready++
			unreadyRequest += p.Request
		default:
			ready++
			usage += p.Usage
			request += p.Request
		}
	}
	if ready == 0 {
		return current
	}
	ratio := utilizationRatio(usage, request, targetUtilization)
	if math.IsNaN(ratio) {
		return current
	}
	scaleUpWithUnready := nUnready > 0 && ratio > 1
	if !scaleUpWithUnready && nMissing == 0 {
		return replicasForRatio(current, ready, ratio, tolerance)
	}

	// Fill in the pods left out, pessimistically for the direction.
	newUsage, newRequest, counted := usage, request, int(ready)
	if nMissing > 0 {
		switch {
		case ratio < 1:
			// Scale-down: missing pods use all of their request, or the
			// target when the target is above 100 %.
			newUsage += missingRequest * max(1, math.Round(targetUtilization*100)/100)
			newRequest += missingRequest
			counted += nMissing
		case ratio > 1:
			// Scale-up: missing pods use nothing.
			newRequest += missingRequest
			counted += nMissing
		}
	}
	if scaleUpWithUnready {
		newRequest += unreadyRequest
		counted += nUnready
	}
	newRatio := utilizationRatio(newUsage, newRequest, targetUtilization)
	if withinTolerance(newRatio, tolerance) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return current
	}
	desired := ceilReplicas(newRatio * float64(counted))
	if (newRatio < 1 && desired > current) || (newRatio > 1 && desired < current) {
		return current
	}
	return desired
}

// ValueReplicas is the HPA for an AverageValue target (a Pods metric such as
// kimiclaw_active_connections with target AverageValue 8000): the usage per
// ready pod against the target, with the tolerance on that ratio, and
// desired = ceil(total / target). total is the sum over the ready pods. It
// returns current when ready or target is not positive.
func ValueReplicas(current, ready int32, total, target, tolerance float64) int32 {
	if ready <= 0 || target <= 0 || math.IsNaN(total) || math.IsInf(total, 0) {
		return current
	}
	ratio := total / float64(ready) / target
	if withinTolerance(ratio, tolerance) {
		return current
	}
	return ceilReplicas(total / target)
}

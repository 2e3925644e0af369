package sim

import (
	"github.com/kimiclaw/kimiscale/core"
)

// hpa is the Kubernetes HPA on CPU alone, with the policy's target (the CPU
// up-threshold), tolerance, behaviour and bounds: upstream's replica
// calculator over the pods (starting pods counted as idle on a scale-up),
// then upstream's normalization. It keeps the controller's memory
// (recommendations and scale events) as the controller does.
type hpa struct {
	e      *env
	scales core.ScaleHistory
	pods   []core.PodUsage // reused every step
}

func newHPA(e *env) *hpa { return &hpa{e: e} }

func (h *hpa) decide(i int, r Reading) (int32, error) {
	now := h.e.at(i)
	h.pods = podUsages(h.pods[:0], r)
	desired := core.ResourceReplicas(r.Replicas, h.pods, h.e.threshold, h.e.policy.Tolerance)
	b := h.e.policy.Behavior
	to, _, rec := core.Normalize(core.NormalizeInput{
		Behavior: &b,
		Min:      h.e.policy.MinReplicas,
		Max:      h.e.policy.MaxReplicas,
		Current:  r.Replicas,
		Desired:  desired,
		Scales:   h.scales,
	}, now)
	h.scales.Record(rec)
	h.scales.RecordScale(r.Replicas, to, now)
	h.scales.Prune(now, b)
	return to, nil
}

// podUsages appends the pods of a reading as the metrics API would report
// them to the HPA: every ready pod at the reading's CPU utilization of a
// request of 1, every starting pod not ready.
func podUsages(dst []core.PodUsage, r Reading) []core.PodUsage {
	for i := range r.Replicas {
		if i < r.Ready {
			dst = append(dst, core.PodUsage{Usage: r.CPU, Request: 1, Ready: true})
		} else {
			dst = append(dst, core.PodUsage{Request: 1})
		}
	}
	return dst
}

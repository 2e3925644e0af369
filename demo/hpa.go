package demo

import (
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/core/sim"
	"github.com/kimiclaw/kimiscale/k8s"
)

// connectionsMetric is the seed HPA's Pods metric.
const connectionsMetric = "kimiclaw_active_connections"

// hpaTolerance is the kube-controller-manager's default
// --horizontal-pod-autoscaler-tolerance.
const hpaTolerance = 0.1

// hpaSpec is what the emulated HPA controller reads from the HPA object.
type hpaSpec struct {
	min, max int32
	behavior *core.Behavior // nil: none set
	// Targets; zero means the HPA has no such metric.
	cpu, memory float64 // average utilization, a fraction
	connections float64 // average value per pod
}

// specOf reads an autoscaling/v2 HPA. Metrics kimiscale cannot simulate
// are ignored.
func specOf(h *autoscalingv2.HorizontalPodAutoscaler) hpaSpec {
	s := hpaSpec{min: 1, max: h.Spec.MaxReplicas, behavior: k8s.HPABehavior(h.Spec.Behavior)}
	if h.Spec.MinReplicas != nil {
		s.min = *h.Spec.MinReplicas
	}
	for _, m := range h.Spec.Metrics {
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Target.AverageUtilization != nil:
			u := float64(*m.Resource.Target.AverageUtilization) / 100
			switch m.Resource.Name {
			case corev1.ResourceCPU:
				s.cpu = u
			case corev1.ResourceMemory:
				s.memory = u
			}
		case m.Type == autoscalingv2.PodsMetricSourceType && m.Pods != nil && m.Pods.Metric.Name == connectionsMetric &&
			m.Pods.Target.AverageValue != nil:
			s.connections = m.Pods.Target.AverageValue.AsApproximateFloat64()
		}
	}
	return s
}

// hpaController is the HPA controller's algorithm with its memory, on
// simulated readings.
type hpaController struct {
	scales core.ScaleHistory
	pods   []core.PodUsage
}

// hpaVerdict is one sync of the emulated controller.
type hpaVerdict struct {
	replicas int32 // what it sets
	desired  int32 // what the metrics asked for, before behaviour and bounds
	reasons  []core.Reason
}

// sync computes the replicas the HPA sets at now from reading r and
// records its memory.
func (h *hpaController) sync(s hpaSpec, r sim.Reading, now time.Time) hpaVerdict {
	if r.Replicas == 0 {
		return hpaVerdict{} // autoscaling is off at 0, as upstream
	}
	desired := int32(0)
	if s.cpu > 0 {
		h.pods = pods(h.pods[:0], r, r.CPU)
		desired = max(desired, core.ResourceReplicas(r.Replicas, h.pods, s.cpu, hpaTolerance))
	}
	if s.memory > 0 {
		h.pods = pods(h.pods[:0], r, r.Memory)
		desired = max(desired, core.ResourceReplicas(r.Replicas, h.pods, s.memory, hpaTolerance))
	}
	if s.connections > 0 {
		desired = max(desired, core.ValueReplicas(r.Replicas, r.Ready, r.Connections, s.connections, hpaTolerance))
	}
	if desired == 0 {
		desired = r.Replicas
	}
	to, reasons, rec := core.Normalize(core.NormalizeInput{
		Behavior: s.behavior, Min: s.min, Max: s.max, Current: r.Replicas, Desired: desired, Scales: h.scales,
	}, now)
	h.scales.Record(rec)
	h.scales.RecordScale(r.Replicas, to, now)
	h.scales.Prune(now, *s.behavior)
	return hpaVerdict{replicas: to, desired: desired, reasons: reasons}
}

// pods lists a reading's pods for the replica calculator: ready ones at
// utilization u of a request of 1, starting ones not ready.
func pods(dst []core.PodUsage, r sim.Reading, u float64) []core.PodUsage {
	for i := range r.Replicas {
		if i < r.Ready {
			dst = append(dst, core.PodUsage{Usage: u, Request: 1, Ready: true})
		} else {
			dst = append(dst, core.PodUsage{Request: 1})
		}
	}
	return dst
}

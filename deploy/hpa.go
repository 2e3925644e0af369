package deploy

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/core"
)

// HPA is the seed's kimiclaw-hpa for deployment in namespace, with the
// policy's bounds, targets and behaviour: what "kubectl kimiscale manifests"
// prints and what the demo cluster starts with.
func HPA(p core.Policy, namespace, deployment string) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "kimiclaw-hpa", Namespace: namespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "kimiscale"},
		},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: deployment},
			MinReplicas:    ptr.To(p.MinReplicas),
			MaxReplicas:    p.MaxReplicas,
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp:   scalingRules(p.Behavior.ScaleUp),
				ScaleDown: scalingRules(p.Behavior.ScaleDown),
			},
		},
	}
	for _, r := range p.Rules {
		switch r.Metric {
		case core.MetricCPU, core.MetricMemory:
			name := corev1.ResourceCPU
			if r.Metric == core.MetricMemory {
				name = corev1.ResourceMemory
			}
			h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{Name: name, Target: autoscalingv2.MetricTarget{
					Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(int32(r.Up*100 + 0.5)),
				}},
			})
		case core.MetricConnections:
			// The seed's Pods metric; a total-aggregated rule has no HPA
			// equivalent per pod, so it is left out rather than mistranslated.
			if r.Aggregation == core.Total {
				continue
			}
			h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{
				Type: autoscalingv2.PodsMetricSourceType,
				Pods: &autoscalingv2.PodsMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "kimiclaw_active_connections"},
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: resource.NewQuantity(int64(r.Up), resource.DecimalSI)},
				},
			})
		}
	}
	return h
}

// scalingRules is a policy's HPA behaviour for one direction.
func scalingRules(r core.ScalingRules) *autoscalingv2.HPAScalingRules {
	out := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To(int32(r.StabilizationWindow.D().Seconds()))}
	if r.SelectPolicy != "" {
		sp := autoscalingv2.ScalingPolicySelect(r.SelectPolicy)
		out.SelectPolicy = &sp
	}
	for _, pol := range r.Policies {
		out.Policies = append(out.Policies, autoscalingv2.HPAScalingPolicy{
			Type: autoscalingv2.HPAScalingPolicyType(pol.Type), Value: pol.Value, PeriodSeconds: int32(pol.Period.D().Seconds()),
		})
	}
	return out
}

package k8s

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kimiclaw/kimiscale/core"
)

// State returns the Deployment, its HPA, duckdb-config, the VPA and
// kimiscale's annotations as the watch caches hold them now: no request
// goes to the API server. A missing HPA, ConfigMap or VPA is a nil field; a
// missing Deployment is an error. An annotation kimiscale cannot parse is
// left out of the state rather than failing the whole read; it is logged at
// Warn level and kept as a sentence for Warnings, because leaving it out
// changes behaviour (an unreadable last-scale means no cooldown).
func (c *Client) State(ctx context.Context) (core.ClusterState, error) {
	if err := ctx.Err(); err != nil {
		return core.ClusterState{}, err
	}
	if !c.isSynced() {
		return core.ClusterState{}, ErrNotStarted
	}
	d := c.cachedDeployment()
	if d == nil {
		return core.ClusterState{}, fmt.Errorf("deployment %s/%s not found", c.ns, c.name)
	}
	st := core.ClusterState{
		Namespace:         c.ns,
		Deployment:        c.name,
		Replicas:          replicas(d),
		ReadyReplicas:     d.Status.ReadyReplicas,
		UpdatedReplicas:   d.Status.UpdatedReplicas,
		AvailableReplicas: d.Status.AvailableReplicas,
		ResourceVersion:   d.ResourceVersion,
		ObservedAt:        c.clock.Now(),
	}
	st.Selector = c.selectorOf(d)
	if ctr := container(d); ctr != nil {
		st.Requests = resources(ctr.Resources.Requests)
		st.Limits = resources(ctr.Resources.Limits)
	}
	var warnings []string
	c.mu.Lock()
	before := c.warnings
	c.mu.Unlock()
	warn := func(msg string) {
		if !slices.Contains(before, msg) { // once, not on every poll
			c.log.Warn(msg)
		}
		warnings = append(warnings, msg)
	}
	if raw, ok := d.Annotations[AnnotationLastScale]; ok {
		last, err := parseLastScale(raw)
		if err != nil {
			warn(fmt.Sprintf("deployment %s/%s: %v; the cooldown cannot see the last scale and does not apply until this is repaired: remove it with kubectl annotate deployment/%s %s- (the next scale writes a new one)",
				c.ns, c.name, err, c.name, AnnotationLastScale))
		} else {
			st.LastScale = last
		}
	}
	var originalMin *int32
	if h := c.cachedHPA(); h != nil {
		var hw []string
		st.HPA, hw = c.hpaState(h)
		for _, w := range hw {
			warn(w)
		}
		if raw, ok := h.Annotations[AnnotationOriginalMin]; ok {
			n, err := parseOriginalMin(raw)
			if err != nil {
				warn(originalMinRepair(c.ns, h.Name, err))
			} else {
				originalMin = &n
				st.HPA.OriginalMin = &n
			}
		}
	}
	if cm := c.cachedConfigMap(); cm != nil {
		s, err := duckDBSettings(cm)
		if err != nil {
			warn(fmt.Sprintf("configmap %s/%s is unreadable: %v", c.ns, ConfigMapName, err))
		}
		st.DuckDB = &s
	}
	st.Warnings = warnings
	c.mu.Lock()
	c.warnings, c.originalMin = warnings, originalMin
	c.mu.Unlock()
	c.mu.Lock()
	vpa := c.vpa
	c.mu.Unlock()
	if vpa != nil {
		if u := cached[unstructured.Unstructured](vpa, c.ns, VPAName); u != nil {
			st.VPA = vpaRecommendation(u)
		}
	}
	return st, nil
}

// selectorOf is d's label selector as a string, "" without one. The watch
// cache gives a new object for every change and never changes one it gave,
// so the string is kept for the selector it was parsed from, compared by
// pointer: LabelSelectorAsSelector at every poll was 1 % of the demo's idle
// CPU, and the Deployment changes far less often than it is polled.
func (c *Client) selectorOf(d *appsv1.Deployment) string {
	sel := d.Spec.Selector
	if sel == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.selector.from == sel {
		return c.selector.s
	}
	s := ""
	if ls, err := metav1.LabelSelectorAsSelector(sel); err == nil {
		s = ls.String()
	}
	c.selector = cachedSelector{from: sel, s: s}
	return s
}

// cachedSelector is the last selector selectorOf parsed, and its string.
type cachedSelector struct {
	from *metav1.LabelSelector
	s    string
}

// replicas is spec.replicas, which the API server defaults to 1.
func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// container is the kimiclaw container, or the only container of a
// single-container pod template; nil otherwise.
func container(d *appsv1.Deployment) *corev1.Container {
	cs := d.Spec.Template.Spec.Containers
	for i := range cs {
		if cs[i].Name == ContainerName {
			return &cs[i]
		}
	}
	if len(cs) == 1 {
		return &cs[0]
	}
	return nil
}

// resources converts a ResourceList's cpu and memory.
func resources(l corev1.ResourceList) core.Resources {
	var r core.Resources
	if q, ok := l[corev1.ResourceCPU]; ok {
		r.CPU = core.MilliCPU(q.MilliValue())
	}
	if q, ok := l[corev1.ResourceMemory]; ok {
		r.Memory = core.Bytes(q.Value())
	}
	return r
}

// parseLastScale reads the last-scale annotation.
func parseLastScale(raw string) (*core.LastScale, error) {
	var last core.LastScale
	if err := json.Unmarshal([]byte(raw), &last); err != nil {
		return nil, fmt.Errorf("parse %s %q: %w", AnnotationLastScale, raw, err)
	}
	if last.At.IsZero() {
		return nil, fmt.Errorf("parse %s %q: no \"at\" time", AnnotationLastScale, raw)
	}
	return &last, nil
}

// parseOriginalMin reads the original-min-replicas annotation.
func parseOriginalMin(raw string) (int32, error) {
	n, err := strconv.ParseInt(raw, 10, 32)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("parse %s %q: want a whole number of 1 or more", AnnotationOriginalMin, raw)
	}
	return int32(n), nil
}

// originalMinRepair says that an HPA's original-min-replicas annotation is
// unreadable and how to repair it by hand.
func originalMinRepair(ns, hpa string, err error) string {
	return fmt.Sprintf("hpa %s/%s: %v; its minReplicas before kimiscale moved it is unknown, so kimiscale will not move minReplicas: set minReplicas back by hand if needed (kubectl edit hpa/%s), then remove the annotation with kubectl annotate hpa/%s %s-",
		ns, hpa, err, hpa, hpa, AnnotationOriginalMin)
}

// parsePinnedFrom reads the pinned-from annotation.
func parsePinnedFrom(raw string) (*core.Bounds, error) {
	var b core.Bounds
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return nil, fmt.Errorf("parse %s %q: %w", AnnotationPinnedFrom, raw, err)
	}
	if b.Min < 1 || b.Max < b.Min {
		return nil, fmt.Errorf("parse %s %q: want 1 <= min <= max", AnnotationPinnedFrom, raw)
	}
	return &b, nil
}

// Warnings are the problems the last State call found in the cluster's
// objects (an annotation kimiscale cannot parse, an unreadable
// duckdb-config), one sentence each naming the object, the bad value and
// the repair; nil when there were none.
func (c *Client) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.warnings)
}

// OriginalMinReplicas is the HPA's minReplicas before kimiscale first
// moved it (annotation kimiscale.kimiclaw.io/original-min-replicas), as the
// last State call read it: nil when kimiscale has not moved it, there is no
// HPA, or the annotation is unreadable (then Warnings says so).
func (c *Client) OriginalMinReplicas() *int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.originalMin == nil {
		return nil
	}
	n := *c.originalMin
	return &n
}

// hpaState converts an HPA; the sentences are annotations it could not read.
func (c *Client) hpaState(h *autoscalingv2.HorizontalPodAutoscaler) (*core.HPAState, []string) {
	s := &core.HPAState{
		Name:            h.Name,
		Bounds:          bounds(h),
		CurrentReplicas: h.Status.CurrentReplicas,
		DesiredReplicas: h.Status.DesiredReplicas,
		Behavior:        HPABehavior(h.Spec.Behavior),
		ResourceVersion: h.ResourceVersion,
	}
	for _, cond := range h.Status.Conditions {
		s.Conditions = append(s.Conditions, core.Condition{
			Type:    string(cond.Type),
			Status:  string(cond.Status),
			Reason:  cond.Reason,
			Message: cond.Message,
		})
	}
	var warnings []string
	if raw, ok := h.Annotations[AnnotationPinnedFrom]; ok {
		b, err := parsePinnedFrom(raw)
		if err != nil {
			warnings = append(warnings, pinnedFromRepair(c.ns, h.Name, err))
		} else {
			s.PinnedFrom = b
		}
	}
	return s, warnings
}

// pinnedFromRepair says that an HPA's pinned-from annotation is unreadable
// and how to repair it by hand.
func pinnedFromRepair(ns, hpa string, err error) string {
	return fmt.Sprintf("hpa %s/%s: %v; its original bounds are unknown, so kimiscale will not pin, unpin or scale through it: set minReplicas and maxReplicas back by hand (kubectl edit hpa/%s), then remove the annotation with kubectl annotate hpa/%s %s-",
		ns, hpa, err, hpa, hpa, AnnotationPinnedFrom)
}

// bounds are an HPA's minReplicas (defaulted to 1) and maxReplicas.
func bounds(h *autoscalingv2.HorizontalPodAutoscaler) core.Bounds {
	b := core.Bounds{Min: 1, Max: h.Spec.MaxReplicas}
	if h.Spec.MinReplicas != nil {
		b.Min = *h.Spec.MinReplicas
	}
	return b
}

// HPABehavior converts an autoscaling/v2 behaviour to core's, filling a
// direction (or the whole behaviour) the HPA leaves out with the defaults the
// API server gives it, so the result is what the HPA controller runs.
func HPABehavior(b *autoscalingv2.HorizontalPodAutoscalerBehavior) *core.Behavior {
	up := core.ScalingRules{
		StabilizationWindow: 0,
		SelectPolicy:        core.SelectMax,
		Policies: []core.ScalingPolicy{
			{Type: core.PercentPolicy, Value: 100, Period: core.Duration(15 * time.Second)},
			{Type: core.PodsPolicy, Value: 4, Period: core.Duration(15 * time.Second)},
		},
	}
	down := core.ScalingRules{
		StabilizationWindow: core.Duration(300 * time.Second),
		SelectPolicy:        core.SelectMax,
		Policies: []core.ScalingPolicy{
			{Type: core.PercentPolicy, Value: 100, Period: core.Duration(15 * time.Second)},
		},
	}
	if b != nil {
		up = rules(b.ScaleUp, up)
		down = rules(b.ScaleDown, down)
	}
	return &core.Behavior{ScaleUp: up, ScaleDown: down}
}

// rules converts one direction's HPAScalingRules over the defaults def.
func rules(r *autoscalingv2.HPAScalingRules, def core.ScalingRules) core.ScalingRules {
	if r == nil {
		return def
	}
	out := def
	if r.StabilizationWindowSeconds != nil {
		out.StabilizationWindow = core.Duration(time.Duration(*r.StabilizationWindowSeconds) * time.Second)
	}
	if r.SelectPolicy != nil {
		out.SelectPolicy = core.SelectPolicy(*r.SelectPolicy)
	}
	if len(r.Policies) > 0 {
		out.Policies = make([]core.ScalingPolicy, 0, len(r.Policies))
		for _, p := range r.Policies {
			out.Policies = append(out.Policies, core.ScalingPolicy{
				Type:   core.PolicyType(p.Type),
				Value:  p.Value,
				Period: core.Duration(time.Duration(p.PeriodSeconds) * time.Second),
			})
		}
	}
	return out
}

// duckDBSettings reads duckdb-config's memory_limit and threads. A threads
// value that is not a number is reported as an error but the rest is kept.
func duckDBSettings(cm *corev1.ConfigMap) (core.DuckDBSettings, error) {
	s := core.DuckDBSettings{
		MemoryLimit:     strings.TrimSpace(cm.Data["memory_limit"]),
		ResourceVersion: cm.ResourceVersion,
	}
	if raw := strings.TrimSpace(cm.Data["threads"]); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return s, fmt.Errorf("configmap %s: threads %q is not a whole number: %w", cm.Name, raw, err)
		}
		s.Threads = n
	}
	return s, nil
}

// vpaRecommendation reads the recommendation for container kimiclaw (or the
// only one) from a VPA's status; nil when it has none yet.
func vpaRecommendation(u *unstructured.Unstructured) *core.VPARecommendation {
	recs, _, _ := unstructured.NestedSlice(u.Object, "status", "recommendation", "containerRecommendations")
	var pick map[string]any
	for _, r := range recs {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if m["containerName"] == ContainerName || (pick == nil && len(recs) == 1) {
			pick = m
		}
	}
	if pick == nil {
		return nil
	}
	read := func(key string) core.Resources {
		m, _, _ := unstructured.NestedStringMap(pick, key)
		var r core.Resources
		if q, err := resource.ParseQuantity(m["cpu"]); err == nil {
			r.CPU = core.MilliCPU(q.MilliValue())
		}
		if q, err := resource.ParseQuantity(m["memory"]); err == nil {
			r.Memory = core.Bytes(q.Value())
		}
		return r
	}
	return &core.VPARecommendation{Target: read("target"), LowerBound: read("lowerBound"), UpperBound: read("upperBound")}
}

// Events lists kimiscale's writes recorded as Events on the Deployment
// since t, by any console, oldest first, from the watch cache.
func (c *Client) Events(ctx context.Context, since time.Time) ([]core.ClusterEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !c.isSynced() {
		return nil, ErrNotStarted
	}
	type named struct {
		ev   core.ClusterEvent
		name string
	}
	var found []named
	for _, obj := range c.events.GetStore().List() {
		ev, ok := obj.(*corev1.Event)
		if !ok || !c.isOurs(ev) {
			continue
		}
		at := eventTime(ev)
		if at.Before(since) {
			continue
		}
		by := ev.Annotations[AnnotationBy]
		if by == "" {
			by = ev.ReportingInstance
		}
		found = append(found, named{core.ClusterEvent{At: at, Reason: ev.Reason, Message: ev.Message, By: by}, ev.Name})
	}
	// Oldest first; ties by name, which for kimiscale's Events starts with
	// the nanosecond time, so the order is stable.
	sort.Slice(found, func(i, j int) bool {
		if !found[i].ev.At.Equal(found[j].ev.At) {
			return found[i].ev.At.Before(found[j].ev.At)
		}
		return found[i].name < found[j].name
	})
	out := make([]core.ClusterEvent, len(found))
	for i, f := range found {
		out[i] = f.ev
	}
	return out, nil
}

// isOurs reports whether ev is a kimiscale Event on the Deployment (the
// fake clientset ignores field selectors, so this is checked here too).
func (c *Client) isOurs(ev *corev1.Event) bool {
	return ev.InvolvedObject.Kind == "Deployment" && ev.InvolvedObject.Name == c.name &&
		(ev.Source.Component == Component || ev.ReportingController == Component)
}

// eventTime is when an Event happened: its EventTime (microseconds, which
// kimiscale sets), else its last, first or creation timestamp (seconds).
func eventTime(ev *corev1.Event) time.Time {
	switch {
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp.Time
	}
	return ev.CreationTimestamp.Time
}

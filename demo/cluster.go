package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/core/sim"
	"github.com/kimiclaw/kimiscale/k8s/k8sfake"
)

// Defaults of Options.
const (
	// DefaultSpeed is one trace minute per wall second.
	DefaultSpeed = 60.0
	// DefaultWarmup is the history replayed before the start: two daily
	// seasons, what Holt-Winters needs.
	DefaultWarmup = 48 * time.Hour
	// Step is how often the cluster advances: the HPA's sync period and the
	// dashboard's default poll interval.
	Step = 15 * time.Second
	// ringExtra is how much live history the cluster keeps beyond the
	// warm-up, for Backfill after a long run.
	ringExtra = 24 * time.Hour
)

// DefaultStart is where in the embedded trace the demo starts:
// 1995-07-13T12:00Z, 1 h 49 min before the launch spike.
const DefaultStart = 12*24*time.Hour + 8*time.Hour

// Options configure a Cluster. Zero values take the documented defaults.
type Options struct {
	// Speed is simulated seconds per wall second; zero means DefaultSpeed.
	Speed float64
	// Start is the offset into the trace where the demo starts; zero means
	// DefaultStart for the embedded trace and the trace's start plus the
	// warm-up otherwise.
	Start time.Duration
	// Namespace and Deployment name the objects; empty means "default" and
	// "kimiclaw-db".
	Namespace  string
	Deployment string
	// Clock is the wall clock the simulation runs against; nil means the
	// real clock. Tests pass a fake clock and step it.
	Clock clock.Clock
	// Trace replaces the embedded NASA trace (time-ordered demand samples).
	Trace []core.Sample
	// Capacity is the demand one replica serves at 100 % CPU; zero means
	// the trace's peak / (the HPA's max replicas × its CPU target), as
	// core/sim's default.
	Capacity float64
	// Startup is how long a new pod takes to become ready; zero means 60 s.
	Startup time.Duration
	// Warmup is the history replayed before Start for Backfill; zero means
	// DefaultWarmup (less when the trace has less before Start).
	Warmup time.Duration
}

// Cluster is the embedded demo cluster. Its methods are safe for concurrent
// use: Run (or Advance) steps it while the dashboard reads the clientset and
// the metrics.
type Cluster struct {
	ns, name string
	cs       *fake.Clientset
	wall     clock.Clock
	clock    simClock
	trace    loop
	startup  time.Duration

	stepMu sync.Mutex // serializes steps; guards the fields below
	model  *sim.Model
	hpa    hpaController
	next   time.Time // the next step's simulated time
	pods   []podState
	podSeq int
	// rev counts pod template changes (restarts); template is the last
	// restartedAt seen; surge is the rollout's extra pod, nil when none.
	rev      int
	template string
	surge    *surgePod
	// dep and hpaObj are the Deployment and the HPA as last read.
	dep    readCache[appsv1.Deployment]
	hpaObj readCache[autoscalingv2.HorizontalPodAutoscaler]
	// spec is specOf the HPA as last read.
	spec hpaSpec

	mu   sync.Mutex // guards ring and subs
	ring *ring
	subs map[chan stepRecord]struct{}
}

// stepRecord is what one step saw and did, for Headless.
type stepRecord struct {
	sim.Reading // at the step, before the HPA's sync; Replicas is spec.replicas
	// hpa is "desired [min..max]" of the HPA's sync, "" without an HPA.
	hpa string
	// lastScale is the Deployment's last-scale annotation.
	lastScale string
}

type podState struct {
	name  string
	ready bool
	rev   int // the pod template revision it was created from
}

// surgePod is the extra pod of a rolling restart.
type surgePod struct {
	name    string
	readyAt time.Time
}

// restartedAtAnnotation is what kubectl rollout restart (and kimiscale's
// DuckDB apply) sets on the pod template.
const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// New builds the cluster: it replays the warm-up, seeds the clientset and
// takes the first step at the start.
func New(opts Options) (*Cluster, error) {
	if opts.Speed == 0 {
		opts.Speed = DefaultSpeed
	}
	if !(opts.Speed > 0) || math.IsInf(opts.Speed, 0) {
		return nil, fmt.Errorf("demo speed %v: want a positive number of simulated seconds per wall second (default 60)", opts.Speed)
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Deployment == "" {
		opts.Deployment = "kimiclaw-db"
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Startup == 0 {
		opts.Startup = sim.DefaultStartup
	}
	if opts.Warmup == 0 {
		opts.Warmup = DefaultWarmup
	}
	if opts.Startup < 0 || opts.Warmup < 0 || opts.Start < 0 {
		return nil, errors.New("demo startup, warm-up and start must not be negative")
	}
	samples := opts.Trace
	if samples == nil {
		var err error
		if samples, err = Trace(); err != nil {
			return nil, err
		}
		if opts.Start == 0 {
			opts.Start = DefaultStart
		}
	} else if opts.Start == 0 {
		opts.Start = opts.Warmup
	}
	tr, err := newLoop(samples)
	if err != nil {
		return nil, fmt.Errorf("demo trace: %w", err)
	}

	now := opts.Clock.Now()
	c := &Cluster{
		ns: opts.Namespace, name: opts.Deployment, wall: opts.Clock, trace: tr, startup: opts.Startup,
		subs: map[chan stepRecord]struct{}{},
	}
	start := tr.start.Add(opts.Start).Truncate(Step)
	c.clock = simClock{wall: opts.Clock, wallStart: now, simStart: start, speed: opts.Speed}

	objs := objects(c.ns, c.name, 0, start)
	hpaObj := objs[1].(*autoscalingv2.HorizontalPodAutoscaler)
	spec := specOf(hpaObj)
	capacity := opts.Capacity
	if capacity == 0 {
		capacity = tr.peak() / (float64(spec.max) * spec.cpu)
	}
	if !(capacity > 0) {
		return nil, errors.New("demo trace has no positive demand: pass a capacity")
	}

	// Warm-up: the same steps without the clientset.
	from := start.Add(-opts.Warmup)
	if from.Before(tr.start) {
		from = tr.start.Add(start.Sub(tr.start) % Step)
	}
	initial := min(max(int32(math.Ceil(tr.demand(from)/(capacity*spec.cpu)-1e-9)), spec.min), spec.max)
	c.model, err = sim.NewModel(capacity, opts.Startup, initial, from)
	if err != nil {
		return nil, fmt.Errorf("demo model: %w", err)
	}
	c.ring = newRing(int((opts.Warmup + ringExtra) / Step))
	for t := from; t.Before(start); t = t.Add(Step) {
		r := c.model.Observe(tr.demand(t), t)
		v := c.hpa.sync(spec, r, t)
		if v.replicas > 0 && v.replicas != r.Replicas {
			if err := c.model.Scale(v.replicas, t); err != nil {
				return nil, fmt.Errorf("demo warm-up: %w", err)
			}
		}
		c.ring.push(r)
	}

	dep := objs[0].(*appsv1.Deployment)
	dep.Spec.Replicas = ptr.To(c.model.Replicas())
	c.cs = newClientset(objs...)
	c.cs.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		switch a.GetVerb() {
		case "get", "list", "watch":
			return false, nil, nil
		}
		switch a.GetResource().Resource {
		case "deployments":
			c.dep.changed.Store(true)
		case "horizontalpodautoscalers":
			c.hpaObj.changed.Store(true)
		}
		return false, nil, nil
	})
	c.next = start
	if err := c.Advance(context.Background(), start); err != nil {
		return nil, err
	}
	return c, nil
}

// newClientset is k8sfake.NewClientset on the simple object tracker.
//
// fake.NewClientset's field-managed tracker rebuilds a RESTMapper on every
// write: about 4 ms a write, against 40 µs here, and the demo writes a few
// times every 250 ms at the default speed. kimiscale sends merge and
// strategic-merge patches only, which the simple tracker supports, so the
// deprecated constructor is the right one here.
func newClientset(objs ...runtime.Object) *fake.Clientset {
	cs := fake.NewSimpleClientset(objs...) //nolint:staticcheck // see above: NewClientset costs 100x per write
	k8sfake.AddResourceVersionReactors(cs,
		appsv1.SchemeGroupVersion.WithResource("deployments"),
		autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers"),
		corev1.SchemeGroupVersion.WithResource("configmaps"),
		coordinationv1.SchemeGroupVersion.WithResource("leases"),
	)
	k8sfake.AddScaleReactors(cs)
	// The person at the demo may do everything, as a cluster-admin may.
	k8sfake.AddAccessReactor(cs)
	cs.PrependReactor("update", "horizontalpodautoscalers", statusReactor(cs.Tracker(),
		func(stored, sent *autoscalingv2.HorizontalPodAutoscaler) { stored.Status = *sent.Status.DeepCopy() }))
	cs.PrependReactor("update", "deployments", statusReactor(cs.Tracker(),
		func(stored, sent *appsv1.Deployment) { stored.Status = *sent.Status.DeepCopy() }))
	return cs
}

// statusReactor makes an update of the status subresource of a P (an HPA,
// a Deployment) change its status only, as the API server does: setStatus
// copies it from the object sent to the one stored. The fake stores the
// whole object sent, so a spec written after the emulated controller read
// the object (a pin, say) would be lost. An update is also what the
// controllers send, and it costs a deep copy where a merge patch of the
// status cost two JSON round trips: 6 % of the demo's CPU in a perf
// profile for the HPA's alone.
func statusReactor[T any, P interface {
	*T
	runtime.Object
	metav1.Object
}](tracker k8stesting.ObjectTracker, setStatus func(stored, sent P)) k8stesting.ReactionFunc {
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		u, ok := a.(k8stesting.UpdateAction)
		if !ok || a.GetSubresource() != "status" {
			return false, nil, nil
		}
		sent, ok := u.GetObject().(P)
		if !ok {
			return false, nil, nil
		}
		obj, err := tracker.Get(a.GetResource(), a.GetNamespace(), sent.GetName())
		if err != nil {
			return true, nil, err
		}
		stored, ok := obj.(P)
		if !ok {
			return true, nil, fmt.Errorf("%s %s is a %T", a.GetResource().Resource, sent.GetName(), obj)
		}
		setStatus(stored, sent)
		if err := tracker.Update(a.GetResource(), stored, a.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, stored, nil
	}
}

// Clientset is the fake clientset holding the demo's objects; give it to
// k8s.New as the real code's client.
func (c *Cluster) Clientset() *fake.Clientset { return c.cs }

// Clock is the simulated time the dashboard must use as now.
func (c *Cluster) Clock() clock.PassiveClock { return c.clock }

// Namespace and Deployment name the demo's Deployment.
func (c *Cluster) Namespace() string { return c.ns }

// Deployment is the demo Deployment's name.
func (c *Cluster) Deployment() string { return c.name }

// Run advances the cluster with the simulated clock until ctx ends: it
// sleeps on the wall clock until the next 15 s step is due, then takes
// every step due. It returns nil when ctx ends, or the error of a step.
func (c *Cluster) Run(ctx context.Context) error {
	for {
		now := c.clock.Now()
		if err := c.Advance(ctx, now); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		c.stepMu.Lock()
		next := c.next
		c.stepMu.Unlock()
		wait := time.Duration(float64(next.Sub(now)) / c.clock.speed)
		timer := c.wall.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C():
		}
	}
}

// Advance takes every 15 s step due up to the simulated time to. Run calls
// it; tests call it directly to step the cluster without a clock.
func (c *Cluster) Advance(ctx context.Context, to time.Time) error {
	c.stepMu.Lock()
	defer c.stepMu.Unlock()
	for !c.next.After(to) {
		if err := c.step(ctx, c.next); err != nil {
			return fmt.Errorf("demo step at %s: %w", c.next.Format(time.RFC3339), err)
		}
		c.next = c.next.Add(Step)
	}
	return nil
}

// step is one 15 s step at t; stepMu is held.
func (c *Cluster) step(ctx context.Context, t time.Time) error {
	defer c.cs.ClearActions() // the fake's record of actions would grow forever
	dep, err := c.dep.get(func() (*appsv1.Deployment, error) {
		return c.cs.AppsV1().Deployments(c.ns).Get(ctx, c.name, metav1.GetOptions{})
	})
	if err == nil && dep == nil {
		err = fmt.Errorf("deployment %s not found", c.name)
	}
	if err != nil {
		return fmt.Errorf("get deployment: %w", err)
	}
	if tmpl := dep.Spec.Template.Annotations[restartedAtAnnotation]; tmpl != c.template {
		c.template = tmpl
		c.rev++
	}
	spec := ptr.Deref(dep.Spec.Replicas, 1)
	if spec != c.model.Replicas() {
		if err := c.model.Scale(spec, t); err != nil {
			return fmt.Errorf("deployment %s: %w", c.name, err)
		}
	}
	r := c.model.Observe(c.trace.demand(t), t)

	hpa, err := c.syncHPA(ctx, r, t)
	if err != nil {
		return err
	}
	if err := c.syncPods(ctx, t); err != nil {
		return err
	}
	if err := c.rollPods(ctx, t); err != nil {
		return err
	}
	if err := c.syncStatus(ctx, dep, t); err != nil {
		return err
	}
	c.publish(stepRecord{Reading: r, hpa: hpa, lastScale: dep.Annotations[lastScaleAnnotation]})
	return nil
}

// syncHPA is the HPA controller's sync: it computes the replicas, writes
// them through the scale subresource, and writes the HPA's status. It
// returns the HPA's verdict as "desired [min..max]", "" without an HPA.
func (c *Cluster) syncHPA(ctx context.Context, r sim.Reading, t time.Time) (string, error) {
	h, err := c.hpaObj.get(func() (*autoscalingv2.HorizontalPodAutoscaler, error) {
		h, err := c.cs.AutoscalingV2().HorizontalPodAutoscalers(c.ns).Get(ctx, HPAName, metav1.GetOptions{})
		if err == nil {
			c.spec = specOf(h) // parsed once per read
		}
		return h, err
	})
	if err != nil {
		return "", fmt.Errorf("get hpa: %w", err)
	}
	if h == nil {
		return "", nil // no HPA: replicas are whatever is written
	}
	ref := h.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || ref.Name != c.name {
		return "", nil
	}
	spec := c.spec
	v := c.hpa.sync(spec, r, t)
	verdict := fmt.Sprintf("%d [%d..%d]", v.replicas, spec.min, spec.max)
	scaled := false
	if v.replicas > 0 && v.replicas != r.Replicas {
		patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, v.replicas)
		_, err := c.cs.AppsV1().Deployments(c.ns).Patch(ctx, c.name, types.MergePatchType, patch, metav1.PatchOptions{}, "scale")
		switch {
		case apierrors.IsConflict(err):
			// Someone wrote meanwhile; the next sync sees it.
		case err != nil:
			return "", fmt.Errorf("hpa scale deployment: %w", err)
		default:
			if err := c.model.Scale(v.replicas, t); err != nil {
				return "", fmt.Errorf("hpa scale: %w", err)
			}
			scaled = true
		}
	}
	st := hpaStatus(h, r, v, scaled, t)
	if hpaStatusEqual(st, h.Status) {
		return verdict, nil // as the HPA controller, write only a changed status
	}
	// As the HPA controller, an update of the status subresource (which
	// statusReactor gives the API server's meaning).
	upd := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: HPAName, Namespace: c.ns}, Status: st}
	if _, err := c.cs.AutoscalingV2().HorizontalPodAutoscalers(c.ns).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return "", fmt.Errorf("update hpa status: %w", err)
	}
	return verdict, nil
}

// hpaStatus is the status the HPA controller writes after a sync, without
// currentMetrics: kimiscale reads the replicas and the conditions, not the
// utilization the HPA saw (it has its own metrics), and since the
// utilization changes at nearly every 15 s sync, writing it made every sync
// a status write, watched by the dashboard's informer: an eighth of the
// demo's idle CPU (1.73 → 1.53 % of a core). Without it the status changes
// when the HPA's verdict does.
func hpaStatus(h *autoscalingv2.HorizontalPodAutoscaler, r sim.Reading, v hpaVerdict, scaled bool, t time.Time) autoscalingv2.HorizontalPodAutoscalerStatus {
	st := autoscalingv2.HorizontalPodAutoscalerStatus{
		ObservedGeneration: ptr.To(h.Generation),
		LastScaleTime:      h.Status.LastScaleTime,
		CurrentReplicas:    r.Replicas,
		DesiredReplicas:    v.replicas,
	}
	if scaled {
		st.LastScaleTime = ptr.To(metav1.NewTime(t))
	}
	able := condition(autoscalingv2.AbleToScale, corev1.ConditionTrue, "ReadyForNewScale", "recommended size matches current size")
	if scaled {
		able = condition(autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededRescale",
			fmt.Sprintf("the HPA controller was able to update the target scale to %d", v.replicas))
	}
	limited := condition(autoscalingv2.ScalingLimited, corev1.ConditionFalse, "DesiredWithinRange",
		"the desired count is within the acceptable range")
	for _, rs := range v.reasons {
		msg := upstreamMessage(rs.Code)
		if msg == "" {
			continue
		}
		switch rs.Code {
		case core.ReasonScaleUpStabilized, core.ReasonScaleDownStabilized:
			able = condition(autoscalingv2.AbleToScale, corev1.ConditionTrue, string(rs.Code), msg)
		default:
			limited = condition(autoscalingv2.ScalingLimited, corev1.ConditionTrue, string(rs.Code), msg)
		}
	}
	active := condition(autoscalingv2.ScalingActive, corev1.ConditionTrue, "ValidMetricFound",
		"the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)")
	for _, cond := range []autoscalingv2.HorizontalPodAutoscalerCondition{able, active, limited} {
		cond.LastTransitionTime = metav1.NewTime(t)
		for _, old := range h.Status.Conditions {
			if old.Type == cond.Type && old.Status == cond.Status {
				cond.LastTransitionTime = old.LastTransitionTime
			}
		}
		st.Conditions = append(st.Conditions, cond)
	}
	return st
}

// hpaStatusEqual says whether the status hpaStatus built equals the live
// one, as apiequality.Semantic.DeepEqual would (times by Equal, a nil and
// an empty slice alike) for the fields hpaStatus writes; it leaves
// currentMetrics out, so a live status with any is unequal. DeepEqual's
// reflection was 3 % of the demo's idle CPU, at a comparison every step.
func hpaStatusEqual(a, b autoscalingv2.HorizontalPodAutoscalerStatus) bool {
	if ptr.Deref(a.ObservedGeneration, -1) != ptr.Deref(b.ObservedGeneration, -1) ||
		a.CurrentReplicas != b.CurrentReplicas || a.DesiredReplicas != b.DesiredReplicas ||
		len(a.CurrentMetrics)+len(b.CurrentMetrics) != 0 || len(a.Conditions) != len(b.Conditions) ||
		(a.LastScaleTime == nil) != (b.LastScaleTime == nil) ||
		(a.LastScaleTime != nil && !a.LastScaleTime.Equal(b.LastScaleTime)) {
		return false
	}
	for i, c := range a.Conditions {
		d := b.Conditions[i]
		if c.Type != d.Type || c.Status != d.Status || c.Reason != d.Reason || c.Message != d.Message ||
			!c.LastTransitionTime.Equal(&d.LastTransitionTime) {
			return false
		}
	}
	return true
}

// upstreamMessage is the HPA controller's condition message (its
// horizontal.go) for a reason the emulated HPA reports, "" for another.
// It is a fixed sentence, as upstream's; core's sentences carry the
// numbers, and with them the status was written again when only a number
// in a message changed (50 status writes in the demo's first hour, 46
// with these).
func upstreamMessage(code core.ReasonCode) string {
	switch code {
	case core.ReasonScaleUpStabilized:
		return "recent recommendations were lower than current one, applying the lowest recent recommendation"
	case core.ReasonScaleDownStabilized:
		return "recent recommendations were higher than current one, applying the highest recent recommendation"
	case core.ReasonTooFewReplicas:
		return "the desired replica count is less than the minimum replica count"
	case core.ReasonTooManyReplicas:
		return "the desired replica count is more than the maximum replica count"
	case core.ReasonScaleUpLimit:
		return "the desired replica count is increasing faster than the maximum scale rate"
	case core.ReasonScaleDownLimit:
		return "the desired replica count is decreasing faster than the maximum scale rate"
	}
	return ""
}

func condition(typ autoscalingv2.HorizontalPodAutoscalerConditionType, s corev1.ConditionStatus, reason, msg string) autoscalingv2.HorizontalPodAutoscalerCondition {
	return autoscalingv2.HorizontalPodAutoscalerCondition{Type: typ, Status: s, Reason: reason, Message: msg}
}

// syncStatus writes the Deployment's status when it differs from the one
// read at the step's start (the Deployment is read again after every write,
// this one included).
func (c *Cluster) syncStatus(ctx context.Context, dep *appsv1.Deployment, t time.Time) error {
	ready := c.model.Ready(t)
	var updated, surge int32
	for _, p := range c.pods {
		if p.rev == c.rev {
			updated++
		}
	}
	if c.surge != nil {
		surge, updated = 1, updated+1
	}
	st := appsv1.DeploymentStatus{
		ObservedGeneration:  dep.Generation,
		Replicas:            c.model.Replicas() + surge,
		UpdatedReplicas:     updated,
		ReadyReplicas:       ready,
		AvailableReplicas:   ready,
		UnavailableReplicas: c.model.Replicas() - ready,
	}
	if cur := dep.Status; st.ObservedGeneration == cur.ObservedGeneration && st.Replicas == cur.Replicas &&
		st.UpdatedReplicas == cur.UpdatedReplicas && st.ReadyReplicas == cur.ReadyReplicas &&
		st.AvailableReplicas == cur.AvailableReplicas && st.UnavailableReplicas == cur.UnavailableReplicas {
		return nil
	}
	upd := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: c.name, Namespace: c.ns}, Status: st}
	if _, err := c.cs.AppsV1().Deployments(c.ns).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update deployment status: %w", err)
	}
	return nil
}

// syncPods creates, deletes and readies pods to match the model: pods are
// kept oldest first, as the model keeps its replicas, and go newest first.
func (c *Cluster) syncPods(ctx context.Context, t time.Time) error {
	pods := c.cs.CoreV1().Pods(c.ns)
	readyAt := c.model.ReadyTimes(nil)
	for len(c.pods) > len(readyAt) {
		p := c.pods[len(c.pods)-1]
		if err := pods.Delete(ctx, p.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete pod %s: %w", p.name, err)
		}
		c.pods = c.pods[:len(c.pods)-1]
	}
	for i, at := range readyAt {
		ready := !at.After(t)
		if i >= len(c.pods) {
			name := podName(c.name, c.podSeq)
			c.podSeq++
			if _, err := pods.Create(ctx, pod(c.ns, c.name, name, at.Add(-c.startup), ready), metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("create pod %s: %w", name, err)
			}
			c.pods = append(c.pods, podState{name: name, ready: ready, rev: c.rev})
			continue
		}
		if c.pods[i].ready != ready {
			if _, err := pods.UpdateStatus(ctx, pod(c.ns, c.name, c.pods[i].name, at.Add(-c.startup), ready), metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("ready pod %s: %w", c.pods[i].name, err)
			}
			c.pods[i].ready = ready
		}
	}
	return nil
}

// rollPods replaces the pods of an older template one at a time, as a
// rolling update with maxSurge 1 and maxUnavailable 0 does: a new pod starts
// beside the replicas, and once it is ready it takes the place of the oldest
// pod of an older template, which goes. Every replica keeps serving
// throughout, so the simulated load does not change; the pods and the
// Deployment's updatedReplicas show the rollout.
func (c *Cluster) rollPods(ctx context.Context, t time.Time) error {
	pods := c.cs.CoreV1().Pods(c.ns)
	old := -1
	for i, p := range c.pods {
		if p.rev != c.rev {
			old = i
			break
		}
	}
	switch {
	case c.surge == nil && old < 0:
		return nil
	case c.surge == nil:
		name := podName(c.name, c.podSeq)
		c.podSeq++
		if _, err := pods.Create(ctx, pod(c.ns, c.name, name, t, false), metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create pod %s: %w", name, err)
		}
		c.surge = &surgePod{name: name, readyAt: t.Add(c.startup)}
		return nil
	case c.surge.readyAt.After(t):
		return nil
	}
	surge := c.surge
	c.surge = nil
	if old < 0 { // scaled down meanwhile: nothing left to replace
		if err := pods.Delete(ctx, surge.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete pod %s: %w", surge.name, err)
		}
		return nil
	}
	prev := c.pods[old]
	if _, err := pods.UpdateStatus(ctx, pod(c.ns, c.name, surge.name, surge.readyAt.Add(-c.startup), prev.ready), metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("ready pod %s: %w", surge.name, err)
	}
	if err := pods.Delete(ctx, prev.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s: %w", prev.name, err)
	}
	c.pods[old] = podState{name: surge.name, ready: prev.ready, rev: c.rev}
	return nil
}

// publish records a step and hands it to the subscribers that keep up.
func (c *Cluster) publish(r stepRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ring.push(r.Reading)
	for ch := range c.subs {
		select {
		case ch <- r:
		default: // a slow subscriber misses a step rather than stall the cluster
		}
	}
}

// subscribe returns a channel that receives every step, and a function
// that ends the subscription.
func (c *Cluster) subscribe() (<-chan stepRecord, func()) {
	ch := make(chan stepRecord, 64)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}
}

// Latest is the newest simulated reading.
func (c *Cluster) Latest() sim.Reading {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, _ := c.ring.last()
	return r
}

// readCache keeps an object a step reads between writes to it. Reading the
// Deployment and the HPA at every step, deep copies through the fake
// clientset and all, was a fifth of the demo's idle CPU, and they change a
// few times an hour. A reactor sets changed on every write sent for the
// object's resource (one that fails or is a dry run too: one more read,
// never a missed write), and the next get reads it again. Steps hold
// stepMu, which guards obj and read.
type readCache[T any] struct {
	changed atomic.Bool
	read    bool
	obj     *T // nil: not found
}

// get returns the object as last read, reading it with fetch first when it
// was written since (or never read). NotFound is a nil object.
func (rc *readCache[T]) get(fetch func() (*T, error)) (*T, error) {
	if rc.changed.Swap(false) || !rc.read {
		obj, err := fetch()
		if apierrors.IsNotFound(err) {
			obj, err = nil, nil
		}
		if err != nil {
			rc.changed.Store(true)
			return nil, err
		}
		rc.obj, rc.read = obj, true
	}
	return rc.obj, nil
}

// simClock is simulated time: speed times as fast as the wall clock, from
// simStart at wallStart. It is immutable, so safe for concurrent use.
type simClock struct {
	wall      clock.PassiveClock
	wallStart time.Time
	simStart  time.Time
	speed     float64
}

// Now implements clock.PassiveClock.
func (s simClock) Now() time.Time {
	return s.simStart.Add(time.Duration(float64(s.wall.Since(s.wallStart)) * s.speed))
}

// Since implements clock.PassiveClock.
func (s simClock) Since(t time.Time) time.Duration { return s.Now().Sub(t) }

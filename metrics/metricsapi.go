package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	"k8s.io/utils/clock"

	"github.com/kimiclaw/kimiscale/core"
)

// UnavailableWithoutPrometheus is the detail of the QPS and connections
// readings of the metrics.k8s.io source.
const UnavailableWithoutPrometheus = "not available without Prometheus (metrics.k8s.io has CPU and memory only)"

// ErrNoHistory is returned by MetricsAPI.Backfill: metrics.k8s.io serves only
// the latest sample, so the history (and the forecast) starts with the first
// polls.
var ErrNoHistory = errors.New("metrics.k8s.io keeps no history: the charts and the forecast start from the first polls")

// PodMetricsLister lists the PodMetrics of one namespace;
// metricsclientset.Interface.MetricsV1beta1().PodMetricses(ns) is one.
type PodMetricsLister interface {
	List(ctx context.Context, opts metav1.ListOptions) (*metricsv1beta1.PodMetricsList, error)
}

// PodLister lists the pods of one namespace; corev1client.PodInterface is one.
type PodLister interface {
	List(ctx context.Context, opts metav1.ListOptions) (*corev1.PodList, error)
}

// MetricsAPIConfig says where the metrics.k8s.io source reads.
type MetricsAPIConfig struct {
	// PodMetrics and Pods list in the Deployment's namespace.
	PodMetrics PodMetricsLister
	Pods       PodLister
	// Namespace names the namespace in details; the listers are already
	// bound to it.
	Namespace string
	// Selector is the Deployment's label selector, e.g. "app=kimiclaw-db".
	Selector string
	// Container is the container read in every pod (default "kimiclaw").
	Container string
	// Timeout bounds one poll (default DefaultTimeout).
	Timeout time.Duration
	// Clock stamps the snapshot and the unavailable readings.
	Clock clock.PassiveClock
}

// MetricsAPI reads CPU and memory utilization from metrics.k8s.io
// (metrics-server) when no Prometheus is given. QPS and connections are
// always ReadingUnavailable, never 0.
type MetricsAPI struct {
	cfg      MetricsAPIConfig
	selector string
}

// NewMetricsAPI validates cfg and returns the source.
func NewMetricsAPI(cfg MetricsAPIConfig) (*MetricsAPI, error) {
	var errs []error
	if cfg.PodMetrics == nil {
		errs = append(errs, errors.New("no PodMetrics lister"))
	}
	if cfg.Pods == nil {
		errs = append(errs, errors.New("no pod lister"))
	}
	sel, err := labels.Parse(cfg.Selector)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("selector %q: %w", cfg.Selector, err))
	case sel.Empty():
		errs = append(errs, errors.New("selector is empty: it would read every pod of the namespace; give the Deployment's selector, e.g. app=kimiclaw-db"))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative: want a positive duration such as 5s", cfg.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics.k8s.io source: %w", err)
	}
	if cfg.Container == "" {
		cfg.Container = DefaultContainer
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &MetricsAPI{cfg: cfg, selector: sel.String()}, nil
}

// Poll lists the Deployment's running pods and their PodMetrics and returns
// CPU and memory as the sum of container usage over the sum of its requests
// (the HPA's utilization), over the pods that have metrics. A reading's
// timestamp is the oldest sample among those pods. QPS and connections are
// unavailable. Poll returns an error only when ctx ended.
func (s *MetricsAPI) Poll(ctx context.Context) (core.Snapshot, error) {
	now := s.cfg.Clock.Now()
	snap := core.Snapshot{At: now, Readings: map[core.Metric]core.Reading{
		core.MetricQPS:         {At: now, State: core.ReadingUnavailable, Detail: UnavailableWithoutPrometheus},
		core.MetricConnections: {At: now, State: core.ReadingUnavailable, Detail: UnavailableWithoutPrometheus},
	}}
	cpu, mem := s.read(ctx, now)
	snap.Readings[core.MetricCPU] = cpu
	snap.Readings[core.MetricMemory] = mem
	if err := ctx.Err(); err != nil {
		return snap, fmt.Errorf("poll metrics.k8s.io: %w", err)
	}
	return snap, nil
}

// read returns the CPU and memory readings.
func (s *MetricsAPI) read(ctx context.Context, now time.Time) (cpu, mem core.Reading) {
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	fail := func(detail string) (core.Reading, core.Reading) {
		r := core.Reading{At: now, State: core.ReadingError, Detail: detail}
		return r, r
	}
	empty := func(detail string) (core.Reading, core.Reading) {
		r := core.Reading{At: now, State: core.ReadingEmpty, Detail: detail}
		return r, r
	}
	opts := metav1.ListOptions{LabelSelector: s.selector}
	pods, err := s.cfg.Pods.List(qctx, opts)
	if err != nil {
		return fail("list pods: " + s.describe(ctx, err))
	}
	pms, err := s.cfg.PodMetrics.List(qctx, opts)
	if err != nil {
		return fail(s.describe(ctx, err))
	}
	where := fmt.Sprintf("pods matching %s in namespace %q", s.selector, s.cfg.Namespace)
	usage := make(map[string]metricsv1beta1.PodMetrics, len(pms.Items))
	for _, pm := range pms.Items {
		usage[pm.Name] = pm
	}
	var (
		running                            int
		cpuUse, cpuReq, memUse, memReq     float64
		oldest                             time.Time
		withMetrics                        int
		cpuMissingRequest, memMissingReqst string
	)
	for _, pod := range pods.Items {
		if pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
			continue
		}
		running++
		pm, ok := usage[pod.Name]
		if !ok {
			continue // a new pod metrics-server has not sampled yet
		}
		cu, ok := containerUsage(pm, s.cfg.Container)
		if !ok {
			continue
		}
		spec, ok := containerSpec(pod, s.cfg.Container)
		if !ok {
			return fail(fmt.Sprintf("pod %s has no container %q (is the container name right?)", pod.Name, s.cfg.Container))
		}
		withMetrics++
		if t := pm.Timestamp.Time; oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
		if q, ok := spec.Resources.Requests[corev1.ResourceCPU]; ok && !q.IsZero() {
			cpuReq += float64(q.MilliValue()) / 1000
		} else {
			cpuMissingRequest = pod.Name
		}
		if q, ok := spec.Resources.Requests[corev1.ResourceMemory]; ok && !q.IsZero() {
			memReq += float64(q.Value())
		} else {
			memMissingReqst = pod.Name
		}
		if q, ok := cu[corev1.ResourceCPU]; ok {
			cpuUse += float64(q.MilliValue()) / 1000
		}
		if q, ok := cu[corev1.ResourceMemory]; ok {
			memUse += float64(q.Value())
		}
	}
	switch {
	case running == 0:
		return empty("no running " + where)
	case withMetrics == 0:
		return empty(fmt.Sprintf("no pod metrics for the %d running %s (is metrics-server running? new pods take a minute)", running, where))
	}
	at := oldest.UTC()
	cpu = core.Reading{Value: cpuUse / cpuReq, At: at, State: core.ReadingOK}
	if cpuMissingRequest != "" {
		cpu = core.Reading{At: now, State: core.ReadingError, Detail: fmt.Sprintf("pod %s has no cpu request for container %q: utilization needs requests", cpuMissingRequest, s.cfg.Container)}
	}
	mem = core.Reading{Value: memUse / memReq, At: at, State: core.ReadingOK}
	if memMissingReqst != "" {
		mem = core.Reading{At: now, State: core.ReadingError, Detail: fmt.Sprintf("pod %s has no memory request for container %q: utilization needs requests", memMissingReqst, s.cfg.Container)}
	}
	return cpu, mem
}

func containerUsage(pm metricsv1beta1.PodMetrics, name string) (corev1.ResourceList, bool) {
	for _, c := range pm.Containers {
		if c.Name == name {
			return c.Usage, true
		}
	}
	return nil, false
}

func containerSpec(pod corev1.Pod, name string) (corev1.Container, bool) {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return c, true
		}
	}
	return corev1.Container{}, false
}

// describe explains an API error in the words an on-call engineer needs.
func (s *MetricsAPI) describe(parent context.Context, err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		if parent.Err() != nil {
			return "canceled: " + parent.Err().Error()
		}
		return "timed out after " + s.cfg.Timeout.String()
	case apierrors.IsNotFound(err):
		return "metrics.k8s.io is not served (is metrics-server installed?): " + err.Error()
	case apierrors.IsForbidden(err):
		return "forbidden: " + err.Error()
	case apierrors.IsServiceUnavailable(err):
		return "metrics.k8s.io unavailable (is metrics-server running?): " + err.Error()
	}
	return err.Error()
}

// Backfill returns an empty map and ErrNoHistory: metrics.k8s.io has no
// history to read.
func (s *MetricsAPI) Backfill(context.Context, time.Time, time.Time, time.Duration) (map[core.Metric][]core.Sample, error) {
	return map[core.Metric][]core.Sample{}, ErrNoHistory
}

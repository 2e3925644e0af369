package metrics

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kimiclaw/kimiscale/core"
)

// The real clients satisfy the narrow interfaces.
var (
	_ PodMetricsLister = metricsclient.PodMetricsInterface(nil)
	_ PodLister        = corev1client.PodInterface(nil)
)

// fakePodMetrics and fakePods are hand-made fakes: canned lists, an
// injectable error, and the selector they were asked for.
type fakePodMetrics struct {
	items    []metricsv1beta1.PodMetrics
	err      error
	selector string
}

func (f *fakePodMetrics) List(_ context.Context, o metav1.ListOptions) (*metricsv1beta1.PodMetricsList, error) {
	f.selector = o.LabelSelector
	return &metricsv1beta1.PodMetricsList{Items: f.items}, f.err
}

type fakePods struct {
	items    []corev1.Pod
	err      error
	selector string
}

func (f *fakePods) List(_ context.Context, o metav1.ListOptions) (*corev1.PodList, error) {
	f.selector = o.LabelSelector
	return &corev1.PodList{Items: f.items}, f.err
}

func kpod(name string, phase corev1.PodPhase, cpuReq, memReq string) corev1.Pod {
	req := corev1.ResourceList{}
	if cpuReq != "" {
		req[corev1.ResourceCPU] = resource.MustParse(cpuReq)
	}
	if memReq != "" {
		req[corev1.ResourceMemory] = resource.MustParse(memReq)
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "prod"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "sidecar", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("7")}}},
			{Name: "kimiclaw", Resources: corev1.ResourceRequirements{Requests: req}},
		}},
		Status: corev1.PodStatus{Phase: phase},
	}
}

func kmetrics(name string, at time.Time, cpu, mem string) metricsv1beta1.PodMetrics {
	return metricsv1beta1.PodMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "prod"},
		Timestamp:  metav1.NewTime(at),
		Window:     metav1.Duration{Duration: 15 * time.Second},
		Containers: []metricsv1beta1.ContainerMetrics{
			{Name: "sidecar", Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("5"), corev1.ResourceMemory: resource.MustParse("9Gi")}},
			{Name: "kimiclaw", Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}},
		},
	}
}

func TestMetricsAPIPoll(t *testing.T) {
	now := t0.Add(time.Minute)
	deleting := kpod("kimiclaw-db-a-deleting", corev1.PodRunning, "1", "2Gi")
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "metrics.k8s.io", Resource: "pods"}, "")
	tests := []struct {
		name       string
		pods       []corev1.Pod
		podsErr    error
		metrics    []metricsv1beta1.PodMetrics
		metricsErr error
		wantState  core.ReadingState
		wantCPU    float64
		wantMem    float64
		wantAt     time.Time
		wantDetail string
	}{
		{
			name: "utilization over the pods with metrics",
			pods: []corev1.Pod{
				kpod("p1", corev1.PodRunning, "1", "2Gi"),
				kpod("p2", corev1.PodRunning, "500m", "2Gi"),
				kpod("p3-new", corev1.PodRunning, "1", "2Gi"), // no metrics yet: left out
				kpod("p4-pending", corev1.PodPending, "1", "2Gi"),
				deleting,
			},
			metrics: []metricsv1beta1.PodMetrics{
				kmetrics("p1", t0.Add(30*time.Second), "600m", "1Gi"),
				kmetrics("p2", t0.Add(20*time.Second), "300m", "1Gi"),
				kmetrics("kimiclaw-db-a-deleting", t0.Add(30*time.Second), "1", "2Gi"),
			},
			wantState: core.ReadingOK, wantCPU: 0.9 / 1.5, wantMem: 0.5, wantAt: t0.Add(20 * time.Second),
		},
		{
			name:      "no running pods",
			pods:      []corev1.Pod{kpod("p1", corev1.PodPending, "1", "2Gi")},
			wantState: core.ReadingEmpty, wantDetail: `no running pods matching app=kimiclaw-db in namespace "prod"`,
		},
		{
			name:      "no metrics yet",
			pods:      []corev1.Pod{kpod("p1", corev1.PodRunning, "1", "2Gi")},
			wantState: core.ReadingEmpty, wantDetail: "no pod metrics for the 1 running pods matching app=kimiclaw-db",
		},
		{
			name:       "metrics-server missing",
			pods:       []corev1.Pod{kpod("p1", corev1.PodRunning, "1", "2Gi")},
			metricsErr: notFound,
			wantState:  core.ReadingError, wantDetail: "metrics.k8s.io is not served (is metrics-server installed?)",
		},
		{
			name:      "pods forbidden",
			podsErr:   apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("RBAC")),
			wantState: core.ReadingError, wantDetail: "list pods: forbidden:",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pm := &fakePodMetrics{items: tc.metrics, err: tc.metricsErr}
			pods := &fakePods{items: tc.pods, err: tc.podsErr}
			s, err := NewMetricsAPI(MetricsAPIConfig{PodMetrics: pm, Pods: pods, Namespace: "prod",
				Selector: "app=kimiclaw-db", Clock: clocktesting.NewFakePassiveClock(now)})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := s.Poll(context.Background())
			if err != nil {
				t.Fatalf("Poll() error = %v", err)
			}
			if pods.selector != "app=kimiclaw-db" {
				t.Errorf("pods listed with selector %q, want app=kimiclaw-db", pods.selector)
			}
			for _, m := range []core.Metric{core.MetricQPS, core.MetricConnections} {
				r := snap.Readings[m]
				if r.State != core.ReadingUnavailable || r.Detail != UnavailableWithoutPrometheus || r.Value != 0 {
					t.Errorf("%s = %+v, want unavailable with %q", m, r, UnavailableWithoutPrometheus)
				}
				if f := r.Freshness(now, time.Minute); f.Usable {
					t.Errorf("%s usable, want unusable", m)
				}
			}
			cpu, mem := snap.Readings[core.MetricCPU], snap.Readings[core.MetricMemory]
			for _, r := range []core.Reading{cpu, mem} {
				if r.State != tc.wantState || !strings.Contains(r.Detail, tc.wantDetail) {
					t.Errorf("reading = %v %q, want %v containing %q", r.State, r.Detail, tc.wantState, tc.wantDetail)
				}
			}
			if tc.wantState != core.ReadingOK {
				return
			}
			if math.Abs(cpu.Value-tc.wantCPU) > 1e-9 || math.Abs(mem.Value-tc.wantMem) > 1e-9 {
				t.Errorf("cpu, memory = %v, %v, want %v, %v", cpu.Value, mem.Value, tc.wantCPU, tc.wantMem)
			}
			if !cpu.At.Equal(tc.wantAt) || !mem.At.Equal(tc.wantAt) {
				t.Errorf("At = %v, %v, want the oldest sample's %v", cpu.At, mem.At, tc.wantAt)
			}
		})
	}
}

func TestMetricsAPIMissingRequest(t *testing.T) {
	s, err := NewMetricsAPI(MetricsAPIConfig{
		PodMetrics: &fakePodMetrics{items: []metricsv1beta1.PodMetrics{kmetrics("p1", t0, "1", "1Gi")}},
		Pods:       &fakePods{items: []corev1.Pod{kpod("p1", corev1.PodRunning, "", "2Gi")}},
		Selector:   "app=kimiclaw-db", Clock: clocktesting.NewFakePassiveClock(t0),
	})
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := s.Poll(context.Background())
	if r := snap.Readings[core.MetricCPU]; r.State != core.ReadingError || !strings.Contains(r.Detail, `pod p1 has no cpu request for container "kimiclaw"`) {
		t.Errorf("cpu = %v %q, want an error naming the pod without a request", r.State, r.Detail)
	}
	if r := snap.Readings[core.MetricMemory]; r.State != core.ReadingOK || r.Value != 0.5 {
		t.Errorf("memory = %+v, want OK 0.5", r)
	}
}

func TestNewMetricsAPIValidates(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  MetricsAPIConfig
		want string
	}{
		"no clients":     {MetricsAPIConfig{Selector: "app=x"}, "no PodMetrics lister"},
		"empty selector": {MetricsAPIConfig{PodMetrics: &fakePodMetrics{}, Pods: &fakePods{}}, "selector is empty"},
		"bad selector":   {MetricsAPIConfig{PodMetrics: &fakePodMetrics{}, Pods: &fakePods{}, Selector: "app=(x"}, `selector "app=(x"`},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewMetricsAPI(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewMetricsAPI() error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMetricsAPIBackfillHasNoHistory(t *testing.T) {
	s, err := NewMetricsAPI(MetricsAPIConfig{PodMetrics: &fakePodMetrics{}, Pods: &fakePods{}, Selector: "app=x"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Backfill(context.Background(), t0, t0.Add(time.Hour), time.Minute)
	if !errors.Is(err, ErrNoHistory) || len(got) != 0 {
		t.Errorf("Backfill() = %v, %v, want an empty map and ErrNoHistory", got, err)
	}
}

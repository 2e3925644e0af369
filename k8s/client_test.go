package k8s

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/k8s/k8sfake"
)

const (
	testNS   = "prod"
	testDep  = "kimiclaw-db"
	testUser = "alice@laptop"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// newDeployment is kimiclaw-db with replicas and container kimiclaw
// (requests 1 CPU / 2Gi, limits 4 CPU / 8Gi).
func newDeployment(replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: testDep, Namespace: testNS, ResourceVersion: "10", UID: "uid-1"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": testDep}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": testDep}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "sidecar"},
					{Name: ContainerName, Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")},
						Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")},
					}},
				}},
			},
		},
		Status: appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: replicas - 1, UpdatedReplicas: replicas, AvailableReplicas: replicas - 1},
	}
}

// newHPA is kimiclaw-hpa targeting kimiclaw-db with bounds min..max.
func newHPA(min, max, desired int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "kimiclaw-hpa", Namespace: testNS, ResourceVersion: "20"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: testDep, APIVersion: "apps/v1"},
			MinReplicas:    ptr.To(min),
			MaxReplicas:    max,
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: desired, DesiredReplicas: desired},
	}
}

// newConfigMap is duckdb-config.
func newConfigMap(memory, threads string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName, Namespace: testNS, ResourceVersion: "30"},
		Data:       map[string]string{"memory_limit": memory, "threads": threads},
	}
}

// fixture is a started Client on a fake clientset.
type fixture struct {
	cs     *fake.Clientset
	c      *Client
	clock  *clocktesting.FakePassiveClock
	audit  string
	ctx    context.Context
	cancel context.CancelFunc
}

// newFixture builds a fake clientset (scale subresource, resourceVersions
// and dry run made real by k8sfake) holding objs, and a started Client on
// it. mutate may change the options before New.
func newFixture(t *testing.T, mutate func(*Options), objs ...runtime.Object) *fixture {
	t.Helper()
	f := &fixture{cs: k8sfake.NewClientset(objs...), clock: clocktesting.NewFakePassiveClock(t0)}
	f.audit = filepath.Join(t.TempDir(), "state", "kimiscale", "audit.log")
	opts := Options{Client: f.cs, Namespace: testNS, Deployment: testDep, User: testUser, AuditLogPath: f.audit, Clock: f.clock}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.c = c
	f.ctx, f.cancel = context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(f.cancel)
	if err := c.Start(f.ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return f
}

// deployment reads the Deployment from the fake's tracker.
func (f *fixture) deployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	d, err := f.cs.AppsV1().Deployments(testNS).Get(context.Background(), testDep, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	return d
}

// hpa reads the HPA from the fake's tracker.
func (f *fixture) hpa(t *testing.T) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	h, err := f.cs.AutoscalingV2().HorizontalPodAutoscalers(testNS).Get(context.Background(), "kimiclaw-hpa", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get hpa: %v", err)
	}
	return h
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// auditLines reads the audit log.
func auditLines(t *testing.T, path string) []AuditRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open audit log: %v", err)
	}
	defer f.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// kimiscaleEvents lists the Events kimiscale created in the tracker.
func kimiscaleEvents(t *testing.T, cs *fake.Clientset) []corev1.Event {
	t.Helper()
	l, err := cs.CoreV1().Events(testNS).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	var out []corev1.Event
	for _, ev := range l.Items {
		if ev.Source.Component == Component {
			out = append(out, ev)
		}
	}
	return out
}

func TestNewValidates(t *testing.T) {
	cs := fake.NewClientset()
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
		want string // substring of the error
	}{
		{"no client", Options{Namespace: "ns", Deployment: "d", User: "u@h"}, "Client is required"},
		{"no namespace", Options{Client: cs, Deployment: "d", User: "u@h"}, `namespace ""`},
		{"bad namespace", Options{Client: cs, Namespace: "Prod_1", Deployment: "d", User: "u@h"}, `namespace "Prod_1"`},
		{"bad deployment", Options{Client: cs, Namespace: "ns", Deployment: "Kimi Claw", User: "u@h"}, `deployment "Kimi Claw"`},
		{"no user", Options{Client: cs, Namespace: "ns", Deployment: "d"}, "User (user@host) is required"},
		{"audit log under a file", Options{Client: cs, Namespace: "ns", Deployment: "d", User: "u@h", AuditLogPath: "/dev/null/audit.log"}, "audit log /dev/null/audit.log"},
		{"ok", Options{Client: cs, Namespace: "ns", Deployment: "d", User: "u@h", AuditLogPath: filepath.Join(dir, "a", "audit.log")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestNewCreatesPrivateAuditLog(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	if _, err := New(Options{Client: fake.NewClientset(), Namespace: "ns", Deployment: "d", User: "u@h"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kimiscale", "audit.log")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("audit log not created at %s: %v", path, err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode = %v, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("audit dir mode = %v, want 0700", dst.Mode().Perm())
	}
}

func TestStateBeforeStart(t *testing.T) {
	c, err := New(Options{Client: fake.NewClientset(), Namespace: "ns", Deployment: "d", User: "u@h", AuditLogPath: filepath.Join(t.TempDir(), "a.log")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.State(context.Background()); err != ErrNotStarted {
		t.Errorf("State before Start = %v, want ErrNotStarted", err)
	}
}

func TestState(t *testing.T) {
	d := newDeployment(3)
	d.Annotations = map[string]string{AnnotationLastScale: `{"at":"2025-01-01T11:50:00Z","direction":"up","from":2,"to":3,"by":"bob@desk","reason":"cpu"}`}
	h := newHPA(2, 10, 3)
	h.Annotations = map[string]string{AnnotationPinnedFrom: `{"min":2,"max":8}`}
	h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleUp: &autoscalingv2.HPAScalingRules{
			StabilizationWindowSeconds: ptr.To[int32](60),
			Policies:                   []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 60}},
		},
	}
	h.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionTrue, Reason: "ValidMetricFound", Message: "ok"}}
	other := newHPA(1, 3, 1) // targets another Deployment: ignored
	other.Name, other.Spec.ScaleTargetRef.Name = "other-hpa", "other"

	vpa := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"name": VPAName, "namespace": testNS},
		"status": map[string]any{"recommendation": map[string]any{"containerRecommendations": []any{
			map[string]any{"containerName": ContainerName,
				"target":     map[string]any{"cpu": "1500m", "memory": "3Gi"},
				"lowerBound": map[string]any{"cpu": "500m", "memory": "2Gi"},
				"upperBound": map[string]any{"cpu": "4", "memory": "16Gi"}},
		}}},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{vpaGVR: "VerticalPodAutoscalerList"}, vpa)

	cs := k8sfake.NewClientset(d, h, other, newConfigMap("4GB", "4"))
	cs.Resources = []*metav1.APIResourceList{{GroupVersion: "autoscaling.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "verticalpodautoscalers", Namespaced: true, Kind: "VerticalPodAutoscaler"}}}}
	clk := clocktesting.NewFakePassiveClock(t0)
	c, err := New(Options{Client: cs, Dynamic: dyn, Namespace: testNS, Deployment: testDep, User: testUser, AuditLogPath: filepath.Join(t.TempDir(), "a.log"), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.State(ctx)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	s := func(d time.Duration) core.Duration { return core.Duration(d) }
	want := core.ClusterState{
		Namespace: testNS, Deployment: testDep,
		Replicas: 3, ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2,
		ResourceVersion: "10", Selector: "app=kimiclaw-db",
		Requests: core.Resources{CPU: 1000, Memory: 2 * core.GiB},
		Limits:   core.Resources{CPU: 4000, Memory: 8 * core.GiB},
		HPA: &core.HPAState{
			Name: "kimiclaw-hpa", Bounds: core.Bounds{Min: 2, Max: 10}, CurrentReplicas: 3, DesiredReplicas: 3,
			Behavior: &core.Behavior{
				ScaleUp: core.ScalingRules{StabilizationWindow: s(60 * time.Second), SelectPolicy: core.SelectMax,
					Policies: []core.ScalingPolicy{{Type: core.PercentPolicy, Value: 100, Period: s(time.Minute)}}},
				ScaleDown: core.ScalingRules{StabilizationWindow: s(300 * time.Second), SelectPolicy: core.SelectMax,
					Policies: []core.ScalingPolicy{{Type: core.PercentPolicy, Value: 100, Period: s(15 * time.Second)}}},
			},
			Conditions:      []core.Condition{{Type: "ScalingActive", Status: "True", Reason: "ValidMetricFound", Message: "ok"}},
			PinnedFrom:      &core.Bounds{Min: 2, Max: 8},
			ResourceVersion: "20",
		},
		DuckDB: &core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "30"},
		VPA: &core.VPARecommendation{
			Target:     core.Resources{CPU: 1500, Memory: 3 * core.GiB},
			LowerBound: core.Resources{CPU: 500, Memory: 2 * core.GiB},
			UpperBound: core.Resources{CPU: 4000, Memory: 16 * core.GiB},
		},
		LastScale:  &core.LastScale{At: time.Date(2025, 1, 1, 11, 50, 0, 0, time.UTC), Direction: core.DirectionUp, From: 2, To: 3, By: "bob@desk", Reason: "cpu"},
		ObservedAt: t0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("State() mismatch (-want +got):\n%s", diff)
	}
}

func TestStateWithoutOptionalObjects(t *testing.T) {
	// No HPA, no ConfigMap, a Dynamic client but no VPA CRD served: all nil,
	// no error. An unparsable last-scale annotation is ignored.
	d := newDeployment(2)
	d.Annotations = map[string]string{AnnotationLastScale: "{not json"}
	f := newFixture(t, func(o *Options) { o.Dynamic = dynamicfake.NewSimpleDynamicClient(runtime.NewScheme()) }, d)
	got, err := f.c.State(f.ctx)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if got.HPA != nil || got.DuckDB != nil || got.VPA != nil || got.LastScale != nil {
		t.Errorf("State() = HPA %v DuckDB %v VPA %v LastScale %v, want all nil", got.HPA, got.DuckDB, got.VPA, got.LastScale)
	}
	if got.Replicas != 2 {
		t.Errorf("State().Replicas = %d, want 2", got.Replicas)
	}
}

func TestStateMissingDeployment(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.c.State(f.ctx); err == nil || !strings.Contains(err.Error(), "deployment prod/kimiclaw-db not found") {
		t.Errorf("State() = %v, want a not-found error naming prod/kimiclaw-db", err)
	}
}

func TestStateFollowsWatch(t *testing.T) {
	f := newFixture(t, nil, newDeployment(2))
	d := f.deployment(t)
	d.Spec.Replicas = ptr.To[int32](7)
	if _, err := f.cs.AppsV1().Deployments(testNS).Update(f.ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "State to show 7 replicas", func() bool {
		st, err := f.c.State(f.ctx)
		return err == nil && st.Replicas == 7
	})
	// State reads the cache: polling it sends no list or get.
	before := len(f.cs.Actions())
	for range 5 {
		if _, err := f.c.State(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.cs.Actions()) - before; n != 0 {
		t.Errorf("5 State() calls sent %d requests, want 0", n)
	}
}

func TestStateSelectorOfARecreatedDeployment(t *testing.T) {
	f := newFixture(t, nil, newDeployment(2))
	st, err := f.c.State(f.ctx)
	if err != nil || st.Selector != "app="+testDep {
		t.Fatalf("State() = selector %q, %v; want app=%s", st.Selector, err, testDep)
	}
	// The string is kept per selector object: a Deployment deleted and
	// created again with another selector (the same UID, as a fake gives)
	// is a new object.
	if err := f.cs.AppsV1().Deployments(testNS).Delete(f.ctx, testDep, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d := newDeployment(2)
	d.ResourceVersion = ""
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": testDep, "track": "canary"}}
	if _, err := f.cs.AppsV1().Deployments(testNS).Create(f.ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "State to show the new Deployment's selector", func() bool {
		st, err := f.c.State(f.ctx)
		return err == nil && st.Selector == "app="+testDep+",track=canary"
	})
}

func TestStartFailsFastWhenAListIsForbidden(t *testing.T) {
	cs := k8sfake.NewClientset(newDeployment(2))
	cs.PrependReactor("list", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", errors.New("RBAC: no list"))
	})
	c, err := New(Options{Client: cs, Namespace: testNS, Deployment: testDep, User: testUser, AuditLogPath: filepath.Join(t.TempDir(), "a.log")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	began := time.Now()
	err = c.Start(ctx)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "watch events in namespace prod") {
		t.Fatalf("Start() = %v, want Forbidden naming the events watch", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("Start took %v to report a refused list", d)
	}
}

func TestStartWithoutRightToReadVPA(t *testing.T) {
	cs := k8sfake.NewClientset(newDeployment(2))
	cs.Resources = []*metav1.APIResourceList{{GroupVersion: "autoscaling.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "verticalpodautoscalers", Namespaced: true, Kind: "VerticalPodAutoscaler"}}}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{vpaGVR: "VerticalPodAutoscalerList"})
	dyn.PrependReactor("list", "verticalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "autoscaling.k8s.io", Resource: "verticalpodautoscalers"}, "", errors.New("RBAC"))
	})
	c, err := New(Options{Client: cs, Dynamic: dyn, Namespace: testNS, Deployment: testDep, User: testUser, AuditLogPath: filepath.Join(t.TempDir(), "a.log")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start() = %v, want the dashboard to run without the VPA", err)
	}
	st, err := c.State(ctx)
	if err != nil || st.VPA != nil || st.Replicas != 2 {
		t.Errorf("State() = VPA %v replicas %d, %v; want no VPA, 2 replicas", st.VPA, st.Replicas, err)
	}
}

func TestStateWarnsAboutUnreadableObjects(t *testing.T) {
	// An annotation kimiscale cannot read is left out of the state, but
	// never silently: leaving out last-scale switches the cooldown off.
	tests := []struct {
		name       string
		lastScale  string // "" means no annotation
		pinnedFrom string // "" means no annotation
		threads    string
		want       []string // substrings, one warning each, in order
	}{
		{name: "all readable", lastScale: `{"at":"2025-01-01T11:50:00Z","direction":"up","from":2,"to":3}`, pinnedFrom: `{"min":2,"max":8}`, threads: "4"},
		{name: "last-scale not JSON", lastScale: "{not json", threads: "4",
			want: []string{`deployment prod/kimiclaw-db: parse kimiscale.kimiclaw.io/last-scale "{not json"`}},
		{name: "last-scale without time", lastScale: `{"direction":"up"}`, threads: "4",
			want: []string{`no "at" time; the cooldown cannot see the last scale`}},
		{name: "pinned-from and threads", pinnedFrom: `{"min":0,"max":8}`, threads: "four",
			want: []string{`hpa prod/kimiclaw-hpa: parse kimiscale.kimiclaw.io/pinned-from`, `threads "four" is not a whole number`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeployment(3)
			h := newHPA(2, 10, 3)
			if tc.lastScale != "" {
				d.Annotations = map[string]string{AnnotationLastScale: tc.lastScale}
			}
			if tc.pinnedFrom != "" {
				h.Annotations = map[string]string{AnnotationPinnedFrom: tc.pinnedFrom}
			}
			var logged strings.Builder
			var logMu sync.Mutex
			f := newFixture(t, func(o *Options) {
				o.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logged}, &slog.HandlerOptions{Level: slog.LevelWarn}))
			}, d, h, newConfigMap("4GB", tc.threads))
			if w := f.c.Warnings(); w != nil {
				t.Errorf("Warnings() before State = %q, want none", w)
			}
			st, err := f.c.State(f.ctx)
			if err != nil {
				t.Fatalf("State: %v", err)
			}
			got := f.c.Warnings()
			if len(got) != len(tc.want) {
				t.Fatalf("Warnings() = %q, want %d warnings containing %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], w)
				}
			}
			if tc.lastScale != "" && len(tc.want) > 0 && (st.LastScale != nil || !strings.Contains(got[0], "kubectl annotate deployment/kimiclaw-db kimiscale.kimiclaw.io/last-scale-")) {
				t.Errorf("LastScale = %+v, warning %q; want nil and the repair command", st.LastScale, got[0])
			}
			// Logged once, not on every poll; still reported by Warnings.
			if _, err := f.c.State(f.ctx); err != nil {
				t.Fatalf("State: %v", err)
			}
			if again := f.c.Warnings(); len(again) != len(tc.want) {
				t.Errorf("Warnings() after a second State = %q, want %d", again, len(tc.want))
			}
			logMu.Lock()
			log := logged.String()
			logMu.Unlock()
			if n := strings.Count(log, "level=WARN"); n != len(tc.want) {
				t.Errorf("log has %d Warn lines, want %d:\n%s", n, len(tc.want), log)
			}
		})
	}
}

// lockedWriter serialises writes to a strings.Builder.
type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

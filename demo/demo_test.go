package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/k8s"
	"github.com/kimiclaw/kimiscale/ui"
)

var _ ui.MetricsSource = Metrics{}

var wall0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// flatThenStep is a trace of one sample a minute from t0: low for lowMin
// minutes, then high for highMin minutes.
func flatThenStep(t0 time.Time, low float64, lowMin int, high float64, highMin int) []core.Sample {
	var out []core.Sample
	for i := range lowMin + highMin {
		v := low
		if i >= lowMin {
			v = high
		}
		out = append(out, core.Sample{At: t0.Add(time.Duration(i) * time.Minute), Value: v})
	}
	return out
}

func newCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = clocktesting.NewFakeClock(wall0)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return c
}

func advance(t *testing.T, c *Cluster, d time.Duration) {
	t.Helper()
	if err := c.Advance(context.Background(), c.Latest().At.Add(d)); err != nil {
		t.Fatalf("Advance(%s) error = %v", d, err)
	}
}

// state reads the Deployment's spec and ready replicas and its pods.
func state(t *testing.T, c *Cluster) (spec, ready int32, pods, readyPods int) {
	t.Helper()
	ctx := context.Background()
	d, err := c.Clientset().AppsV1().Deployments(c.Namespace()).Get(ctx, c.Deployment(), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	list, err := c.Clientset().CoreV1().Pods(c.Namespace()).List(ctx, metav1.ListOptions{LabelSelector: "app=" + c.Deployment()})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	for _, p := range list.Items {
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				readyPods++
			}
		}
	}
	return ptr.Deref(d.Spec.Replicas, -1), d.Status.ReadyReplicas, len(list.Items), readyPods
}

func TestNewSeedsTheSeedObjects(t *testing.T) {
	c := newCluster(t, Options{})
	ctx := context.Background()
	if got, want := c.Clock().Now(), time.Date(1995, 7, 13, 12, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Clock().Now() = %s, want %s", got, want)
	}
	d, err := c.Clientset().AppsV1().Deployments("default").Get(ctx, "kimiclaw-db", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	ctr := d.Spec.Template.Spec.Containers[0]
	if ctr.Name != "kimiclaw" || ctr.Resources.Requests.Cpu().String() != "1" || ctr.Resources.Limits.Memory().String() != "6Gi" {
		t.Errorf("container = %s requests %v limits %v, want kimiclaw with requests and limits", ctr.Name, ctr.Resources.Requests, ctr.Resources.Limits)
	}
	if got := d.Spec.Selector.MatchLabels["app"]; got != "kimiclaw-db" {
		t.Errorf("selector app = %q, want kimiclaw-db", got)
	}
	h, err := c.Clientset().AutoscalingV2().HorizontalPodAutoscalers("default").Get(ctx, "kimiclaw-hpa", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get hpa: %v", err)
	}
	s := specOf(h)
	if s.min != 2 || s.max != 10 || s.cpu != 0.7 || s.memory != 0.8 || s.connections != 8000 || s.behavior == nil ||
		s.behavior.ScaleDown.StabilizationWindow.D() != 5*time.Minute {
		t.Errorf("hpa spec = %+v, want the seed's 2..10, CPU 70 %%, memory 80 %%, connections 8000, behaviour", s)
	}
	if !hasCondition(h.Status.Conditions, "ScalingActive", "True", "ValidMetricFound") {
		t.Errorf("hpa conditions = %+v, want ScalingActive True ValidMetricFound", h.Status.Conditions)
	}
	cm, err := c.Clientset().CoreV1().ConfigMaps("default").Get(ctx, "duckdb-config", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get configmap: %v", err)
	}
	if cm.Data["memory_limit"] != "4GB" || cm.Data["threads"] != "4" {
		t.Errorf("duckdb-config = %v, want memory_limit 4GB, threads 4", cm.Data)
	}
	spec, ready, pods, readyPods := state(t, c)
	if spec < 2 || int(spec) != pods || ready != int32(readyPods) {
		t.Errorf("spec %d, ready %d, pods %d (%d ready): want pods = spec, ready pods = status", spec, ready, pods, readyPods)
	}

	snap, err := c.Metrics().Poll(ctx)
	if err != nil {
		t.Fatalf("Poll() error = %v", err)
	}
	if len(snap.Readings) != 4 || !snap.At.Equal(c.Clock().Now()) {
		t.Errorf("Poll() = %d readings at %s, want 4 at %s", len(snap.Readings), snap.At, c.Clock().Now())
	}
	past, err := c.Metrics().Backfill(ctx, snap.At.Add(-48*time.Hour), snap.At, time.Minute)
	if err != nil {
		t.Fatalf("Backfill() error = %v", err)
	}
	if n := len(past[core.MetricCPU]); n != 48*60+1 {
		t.Errorf("Backfill(48h, 1m) has %d CPU samples, want %d", n, 48*60+1)
	}
}

func hasCondition(conds []autoscalingv2.HorizontalPodAutoscalerCondition, typ, status, reason string) bool {
	for _, c := range conds {
		if string(c.Type) == typ && string(c.Status) == status && c.Reason == reason {
			return true
		}
	}
	return false
}

// The HPA controller follows the load, within its rate limit, and pods
// become ready a startup after they are created.
func TestHPAFollowsTheLoad(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// Capacity 100 at 70 %: 120 needs 2 replicas, 560 needs 8.
	c := newCluster(t, Options{Trace: flatThenStep(t0, 120, 30, 560, 30), Start: 20 * time.Minute, Capacity: 100})
	spec, _, _, _ := state(t, c)
	if spec != 2 {
		t.Fatalf("spec replicas at the start = %d, want 2", spec)
	}
	var specs []int32
	for range 4 * 20 { // 20 minutes: the step comes at minute 10
		advance(t, c, Step)
		s, ready, pods, readyPods := state(t, c)
		if int(s) != pods || int(ready) != readyPods {
			t.Fatalf("at %s: spec %d ready %d, but %d pods (%d ready)", c.Latest().At, s, ready, pods, readyPods)
		}
		specs = append(specs, s)
	}
	if last := specs[len(specs)-1]; last != 8 {
		t.Errorf("spec replicas after the step = %d, want 8 (%v)", last, specs)
	}
	// 100 % per 60 s: never more than double the count of a minute before.
	for i := 4; i < len(specs); i++ {
		if specs[i] > 2*specs[i-4] {
			t.Errorf("spec went %d -> %d within a minute (%v), want at most double", specs[i-4], specs[i], specs)
		}
	}
	if _, ready, _, _ := state(t, c); ready != 8 {
		t.Errorf("ready replicas = %d, want 8 ten minutes after the step", ready)
	}
	if u := c.Latest().CPU; u > 0.70+1e-9 {
		t.Errorf("CPU utilization = %v, want at most 0.70 with 8 replicas", u)
	}
}

// A write through the real k8s/ actuator (which moves the HPA's
// minReplicas, since an HPA targets the Deployment) changes the simulated
// load: the HPA scales up to the new minimum and the utilization drops once
// the pods are ready.
func TestActuatorWriteChangesTheLoad(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCluster(t, Options{Trace: flatThenStep(t0, 120, 60, 120, 0), Start: 30 * time.Minute, Capacity: 100})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kc, err := k8s.New(k8s.Options{
		Client: c.Clientset(), Namespace: c.Namespace(), Deployment: c.Deployment(),
		User: "test@demo", Clock: c.Clock(), AuditLogPath: t.TempDir() + "/audit.log",
	})
	if err != nil {
		t.Fatalf("k8s.New() error = %v", err)
	}
	if err := kc.Start(ctx); err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	before := c.Latest().CPU
	waitFor(t, "the k8s client to see the HPA", func() bool {
		st, err := kc.State(ctx)
		return err == nil && st.HPA != nil
	})
	res, err := kc.Scale(ctx, core.ScaleRequest{From: 2, To: 6, By: "test@demo", Reason: "demo test"})
	if err != nil || !res.Applied {
		t.Fatalf("Scale(2 -> 6) = %+v, %v; want applied", res, err)
	}
	advance(t, c, Step)
	if spec, _, pods, _ := state(t, c); spec != 6 || pods != 6 {
		t.Fatalf("after one HPA sync: spec %d, %d pods, want 6 and 6", spec, pods)
	}
	advance(t, c, time.Minute)
	after := c.Latest()
	if after.Ready != 6 || !(after.CPU < before) {
		t.Errorf("a minute later: %d ready at CPU %v, want 6 ready and CPU below %v", after.Ready, after.CPU, before)
	}
	if want := 120 / (6 * 100.0); after.CPU != want {
		t.Errorf("CPU = %v, want %v", after.CPU, want)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Run advances Speed simulated seconds per wall second of the injected
// clock.
func TestRunFollowsTheWallClock(t *testing.T) {
	fc := clocktesting.NewFakeClock(wall0)
	c := newCluster(t, Options{Clock: fc})
	start := c.Clock().Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	for i := 1; i <= 3; i++ {
		waitFor(t, "Run to wait on the clock", fc.HasWaiters)
		fc.Step(time.Second)
		want := start.Add(time.Duration(i) * time.Minute)
		if got := c.Clock().Now(); !got.Equal(want) {
			t.Errorf("after %d wall seconds: Clock().Now() = %s, want %s", i, got, want)
		}
		waitFor(t, "the step at "+want.String(), func() bool { return !c.Latest().At.Before(want) })
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil after cancel", err)
	}
}

// Headless prints one decision line per simulated minute.
func TestHeadless(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCluster(t, Options{Trace: flatThenStep(t0, 120, 60, 560, 60), Start: 55 * time.Minute, Capacity: 100})
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- c.Headless(ctx, &out, core.DefaultPolicy()) }()
	waitFor(t, "Headless to subscribe", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.subs) == 1
	})
	advance(t, c, 10*time.Minute)
	waitFor(t, "ten lines", func() bool { return strings.Count(out.String(), "\n") == 10 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Headless() = %v, want nil after cancel", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "2025-01-01T00:56:00Z  load  120") {
		t.Errorf("first line = %q, want the minute after the start with its load", lines[0])
	}
	// At 01:00 the load jumps to 560 on 2 replicas: CPU 280 %, scale up.
	if l := lines[4]; !strings.HasPrefix(l, "2025-01-01T01:00:00Z  load  560  cpu 280.0%") || !strings.Contains(l, "kimiscale scale_up 2->") ||
		!strings.Contains(l, "CPUAboveThreshold") {
		t.Errorf("line at 01:00 = %q, want 560 at 280 %% CPU and a scale-up for CPUAboveThreshold", l)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNewErrors(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative speed", Options{Speed: -1}, "speed"},
		{"one sample", Options{Trace: []core.Sample{{At: t0, Value: 1}}}, "at least 2"},
		{"zero demand", Options{Trace: flatThenStep(t0, 0, 10, 0, 0)}, "no positive demand"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Clock = clocktesting.NewFakeClock(wall0)
			if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// A day of steps keeps memory bounded: the ring holds its capacity, the
// fake's record of actions is cleared, pods stay within the HPA's bounds.
func TestBoundedOverADay(t *testing.T) {
	c := newCluster(t, Options{})
	advance(t, c, 24*time.Hour)
	if n := len(c.Clientset().Actions()); n != 0 {
		t.Errorf("fake clientset holds %d actions after a day, want 0", n)
	}
	c.mu.Lock()
	n, capacity := c.ring.n, len(c.ring.buf)
	c.mu.Unlock()
	if n != capacity {
		t.Errorf("ring holds %d readings, want its capacity %d after warm-up and a day", n, capacity)
	}
	if _, _, pods, _ := state(t, c); pods < 2 || pods > 10 {
		t.Errorf("%d pods, want 2..10", pods)
	}
	if ev := len(c.hpa.scales.Events) + len(c.hpa.scales.Recommendations); ev > 100 {
		t.Errorf("HPA memory holds %d entries, want it pruned", ev)
	}
}

// BenchmarkStep is one 15 s step of the demo: at the default speed the
// cluster takes 4 a second, so idle CPU is 4 × this per second.
func BenchmarkStep(b *testing.B) {
	c, err := New(Options{Clock: clocktesting.NewFakeClock(wall0)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if err := c.Advance(ctx, c.Latest().At.Add(Step)); err != nil {
			b.Fatal(err)
		}
	}
}

// A rollout restart (what kimiscale's DuckDB apply does) replaces every
// pod one at a time with a new one, while the replicas keep serving.
func TestRestartRollsThePods(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCluster(t, Options{Trace: flatThenStep(t0, 300, 120, 300, 0), Start: 30 * time.Minute, Capacity: 100})
	ctx := context.Background()
	spec, _, _, _ := state(t, c)
	if spec != 5 {
		t.Fatalf("spec = %d, want 5 for 300 at 100 per replica and 70 %%", spec)
	}
	before := podNames(t, c)
	patch := []byte(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-01T00:30:00Z"}}}}}`)
	if _, err := c.Clientset().AppsV1().Deployments(c.Namespace()).Patch(ctx, c.Deployment(), types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patch template: %v", err)
	}
	sawRollout := false
	for range 4 * 10 { // 10 minutes: 5 pods, one a minute
		advance(t, c, Step)
		d, err := c.Clientset().AppsV1().Deployments(c.Namespace()).Get(ctx, c.Deployment(), metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get deployment: %v", err)
		}
		if d.Status.ReadyReplicas != 5 {
			t.Fatalf("at %s: %d ready, want 5 throughout the rollout", c.Latest().At, d.Status.ReadyReplicas)
		}
		if d.Status.UpdatedReplicas < 5 || d.Status.Replicas > 5 {
			sawRollout = true
		}
	}
	after := podNames(t, c)
	if !sawRollout || len(after) != 5 {
		t.Fatalf("rollout seen = %v, %d pods after, want a rollout and 5 pods", sawRollout, len(after))
	}
	for name := range after {
		if before[name] {
			t.Errorf("pod %s survived the restart", name)
		}
	}
	d, _ := c.Clientset().AppsV1().Deployments(c.Namespace()).Get(ctx, c.Deployment(), metav1.GetOptions{})
	if d.Status.UpdatedReplicas != 5 || d.Status.Replicas != 5 {
		t.Errorf("status after the rollout: %d updated of %d, want 5 of 5", d.Status.UpdatedReplicas, d.Status.Replicas)
	}
}

func podNames(t *testing.T, c *Cluster) map[string]bool {
	t.Helper()
	list, err := c.Clientset().CoreV1().Pods(c.Namespace()).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	out := map[string]bool{}
	for _, p := range list.Items {
		out[p.Name] = true
	}
	return out
}

func TestAccessAllowedInTheDemo(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := k8s.New(k8s.Options{Client: c.Clientset(), Namespace: c.Namespace(), Deployment: c.Deployment(), User: "you@demo", Clock: c.Clock(), AuditLogPath: filepath.Join(t.TempDir(), "audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := kc.Access(context.Background())
	if err != nil {
		t.Fatalf("Access() error = %v, want the demo to allow everything", err)
	}
	if acc.ReadOnly() || len(acc.Missing) > 0 {
		t.Fatalf("Access() = %+v, want every write allowed", acc)
	}
}

// The emulated HPA writes its status when its verdict changes, not at every
// 15 s sync: the dashboard's informer gets every write, and at the default
// speed a write per sync was an eighth of the demo's idle CPU. Likewise a
// step reads the Deployment and the HPA only after a write to them.
func TestSteadyStepsNeitherWriteNorRead(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var trace []core.Sample // 300 ± 10 a minute: the CPU moves, the verdict does not
	for i := range 120 {
		trace = append(trace, core.Sample{At: t0.Add(time.Duration(i) * time.Minute), Value: float64(290 + 20*(i%2))})
	}
	c := newCluster(t, Options{Trace: trace, Start: 30 * time.Minute, Capacity: 100})
	writes, reads := 0, 0
	c.Clientset().PrependReactor("update", "horizontalpodautoscalers", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "status" {
			writes++
		}
		return false, nil, nil
	})
	for _, res := range []string{"deployments", "horizontalpodautoscalers"} {
		c.Clientset().PrependReactor("get", res, func(k8stesting.Action) (bool, runtime.Object, error) {
			reads++
			return false, nil, nil
		})
	}
	advance(t, c, 20*time.Minute)
	if writes > 2 {
		t.Errorf("%d HPA status writes in 20 minutes of steady load, want at most 2", writes)
	}
	// Nor does a step read the Deployment or the HPA unless something
	// wrote it...
	if reads > 2 {
		t.Errorf("%d reads of the Deployment and the HPA in 20 minutes without a write, want at most 2", reads)
	}
	// ...and then the next step reads it again.
	before := reads
	patch := []byte(`{"spec":{"replicas":7}}`)
	if _, err := c.Clientset().AppsV1().Deployments(c.Namespace()).Patch(context.Background(), c.Deployment(), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patch replicas: %v", err)
	}
	advance(t, c, Step)
	if reads != before+1 {
		t.Errorf("%d reads of the Deployment in the step after a write, want 1", reads-before)
	}
}

// An update of the HPA's or the Deployment's status changes its status
// only, as on an API server: a spec written after the controller read the
// object is kept.
func TestStatusUpdateKeepsTheSpec(t *testing.T) {
	c := newCluster(t, Options{})
	ctx := context.Background()
	hpas := c.Clientset().AutoscalingV2().HorizontalPodAutoscalers(c.Namespace())
	read, err := hpas.Get(ctx, HPAName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get hpa: %v", err)
	}
	pin := []byte(`{"spec":{"minReplicas":7,"maxReplicas":7}}`)
	if _, err := hpas.Patch(ctx, HPAName, types.MergePatchType, pin, metav1.PatchOptions{}); err != nil {
		t.Fatalf("pin: %v", err)
	}
	read.Status.DesiredReplicas = 9
	if _, err := hpas.UpdateStatus(ctx, read, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("UpdateStatus() error = %v", err)
	}
	got, err := hpas.Get(ctx, HPAName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get hpa: %v", err)
	}
	if ptr.Deref(got.Spec.MinReplicas, 0) != 7 || got.Spec.MaxReplicas != 7 || got.Status.DesiredReplicas != 9 {
		t.Errorf("after a pin and a status update: min %d max %d desired %d, want 7, 7 and 9",
			ptr.Deref(got.Spec.MinReplicas, 0), got.Spec.MaxReplicas, got.Status.DesiredReplicas)
	}

	deps := c.Clientset().AppsV1().Deployments(c.Namespace())
	dep, err := deps.Get(ctx, c.Deployment(), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	scale := []byte(`{"spec":{"replicas":7}}`)
	if _, err := deps.Patch(ctx, c.Deployment(), types.MergePatchType, scale, metav1.PatchOptions{}); err != nil {
		t.Fatalf("scale: %v", err)
	}
	dep.Status.ReadyReplicas = 1
	if _, err := deps.UpdateStatus(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("UpdateStatus() error = %v", err)
	}
	if dep, err = deps.Get(ctx, c.Deployment(), metav1.GetOptions{}); err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	if ptr.Deref(dep.Spec.Replicas, 0) != 7 || dep.Status.ReadyReplicas != 1 {
		t.Errorf("after a scale and a status update: replicas %d ready %d, want 7 and 1",
			ptr.Deref(dep.Spec.Replicas, 0), dep.Status.ReadyReplicas)
	}
}

// A step reads the HPA again after it is deleted, and from then on leaves
// the replicas to whoever writes them.
func TestHPADeletedIsSeen(t *testing.T) {
	c := newCluster(t, Options{})
	ctx := context.Background()
	advance(t, c, time.Minute)
	if err := c.Clientset().AutoscalingV2().HorizontalPodAutoscalers(c.Namespace()).Delete(ctx, HPAName, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete hpa: %v", err)
	}
	patch := []byte(`{"spec":{"replicas":7}}`)
	if _, err := c.Clientset().AppsV1().Deployments(c.Namespace()).Patch(ctx, c.Deployment(), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patch replicas: %v", err)
	}
	advance(t, c, 5*time.Minute)
	if spec, _, _, _ := state(t, c); spec != 7 {
		t.Errorf("spec.replicas = %d 5 minutes after the HPA was deleted and 7 written, want 7", spec)
	}
}

// hpaStatusEqual stands in for apiequality.Semantic.DeepEqual on the
// statuses the demo writes: it must agree with it.
func TestHPAStatusEqualAgreesWithSemantic(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC))
	cond := autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue,
		Reason: "ReadyForNewScale", Message: "recommended size matches current size", LastTransitionTime: t0}
	base := autoscalingv2.HorizontalPodAutoscalerStatus{ObservedGeneration: ptr.To[int64](1), LastScaleTime: &t0,
		CurrentReplicas: 4, DesiredReplicas: 4, Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{cond}}
	change := map[string]func(*autoscalingv2.HorizontalPodAutoscalerStatus){
		"same":          func(*autoscalingv2.HorizontalPodAutoscalerStatus) {},
		"generation":    func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.ObservedGeneration = ptr.To[int64](2) },
		"no generation": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.ObservedGeneration = nil },
		"current":       func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.CurrentReplicas = 5 },
		"desired":       func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.DesiredReplicas = 5 },
		"no last scale": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.LastScaleTime = nil },
		"last scale later": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.LastScaleTime = ptr.To(metav1.NewTime(t0.Add(time.Minute)))
		},
		"last scale in Local": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.LastScaleTime = ptr.To(metav1.NewTime(t0.Local()))
		},
		"no conditions": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) { s.Conditions = nil },
		"message": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{cond}
			s.Conditions[0].Message = "wanted 5 replicas"
		},
		"transition": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{cond}
			s.Conditions[0].LastTransitionTime = metav1.NewTime(t0.Add(time.Second))
		},
		"current metrics": func(s *autoscalingv2.HorizontalPodAutoscalerStatus) {
			s.CurrentMetrics = []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType}}
		},
	}
	for name, f := range change {
		t.Run(name, func(t *testing.T) {
			other := *base.DeepCopy()
			f(&other)
			if got, want := hpaStatusEqual(base, other), apiequality.Semantic.DeepEqual(base, other); got != want {
				t.Errorf("hpaStatusEqual = %v, Semantic.DeepEqual = %v", got, want)
			}
		})
	}
	empty := autoscalingv2.HorizontalPodAutoscalerStatus{Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{}}
	if got, want := hpaStatusEqual(empty, autoscalingv2.HorizontalPodAutoscalerStatus{}), apiequality.Semantic.DeepEqual(empty, autoscalingv2.HorizontalPodAutoscalerStatus{}); got != want {
		t.Errorf("empty and nil conditions: hpaStatusEqual = %v, Semantic.DeepEqual = %v", got, want)
	}
}

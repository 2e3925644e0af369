package k8sfake

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func deployment(replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "kimiclaw-db", Namespace: "ns", ResourceVersion: "7"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "kimiclaw-db"}},
		},
		Status: appsv1.DeploymentStatus{Replicas: replicas},
	}
}

func replicasOf(t *testing.T, ctx context.Context, cs interface {
	Get(context.Context, string, metav1.GetOptions) (*appsv1.Deployment, error)
}) (int32, string) {
	t.Helper()
	d, err := cs.Get(ctx, "kimiclaw-db", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	return *d.Spec.Replicas, d.ResourceVersion
}

func TestScaleSubresource(t *testing.T) {
	ctx := context.Background()
	cs := NewClientset(deployment(3))
	deps := cs.AppsV1().Deployments("ns")

	s, err := deps.GetScale(ctx, "kimiclaw-db", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("GetScale: %v", err)
	}
	if s.Spec.Replicas != 3 || s.ResourceVersion != "7" || s.Status.Selector != "app=kimiclaw-db" {
		t.Fatalf("GetScale = replicas %d rv %q selector %q, want 3, 7, app=kimiclaw-db", s.Spec.Replicas, s.ResourceVersion, s.Status.Selector)
	}

	s.Spec.Replicas = 5
	got, err := deps.UpdateScale(ctx, "kimiclaw-db", s, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("UpdateScale: %v", err)
	}
	if got.Spec.Replicas != 5 || got.ResourceVersion != "8" {
		t.Errorf("UpdateScale = replicas %d rv %q, want 5, 8", got.Spec.Replicas, got.ResourceVersion)
	}
	if r, rv := replicasOf(t, ctx, deps); r != 5 || rv != "8" {
		t.Errorf("deployment after UpdateScale = %d at %q, want 5 at 8", r, rv)
	}

	// The Scale still carries resourceVersion 7: stale, so 409.
	s.Spec.Replicas = 9
	if _, err := deps.UpdateScale(ctx, "kimiclaw-db", s, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("UpdateScale with stale resourceVersion: err = %v, want Conflict", err)
	}

	dry := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "kimiclaw-db", ResourceVersion: "8"}, Spec: autoscalingv1.ScaleSpec{Replicas: 1}}
	got, err = deps.UpdateScale(ctx, "kimiclaw-db", dry, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil || got.Spec.Replicas != 1 {
		t.Fatalf("dry-run UpdateScale = %v, %v; want replicas 1, nil", got, err)
	}
	if r, _ := replicasOf(t, ctx, deps); r != 5 {
		t.Errorf("dry run stored replicas %d, want 5 unchanged", r)
	}

	if _, err := deps.Patch(ctx, "kimiclaw-db", types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatalf("merge patch on scale: %v", err)
	}
	if r, rv := replicasOf(t, ctx, deps); r != 4 || rv != "9" {
		t.Errorf("deployment after patch = %d at %q, want 4 at 9", r, rv)
	}
	if _, err := deps.Patch(ctx, "kimiclaw-db", types.MergePatchType, []byte(`{"metadata":{"resourceVersion":"8"},"spec":{"replicas":2}}`), metav1.PatchOptions{}, "scale"); !apierrors.IsConflict(err) {
		t.Errorf("patch on scale with stale resourceVersion: err = %v, want Conflict", err)
	}
}

func TestResourceVersionPreconditions(t *testing.T) {
	ctx := context.Background()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "duckdb-config", Namespace: "ns"},
		Data:       map[string]string{"memory_limit": "4GB", "threads": "4"},
	}
	cs := NewClientset(cm, deployment(2))
	cms := cs.CoreV1().ConfigMaps("ns")

	cur, err := cms.Get(ctx, "duckdb-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Data["threads"] = "2"
	upd, err := cms.Update(ctx, cur, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("Update without resourceVersion: %v", err)
	}
	if upd.ResourceVersion != "1" {
		t.Errorf("Update gave resourceVersion %q, want 1", upd.ResourceVersion)
	}
	stale := upd.DeepCopy()
	stale.ResourceVersion = "0"
	if _, err := cms.Update(ctx, stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("Update with stale resourceVersion: err = %v, want Conflict", err)
	}

	deps := cs.AppsV1().Deployments("ns")
	patch := `{"metadata":{"resourceVersion":"7","annotations":{"a":"b"}},"spec":{"replicas":6}}`
	d, err := deps.Patch(ctx, "kimiclaw-db", types.MergePatchType, []byte(patch), metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil || *d.Spec.Replicas != 6 {
		t.Fatalf("dry-run patch = %v, %v", d, err)
	}
	if r, rv := replicasOf(t, ctx, deps); r != 2 || rv != "7" {
		t.Errorf("dry-run patch stored %d at %q, want 2 at 7", r, rv)
	}
	d, err = deps.Patch(ctx, "kimiclaw-db", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	if *d.Spec.Replicas != 6 || d.Annotations["a"] != "b" || d.ResourceVersion != "8" {
		t.Errorf("patch = replicas %d annotations %v rv %q, want 6, a=b, 8", *d.Spec.Replicas, d.Annotations, d.ResourceVersion)
	}
	if _, err := deps.Patch(ctx, "kimiclaw-db", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("second patch with resourceVersion 7: err = %v, want Conflict", err)
	}
}

func TestAccessReactor(t *testing.T) {
	cs := NewClientset()
	AddAccessReactor(cs, "update configmaps", "update deployments/scale")
	tests := []struct {
		verb, resource, sub string
		want                bool
	}{
		{"patch", "deployments", "", true},
		{"update", "configmaps", "", false},
		{"update", "deployments", "scale", false},
		{"update", "deployments", "", true},
	}
	for _, tc := range tests {
		r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: tc.verb, Resource: tc.resource, Subresource: tc.sub}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.Allowed != tc.want {
			t.Errorf("review %s %s/%s: allowed = %v, want %v", tc.verb, tc.resource, tc.sub, r.Status.Allowed, tc.want)
		}
	}
}

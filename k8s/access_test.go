package k8s

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kimiclaw/kimiscale/core"
)

// allowExcept answers SelfSubjectAccessReviews: allowed unless "verb
// resource" is in denied; it records each review's attributes.
func allowExcept(seen *[]authorizationv1.ResourceAttributes, denied ...string) k8stesting.ReactionFunc {
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		attrs := *r.Spec.ResourceAttributes
		*seen = append(*seen, attrs)
		r.Status.Allowed = true
		for _, d := range denied {
			if d == attrs.Verb+" "+attrs.Resource {
				r.Status.Allowed = false
			}
		}
		return true, r, nil
	}
}

func TestAccess(t *testing.T) {
	tests := []struct {
		name   string
		denied []string
		want   core.Access
	}{
		{"operator", nil, core.Access{Scale: true, HPA: true, ConfigMap: true, Restart: true, Lease: true, Events: true}},
		{"viewer", []string{"patch deployments", "patch horizontalpodautoscalers", "update configmaps", "create events", "create leases", "update leases"},
			core.Access{Missing: []string{"patch deployments", "patch horizontalpodautoscalers", "update configmaps", "create events", "create leases", "update leases"}}},
		{"no configmap, no lease update", []string{"update configmaps", "update leases"},
			core.Access{Scale: true, HPA: true, Restart: true, Events: true, Missing: []string{"update configmaps", "update leases"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, newDeployment(3), newHPA(2, 10, 3))
			var seen []authorizationv1.ResourceAttributes
			f.cs.PrependReactor("create", "selfsubjectaccessreviews", allowExcept(&seen, tc.denied...))
			got, err := f.c.Access(f.ctx)
			if err != nil {
				t.Fatalf("Access: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Access() (-want +got):\n%s", diff)
			}
			if got.ReadOnly() != (tc.name == "viewer") {
				t.Errorf("ReadOnly() = %v, want %v", got.ReadOnly(), tc.name == "viewer")
			}
			wantSeen := []authorizationv1.ResourceAttributes{
				{Namespace: testNS, Verb: "patch", Group: "apps", Resource: "deployments", Name: testDep},
				{Namespace: testNS, Verb: "patch", Group: "autoscaling", Resource: "horizontalpodautoscalers", Name: "kimiclaw-hpa"},
				{Namespace: testNS, Verb: "update", Resource: "configmaps", Name: ConfigMapName},
				{Namespace: testNS, Verb: "create", Resource: "events"},
				{Namespace: testNS, Verb: "create", Group: "coordination.k8s.io", Resource: "leases"},
				{Namespace: testNS, Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Name: "kimiscale-kimiclaw-db"},
			}
			if diff := cmp.Diff(wantSeen, seen); diff != "" {
				t.Errorf("reviews asked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccessReviewFails(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	f.cs.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("apiserver down")
	})
	_, err := f.c.Access(f.ctx)
	if !apierrors.IsServiceUnavailable(err) {
		t.Fatalf("Access() = %v, want the review's error", err)
	}
	var se apierrors.APIStatus
	if !errors.As(err, &se) {
		t.Errorf("error %v does not wrap the API status", err)
	}
}

package k8s

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kimiclaw/kimiscale/core"
)

// permission is one write kimiscale makes, as a SelfSubjectAccessReview.
type permission struct {
	verb, group, resource, name string
}

// String is the "verb resource" form core.Access.Missing lists.
func (p permission) String() string { return p.verb + " " + p.resource }

// Access asks the API server (SelfSubjectAccessReviews) whether the user
// may make each write kimiscale makes, by name where RBAC can restrict it:
//
//   - Scale and Restart: patch deployments (replicas and the last-scale
//     annotation go in one patch; a rollout restart patches the pod template);
//   - HPA: patch horizontalpodautoscalers (the HPA's name, if one targets
//     the Deployment);
//   - ConfigMap: update configmaps duckdb-config;
//   - Events: create events;
//   - Lease: create leases and update leases kimiscale-<deployment>.
//
// Missing lists each denied permission as "verb resource". An error means
// the reviews themselves failed, not that access is denied.
func (c *Client) Access(ctx context.Context) (core.Access, error) {
	hpaName := ""
	if c.isSynced() {
		if h := c.cachedHPA(); h != nil {
			hpaName = h.Name
		}
	}
	var a core.Access
	// Each permission grants the fields listed with it; a field is true only
	// when every permission granting it is allowed.
	checks := []struct {
		p      permission
		grants []*bool
	}{
		{permission{"patch", "apps", "deployments", c.name}, []*bool{&a.Scale, &a.Restart}},
		{permission{"patch", "autoscaling", "horizontalpodautoscalers", hpaName}, []*bool{&a.HPA}},
		{permission{"update", "", "configmaps", ConfigMapName}, []*bool{&a.ConfigMap}},
		{permission{"create", "", "events", ""}, []*bool{&a.Events}},
		{permission{"create", "coordination.k8s.io", "leases", ""}, []*bool{&a.Lease}},
		{permission{"update", "coordination.k8s.io", "leases", LeaseName(c.name)}, []*bool{&a.Lease}},
	}
	for _, chk := range checks {
		for _, b := range chk.grants {
			*b = true
		}
	}
	for _, chk := range checks {
		allowed, err := c.allowed(ctx, chk.p)
		if err != nil {
			return core.Access{}, err
		}
		if !allowed {
			for _, b := range chk.grants {
				*b = false
			}
			a.Missing = append(a.Missing, chk.p.String())
		}
	}
	return a, nil
}

// allowed runs one SelfSubjectAccessReview.
func (c *Client) allowed(ctx context.Context, p permission) (bool, error) {
	review := &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: c.ns, Verb: p.verb, Group: p.group, Resource: p.resource, Name: p.name,
			},
		},
	}
	got, err := c.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("check access %q in namespace %s: %w", p.String(), c.ns, err)
	}
	return got.Status.Allowed, nil
}

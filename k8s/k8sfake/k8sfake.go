// Package k8sfake makes client-go's fake clientset behave closer to a real
// API server where kimiscale depends on it: the deployments/scale
// subresource, resourceVersion preconditions and server-side dry run.
//
// The fake clientset (k8s.io/client-go/kubernetes/fake) panics on GetScale,
// errors on UpdateScale, never sets a resourceVersion, never answers 409
// Conflict and stores dry-run writes. The reactors here fix exactly those
// points and nothing else; errors a test wants to inject still go through
// PrependReactor, which then runs before these.
package k8sfake

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// GVRs of the resources kimiscale writes.
var (
	deploymentsGVR = appsv1.SchemeGroupVersion.WithResource("deployments")
	hpaGVR         = autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers")
	configMapsGVR  = corev1.SchemeGroupVersion.WithResource("configmaps")
	leasesGVR      = coordinationv1.SchemeGroupVersion.WithResource("leases")
)

// NewClientset returns fake.NewClientset(objects...) with AddScaleReactors
// and AddResourceVersionReactors for deployments, horizontalpodautoscalers
// (autoscaling/v2), configmaps and leases, which is what kimiscale's k8s
// package and the demo need.
func NewClientset(objects ...runtime.Object) *fake.Clientset {
	cs := fake.NewClientset(objects...)
	AddResourceVersionReactors(cs, deploymentsGVR, hpaGVR, configMapsGVR, leasesGVR)
	AddScaleReactors(cs)
	return cs
}

// AddScaleReactors makes the deployments/scale subresource of cs work for
// get, update and patch, backed by the Deployment object in cs's tracker:
//
//   - get returns an autoscaling/v1 Scale with the Deployment's spec and
//     status replicas, its selector and its resourceVersion;
//   - update and patch set the Deployment's spec.replicas and give it a new
//     resourceVersion; a Scale (or patch) carrying a resourceVersion other
//     than the Deployment's fails with 409 Conflict, as on a real server;
//   - with metav1.DryRunAll nothing is stored.
//
// Update returns the Scale; patch returns the Deployment, because the typed
// fake client's Patch asserts its result is a *appsv1.Deployment.
func AddScaleReactors(cs *fake.Clientset) {
	tracker := cs.Tracker()
	cs.PrependReactor("get", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" {
			return false, nil, nil
		}
		get := action.(k8stesting.GetAction)
		d, err := getDeployment(tracker, get.GetNamespace(), get.GetName())
		if err != nil {
			return true, nil, err
		}
		return true, scaleOf(d), nil
	})
	cs.PrependReactor("update", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" {
			return false, nil, nil
		}
		update := action.(k8stesting.UpdateActionImpl)
		s, ok := update.GetObject().(*autoscalingv1.Scale)
		if !ok {
			return true, nil, apierrors.NewBadRequest(fmt.Sprintf("deployments/scale update wants an autoscaling/v1 Scale, got %T", update.GetObject()))
		}
		d, err := setReplicas(tracker, update.GetNamespace(), s.Name, s.ResourceVersion, s.Spec.Replicas, isDryRun(update.UpdateOptions.DryRun))
		if err != nil {
			return true, nil, err
		}
		return true, scaleOf(d), nil
	})
	cs.PrependReactor("patch", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" {
			return false, nil, nil
		}
		patch := action.(k8stesting.PatchActionImpl)
		d, err := getDeployment(tracker, patch.GetNamespace(), patch.GetName())
		if err != nil {
			return true, nil, err
		}
		cur := scaleOf(d)
		patched := &autoscalingv1.Scale{}
		if err := applyPatch(cur, patch.GetPatchType(), patch.GetPatch(), patched); err != nil {
			return true, nil, apierrors.NewBadRequest(fmt.Sprintf("patch deployments/scale %s: %v", patch.GetName(), err))
		}
		// A resourceVersion in the patch that differs from the stored one
		// is a precondition, as on a real server.
		d, err = setReplicas(tracker, patch.GetNamespace(), patch.GetName(), patched.ResourceVersion, patched.Spec.Replicas, isDryRun(patch.PatchOptions.DryRun))
		if err != nil {
			return true, nil, err
		}
		return true, d, nil
	})
}

// AddResourceVersionReactors makes create, update and patch of resources on
// cs behave like a real API server with respect to metadata.resourceVersion:
// every stored change gets a new resourceVersion; an update or patch that
// carries a resourceVersion other than the stored one fails with 409
// Conflict and stores nothing; and server-side dry run (metav1.DryRunAll)
// returns the result without storing it. Subresources are left alone (see
// AddScaleReactors for deployments/scale).
func AddResourceVersionReactors(cs *fake.Clientset, resources ...schema.GroupVersionResource) {
	tracker := cs.Tracker()
	for _, gvr := range resources {
		cs.PrependReactor("create", gvr.Resource, func(action k8stesting.Action) (bool, runtime.Object, error) {
			if action.GetResource() != gvr || action.GetSubresource() != "" {
				return false, nil, nil
			}
			create := action.(k8stesting.CreateActionImpl)
			obj := create.GetObject().DeepCopyObject()
			m, err := meta.Accessor(obj)
			if err != nil {
				return true, nil, err
			}
			if m.GetResourceVersion() != "" {
				return true, nil, apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
			}
			m.SetResourceVersion("1")
			if m.GetNamespace() == "" {
				m.SetNamespace(create.GetNamespace())
			}
			if isDryRun(create.CreateOptions.DryRun) {
				if _, err := tracker.Get(gvr, create.GetNamespace(), m.GetName()); err == nil {
					return true, nil, apierrors.NewAlreadyExists(gvr.GroupResource(), m.GetName())
				}
				return true, obj, nil
			}
			if err := tracker.Create(gvr, obj, create.GetNamespace()); err != nil {
				return true, nil, err
			}
			return true, obj, nil
		})
		cs.PrependReactor("update", gvr.Resource, func(action k8stesting.Action) (bool, runtime.Object, error) {
			if action.GetResource() != gvr || action.GetSubresource() != "" {
				return false, nil, nil
			}
			update := action.(k8stesting.UpdateActionImpl)
			obj := update.GetObject().DeepCopyObject()
			m, err := meta.Accessor(obj)
			if err != nil {
				return true, nil, err
			}
			cur, err := tracker.Get(gvr, update.GetNamespace(), m.GetName())
			if err != nil {
				return true, nil, err
			}
			curRV := resourceVersion(cur)
			if rv := m.GetResourceVersion(); rv != "" && rv != curRV {
				return true, nil, conflict(gvr, m.GetName())
			}
			m.SetResourceVersion(nextResourceVersion(curRV))
			if m.GetNamespace() == "" {
				m.SetNamespace(update.GetNamespace())
			}
			if isDryRun(update.UpdateOptions.DryRun) {
				return true, obj, nil
			}
			if err := tracker.Update(gvr, obj, update.GetNamespace()); err != nil {
				return true, nil, err
			}
			return true, obj, nil
		})
		cs.PrependReactor("patch", gvr.Resource, func(action k8stesting.Action) (bool, runtime.Object, error) {
			if action.GetResource() != gvr || action.GetSubresource() != "" {
				return false, nil, nil
			}
			patch := action.(k8stesting.PatchActionImpl)
			if patch.GetPatchType() == types.ApplyPatchType {
				return false, nil, nil // server-side apply: leave it to the fake
			}
			cur, err := tracker.Get(gvr, patch.GetNamespace(), patch.GetName())
			if err != nil {
				return true, nil, err
			}
			curRV := resourceVersion(cur)
			patched := emptyLike(cur)
			if err := applyPatch(cur, patch.GetPatchType(), patch.GetPatch(), patched); err != nil {
				return true, nil, apierrors.NewBadRequest(fmt.Sprintf("patch %s %s: %v", gvr.Resource, patch.GetName(), err))
			}
			if rv := resourceVersion(patched); rv != "" && rv != curRV {
				return true, nil, conflict(gvr, patch.GetName())
			}
			m, err := meta.Accessor(patched)
			if err != nil {
				return true, nil, err
			}
			m.SetResourceVersion(nextResourceVersion(curRV))
			if isDryRun(patch.PatchOptions.DryRun) {
				return true, patched, nil
			}
			if err := tracker.Update(gvr, patched, patch.GetNamespace()); err != nil {
				return true, nil, err
			}
			return true, patched, nil
		})
	}
}

// AddAccessReactor answers SelfSubjectAccessReviews on cs, which the fake
// otherwise echoes back unanswered (so every permission looks denied):
// allowed, unless "verb resource" (e.g. "update configmaps", with
// "resource/subresource" for a subresource) is listed in denied.
func AddAccessReactor(cs *fake.Clientset, denied ...string) {
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		create, ok := action.(k8stesting.CreateAction)
		if !ok {
			return false, nil, nil
		}
		review, ok := create.GetObject().(*authorizationv1.SelfSubjectAccessReview)
		if !ok {
			return false, nil, nil
		}
		review = review.DeepCopy()
		review.Status.Allowed = true
		if a := review.Spec.ResourceAttributes; a != nil {
			resource := a.Resource
			if a.Subresource != "" {
				resource += "/" + a.Subresource
			}
			if slices.Contains(denied, a.Verb+" "+resource) {
				review.Status.Allowed = false
				review.Status.Reason = "denied by k8sfake.AddAccessReactor"
			}
		}
		return true, review, nil
	})
}

// getDeployment reads a Deployment from the tracker.
func getDeployment(tracker k8stesting.ObjectTracker, ns, name string) (*appsv1.Deployment, error) {
	obj, err := tracker.Get(deploymentsGVR, ns, name)
	if err != nil {
		return nil, err
	}
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return nil, fmt.Errorf("tracker holds %T for deployment %s/%s", obj, ns, name)
	}
	return d, nil
}

// setReplicas sets a Deployment's spec.replicas under a resourceVersion
// precondition (none when rv is empty) and stores it unless dryRun.
func setReplicas(tracker k8stesting.ObjectTracker, ns, name, rv string, replicas int32, dryRun bool) (*appsv1.Deployment, error) {
	d, err := getDeployment(tracker, ns, name)
	if err != nil {
		return nil, err
	}
	if rv != "" && rv != d.ResourceVersion {
		return nil, conflict(deploymentsGVR, name)
	}
	if replicas < 0 {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.replicas: Invalid value: %d: must be greater than or equal to 0", replicas))
	}
	d.Spec.Replicas = &replicas
	d.ResourceVersion = nextResourceVersion(d.ResourceVersion)
	if dryRun {
		return d, nil
	}
	if err := tracker.Update(deploymentsGVR, d, ns); err != nil {
		return nil, err
	}
	return d, nil
}

// scaleOf is the Scale the API server derives from a Deployment.
func scaleOf(d *appsv1.Deployment) *autoscalingv1.Scale {
	var replicas int32 = 1
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	selector := ""
	if d.Spec.Selector != nil {
		if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
			selector = s.String()
		}
	}
	return &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              d.Name,
			Namespace:         d.Namespace,
			UID:               d.UID,
			ResourceVersion:   d.ResourceVersion,
			CreationTimestamp: d.CreationTimestamp,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: replicas},
		Status: autoscalingv1.ScaleStatus{Replicas: d.Status.Replicas, Selector: selector},
	}
}

// applyPatch applies a JSON, merge or strategic merge patch to cur and
// decodes the result into out.
func applyPatch(cur runtime.Object, pt types.PatchType, patch []byte, out runtime.Object) error {
	old, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	var modified []byte
	switch pt {
	case types.JSONPatchType:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return err
		}
		if modified, err = p.Apply(old); err != nil {
			return err
		}
	case types.MergePatchType:
		if modified, err = jsonpatch.MergePatch(old, patch); err != nil {
			return err
		}
	case types.StrategicMergePatchType:
		if modified, err = strategicpatch.StrategicMergePatch(old, patch, cur); err != nil {
			return err
		}
	default:
		return fmt.Errorf("patch type %q is not supported", pt)
	}
	return json.Unmarshal(modified, out)
}

// emptyLike returns a new zero object of obj's type (obj is a pointer to
// an API struct), so decoding a patched object into it keeps no stale field.
func emptyLike(obj runtime.Object) runtime.Object {
	return reflect.New(reflect.TypeOf(obj).Elem()).Interface().(runtime.Object)
}

// isDryRun reports whether the options ask for server-side dry run.
func isDryRun(dryRun []string) bool { return slices.Contains(dryRun, metav1.DryRunAll) }

// resourceVersion of an API object, "" if it has none.
func resourceVersion(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetResourceVersion()
}

// nextResourceVersion is the resourceVersion after rv: integers counting
// up from 1 (an object seeded without one gets "1").
func nextResourceVersion(rv string) string {
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		n = 0
	}
	return strconv.FormatInt(n+1, 10)
}

// conflict is the 409 a real server returns for a stale resourceVersion.
func conflict(gvr schema.GroupVersionResource, name string) error {
	return apierrors.NewConflict(gvr.GroupResource(), name,
		fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
}

//go:build integration

package k8s_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/internal/testenv"
	"github.com/kimiclaw/kimiscale/k8s"
)

// The seed's names, which deploy/rbac.yaml grants by name.
const (
	depName = "kimiclaw-db"
	hpaName = "kimiclaw-hpa"
)

// TestWithControllers runs kimiscale's writes against a real kube-apiserver
// and etcd with kube-controller-manager (HPA and Deployment controllers),
// kube-scheduler and a kwok node, all on 127.0.0.1, where what matters is
// what the controllers do after the write. One cluster serves every subtest,
// each in its own namespace.
func TestWithControllers(t *testing.T) {
	kube := testenv.StartKube(t, testenv.KubeOptions{Controllers: true})
	admin := kube.Client(t)

	t.Run("scale directly up and down", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 2)
		c, audit := startConsole(t, kube, ns, "", "alice@laptop")
		ctx := testContext(t)

		st := state(t, c)
		res, err := c.Scale(ctx, core.ScaleRequest{From: st.Replicas, To: 3, ResourceVersion: st.ResourceVersion, By: "alice@laptop", Reason: "cpu 85 %"})
		if err != nil || !res.Applied || res.Via != k8s.ViaDeployment {
			t.Fatalf("Scale 2 → 3 = %+v, %v; want applied on the Deployment", res, err)
		}
		d := getDeployment(t, admin, ns)
		if *d.Spec.Replicas != 3 {
			t.Errorf("spec.replicas = %d, want 3", *d.Spec.Replicas)
		}
		wantLastScale(t, d, core.LastScale{Direction: core.DirectionUp, From: 2, To: 3, By: "alice@laptop", Reason: "cpu 85 %"})
		testenv.Eventually(t, time.Minute, "3 pods Ready", func(ctx context.Context) error {
			st, err := c.State(ctx)
			if err != nil {
				return err
			}
			if st.ReadyReplicas != 3 {
				return fmt.Errorf("ready %d, want 3", st.ReadyReplicas)
			}
			return nil
		})

		st = state(t, c)
		if _, err := c.Scale(ctx, core.ScaleRequest{From: 3, To: 1, ResourceVersion: st.ResourceVersion, Reason: "quiet night"}); err != nil {
			t.Fatalf("Scale 3 → 1: %v", err)
		}
		d = getDeployment(t, admin, ns)
		if *d.Spec.Replicas != 1 {
			t.Errorf("spec.replicas = %d, want 1", *d.Spec.Replicas)
		}
		wantLastScale(t, d, core.LastScale{Direction: core.DirectionDown, From: 3, To: 1, By: "alice@laptop", Reason: "quiet night"})
		wantEvents(t, c, k8s.ReasonScaled, k8s.ReasonScaled)
		wantAudit(t, audit, true, true)
	})

	t.Run("scale through the HPA with the real HPA controller", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 2)
		createHPA(t, admin, ns, 2, 6)
		c, _ := startConsole(t, kube, ns, "", "alice@laptop")
		ctx := testContext(t)
		waitForHPA(t, c)

		st := state(t, c)
		res, err := c.Scale(ctx, core.ScaleRequest{From: 2, To: 4, ResourceVersion: st.ResourceVersion, Reason: "qps"})
		if err != nil || !res.Applied || res.Via != k8s.ViaHPAMin {
			t.Fatalf("Scale 2 → 4 = %+v, %v; want applied through the HPA", res, err)
		}
		if h := getHPA(t, admin, ns); *h.Spec.MinReplicas != 4 || h.Spec.MaxReplicas != 6 || h.Annotations[k8s.AnnotationOriginalMin] != "2" {
			t.Errorf("HPA bounds = %d..%d, %s %q; want 4..6 and the original min 2 recorded",
				*h.Spec.MinReplicas, h.Spec.MaxReplicas, k8s.AnnotationOriginalMin, h.Annotations[k8s.AnnotationOriginalMin])
		}
		wantReplicas(t, admin, ns, 4, "the HPA controller scales to the new minReplicas")
		// The change sticks: several HPA syncs (2 s each) later it is still 4.
		time.Sleep(8 * time.Second)
		wantReplicas(t, admin, ns, 4, "still 4 after four HPA syncs")
		wantLastScale(t, getDeployment(t, admin, ns), core.LastScale{Direction: core.DirectionUp, From: 2, To: 4, By: "alice@laptop", Reason: "qps"})

		// Down: minReplicas is lowered; the HPA, not kimiscale, decides.
		st = state(t, c)
		res, err = c.Scale(ctx, core.ScaleRequest{From: 4, To: 3, ResourceVersion: st.ResourceVersion, Reason: "low load"})
		if err != nil || !strings.Contains(res.Message, "the HPA decides") {
			t.Fatalf("Scale 4 → 3 = %+v, %v; want minReplicas lowered and the HPA deciding", res, err)
		}
		if h := getHPA(t, admin, ns); *h.Spec.MinReplicas != 3 || h.Annotations[k8s.AnnotationOriginalMin] != "2" {
			t.Errorf("HPA min = %d, %s %q; want 3, the first saved original 2 kept",
				*h.Spec.MinReplicas, k8s.AnnotationOriginalMin, h.Annotations[k8s.AnnotationOriginalMin])
		}
		// Down again, below what the HPA keeps: refused with nothing written.
		_, err = c.Scale(ctx, core.ScaleRequest{From: 4, To: 3, ResourceVersion: state(t, c).ResourceVersion})
		var he *k8s.HPAError
		if !errors.As(err, &he) {
			t.Errorf("Scale 4 → 3 with minReplicas already 3 = %v, want *k8s.HPAError", err)
		}
		// Back to the original minReplicas: the record of it goes.
		if _, err := c.Scale(ctx, core.ScaleRequest{From: 4, To: 2, ResourceVersion: state(t, c).ResourceVersion, Reason: "night"}); err != nil {
			t.Fatalf("Scale 4 → 2: %v", err)
		}
		if h := getHPA(t, admin, ns); *h.Spec.MinReplicas != 2 || h.Annotations[k8s.AnnotationOriginalMin] != "" {
			t.Errorf("HPA min = %d, annotations %v; want 2 and no %s", *h.Spec.MinReplicas, h.Annotations, k8s.AnnotationOriginalMin)
		}
		wantEvents(t, c, k8s.ReasonScaled, k8s.ReasonScaled, k8s.ReasonNotApplied, k8s.ReasonScaled)
	})

	t.Run("pin and unpin", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 2)
		createHPA(t, admin, ns, 2, 6)
		c, _ := startConsole(t, kube, ns, "", "alice@laptop")
		ctx := testContext(t)
		waitForHPA(t, c)
		if _, err := c.Pin(ctx, core.PinRequest{Replicas: 5, Reason: "launch"}); err != nil {
			t.Fatalf("Pin 5: %v", err)
		}
		h := getHPA(t, admin, ns)
		if *h.Spec.MinReplicas != 5 || h.Spec.MaxReplicas != 5 || h.Annotations[k8s.AnnotationPinnedFrom] != `{"min":2,"max":6}` {
			t.Errorf("pinned HPA = %d..%d %v, want 5..5 with pinned-from 2..6", *h.Spec.MinReplicas, h.Spec.MaxReplicas, h.Annotations)
		}
		wantReplicas(t, admin, ns, 5, "the HPA holds the pin")
		testenv.Eventually(t, 30*time.Second, "the pin in the cache", func(ctx context.Context) error {
			st, err := c.State(ctx)
			if err != nil || !st.HPA.Pinned() || *st.HPA.PinnedFrom != (core.Bounds{Min: 2, Max: 6}) {
				return fmt.Errorf("state HPA %+v (%v)", st.HPA, err)
			}
			return nil
		})
		if _, err := c.Pin(ctx, core.PinRequest{Unpin: true, Reason: "launch over"}); err != nil {
			t.Fatalf("unpin: %v", err)
		}
		h = getHPA(t, admin, ns)
		if _, ok := h.Annotations[k8s.AnnotationPinnedFrom]; ok || *h.Spec.MinReplicas != 2 || h.Spec.MaxReplicas != 6 {
			t.Errorf("unpinned HPA = %d..%d %v, want 2..6 without pinned-from", *h.Spec.MinReplicas, h.Spec.MaxReplicas, h.Annotations)
		}
		wantEvents(t, c, k8s.ReasonPinned, k8s.ReasonUnpinned)
	})

	t.Run("DuckDB settings and rolling restart", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 1)
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: k8s.ConfigMapName}, Data: map[string]string{"memory_limit": "4GB", "threads": "4"}}
		if _, err := admin.CoreV1().ConfigMaps(ns).Create(testContext(t), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		c, _ := startConsole(t, kube, ns, "", "alice@laptop")
		ctx := testContext(t)
		testenv.Eventually(t, 30*time.Second, "duckdb-config in the cache", func(ctx context.Context) error {
			if st, err := c.State(ctx); err != nil || st.DuckDB == nil {
				return fmt.Errorf("no duckdb settings yet (%v)", err)
			}
			return nil
		})
		st := state(t, c)

		// Refused: more threads than the 4-CPU limit allows; nothing written.
		if _, err := c.ApplyDuckDB(ctx, core.DuckDBRequest{From: *st.DuckDB, To: core.DuckDBSettings{MemoryLimit: "6GB", Threads: 16}, Restart: true}); err == nil {
			t.Fatal("16 threads on a 4-CPU limit accepted")
		}
		gen := getDeployment(t, admin, ns).Generation

		res, err := c.ApplyDuckDB(ctx, core.DuckDBRequest{From: *st.DuckDB, To: core.DuckDBSettings{MemoryLimit: "6GB", Threads: 3}, Restart: true, Reason: "VPA target 8Gi"})
		if err != nil || !res.Applied {
			t.Fatalf("ApplyDuckDB = %+v, %v; want applied", res, err)
		}
		got, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, k8s.ConfigMapName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Data["memory_limit"] != "6GB" || got.Data["threads"] != "3" {
			t.Errorf("duckdb-config = %v, want 6GB and 3", got.Data)
		}
		d := getDeployment(t, admin, ns)
		if d.Spec.Template.Annotations[k8s.AnnotationRestartedAt] == "" || d.Generation != gen+1 {
			t.Errorf("pod template annotations %v, generation %d → %d; want restartedAt set, one new generation", d.Spec.Template.Annotations, gen, d.Generation)
		}
		testenv.Eventually(t, time.Minute, "the Deployment controller rolls out a new ReplicaSet", func(ctx context.Context) error {
			rss, err := admin.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + depName})
			if err != nil {
				return err
			}
			if len(rss.Items) < 2 {
				return fmt.Errorf("%d ReplicaSets, want 2", len(rss.Items))
			}
			return nil
		})

		// A stale From (threads 4 → someone set 2) is refused.
		got.Data["threads"] = "2"
		if _, err := admin.CoreV1().ConfigMaps(ns).Update(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err = c.ApplyDuckDB(ctx, core.DuckDBRequest{From: core.DuckDBSettings{MemoryLimit: "6GB", Threads: 3, ResourceVersion: got.ResourceVersion}, To: core.DuckDBSettings{MemoryLimit: "5GB", Threads: 2}})
		var pe *k8s.PreconditionError
		if !errors.As(err, &pe) || pe.Field != "data.threads" {
			t.Errorf("ApplyDuckDB on a stale read = %v, want *k8s.PreconditionError on data.threads", err)
		}
		wantEvents(t, c, k8s.ReasonNotApplied, k8s.ReasonDuckDB, k8s.ReasonNotApplied)
	})
}

// TestAgainstKubeAPIServer runs kimiscale's reads, writes, Lease and RBAC
// against a real kube-apiserver and etcd on 127.0.0.1 (no controllers are
// needed for these). One cluster serves every subtest, each in its own
// namespace; the fault test that stops the API server runs last.
func TestAgainstKubeAPIServer(t *testing.T) {
	kube := testenv.StartKube(t, testenv.KubeOptions{Users: []string{"viewer", "operator"}})
	admin := kube.Client(t)

	t.Run("a write between read and apply is refused", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 2)
		c, audit := startConsole(t, kube, ns, "", "alice@laptop")
		ctx := testContext(t)
		seen := state(t, c) // what alice approved against

		// bob scales to 4 with kubectl before alice confirms 2 → 3.
		scale, err := admin.AppsV1().Deployments(ns).GetScale(ctx, depName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		scale.Spec.Replicas = 4
		if _, err := admin.AppsV1().Deployments(ns).UpdateScale(ctx, depName, scale, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		before := getDeployment(t, admin, ns)

		res, err := c.Scale(ctx, core.ScaleRequest{From: seen.Replicas, To: 3, ResourceVersion: seen.ResourceVersion, Reason: "cpu"})
		var pe *k8s.PreconditionError
		if !errors.As(err, &pe) || pe.Want != "2" || pe.Got != "4" || res.Applied {
			t.Fatalf("Scale on a stale read = %+v, %v; want *k8s.PreconditionError 2 → 4, not applied", res, err)
		}
		after := getDeployment(t, admin, ns)
		if *after.Spec.Replicas != 4 || after.Annotations[k8s.AnnotationLastScale] != "" || after.Generation != before.Generation {
			t.Errorf("deployment after the refused write: replicas %d, annotations %v, generation %d → %d; want untouched",
				*after.Spec.Replicas, after.Annotations, before.Generation, after.Generation)
		}
		wantEvents(t, c, k8s.ReasonNotApplied)
		wantAudit(t, audit, false)
	})

	t.Run("two consoles compete for the Lease", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 1)
		alice, _ := startConsole(t, kube, ns, "", "alice@laptop")
		bob, _ := startConsole(t, kube, ns, "", "bob@desk")

		aliceCtx, killAlice := context.WithCancel(testContext(t))
		defer killAlice()
		ach, err := alice.Acquire(aliceCtx)
		if err != nil {
			t.Fatal(err)
		}
		if s := nextStatus(t, ach); s != (core.LeaseStatus{Held: true, Holder: "alice@laptop"}) {
			t.Fatalf("alice: %+v, want held", s)
		}
		bch, err := bob.Acquire(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		defer bob.Release()
		if s := nextStatus(t, bch); s != (core.LeaseStatus{Holder: "alice@laptop"}) {
			t.Fatalf("bob: %+v, want told alice holds it", s)
		}
		if h, err := bob.Holder(testContext(t)); err != nil || h != "alice@laptop" {
			t.Errorf("Holder = %q, %v; want alice@laptop", h, err)
		}
		// Only the holder auto-applies.
		if _, err := bob.Scale(testContext(t), core.ScaleRequest{From: 1, To: 2, Auto: true}); !errors.Is(err, k8s.ErrNotLeader) {
			t.Errorf("bob's auto Scale while alice holds the Lease = %v, want k8s.ErrNotLeader", err)
		}
		if res, err := alice.Scale(testContext(t), core.ScaleRequest{From: 1, To: 2, Auto: true, Reason: "auto"}); err != nil || !res.Applied {
			t.Errorf("alice's auto Scale = %+v, %v; want applied", res, err)
		}
		// Kill alice's console (its context ends): bob takes over.
		began := time.Now()
		killAlice()
		for range ach {
		}
		if s := nextStatus(t, bch); s != (core.LeaseStatus{Held: true, Holder: "bob@desk"}) {
			t.Fatalf("bob after alice died: %+v, want held", s)
		}
		t.Logf("bob took the Lease %s after alice's console ended", time.Since(began).Round(time.Millisecond))
		if res, err := bob.Scale(testContext(t), core.ScaleRequest{From: 2, To: 3, Auto: true, Reason: "auto"}); err != nil || !res.Applied {
			t.Errorf("bob's auto Scale as the new holder = %+v, %v; want applied", res, err)
		}
		if d := getDeployment(t, admin, ns); *d.Spec.Replicas != 3 {
			t.Errorf("replicas = %d, want 3 (alice's then bob's auto writes)", *d.Spec.Replicas)
		}
		lease, err := admin.CoordinationV1().Leases(ns).Get(testContext(t), k8s.LeaseName(depName), metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil || !strings.HasPrefix(*lease.Spec.HolderIdentity, "bob@desk#") {
			t.Errorf("Lease %s holder = %v, %v; want bob@desk#<campaign>", k8s.LeaseName(depName), lease.Spec.HolderIdentity, err)
		}
	})

	t.Run("viewer is read-only and operator can write and nothing more", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 2)
		createHPA(t, admin, ns, 2, 6)
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: k8s.ConfigMapName}, Data: map[string]string{"memory_limit": "4GB", "threads": "4"}}
		if _, err := admin.CoreV1().ConfigMaps(ns).Create(testContext(t), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		applyRBAC(t, admin, ns)

		viewer, vaudit := startConsole(t, kube, ns, "viewer", "viewer@laptop")
		ctx := testContext(t)
		st := state(t, viewer)
		if st.Replicas != 2 {
			t.Errorf("viewer reads %d replicas, want 2", st.Replicas)
		}
		if _, err := viewer.Events(ctx, time.Time{}); err != nil {
			t.Errorf("viewer Events: %v", err)
		}
		if _, err := viewer.Holder(ctx); err != nil {
			t.Errorf("viewer Holder: %v", err)
		}
		va, err := viewer.Access(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantMissing := []string{"patch deployments", "patch horizontalpodautoscalers", "update configmaps", "create events", "create leases", "update leases"}
		if !va.ReadOnly() || va.ConfigMap || va.Lease || va.Events || strings.Join(va.Missing, ",") != strings.Join(wantMissing, ",") {
			t.Errorf("viewer Access = %+v, want read-only with missing %v", va, wantMissing)
		}
		res, err := viewer.Pin(ctx, core.PinRequest{Replicas: 3})
		if !apierrors.IsForbidden(err) || res.Applied {
			t.Errorf("viewer Pin = %+v, %v; want Forbidden, not applied", res, err)
		}
		wantAudit(t, vaudit, false)

		operator, _ := startConsole(t, kube, ns, "operator", "operator@laptop")
		oa, err := operator.Access(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (core.Access{Scale: true, HPA: true, ConfigMap: true, Restart: true, Lease: true, Events: true}); oa.Scale != want.Scale || oa.HPA != want.HPA ||
			oa.ConfigMap != want.ConfigMap || oa.Restart != want.Restart || oa.Lease != want.Lease || oa.Events != want.Events || len(oa.Missing) != 0 {
			t.Errorf("operator Access = %+v, want every write", oa)
		}
		testenv.Eventually(t, 30*time.Second, "HPA and ConfigMap in the operator's cache", func(ctx context.Context) error {
			if st, err := operator.State(ctx); err != nil || st.HPA == nil || st.DuckDB == nil {
				return fmt.Errorf("not yet (%v)", err)
			}
			return nil
		})
		st = state(t, operator)
		if _, err := operator.Scale(ctx, core.ScaleRequest{From: 2, To: 3, ResourceVersion: st.ResourceVersion, Reason: "operator test"}); err != nil {
			t.Errorf("operator Scale (through the HPA): %v", err)
		}
		if _, err := operator.Pin(ctx, core.PinRequest{Replicas: 4}); err != nil {
			t.Errorf("operator Pin: %v", err)
		}
		if _, err := operator.Pin(ctx, core.PinRequest{Unpin: true}); err != nil {
			t.Errorf("operator unpin: %v", err)
		}
		if _, err := operator.ApplyDuckDB(ctx, core.DuckDBRequest{From: *st.DuckDB, To: core.DuckDBSettings{MemoryLimit: "5GB", Threads: 2}, Restart: true}); err != nil {
			t.Errorf("operator ApplyDuckDB with restart: %v", err)
		}
		lctx, stop := context.WithCancel(ctx)
		ch, err := operator.Acquire(lctx)
		if err != nil {
			t.Fatal(err)
		}
		if s := nextStatus(t, ch); !s.Held {
			t.Errorf("operator Lease status %+v, want held", s)
		}
		stop()
		for range ch {
		}
		// Scale directly too: remove the HPA first (as admin).
		if err := admin.AutoscalingV2().HorizontalPodAutoscalers(ns).Delete(ctx, hpaName, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 30*time.Second, "the HPA gone from the cache", func(ctx context.Context) error {
			if st, err := operator.State(ctx); err != nil || st.HPA != nil {
				return fmt.Errorf("HPA still there (%v)", err)
			}
			return nil
		})
		st = state(t, operator)
		if _, err := operator.Scale(ctx, core.ScaleRequest{From: st.Replicas, To: st.Replicas + 1, ResourceVersion: st.ResourceVersion}); err != nil {
			t.Errorf("operator Scale (direct): %v", err)
		}

		// Nothing more: everything else is denied to the operator.
		opClient := kube.ClientFor(t, "operator")
		for _, attrs := range []authorizationv1.ResourceAttributes{
			{Verb: "delete", Group: "apps", Resource: "deployments", Name: depName},
			{Verb: "update", Group: "apps", Resource: "deployments", Name: depName},
			{Verb: "create", Group: "apps", Resource: "deployments"},
			{Verb: "patch", Group: "apps", Resource: "deployments", Name: "another-app"},
			{Verb: "update", Group: "apps", Resource: "deployments", Subresource: "scale", Name: depName},
			{Verb: "patch", Group: "autoscaling", Resource: "horizontalpodautoscalers", Name: "another-hpa"},
			{Verb: "delete", Group: "autoscaling", Resource: "horizontalpodautoscalers", Name: hpaName},
			{Verb: "update", Resource: "configmaps", Name: "another-config"},
			{Verb: "delete", Resource: "configmaps", Name: k8s.ConfigMapName},
			{Verb: "get", Resource: "secrets"},
			{Verb: "create", Resource: "pods"},
			{Verb: "delete", Resource: "pods"},
			{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Name: "kube-controller-manager"},
			{Verb: "delete", Group: "coordination.k8s.io", Resource: "leases", Name: k8s.LeaseName(depName)},
			{Verb: "delete", Resource: "events"},
			{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"},
		} {
			attrs.Namespace = ns
			r, err := opClient.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status.Allowed {
				t.Errorf("operator may %s %s/%s %s: want denied", attrs.Verb, attrs.Resource, attrs.Subresource, attrs.Name)
			}
		}
		if err := opClient.AppsV1().Deployments(ns).Delete(ctx, depName, metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("operator deletes the Deployment: %v, want Forbidden", err)
		}
	})

	t.Run("VPA recommendation is read when its CRD exists", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 1)
		// Before the CRD: no VPA, no error (checked by every other subtest).
		dyn, err := dynamic.NewForConfig(kube.Config(""))
		if err != nil {
			t.Fatal(err)
		}
		installVPACRD(t, dyn)
		vpa := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
			"metadata": map[string]any{"name": k8s.VPAName},
			"spec":     map[string]any{"targetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": depName}},
			"status": map[string]any{"recommendation": map[string]any{"containerRecommendations": []any{map[string]any{
				"containerName": "kimiclaw",
				"target":        map[string]any{"cpu": "1500m", "memory": "3Gi"},
				"lowerBound":    map[string]any{"cpu": "500m", "memory": "2Gi"},
				"upperBound":    map[string]any{"cpu": "4", "memory": "16Gi"},
			}}}},
		}}
		vpaGVR := schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}
		if _, err := dyn.Resource(vpaGVR).Namespace(ns).Create(testContext(t), vpa, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create VPA: %v", err)
		}
		c, _ := startConsoleWith(t, kube, ns, "", "alice@laptop", dyn)
		testenv.Eventually(t, 30*time.Second, "the VPA recommendation", func(ctx context.Context) error {
			st, err := c.State(ctx)
			if err != nil || st.VPA == nil {
				return fmt.Errorf("no VPA yet (%v)", err)
			}
			if st.VPA.Target != (core.Resources{CPU: 1500, Memory: 3 * core.GiB}) {
				return fmt.Errorf("VPA target %+v", st.VPA.Target)
			}
			return nil
		})
	})

	// Last: it stops the API server shared by the subtests above.
	t.Run("API server stopped during an apply, and the watch resumes", func(t *testing.T) {
		ns := kube.Namespace(t)
		createDeployment(t, admin, ns, 2)
		gate := &patchGate{inflight: make(chan struct{}), proceed: make(chan struct{})}
		cfg := kube.Config("")
		cfg.WrapTransport = gate.wrap
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		audit := filepath.Join(t.TempDir(), "audit.log")
		c, err := k8s.New(k8s.Options{Client: cs, Namespace: ns, Deployment: depName, User: "alice@laptop", AuditLogPath: audit})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		st := state(t, c)

		type result struct {
			res core.ApplyResult
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := c.Scale(ctx, core.ScaleRequest{From: 2, To: 3, ResourceVersion: st.ResourceVersion, Reason: "during outage"})
			done <- result{res, err}
		}()
		select {
		case <-gate.inflight: // the PATCH is about to go out
		case <-time.After(30 * time.Second):
			t.Fatal("the scale request never started")
		}
		kube.StopAPIServer()
		close(gate.proceed)
		var r result
		select {
		case r = <-done:
		case <-time.After(time.Minute):
			t.Fatal("Scale did not return with the API server down")
		}
		if r.err == nil || r.res.Applied || !strings.HasPrefix(r.res.Message, "not applied") {
			t.Fatalf("Scale with the API server stopped = %+v, %v; want not applied", r.res, r.err)
		}
		t.Logf("reported: %s", r.res.Message)
		lines := readAudit(t, audit)
		if len(lines) != 1 || lines[0].Applied || lines[0].Error == "" {
			t.Fatalf("audit log = %+v, want one not-applied line with the error", lines)
		}

		kube.StartAPIServer()
		d := getDeployment(t, admin, ns)
		if *d.Spec.Replicas != 2 || d.Annotations[k8s.AnnotationLastScale] != "" {
			t.Errorf("after restart: replicas %d, annotations %v; want 2 and no last-scale (nothing half-applied)", *d.Spec.Replicas, d.Annotations)
		}
		// The watch broke with the server; it resumes and sees a change made
		// after the restart.
		scale, err := admin.AppsV1().Deployments(ns).GetScale(ctx, depName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		scale.Spec.Replicas = 4
		if _, err := admin.AppsV1().Deployments(ns).UpdateScale(ctx, depName, scale, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		testenv.Eventually(t, 90*time.Second, "the resumed watch shows 4 replicas", func(ctx context.Context) error {
			st, err := c.State(ctx)
			if err != nil || st.Replicas != 4 {
				return fmt.Errorf("state replicas %d (%v)", st.Replicas, err)
			}
			return nil
		})
		t.Logf("watch resumed and caught up %s after the change", time.Since(began).Round(time.Millisecond))
		// And the console writes again, from the state it now shows.
		st = state(t, c)
		if res, err := c.Scale(ctx, core.ScaleRequest{From: 4, To: 3, ResourceVersion: st.ResourceVersion, Reason: "after outage"}); err != nil || !res.Applied {
			t.Fatalf("Scale after restart = %+v, %v", res, err)
		}
		if lines := readAudit(t, audit); len(lines) != 2 || !lines[1].Applied {
			t.Errorf("audit log = %+v, want the failed and then the applied line", lines)
		}
	})
}

// patchGate holds the first PATCH request until the test says proceed,
// after telling it the request is in flight.
type patchGate struct {
	once              sync.Once
	inflight, proceed chan struct{}
}

func (g *patchGate) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method == http.MethodPatch {
			first := false
			g.once.Do(func() { first = true })
			if first {
				close(g.inflight)
				<-g.proceed
			}
		}
		return rt.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// testContext is bounded by 2 minutes and ends with the test.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startConsole is a started k8s.Client acting as the token user kubeUser
// ("" = admin), recording writes as user, with its own audit log.
func startConsole(t *testing.T, kube *testenv.Kube, ns, kubeUser, user string) (*k8s.Client, string) {
	t.Helper()
	return startConsoleWith(t, kube, ns, kubeUser, user, nil)
}

func startConsoleWith(t *testing.T, kube *testenv.Kube, ns, kubeUser, user string, dyn dynamic.Interface) (*k8s.Client, string) {
	t.Helper()
	audit := filepath.Join(t.TempDir(), "audit.log")
	c, err := k8s.New(k8s.Options{
		Client: kube.ClientFor(t, kubeUser), Dynamic: dyn, Namespace: ns, Deployment: depName, User: user, AuditLogPath: audit,
		LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	t.Cleanup(c.Release)
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start as %q: %v", kubeUser, err)
	}
	return c, audit
}

// state reads the console's State or fails.
func state(t *testing.T, c *k8s.Client) core.ClusterState {
	t.Helper()
	st, err := c.State(testContext(t))
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}

func createDeployment(t *testing.T, c kubernetes.Interface, ns string, replicas int32) {
	t.Helper()
	labels := map[string]string{"app": depName}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: depName},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "kimiclaw",
					Image: "registry.k8s.io/pause:3.10", // never pulled: kwok runs no containers
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
						Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")},
					},
				}}},
			},
		},
	}
	if _, err := c.AppsV1().Deployments(ns).Create(testContext(t), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
}

func createHPA(t *testing.T, c kubernetes.Interface, ns string, min, max int32) {
	t.Helper()
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: hpaName},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: depName},
			MinReplicas:    ptr.To(min),
			MaxReplicas:    max,
		},
	}
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(testContext(t), h, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create hpa: %v", err)
	}
}

func getDeployment(t *testing.T, c kubernetes.Interface, ns string) *appsv1.Deployment {
	t.Helper()
	d, err := c.AppsV1().Deployments(ns).Get(testContext(t), depName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func getHPA(t *testing.T, c kubernetes.Interface, ns string) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	h, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(testContext(t), hpaName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// wantReplicas waits until the Deployment's spec.replicas is n.
func wantReplicas(t *testing.T, c kubernetes.Interface, ns string, n int32, what string) {
	t.Helper()
	testenv.Eventually(t, time.Minute, what, func(ctx context.Context) error {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, depName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if *d.Spec.Replicas != n {
			return fmt.Errorf("spec.replicas %d, want %d", *d.Spec.Replicas, n)
		}
		return nil
	})
}

// wantLastScale checks the Deployment's last-scale annotation (At only for
// being recent).
func wantLastScale(t *testing.T, d *appsv1.Deployment, want core.LastScale) {
	t.Helper()
	raw := d.Annotations[k8s.AnnotationLastScale]
	var got core.LastScale
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("last-scale annotation %q: %v", raw, err)
	}
	if time.Since(got.At) > 5*time.Minute || got.At.After(time.Now().Add(time.Minute)) {
		t.Errorf("last-scale at %s, want about now", got.At)
	}
	got.At = time.Time{}
	if got != want {
		t.Errorf("last-scale = %+v, want %+v", got, want)
	}
}

// wantEvents waits until the console's Events are exactly reasons, in order.
func wantEvents(t *testing.T, c *k8s.Client, reasons ...string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "events "+strings.Join(reasons, ", "), func(ctx context.Context) error {
		evs, err := c.Events(ctx, time.Time{})
		if err != nil {
			return err
		}
		var got []string
		for _, e := range evs {
			if e.By == "" || e.Message == "" {
				return fmt.Errorf("event %+v lacks user or message", e)
			}
			got = append(got, e.Reason)
		}
		if strings.Join(got, ",") != strings.Join(reasons, ",") {
			return fmt.Errorf("events %v", got)
		}
		return nil
	})
}

func readAudit(t *testing.T, path string) []k8s.AuditRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []k8s.AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r k8s.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// wantAudit checks the audit log's lines' Applied flags.
func wantAudit(t *testing.T, path string, applied ...bool) {
	t.Helper()
	lines := readAudit(t, path)
	if len(lines) != len(applied) {
		t.Fatalf("audit log has %d lines %+v, want %d", len(lines), lines, len(applied))
	}
	for i, l := range lines {
		if l.Applied != applied[i] {
			t.Errorf("audit line %d applied = %v, want %v (%+v)", i, l.Applied, applied[i], l)
		}
	}
}

func nextStatus(t *testing.T, ch <-chan core.LeaseStatus) core.LeaseStatus {
	t.Helper()
	select {
	case s, ok := <-ch:
		if !ok {
			t.Fatal("lease channel closed")
		}
		return s
	case <-time.After(30 * time.Second):
		t.Fatal("no lease status within 30s")
	}
	return core.LeaseStatus{}
}

// applyRBAC creates deploy/rbac.yaml's Roles in ns and binds the token
// users viewer and operator to them.
func applyRBAC(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "deploy", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var role rbacv1.Role
		if err := yaml.UnmarshalStrict([]byte(doc), &role); err != nil {
			t.Fatalf("deploy/rbac.yaml: %v", err)
		}
		if role.Kind != "Role" {
			t.Fatalf("deploy/rbac.yaml: a %q where a Role was expected", role.Kind)
		}
		if _, err := c.RbacV1().Roles(ns).Create(testContext(t), &role, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create role %s: %v", role.Name, err)
		}
		names = append(names, role.Name)
	}
	if strings.Join(names, ",") != "kimiscale-viewer,kimiscale-operator" {
		t.Fatalf("deploy/rbac.yaml Roles = %v, want kimiscale-viewer and kimiscale-operator", names)
	}
	for user, role := range map[string]string{"viewer": "kimiscale-viewer", "operator": "kimiscale-operator"} {
		b := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: role},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		}
		if _, err := c.RbacV1().RoleBindings(ns).Create(testContext(t), b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// installVPACRD creates a minimal VerticalPodAutoscaler CRD (no status
// subresource, so status is written with the object) and waits until it is
// served.
func installVPACRD(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{
			"name": "verticalpodautoscalers.autoscaling.k8s.io",
			// *.k8s.io groups need it; the real VPA CRD carries the same.
			"annotations": map[string]any{"api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/63797"},
		},
		"spec": map[string]any{
			"group": "autoscaling.k8s.io", "scope": "Namespaced",
			"names": map[string]any{"plural": "verticalpodautoscalers", "singular": "verticalpodautoscaler", "kind": "VerticalPodAutoscaler", "listKind": "VerticalPodAutoscalerList"},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
			}},
		},
	}}
	ctx := testContext(t)
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create VPA CRD: %v", err)
	}
	testenv.Eventually(t, time.Minute, "the VPA CRD established", func(ctx context.Context) error {
		_, err := dyn.Resource(schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}).List(ctx, metav1.ListOptions{})
		return err
	})
}

// waitForHPA waits until the console's watch cache holds the HPA.
func waitForHPA(t *testing.T, c *k8s.Client) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "the HPA in the cache", func(ctx context.Context) error {
		if st, err := c.State(ctx); err != nil || st.HPA == nil {
			return fmt.Errorf("no HPA yet (%v)", err)
		}
		return nil
	})
}

//go:build integration

package testenv

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "kimiclaw",
					Image: "registry.k8s.io/pause:3.10", // never pulled: kwok runs no containers
				}}},
			},
		},
	}
}

// readyPods counts the Deployment's pods that are Running and Ready on the
// kwok node.
func readyPods(ctx context.Context, c kubernetes.Interface, ns, name string) (int, error) {
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pods.Items {
		ready := slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
		})
		if p.Status.Phase == corev1.PodRunning && ready && p.Spec.NodeName == KwokNodeName && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n, nil
}

func wantReadyPods(c kubernetes.Interface, ns, name string, want int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n, err := readyPods(ctx, c, ns, name)
		if err != nil {
			return err
		}
		d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if n != want || d.Status.ReadyReplicas != int32(want) {
			return fmt.Errorf("%d pods Running and Ready, Deployment readyReplicas %d, want %d", n, d.Status.ReadyReplicas, want)
		}
		return nil
	}
}

// TestKubeRunsDeploymentAndHPA proves the rig end to end: the Deployment and
// ReplicaSet controllers make pods, the scheduler binds them to the kwok
// node, kwok turns them Running and Ready, and the real HPA controller
// enforces minReplicas. It logs the servers' resident memory.
func TestKubeRunsDeploymentAndHPA(t *testing.T) {
	began := time.Now()
	kube := StartKube(t, KubeOptions{Controllers: true})
	t.Logf("StartKube with controllers took %s", time.Since(began).Round(time.Millisecond))
	c := kube.Client(t)
	ns := kube.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	node, err := c.CoreV1().Nodes().Get(ctx, KwokNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(node.Spec.Taints) != 0 {
		t.Errorf("node %s taints = %v, want none", KwokNodeName, node.Spec.Taints)
	}

	if _, err := c.AppsV1().Deployments(ns).Create(ctx, deployment("kimiclaw-db", 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	Eventually(t, time.Minute, "2 pods Running and Ready", wantReadyPods(c, ns, "kimiclaw-db", 2))
	t.Logf("Deployment with 2 replicas Ready in %s", time.Since(began).Round(time.Millisecond))

	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "kimiclaw-db"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "kimiclaw-db"},
			MinReplicas:    ptr.To[int32](3),
			MaxReplicas:    5,
		},
	}
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	Eventually(t, time.Minute, "HPA raises the Deployment to minReplicas 3", wantReadyPods(c, ns, "kimiclaw-db", 3))
	t.Logf("HPA scaled 2 -> 3 Ready pods in %s", time.Since(began).Round(time.Millisecond))

	// Scaling down deletes pods; with no kubelet, kwok's pod-delete stage
	// must finalize them or they would stay Terminating.
	if err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Delete(ctx, "kimiclaw-db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	scale, err := c.AppsV1().Deployments(ns).GetScale(ctx, "kimiclaw-db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 1
	if _, err := c.AppsV1().Deployments(ns).UpdateScale(ctx, "kimiclaw-db", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	Eventually(t, time.Minute, "scale down to 1 pod, the others gone", func(ctx context.Context) error {
		pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=kimiclaw-db"})
		if err != nil {
			return err
		}
		if len(pods.Items) != 1 {
			return fmt.Errorf("%d pods exist, want 1", len(pods.Items))
		}
		return wantReadyPods(c, ns, "kimiclaw-db", 1)(ctx)
	})
	for _, p := range kube.processes() {
		t.Logf("RSS %-24s %4d MiB", p.name, p.rssBytes()>>20)
	}
}

// TestKubeUsersAndRBAC checks that extra users have no rights until RBAC
// grants them, and that kubeconfigs work for CLI-style clients.
func TestKubeUsersAndRBAC(t *testing.T) {
	kube := StartKube(t, KubeOptions{Users: []string{"viewer"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := kube.Client(t)
	viewer := kube.ClientFor(t, "viewer")

	_, err := viewer.AppsV1().Deployments(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("viewer lists Deployments before any RBAC: err = %v, want Forbidden", err)
	}
	if _, err := admin.AppsV1().Deployments(metav1.NamespaceDefault).Create(ctx, deployment("web", 1), metav1.CreateOptions{}); err != nil {
		t.Fatalf("admin creates a Deployment: %v", err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "deployment-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer-reads-deployments"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "viewer"}},
	}
	if _, err := admin.RbacV1().Roles(metav1.NamespaceDefault).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(metav1.NamespaceDefault).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	Eventually(t, 30*time.Second, "viewer lists Deployments once bound", func(ctx context.Context) error {
		list, err := viewer.AppsV1().Deployments(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(list.Items) != 1 {
			return fmt.Errorf("viewer sees %d Deployments, want 1", len(list.Items))
		}
		return nil
	})
	err = viewer.AppsV1().Deployments(metav1.NamespaceDefault).Delete(ctx, "web", metav1.DeleteOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("viewer deletes a Deployment: err = %v, want Forbidden", err)
	}

	// A kubeconfig for the viewer, as a CLI test would load it.
	path := kube.Kubeconfig("viewer")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", path, err)
	}
	fromFile, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	review, err := fromFile.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectReview through the viewer kubeconfig: %v", err)
	}
	if got := review.Status.UserInfo.Username; got != "viewer" {
		t.Errorf("kubeconfig authenticates as %q, want viewer", got)
	}
}

// TestAPIServerRestart checks the fault-test hooks: with the API server
// stopped requests fail; restarted on the same port, the old clients work
// again and the data in etcd is still there.
func TestAPIServerRestart(t *testing.T) {
	kube := StartKube(t, KubeOptions{})
	c := kube.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "duckdb-config"}, Data: map[string]string{"threads": "4"}}
	if _, err := c.CoreV1().ConfigMaps(metav1.NamespaceDefault).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kube.StopAPIServer()
	if _, err := c.CoreV1().ConfigMaps(metav1.NamespaceDefault).Get(ctx, "duckdb-config", metav1.GetOptions{}); err == nil {
		t.Fatal("Get with the API server stopped succeeded, want an error")
	}
	kube.StartAPIServer()
	got, err := c.CoreV1().ConfigMaps(metav1.NamespaceDefault).Get(ctx, "duckdb-config", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Get after restart: %v", err)
	}
	if got.Data["threads"] != "4" {
		t.Errorf("after restart threads = %q, want 4", got.Data["threads"])
	}
	kube.KillAPIServer()
	kube.StartAPIServer()
	if _, err := c.CoreV1().ConfigMaps(metav1.NamespaceDefault).Get(ctx, "duckdb-config", metav1.GetOptions{}); err != nil {
		t.Fatalf("Get after kill and restart: %v", err)
	}
}

//go:build integration

package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/internal/fakekimiclaw"
	"github.com/kimiclaw/kimiscale/internal/testenv"
)

// kimiclawRig is kimiclaw-db on real servers: a kube-apiserver with the
// Deployment and ReplicaSet controllers and kwok (which makes pods Ready),
// and a real Prometheus scraping kimiclaw's series for the Deployment's
// pods. Everything is stopped by the test's cleanup, also on failure.
type kimiclawRig struct {
	kube   *testenv.Kube
	ns     string
	client kubernetes.Interface
	prom   *testenv.Prometheus
}

// startKimiclaw starts the rig: Deployment kimiclaw-db with 2 Ready
// replicas (requests 1 CPU and 2Gi, limits 2 CPU and 4Gi), ConfigMap
// duckdb-config (4GB, 4 threads), and each pod serving at 90 % CPU of its
// request (above the seed's 70 %), half its memory request, 100 QPS and 50
// connections.
func startKimiclaw(ctx context.Context, t *testing.T) kimiclawRig {
	t.Helper()
	kube := testenv.StartKube(t, testenv.KubeOptions{Controllers: true})
	ns := kube.Namespace(t)
	client := kube.Client(t)

	labels := map[string]string{"app": "kimiclaw-db"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "kimiclaw-db", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "kimiclaw", Image: "kimiclaw-db:test",
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")},
						Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
					},
				}}},
			},
		},
	}
	_, err := client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "duckdb-config", Namespace: ns},
		Data:       map[string]string{"memory_limit": "4GB", "threads": "4"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	// The real pods' names, so the series match the Deployment's pods.
	var pods []string
	require.Eventually(t, func() bool {
		list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=kimiclaw-db"})
		if err != nil || len(list.Items) != 2 {
			return false
		}
		pods = pods[:0]
		for _, p := range list.Items {
			pods = append(pods, p.Name)
		}
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "kimiclaw-db", metav1.GetOptions{})
		return err == nil && d.Status.ReadyReplicas == 2
	}, time.Minute, 200*time.Millisecond, "two Ready pods")

	exp, err := fakekimiclaw.Start(ns, pods...)
	require.NoError(t, err)
	t.Cleanup(exp.Stop)
	for _, p := range pods {
		exp.SetRequests(p, 1, 2<<30)
		exp.SetCPU(p, 0.9) // 90 % of the 1-core request: above the 70 % threshold
		exp.SetMemory(p, 1<<30)
		exp.SetQPS(p, 100)
		exp.SetConnections(p, 50)
	}
	prom := testenv.StartPrometheus(t, []string{exp.Target()}, time.Second)
	return kimiclawRig{kube: kube, ns: ns, client: client, prom: prom}
}

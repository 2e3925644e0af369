//go:build integration

package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/internal/fakekimiclaw"
	"github.com/kimiclaw/kimiscale/internal/testenv"
)

// TestStatusAgainstRealServers runs `status -o json` as a user would, against
// a real kube-apiserver (with the Deployment and ReplicaSet controllers and
// kwok making pods Ready) and a real Prometheus scraping kimiclaw series.
func TestStatusAgainstRealServers(t *testing.T) {
	kube := testenv.StartKube(t, testenv.KubeOptions{Controllers: true})
	ns := kube.Namespace(t)
	client := kube.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

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

	args := []string{"status", "-o", "json", "--kubeconfig", kube.Kubeconfig(testenv.AdminUser),
		"-n", ns, "--prometheus-url", prom.URL(), "--prometheus-range", "10s"}
	var st core.Status
	var runErr error
	require.Eventually(t, func() bool {
		streams, _, out, _ := genericiooptions.NewTestIOStreams()
		cmd := NewCmd(streams)
		cmd.SetArgs(args)
		runErr = cmd.ExecuteContext(ctx)
		st = core.Status{}
		if err := json.Unmarshal(out.Bytes(), &st); err != nil {
			return false
		}
		// rate() over a new series reads low until its window is full of
		// scrapes: wait for the exact value, as an engineer would wait
		// for a dashboard to settle.
		cpu, ok := st.Metrics[core.MetricCPU]
		return ok && cpu.Fresh && st.Metrics[core.MetricQPS].Fresh && cpu.Value > 0.88
	}, 90*time.Second, time.Second, "status with fresh CPU and QPS from Prometheus (last error: %v)", runErr)

	assert.Equal(t, core.ActionScaleUp, st.Action)
	assert.EqualValues(t, 2, st.Current)
	assert.EqualValues(t, 3, st.Target)
	assert.InDelta(t, 0.9, st.Metrics[core.MetricCPU].Value, 0.02, "CPU utilization read through the default PromQL")
	assert.InDelta(t, 0.5, st.Metrics[core.MetricMemory].Value, 0.01)
	codes := []core.ReasonCode{}
	for _, r := range st.Reasons {
		codes = append(codes, r.Code)
	}
	assert.Contains(t, codes, core.ReasonCPUAboveThreshold)
	require.NotNil(t, st.DuckDB)
	assert.Equal(t, "4GB", st.DuckDB.Current.MemoryLimit)
	var ee *exitError
	require.True(t, errors.As(runErr, &ee), "status exits with a code when it says to scale, got %v", runErr)
	assert.Equal(t, exitScale, ee.code)

	// An unreadable last-scale annotation (a hand edit) leaves the cooldown
	// nothing to go on: status says so on stderr and as the decision's
	// first reason, and the decision stands.
	patch := []byte(`{"metadata":{"annotations":{"kimiscale.kimiclaw.io/last-scale":"{not json"}}}`)
	_, err = client.AppsV1().Deployments(ns).Patch(ctx, "kimiclaw-db", types.MergePatchType, patch, metav1.PatchOptions{})
	require.NoError(t, err)
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := NewCmd(streams)
	cmd.SetArgs(args)
	runErr = cmd.ExecuteContext(ctx)
	require.True(t, errors.As(runErr, &ee), "status after the bad annotation: %v\n%s", runErr, errOut)
	st = core.Status{}
	require.NoError(t, json.Unmarshal(out.Bytes(), &st), out.String())
	assert.Contains(t, errOut.String(), "warning: deployment "+ns+"/kimiclaw-db: ")
	require.NotEmpty(t, st.Reasons)
	assert.Equal(t, core.ReasonClusterStateWarning, st.Reasons[0].Code)
	assert.Contains(t, st.Reasons[0].Message, "kimiscale.kimiclaw.io/last-scale")
	assert.Equal(t, core.ActionScaleUp, st.Action, "the decision stands; only auto-apply pauses")
}

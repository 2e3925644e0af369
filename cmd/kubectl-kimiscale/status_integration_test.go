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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/internal/testenv"
)

// TestStatusAgainstRealServers runs `status -o json` as a user would, against
// a real kube-apiserver (with the Deployment and ReplicaSet controllers and
// kwok making pods Ready) and a real Prometheus scraping kimiclaw series.
func TestStatusAgainstRealServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rig := startKimiclaw(ctx, t)
	kube, ns, client, prom := rig.kube, rig.ns, rig.client, rig.prom

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
	_, err := client.AppsV1().Deployments(ns).Patch(ctx, "kimiclaw-db", types.MergePatchType, patch, metav1.PatchOptions{})
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

//go:build integration

package main

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/internal/testenv"
	"github.com/kimiclaw/kimiscale/k8s"
)

// TestE2ERealServers runs the built plugin in tmux, as TestE2EDemo does,
// against a real kube-apiserver (the Deployment and ReplicaSet controllers
// and kwok make the pods Ready) and a real Prometheus scraping kimiclaw's
// series: CPU at 90 % of the requests of 2 replicas. A person waits for the
// scale-up decision (2 → 3), approves and confirms it, and sees 3 ready
// replicas in the header; the Deployment on the API server has 3 and the
// last-scale record. The servers and the tmux server are stopped by the
// test, also on failure.
func TestE2ERealServers(t *testing.T) {
	tmuxPath := e2eTmux(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	rig := startKimiclaw(ctx, t)
	kube, ns, client, prom := rig.kube, rig.ns, rig.client, rig.prom

	dir := t.TempDir()
	bin := buildPlugin(t, dir, "v0.0.0-e2e", "e2e")
	began := time.Now()
	term := e2eStart(t, tmuxPath, dir, bin, "--kubeconfig", kube.Kubeconfig(testenv.AdminUser), "-n", ns,
		"deploy/kimiclaw-db", "--prometheus-url", prom.URL(), "--prometheus-range", "10s")
	term.budget = 3 * time.Minute
	term.deadline = time.Now().Add(term.budget)

	header := regexp.MustCompile(`kimiscale \S+/` + regexp.QuoteMeta(ns) + `/kimiclaw-db\s+replicas (\d+) \((\d+) ready\)`)
	term.waitFor("the dashboard's header with 2 ready replicas", func(s string) bool {
		m := header.FindStringSubmatch(s)
		return m != nil && m[1] == "2" && m[2] == "2"
	})
	// rate() over a new series reads low until its window is full: the
	// decision settles on 2 → 3 within a few polls.
	t.Logf("dashboard up after %s", time.Since(began).Round(time.Second))
	term.waitFor("the scale-up decision 2 → 3", func(s string) bool {
		m := e2eScaleUpRe.FindStringSubmatch(s)
		return m != nil && m[1] == "2" && m[2] == "3"
	})
	t.Logf("decision 2 → 3 after %s", time.Since(began).Round(time.Second))
	from, to := term.approveScaleUp()
	if from != 2 || to != 3 {
		term.fatalf("approve applied %d → %d, want 2 → 3", from, to)
	}
	term.waitFor("the header to show 3 ready replicas", func(s string) bool {
		m := header.FindStringSubmatch(s)
		return m != nil && m[1] == "3" && m[2] == "3"
	})

	t.Logf("3 ready replicas after %s", time.Since(began).Round(time.Second))
	d, err := client.AppsV1().Deployments(ns).Get(ctx, "kimiclaw-db", metav1.GetOptions{})
	require.NoError(t, err)
	if got := ptr.Deref(d.Spec.Replicas, 0); got != 3 {
		t.Errorf("the Deployment's spec.replicas = %d after the approval, want 3", got)
	}
	var rec core.LastScale
	if err := json.Unmarshal([]byte(d.Annotations[k8s.AnnotationLastScale]), &rec); err != nil {
		t.Errorf("the Deployment's %s record after the approval: %v", k8s.AnnotationLastScale, err)
	} else if rec.From != 2 || rec.To != 3 || rec.Direction != core.DirectionUp {
		t.Errorf("last-scale record %+v, want an upward scale from 2 to 3", rec)
	}

	term.send("q")
	screen := term.waitFor("the shell's EXIT= line after q", e2eExitRe.MatchString)
	if code := e2eExitRe.FindStringSubmatch(screen)[1]; code != "0" {
		term.fatalf("the dashboard exited with status %s after q, want 0", code)
	}
}

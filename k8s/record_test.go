package k8s

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kimiclaw/kimiscale/core"
)

func TestAuditLogAppliedAndNotApplied(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	if _, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4, ResourceVersion: "10", By: "alice@laptop", Reason: "cpu"}); err != nil {
		t.Fatal(err)
	}
	f.clock.SetTime(t0.Add(time.Minute))
	if _, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 5, ResourceVersion: "10", By: "alice@laptop", Reason: "cpu again"}); err == nil {
		t.Fatal("second scale from a stale state succeeded")
	}
	got := auditLines(t, f.audit)
	want := []AuditRecord{
		{At: t0, User: "alice@laptop", Action: "scale", Namespace: testNS, Deployment: testDep, Applied: true, Via: ViaDeployment,
			Message: "scaled kimiclaw-db from 3 to 4 replicas"},
		{At: t0.Add(time.Minute), User: "alice@laptop", Action: "scale", Namespace: testNS, Deployment: testDep, Applied: false, Via: ViaDeployment,
			Message: "not applied: deployment kimiclaw-db changed underneath: spec.replicas is now 4, the approved change was based on 3; nothing was written, review the new state and decide again",
			Error:   "deployment kimiclaw-db changed underneath: spec.replicas is now 4, the approved change was based on 3; nothing was written, review the new state and decide again"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(AuditRecord{}, "Request")); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	req, ok := got[1].Request.(map[string]any)
	if !ok || req["to"] != float64(5) || req["reason"] != "cpu again" {
		t.Errorf("audit request = %v, want the ScaleRequest as asked", got[1].Request)
	}
	st, err := os.Stat(f.audit)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
}

func TestAuditLogUnwritableIsReported(t *testing.T) {
	// A directory where the log should be: unwritable even for root, which
	// file modes would not stop.
	f := newFixture(t, nil, newDeployment(3))
	if err := os.Remove(f.audit); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(f.audit, 0o700); err != nil {
		t.Fatal(err)
	}
	res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4, ResourceVersion: "10"})
	if err != nil || !res.Applied {
		t.Fatalf("Scale() = %+v, %v; the change stands even when the audit log fails", res, err)
	}
	if !strings.Contains(res.Message, "audit log not written") {
		t.Errorf("Message = %q, want it to say the audit log was not written", res.Message)
	}
}

func TestEvents(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	// Another console, on the same cluster, and an Event not from kimiscale.
	other, err := New(Options{Client: f.cs, Namespace: testNS, Deployment: testDep, User: "bob@desk", AuditLogPath: filepath.Join(t.TempDir(), "b.log"), Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	foreign := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "kimiclaw-db.rs", Namespace: testNS},
		InvolvedObject: corev1.ObjectReference{Kind: "Deployment", Name: testDep, Namespace: testNS},
		Reason:         "ScalingReplicaSet", Source: corev1.EventSource{Component: "deployment-controller"},
		LastTimestamp: metav1.NewTime(t0),
	}
	if _, err := f.cs.CoreV1().Events(testNS).Create(context.Background(), foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4, ResourceVersion: "10", Reason: "cpu"}); err != nil {
		t.Fatal(err)
	}
	f.clock.SetTime(t0.Add(time.Minute))
	if _, err := other.Scale(f.ctx, core.ScaleRequest{From: 3, To: 2, Reason: "quiet"}); err == nil {
		t.Fatal("bob's stale scale succeeded")
	}
	var got []core.ClusterEvent
	eventually(t, "two kimiscale events in the cache", func() bool {
		got, err = f.c.Events(f.ctx, t0.Add(-time.Hour))
		return err == nil && len(got) == 2
	})
	if got[0].Reason != ReasonScaled || got[0].By != testUser || !got[0].At.Equal(t0) ||
		got[1].Reason != ReasonNotApplied || got[1].By != "bob@desk" || !strings.Contains(got[1].Message, "why: quiet") {
		t.Errorf("Events() = %+v, want alice's KimiscaleScaled then bob's KimiscaleNotApplied, oldest first", got)
	}
	got, err = f.c.Events(f.ctx, t0.Add(30*time.Second))
	if err != nil || len(got) != 1 || got[0].By != "bob@desk" {
		t.Errorf("Events(since t0+30s) = %+v, %v; want only bob's", got, err)
	}
}

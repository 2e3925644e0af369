package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

func TestScaleDialogSaysWhatK8sWrites(t *testing.T) {
	down := func(in core.Input, now time.Time) core.Decision {
		d := scaleDownOne(in, now)
		d.Target, d.Proposed = 3, 3
		return d
	}
	up := func(to int32) func(core.Input, time.Time) core.Decision {
		return func(in core.Input, now time.Time) core.Decision {
			d := scaleUp(in, now)
			d.Target, d.Proposed = to, to
			return d
		}
	}
	tests := []struct {
		name       string
		replicas   int32
		hpa        *core.Bounds
		dec        func(core.Input, time.Time) core.Decision
		keys       []string // nil: a
		wantChange string
		wantVia    string
	}{
		{name: "no HPA", replicas: 3, dec: scaleUp,
			wantChange: "change:  deployment/kimiclaw-db spec.replicas 3 → 4 and annotation kimiscale.kimiclaw.io/last-scale, in one patch",
			wantVia:    "via:     one merge patch on deployment/kimiclaw-db"},
		{name: "HPA scale-up", replicas: 3, hpa: &core.Bounds{Min: 2, Max: 10}, dec: up(5),
			wantChange: "change:  HPA kimiclaw-hpa minReplicas 2 → 5; the HPA then scales to at least 5",
			wantVia:    "via:     a merge patch on HPA kimiclaw-hpa"},
		{name: "HPA scale-up capped", replicas: 3, hpa: &core.Bounds{Min: 2, Max: 6}, dec: up(8),
			wantChange: "change:  HPA kimiclaw-hpa minReplicas 2 → 6 (capped at its maxReplicas 6, not 8); the HPA then scales to at least 6"},
		{name: "HPA scale-up already covered (override)", replicas: 3, hpa: &core.Bounds{Min: 5, Max: 10}, dec: up(4),
			keys:       []string{"o", "backspace", "4", "enter"},
			wantChange: "change:  none: HPA kimiclaw-hpa minReplicas 5 already covers 4; the write will be refused (pin to override)"},
		{name: "HPA scale-down", replicas: 5, hpa: &core.Bounds{Min: 5, Max: 10}, dec: down,
			wantChange: "change:  HPA kimiclaw-hpa minReplicas 5 → 3; the HPA decides when to scale down, after its stabilization window"},
		{name: "HPA scale-down already allowed", replicas: 5, hpa: &core.Bounds{Min: 2, Max: 10}, dec: down,
			wantChange: "change:  none: HPA kimiclaw-hpa minReplicas 2 already allows 3; the HPA keeps its own count, so the write will be refused (pin to force it)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig()
			r.cluster.state.Replicas, r.cluster.state.ReadyReplicas = tc.replicas, tc.replicas
			if tc.hpa != nil {
				r.cluster.state.HPA = &core.HPAState{Name: "kimiclaw-hpa", Bounds: *tc.hpa}
			}
			ks := tc.keys
			if ks == nil {
				ks = []string{"a"} // approve
			}
			m := keys(t, r.model(t, 160, 50, tc.dec), ks...)
			if m.dialog == nil {
				t.Fatalf("a: no dialog (status %q)", m.status)
			}
			lines := strings.Join(m.dialog.lines, "\n")
			if !strings.Contains(lines, tc.wantChange) {
				t.Errorf("dialog:\n%s\nwant the line %q", lines, tc.wantChange)
			}
			if !strings.Contains(lines, tc.wantVia) {
				t.Errorf("dialog:\n%s\nwant %q", lines, tc.wantVia)
			}
			if strings.Contains(lines, "scale subresource") {
				t.Errorf("dialog names the scale subresource, which k8s does not use:\n%s", lines)
			}
		})
	}
}

func TestScalePermissionNamed(t *testing.T) {
	r := newRig()
	r.access.a.Scale = false
	m := keys(t, r.model(t, 120, 40, scaleUp), "a")
	if want := "cannot scale: missing permission patch deployments"; m.dialog != nil || m.status != want {
		t.Fatalf("a without the deployment permission: dialog %v, status %q, want %q", m.dialog, m.status, want)
	}
}

func TestDuckDBRestartFailureSaysApplied(t *testing.T) {
	r := newRig()
	r.actuator.restartErr = errors.New(`deployments.apps "kimiclaw-db" is forbidden`)
	m := keys(t, r.model(t, 120, 40, scaleUp), "d", "r", "y")
	got := lastLogWith(m, "DuckDB")
	if !strings.Contains(got, "applied; rolling restart failed: ") || strings.HasPrefix(got, "not applied") {
		t.Fatalf("log %q, want the ConfigMap change reported applied and the restart failed", got)
	}
}

// TestDialogOmitsEmptyResourceVersion: an object read without a
// resourceVersion (the demo's fake clientset) gets no empty parenthesis.
func TestDialogOmitsEmptyResourceVersion(t *testing.T) {
	for _, tc := range []struct {
		key, want string
	}{
		{key: "a", want: "only if: deployment still has 3 replicas"},
		{key: "d", want: "only if: the ConfigMap is unchanged"},
	} {
		r := newRig()
		r.cluster.state.ResourceVersion = ""
		r.cluster.state.DuckDB.ResourceVersion = ""
		m := keys(t, r.model(t, 120, 40, scaleUp), tc.key)
		if m.dialog == nil {
			t.Fatalf("%s: no dialog (status %q)", tc.key, m.status)
		}
		lines := strings.Join(m.dialog.lines, "\n")
		if !strings.Contains(lines, tc.want) || strings.Contains(lines, "resourceVersion") {
			t.Errorf("%s: dialog lines\n%s\nwant %q and no resourceVersion", tc.key, lines, tc.want)
		}
	}
}

package k8s

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kimiclaw/kimiscale/core"
)

func (f *fixture) configMapData(t *testing.T) (map[string]string, string) {
	t.Helper()
	cm, err := f.cs.CoreV1().ConfigMaps(testNS).Get(f.ctx, ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data, cm.ResourceVersion
}

func TestApplyDuckDB(t *testing.T) {
	from := core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "30"}
	tests := []struct {
		name        string
		restart     bool
		wantVerbs   []string
		wantRestart bool
	}{
		{"update only", false, []string{"get configmaps", "update configmaps", "create events"}, false},
		{"update and restart", true, []string{"get configmaps", "update configmaps", "patch deployments", "create events"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, newDeployment(3), newConfigMap("4GB", "4"))
			f.cs.ClearActions()
			res, err := f.c.ApplyDuckDB(f.ctx, core.DuckDBRequest{From: from, To: core.DuckDBSettings{MemoryLimit: "6GB", Threads: 3}, Restart: tc.restart, Reason: "VPA says so"})
			if err != nil || !res.Applied {
				t.Fatalf("ApplyDuckDB() = %+v, %v; want applied", res, err)
			}
			if got := verbs(f.cs.Actions()); !cmp.Equal(got, tc.wantVerbs) {
				t.Errorf("actions = %v, want %v", got, tc.wantVerbs)
			}
			data, rv := f.configMapData(t)
			if data["memory_limit"] != "6GB" || data["threads"] != "3" || rv != "31" {
				t.Errorf("configmap = %v at %s, want 6GB/3 at 31", data, rv)
			}
			got := f.deployment(t).Spec.Template.Annotations[AnnotationRestartedAt]
			if want := t0.Format(time.RFC3339); tc.wantRestart != (got == want) {
				t.Errorf("restartedAt = %q, want restart %v (%s)", got, tc.wantRestart, want)
			}
			evs := kimiscaleEvents(t, f.cs)
			if len(evs) != 1 || evs[0].Reason != ReasonDuckDB || !strings.Contains(evs[0].Message, "VPA says so") {
				t.Errorf("events = %+v, want one KimiscaleDuckDB", evs)
			}
		})
	}
}

func TestApplyDuckDBRefusesInvalidValues(t *testing.T) {
	tests := []struct {
		name string
		to   core.DuckDBSettings
		want string
	}{
		{"threads above the CPU limit", core.DuckDBSettings{MemoryLimit: "4GB", Threads: 64}, "threads 64 exceeds the container's CPU limit"},
		{"memory above the limit", core.DuckDBSettings{MemoryLimit: "9GiB", Threads: 2}, "exceeds the container's memory limit"},
		{"memory without unit", core.DuckDBSettings{MemoryLimit: "4096", Threads: 2}, "memory_limit"},
		{"zero threads", core.DuckDBSettings{MemoryLimit: "1GB", Threads: 0}, "at least 1 thread"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, newDeployment(3), newConfigMap("4GB", "4"))
			f.cs.ClearActions()
			res, err := f.c.ApplyDuckDB(f.ctx, core.DuckDBRequest{From: core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "30"}, To: tc.to, Restart: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "duckdb settings refused") {
				t.Fatalf("ApplyDuckDB() = %v, want refusal containing %q", err, tc.want)
			}
			if res.Applied {
				t.Error("refused request reported Applied")
			}
			if got := verbs(f.cs.Actions()); !cmp.Equal(got, []string{"create events"}) {
				t.Errorf("actions = %v, want only the not-applied Event", got)
			}
			if lines := auditLines(t, f.audit); len(lines) != 1 || lines[0].Applied || lines[0].Action != "duckdb" {
				t.Errorf("audit = %+v, want one not-applied duckdb line", lines)
			}
		})
	}
}

func TestApplyDuckDBPrecondition(t *testing.T) {
	// Someone set threads to 2 since the user read 4 at version 29.
	f := newFixture(t, nil, newDeployment(3), newConfigMap("4GB", "2"))
	f.cs.ClearActions()
	_, err := f.c.ApplyDuckDB(f.ctx, core.DuckDBRequest{From: core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "29"}, To: core.DuckDBSettings{MemoryLimit: "5GB", Threads: 3}, Restart: true})
	var pe *PreconditionError
	if !errors.As(err, &pe) || pe.Field != "data.threads" || pe.Want != "4" || pe.Got != "2" {
		t.Fatalf("ApplyDuckDB() = %v, want *PreconditionError on data.threads 4 → 2", err)
	}
	if got, want := verbs(f.cs.Actions()), []string{"get configmaps", "update configmaps", "get configmaps", "create events"}; !cmp.Equal(got, want) {
		t.Errorf("actions = %v, want %v (no restart)", got, want)
	}
	if data, rv := f.configMapData(t); data["memory_limit"] != "4GB" || rv != "30" {
		t.Errorf("configmap changed: %v at %s", data, rv)
	}
}

func TestApplyDuckDBConflictWithSameValuesRetries(t *testing.T) {
	// The version moved (a label was added) but the values are the ones
	// approved: retry with the fresh version.
	f := newFixture(t, nil, newDeployment(3), newConfigMap("4GB", "4"))
	_, err := f.c.ApplyDuckDB(f.ctx, core.DuckDBRequest{From: core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "29"}, To: core.DuckDBSettings{MemoryLimit: "5GB", Threads: 3}})
	if err != nil {
		t.Fatalf("ApplyDuckDB: %v", err)
	}
	if data, _ := f.configMapData(t); data["memory_limit"] != "5GB" {
		t.Errorf("memory_limit = %s, want 5GB", data["memory_limit"])
	}
}

func TestApplyDuckDBRestartFails(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3), newConfigMap("4GB", "4"))
	f.cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, testDep, errors.New("no patch"))
	})
	res, err := f.c.ApplyDuckDB(f.ctx, core.DuckDBRequest{From: core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "30"}, To: core.DuckDBSettings{MemoryLimit: "5GB", Threads: 3}, Restart: true})
	if err == nil || !strings.Contains(err.Error(), "rolling restart was not applied") || !res.Applied {
		t.Fatalf("ApplyDuckDB() = %+v, %v; want Applied (the ConfigMap) and a restart error", res, err)
	}
	lines := auditLines(t, f.audit)
	if len(lines) != 1 || !lines[0].Applied || !strings.Contains(lines[0].Error, "restart") {
		t.Errorf("audit = %+v, want applied with the restart error", lines)
	}
	evs := kimiscaleEvents(t, f.cs)
	if len(evs) != 1 || evs[0].Type != "Warning" || !strings.Contains(evs[0].Message, "restart NOT done") {
		t.Errorf("events = %+v, want one warning saying the restart was not done", evs)
	}
}

func TestApplyDuckDBDryRun(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.DryRun = true }, newDeployment(3), newConfigMap("4GB", "4"))
	res, err := f.c.ApplyDuckDB(f.ctx, core.DuckDBRequest{From: core.DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "30"}, To: core.DuckDBSettings{MemoryLimit: "5GB", Threads: 3}, Restart: true})
	if err != nil || res.Applied || !res.DryRun {
		t.Fatalf("ApplyDuckDB() = %+v, %v; want a dry run", res, err)
	}
	if data, rv := f.configMapData(t); data["memory_limit"] != "4GB" || rv != "30" {
		t.Errorf("dry run changed the configmap: %v at %s", data, rv)
	}
	if got := f.deployment(t).Spec.Template.Annotations[AnnotationRestartedAt]; got != "" {
		t.Errorf("dry run restarted: restartedAt %q", got)
	}
}

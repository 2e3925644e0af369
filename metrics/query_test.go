package metrics

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

func TestPodRegex(t *testing.T) {
	tests := []struct {
		deployment string
		pod        string
		want       bool
	}{
		{"kimiclaw-db", "kimiclaw-db-7d9f8b6c5d-x2x7k", true},
		{"kimiclaw-db", "kimiclaw-db-5f7c9d8b4-q2w3e", true},
		{"kimiclaw-db", "kimiclaw-db-canary-7d9f8b6c5d-x2x7k", false}, // another Deployment's pod
		{"kimiclaw-db", "kimiclaw-db-0", false},                       // a StatefulSet's pod
		{"kimiclaw-db", "other-kimiclaw-db-7d9f8b6c5d-x2x7k", false},
		{"kimiclaw-db", "kimiclaw-db-7d9f8b6c5d-x2x7k-extra", false},
		{"db.v2", "db.v2-7d9f8b6c5d-x2x7k", true},
		{"db.v2", "dbxv2-7d9f8b6c5d-x2x7k", false}, // the dot is literal
	}
	for _, tc := range tests {
		// Prometheus anchors =~ at both ends.
		re := regexp.MustCompile("^(?:" + PodRegex(tc.deployment) + ")$")
		if got := re.MatchString(tc.pod); got != tc.want {
			t.Errorf("PodRegex(%q) matches %q = %v, want %v", tc.deployment, tc.pod, got, tc.want)
		}
	}
}

func TestRenderQueries(t *testing.T) {
	data := newQueryData("prod", PodRegex("db.v2"), "kimiclaw", 30*time.Second)
	qs, err := renderQueries(map[core.Metric]string{
		core.MetricConnections: `max(kimiclaw_active_connections{ {{- .Selector -}} })`,
		core.MetricQPS:         "  ", // blank keeps the default
	}, data)
	if err != nil {
		t.Fatal(err)
	}
	sel := `namespace="prod", pod=~"db\\.v2-[a-z0-9]+-[a-z0-9]+", container="kimiclaw"`
	wants := map[core.Metric][]string{
		core.MetricCPU: {
			`rate(container_cpu_usage_seconds_total{` + sel + `}[30s])`,
			`and container_cpu_usage_seconds_total{` + sel + `}`,
			`kube_pod_container_resource_requests{` + sel + `, resource="cpu"} and last_over_time(kube_pod_container_resource_requests{` + sel + `, resource="cpu"}[30s])`,
			"\n/\n",
		},
		core.MetricMemory: {
			`container_memory_working_set_bytes{` + sel + `} and last_over_time(container_memory_working_set_bytes{` + sel + `}[30s])`,
			`kube_pod_container_resource_requests{` + sel + `, resource="memory"}`,
		},
		core.MetricQPS: {
			`sum(rate(kimiclaw_queries_total{namespace="prod", pod=~"db\\.v2-[a-z0-9]+-[a-z0-9]+"}[30s]) and kimiclaw_queries_total{namespace="prod", pod=~"db\\.v2-[a-z0-9]+-[a-z0-9]+"})`,
		},
		core.MetricConnections: {`max(kimiclaw_active_connections{` + sel + `})`},
	}
	for m, subs := range wants {
		for _, s := range subs {
			if !strings.Contains(qs[m], s) {
				t.Errorf("query for %s =\n%s\nwant it to contain\n%s", m, qs[m], s)
			}
		}
	}
}

func TestQueryDataEscapesForPromQL(t *testing.T) {
	d := newQueryData(`we"ird`, `a\d+`, "c", 2*time.Minute)
	if d.Namespace != `we\"ird` || d.PodRegex != `a\\d+` || d.Range != "2m" {
		t.Errorf("newQueryData = %+v, want the quote and backslash escaped and Range 2m", d)
	}
}

func TestSummarize(t *testing.T) {
	qs, err := renderQueries(nil, newQueryData("prod", "p", "c", time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		qs[core.MetricCPU]:         "container_cpu_usage_seconds_total, kube_pod_container_resource_requests",
		qs[core.MetricMemory]:      "container_memory_working_set_bytes, kube_pod_container_resource_requests",
		qs[core.MetricConnections]: "kimiclaw_active_connections",
		"vector(1)":                "vector(1)",
		"sum(up)":                  "sum(up)",
	}
	for q, want := range tests {
		if got := summarize(q); got != want {
			t.Errorf("summarize(%q) = %q, want %q", q, got, want)
		}
	}
}

package metrics

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kimiclaw/kimiscale/core"
)

// DefaultContainer is the container of kimiclaw-db's pods the default queries
// read.
const DefaultContainer = "kimiclaw"

// DefaultRange is the default rate window: long enough for two scrapes at
// the common 30 s interval with room to spare, short enough to follow load
// within a couple of polls.
const DefaultRange = 2 * time.Minute

// The default PromQL (contract; every query can be replaced). The shape is the
// one the design names: CPU and memory as usage summed over the Deployment's
// pods divided by their requests (cAdvisor over kube-state-metrics, as the HPA
// computes utilization), QPS as the rate of kimiclaw_queries_total and
// connections as kimiclaw_active_connections, both TOTALS over the pods.
//
// Totals, not per-replica averages: core.Rule.Aggregation divides by the
// ready replica count the cluster reader reports, so the division happens in
// one place with the same replica count the decision shows.
//
// Refinements over the plain shape, each for a failure seen in real clusters
// (and reproduced in this package's integration tests):
//   - container="kimiclaw" keeps out cAdvisor's pod-level series
//     (container="" and the pause container "POD"), which would double usage;
//   - "rate(x[r]) and x" keeps a rate only while its series is still present,
//     so a pod that is gone (or an exporter that stopped) stops counting at
//     the next scrape instead of lingering for the whole range;
//   - "x and last_over_time(x[r])" keeps a gauge only while it has a sample
//     within the range. Prometheus writes no staleness marker for a series
//     that vanished while it was down (restart, crash), and an instant
//     selector would then return the series' last value for 5 minutes (the
//     lookback delta) as if it were current: a pod deleted during a
//     Prometheus restart would go on counting. With this, such a series
//     drops out after one range;
//   - "max by (namespace, pod, container)" collapses duplicate series of one
//     container (two kube-state-metrics replicas, a restarted container's
//     old cAdvisor series) before summing;
//   - usage and requests are each restricted to pods that have both, so a
//     Pending pod's request does not dilute utilization and a pod without a
//     request does not inflate it (the HPA likewise uses the pods it has
//     metrics for).
//
// The kimiclaw_* series come from kimiclaw-db's own exporter; they are
// selected by namespace and pod only, since whether a "container" label is
// attached depends on the scrape configuration.
const (
	defaultCPUQuery = `{{define "usage"}}container_cpu_usage_seconds_total{ {{- .Selector -}} }{{end -}}
{{define "rate"}}(rate({{template "usage" .}}[{{.Range}}]) and {{template "usage" .}}){{end -}}
{{define "req"}}kube_pod_container_resource_requests{ {{- .Selector -}} , resource="cpu"}{{end -}}
{{define "freshreq"}}({{template "req" .}} and last_over_time({{template "req" .}}[{{.Range}}])){{end -}}
sum(
  {{template "rate" .}}
    and on(namespace, pod, container) {{template "freshreq" .}}
)
/
sum(
  max by (namespace, pod, container) {{template "freshreq" .}}
    and on(namespace, pod, container) {{template "rate" .}}
)`
	defaultMemoryQuery = `{{define "ws"}}container_memory_working_set_bytes{ {{- .Selector -}} }{{end -}}
{{define "freshws"}}({{template "ws" .}} and last_over_time({{template "ws" .}}[{{.Range}}])){{end -}}
{{define "req"}}kube_pod_container_resource_requests{ {{- .Selector -}} , resource="memory"}{{end -}}
{{define "freshreq"}}({{template "req" .}} and last_over_time({{template "req" .}}[{{.Range}}])){{end -}}
sum(
  max by (namespace, pod, container) {{template "freshws" .}}
    and on(namespace, pod, container) {{template "freshreq" .}}
)
/
sum(
  max by (namespace, pod, container) {{template "freshreq" .}}
    and on(namespace, pod, container) {{template "freshws" .}}
)`
	defaultQPSQuery = `{{define "q"}}kimiclaw_queries_total{namespace="{{.Namespace}}", pod=~"{{.PodRegex}}"}{{end -}}
sum(rate({{template "q" .}}[{{.Range}}]) and {{template "q" .}})`
	defaultConnectionsQuery = `{{define "c"}}kimiclaw_active_connections{namespace="{{.Namespace}}", pod=~"{{.PodRegex}}"}{{end -}}
sum({{template "c" .}} and last_over_time({{template "c" .}}[{{.Range}}]))`
)

// DefaultQueries returns the default PromQL templates, one per metric. The
// templates see a QueryData.
func DefaultQueries() map[core.Metric]string {
	return map[core.Metric]string{
		core.MetricCPU:         defaultCPUQuery,
		core.MetricMemory:      defaultMemoryQuery,
		core.MetricQPS:         defaultQPSQuery,
		core.MetricConnections: defaultConnectionsQuery,
	}
}

// PodRegex returns the regular expression matching the names of a
// Deployment's pods, "<name>-<pod-template-hash>-<suffix>". It is anchored by
// Prometheus (=~ matches the whole value). Deployment names may contain
// dots, which are escaped.
//
// A name long enough for Kubernetes to truncate the generated pod names (over
// about 47 characters) needs a regex derived from the pods the selector
// matches instead; PrometheusConfig.PodRegex takes either.
func PodRegex(deployment string) string {
	return regexp.QuoteMeta(deployment) + "-[a-z0-9]+-[a-z0-9]+"
}

// QueryData is what a query template sees. Namespace, PodRegex and Container
// are already escaped for use inside a double-quoted PromQL string, so a
// template writes namespace="{{.Namespace}}" and stays valid whatever the
// values contain.
type QueryData struct {
	Namespace string
	PodRegex  string
	Container string
	// Range is the rate window as a PromQL duration, e.g. "2m" or "30s".
	Range string
	// Selector is the three matchers together:
	// namespace="NS", pod=~"REGEX", container="CONTAINER".
	Selector string
}

// newQueryData escapes the target for PromQL.
func newQueryData(namespace, podRegex, container string, rng time.Duration) QueryData {
	d := QueryData{
		Namespace: promQLString(namespace),
		PodRegex:  promQLString(podRegex),
		Container: promQLString(container),
		Range:     model.Duration(rng).String(),
	}
	d.Selector = fmt.Sprintf(`namespace="%s", pod=~"%s", container="%s"`, d.Namespace, d.PodRegex, d.Container)
	return d
}

// promQLString escapes s for the inside of a double-quoted PromQL string,
// whose escapes are Go's.
func promQLString(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// renderQueries fills every template with data. overrides replaces the
// default of the metrics it names; an empty override keeps the default.
func renderQueries(overrides map[core.Metric]string, data QueryData) (map[core.Metric]string, error) {
	for m := range overrides {
		if !m.Valid() {
			return nil, fmt.Errorf("query for unknown metric %q: want one of %s", m, metricList())
		}
	}
	out := make(map[core.Metric]string, len(core.Metrics()))
	for m, text := range DefaultQueries() {
		if o := strings.TrimSpace(overrides[m]); o != "" {
			text = o
		}
		t, err := template.New(string(m)).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("query for %s is not a valid template: %w", m, err)
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("query for %s: %w (fields: .Namespace .PodRegex .Container .Range .Selector)", m, err)
		}
		out[m] = b.String()
	}
	return out, nil
}

func metricList() string {
	names := make([]string, 0, len(core.Metrics()))
	for _, m := range core.Metrics() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// metricNameRE finds the metric names of the selectors in a query
// ("name{" ...), to name them in "no series" details.
var metricNameRE = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)

// summarize names what a query reads, for a reading's detail: its metric
// names, or the query itself (shortened) when it names none.
func summarize(query string) string {
	var names []string
	for _, m := range metricNameRE.FindAllStringSubmatch(query, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	if len(names) > 0 {
		return strings.Join(names, ", ")
	}
	q := strings.Join(strings.Fields(query), " ")
	if len(q) > 120 {
		q = q[:117] + "..."
	}
	return q
}

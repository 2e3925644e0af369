package fakekimiclaw

import (
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the exporter's endpoint into "name{labels}" -> value.
func scrape(t *testing.T, e *Exporter) map[string]float64 {
	t.Helper()
	resp, err := http.Get(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := name + labelString(m.GetLabel())
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func labelString(ls []*dto.LabelPair) string {
	s := "{"
	for i, l := range ls {
		if i > 0 {
			s += ","
		}
		s += l.GetName() + "=" + l.GetValue()
	}
	return s + "}"
}

func TestExporterServesWhatTheTestSets(t *testing.T) {
	e, err := Start("prod")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	e.mu.Lock()
	e.now = func() time.Time { return now }
	e.mu.Unlock()
	e.AddPod("db-a-1")
	e.SetCPU("db-a-1", 1.5)
	e.SetQPS("db-a-1", 100)
	e.AddQueries("db-a-1", 7)
	e.SetMemory("db-a-1", 1<<30)
	e.SetConnections("db-a-1", 42)
	e.SetRequests("db-a-1", 2, 4<<30)

	e.mu.Lock()
	now = now.Add(10 * time.Second)
	e.mu.Unlock()
	got := scrape(t, e)
	want := map[string]float64{
		"container_cpu_usage_seconds_total{container=kimiclaw,namespace=prod,pod=db-a-1}":                                          15,
		"container_memory_working_set_bytes{container=kimiclaw,namespace=prod,pod=db-a-1}":                                         1 << 30,
		"kube_pod_container_resource_requests{container=kimiclaw,namespace=prod,node=node-1,pod=db-a-1,resource=cpu,unit=core}":    2,
		"kube_pod_container_resource_requests{container=kimiclaw,namespace=prod,node=node-1,pod=db-a-1,resource=memory,unit=byte}": 4 << 30,
		"kimiclaw_queries_total{namespace=prod,pod=db-a-1}":                                                                        1007,
		"kimiclaw_active_connections{namespace=prod,pod=db-a-1}":                                                                   42,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, decoy := range []string{
		"container_cpu_usage_seconds_total{container=,namespace=prod,pod=db-a-1}",
		"container_cpu_usage_seconds_total{container=POD,namespace=prod,pod=db-a-1}",
		"kimiclaw_active_connections{namespace=decoy,pod=db-a-1}",
		"kimiclaw_active_connections{namespace=prod,pod=" + DecoyPod + "}",
	} {
		if _, ok := got[decoy]; !ok {
			t.Errorf("decoy series %s missing", decoy)
		}
	}

	// A rate change keeps the counter continuous.
	e.SetCPU("db-a-1", 0.5)
	e.mu.Lock()
	now = now.Add(10 * time.Second)
	e.mu.Unlock()
	if v := scrape(t, e)["container_cpu_usage_seconds_total{container=kimiclaw,namespace=prod,pod=db-a-1}"]; v != 20 {
		t.Errorf("cpu counter after a rate change = %v, want 15 + 0.5*10 = 20", v)
	}

	e.RemovePod("db-a-1")
	if _, ok := scrape(t, e)["kimiclaw_active_connections{namespace=prod,pod=db-a-1}"]; ok {
		t.Error("a removed pod's series is still served")
	}
	e.Stop()
	if _, err := http.Get(e.URL()); err == nil {
		t.Error("the endpoint answers after Stop")
	}
	e.Stop() // a second Stop does nothing
}

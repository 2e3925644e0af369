// Package fakekimiclaw is a stand-in for a kimiclaw-db deployment as
// Prometheus sees it, for tests: one HTTP endpoint serving, for N pods, the
// series kimiscale's default queries read, under the names and labels
// cAdvisor, kube-state-metrics and kimiclaw-db's exporter use:
//
//   - container_cpu_usage_seconds_total (counter, cAdvisor)
//   - container_memory_working_set_bytes (gauge, cAdvisor)
//   - kube_pod_container_resource_requests (gauge, kube-state-metrics;
//     resource="cpu" unit="core", resource="memory" unit="byte")
//   - kimiclaw_queries_total (counter) and kimiclaw_active_connections
//     (gauge), kimiclaw-db's own.
//
// Every series carries namespace and pod labels; the cAdvisor and
// kube-state-metrics ones also carry container. Like a real cAdvisor, it also
// serves the pod-level series (container="") and the pause container's
// (container="POD"), and, as decoys, a pod of another Deployment in the same
// namespace and a same-named pod in another namespace: a query that does not
// filter them reads wrong numbers.
//
// Counters are functions of time: SetCPU(pod, 1.5) makes the CPU counter grow
// by 1.5 core-seconds per second from then on, so rate() over it is exactly
// 1.5 whatever the scrape timing. It uses client_golang's registry and
// promhttp, and listens on 127.0.0.1 only.
package fakekimiclaw

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults of a new pod: the requests of kimiclaw-db's container, and
// nothing in use.
const (
	DefaultCPURequest    = 1.0     // cores
	DefaultMemoryRequest = 2 << 30 // bytes
	Container            = "kimiclaw"
	// DecoyNamespace holds the same-named decoy pods.
	DecoyNamespace = "decoy"
	// DecoyPod is the pod of another Deployment in the exporter's namespace.
	DecoyPod = "other-app-5f7c9d8b4-q2w3e"
)

// counter is a value that grows at rate per second since since, on top of base.
type counter struct {
	base  float64
	rate  float64
	since time.Time
}

func (c counter) at(t time.Time) float64 { return c.base + c.rate*t.Sub(c.since).Seconds() }

// setRate folds what accumulated so far into base and continues at rate.
func (c *counter) setRate(rate float64, now time.Time) {
	c.base, c.rate, c.since = c.at(now), rate, now
}

type podState struct {
	cpu         counter // core-seconds
	queries     counter
	memory      float64 // working set bytes
	connections float64
	cpuRequest  float64
	memRequest  float64
}

// Exporter serves the series of a set of pods. Its methods are safe for
// concurrent use.
type Exporter struct {
	namespace string
	now       func() time.Time
	srv       *http.Server
	addr      string
	done      chan struct{}

	mu   sync.Mutex
	pods map[string]*podState
}

// Start serves the series of pods in namespace on 127.0.0.1 at a free port.
// Call Stop when done (t.Cleanup(e.Stop)).
func Start(namespace string, pods ...string) (*Exporter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake kimiclaw exporter: listen: %w", err)
	}
	e := &Exporter{
		namespace: namespace,
		now:       time.Now,
		addr:      ln.Addr().String(),
		done:      make(chan struct{}),
		pods:      map[string]*podState{},
	}
	for _, p := range pods {
		e.AddPod(p)
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(collector{e}); err != nil {
		ln.Close()
		return nil, fmt.Errorf("fake kimiclaw exporter: register: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(e.done)
		_ = e.srv.Serve(ln)
	}()
	return e, nil
}

// Target is the host:port a Prometheus scrape config names.
func (e *Exporter) Target() string { return e.addr }

// URL is the metrics endpoint.
func (e *Exporter) URL() string { return "http://" + e.addr + "/metrics" }

// Namespace is the namespace label of the pods' series.
func (e *Exporter) Namespace() string { return e.namespace }

// Stop closes the endpoint at once (a scrape then fails, and Prometheus
// marks every series stale) and waits for the server to end. Calling it
// again does nothing.
func (e *Exporter) Stop() {
	_ = e.srv.Close()
	<-e.done
}

// AddPod adds a pod with the default requests and nothing in use; its
// counters start at 0, like a new pod's. Adding a pod that exists does
// nothing.
func (e *Exporter) AddPod(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.pods[name]; ok {
		return
	}
	now := e.now()
	e.pods[name] = &podState{
		cpu:        counter{since: now},
		queries:    counter{since: now},
		cpuRequest: DefaultCPURequest,
		memRequest: DefaultMemoryRequest,
	}
}

// RemovePod removes a pod: its series disappear from the next scrape.
func (e *Exporter) RemovePod(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pods, name)
}

// Pods lists the pods, sorted.
func (e *Exporter) Pods() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, 0, len(e.pods))
	for n := range e.pods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// update changes one pod; it panics on an unknown pod, which is a bug in
// the calling test.
func (e *Exporter) update(name string, f func(p *podState, now time.Time)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pods[name]
	if !ok {
		panic(fmt.Sprintf("fakekimiclaw: unknown pod %q (AddPod it first)", name))
	}
	f(p, e.now())
}

// SetCPU makes the pod use cores CPU from now on (the rate of its
// container_cpu_usage_seconds_total).
func (e *Exporter) SetCPU(pod string, cores float64) {
	e.update(pod, func(p *podState, now time.Time) { p.cpu.setRate(cores, now) })
}

// SetQPS makes the pod answer qps queries per second from now on (the rate
// of its kimiclaw_queries_total).
func (e *Exporter) SetQPS(pod string, qps float64) {
	e.update(pod, func(p *podState, now time.Time) { p.queries.setRate(qps, now) })
}

// AddQueries adds n to the pod's kimiclaw_queries_total at once.
func (e *Exporter) AddQueries(pod string, n float64) {
	e.update(pod, func(p *podState, _ time.Time) { p.queries.base += n })
}

// SetMemory sets the pod's working set in bytes.
func (e *Exporter) SetMemory(pod string, bytes float64) {
	e.update(pod, func(p *podState, _ time.Time) { p.memory = bytes })
}

// SetConnections sets the pod's kimiclaw_active_connections.
func (e *Exporter) SetConnections(pod string, n float64) {
	e.update(pod, func(p *podState, _ time.Time) { p.connections = n })
}

// SetRequests sets the pod's CPU (cores) and memory (bytes) requests; 0
// removes the request's series.
func (e *Exporter) SetRequests(pod string, cpuCores, memoryBytes float64) {
	e.update(pod, func(p *podState, _ time.Time) { p.cpuRequest, p.memRequest = cpuCores, memoryBytes })
}

var (
	cpuDesc = prometheus.NewDesc("container_cpu_usage_seconds_total",
		"Cumulative cpu time consumed in seconds.", []string{"namespace", "pod", "container"}, nil)
	memDesc = prometheus.NewDesc("container_memory_working_set_bytes",
		"Current working set in bytes.", []string{"namespace", "pod", "container"}, nil)
	reqDesc = prometheus.NewDesc("kube_pod_container_resource_requests",
		"The number of requested request resource by a container.", []string{"namespace", "pod", "container", "node", "resource", "unit"}, nil)
	queriesDesc = prometheus.NewDesc("kimiclaw_queries_total",
		"Queries kimiclaw-db answered.", []string{"namespace", "pod"}, nil)
	connsDesc = prometheus.NewDesc("kimiclaw_active_connections",
		"Client connections open now.", []string{"namespace", "pod"}, nil)
)

// collector reads the exporter's state at scrape time.
type collector struct{ e *Exporter }

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cpuDesc, memDesc, reqDesc, queriesDesc, connsDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for name, p := range e.pods {
		cpu := p.cpu.at(now)
		emitPod(ch, e.namespace, name, cpu, p.memory, p.cpuRequest, p.memRequest)
		ch <- prometheus.MustNewConstMetric(queriesDesc, prometheus.CounterValue, p.queries.at(now), e.namespace, name)
		ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, p.connections, e.namespace, name)
		// A same-named pod elsewhere, far busier: only a namespace
		// filter keeps it out.
		emitPod(ch, DecoyNamespace, name, 100+cpu*50, 1<<40, 0.1, 1<<20)
		ch <- prometheus.MustNewConstMetric(queriesDesc, prometheus.CounterValue, 1e6+p.queries.at(now)*50, DecoyNamespace, name)
		ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, 1e6, DecoyNamespace, name)
	}
	// Another Deployment's pod in the same namespace: only the pod regex
	// keeps it out.
	emitPod(ch, e.namespace, DecoyPod, 1e6+float64(now.Unix()), 1<<40, 0.1, 1<<20)
	ch <- prometheus.MustNewConstMetric(queriesDesc, prometheus.CounterValue, float64(now.UnixMilli()), e.namespace, DecoyPod)
	ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, 1e6, e.namespace, DecoyPod)
}

// emitPod sends one pod's cAdvisor and kube-state-metrics series: the
// kimiclaw container's, the pod cgroup's (container="") and the pause
// container's (container="POD"), as cAdvisor does.
func emitPod(ch chan<- prometheus.Metric, ns, pod string, cpu, mem, cpuReq, memReq float64) {
	ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.CounterValue, cpu, ns, pod, Container)
	ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.CounterValue, cpu*1.05+1, ns, pod, "")
	ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.CounterValue, 0.01, ns, pod, "POD")
	ch <- prometheus.MustNewConstMetric(memDesc, prometheus.GaugeValue, mem, ns, pod, Container)
	ch <- prometheus.MustNewConstMetric(memDesc, prometheus.GaugeValue, mem+64<<20, ns, pod, "")
	ch <- prometheus.MustNewConstMetric(memDesc, prometheus.GaugeValue, 1<<20, ns, pod, "POD")
	if cpuReq > 0 {
		ch <- prometheus.MustNewConstMetric(reqDesc, prometheus.GaugeValue, cpuReq, ns, pod, Container, "node-1", "cpu", "core")
	}
	if memReq > 0 {
		ch <- prometheus.MustNewConstMetric(reqDesc, prometheus.GaugeValue, memReq, ns, pod, Container, "node-1", "memory", "byte")
	}
}

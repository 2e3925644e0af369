package metrics

import (
	"context"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kimiclaw/kimiscale/core"
)

// source is the dashboard's MetricsSource (ui/deps.go), restated here
// because metrics must not import ui.
type source interface {
	Poll(ctx context.Context) (core.Snapshot, error)
	Backfill(ctx context.Context, from, to time.Time, step time.Duration) (map[core.Metric][]core.Sample, error)
}

var (
	_ source = (*Prometheus)(nil)
	_ source = (*MetricsAPI)(nil)
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// testQueries names each metric's query after the metric, so a fake server
// can answer per metric.
func testQueries() map[core.Metric]string {
	return map[core.Metric]string{
		core.MetricCPU:         "q_cpu",
		core.MetricMemory:      "q_memory",
		core.MetricQPS:         "q_qps",
		core.MetricConnections: "q_connections",
	}
}

// fakeProm serves handle for every query API request.
func fakeProm(t testing.TB, handle http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handle)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newTestSource(t *testing.T, cfg PrometheusConfig) *Prometheus {
	t.Helper()
	if cfg.Namespace == "" {
		cfg.Namespace = "prod"
	}
	if cfg.PodRegex == "" {
		cfg.PodRegex = PodRegex("kimiclaw-db")
	}
	if cfg.Clock == nil {
		cfg.Clock = clocktesting.NewFakePassiveClock(t0)
	}
	p, err := NewPrometheus(cfg)
	if err != nil {
		t.Fatalf("NewPrometheus: %v", err)
	}
	return p
}

func vectorJSON(ts float64, values ...string) string {
	var items []string
	for i, v := range values {
		items = append(items, fmt.Sprintf(`{"metric":{"pod":"kimiclaw-db-abc-%d"},"value":[%s,%q]}`, i, strconv.FormatFloat(ts, 'f', -1, 64), v))
	}
	return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(items, ",") + `]}}`
}

func writeBody(w http.ResponseWriter, status int, contentType, body string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func TestPollReadings(t *testing.T) {
	const ts = 1735689600.5 // t0 + 0.5 s
	sampleAt := time.Unix(1735689600, 5e8).UTC()
	const jsonType = "application/json"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantState   core.ReadingState
		wantValue   float64 // checked for OK readings
		wantAt      time.Time
		wantDetail  string // substring
		wantWhy     string // substring of core's verdict, when set
	}{
		{name: "one sample", status: 200, contentType: jsonType, body: vectorJSON(ts, "0.42"),
			wantState: core.ReadingOK, wantValue: 0.42, wantAt: sampleAt},
		{name: "scalar", status: 200, contentType: jsonType,
			body:      `{"status":"success","data":{"resultType":"scalar","result":[1735689600.5,"7"]}}`,
			wantState: core.ReadingOK, wantValue: 7, wantAt: sampleAt},
		{name: "NaN stays OK for core to judge", status: 200, contentType: jsonType, body: vectorJSON(ts, "NaN"),
			wantState: core.ReadingOK, wantValue: math.NaN(), wantAt: sampleAt, wantWhy: "value is NaN"},
		{name: "+Inf stays OK for core to judge", status: 200, contentType: jsonType, body: vectorJSON(ts, "+Inf"),
			wantState: core.ReadingOK, wantValue: math.Inf(1), wantAt: sampleAt, wantWhy: "value is infinite"},
		{name: "empty result", status: 200, contentType: jsonType, body: vectorJSON(ts),
			wantState: core.ReadingEmpty, wantAt: t0, wantDetail: `no series for q_`, wantWhy: "no data: no series"},
		{name: "two series where one is expected", status: 200, contentType: jsonType, body: vectorJSON(ts, "1", "2"),
			wantState: core.ReadingError, wantDetail: `query returned 2 series, want 1 (aggregate it, e.g. sum(...)): {pod="kimiclaw-db-abc-0"}, {pod="kimiclaw-db-abc-1"}`},
		{name: "range vector from an instant query", status: 200, contentType: jsonType,
			body:       `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
			wantState:  core.ReadingError,
			wantDetail: "query returned a matrix, want an instant vector"},
		{name: "bad_data", status: 400, contentType: jsonType,
			body:       `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}`,
			wantState:  core.ReadingError,
			wantDetail: "bad_data: 1:5: parse error: unexpected end of input",
			wantWhy:    "query error: bad_data: 1:5: parse error"},
		{name: "execution error", status: 422, contentType: jsonType,
			body:       `{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}`,
			wantState:  core.ReadingError,
			wantDetail: "execution: many-to-many matching not allowed"},
		{name: "500 with a plain body", status: 500, contentType: "text/plain", body: "boom\nsecond line",
			wantState: core.ReadingError, wantDetail: "HTTP 500 Internal Server Error: boom"},
		{name: "503 with Prometheus' JSON error", status: 503, contentType: jsonType,
			body:       `{"status":"error","errorType":"unavailable","error":"TSDB not ready"}`,
			wantState:  core.ReadingError,
			wantDetail: "HTTP 503 Service Unavailable: unavailable: TSDB not ready"},
		{name: "502 HTML from a proxy", status: 502, contentType: "text/html", body: "<html><body>Bad Gateway</body></html>",
			wantState: core.ReadingError, wantDetail: "HTTP 502 Bad Gateway with an HTML page"},
		{name: "404", status: 404, contentType: "text/plain", body: "404 page not found",
			wantState: core.ReadingError, wantDetail: "HTTP 404 Not Found: no query API at this URL (is the URL right?"},
		{name: "401", status: 401, contentType: "text/plain", body: "Unauthorized",
			wantState: core.ReadingError, wantDetail: "HTTP 401 Unauthorized: Prometheus (or a proxy in front of it) refused the credentials"},
		{name: "200 HTML (the web UI's URL)", status: 200, contentType: "text/html", body: "<!DOCTYPE html><html><title>Prometheus</title></html>",
			wantState: core.ReadingError, wantDetail: "Prometheus answered with an HTML page, not its API's JSON (is the URL right?"},
		{name: "200 garbage", status: 200, contentType: "text/plain", body: "garbage!",
			wantState: core.ReadingError, wantDetail: "Prometheus answered with something that is not its API's JSON (is the URL right?)"},
		{name: "200 JSON that is no query result", status: 200, contentType: jsonType, body: `{"hello":"world"}`,
			wantState: core.ReadingError, wantDetail: "Prometheus answered with JSON that is not a query result"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
				writeBody(w, tc.status, tc.contentType, tc.body)
			})
			p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries()})
			snap, err := p.Poll(context.Background())
			if err != nil {
				t.Fatalf("Poll() error = %v, want nil (failures are readings)", err)
			}
			if !snap.At.Equal(t0) {
				t.Errorf("Poll().At = %v, want the clock's %v", snap.At, t0)
			}
			if len(snap.Readings) != 4 {
				t.Fatalf("Poll() has %d readings, want 4", len(snap.Readings))
			}
			for _, m := range core.Metrics() {
				r := snap.Readings[m]
				if r.State != tc.wantState {
					t.Fatalf("%s: State = %v (%q), want %v", m, r.State, r.Detail, tc.wantState)
				}
				if !strings.Contains(r.Detail, tc.wantDetail) {
					t.Errorf("%s: Detail = %q, want it to contain %q", m, r.Detail, tc.wantDetail)
				}
				if tc.wantState == core.ReadingEmpty && !strings.Contains(r.Detail, "q_"+string(m)) {
					t.Errorf("%s: Detail = %q, want it to name the query", m, r.Detail)
				}
				if tc.wantState == core.ReadingOK {
					if !sameFloat(r.Value, tc.wantValue) {
						t.Errorf("%s: Value = %v, want %v", m, r.Value, tc.wantValue)
					}
				}
				if !tc.wantAt.IsZero() && !r.At.Equal(tc.wantAt) {
					t.Errorf("%s: At = %v, want %v", m, r.At, tc.wantAt)
				}
				f := r.Freshness(t0.Add(time.Second), 45*time.Second)
				wantUsable := tc.wantWhy == "" && tc.wantState == core.ReadingOK
				if f.Usable != wantUsable {
					t.Errorf("%s: Freshness().Usable = %v (%q), want %v", m, f.Usable, f.Why, wantUsable)
				}
				if tc.wantWhy != "" && !strings.Contains(f.Why, tc.wantWhy) {
					t.Errorf("%s: Freshness().Why = %q, want it to contain %q", m, f.Why, tc.wantWhy)
				}
			}
		})
	}
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func TestPollAnswersEachMetricFromItsQuery(t *testing.T) {
	values := map[string]string{"q_cpu": "0.5", "q_memory": "0.25", "q_qps": "1234", "q_connections": "77"}
	var methods atomic.Int32
	url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodPost {
			methods.Add(1)
		}
		_ = r.ParseForm()
		writeBody(w, 200, "application/json", vectorJSON(1735689600, values[r.Form.Get("query")]))
	})
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries()})
	snap, err := p.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[core.Metric]float64{core.MetricCPU: 0.5, core.MetricMemory: 0.25, core.MetricQPS: 1234, core.MetricConnections: 77}
	for m, v := range want {
		if got := snap.Readings[m]; got.State != core.ReadingOK || got.Value != v {
			t.Errorf("%s = %+v, want OK %v", m, got, v)
		}
	}
	if got := methods.Load(); got != 4 {
		t.Errorf("POST queries = %d, want 4 (one instant query per metric)", got)
	}
}

func TestPollFallsBackToGETWhenPOSTIsRefused(t *testing.T) {
	url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		writeBody(w, 200, "application/json", vectorJSON(1735689600, "1"))
	})
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries()})
	snap, _ := p.Poll(context.Background())
	if r := snap.Readings[core.MetricCPU]; r.State != core.ReadingOK {
		t.Errorf("cpu = %+v, want OK through GET", r)
	}
}

// slowHandler answers after a minute or when the client gives up. It reads
// the body first: only then does net/http notice a closed connection.
func slowHandler(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
		writeBody(w, 200, "application/json", vectorJSON(1735689600, "1"))
	}
}

func TestPollTimesOut(t *testing.T) {
	url := fakeProm(t, slowHandler)
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries(), Timeout: 150 * time.Millisecond})
	start := time.Now()
	snap, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("Poll() error = %v, want nil", err)
	}
	// Generous for a busy machine under -race, yet it still fails if the
	// timeout is not applied: the server answers only after a minute.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Poll() took %v, want it bounded by the 150ms timeout", d)
	}
	for _, m := range core.Metrics() {
		r := snap.Readings[m]
		if r.State != core.ReadingError || r.Detail != "timed out after 150ms" {
			t.Errorf("%s = %v %q, want error %q", m, r.State, r.Detail, "timed out after 150ms")
		}
	}
}

func TestPollCanceledByCaller(t *testing.T) {
	url := fakeProm(t, slowHandler)
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries(), Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	snap, err := p.Poll(ctx)
	if err == nil {
		t.Fatal("Poll(canceled ctx) error = nil, want the context's error")
	}
	if r := snap.Readings[core.MetricCPU]; r.State != core.ReadingError || !strings.HasPrefix(r.Detail, "canceled") {
		t.Errorf("cpu = %v %q, want a canceled error", r.State, r.Detail)
	}
}

func TestPollConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newTestSource(t, PrometheusConfig{URL: "http://" + addr, Queries: testQueries()})
	snap, err := p.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "Prometheus unreachable at " + addr + ": connection refused"
	for _, m := range core.Metrics() {
		if r := snap.Readings[m]; r.State != core.ReadingError || r.Detail != want {
			t.Errorf("%s = %v %q, want error %q", m, r.State, r.Detail, want)
		}
	}
}

func TestPollPlainHTTPToTLSServer(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p := newTestSource(t, PrometheusConfig{URL: srv.URL, Queries: testQueries()})
	snap, _ := p.Poll(context.Background())
	r := snap.Readings[core.MetricCPU]
	if r.State != core.ReadingError || !strings.Contains(r.Detail, "TLS with 127.0.0.1") {
		t.Errorf("cpu = %v %q, want a TLS verification error naming the host", r.State, r.Detail)
	}
}

func TestDefaultQueriesAreWhatIsSent(t *testing.T) {
	seen := make(chan string, 4)
	url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		seen <- r.Form.Get("query")
		writeBody(w, 200, "application/json", vectorJSON(1735689600))
	})
	p := newTestSource(t, PrometheusConfig{URL: url, Range: 30 * time.Second})
	snap, _ := p.Poll(context.Background())
	close(seen)
	got := map[string]bool{}
	for q := range seen {
		got[q] = true
	}
	for _, m := range core.Metrics() {
		if !got[p.Query(m)] {
			t.Errorf("query for %s was not sent: %s", m, p.Query(m))
		}
	}
	want := `no series for container_cpu_usage_seconds_total, kube_pod_container_resource_requests in namespace "prod", pods =~ "kimiclaw-db-[a-z0-9]+-[a-z0-9]+"`
	if d := snap.Readings[core.MetricCPU].Detail; d != want {
		t.Errorf("cpu detail = %q, want %q", d, want)
	}
}

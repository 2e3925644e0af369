//go:build integration

package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/internal/fakekimiclaw"
	"github.com/kimiclaw/kimiscale/internal/testenv"
)

// The rig: the stand-in exporter serving three kimiclaw-db pods (plus the
// decoys it always serves), a real Prometheus scraping it every second, and
// a fault-injecting reverse proxy in front of Prometheus. Rates use a 30 s
// window, which is exact after ~20 s of 1 s scrapes.
const (
	scrapeInterval = time.Second
	testRange      = 30 * time.Second
	testTimeout    = time.Second
	// settle bounds every wait for Prometheus to catch up; the waits poll
	// and stop as soon as the condition holds.
	settle = 60 * time.Second
)

var rigPods = []string{
	"kimiclaw-db-7d9f8b6c5d-aaaaa",
	"kimiclaw-db-7d9f8b6c5d-bbbbb",
	"kimiclaw-db-7d9f8b6c5d-ccccc",
}

// Proxy modes.
const (
	passThrough int32 = iota
	answer500
	answerSlowly
)

type rig struct {
	exporter *fakekimiclaw.Exporter
	prom     *testenv.Prometheus
	mode     atomic.Int32 // of the proxy
	// want is what the exporter serves, as the default queries should
	// read it.
	want    map[core.Metric]float64
	proxied *Prometheus // through the proxy
	direct  *Prometheus // straight to Prometheus
}

func startRig(t testing.TB) *rig {
	t.Helper()
	exp, err := fakekimiclaw.Start("prod", rigPods...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(exp.Stop)
	r := &rig{exporter: exp}
	r.setLow()
	r.prom = testenv.StartPrometheus(t, []string{exp.Target()}, scrapeInterval)

	target, err := url.Parse(r.prom.URL())
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch r.mode.Load() {
		case answer500:
			http.Error(w, "injected failure", http.StatusInternalServerError)
			return
		case answerSlowly:
			// Read the body first: only then does net/http notice
			// the client giving up.
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			select {
			case <-time.After(3 * testTimeout):
			case <-req.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(proxy.Close)

	cfg := PrometheusConfig{Namespace: "prod", PodRegex: PodRegex("kimiclaw-db"), Range: testRange, Timeout: testTimeout}
	cfg.URL = proxy.URL
	if r.proxied, err = NewPrometheus(cfg); err != nil {
		t.Fatal(err)
	}
	cfg.URL = r.prom.URL()
	if r.direct, err = NewPrometheus(cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

// setLow sets a load under every down threshold of the seed's policy (at
// 10 replicas) and records it in r.want.
func (r *rig) setLow() {
	for i, p := range rigPods {
		r.exporter.SetCPU(p, 0.1*float64(i+1))                          // 0.1+0.2+0.3 = 0.6 cores of 3
		r.exporter.SetMemory(p, float64(int64(i+1)<<28))                // (1+2+3)/4 GiB = 1.5 GiB of 6 GiB
		r.exporter.SetQPS(p, 100*float64(i+1))                          // 600 q/s in total
		r.exporter.SetConnections(p, 10*float64(i+1))                   // 60 in total
		r.exporter.SetRequests(p, 1, fakekimiclaw.DefaultMemoryRequest) // 1 core, 2 GiB
	}
	r.want = map[core.Metric]float64{
		core.MetricCPU:         0.6 / 3,
		core.MetricMemory:      1.5 / 6,
		core.MetricQPS:         600,
		core.MetricConnections: 60,
	}
}

func near(got, want float64) bool { return math.Abs(got-want) <= 0.01*math.Abs(want) }

// matches reports whether every reading is OK and within 1 % of r.want.
func (r *rig) matches(s core.Snapshot) bool {
	for m, v := range r.want {
		r := s.Readings[m]
		if r.State != core.ReadingOK || !near(r.Value, v) {
			return false
		}
	}
	return true
}

// pollUntil polls src until ok holds or settle passes, and returns the last
// snapshot.
func pollUntil(t *testing.T, src *Prometheus, what string, ok func(core.Snapshot) bool) core.Snapshot {
	t.Helper()
	deadline := time.Now().Add(settle)
	for {
		s, err := src.Poll(context.Background())
		if err != nil {
			t.Fatalf("Poll() error = %v", err)
		}
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not %s: %s", settle, what, describeSnapshot(s))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func describeSnapshot(s core.Snapshot) string {
	var b strings.Builder
	for _, m := range core.Metrics() {
		r := s.Readings[m]
		fmt.Fprintf(&b, "\n  %s: %v %v at %s %s", m, r.State, r.Value, r.At.Format(time.RFC3339Nano), r.Detail)
	}
	return b.String()
}

// decide runs core.Decide on a snapshot as the dashboard would, for a
// Deployment at 10 replicas (so that the seed's 10 %/60 s scale-down policy
// lets one replica go), and returns the decision.
func decide(s core.Snapshot, now time.Time) core.Decision {
	return core.Decide(core.Input{
		Policy:       core.DefaultPolicy(),
		Current:      10,
		Ready:        10,
		Snapshot:     s,
		PollInterval: 5 * time.Second,
	}, now)
}

// assertRefuses checks the core's verdict on a faulty snapshot: no
// scale-down and no auto-apply, with the fault named.
func assertRefuses(t *testing.T, s core.Snapshot, why string) {
	t.Helper()
	d := decide(s, time.Now())
	if d.Action == core.ActionScaleDown || d.Target < d.Current {
		t.Errorf("Decide() = %s to %d on faulty data, want no scale-down; reasons %v", d.Action, d.Target, d.Reasons)
	}
	if d.AutoApply {
		t.Errorf("Decide().AutoApply = true on faulty data, want false")
	}
	if !d.Has(core.ReasonMetricsStale) && !d.Has(core.ReasonMetricUnusable) {
		t.Errorf("Decide() reasons = %v, want MetricsStale or MetricUnusable", d.Reasons)
	}
	found := false
	for _, r := range d.Reasons {
		found = found || strings.Contains(r.Message, why)
	}
	if !found {
		t.Errorf("Decide() reasons = %v, want one that says %q", d.Reasons, why)
	}
}

// TestPrometheusIntegration runs against a real Prometheus. The subtests
// share one rig and run in order: the faults at the end break it on purpose.
func TestPrometheusIntegration(t *testing.T) {
	r := startRig(t)

	t.Run("default queries read what the exporter serves", func(t *testing.T) {
		before := time.Now()
		s := pollUntil(t, r.direct, "the served values", r.matches)
		for m, rd := range s.Readings {
			// Prometheus' own evaluation time, close to ours.
			if rd.At.Before(before.Add(-2*time.Second)) || rd.At.After(time.Now().Add(2*time.Second)) {
				t.Errorf("%s At = %v, want Prometheus' evaluation time near now", m, rd.At)
			}
			if f := rd.Freshness(time.Now(), 3*5*time.Second); !f.Usable {
				t.Errorf("%s unusable: %s", m, f.Why)
			}
		}
		// With good data at 10 replicas, every metric is under its down
		// threshold: the core scales down. The fault tests below show
		// that it stops doing so when the data goes bad.
		if d := decide(s, time.Now()); d.Action != core.ActionScaleDown || !d.AutoApply {
			t.Fatalf("Decide(good data) = %s auto=%v (%v), want scale_down with auto-apply", d.Action, d.AutoApply, d.Reasons)
		}
	})

	t.Run("a load change shows within the rate window", func(t *testing.T) {
		changed := time.Now()
		r.exporter.SetQPS(rigPods[0], 1100) // 600 -> 1600 in total
		r.want[core.MetricQPS] = 1600
		pollUntil(t, r.direct, "qps 1600", r.matches)
		t.Logf("qps exact %s after the change (range %s)", time.Since(changed).Round(100*time.Millisecond), testRange)
	})

	t.Run("backfill", func(t *testing.T) {
		to := time.Now()
		from := to.Add(-20 * time.Second)
		got, err := r.direct.Backfill(context.Background(), from, to, time.Second)
		if err != nil {
			t.Fatalf("Backfill() error = %v", err)
		}
		for _, m := range core.Metrics() {
			s := got[m]
			if len(s) < 19 || len(s) > 21 {
				t.Errorf("%s: %d samples over 20 s at 1 s, want 21", m, len(s))
				continue
			}
			for i := 1; i < len(s); i++ {
				if d := s[i].At.Sub(s[i-1].At); d != time.Second {
					t.Errorf("%s: step %v between samples %d and %d, want 1s", m, d, i-1, i)
					break
				}
			}
			if m == core.MetricConnections || m == core.MetricMemory {
				for _, x := range s {
					if !near(x.Value, r.want[m]) {
						t.Errorf("%s at %v = %v, want the gauge's %v throughout", m, x.At, x.Value, r.want[m])
						break
					}
				}
			}
			if last := s[len(s)-1]; !near(last.Value, r.want[m]) {
				t.Errorf("%s: last sample %v, want %v", m, last.Value, r.want[m])
			}
		}
	})

	t.Run("Prometheus answers 500", func(t *testing.T) {
		r.mode.Store(answer500)
		defer r.mode.Store(passThrough)
		s, err := r.proxied.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range core.Metrics() {
			if rd := s.Readings[m]; rd.State != core.ReadingError || rd.Detail != "HTTP 500 Internal Server Error: injected failure" {
				t.Errorf("%s = %v %q, want the injected 500", m, rd.State, rd.Detail)
			}
		}
		assertRefuses(t, s, "query error: HTTP 500")
	})

	t.Run("Prometheus answers past the timeout", func(t *testing.T) {
		r.mode.Store(answerSlowly)
		defer r.mode.Store(passThrough)
		s, err := r.proxied.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range core.Metrics() {
			if rd := s.Readings[m]; rd.State != core.ReadingError || rd.Detail != "timed out after 1s" {
				t.Errorf("%s = %v %q, want timed out after 1s", m, rd.State, rd.Detail)
			}
		}
		assertRefuses(t, s, "query error: timed out after 1s")
		// The proxy passes again: the same source recovers.
		r.mode.Store(passThrough)
		pollUntil(t, r.proxied, "recovered through the proxy", r.matches)
	})

	t.Run("a pod goes away", func(t *testing.T) {
		r.exporter.RemovePod(rigPods[2])
		// Its series go stale at the next scrape; the default queries
		// drop them at once (no 30 s of lingering rate).
		r.want = map[core.Metric]float64{
			core.MetricCPU:         0.3 / 2,
			core.MetricMemory:      0.75 / 4,
			core.MetricQPS:         1100 + 200,
			core.MetricConnections: 30,
		}
		pollUntil(t, r.direct, "two pods' figures", r.matches)
	})

	t.Run("Prometheus killed, a pod deleted meanwhile, Prometheus restarted", func(t *testing.T) {
		r.prom.Kill()
		s, err := r.direct.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		host := strings.TrimPrefix(r.prom.URL(), "http://")
		for _, m := range core.Metrics() {
			if rd := s.Readings[m]; rd.State != core.ReadingError || rd.Detail != "Prometheus unreachable at "+host+": connection refused" {
				t.Errorf("%s = %v %q, want unreachable, connection refused", m, rd.State, rd.Detail)
			}
		}
		assertRefuses(t, s, "connection refused")

		// Prometheus never sees this pod go, so it writes no staleness
		// marker; a plain instant selector would return its last values
		// for 5 minutes. The default queries drop it after one range.
		r.exporter.RemovePod(rigPods[1])
		r.prom.Restart()
		restarted := time.Now()
		r.want = map[core.Metric]float64{
			core.MetricCPU:         0.1 / 1,
			core.MetricMemory:      0.25 / 2,
			core.MetricQPS:         1100,
			core.MetricConnections: 10,
		}
		pollUntil(t, r.direct, "the remaining pod's figures", r.matches)
		t.Logf("the deleted pod dropped out %s after the restart (range %s)", time.Since(restarted).Round(100*time.Millisecond), testRange)
	})

	t.Run("exporter stops: every series goes stale", func(t *testing.T) {
		stopped := time.Now()
		r.exporter.Stop()
		s := pollUntil(t, r.direct, "empty", func(s core.Snapshot) bool {
			for _, m := range core.Metrics() {
				if s.Readings[m].State != core.ReadingEmpty {
					return false
				}
			}
			return true
		})
		t.Logf("every reading empty %s after the exporter stopped", time.Since(stopped).Round(100*time.Millisecond))
		if d := s.Readings[core.MetricConnections].Detail; !strings.HasPrefix(d, "no series for kimiclaw_active_connections in namespace \"prod\"") {
			t.Errorf("connections detail = %q, want it to name the series and the namespace", d)
		}
		assertRefuses(t, s, "no data: no series for")
		if d := decide(s, time.Now()); d.Action != core.ActionHold || !d.Has(core.ReasonMetricsStale) {
			t.Errorf("Decide(all empty) = %s %v, want hold with MetricsStale", d.Action, d.Reasons)
		}
	})
}

// BenchmarkPollLocalPrometheus measures one Poll (four instant queries,
// concurrently) against a real Prometheus on loopback holding a few minutes
// of the rig's series at most.
func BenchmarkPollLocalPrometheus(b *testing.B) {
	r := startRig(b)
	deadline := time.Now().Add(settle)
	for {
		s, err := r.direct.Poll(context.Background())
		if err == nil && s.Readings[core.MetricCPU].State == core.ReadingOK && s.Readings[core.MetricQPS].State == core.ReadingOK {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("no data after %s: %s", settle, describeSnapshot(s))
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := r.direct.Poll(context.Background())
		if err != nil || s.Readings[core.MetricCPU].State != core.ReadingOK {
			b.Fatalf("Poll() = %v, %v", describeSnapshot(s), err)
		}
	}
}

package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/kimiclaw/kimiscale/core"
)

// matrixJSON answers a query_range between start and end at step with one
// series whose value is f(t), or with series copies of it.
func matrixJSON(start, end time.Time, step time.Duration, series int, f func(t time.Time) string) string {
	var b strings.Builder
	b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for s := range series {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metric":{"pod":"p%d"},"values":[`, s)
		for t, i := start, 0; !t.After(end); t, i = t.Add(step), i+1 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `[%s,%q]`, strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64), f(t))
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}}`)
	return b.String()
}

func parseRange(t *testing.T, r *http.Request) (start, end time.Time, step time.Duration) {
	t.Helper()
	_ = r.ParseForm()
	num := func(k string) float64 {
		f, err := strconv.ParseFloat(r.Form.Get(k), 64)
		if err != nil {
			t.Errorf("%s = %q: %v", k, r.Form.Get(k), err)
		}
		return f
	}
	sec := func(f float64) time.Time { return time.UnixMilli(int64(f * 1000)).UTC() }
	return sec(num("start")), sec(num("end")), time.Duration(num("step") * float64(time.Second))
}

func TestBackfill(t *testing.T) {
	from, to, step := t0, t0.Add(6*time.Hour), 15*time.Second
	url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_range" {
			http.NotFound(w, r)
			return
		}
		start, end, st := parseRange(t, r)
		switch r.Form.Get("query") {
		case "q_cpu":
			writeBody(w, 200, "application/json", matrixJSON(start, end, st, 1, func(t time.Time) string {
				if t.Equal(t0.Add(time.Hour)) {
					return "NaN"
				}
				return strconv.Itoa(int(t.Sub(t0) / time.Second))
			}))
		case "q_memory":
			writeBody(w, 200, "application/json", `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		case "q_qps":
			writeBody(w, 200, "application/json", matrixJSON(start, end, st, 2, func(time.Time) string { return "1" }))
		default:
			writeBody(w, 422, "application/json", `{"status":"error","errorType":"execution","error":"boom"}`)
		}
	})
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries()})
	got, err := p.Backfill(context.Background(), from, to, step)

	cpu := got[core.MetricCPU]
	if want := 6*3600/15 + 1 - 1; len(cpu) != want { // one NaN dropped
		t.Fatalf("len(cpu) = %d, want %d", len(cpu), want)
	}
	if !cpu[0].At.Equal(from) || cpu[0].Value != 0 || !cpu[len(cpu)-1].At.Equal(to) || cpu[len(cpu)-1].Value != 6*3600 {
		t.Errorf("cpu first/last = %+v/%+v, want 0 at from and 21600 at to", cpu[0], cpu[len(cpu)-1])
	}
	for i := 1; i < len(cpu); i++ {
		if !cpu[i].At.After(cpu[i-1].At) {
			t.Fatalf("cpu[%d].At = %v not after %v", i, cpu[i].At, cpu[i-1].At)
		}
	}
	if _, ok := got[core.MetricMemory]; ok {
		t.Errorf("memory present with no series, want it absent")
	}
	if _, ok := got[core.MetricQPS]; ok {
		t.Errorf("qps present though its query returned 2 series")
	}
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("Backfill() error = %v, want *QueryError", err)
	}
	for _, want := range []string{"query qps: query returned 2 series, want 1", "query connections: execution: boom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Backfill() error = %q, want it to contain %q", err, want)
		}
	}
	var perr *v1.Error
	if !errors.As(err, &perr) || perr.Type != v1.ErrExec {
		t.Errorf("Backfill() error does not unwrap to the *v1.Error of type execution: %v", err)
	}
}

func TestBackfillSplitsLongRanges(t *testing.T) {
	var mu sync.Mutex
	type rng struct{ start, end time.Time }
	var seen []rng
	url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		start, end, st := parseRange(t, r)
		if r.Form.Get("query") == "q_cpu" {
			mu.Lock()
			seen = append(seen, rng{start, end})
			mu.Unlock()
		}
		if n := end.Sub(start)/st + 1; n > 11000 {
			writeBody(w, 400, "application/json", `{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries"}`)
			return
		}
		writeBody(w, 200, "application/json", matrixJSON(start, end, st, 1, func(time.Time) string { return "1" }))
	})
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries()})
	from, step := t0, 15*time.Second
	to := from.Add(48 * time.Hour) // 11521 points: two queries
	got, err := p.Backfill(context.Background(), from, to, step)
	if err != nil {
		t.Fatalf("Backfill() error = %v", err)
	}
	if n := len(got[core.MetricCPU]); n != 11521 {
		t.Errorf("len(cpu) = %d, want 11521", n)
	}
	if len(seen) != 2 {
		t.Fatalf("cpu queries = %v, want 2", seen)
	}
	first, second := seen[0], seen[1]
	if first.start.After(second.start) {
		first, second = second, first
	}
	if !first.start.Equal(from) || !second.end.Equal(to) || second.start.Sub(first.end) != step {
		t.Errorf("chunks = %v, want from..x, x+step..to", seen)
	}
}

func TestBackfillRejectsBadRanges(t *testing.T) {
	p := newTestSource(t, PrometheusConfig{URL: "http://127.0.0.1:1", Queries: testQueries()})
	for name, tc := range map[string]struct {
		from, to time.Time
		step     time.Duration
		want     string
	}{
		"zero step":      {t0, t0.Add(time.Hour), 0, "want a positive step"},
		"end before now": {t0.Add(time.Hour), t0, time.Second, "the end is before the start"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Backfill(context.Background(), tc.from, tc.to, tc.step)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Backfill() error = %v, want %q", err, tc.want)
			}
		})
	}
}

// BenchmarkBackfill6h measures reading and parsing four 6 h query_range
// answers at a 15 s step (1,441 points each) from a local HTTP server whose
// bodies are prepared in advance: the client's cost, not Prometheus'.
func BenchmarkBackfill6h(b *testing.B) {
	from, to, step := t0, t0.Add(6*time.Hour), 15*time.Second
	body := []byte(matrixJSON(from, to, step, 1, func(t time.Time) string {
		return strconv.FormatFloat(0.5+float64(t.Unix()%977)/1000, 'f', -1, 64)
	}))
	srv := fakeProm(b, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	p, err := NewPrometheus(PrometheusConfig{URL: srv, Namespace: "prod", PodRegex: "x", Queries: testQueries()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := p.Backfill(context.Background(), from, to, step)
		if err != nil || len(got[core.MetricCPU]) != 1441 {
			b.Fatalf("Backfill() = %d samples, %v", len(got[core.MetricCPU]), err)
		}
	}
}

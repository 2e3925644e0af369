//go:build integration

package testenv

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
)

// queryValue runs an instant query that must return exactly one sample.
func queryValue(ctx context.Context, q promv1.API, query string) (float64, error) {
	v, _, _, err := q.Query(ctx, query, time.Now())
	if err != nil {
		return 0, err
	}
	vec, ok := v.(model.Vector)
	if !ok || len(vec) != 1 {
		return 0, fmt.Errorf("query %s = %v, want one sample", query, v)
	}
	return float64(vec[0].Value), nil
}

// TestPrometheusScrapesExporter starts an exporter with client_golang, has
// a real Prometheus scrape it every second, reads the series back through
// the HTTP API, then kills and restarts Prometheus and finds the data kept.
func TestPrometheusScrapesExporter(t *testing.T) {
	reg := prometheus.NewRegistry()
	conns := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kimiclaw_active_connections",
		Help: "Open client connections.",
	}, []string{"namespace", "pod"})
	reg.MustRegister(conns)
	conns.WithLabelValues("default", "kimiclaw-db-0").Set(42)
	exporter := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(exporter.Close)
	target := strings.TrimPrefix(exporter.URL, "http://")

	began := time.Now()
	prom := StartPrometheus(t, []string{target}, time.Second)
	t.Logf("StartPrometheus took %s; RSS %d MiB", time.Since(began).Round(time.Millisecond), prom.proc.rssBytes()>>20)

	client, err := api.NewClient(api.Config{Address: prom.URL()})
	if err != nil {
		t.Fatal(err)
	}
	q := promv1.NewAPI(client)
	query := `kimiclaw_active_connections{namespace="default",pod="kimiclaw-db-0"}`
	waitValue := func(want float64) {
		t.Helper()
		Eventually(t, 30*time.Second, query+" = "+fmt.Sprint(want), func(ctx context.Context) error {
			got, err := queryValue(ctx, q, query)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("got %v", got)
			}
			return nil
		})
	}
	began = time.Now()
	waitValue(42)
	t.Logf("first scrape visible after %s", time.Since(began).Round(time.Millisecond))
	conns.WithLabelValues("default", "kimiclaw-db-0").Set(7)
	waitValue(7)

	prom.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := queryValue(ctx, q, query); err == nil {
		t.Fatal("query with Prometheus killed succeeded, want an error")
	}
	prom.Restart()
	waitValue(7)
	// The samples scraped before the kill survived it (WAL replay).
	Eventually(t, 30*time.Second, "the value 42 from before the kill", func(ctx context.Context) error {
		got, err := queryValue(ctx, q, `max_over_time(`+query+`[10m])`)
		if err != nil {
			return err
		}
		if got != 42 {
			return fmt.Errorf("max over 10m = %v, want 42", got)
		}
		return nil
	})
}

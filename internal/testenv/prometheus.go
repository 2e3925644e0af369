package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Prometheus is a Prometheus server on 127.0.0.1 scraping fixed targets.
// StartPrometheus stops it in t.Cleanup.
type Prometheus struct {
	t       testing.TB
	proc    *process
	port    int
	timeout time.Duration
}

// StartPrometheus starts the prometheus binary found on PATH (the Debian
// package hack/install-deps.sh installs) with a temporary configuration that
// scrapes every target ("host:port", path /metrics) every scrapeInterval,
// with honor_labels so the labels an exporter sets (pod, namespace,
// container) are kept as served. It waits for /-/ready and stops the server
// in t.Cleanup. Bad arguments or a missing binary fail the test.
//
// The first samples arrive about 5 s after it returns: Prometheus hands
// targets to its scrapers at most every 5 s. Poll for them with a deadline.
func StartPrometheus(t testing.TB, scrapeTargets []string, scrapeInterval time.Duration) *Prometheus {
	t.Helper()
	if scrapeInterval <= 0 {
		t.Fatalf("testenv: StartPrometheus: scrape interval %s must be positive (e.g. time.Second)", scrapeInterval)
	}
	for _, target := range scrapeTargets {
		if target == "" || strings.Contains(target, "/") || !strings.Contains(target, ":") || strings.ContainsAny(target, "\"' \n") {
			t.Fatalf("testenv: StartPrometheus: target %q must be host:port, e.g. 127.0.0.1:9100", target)
		}
	}
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("testenv: prometheus not found on PATH: run `make deps` (hack/install-deps.sh installs the Debian package prometheus): %v", err)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(prometheusConfig(scrapeTargets, scrapeInterval)), 0o644); err != nil {
		t.Fatalf("testenv: write prometheus config: %v", err)
	}
	p := &Prometheus{
		t:       t,
		proc:    &process{name: "prometheus", path: bin, logPath: filepath.Join(dir, "prometheus.log")},
		timeout: defaultStartTimeout,
	}
	logTailsOnFailure(t, func() []*process { return []*process{p.proc} })
	t.Cleanup(p.Stop)
	began := time.Now()
	configure := func(ports []int) {
		p.port = ports[0]
		p.proc.args = []string{
			"--config.file", config,
			"--storage.tsdb.path", filepath.Join(dir, "data"),
			"--web.listen-address", "127.0.0.1:" + strconv.Itoa(p.port),
			// No lockfile (the 2.42 default, --storage.tsdb.use-lockfile
			// off): a killed server must not block Restart.
			"--log.level", "warn",
		}
	}
	if err := startWithRetry(p.proc, 1, p.timeout, configure, p.ready); err != nil {
		t.Fatalf("testenv: start prometheus: %v", err)
	}
	t.Logf("testenv: prometheus ready in %s (%s)", time.Since(began).Round(time.Millisecond), p.URL())
	return p
}

// prometheusConfig renders the configuration file.
func prometheusConfig(targets []string, interval time.Duration) string {
	var b strings.Builder
	iv := promDuration(interval)
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", iv, iv, iv)
	b.WriteString("scrape_configs:\n  - job_name: testenv\n    honor_labels: true\n    static_configs:\n      - targets: [")
	for i, t := range targets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", t)
	}
	b.WriteString("]\n")
	return b.String()
}

// promDuration writes d in Prometheus' duration syntax (whole milliseconds).
func promDuration(d time.Duration) string {
	return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + "ms"
}

// ready asks /-/ready.
func (p *Prometheus) ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/-/ready", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("prometheus /-/ready: %s", resp.Status)
	}
	return nil
}

// URL returns the server's address, http://127.0.0.1:PORT.
func (p *Prometheus) URL() string {
	return "http://127.0.0.1:" + strconv.Itoa(p.port)
}

// Kill kills the server at once (SIGKILL), for fault tests; queries then fail
// with "connection refused" until Restart.
func (p *Prometheus) Kill() {
	p.t.Helper()
	p.proc.stop(syscall.SIGKILL, stopGrace)
}

// Restart starts the server again, after Kill or Stop (or stops it first if
// it is running), on the same port with the same data, and waits for
// /-/ready.
func (p *Prometheus) Restart() {
	p.t.Helper()
	p.proc.stop(syscall.SIGTERM, stopGrace)
	began := time.Now()
	if err := p.proc.start(); err != nil {
		p.t.Fatalf("testenv: restart prometheus: %v", err)
	}
	if err := p.proc.waitReady(p.timeout, p.ready); err != nil {
		p.t.Fatalf("testenv: restart prometheus on port %d: %v", p.port, err)
	}
	p.t.Logf("testenv: prometheus restarted in %s", time.Since(began).Round(time.Millisecond))
}

// Stop stops the server (SIGTERM, SIGKILL after 10 s). It is safe to call
// more than once; StartPrometheus calls it in t.Cleanup.
func (p *Prometheus) Stop() {
	p.proc.stop(syscall.SIGTERM, stopGrace)
}

package metrics

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kimiclaw/kimiscale/core"
)

func TestServiceProxyURL(t *testing.T) {
	tests := []struct {
		apiServer, service string
		want               string // URL, or an error substring when wantErr
		wantErr            bool
	}{
		{"https://10.0.0.1:6443", "monitoring/prometheus-k8s:9090", "https://10.0.0.1:6443/api/v1/namespaces/monitoring/services/prometheus-k8s:9090/proxy/", false},
		{"https://10.0.0.1:6443/", "monitoring/prometheus:web", "https://10.0.0.1:6443/api/v1/namespaces/monitoring/services/prometheus:web/proxy/", false},
		{"https://rancher.example/k8s/clusters/c-1", "monitoring/https:prometheus:9443", "https://rancher.example/k8s/clusters/c-1/api/v1/namespaces/monitoring/services/https:prometheus:9443/proxy/", false},
		{"https://10.0.0.1:6443", "monitoring/prometheus", "https://10.0.0.1:6443/api/v1/namespaces/monitoring/services/prometheus/proxy/", false},
		{"https://10.0.0.1:6443", "prometheus:9090", "want NAMESPACE/NAME:PORT", true},
		{"https://10.0.0.1:6443", "monitoring/", "want NAMESPACE/NAME:PORT", true},
		{"https://10.0.0.1:6443", "Monitoring/prometheus:9090", `namespace "Monitoring"`, true},
		{"https://10.0.0.1:6443", "monitoring/prometheus:99999", "port 99999", true},
		{"https://10.0.0.1:6443", "monitoring/prometheus:not_a_port", `port "not_a_port" is neither a number nor a port name`, true},
		{"https://10.0.0.1:6443", "monitoring/prom.etheus:9090", `service name "prom.etheus"`, true},
		{"10.0.0.1:6443", "monitoring/prometheus:9090", "API server address is not an http(s) URL", true},
	}
	for _, tc := range tests {
		got, err := ServiceProxyURL(tc.apiServer, tc.service)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ServiceProxyURL(%q, %q) error = %v, want %q", tc.apiServer, tc.service, err, tc.want)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ServiceProxyURL(%q, %q) = %q, %v, want %q", tc.apiServer, tc.service, got, err, tc.want)
			continue
		}
		if _, _, err := (PrometheusConfig{URL: got}).validate(); err != nil && strings.Contains(err.Error(), "URL") {
			t.Errorf("the proxy URL %q does not validate: %v", got, err)
		}
	}
}

// TestThroughServiceProxy reads through a stand-in for the API server's
// service proxy: the path prefix is kept and the round tripper (as
// rest.TransportFor would) supplies the kubeconfig's token.
func TestThroughServiceProxy(t *testing.T) {
	const prefix = "/api/v1/namespaces/monitoring/services/prometheus:9090/proxy"
	apiServer := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer kube-token" {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != prefix+"/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		writeBody(w, 200, "application/json", vectorJSON(1735689600, "0.5"))
	})
	u, err := ServiceProxyURL(apiServer, "monitoring/prometheus:9090")
	if err != nil {
		t.Fatal(err)
	}
	kubeTransport := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer kube-token")
		return http.DefaultTransport.RoundTrip(r)
	})
	p := newTestSource(t, PrometheusConfig{URL: u, RoundTripper: kubeTransport, Queries: testQueries()})
	snap, _ := p.Poll(context.Background())
	for _, m := range core.Metrics() {
		if r := snap.Readings[m]; r.State != core.ReadingOK || r.Value != 0.5 {
			t.Errorf("%s = %v %q, want OK 0.5 through the proxy", m, r.State, r.Detail)
		}
	}
}

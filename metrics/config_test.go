package metrics

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

const (
	secretToken    = "tok-3f9a1c77e2b54d0a"
	secretPassword = "pw-8c1e55d9a04b2f37"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewPrometheusValidates(t *testing.T) {
	ok := PrometheusConfig{URL: "http://prometheus:9090", Namespace: "prod", PodRegex: PodRegex("kimiclaw-db")}
	with := func(f func(c *PrometheusConfig)) PrometheusConfig {
		c := ok
		f(&c)
		return c
	}
	tokenFile := writeFile(t, "token", secretToken+"\n")
	emptyFile := writeFile(t, "empty", "\n")
	notPEM := writeFile(t, "ca.pem", "not a certificate")
	tests := []struct {
		name    string
		cfg     PrometheusConfig
		wantErr string // substring; "" means valid
	}{
		{name: "minimal", cfg: ok},
		{name: "https with a path", cfg: with(func(c *PrometheusConfig) {
			c.URL = "https://apiserver:6443/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/"
		})},
		{name: "token file", cfg: with(func(c *PrometheusConfig) { c.BearerTokenFile = tokenFile })},
		{name: "empty URL", cfg: with(func(c *PrometheusConfig) { c.URL = "" }), wantErr: "prometheus URL is empty"},
		{name: "no scheme", cfg: with(func(c *PrometheusConfig) { c.URL = "prometheus:9090" }), wantErr: `scheme "prometheus" is not supported`},
		{name: "host only", cfg: with(func(c *PrometheusConfig) { c.URL = "prometheus" }), wantErr: "prometheus URL has no scheme"},
		{name: "ftp", cfg: with(func(c *PrometheusConfig) { c.URL = "ftp://prometheus" }), wantErr: `scheme "ftp" is not supported: want http[s]://`},
		{name: "no host", cfg: with(func(c *PrometheusConfig) { c.URL = "http:///x" }), wantErr: "has no host"},
		{name: "api path", cfg: with(func(c *PrometheusConfig) { c.URL = "http://p:9090/api/v1/" }), wantErr: "without /api/v1"},
		{name: "credentials in URL", cfg: with(func(c *PrometheusConfig) { c.URL = "http://admin:" + secretPassword + "@p:9090" }), wantErr: "must not carry credentials"},
		{name: "unparsable URL with credentials", cfg: with(func(c *PrometheusConfig) { c.URL = "http://admin:" + secretPassword + "@[::1" }), wantErr: "not a valid URL"},
		{name: "token and token file", cfg: with(func(c *PrometheusConfig) { c.BearerToken, c.BearerTokenFile = secretToken, tokenFile }), wantErr: "not both"},
		{name: "token and basic auth", cfg: with(func(c *PrometheusConfig) { c.BearerToken, c.BasicAuthUser = secretToken, "u" }), wantErr: "bearer token or basic auth, not both"},
		{name: "password without user", cfg: with(func(c *PrometheusConfig) { c.BasicAuthPassword = secretPassword }), wantErr: "without a user"},
		{name: "missing token file", cfg: with(func(c *PrometheusConfig) { c.BearerTokenFile = "/nonexistent/token" }), wantErr: "bearer token file: open /nonexistent/token"},
		{name: "empty token file", cfg: with(func(c *PrometheusConfig) { c.BearerTokenFile = emptyFile }), wantErr: "is empty"},
		{name: "CA file without PEM", cfg: with(func(c *PrometheusConfig) { c.CAFile = notPEM }), wantErr: "holds no PEM certificate"},
		{name: "round tripper with CA", cfg: with(func(c *PrometheusConfig) { c.RoundTripper, c.CAFile = http.DefaultTransport, notPEM }), wantErr: "brings its own TLS"},
		{name: "round tripper with token", cfg: with(func(c *PrometheusConfig) { c.RoundTripper, c.BearerToken = http.DefaultTransport, secretToken }), wantErr: "brings its own credentials"},
		{name: "Authorization header", cfg: with(func(c *PrometheusConfig) { c.Headers = map[string]string{"authorization": "Bearer " + secretToken} }), wantErr: "not as an extra header"},
		{name: "bad header name", cfg: with(func(c *PrometheusConfig) { c.Headers = map[string]string{"X Org": "1"} }), wantErr: `header name "X Org"`},
		{name: "negative timeout", cfg: with(func(c *PrometheusConfig) { c.Timeout = -time.Second }), wantErr: "timeout -1s is negative"},
		{name: "no namespace", cfg: with(func(c *PrometheusConfig) { c.Namespace = "" }), wantErr: "namespace is empty"},
		{name: "no pod regex", cfg: with(func(c *PrometheusConfig) { c.PodRegex = "" }), wantErr: "pod regex is empty"},
		{name: "bad pod regex", cfg: with(func(c *PrometheusConfig) { c.PodRegex = "kimiclaw-(" }), wantErr: `pod regex "kimiclaw-(" is not a valid regular expression`},
		{name: "tiny range", cfg: with(func(c *PrometheusConfig) { c.Range = time.Millisecond }), wantErr: "range 1ms is too short"},
		{name: "unknown metric query", cfg: with(func(c *PrometheusConfig) { c.Queries = map[core.Metric]string{"latency": "x"} }), wantErr: `query for unknown metric "latency": want one of cpu, memory, qps, connections`},
		{name: "bad template", cfg: with(func(c *PrometheusConfig) { c.Queries = map[core.Metric]string{core.MetricQPS: "sum({{.Namespace)"} }), wantErr: "query for qps is not a valid template"},
		{name: "unknown template field", cfg: with(func(c *PrometheusConfig) { c.Queries = map[core.Metric]string{core.MetricQPS: "sum({{.Deployment}})"} }), wantErr: "query for qps: template"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPrometheus(tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("NewPrometheus() error = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewPrometheus() error = %v, want it to contain %q", err, tc.wantErr)
			}
			for _, s := range []string{secretToken, secretPassword} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("NewPrometheus() error %q contains a secret", err)
				}
			}
		})
	}
}

// TestSecretsStayOutOfEverything sends real credentials to servers that
// refuse them, echo them back or are not there, and checks that no error,
// reading, log line or printed config carries them.
func TestSecretsStayOutOfEverything(t *testing.T) {
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			u, p, _ := r.BasicAuth()
			writeBody(w, status, "text/plain", "you sent "+r.Header.Get("Authorization")+" user="+u+" password="+p)
		}
	}
	tokenFile := writeFile(t, "token", secretToken)
	passwordFile := writeFile(t, "pw", secretPassword+"\n")
	auths := map[string]func(c *PrometheusConfig){
		"bearer token":       func(c *PrometheusConfig) { c.BearerToken = secretToken },
		"bearer token file":  func(c *PrometheusConfig) { c.BearerTokenFile = tokenFile },
		"basic auth":         func(c *PrometheusConfig) { c.BasicAuthUser, c.BasicAuthPassword = "admin", secretPassword },
		"basic auth pw file": func(c *PrometheusConfig) { c.BasicAuthUser, c.BasicAuthPasswordFile = "admin", passwordFile },
	}
	servers := map[string]string{
		"401":             fakeProm(t, echo(http.StatusUnauthorized)),
		"500 echoing":     fakeProm(t, echo(http.StatusInternalServerError)),
		"200 echoing":     fakeProm(t, echo(http.StatusOK)),
		"unreachable":     "http://127.0.0.1:1",
		"unresolvable":    "http://prometheus.invalid:9090",
		"warning echoing": fakeProm(t, warningEcho),
	}
	for authName, auth := range auths {
		for srvName, url := range servers {
			t.Run(authName+"/"+srvName, func(t *testing.T) {
				var logs bytes.Buffer
				cfg := PrometheusConfig{
					URL: url, Namespace: "prod", PodRegex: PodRegex("kimiclaw-db"), Queries: testQueries(),
					Headers: map[string]string{"X-Scope-OrgID": "team-a"},
					Timeout: 2 * time.Second, BackfillTimeout: 2 * time.Second,
					Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				}
				auth(&cfg)
				p := newTestSource(t, cfg)
				snap, _ := p.Poll(context.Background())
				_, berr := p.Backfill(context.Background(), t0, t0.Add(time.Minute), 15*time.Second)
				slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg)
				out := []string{fmt.Sprint(snap), fmt.Sprint(berr), logs.String(),
					cfg.String(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg)}
				for _, s := range out {
					for _, secret := range []string{secretToken, secretPassword} {
						if strings.Contains(s, secret) {
							t.Errorf("secret leaked in %q", s)
						}
					}
				}
				if srvName == "500 echoing" && !strings.Contains(snap.Readings[core.MetricCPU].Detail, "[redacted]") {
					t.Errorf("cpu detail = %q, want the echoed secret replaced by [redacted]", snap.Readings[core.MetricCPU].Detail)
				}
			})
		}
	}
}

// warningEcho answers with a warning that repeats the request's credentials.
func warningEcho(w http.ResponseWriter, r *http.Request) {
	_, p, _ := r.BasicAuth()
	writeBody(w, 200, "application/json",
		fmt.Sprintf(`{"status":"success","warnings":["auth %s %s"],"data":{"resultType":"vector","result":[]}}`,
			r.Header.Get("Authorization"), p))
}

func TestCredentialsAndHeadersAreSent(t *testing.T) {
	type seen struct{ auth, org string }
	got := make(chan seen, 100)
	url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("Authorization"), r.Header.Get("X-Scope-OrgID")}
		writeBody(w, 200, "application/json", vectorJSON(1735689600, "1"))
	})
	tokenFile := writeFile(t, "token", "first-token\n")
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries(), BearerTokenFile: tokenFile,
		Headers: map[string]string{"X-Scope-OrgID": "team-a"}})
	if _, err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A rotated token is read on the next request.
	if err := os.WriteFile(tokenFile, []byte("second-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(got)
	var first, second int
	for s := range got {
		if s.org != "team-a" {
			t.Errorf("X-Scope-OrgID = %q, want team-a", s.org)
		}
		switch s.auth {
		case "Bearer first-token":
			first++
		case "Bearer second-token":
			second++
		default:
			t.Errorf("Authorization = %q, want the token file's token", s.auth)
		}
	}
	if first != 4 || second != 4 {
		t.Errorf("requests with the first/second token = %d/%d, want 4/4", first, second)
	}
}

func TestCAFileIsTrusted(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, 200, "application/json", vectorJSON(1735689600, "1"))
	}))
	t.Cleanup(srv.Close)
	ca := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	for name, cfg := range map[string]PrometheusConfig{
		"CA file":  {URL: srv.URL, CAFile: ca},
		"insecure": {URL: srv.URL, InsecureSkipTLSVerify: true},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Queries = testQueries()
			p := newTestSource(t, cfg)
			snap, _ := p.Poll(context.Background())
			if r := snap.Readings[core.MetricCPU]; r.State != core.ReadingOK {
				t.Errorf("cpu = %v %q, want OK over TLS", r.State, r.Detail)
			}
		})
	}
	if _, err := x509.ParseCertificate(srv.Certificate().Raw); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripperCarriesRequests(t *testing.T) {
	url := fakeProm(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Via") != "proxy" {
			http.Error(w, "not through the round tripper", http.StatusForbidden)
			return
		}
		writeBody(w, 200, "application/json", vectorJSON(1735689600, "3"))
	})
	rt := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Via", "proxy")
		return http.DefaultTransport.RoundTrip(r)
	})
	p := newTestSource(t, PrometheusConfig{URL: url, Queries: testQueries(), RoundTripper: rt})
	snap, _ := p.Poll(context.Background())
	if r := snap.Readings[core.MetricQPS]; r.State != core.ReadingOK || r.Value != 3 {
		t.Errorf("qps = %+v, want OK 3 through the custom round tripper", r)
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestConfigString(t *testing.T) {
	cfg := PrometheusConfig{URL: "https://p:9090", Namespace: "prod", PodRegex: "x", BasicAuthUser: "admin",
		BasicAuthPassword: secretPassword, InsecureSkipTLSVerify: true, Headers: map[string]string{"X-Scope-OrgID": "team-a"}}
	want := `prometheus https://p:9090 with basic auth as "admin", TLS verification OFF, headers X-Scope-OrgID (values hidden), namespace "prod", pods =~ "x"`
	if got := cfg.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

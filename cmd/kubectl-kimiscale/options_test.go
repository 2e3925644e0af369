package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// run executes the root command with args and returns stdout, stderr and
// the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := NewCmd(streams)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, "version")
	require.NoError(t, err)
	assert.Regexp(t, `^kubectl-kimiscale dev \(commit unknown, built unknown, go1\.\d+`, out)
}

func TestParseDeploymentArg(t *testing.T) {
	tests := []struct {
		arg, want, err string
	}{
		{arg: "kimiclaw-db", want: "kimiclaw-db"},
		{arg: "deploy/web", want: "web"},
		{arg: "deployment/web", want: "web"},
		{arg: "deployments.apps/web", want: "web"},
		{arg: "statefulset/web", err: `"statefulset/web": kimiscale scales Deployments; give NAME or deploy/NAME, not statefulset/`},
		{arg: "deploy/", err: `"deploy/": the Deployment name is empty; give NAME or deploy/NAME`},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			got, err := parseDeploymentArg(tc.arg)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestContradictoryFlags(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--auto", "--readonly"}, "--auto and --readonly contradict each other: auto-apply writes to the cluster"},
		{[]string{"--dry-run", "--readonly"}, "--dry-run and --readonly contradict each other: --readonly never writes, not even a dry run"},
		{[]string{"--headless"}, "--headless works only with --demo; for one decision from a cluster run: kubectl kimiscale status"},
		{[]string{"--speed", "10"}, "--speed works only with --demo"},
		{[]string{"--demo", "--headless", "--auto"}, "--headless prints a decision per simulated minute and never writes: drop --auto"},
		{[]string{"--demo", "--headless", "--dry-run", "--interval", "5s"}, "--headless prints a decision per simulated minute and never writes: drop --dry-run, --interval"},
		{[]string{"--prometheus-url", "http://a", "--prometheus-service", "m/p:9090"}, "--prometheus-url and --prometheus-service both set: give one (the service is reached through the API server)"},
		{[]string{"--prometheus-header", "nonsense"}, `--prometheus-header "nonsense": valid is NAME=VALUE, e.g. X-Scope-OrgID=tenant`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.EqualError(t, err, tc.err)
		})
	}
}

// TestDemoRefusesWhatItCannotHonour: the demo cluster has only
// default/kimiclaw-db and its own metrics; anything else given with --demo
// is an error naming what the demo has, never the demo's data under another
// name.
func TestDemoRefusesWhatItCannotHonour(t *testing.T) {
	const refused = " (they choose or reach a real cluster or Prometheus)"
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--demo", "deploy/foo"}, `deployment "foo" with --demo: the demo cluster has one Deployment, default/kimiclaw-db; drop the argument or give kimiclaw-db`},
		{[]string{"--demo", "-n", "other"}, `--namespace "other" with --demo: the demo cluster has one Deployment, default/kimiclaw-db; drop -n or give -n default`},
		{[]string{"status", "--demo", "deploy/other"}, `deployment "other" with --demo: the demo cluster has one Deployment, default/kimiclaw-db; drop the argument or give kimiclaw-db`},
		{[]string{"status", "--demo", "--namespace=db"}, `--namespace "db" with --demo: the demo cluster has one Deployment, default/kimiclaw-db; drop -n or give -n default`},
		{[]string{"--demo", "--headless", "deploy/foo"}, `deployment "foo" with --demo: the demo cluster has one Deployment, default/kimiclaw-db; drop the argument or give kimiclaw-db`},
		{[]string{"--demo", "--headless", "--context", "prod"}, "--demo runs on an embedded cluster with its own metrics: drop --context" + refused},
		{[]string{"--demo", "--context", "prod"}, "--demo runs on an embedded cluster with its own metrics: drop --context" + refused},
		{[]string{"--demo", "--kubeconfig", "k", "--token", "t", "--server", "https://x"}, "--demo runs on an embedded cluster with its own metrics: drop --kubeconfig, --server, --token" + refused},
		{[]string{"--demo", "--prometheus-url", "http://a"}, "--demo runs on an embedded cluster with its own metrics: drop --prometheus-url" + refused},
		{[]string{"status", "--demo", "--prometheus-service", "m/p:9090", "--prometheus-timeout", "1s"}, "--demo runs on an embedded cluster with its own metrics: drop --prometheus-service, --prometheus-timeout" + refused},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.EqualError(t, err, tc.err)
		})
	}
}

// TestDemoAcceptsItsOwnNames: the demo's own Deployment and namespace given
// explicitly, and a config file that points at a real Prometheus, are fine
// (the run then fails only for want of a terminal).
func TestDemoAcceptsItsOwnNames(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("prometheus: {url: http://prom:9090, service: m/p:9090}\n"), 0o600))
	for _, args := range [][]string{
		{"--demo", "kimiclaw-db"},
		{"--demo", "deploy/kimiclaw-db", "-n", "default"},
		{"--demo", "--namespace="},
		{"--demo", "--config", cfg},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, _, err := run(t, args...)
			require.ErrorIs(t, err, errNoTTY)
		})
	}
}

// apimachinery's words for what a namespace and a Deployment name may be.
const (
	dns1123Label     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	dns1123Subdomain = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
)

// TestSharedFlagChecks: the settings every command shares are checked by
// every command that reads them, and a bad value from the config file names
// the file's key.
func TestSharedFlagChecks(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("interval: 2h\nprometheus: {timeout: 1s}\n"), 0o600))
	zero := filepath.Join(dir, "zero.yaml")
	require.NoError(t, os.WriteFile(zero, []byte("prometheus: {range: 0s}\n"), 0o600))
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--interval", "0s"}, "--interval 0s: valid is 1s to 1h, e.g. 15s"},
		{[]string{"status", "--interval", "500ms"}, "--interval 500ms: valid is 1s to 1h, e.g. 15s"},
		{[]string{"config", "view", "--prometheus-timeout", "-1s"}, "--prometheus-timeout -1s: valid is a positive duration such as 5s"},
		{[]string{"status", "--prometheus-range", "0s"}, "--prometheus-range 0s: valid is a positive duration such as 2m (at least 4 scrape intervals)"},
		{[]string{"status", "--prometheus-range", "2"}, `--prometheus-range "2": not a duration; valid is a positive duration such as 2m (at least 4 scrape intervals)`},
		{[]string{"status", "--config", cfg}, "config file " + cfg + ": interval 2h0m0s: valid is 1s to 1h, e.g. 15s"},
		{[]string{"status", "--config", cfg, "--interval", "10h"}, "--interval 10h0m0s: valid is 1s to 1h, e.g. 15s"},
		{[]string{"status", "--config", zero}, "config file " + zero + `: prometheus.range "0s": valid is a positive duration such as 2m (at least 4 scrape intervals)`},
		{[]string{"a", "b"}, `2 arguments ["a" "b"]: give at most one Deployment, as NAME or deploy/NAME`},
		{[]string{"status", "a", "b", "c"}, `3 arguments ["a" "b" "c"]: give at most one Deployment, as NAME or deploy/NAME`},
		{[]string{"status", "--request-timeout", "abc"}, `--request-timeout "abc": valid is 0 (no timeout) or a positive duration such as 30s (a bare number is seconds)`},
		{[]string{"--request-timeout", "-5s"}, `--request-timeout "-5s": valid is 0 (no timeout) or a positive duration such as 30s (a bare number is seconds)`},
		{[]string{"status", "-n", "Bad_NS"}, `--namespace "Bad_NS": not a namespace name: ` + dns1123Label},
		{[]string{"manifests", "--namespace=db.prod"}, `--namespace "db.prod": not a namespace name: must not contain dots`},
		{[]string{"manifests", "--namespace=DB"}, `--namespace "DB": not a namespace name: ` + dns1123Label},
		{[]string{"status", "deploy/Bad_Name"}, `"deploy/Bad_Name": not a Deployment name: ` + dns1123Subdomain},
		{[]string{"status", "-o", "wide"}, `-o "wide": valid is json, yaml or table`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.EqualError(t, err, tc.err)
		})
	}
}

func TestNoTTY(t *testing.T) {
	_, _, err := run(t, "--demo")
	require.ErrorIs(t, err, errNoTTY)
	assert.Contains(t, err.Error(), "kubectl kimiscale status -o json")
}

// TestBadPolicyBeforeNoTTY: the dashboard reports a bad --policy before
// asking for a terminal, so the user fixes both in one go, not one by one.
func TestBadPolicyBeforeNoTTY(t *testing.T) {
	_, _, err := run(t, "--demo", "--policy", filepath.Join(t.TempDir(), "missing.yaml"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, errNoTTY)
	assert.Contains(t, err.Error(), "missing.yaml: no such file or directory")
}

func TestNoKubeconfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	t.Setenv("HOME", dir)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	_, _, err := run(t, "status")
	require.EqualError(t, err, errNoKubeconfig.Error())
}

// unreachableKubeconfig writes a kubeconfig whose server refuses
// connections (context "gone", namespace db) and returns its path.
func unreachableKubeconfig(t *testing.T) string {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: gone, context: {cluster: c, user: u, namespace: db}}]
current-context: gone
`), 0o600))
	return kc
}

// TestBadPrometheusBeforeCluster: Prometheus' settings are checked before
// the first request to the API server, so a bad one is not hidden behind
// an unreachable cluster.
func TestBadPrometheusBeforeCluster(t *testing.T) {
	kc := unreachableKubeconfig(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--prometheus-url", "ftp://prom:9090"}, `prometheus URL scheme "ftp" is not supported`},
		{[]string{"--prometheus-url", "prom:9090"}, "prometheus URL"},
		{[]string{"--prometheus-service", "prometheus"}, `--prometheus-service: prometheus service "prometheus": want NAMESPACE/NAME:PORT`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, append([]string{"status", "--kubeconfig", kc, "--request-timeout", "2s"}, tc.args...)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "cannot reach the Kubernetes API server")
		})
	}
}

func TestUnreachableCluster(t *testing.T) {
	kc := unreachableKubeconfig(t)
	_, _, err := run(t, "status", "--kubeconfig", kc, "--request-timeout", "2s")
	require.Error(t, err)
	assert.Regexp(t, `^cannot reach the Kubernetes API server at https://127\.0\.0\.1:1 \(context gone\): .*connection refused; check --context and --kubeconfig, or try: kubectl kimiscale --demo$`, err.Error())
}

func TestDeploymentNotFoundSuggests(t *testing.T) {
	cs := fake.NewClientset(
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "kimiclaw-db", Namespace: "db"}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "db"}},
	)
	c := &cluster{client: cs, namespace: "db", config: &rest.Config{Host: "https://x"}}
	_, err := c.checkDeployment(context.Background(), "kimiclaw")
	require.EqualError(t, err, `deployment "kimiclaw" not found in namespace "db"; Deployments there: api, kimiclaw-db`)
	c.namespace = "empty"
	_, err = c.checkDeployment(context.Background(), "kimiclaw")
	require.EqualError(t, err, `deployment "kimiclaw" not found in namespace "empty", which has no Deployments; pick another with -n NAMESPACE`)
	d, err := (&cluster{client: cs, namespace: "db"}).checkDeployment(context.Background(), "api")
	require.NoError(t, err)
	assert.Equal(t, "api", d.Name)
}

func TestBadPolicyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(p, []byte("minReplicas: 5\nmaxReplicas: 3\n"), 0o600))
	_, _, err := run(t, "manifests", "--policy", p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "policy file "+p)
	assert.Contains(t, err.Error(), "minReplicas")
}

func TestConfigFileAndFlagsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`prometheus:
  url: http://from-file:9090
  bearerToken: s3cr3t-token
  headers: {X-Scope-OrgID: team-a, Authorization: "Bearer abc"}
  timeout: 7s
interval: 30s
policy: policy.yaml
`), 0o600))
	out, _, err := run(t, "config", "view", "--config", cfg, "--interval", "20s")
	require.NoError(t, err)
	assert.Contains(t, out, "url: http://from-file:9090")
	assert.Contains(t, out, "interval: 20s", "a flag overrides the file")
	assert.Contains(t, out, "timeout: 7s")
	assert.Contains(t, out, "X-Scope-OrgID: team-a")
	assert.Contains(t, out, "policy: "+filepath.Join(dir, "policy.yaml"), "relative to the config file")
	assert.NotContains(t, out, "s3cr3t-token")
	assert.NotContains(t, out, "Bearer abc")
	assert.Equal(t, 2, strings.Count(out, "REDACTED"))

	out, _, err = run(t, "config", "view", "--config", cfg, "--prometheus-url", "http://flag:9090")
	require.NoError(t, err)
	assert.Contains(t, out, "url: http://flag:9090")
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("prometheus:\n  ulr: http://x\n"), 0o600))
	_, _, err := run(t, "config", "view", "--config", bad)
	require.Error(t, err)
	assert.Equal(t, "config file "+bad+`: unknown field "ulr" (valid keys: prometheus, policy, interval; see the README)`, err.Error())

	_, _, err = run(t, "config", "view", "--config", filepath.Join(dir, "nope.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nope.yaml: no such file or directory")

	q := filepath.Join(dir, "q.yaml")
	require.NoError(t, os.WriteFile(q, []byte("prometheus:\n  queries: {latency: up}\n"), 0o600))
	_, _, err = run(t, "config", "view", "--config", q)
	require.EqualError(t, err, "config file "+q+": prometheus.queries.latency: unknown metric; valid: cpu, memory, qps, connections")
}

func TestManifestsFollowPolicy(t *testing.T) {
	out, _, err := run(t, "manifests", "-n", "db")
	require.NoError(t, err)
	for _, want := range []string{
		"kind: HorizontalPodAutoscaler", "minReplicas: 2", "maxReplicas: 10", "averageUtilization: 70",
		"averageUtilization: 80", "name: kimiclaw_active_connections", "averageValue: 8k",
		"stabilizationWindowSeconds: 60", "stabilizationWindowSeconds: 300", "value: 10", "periodSeconds: 60",
		"kind: VerticalPodAutoscaler", "memory: 2Gi", "cpu: 500m", "memory: 16Gi", `cpu: "4"`,
		"kind: ConfigMap", "memory_limit: 4GB", `threads: "4"`, "namespace: db",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "kind: Role")

	p := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(p, []byte("minReplicas: 3\nmaxReplicas: 12\n"), 0o600))
	out, _, err = run(t, "manifests", "--policy", p, "--rbac")
	require.NoError(t, err)
	assert.Contains(t, out, "minReplicas: 3")
	assert.Contains(t, out, "maxReplicas: 12")
	assert.Contains(t, out, "kimiscale-operator")
}

func TestHelpShowsKubectlName(t *testing.T) {
	out, _, err := run(t, "--help")
	require.NoError(t, err)
	assert.Contains(t, out, "kubectl kimiscale [DEPLOYMENT | deploy/NAME] [flags]")
	assert.Contains(t, out, "--namespace")
	assert.Contains(t, out, "--prometheus-url")
	var buf bytes.Buffer
	buf.WriteString(out)
	assert.NotContains(t, buf.String(), "kubectl-kimiscale [")
}

func TestTraceCommandsFlags(t *testing.T) {
	for _, sub := range []string{"simulate", "forecast-eval"} {
		t.Run(sub, func(t *testing.T) {
			_, _, err := run(t, sub)
			require.EqualError(t, err, "--trace is required: a CSV file with a timestamp,value header")
			_, _, err = run(t, sub, "--trace", "x.csv", "-o", "yaml")
			require.EqualError(t, err, `-o "yaml": valid is table or json`)
			bad := filepath.Join(t.TempDir(), "bad.csv")
			require.NoError(t, os.WriteFile(bad, []byte("timestamp,value\n1995-07-01T04:00:00Z,42\nnot-a-time,7\n"), 0o600))
			_, _, err = run(t, sub, "--trace", bad)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "line 3")
			missing := filepath.Join(t.TempDir(), "missing.csv")
			_, _, err = run(t, sub, "--trace", missing)
			require.EqualError(t, err, "--trace: open "+missing+": no such file or directory")
		})
	}
}

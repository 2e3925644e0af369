package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kimiclaw/kimiscale/core"
	"sigs.k8s.io/yaml"
)

// TestSeedFileIsDefaultPolicy checks that the commented seed file users
// copy decodes to exactly core.DefaultPolicy(), field by field.
func TestSeedFileIsDefaultPolicy(t *testing.T) {
	got, err := LoadPolicy(filepath.Join("testdata", "seed-policy.yaml"))
	if err != nil {
		t.Fatalf("LoadPolicy(seed) error %v", err)
	}
	if d := cmp.Diff(core.DefaultPolicy(), got); d != "" {
		t.Errorf("LoadPolicy(seed) differs from DefaultPolicy() (-want +got):\n%s", d)
	}
}

// TestSeedFileNamesEveryField checks that the seed file writes every field
// out, so that it shows users all there is: decoding it over a zero policy
// (not over the defaults) must still give the seed.
func TestSeedFileNamesEveryField(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "seed-policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j, &raw); err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(core.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	var wantRaw map[string]any
	if err := json.Unmarshal(want, &wantRaw); err != nil {
		t.Fatal(err)
	}
	// The seed writes 4000m where Marshal writes "4", and 300s where it
	// writes "5m0s": compare keys, not spellings.
	if d := cmp.Diff(keys(wantRaw), keys(raw)); d != "" {
		t.Errorf("seed-policy.yaml keys differ from DefaultPolicy()'s JSON (-want +got):\n%s", d)
	}
}

// keys lists every key path of a generic JSON value.
func keys(v any) []string {
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		default:
			out = append(out, path)
		}
	}
	walk("", v)
	// Sorted and de-duplicated, so list elements compare as one.
	seen := map[string]bool{}
	var uniq []string
	for _, k := range out {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	sort.Strings(uniq)
	return uniq
}

func TestLoadGoodFiles(t *testing.T) {
	tests := []struct {
		file   string
		change func(p *core.Policy)
	}{
		{"partial.yaml", func(p *core.Policy) {
			p.MaxReplicas = 20
			p.Cooldown.AfterScaleDown = core.Duration(15 * time.Minute)
		}},
		{"qps-total.json", func(p *core.Policy) {
			p.Rules = []core.Rule{
				{Metric: core.MetricCPU, Up: 0.75, Down: 0.25, StepUp: 2, StepDown: 1},
				{Metric: core.MetricQPS, Up: 50000, Down: 10000, StepUp: 2, StepDown: 1, Aggregation: core.Total},
			}
			p.Forecast.Model = "holt-winters"
			p.Forecast.Horizon = core.Duration(10 * time.Minute)
			p.VPA.MaxMemory = 32 * core.GiB
			p.VPA.MaxCPU = 8000
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			want := core.DefaultPolicy()
			tc.change(&want)
			got, err := LoadPolicy(filepath.Join("testdata", "good", tc.file))
			if err != nil {
				t.Fatalf("LoadPolicy(%s) error %v", tc.file, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("LoadPolicy(%s) mismatch (-want +got):\n%s", tc.file, d)
			}
		})
	}
}

// TestLoadBadFiles pins the exact message for every class of mistake a
// policy file can hold; each message names the file, the field and what is
// valid.
func TestLoadBadFiles(t *testing.T) {
	tests := []struct {
		file string
		want string // after "policy file testdata/bad/<file>: "
	}{
		{"unknown-key.yaml", `maxReplica: unknown key; valid keys here: behavior, cooldown, duckdb, forecast, maxReplicas, metrics, minReplicas, staleAfterIntervals, tolerance, vpa; did you mean "maxReplicas"?`},
		{"unknown-nested-key.yaml", `behavior.scaleUp.stabilisationWindow: unknown key; valid keys here: policies, selectPolicy, stabilizationWindow; did you mean "stabilizationWindow"?`},
		{"unknown-metric.yaml", `metrics[1].name: "disk" is not a known metric; valid: cpu, memory, qps, connections`},
		{"duplicate-metric.yaml", `metrics[1].name: "cpu" is listed twice (first at metrics[0]); valid: each metric at most once`},
		{"down-above-up.yaml", `metrics[0] (cpu): scaleDownBelow 0.8 must be below scaleUpAbove 0.7; valid: scaleDownBelow < scaleUpAbove, with a gap between them so the two rules never both fire`},
		{"percent-threshold.yaml", "2 problems:\n" +
			"  metrics[0].scaleUpAbove: 70 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %); 70 looks like a percentage: did you mean 0.7?\n" +
			"  metrics[0].scaleDownBelow: 30 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %); 30 looks like a percentage: did you mean 0.3?"},
		{"percent-string.yaml", `forecast.threshold: want a number, got "80%"; write a fraction without %: 0.8 for 80%`},
		{"min-above-max.yaml", `maxReplicas: 4 is below minReplicas 12; valid: 12..1000`},
		{"zero-min.yaml", `minReplicas: 0 is out of range; valid: 1..1000`},
		{"negative-window.yaml", `behavior.scaleDown.stabilizationWindow: -5m0s is out of range; valid: 0s..1h0m0s`},
		{"bad-rate-policy.yaml", "4 problems:\n" +
			`  behavior.scaleUp.selectPolicy: "max" is not known; valid: Max, Min or Disabled (empty means Max)` + "\n" +
			`  behavior.scaleUp.policies[0].type: "pods" is not known; valid: Pods or Percent` + "\n" +
			`  behavior.scaleUp.policies[0].value: 0 is too small; valid: 1 or more (pods, or percent of the current replicas)` + "\n" +
			`  behavior.scaleUp.policies[0].period: 2h0m0s is out of range; valid: more than 0s, at most 30m0s`},
		{"no-rate-policy.yaml", `behavior.scaleDown.policies: empty; valid: at least one policy (type Pods or Percent, value, period), or selectPolicy: Disabled to forbid this direction`},
		{"bad-forecast.yaml", "3 problems:\n" +
			`  forecast.model: "arima" is not known; valid: linear, holt, holt-damped, holt-winters, holt-winters-damped, auto` + "\n" +
			`  forecast.points: 1 is too few; valid: 2 or more history points (seed: 10)` + "\n" +
			`  forecast.horizon: 2h0m0s is out of range; valid: more than 0s, at most 1h0m0s (seed: 5m)`},
		{"bad-duration.yaml", `cooldown.afterScaleUp: want a duration such as "60s" or "5m", got 300`},
		{"negative-cooldown.yaml", `cooldown.afterScaleDown: -1m0s is negative; valid: 0s or more (seed: 10m)`},
		{"bad-quantity.yaml", `vpa.maxMemory: invalid memory quantity "16GB": unknown suffix "GB" (Kubernetes writes Ki, Mi, Gi, Ti or k, M, G, T, without B); ` +
			`valid: a Kubernetes memory quantity such as "2Gi", "512Mi", "1.5G" or a plain number of bytes; suffixes Ki, Mi, Gi, Ti (1024-based) and k, M, G, T (1000-based)`},
		{"unitless-quantity.yaml", "2 problems:\n" +
			`  vpa.minMemory: 2 (2 bytes) is too small for a container; valid: at least 1Mi; a plain number is bytes, write e.g. "2Gi"` + "\n" +
			`  vpa.maxCPU: 4 is below vpa.minCPU 500; valid: at least the minimum; vpa.minCPU 500 is 500 cores: a plain number is cores, write "500m" for millicores`},
		{"vpa-min-above-max.yaml", `vpa.maxMemory: 16Gi is below vpa.minMemory 32Gi; valid: at least the minimum`},
		{"duckdb-percent.yaml", `duckdb.memoryFraction: 75 is out of range; valid: (0, 1], the fraction of the container's memory limit given to DuckDB (0.75 means 75 %); 75 looks like a percentage: did you mean 0.75?`},
		{"wrong-type.yaml", "2 problems:\n" +
			`  metrics: want a list, got an object` + "\n" +
			`  minReplicas: want a whole number, got "two"`},
		{"null-section.yaml", `behavior: empty (null); give a value, or remove the key to keep the seed's value`},
		{"duplicate-key.yaml", `policy is not valid YAML: yaml: line 2: key "maxReplicas" already set in map`},
		{"invalid-yaml.yaml", `policy is not valid YAML: yaml: line 2: did not find expected '-' indicator`},
		{"comments-only.yaml", `policy is empty; valid: the fields to change, e.g. "maxReplicas: 12" (omit the policy file to use the seed)`},
		{"not-an-object.yaml", `policy is a list; valid: an object of fields such as minReplicas, metrics, behavior`},
		{"stale-zero.yaml", "2 problems:\n" +
			`  tolerance: 1.5 is out of range; valid: [0, 1), the band around a usage ratio of 1 inside which nothing scales (Kubernetes: 0.1)` + "\n" +
			`  staleAfterIntervals: 0 is too small; valid: 1 or more poll intervals (seed: 3)`},
		{"many-problems.yaml", "5 problems:\n" +
			`  minReplicas: 0 is out of range; valid: 1..1000` + "\n" +
			`  metrics[0] (cpu): scaleDownBelow 0.8 must be below scaleUpAbove 0.7; valid: scaleDownBelow < scaleUpAbove, with a gap between them so the two rules never both fire` + "\n" +
			`  metrics[1].name: "gpu" is not a known metric; valid: cpu, memory, qps, connections` + "\n" +
			`  metrics[1].stepUp: 0 is out of range; valid: 1..1000 replicas added when the rule fires` + "\n" +
			`  duckdb.memoryFraction: 1.5 is out of range; valid: (0, 1], the fraction of the container's memory limit given to DuckDB (0.75 means 75 %)`},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("testdata/bad has %d files, the table %d: give every bad file its expected message", len(files), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			p, err := LoadPolicy(path)
			if err == nil {
				t.Fatalf("LoadPolicy(%s) = %+v, want an error", tc.file, p)
			}
			want := "policy file " + path + ": " + tc.want
			if d := cmp.Diff(want, err.Error()); d != "" {
				t.Errorf("LoadPolicy(%s) error mismatch (-want +got):\n%s", tc.file, d)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path {
				t.Errorf("LoadPolicy(%s) = %T, want a *FileError with the path", tc.file, err)
			}
		})
	}
}

func TestLoadPolicyFieldErrors(t *testing.T) {
	_, err := LoadPolicy(filepath.Join("testdata", "bad", "many-problems.yaml"))
	var fe *core.FieldError
	if !errors.As(err, &fe) || fe.Path != "minReplicas" {
		t.Errorf("errors.As(LoadPolicy(many-problems), *core.FieldError) = %v, want the first problem at minReplicas", fe)
	}
}

func TestLoadPolicyFileProblems(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", maxPolicySize)), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		name, path, want string
	}{
		{"missing", missing, "policy file: open " + missing + ": no such file or directory"},
		{"directory", dir, "policy file " + dir + ": is a directory; valid: a YAML or JSON file"},
		{"too large", big, "policy file " + big + ": 1048578 bytes is too large for a policy; valid: at most 1048576 bytes"},
		{"empty", empty, "policy file " + empty + `: policy is empty; valid: the fields to change, e.g. "maxReplicas: 12" (omit the policy file to use the seed)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPolicy(tc.path)
			if err == nil || err.Error() != tc.want {
				t.Errorf("LoadPolicy(%s) = %v\nwant %s", tc.path, err, tc.want)
			}
		})
	}
	if _, err := LoadPolicy(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadPolicy(missing) = %v, want errors.Is(err, os.ErrNotExist)", err)
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy([]byte("minReplicas: 3\nvpa: {maxCPU: 2}\n"))
	if err != nil {
		t.Fatalf("ParsePolicy() error %v", err)
	}
	want := core.DefaultPolicy()
	want.MinReplicas = 3
	want.VPA.MaxCPU = 2000
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("ParsePolicy() mismatch (-want +got):\n%s", d)
	}
	if _, err := ParsePolicy([]byte(strings.Repeat(" ", maxPolicySize+1))); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("ParsePolicy(too large) = %v, want a too-large error", err)
	}
}

// FuzzLoadPolicy checks that the policy parser never panics, that whatever
// it accepts validates, and that an accepted policy survives a round trip
// through JSON unchanged. It is seeded with the seed file and every good and
// bad test file.
func FuzzLoadPolicy(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, filepath.Join("testdata", "seed-policy.yaml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("ParsePolicy() returned an empty error")
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePolicy(%q) accepted a policy that does not validate: %v", data, err)
		}
		j, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("json.Marshal(accepted policy) error %v", err)
		}
		back, err := core.DecodePolicy(j)
		if err != nil {
			t.Fatalf("DecodePolicy(json.Marshal(p)) error %v\njson: %s", err, j)
		}
		if d := cmp.Diff(p, back); d != "" {
			t.Fatalf("policy changed in a JSON round trip (-before +after):\n%s", d)
		}
	})
}

func ExampleParsePolicy() {
	p, err := ParsePolicy([]byte(`
maxReplicas: 20
vpa:
  maxMemory: 32Gi
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.MinReplicas, p.MaxReplicas, p.VPA.MaxMemory.Quantity(), p.Cooldown.AfterScaleUp)

	_, err = ParsePolicy([]byte(`
metrics:
  - {name: cpu, scaleUpAbove: 70, scaleDownBelow: 0.3, stepUp: 1, stepDown: 1}
`))
	fmt.Println(err)
	// Output:
	// 2 20 32Gi 5m0s
	// metrics[0].scaleUpAbove: 70 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %); 70 looks like a percentage: did you mean 0.7?
}

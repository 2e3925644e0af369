package core

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDefaultPolicyIsTheSeed pins every value of the seed design, one row
// per rule, threshold and window, so that changing any of them fails here.
func TestDefaultPolicyIsTheSeed(t *testing.T) {
	p := DefaultPolicy()
	rule := func(m Metric) Rule {
		r, ok := p.Rule(m)
		if !ok {
			t.Fatalf("DefaultPolicy() has no %s rule", m)
		}
		return r
	}
	cpu, mem, qps, conn := rule(MetricCPU), rule(MetricMemory), rule(MetricQPS), rule(MetricConnections)
	tests := []struct {
		name      string
		got, want any
	}{
		{"rule order", []Metric{p.Rules[0].Metric, p.Rules[1].Metric, p.Rules[2].Metric, p.Rules[3].Metric}, Metrics()},
		{"rule count", len(p.Rules), 4},
		{"cpu up > 70%", cpu.Up, 0.70},
		{"cpu down < 30%", cpu.Down, 0.30},
		{"cpu step +1", cpu.StepUp, int32(1)},
		{"cpu step -1", cpu.StepDown, int32(1)},
		{"cpu aggregation", cpu.Aggregation, Aggregation("")},
		{"memory up > 80%", mem.Up, 0.80},
		{"memory down < 40%", mem.Down, 0.40},
		{"memory step +1", mem.StepUp, int32(1)},
		{"memory step -1", mem.StepDown, int32(1)},
		{"memory aggregation", mem.Aggregation, Aggregation("")},
		{"qps up > 8000", qps.Up, 8000.0},
		{"qps down < 2000", qps.Down, 2000.0},
		{"qps step +2", qps.StepUp, int32(2)},
		{"qps step -1", qps.StepDown, int32(1)},
		{"qps per replica", qps.Aggregation, PerReplica},
		{"connections up > 8000", conn.Up, 8000.0},
		{"connections down < 2000", conn.Down, 2000.0},
		{"connections step +1", conn.StepUp, int32(1)},
		{"connections step -1", conn.StepDown, int32(1)},
		{"connections per replica", conn.Aggregation, PerReplica},
		{"minReplicas 2", p.MinReplicas, int32(2)},
		{"maxReplicas 10", p.MaxReplicas, int32(10)},
		{"tolerance 0.1", p.Tolerance, 0.1},
		{"scale-up window 60s", p.Behavior.ScaleUp.StabilizationWindow.D(), 60 * time.Second},
		{"scale-up select Max", p.Behavior.ScaleUp.SelectPolicy, SelectMax},
		{"scale-up policies: Percent 100 per 60s", p.Behavior.ScaleUp.Policies,
			[]ScalingPolicy{{Type: PercentPolicy, Value: 100, Period: Duration(60 * time.Second)}}},
		{"scale-down window 300s", p.Behavior.ScaleDown.StabilizationWindow.D(), 300 * time.Second},
		{"scale-down select Max", p.Behavior.ScaleDown.SelectPolicy, SelectMax},
		{"scale-down policies: Percent 10 per 60s", p.Behavior.ScaleDown.Policies,
			[]ScalingPolicy{{Type: PercentPolicy, Value: 10, Period: Duration(60 * time.Second)}}},
		{"forecast model linear", p.Forecast.Model, "linear"},
		{"forecast last 10 points", p.Forecast.Points, 10},
		{"forecast 5 min ahead", p.Forecast.Horizon.D(), 5 * time.Minute},
		{"forecast threshold 0.8", p.Forecast.Threshold, 0.8},
		{"forecast season 24h", p.Forecast.Season.D(), 24 * time.Hour},
		{"cooldown: no down 5 min after an up", p.Cooldown.AfterScaleUp.D(), 5 * time.Minute},
		{"cooldown: no up 10 min after a down", p.Cooldown.AfterScaleDown.D(), 10 * time.Minute},
		{"duckdb memory 75%", p.DuckDB.MemoryFraction, 0.75},
		{"vpa min memory 2Gi", p.VPA.MinMemory, 2 * GiB},
		{"vpa min cpu 500m", p.VPA.MinCPU, MilliCPU(500)},
		{"vpa max memory 16Gi", p.VPA.MaxMemory, 16 * GiB},
		{"vpa max cpu 4000m", p.VPA.MaxCPU, MilliCPU(4000)},
		{"stale after 3 intervals", p.StaleAfter, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, tc.got); d != "" {
				t.Errorf("DefaultPolicy() %s (-want +got):\n%s", tc.name, d)
			}
		})
	}
	if err := p.Validate(); err != nil {
		t.Errorf("DefaultPolicy().Validate() = %v, want nil", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Policy)
		want   []string // every line of the joined error, in order
	}{
		{"seed", func(*Policy) {}, nil},
		{"min 0", func(p *Policy) { p.MinReplicas = 0 }, []string{"minReplicas: 0 is out of range; valid: 1..1000"}},
		{"min above max", func(p *Policy) { p.MinReplicas = 12 }, []string{"maxReplicas: 10 is below minReplicas 12; valid: 12..1000"}},
		{"max above cap", func(p *Policy) { p.MaxReplicas = 10000 }, []string{"maxReplicas: 10000 is out of range; valid: 1..1000"}},
		{"min == max is fine", func(p *Policy) { p.MinReplicas, p.MaxReplicas = 5, 5 }, nil},
		{"no metrics", func(p *Policy) { p.Rules = nil }, []string{"metrics: empty; valid: a list of at least one of cpu, memory, qps, connections"}},
		{"one metric is fine", func(p *Policy) { p.Rules = p.Rules[:1] }, nil},
		{"unknown metric", func(p *Policy) { p.Rules[2].Metric = "disk" }, []string{
			`metrics[2].name: "disk" is not a known metric; valid: cpu, memory, qps, connections`,
		}},
		{"metric in capitals", func(p *Policy) { p.Rules[0].Metric = "CPU" }, []string{
			`metrics[0].name: "CPU" is not a known metric; valid: cpu, memory, qps, connections; did you mean "cpu"?`,
		}},
		{"metric twice", func(p *Policy) { p.Rules[3] = p.Rules[0] }, []string{
			`metrics[3].name: "cpu" is listed twice (first at metrics[0]); valid: each metric at most once`,
		}},
		{"down above up", func(p *Policy) { p.Rules[0].Down = 0.8 }, []string{
			"metrics[0] (cpu): scaleDownBelow 0.8 must be below scaleUpAbove 0.7; valid: scaleDownBelow < scaleUpAbove, with a gap between them so the two rules never both fire",
		}},
		{"down equals up", func(p *Policy) { p.Rules[2].Down = 8000 }, []string{
			"metrics[2] (qps): scaleDownBelow 8000 must be below scaleUpAbove 8000; valid: scaleDownBelow < scaleUpAbove, with a gap between them so the two rules never both fire",
		}},
		{"percent written for a fraction", func(p *Policy) { p.Rules[0].Up, p.Rules[0].Down = 70, 30 }, []string{
			"metrics[0].scaleUpAbove: 70 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %); 70 looks like a percentage: did you mean 0.7?",
			"metrics[0].scaleDownBelow: 30 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %); 30 looks like a percentage: did you mean 0.3?",
		}},
		{"utilization above 1 is fine", func(p *Policy) { p.Rules[1].Up = 1.5 }, nil},
		{"utilization 0", func(p *Policy) { p.Rules[1].Down = 0 }, []string{
			"metrics[1].scaleDownBelow: 0 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %)",
		}},
		{"utilization huge", func(p *Policy) { p.Rules[1].Up = 5000 }, []string{
			"metrics[1].scaleUpAbove: 5000 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %)",
		}},
		{"qps down 0 is fine", func(p *Policy) { p.Rules[2].Down = 0 }, nil},
		{"qps negative", func(p *Policy) { p.Rules[2].Up, p.Rules[2].Down = 0, -1 }, []string{
			"metrics[2].scaleUpAbove: 0 is out of range; valid: more than 0 (a rate or count, per replica or total as aggregation says)",
			"metrics[2].scaleDownBelow: -1 is negative; valid: 0 or more (a rate or count, per replica or total as aggregation says)",
		}},
		{"NaN", func(p *Policy) { p.Rules[3].Up = nan() }, []string{"metrics[3].scaleUpAbove: NaN is not a finite number"}},
		{"steps", func(p *Policy) { p.Rules[0].StepUp, p.Rules[0].StepDown = 0, 1001 }, []string{
			"metrics[0].stepUp: 0 is out of range; valid: 1..1000 replicas added when the rule fires",
			"metrics[0].stepDown: 1001 is out of range; valid: 1..1000 replicas removed when the rule fires",
		}},
		{"aggregation on cpu", func(p *Policy) { p.Rules[0].Aggregation = Total }, []string{
			`metrics[0].aggregation: "total" does not apply to cpu, which is always utilization of the pods' requests; valid: no aggregation (remove the key)`,
		}},
		{"aggregation unknown", func(p *Policy) { p.Rules[3].Aggregation = "avg" }, []string{
			`metrics[3].aggregation: "avg" is not known; valid: perReplica (the value per ready replica, as the HPA's AverageValue) or total`,
		}},
		{"aggregation total is fine", func(p *Policy) { p.Rules[2].Aggregation = Total }, nil},
		{"tolerance", func(p *Policy) { p.Tolerance = 1 }, []string{
			"tolerance: 1 is out of range; valid: [0, 1), the band around a usage ratio of 1 inside which nothing scales (Kubernetes: 0.1)",
		}},
		{"tolerance 0 is fine", func(p *Policy) { p.Tolerance = 0 }, nil},
		{"negative window", func(p *Policy) { p.Behavior.ScaleDown.StabilizationWindow = Duration(-time.Minute) }, []string{
			"behavior.scaleDown.stabilizationWindow: -1m0s is out of range; valid: 0s..1h0m0s",
		}},
		{"window too long", func(p *Policy) { p.Behavior.ScaleUp.StabilizationWindow = Duration(2 * time.Hour) }, []string{
			"behavior.scaleUp.stabilizationWindow: 2h0m0s is out of range; valid: 0s..1h0m0s",
		}},
		{"select policy", func(p *Policy) { p.Behavior.ScaleUp.SelectPolicy = "max" }, []string{
			`behavior.scaleUp.selectPolicy: "max" is not known; valid: Max, Min or Disabled (empty means Max)`,
		}},
		{"empty select policy is fine", func(p *Policy) { p.Behavior.ScaleUp.SelectPolicy = "" }, nil},
		{"no policies", func(p *Policy) { p.Behavior.ScaleDown.Policies = nil }, []string{
			"behavior.scaleDown.policies: empty; valid: at least one policy (type Pods or Percent, value, period), or selectPolicy: Disabled to forbid this direction",
		}},
		{"disabled without policies is fine", func(p *Policy) {
			p.Behavior.ScaleDown.Policies, p.Behavior.ScaleDown.SelectPolicy = nil, SelectDisabled
		}, nil},
		{"bad rate policy", func(p *Policy) {
			p.Behavior.ScaleUp.Policies = append(p.Behavior.ScaleUp.Policies, ScalingPolicy{Type: "pods", Value: 0, Period: Duration(time.Hour)})
		}, []string{
			`behavior.scaleUp.policies[1].type: "pods" is not known; valid: Pods or Percent`,
			"behavior.scaleUp.policies[1].value: 0 is too small; valid: 1 or more (pods, or percent of the current replicas)",
			"behavior.scaleUp.policies[1].period: 1h0m0s is out of range; valid: more than 0s, at most 30m0s",
		}},
		{"zero period", func(p *Policy) { p.Behavior.ScaleDown.Policies[0].Period = 0 }, []string{
			"behavior.scaleDown.policies[0].period: 0s is out of range; valid: more than 0s, at most 30m0s",
		}},
		{"forecast", func(p *Policy) {
			p.Forecast = ForecastPolicy{Model: "arima", Points: 1, Horizon: 0, Threshold: 80, Season: Duration(time.Minute)}
		}, []string{
			`forecast.model: "arima" is not known; valid: linear, holt, holt-damped, holt-winters, holt-winters-damped, auto`,
			"forecast.points: 1 is too few; valid: 2 or more history points (seed: 10)",
			"forecast.horizon: 0s is out of range; valid: more than 0s, at most 1h0m0s (seed: 5m)",
			"forecast.threshold: 80 is out of range; valid: (0, 10], a forecast CPU utilization as a fraction of requests (0.8 means 80 %); 80 looks like a percentage: did you mean 0.8?",
		}},
		{"season shorter than horizon", func(p *Policy) { p.Forecast.Season = Duration(time.Minute) }, []string{
			"forecast.season: 1m0s is shorter than forecast.horizon 5m0s; valid: at least the horizon (default 24h)",
		}},
		{"season 0", func(p *Policy) { p.Forecast.Season = 0 }, []string{
			"forecast.season: 0s is out of range; valid: more than 0s and at least forecast.horizon (default 24h)",
		}},
		{"every model name", func(p *Policy) { p.Forecast.Model = "holt-winters" }, nil},
		{"cooldown", func(p *Policy) {
			p.Cooldown = CooldownPolicy{AfterScaleUp: Duration(-time.Second), AfterScaleDown: Duration(-time.Minute)}
		}, []string{
			"cooldown.afterScaleUp: -1s is negative; valid: 0s or more (seed: 5m)",
			"cooldown.afterScaleDown: -1m0s is negative; valid: 0s or more (seed: 10m)",
		}},
		{"cooldown 0 is fine", func(p *Policy) { p.Cooldown = CooldownPolicy{} }, nil},
		{"duckdb percent", func(p *Policy) { p.DuckDB.MemoryFraction = 75 }, []string{
			"duckdb.memoryFraction: 75 is out of range; valid: (0, 1], the fraction of the container's memory limit given to DuckDB (0.75 means 75 %); 75 looks like a percentage: did you mean 0.75?",
		}},
		{"duckdb 0", func(p *Policy) { p.DuckDB.MemoryFraction = 0 }, []string{
			"duckdb.memoryFraction: 0 is out of range; valid: (0, 1], the fraction of the container's memory limit given to DuckDB (0.75 means 75 %)",
		}},
		{"duckdb 1 is fine", func(p *Policy) { p.DuckDB.MemoryFraction = 1 }, nil},
		{"vpa min above max", func(p *Policy) { p.VPA.MinMemory, p.VPA.MinCPU = 32*GiB, 8000 }, []string{
			"vpa.maxMemory: 16Gi is below vpa.minMemory 32Gi; valid: at least the minimum",
			"vpa.maxCPU: 4 is below vpa.minCPU 8; valid: at least the minimum",
		}},
		{"vpa zero and unitless", func(p *Policy) { p.VPA = VPABounds{MinMemory: 0, MaxMemory: 16, MinCPU: -1, MaxCPU: 4000 * 1000} }, []string{
			`vpa.minMemory: 0 is not positive; valid: a memory quantity of at least 1Mi such as "2Gi"`,
			`vpa.maxMemory: 16 (16 bytes) is too small for a container; valid: at least 1Mi; a plain number is bytes, write e.g. "2Gi"`,
			`vpa.minCPU: -1m is not positive; valid: a CPU quantity such as "500m" or "4", at most 1024`,
			`vpa.maxCPU: 4000 (4000 cores) is more than any node has; valid: at most 1024 cores; a plain number is cores, write "500m" for half a core`,
		}},
		{"stale", func(p *Policy) { p.StaleAfter = 0 }, []string{"staleAfterIntervals: 0 is too small; valid: 1 or more poll intervals (seed: 3)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			tc.change(&p)
			err := p.Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", d)
			}
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Path == "" {
					t.Errorf("Validate() = %v, want *FieldError values with a path", err)
				}
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestValidateReportsEverything(t *testing.T) {
	p := DefaultPolicy()
	p.MinReplicas = 0
	p.Rules[1].Metric = "disk"
	p.Behavior.ScaleUp.Policies[0].Type = "x"
	p.StaleAfter = 0
	err := p.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want four problems")
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 4 {
		t.Errorf("Validate() reported %d problems, want 4:\n%v", n, err)
	}
	var paths []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if errors.As(e, &fe) {
			paths = append(paths, fe.Path)
		}
	}
	want := []string{"minReplicas", "metrics[1].name", "behavior.scaleUp.policies[0].type", "staleAfterIntervals"}
	if d := cmp.Diff(want, paths); d != "" {
		t.Errorf("Validate() paths (-want +got):\n%s", d)
	}
}

func TestDecodePolicy(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		change func(p *Policy) // applied to DefaultPolicy() for the expected result
	}{
		{"empty object keeps the seed", `{}`, func(*Policy) {}},
		{"one field", `{"maxReplicas": 12}`, func(p *Policy) { p.MaxReplicas = 12 }},
		{"nested field keeps its siblings", `{"behavior": {"scaleDown": {"stabilizationWindow": "10m"}}}`,
			func(p *Policy) { p.Behavior.ScaleDown.StabilizationWindow = Duration(10 * time.Minute) }},
		{"metrics replace the whole table", `{"metrics": [{"name": "qps", "scaleUpAbove": 5000, "scaleDownBelow": 1000, "stepUp": 3, "stepDown": 1}]}`,
			func(p *Policy) {
				// Not merged into the seed's cpu row: no steps or thresholds leak from it,
				// and qps without aggregation is per replica.
				p.Rules = []Rule{{Metric: MetricQPS, Up: 5000, Down: 1000, StepUp: 3, StepDown: 1, Aggregation: PerReplica}}
			}},
		{"rate policies replace the list", `{"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 4, "period": "15s"}, {"type": "Percent", "value": 100, "period": "15s"}]}}}`,
			func(p *Policy) {
				p.Behavior.ScaleUp.Policies = []ScalingPolicy{
					{Type: PodsPolicy, Value: 4, Period: Duration(15 * time.Second)},
					{Type: PercentPolicy, Value: 100, Period: Duration(15 * time.Second)},
				}
			}},
		{"quantities", `{"vpa": {"minMemory": "1Gi", "maxMemory": "32Gi", "minCPU": "250m", "maxCPU": 8}}`,
			func(p *Policy) { p.VPA = VPABounds{MinMemory: GiB, MaxMemory: 32 * GiB, MinCPU: 250, MaxCPU: 8000} }},
		{"total aggregation", `{"metrics": [{"name": "connections", "scaleUpAbove": 20000, "scaleDownBelow": 5000, "stepUp": 1, "stepDown": 1, "aggregation": "total"}]}`,
			func(p *Policy) {
				p.Rules = []Rule{{Metric: MetricConnections, Up: 20000, Down: 5000, StepUp: 1, StepDown: 1, Aggregation: Total}}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := DefaultPolicy()
			tc.change(&want)
			got, err := DecodePolicy([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodePolicy(%s) error %v", tc.in, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("DecodePolicy(%s) mismatch (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

func TestDecodePolicyErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", ``, []string{`policy is empty; valid: an object of the fields to change, e.g. {"maxReplicas": 12}`}},
		{"null", `null`, []string{"policy is null; valid: an object of fields such as minReplicas, metrics, behavior"}},
		{"list", `[1]`, []string{"policy is a list; valid: an object of fields such as minReplicas, metrics, behavior"}},
		{"bad JSON", `{"a":`, []string{"policy is not valid JSON: unexpected EOF"}},
		{"two objects", `{} {}`, []string{"policy has data after its object; valid: exactly one object"}},
		{"unknown key", `{"maxReplica": 3}`, []string{
			`maxReplica: unknown key; valid keys here: behavior, cooldown, duckdb, forecast, maxReplicas, metrics, minReplicas, staleAfterIntervals, tolerance, vpa; did you mean "maxReplicas"?`,
		}},
		{"wrong case is unknown", `{"MinReplicas": 3}`, []string{
			`MinReplicas: unknown key; valid keys here: behavior, cooldown, duckdb, forecast, maxReplicas, metrics, minReplicas, staleAfterIntervals, tolerance, vpa; did you mean "minReplicas"?`,
		}},
		{"unknown nested key", `{"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "perod": "1m"}]}}}`, []string{
			`behavior.scaleUp.policies[0].perod: unknown key; valid keys here: period, type, value; did you mean "period"?`,
		}},
		{"wrong types", `{"minReplicas": "two", "maxReplicas": 2.5, "tolerance": "10%", "metrics": {"name": "cpu"}}`, []string{
			`maxReplicas: want a whole number, got 2.5`,
			`metrics: want a list, got an object`,
			`minReplicas: want a whole number, got "two"`,
			`tolerance: want a number, got "10%"; write a fraction without %: 0.1 for 10%`,
		}},
		{"out of range ints", `{"minReplicas": 3000000000}`, []string{"minReplicas: 3000000000 is out of range"}},
		{"huge float", `{"tolerance": 1e999}`, []string{"tolerance: 1e999 is out of range"}},
		{"null field", `{"behavior": null}`, []string{"behavior: empty (null); give a value, or remove the key to keep the seed's value"}},
		{"bad duration", `{"cooldown": {"afterScaleUp": 300}}`, []string{`cooldown.afterScaleUp: want a duration such as "60s" or "5m", got 300`}},
		{"bad quantity", `{"vpa": {"maxMemory": "16GB"}}`, []string{
			`vpa.maxMemory: invalid memory quantity "16GB": unknown suffix "GB" (Kubernetes writes Ki, Mi, Gi, Ti or k, M, G, T, without B); ` + validMemoryQuantity,
		}},
		{"struct as a number", `{"forecast": 5}`, []string{
			"forecast: want an object with keys horizon, model, points, season, threshold, got 5",
		}},
		{"validation after decoding", `{"minReplicas": 11, "metrics": [{"name": "cpu", "scaleUpAbove": 70, "scaleDownBelow": 0.3, "stepUp": 1, "stepDown": 1}]}`, []string{
			"maxReplicas: 10 is below minReplicas 11; valid: 11..1000",
			"metrics[0].scaleUpAbove: 70 is out of range; valid: (0, 10], a fraction of the pods' requests (0.70 means 70 %); 70 looks like a percentage: did you mean 0.7?",
		}},
		{"metric without steps", `{"metrics": [{"name": "memory", "scaleUpAbove": 0.9, "scaleDownBelow": 0.5}]}`, []string{
			"metrics[0].stepUp: 0 is out of range; valid: 1..1000 replicas added when the rule fires",
			"metrics[0].stepDown: 0 is out of range; valid: 1..1000 replicas removed when the rule fires",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodePolicy([]byte(tc.in))
			if err == nil {
				t.Fatalf("DecodePolicy(%s) = %+v, want an error", tc.in, got)
			}
			if d := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); d != "" {
				t.Errorf("DecodePolicy(%s) error mismatch (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

// TestPolicyJSONRoundTrip checks that a policy marshals to JSON that
// DecodePolicy reads back as the same policy: quantities, durations and
// thresholds survive.
func TestPolicyJSONRoundTrip(t *testing.T) {
	p := DefaultPolicy()
	p.VPA.MinMemory = 1536 * MiB
	p.VPA.MinCPU = 750
	p.Rules[0].Up = 0.725
	p.Behavior.ScaleUp.Policies = append(p.Behavior.ScaleUp.Policies, ScalingPolicy{Type: PodsPolicy, Value: 4, Period: Duration(90 * time.Second)})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"minMemory":"1536Mi"`, `"minCPU":"750m"`, `"maxCPU":"4"`, `"period":"1m30s"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("json.Marshal(policy) = %s, want it to contain %s", b, want)
		}
	}
	got, err := DecodePolicy(b)
	if err != nil {
		t.Fatalf("DecodePolicy(json.Marshal(p)) error %v", err)
	}
	if d := cmp.Diff(p, got); d != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", d)
	}
}

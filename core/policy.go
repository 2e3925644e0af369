package core

import (
	"encoding/json"
	"fmt"
	"time"
)

// Policy is everything Decide needs to know about how kimiclaw-db may be
// scaled. DefaultPolicy returns the seed design; a policy file (YAML) holds
// the same fields under the same JSON names.
type Policy struct {
	MinReplicas int32          `json:"minReplicas"`
	MaxReplicas int32          `json:"maxReplicas"`
	Rules       []Rule         `json:"metrics"`
	Tolerance   float64        `json:"tolerance"` // HPA tolerance around a ratio of 1.0 (Kubernetes: 0.1)
	Behavior    Behavior       `json:"behavior"`
	Forecast    ForecastPolicy `json:"forecast"`
	Cooldown    CooldownPolicy `json:"cooldown"`
	DuckDB      DuckDBPolicy   `json:"duckdb"`
	VPA         VPABounds      `json:"vpa"`
	// StaleAfter is how many poll intervals a reading may age before it is
	// unusable (seed: 3).
	StaleAfter int `json:"staleAfterIntervals"`
}

// Aggregation says how a rate or count metric is compared to its thresholds.
type Aggregation string

// Aggregations for QPS and connections. CPU and memory are always
// utilization of the pods' requests, as the HPA computes them.
const (
	PerReplica Aggregation = "perReplica" // value / ready replicas (the HPA's AverageValue)
	Total      Aggregation = "total"      // the Deployment's total
)

// Rule is one row of the seed's policy table.
type Rule struct {
	Metric Metric `json:"name"`
	// Up and Down are thresholds: a fraction of requests for CPU and memory
	// (0.70 is 70 %), per-replica or total units for QPS and connections.
	Up   float64 `json:"scaleUpAbove"`
	Down float64 `json:"scaleDownBelow"`
	// StepUp and StepDown are the replicas added or removed when the rule fires.
	StepUp      int32       `json:"stepUp"`
	StepDown    int32       `json:"stepDown"`
	Aggregation Aggregation `json:"aggregation,omitempty"`
}

// Behavior is the HPA's autoscaling/v2 behavior: one ScalingRules per
// direction.
type Behavior struct {
	ScaleUp   ScalingRules `json:"scaleUp"`
	ScaleDown ScalingRules `json:"scaleDown"`
}

// SelectPolicy picks among the rate policies of one direction.
type SelectPolicy string

// Select policies, as in autoscaling/v2.
const (
	SelectMax      SelectPolicy = "Max"
	SelectMin      SelectPolicy = "Min"
	SelectDisabled SelectPolicy = "Disabled"
)

// ScalingRules is autoscaling/v2 HPAScalingRules.
type ScalingRules struct {
	StabilizationWindow Duration        `json:"stabilizationWindow"`
	SelectPolicy        SelectPolicy    `json:"selectPolicy,omitempty"`
	Policies            []ScalingPolicy `json:"policies"`
}

// PolicyType is Pods or Percent.
type PolicyType string

// Rate policy types, as in autoscaling/v2.
const (
	PodsPolicy    PolicyType = "Pods"
	PercentPolicy PolicyType = "Percent"
)

// ScalingPolicy limits how far one direction may move within Period.
type ScalingPolicy struct {
	Type   PolicyType `json:"type"`
	Value  int32      `json:"value"`
	Period Duration   `json:"period"`
}

// ForecastPolicy configures the predictive scale-up.
type ForecastPolicy struct {
	// Model is "linear" (the seed), "holt", "holt-winters" or "auto" (the
	// model with the lowest recent one-step error).
	Model   string   `json:"model"`
	Points  int      `json:"points"`  // history points the linear model fits (seed: 10)
	Horizon Duration `json:"horizon"` // how far ahead (seed: 5m)
	// Threshold is the forecast CPU utilization above which kimiscale scales
	// up ahead of the load (seed: 0.8).
	Threshold float64 `json:"threshold"`
	// Season is the Holt-Winters season length (default 24h).
	Season Duration `json:"season"`
}

// CooldownPolicy is the seed's direction-aware anti-flapping rule.
type CooldownPolicy struct {
	AfterScaleUp   Duration `json:"afterScaleUp"`   // no scale-down this long after a scale-up (seed: 5m)
	AfterScaleDown Duration `json:"afterScaleDown"` // no scale-up this long after a scale-down (seed: 10m)
}

// DuckDBPolicy sizes DuckDB from the container's limits.
type DuckDBPolicy struct {
	// MemoryFraction of the container memory limit given to DuckDB's
	// memory_limit (default 0.75).
	MemoryFraction float64 `json:"memoryFraction"`
}

// VPABounds are the seed VPA's minAllowed and maxAllowed for container kimiclaw.
type VPABounds struct {
	MinMemory Bytes    `json:"minMemory"`
	MinCPU    MilliCPU `json:"minCPU"`
	MaxMemory Bytes    `json:"maxMemory"`
	MaxCPU    MilliCPU `json:"maxCPU"`
}

// Bytes is a memory quantity in bytes.
type Bytes int64

// MilliCPU is a CPU quantity in thousandths of a core.
type MilliCPU int64

// Common byte sizes.
const (
	KiB Bytes = 1 << 10
	MiB Bytes = 1 << 20
	GiB Bytes = 1 << 30
)

// Duration is a time.Duration written as a Go duration string ("60s", "5m")
// in policy files and JSON.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String implements fmt.Stringer.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON implements json.Unmarshaler. It takes a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"60s\" or \"5m\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"60s\" or \"5m\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// DefaultPolicy returns the seed design exactly: the four-metric table,
// replicas 2..10, the HPA behaviour of kimiclaw-hpa, the linear forecast of
// the last 10 points 5 minutes ahead with threshold 0.8, the cooldown (5 min
// after an up no down, 10 min after a down no up), DuckDB at 75 % of the
// memory limit and the VPA bounds 2Gi/500m .. 16Gi/4000m.
func DefaultPolicy() Policy {
	return Policy{
		MinReplicas: 2,
		MaxReplicas: 10,
		Rules: []Rule{
			{Metric: MetricCPU, Up: 0.70, Down: 0.30, StepUp: 1, StepDown: 1},
			{Metric: MetricMemory, Up: 0.80, Down: 0.40, StepUp: 1, StepDown: 1},
			{Metric: MetricQPS, Up: 8000, Down: 2000, StepUp: 2, StepDown: 1, Aggregation: PerReplica},
			{Metric: MetricConnections, Up: 8000, Down: 2000, StepUp: 1, StepDown: 1, Aggregation: PerReplica},
		},
		Tolerance: 0.1,
		Behavior: Behavior{
			ScaleUp: ScalingRules{
				StabilizationWindow: Duration(60 * time.Second),
				SelectPolicy:        SelectMax,
				Policies:            []ScalingPolicy{{Type: PercentPolicy, Value: 100, Period: Duration(60 * time.Second)}},
			},
			ScaleDown: ScalingRules{
				StabilizationWindow: Duration(300 * time.Second),
				SelectPolicy:        SelectMax,
				Policies:            []ScalingPolicy{{Type: PercentPolicy, Value: 10, Period: Duration(60 * time.Second)}},
			},
		},
		Forecast: ForecastPolicy{
			Model:     "linear",
			Points:    10,
			Horizon:   Duration(5 * time.Minute),
			Threshold: 0.8,
			Season:    Duration(24 * time.Hour),
		},
		Cooldown: CooldownPolicy{
			AfterScaleUp:   Duration(5 * time.Minute),
			AfterScaleDown: Duration(10 * time.Minute),
		},
		DuckDB:     DuckDBPolicy{MemoryFraction: 0.75},
		VPA:        VPABounds{MinMemory: 2 * GiB, MinCPU: 500, MaxMemory: 16 * GiB, MaxCPU: 4000},
		StaleAfter: 3,
	}
}

// Rule returns the rule for m and whether the policy has one.
func (p Policy) Rule(m Metric) (Rule, bool) {
	for _, r := range p.Rules {
		if r.Metric == m {
			return r, true
		}
	}
	return Rule{}, false
}

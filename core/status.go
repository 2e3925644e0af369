package core

import (
	"math"
	"time"
)

// Status is the Decision JSON contract of `kubectl kimiscale status -o json`
// (DESIGN.md). Its field names and value spellings are what users' scripts
// read: change them only deliberately, and then in the README too.
//
//	{"action": "scale_up", "current": 3, "target": 4,
//	 "reasons": [{"code": "CPUAboveThreshold", "message": "..."}],
//	 "metrics": {"cpu": {"value": 0.74, "up": 0.7, "down": 0.3, "fresh": true}, ...},
//	 "forecast": {"model": "linear", "horizon_seconds": 300, "cpu": 0.83},
//	 "cooldown": {"blocks": "none", "remaining_seconds": 0},
//	 "duckdb": {"current": {"memory_limit": "4GB", "threads": 4}, "recommended": {...}}}
type Status struct {
	Action   Action                  `json:"action"`
	Current  int32                   `json:"current"`
	Target   int32                   `json:"target"`
	Reasons  []Reason                `json:"reasons"`
	Metrics  map[Metric]StatusMetric `json:"metrics"`
	Forecast *StatusForecast         `json:"forecast,omitempty"`
	Cooldown StatusCooldown          `json:"cooldown"`
	DuckDB   *StatusDuckDB           `json:"duckdb,omitempty"`
}

// StatusMetric is one metric in the Status: the value its thresholds see
// (a fraction for CPU and memory, per replica or total for QPS and
// connections), the thresholds, and whether it was usable.
type StatusMetric struct {
	Value float64 `json:"value"`
	Up    float64 `json:"up"`
	Down  float64 `json:"down"`
	Fresh bool    `json:"fresh"`
	// Why says why the metric is unusable ("stale for 45s", "query error:
	// ..."); empty when Fresh. A script must not read Value as load then.
	Why string `json:"why,omitempty"`
}

// StatusForecast is the CPU forecast at the horizon, as Decision.Forecast
// reports it: the model's value, not capped (above 1.0 when the limits
// allow), floored at 0. The seed's trigger compares it capped at
// ForecastCap.
type StatusForecast struct {
	Model          string  `json:"model"`
	HorizonSeconds float64 `json:"horizon_seconds"`
	CPU            float64 `json:"cpu"`
}

// Cooldown blocks in the Status contract.
const (
	BlocksNone      = "none"
	BlocksScaleUp   = "scale_up"
	BlocksScaleDown = "scale_down"
)

// StatusCooldown says which direction the cooldown blocks (none, scale_up or
// scale_down) and for how many more whole seconds (rounded up, so a blocked
// direction never shows 0).
type StatusCooldown struct {
	Blocks           string `json:"blocks"`
	RemainingSeconds int64  `json:"remaining_seconds"`
}

// StatusDuckDB is the DuckDB configuration in place and the one recommended.
type StatusDuckDB struct {
	Current     *DuckDBSettings `json:"current,omitempty"`
	Recommended *DuckDBSettings `json:"recommended,omitempty"`
}

// NewStatus renders a Decision, and optionally the DuckDB settings in place
// (duck) and recommended (rec), as the Status contract. Non-finite numbers,
// which JSON cannot carry, become 0.
func NewStatus(d Decision, duck *DuckDBSettings, rec *DuckDBSettings) Status {
	s := Status{
		Action:  d.Action,
		Current: d.Current,
		Target:  d.Target,
		Reasons: append([]Reason{}, d.Reasons...),
		Metrics: make(map[Metric]StatusMetric, len(d.Metrics)),
		Cooldown: StatusCooldown{
			Blocks:           blocks(d.Cooldown.Blocks),
			RemainingSeconds: ceilSeconds(d.Cooldown.Remaining),
		},
	}
	if s.Cooldown.Blocks == BlocksNone {
		s.Cooldown.RemainingSeconds = 0
	}
	for m, ms := range d.Metrics {
		s.Metrics[m] = StatusMetric{Value: jsonSafe(ms.Value), Up: jsonSafe(ms.Up), Down: jsonSafe(ms.Down), Fresh: ms.Fresh, Why: ms.Why}
	}
	if f := d.Forecast; f != nil {
		s.Forecast = &StatusForecast{Model: f.Model, HorizonSeconds: f.Horizon.Seconds(), CPU: jsonSafe(f.CPU)}
	}
	if duck != nil || rec != nil {
		s.DuckDB = &StatusDuckDB{Current: duck, Recommended: rec}
	}
	return s
}

func blocks(d Direction) string {
	switch d {
	case DirectionUp:
		return BlocksScaleUp
	case DirectionDown:
		return BlocksScaleDown
	}
	return BlocksNone
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

func jsonSafe(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

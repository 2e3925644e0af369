package core

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// TestStatusJSON pins the Decision JSON contract of `status -o json` byte
// for byte (DESIGN.md): field names, the cooldown's blocks spelling and the
// DuckDB block.
func TestStatusJSON(t *testing.T) {
	tests := []struct {
		name      string
		d         Decision
		duck, rec *DuckDBSettings
		want      string
	}{
		{
			name: "scale-up with forecast, cooldown and DuckDB",
			d: Decision{
				Action: ActionScaleUp, Current: 3, Target: 4, Proposed: 4,
				Reasons: []Reason{{Code: ReasonCPUAboveThreshold, Message: "CPU 74.0% is above the 70% scale-up threshold (+1)"}},
				Metrics: map[Metric]MetricStatus{
					MetricCPU:         {Value: 0.74, Up: 0.70, Down: 0.30, Fresh: true, Age: time.Second},
					MetricMemory:      {Value: 0.5, Up: 0.80, Down: 0.40, Fresh: true},
					MetricQPS:         {Value: 5000, Up: 8000, Down: 2000, Fresh: true},
					MetricConnections: {Value: math.NaN(), Up: 8000, Down: 2000, Why: "value is NaN"},
				},
				Forecast: &ForecastStatus{Model: "linear", Horizon: 5 * time.Minute, CPU: 0.83, Lower: 0.7, Upper: 0.9},
				Cooldown: CooldownStatus{Blocks: DirectionDown, Remaining: 119*time.Second + time.Millisecond, Total: 5 * time.Minute},
			},
			duck: &DuckDBSettings{MemoryLimit: "4GB", Threads: 4, ResourceVersion: "17"},
			rec:  &DuckDBSettings{MemoryLimit: "6GB", Threads: 2},
			want: `{"action":"scale_up","current":3,"target":4,` +
				`"reasons":[{"code":"CPUAboveThreshold","message":"CPU 74.0% is above the 70% scale-up threshold (+1)"}],` +
				`"metrics":{"connections":{"value":0,"up":8000,"down":2000,"fresh":false,"why":"value is NaN"},` +
				`"cpu":{"value":0.74,"up":0.7,"down":0.3,"fresh":true},` +
				`"memory":{"value":0.5,"up":0.8,"down":0.4,"fresh":true},` +
				`"qps":{"value":5000,"up":8000,"down":2000,"fresh":true}},` +
				`"forecast":{"model":"linear","horizon_seconds":300,"cpu":0.83},` +
				`"cooldown":{"blocks":"scale_down","remaining_seconds":120},` +
				`"duckdb":{"current":{"memory_limit":"4GB","threads":4},"recommended":{"memory_limit":"6GB","threads":2}}}`,
		},
		{
			name: "hold without forecast or DuckDB; a scale-up blocked",
			d: Decision{
				Action: ActionHold, Current: 2, Target: 2,
				Metrics:  map[Metric]MetricStatus{},
				Cooldown: CooldownStatus{Blocks: DirectionUp, Remaining: 10 * time.Minute},
			},
			want: `{"action":"hold","current":2,"target":2,"reasons":[],"metrics":{},` +
				`"cooldown":{"blocks":"scale_up","remaining_seconds":600}}`,
		},
		{
			name: "no cooldown",
			d:    Decision{Action: ActionMaintain, Current: 5, Target: 5, Cooldown: CooldownStatus{}},
			want: `{"action":"maintain","current":5,"target":5,"reasons":[],"metrics":{},` +
				`"cooldown":{"blocks":"none","remaining_seconds":0}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(NewStatus(tc.d, tc.duck, tc.rec))
			if err != nil {
				t.Fatalf("json.Marshal(NewStatus()) error: %v", err)
			}
			if string(b) != tc.want {
				t.Errorf("NewStatus() JSON =\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
}

// TestStatusFromDecide: a real decision renders and round-trips.
func TestStatusFromDecide(t *testing.T) {
	in := seedInput(0.2, 0.3, 1000, 1000)
	in.LastScale = &LastScale{At: t0.Add(-time.Minute), Direction: DirectionUp, From: 2, To: 3}
	s := NewStatus(Decide(in, t0), nil, nil)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("json.Marshal error: %v", err)
	}
	var back Status
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json.Unmarshal error: %v", err)
	}
	if back.Action != ActionMaintain || back.Cooldown.Blocks != BlocksScaleDown || back.Cooldown.RemainingSeconds != 240 {
		t.Errorf("status = %s, want maintain with scale_down blocked for 240s", b)
	}
	if len(back.Metrics) != 4 || !back.Metrics[MetricCPU].Fresh {
		t.Errorf("status metrics = %v, want the four metrics, fresh", back.Metrics)
	}
}

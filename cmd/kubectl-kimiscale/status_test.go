package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kimiclaw/kimiscale/core"
)

// TestStatusOnTheDemo runs `status --demo -o json` and checks the decision
// contract of DESIGN.md field by field.
func TestStatusOnTheDemo(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the demo's audit log
	out, _, err := run(t, "status", "--demo", "-o", "json")
	var ee *exitError
	if err != nil && !(errors.As(err, &ee) && ee.code == exitScale) {
		t.Fatalf("status --demo: %v", err)
	}
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &raw), out)
	for _, k := range []string{"action", "current", "target", "reasons", "metrics", "forecast", "cooldown", "duckdb"} {
		assert.Contains(t, raw, k, "the contract's %q field", k)
	}
	var st core.Status
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	assert.Contains(t, []core.Action{core.ActionScaleUp, core.ActionScaleDown, core.ActionMaintain, core.ActionHold}, st.Action)
	assert.GreaterOrEqual(t, st.Current, int32(2))
	assert.LessOrEqual(t, st.Current, int32(10))
	scale := st.Action == core.ActionScaleUp || st.Action == core.ActionScaleDown
	assert.Equal(t, scale, err != nil, "exit code 3 exactly when the decision is to scale")
	require.NotEmpty(t, st.Reasons)
	for _, m := range core.Metrics() {
		ms, ok := st.Metrics[m]
		require.True(t, ok, "metric %s in the JSON", m)
		assert.True(t, ms.Fresh, "the demo's %s is fresh", m)
	}
	assert.InDelta(t, 0.70, st.Metrics[core.MetricCPU].Up, 1e-9)
	assert.InDelta(t, 0.30, st.Metrics[core.MetricCPU].Down, 1e-9)
	require.NotNil(t, st.Forecast)
	assert.Equal(t, 300.0, st.Forecast.HorizonSeconds)
	assert.Contains(t, []string{core.BlocksNone, core.BlocksScaleUp, core.BlocksScaleDown}, st.Cooldown.Blocks)
	require.NotNil(t, st.DuckDB)
	require.NotNil(t, st.DuckDB.Current)
	assert.Equal(t, "4GB", st.DuckDB.Current.MemoryLimit)
	assert.Equal(t, 4, st.DuckDB.Current.Threads)

	tbl, _, _ := run(t, "status", "--demo")
	assert.Contains(t, tbl, "ACTION")
	assert.Contains(t, tbl, "REPLICAS")
	assert.Regexp(t, `METRIC cpu +\d+\.\d% \(up > 70%, down < 30%\)`, tbl)
	assert.Contains(t, tbl, "DUCKDB              memory_limit 4GB, threads 4")
	assert.Regexp(t, `METRIC qps +\d+ queries/s per ready replica \(up > 8000, down < 2000\)`, tbl)
	assert.Regexp(t, `METRIC connections +\d+ connections per ready replica \(up > 8000, down < 2000\)`, tbl)

	_, _, err = run(t, "status", "--demo", "-o", "xml")
	require.EqualError(t, err, `-o "xml": valid is json, yaml or table`)
}

// TestStatusTableUnits: QPS and connections say whether they are per ready
// replica or the Deployment's total, as the policy's rule compares them.
func TestStatusTableUnits(t *testing.T) {
	st := core.Status{
		Action: core.ActionMaintain, Current: 2, Target: 2,
		Metrics: map[core.Metric]core.StatusMetric{
			core.MetricCPU:         {Value: 0.311, Up: 0.7, Down: 0.3, Fresh: true},
			core.MetricQPS:         {Value: 622, Up: 8000, Down: 2000, Fresh: true},
			core.MetricConnections: {Value: 311, Up: 8000, Down: 2000, Fresh: true},
			core.MetricMemory:      {Fresh: false, Why: "stale for 45s"},
		},
	}
	total := core.DefaultPolicy()
	for i := range total.Rules {
		if total.Rules[i].Metric == core.MetricQPS {
			total.Rules[i].Aggregation = core.Total
		}
	}
	tests := []struct {
		name   string
		policy core.Policy
		want   []string
	}{
		{"seed: per ready replica", core.DefaultPolicy(), []string{
			"METRIC cpu          31.1% (up > 70%, down < 30%)\n",
			"METRIC memory       unusable: stale for 45s\n",
			"METRIC qps          622 queries/s per ready replica (up > 8000, down < 2000)\n",
			"METRIC connections  311 connections per ready replica (up > 8000, down < 2000)\n",
		}},
		{"qps in total", total, []string{
			"METRIC qps          622 queries/s in total (up > 8000, down < 2000)\n",
			"METRIC connections  311 connections per ready replica (up > 8000, down < 2000)\n",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			require.NoError(t, writeStatus(&b, st, tc.policy, "table"))
			for _, w := range tc.want {
				assert.Contains(t, b.String(), w)
			}
		})
	}
}

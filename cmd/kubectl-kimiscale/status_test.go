package main

import (
	"encoding/json"
	"errors"
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

	_, _, err = run(t, "status", "--demo", "-o", "xml")
	require.EqualError(t, err, `-o "xml": valid is json, yaml or table`)
}

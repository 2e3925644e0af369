package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestForecastEvalFlagChecks: every bad forecast-eval flag is an error
// naming the flag, the value and what is valid.
func TestForecastEvalFlagChecks(t *testing.T) {
	const models = "linear, holt, holt-damped, holt-winters, holt-winters-damped, auto"
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--origins", "0"}, "--origins 0: valid is 1 or more"},
		{[]string{"--origins", "-5"}, "--origins -5: valid is 1 or more"},
		{[]string{"--origins", "1.5"}, `--origins "1.5": not a whole number; valid is 1 or more`},
		{[]string{"--horizon", "0s"}, "--horizon 0s: valid is a positive duration such as 5m (a multiple of the trace's interval)"},
		{[]string{"--horizon", "90s"}, "--horizon 1m30s: valid is a multiple of the trace's interval 1m0s, e.g. 5m0s"},
		{[]string{"--horizon", "soon"}, `--horizon "soon": not a duration; valid is a positive duration such as 5m (a multiple of the trace's interval)`},
		{[]string{"--max-history", "-1h"}, "--max-history -1h0m0s: valid is a positive duration such as 168h"},
		{[]string{"--models", ""}, "--models is empty: valid is one or more of " + models + ", comma-separated"},
		{[]string{"--models", "linear,prophet"}, `--models "prophet": unknown; valid is one or more of ` + models + ", comma-separated"},
		{[]string{"--models", "holt,holt"}, `--models "holt": given twice; valid is each of ` + models + " at most once"},
		{[]string{"-o", "csv"}, `-o "csv": valid is table or json`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, append([]string{"forecast-eval", "--trace", traceFixture}, tc.args...)...)
			require.EqualError(t, err, tc.err)
		})
	}
}

// TestForecastEvalRuns: valid flags on the fixture score the models asked.
func TestForecastEvalRuns(t *testing.T) {
	out, _, err := run(t, "forecast-eval", "--trace", traceFixture, "--models", "holt,linear", "--origins", "5")
	require.NoError(t, err)
	require.Regexp(t, `(?m)^MODEL +MAE.*\nholt +.*\nlinear +`, out)
}

// TestForecastEvalPolicy: --policy sets the models' forecast points, and a
// bad policy file is refused before the trace is read.
func TestForecastEvalPolicy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.yaml")
	require.NoError(t, os.WriteFile(p, []byte("forecast: {points: 3}\n"), 0o600))
	seed, _, err := run(t, "forecast-eval", "--trace", traceFixture, "--models", "linear", "--origins", "5", "-o", "json")
	require.NoError(t, err)
	three, _, err := run(t, "forecast-eval", "--trace", traceFixture, "--models", "linear", "--origins", "5", "-o", "json", "--policy", p)
	require.NoError(t, err)
	require.NotEqual(t, seed, three, "a 3-point regression scores differently from the seed's 10 points")

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("minReplicas: 5\nmaxReplicas: 3\n"), 0o600))
	_, _, err = run(t, "forecast-eval", "--trace", "missing.csv", "--policy", bad)
	require.Error(t, err)
	require.Contains(t, err.Error(), "policy file "+bad)
}

// TestForecastEvalTraceTooShort: what only the trace can refuse names the
// flags that asked for it.
func TestForecastEvalTraceTooShort(t *testing.T) {
	_, _, err := run(t, "forecast-eval", "--trace", traceFixture, "--origins", "1000")
	require.Error(t, err)
	// The prefix is cmd's; the rest is core/backtest's wording.
	require.True(t, strings.HasPrefix(err.Error(), "evaluate "+traceFixture+" with --origins 1000, --horizon 5m0s, --max-history 168h0m0s: "), err.Error())
	require.Contains(t, err.Error(), "1000 origins")
}

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// traceFixture is a 4-hour trace at 1-minute steps, from
// 1995-07-01T04:00:00Z to 07:59 (so it ends at 08:00).
const traceFixture = "testdata/trace-4h-1min.csv"

// TestSimulateFlagChecks: every bad simulate flag is an error naming the
// flag, the value and what is valid.
func TestSimulateFlagChecks(t *testing.T) {
	const policies = "seed, hpa, predictive, oracle"
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--compare", ""}, "--compare is empty: valid is one or more of " + policies + ", comma-separated"},
		{[]string{"--compare="}, "--compare is empty: valid is one or more of " + policies + ", comma-separated"},
		{[]string{"--compare", "seed,,hpa"}, `--compare "": unknown; valid is one or more of ` + policies + ", comma-separated"},
		{[]string{"--compare", "seed,bogus"}, `--compare "bogus": unknown; valid is one or more of ` + policies + ", comma-separated"},
		{[]string{"--compare", "seed,hpa,seed"}, `--compare "seed": given twice; valid is each of ` + policies + " at most once"},
		{[]string{"--capacity", "-1"}, "--capacity -1: valid is 0 (the default: peak / (max replicas × CPU up-threshold)) or a positive number of demand units per replica"},
		{[]string{"--capacity", "NaN"}, "--capacity NaN: valid is 0 (the default: peak / (max replicas × CPU up-threshold)) or a positive number of demand units per replica"},
		{[]string{"--capacity", "abc"}, `--capacity "abc": not a number; valid is 0 (the default: peak / (max replicas × CPU up-threshold)) or a positive number of demand units per replica`},
		{[]string{"--startup", "0s"}, "--startup 0s: valid is a positive duration such as 1m"},
		{[]string{"--startup", "-1m"}, "--startup -1m0s: valid is a positive duration such as 1m"},
		{[]string{"--from", "yesterday"}, `--from "yesterday": valid is an RFC 3339 time such as 1995-07-13T00:00:00Z`},
		{[]string{"--to", "1995-07-01"}, `--to "1995-07-01": valid is an RFC 3339 time such as 1995-07-13T00:00:00Z`},
		{[]string{"--from", "1995-07-01T03:59:00Z"}, "--from 1995-07-01T03:59:00Z: valid is a time in the trace, from 1995-07-01T04:00:00Z to before 1995-07-01T08:00:00Z"},
		{[]string{"--from", "1995-07-01T08:00:00Z"}, "--from 1995-07-01T08:00:00Z: valid is a time in the trace, from 1995-07-01T04:00:00Z to before 1995-07-01T08:00:00Z"},
		{[]string{"--to", "1995-07-01T08:01:00Z"}, "--to 1995-07-01T08:01:00Z: valid is a time after the trace's start 1995-07-01T04:00:00Z, up to the trace's end 1995-07-01T08:00:00Z"},
		{[]string{"--to", "1995-07-01T04:00:00Z"}, "--to 1995-07-01T04:00:00Z: valid is a time after the trace's start 1995-07-01T04:00:00Z, up to the trace's end 1995-07-01T08:00:00Z"},
		{[]string{"--from", "1995-07-01T06:00:00Z", "--to", "1995-07-01T05:00:00Z"}, "--to 1995-07-01T05:00:00Z: valid is a time after --from 1995-07-01T06:00:00Z, up to the trace's end 1995-07-01T08:00:00Z"},
		{[]string{"-o", "yaml"}, `-o "yaml": valid is table or json`},
		{[]string{"extra"}, `unknown command "extra" for "kubectl kimiscale simulate"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, append([]string{"simulate", "--trace", traceFixture}, tc.args...)...)
			require.EqualError(t, err, tc.err)
		})
	}
}

// TestSimulateWindow: the ends of the trace are a valid window.
func TestSimulateWindow(t *testing.T) {
	out, _, err := run(t, "simulate", "--trace", traceFixture, "--compare", "hpa",
		"--from", "1995-07-01T04:00:00Z", "--to", "1995-07-01T08:00:00Z")
	require.NoError(t, err)
	require.Contains(t, out, "window 1995-07-01T04:00:00Z .. 1995-07-01T08:00:00Z")
}

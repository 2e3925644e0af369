package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kimiclaw/kimiscale/core/sim"
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

// TestWriteReportJSON: the streamed JSON is byte for byte what
// encoding/json writes for the whole report.
func TestWriteReportJSON(t *testing.T) {
	t0 := time.Date(1995, 7, 1, 4, 0, 0, 0, time.UTC)
	pt := func(i int) sim.Point {
		return sim.Point{T: t0.Add(time.Duration(i) * 15 * time.Second), Replicas: int32(2 + i), Ready: 2, Demand: 10.5 * float64(i), Utilization: 0.25}
	}
	base := sim.Report{From: t0, To: t0.Add(time.Hour), StepSeconds: 15, StartupSeconds: 60, Capacity: 57.86, Threshold: 0.7}
	tests := map[string][]sim.PolicyResult{
		"no policies":        nil,
		"empty policies":     {},
		"no timeline":        {{Name: "hpa", ReplicaMinutes: 120, MinReplicas: 2, MaxReplicas: 3}},
		"empty timeline":     {{Name: "hpa", Timeline: []sim.Point{}}},
		"one point":          {{Name: "seed", Timeline: []sim.Point{pt(0)}}},
		"two policies, many": {{Name: "seed", Timeline: []sim.Point{pt(0), pt(1), pt(2)}}, {Name: "oracle", Flaps: 3, Timeline: []sim.Point{pt(3), pt(4)}}},
	}
	for name, policies := range tests {
		t.Run(name, func(t *testing.T) {
			rep := base
			rep.Policies = policies
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			require.NoError(t, enc.Encode(rep))
			var got bytes.Buffer
			require.NoError(t, writeReportJSON(&got, rep))
			require.Equal(t, want.String(), got.String())
		})
	}
}

// TestSimulateTimelineOptIn: -o json leaves the timeline out unless
// --timeline asks for it, and --timeline without -o json is an error.
func TestSimulateTimelineOptIn(t *testing.T) {
	out, _, err := run(t, "simulate", "--trace", traceFixture, "--compare", "hpa", "-o", "json")
	require.NoError(t, err)
	var rep sim.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Policies, 1)
	require.Nil(t, rep.Policies[0].Timeline)

	out, _, err = run(t, "simulate", "--trace", traceFixture, "--compare", "hpa", "-o", "json", "--timeline")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Policies[0].Timeline, 4*60*4, "a point every 15 s for 4 hours")

	_, _, err = run(t, "simulate", "--trace", traceFixture, "--timeline")
	require.EqualError(t, err, "--timeline works only with -o json: the table output has no timeline")
}

package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

// TestFlagValueErrors: a value that does not parse, or parses outside the
// flag's range, is an error naming the flag, the value and what is valid,
// never Go's strconv wording alone.
func TestFlagValueErrors(t *testing.T) {
	const speedValid = "valid is 1 to 100000 simulated seconds per wall second (60 replays a trace minute a second, 43200 30 days a minute)"
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--demo", "--speed", "abc"}, `--speed "abc": not a number; ` + speedValid},
		{[]string{"--demo", "--speed", "0"}, "--speed 0: " + speedValid},
		{[]string{"--demo", "--speed", "0.5"}, "--speed 0.5: " + speedValid},
		{[]string{"--demo", "--speed", "100001"}, "--speed 100001: " + speedValid},
		{[]string{"--demo", "--speed", "1e9"}, "--speed 1e+09: " + speedValid},
		{[]string{"--demo", "--speed", "NaN"}, "--speed NaN: " + speedValid},
		{[]string{"--demo", "--speed", "-Inf"}, "--speed -Inf: " + speedValid},
		{[]string{"--interval", "abc"}, `--interval "abc": not a duration; valid is 1s to 1h, e.g. 15s`},
		{[]string{"status", "--prometheus-timeout", "5"}, `--prometheus-timeout "5": not a duration; valid is a positive duration such as 5s`},
		{[]string{"status", "--demo=maybe"}, `--demo "maybe": valid is true or false`},
		{[]string{"forecast-eval", "--origins", "abc"}, `--origins "abc": not a whole number; valid is 1 or more`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.EqualError(t, err, tc.err)
		})
	}
}

// TestFlagErrorWithoutRange: a flag that records no range says what its
// type accepts.
func TestFlagErrorWithoutRange(t *testing.T) {
	tests := []struct {
		typ, value, want string
	}{
		{"duration", "x", `--f "x": valid is a duration such as 90s, 15m or 1h30m`},
		{"float64", "x", `--f "x": valid is a number`},
		{"int", "x", `--f "x": valid is a whole number`},
		{"bool", "x", `--f "x": valid is true or false`},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			fs.SetOutput(io.Discard)
			switch tc.typ {
			case "duration":
				fs.Duration("f", 0, "")
			case "float64":
				fs.Float64("f", 0, "")
			case "int":
				fs.Int("f", 0, "")
			case "bool":
				fs.Bool("f", false, "")
			}
			err := fs.Parse([]string{"--f=" + tc.value})
			require.Error(t, err)
			require.EqualError(t, flagError(nil, err), tc.want)
		})
	}
}

// TestSpeedInRange: the ends of --speed's range are accepted (the run then
// stops only for want of a terminal).
func TestSpeedInRange(t *testing.T) {
	for _, speed := range []string{"1", "60", "43200", "100000"} {
		t.Run(speed, func(t *testing.T) {
			_, _, err := run(t, "--demo", "--speed", speed)
			require.ErrorIs(t, err, errNoTTY)
		})
	}
}

// TestOfflineCommandsRefuseUnreadFlags: a flag inherited from the root that
// an offline command does not read is an error naming it, not ignored.
func TestOfflineCommandsRefuseUnreadFlags(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"simulate", "--trace", traceFixture, "--interval", "1m"}, "kubectl kimiscale simulate replays a trace offline and does not read --interval: drop it"},
		{[]string{"simulate", "--trace", traceFixture, "--context", "prod", "--prometheus-url", "http://p:9090"}, "kubectl kimiscale simulate replays a trace offline and does not read --context, --prometheus-url: drop them"},
		{[]string{"forecast-eval", "--trace", traceFixture, "-n", "db"}, "kubectl kimiscale forecast-eval scores forecasts on a trace offline and does not read --namespace: drop it"},
		{[]string{"forecast-eval", "--trace", traceFixture, "--config", "c.yaml"}, "kubectl kimiscale forecast-eval scores forecasts on a trace offline and does not read --config: drop it"},
		{[]string{"manifests", "--interval", "1m", "--prometheus-url", "http://p:9090"}, "kubectl kimiscale manifests renders manifests offline and does not read --interval, --prometheus-url: drop them"},
		{[]string{"manifests", "--context", "prod"}, "kubectl kimiscale manifests renders manifests offline and does not read --context: drop it"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.EqualError(t, err, tc.err)
		})
	}
}

package main

import (
	"strings"
	"testing"

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
		{[]string{"--interval", "abc"}, `--interval "abc": valid is a duration such as 90s, 15m or 1h30m`},
		{[]string{"status", "--prometheus-timeout", "5"}, `--prometheus-timeout "5": valid is a duration such as 90s, 15m or 1h30m`},
		{[]string{"status", "--demo=maybe"}, `--demo "maybe": valid is true or false`},
		{[]string{"forecast-eval", "--origins", "abc"}, `--origins "abc": valid is a whole number`},
		{[]string{"simulate", "--capacity", "x"}, `--capacity "x": valid is a number`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.EqualError(t, err, tc.err)
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

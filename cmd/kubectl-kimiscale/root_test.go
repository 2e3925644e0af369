package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnknownSubcommand: a command that groups others refuses an unknown
// subcommand with exit code 1, naming it and the valid ones, as kubectl
// does, instead of printing help and exiting 0.
func TestUnknownSubcommand(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"config", "bogus"}, `unknown command "bogus" for "kubectl kimiscale config"; valid: view`},
		{[]string{"completion", "tcsh"}, `unknown command "tcsh" for "kubectl kimiscale completion"; valid: bash, fish, powershell, zsh`},
		{[]string{"help", "bogus"}, `unknown command "bogus" for "kubectl kimiscale"; valid: completion, config, forecast-eval, manifests, simulate, status, version`},
		{[]string{"help", "config", "bogus"}, `unknown command "bogus" for "kubectl kimiscale config"; valid: view`},
		{[]string{"config", "view", "bogus"}, `unknown command "bogus" for "kubectl kimiscale config view"`},
		{[]string{"version", "bogus"}, `unknown command "bogus" for "kubectl kimiscale version"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := run(t, tc.args...)
			require.EqualError(t, err, tc.err)
			assert.Equal(t, 1, exitCode(err))
			assert.Empty(t, out, "no help on stdout for a mistake")
		})
	}
}

// TestGroupWithoutSubcommandShowsHelp: config or help alone is a request
// for the menu, not a mistake.
func TestGroupWithoutSubcommandShowsHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"config"}, "kubectl kimiscale config [command]"},
		{[]string{"help", "config"}, "kubectl kimiscale config [command]"},
		{[]string{"help", "simulate"}, "kubectl kimiscale simulate --trace FILE.csv [flags]"},
		{[]string{"completion"}, "kubectl kimiscale completion [command]"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := run(t, tc.args...)
			require.NoError(t, err)
			assert.Contains(t, out, tc.want)
		})
	}
}

// TestTypoOfACommand: the root's argument is a Deployment, so a misspelt
// command reaches the dashboard; its error says so.
func TestTypoOfACommand(t *testing.T) {
	_, _, err := run(t, "--demo", "stauts")
	require.EqualError(t, err, `deployment "stauts" with --demo: the demo cluster has one Deployment, default/kimiclaw-db; drop the argument or give kimiclaw-db ("stauts" was read as a Deployment; did you mean the command "status"?)`)

	_, _, err = run(t, "simulat")
	require.ErrorIs(t, err, errNoTTY)
	assert.True(t, strings.HasSuffix(err.Error(), `("simulat" was read as a Deployment; did you mean the command "simulate"?)`), err.Error())

	_, _, err = run(t, "--demo", "web")
	assert.NotContains(t, err.Error(), "did you mean", "no suggestion for a name unlike any command")
}

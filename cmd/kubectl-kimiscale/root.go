package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// exitError carries a process exit code other than 1 (e.g. status exits 3
// when the decision is to scale).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if ee, ok := errors.AsType[*exitError](err); ok {
		return ee.code
	}
	return 1
}

const rootLong = `kimiscale shows kimiclaw-db's load (CPU, memory, QPS, connections), a forecast,
and the pending scaling decision with its reasons and cooldown, and lets you approve,
override or auto-apply it, for replicas and for DuckDB's memory_limit and threads.

Global kubectl flags go after the plugin name: kubectl kimiscale -n db, not kubectl -n db kimiscale.`

const rootExample = `  # The dashboard for Deployment kimiclaw-db in the current namespace
  kubectl kimiscale

  # Another Deployment and namespace, Prometheus reached directly
  kubectl kimiscale deploy/kimiclaw-db -n db --prometheus-url http://127.0.0.1:9090

  # Try it without a cluster
  kubectl kimiscale --demo

  # One decision as JSON, for scripts (exit code 3 when it says to scale)
  kubectl kimiscale status -o json`

// NewCmd returns the root command of kubectl kimiscale.
func NewCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(streams)
	cmd := &cobra.Command{
		Use:           "kubectl-kimiscale [DEPLOYMENT | deploy/NAME] [flags]",
		Short:         "Dashboard to approve, override or auto-apply kimiclaw-db scaling",
		Long:          rootLong,
		Example:       rootExample,
		Args:          deploymentArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl kimiscale",
		},
		ValidArgsFunction: o.completeDeployments,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := o.Complete(cmd, args)
			if err == nil {
				err = o.Validate(cmd)
			}
			if err == nil {
				err = o.Run(cmd.Context())
			}
			return suggestCommand(cmd, args, err)
		},
	}
	cmd.SetFlagErrorFunc(flagError)    // subcommands inherit it
	cmd.SuggestionsMinimumDistance = 2 // cobra's default, which SuggestionsFor does not apply itself
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	o.addFlags(cmd.PersistentFlags())
	o.addDashboardFlags(cmd.Flags())

	cmd.AddCommand(
		newStatusCmd(o),
		newSimulateCmd(streams),
		newForecastEvalCmd(streams),
		newManifestsCmd(o),
		newConfigCmd(o),
		newVersionCmd(streams),
	)
	// cobra adds completion and help when the command runs; add them now so
	// that they too refuse an unknown subcommand.
	cmd.InitDefaultCompletionCmd()
	cmd.SetHelpCommand(newHelpCmd())
	refuseUnknownSubcommands(cmd)
	return cmd
}

// suggestCommand adds to err, when the root's one argument (read as a
// Deployment) is close to a subcommand's name, that it may have been a typo:
// "kubectl kimiscale stauts" is the dashboard for Deployment stauts.
func suggestCommand(cmd *cobra.Command, args []string, err error) error {
	if err == nil || len(args) != 1 {
		return err
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return fmt.Errorf("%w (%q was read as a Deployment; did you mean the command %q?)", err, args[0], s[0])
	}
	return err
}

// refuseUnknownSubcommands makes every command that only groups others
// (config, completion) refuse an unknown subcommand. cobra prints such a
// command's help and exits 0 for "config bogus", so a typo looked like
// success; kubectl says: error: unknown command "bogus" for "kubectl config".
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		refuseUnknownSubcommands(c)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		return unknownCommand(cmd, args[0])
	}
}

// unknownCommand is the error for name given as a subcommand of cmd.
func unknownCommand(cmd *cobra.Command, name string) error {
	var valid []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			valid = append(valid, c.Name())
		}
	}
	return fmt.Errorf("unknown command %q for %q; valid: %s", name, cmd.CommandPath(), strings.Join(valid, ", "))
}

// newHelpCmd replaces cobra's help command, which answers "help bogus" with
// "Unknown help topic" and exit code 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			target, _, err := c.Root().Find(args)
			if err != nil || target == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, sub.Name())
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			switch {
			case err != nil:
				return err
			case len(rest) > 0:
				return unknownCommand(target, rest[0])
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

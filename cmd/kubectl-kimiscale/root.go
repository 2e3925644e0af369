package main

import (
	"errors"

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
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(cmd); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.SetFlagErrorFunc(flagError) // subcommands inherit it
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
	return cmd
}

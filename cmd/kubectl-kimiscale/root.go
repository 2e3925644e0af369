package main

import (
	"errors"
	"fmt"

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

// NewCmd returns the root command of kubectl kimiscale.
func NewCmd(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "kubectl-kimiscale",
		Short:         "Dashboard to approve, override or auto-apply kimiclaw-db scaling",
		SilenceUsage:  true,
		SilenceErrors: false,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl kimiscale",
		},
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	demo := cmd.Flags().Bool("demo", false, "run on the embedded demo cluster")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if *demo {
			_, err := fmt.Fprintln(streams.Out, "demo not built yet")
			return err
		}
		return cmd.Help()
	}
	cmd.AddCommand(newVersionCmd(streams))
	return cmd
}

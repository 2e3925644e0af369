package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Set by -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
// They are written once by the linker and never mutated at run time.
var (
	version = "dev"
	commit  = "unknown"
	date    = "unknown"
)

func newVersionCmd(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(streams.Out, "kubectl-kimiscale %s (commit %s, built %s, %s)\n",
				version, commit, date, runtime.Version())
			return err
		},
	}
}

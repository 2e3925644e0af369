// Command kubectl-kimiscale is the kubectl plugin "kubectl kimiscale": a
// terminal dashboard that shows kimiclaw-db's load, forecast and pending
// scaling decision, and lets an on-call engineer approve or override it.
package main

import (
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if err := NewCmd(streams).Execute(); err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "error: "+msg)
		}
		os.Exit(exitCode(err))
	}
}

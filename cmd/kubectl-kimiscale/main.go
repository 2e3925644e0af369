// Command kubectl-kimiscale is the kubectl plugin "kubectl kimiscale": a
// terminal dashboard that shows kimiclaw-db's load, forecast and pending
// scaling decision, and lets an on-call engineer approve or override it.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if err := NewCmd(streams).Execute(); err != nil {
		os.Exit(exitCode(err))
	}
}

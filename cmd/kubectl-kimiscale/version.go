package main

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"time"

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

// buildInfo is what version prints. DateLabel says what Date is: the build
// date (-ldflags) or the commit's time (the Go toolchain's VCS stamp).
type buildInfo struct {
	Version, Commit, Date, DateLabel string
}

// pseudoVersion matches the time and revision at the end of a Go
// pseudo-version (v0.0.0-20260102030405-abcdefabcdef, v1.2.4-0.2026..., with
// an optional +dirty or other build suffix).
var pseudoVersion = regexp.MustCompile(`[-.](\d{14})-([0-9a-f]{12})(?:\+[0-9A-Za-z.-]+)?$`)

// resolveBuildInfo fills what -ldflags left at its default from the module
// and VCS information the Go toolchain embeds (bi, from debug.ReadBuildInfo;
// nil when unavailable), so that `go install ...@latest` and a plain `go
// build` print a real version instead of "dev (commit unknown)". A value
// set by -ldflags always wins:
//
//  1. version: bi.Main.Version (v1.2.3, or a pseudo-version), unless it is
//     empty or "(devel)".
//  2. commit: the vcs.revision setting (first 12 characters, "-dirty" when
//     vcs.modified is true), else the revision in a pseudo-version.
//  3. date: the vcs.time setting, else the time in a pseudo-version; both
//     are the commit's time, so the label becomes "committed".
func resolveBuildInfo(ld buildInfo, bi *debug.BuildInfo) buildInfo {
	out := ld
	if bi == nil {
		return out
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	mainVersion := bi.Main.Version
	if mainVersion == "(devel)" {
		mainVersion = ""
	}
	if out.Version == "dev" && mainVersion != "" {
		out.Version = mainVersion
	}
	pseudo := pseudoVersion.FindStringSubmatch(mainVersion)
	if out.Commit == "unknown" {
		switch rev := settings["vcs.revision"]; {
		case rev != "":
			out.Commit = rev[:min(len(rev), 12)]
			if settings["vcs.modified"] == "true" {
				out.Commit += "-dirty"
			}
		case pseudo != nil:
			out.Commit = pseudo[2]
		}
	}
	if out.Date == "unknown" {
		switch t := settings["vcs.time"]; {
		case t != "":
			out.Date, out.DateLabel = t, "committed"
		case pseudo != nil:
			if at, err := time.Parse("20060102150405", pseudo[1]); err == nil {
				out.Date, out.DateLabel = at.UTC().Format(time.RFC3339), "committed"
			}
		}
	}
	return out
}

func newVersionCmd(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			v := resolveBuildInfo(buildInfo{Version: version, Commit: commit, Date: date, DateLabel: "built"}, bi)
			_, err := fmt.Fprintf(streams.Out, "kubectl-kimiscale %s (commit %s, %s %s, %s)\n",
				v.Version, v.Commit, v.DateLabel, v.Date, runtime.Version())
			return err
		},
	}
}

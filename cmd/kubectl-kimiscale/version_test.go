package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestResolveBuildInfo: without -ldflags, version falls back to what the Go
// toolchain embeds; what -ldflags set always wins.
func TestResolveBuildInfo(t *testing.T) {
	unset := buildInfo{Version: "dev", Commit: "unknown", Date: "unknown", DateLabel: "built"}
	ldflags := buildInfo{Version: "v9.8.7", Commit: "abc1234", Date: "2026-01-02T03:04:05Z", DateLabel: "built"}
	vcs := func(rev, at, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "-compiler", Value: "gc"}, {Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: at}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		ld   buildInfo
		bi   *debug.BuildInfo
		want buildInfo
	}{
		{"no build info", unset, nil, unset},
		{"go test or a build outside a module version: (devel), no VCS", unset,
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, unset},
		{"go install @v1.2.3: module version only", unset,
			&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}},
			buildInfo{Version: "v1.2.3", Commit: "unknown", Date: "unknown", DateLabel: "built"}},
		{"go install @latest of an untagged commit: pseudo-version", unset,
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261129195841-f9db800abcde"}},
			buildInfo{Version: "v0.0.0-20261129195841-f9db800abcde", Commit: "f9db800abcde", Date: "2026-11-29T19:58:41Z", DateLabel: "committed"}},
		{"pseudo-version after a tag", unset,
			&debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20260102030405-abcdefabcdef"}},
			buildInfo{Version: "v1.2.4-0.20260102030405-abcdefabcdef", Commit: "abcdefabcdef", Date: "2026-01-02T03:04:05Z", DateLabel: "committed"}},
		{"go build in a clone: pseudo-version and VCS stamp", unset,
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261129195841-0123456789ab+dirty"}, Settings: vcs(rev, "2026-11-29T19:58:41Z", "true")},
			buildInfo{Version: "v0.0.0-20261129195841-0123456789ab+dirty", Commit: "0123456789ab-dirty", Date: "2026-11-29T19:58:41Z", DateLabel: "committed"}},
		{"VCS stamp without a module version", unset,
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-11-29T19:58:41Z", "false")},
			buildInfo{Version: "dev", Commit: "0123456789ab", Date: "2026-11-29T19:58:41Z", DateLabel: "committed"}},
		{"-ldflags win over everything", ldflags,
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261129195841-0123456789ab"}, Settings: vcs(rev, "2026-11-29T19:58:41Z", "true")},
			ldflags},
		{"-ldflags version only: commit and date still fall back", buildInfo{Version: "v9.8.7", Commit: "unknown", Date: "unknown", DateLabel: "built"},
			&debug.BuildInfo{Main: debug.Module{Version: "v9.8.7"}, Settings: vcs(rev, "2026-11-29T19:58:41Z", "false")},
			buildInfo{Version: "v9.8.7", Commit: "0123456789ab", Date: "2026-11-29T19:58:41Z", DateLabel: "committed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := resolveBuildInfo(tc.ld, tc.bi)
			assert.Equal(t, tc.want, got, "resolveBuildInfo(%+v, ...)", tc.ld)
		})
	}
}

package ui

import (
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name   string
		s      string
		w      int
		indent int
		want   []string
	}{
		{name: "fits", s: "auto-apply pauses", w: 40, indent: 2, want: []string{"auto-apply pauses"}},
		{name: "words", s: "one two three four", w: 9, indent: 2, want: []string{"one two", "  three", "  four"}},
		{
			// At width 13 "auto-apply" breaks after its hyphen; wrapping
			// the rest again at 11 must not make it "auto- apply".
			name: "a continuation broken at a hyphen", s: `the cluster state: (one)"; auto-apply pauses until`, w: 13, indent: 2,
			want: []string{"the cluster", "  state:", `  (one)";`, "  auto-apply", "  pauses", "  until"},
		},
		{name: "no indent", s: "one two three", w: 8, want: []string{"one two", "three"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := wrap(tc.s, tc.w, tc.indent)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("wrap(%q, %d, %d) = %q, want %q", tc.s, tc.w, tc.indent, got, tc.want)
			}
		})
	}
}

package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// fitLine cuts s to width w (counting cells, keeping ANSI styles intact)
// and pads it with spaces to exactly w.
func fitLine(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// fitBlock makes s exactly w×h: each line fitted, missing lines blank,
// extra lines dropped.
func fitBlock(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	blank := strings.Repeat(" ", max(w, 0))
	for len(lines) < h {
		lines = append(lines, blank)
	}
	return strings.Join(lines, "\n")
}

// panel renders a titled section: a title rule and body lines, exactly w×h.
func panel(st *Styles, title string, focused bool, body []string, w, h int) string {
	ts := st.Title
	if focused {
		ts = st.Focused
		title = "▶ " + title
	}
	head := ts.Render(title) + " " + st.Rule.Render(strings.Repeat("─", max(w-ansi.StringWidth(title)-1, 0)))
	return fitBlock(head+"\n"+strings.Join(body, "\n"), w, h)
}

// wrap breaks plain text into lines of at most w cells, indenting the
// continuation lines by indent spaces.
func wrap(s string, w, indent int) []string {
	if w <= indent+4 {
		return []string{s}
	}
	out := strings.Split(lipgloss.Wrap(s, w, " "), "\n")
	if len(out) <= 1 || indent == 0 {
		return out
	}
	// The rest is the text after the first line, not its lines joined
	// with spaces: a line broken after a hyphen ("auto-" "apply") would
	// come back as "auto- apply".
	rest := strings.Join(out[1:], " ")
	if strings.HasPrefix(s, out[0]) {
		rest = strings.TrimLeft(s[len(out[0]):], " ")
	}
	pad := strings.Repeat(" ", indent)
	more := strings.Split(lipgloss.Wrap(rest, w-indent, " "), "\n")
	for i := range more {
		more[i] = pad + more[i]
	}
	return append(out[:1], more...)
}

// hjoin puts blocks of equal height side by side with a one-column gap.
func hjoin(blocks ...string) string {
	parts := make([][]string, len(blocks))
	h := 0
	for i, b := range blocks {
		parts[i] = strings.Split(b, "\n")
		h = max(h, len(parts[i]))
	}
	var sb strings.Builder
	for y := range h {
		if y > 0 {
			sb.WriteByte('\n')
		}
		for i, p := range parts {
			if i > 0 {
				sb.WriteByte(' ')
			}
			if y < len(p) {
				sb.WriteString(p[y])
			}
		}
	}
	return sb.String()
}

// cutLine returns the cells [left, right) of s, padded to right-left.
func cutLine(s string, left, right int) string {
	if right <= left {
		return ""
	}
	return fitLine(ansi.Cut(s, left, right), right-left)
}

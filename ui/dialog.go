package ui

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// dialogKind says what a confirmed dialog does.
type dialogKind int

const (
	dialogScale  dialogKind = iota // apply a ScaleRequest
	dialogBypass                   // second confirmation: go through the cooldown
	dialogAuto                     // turn auto-apply on
	dialogDuckDB                   // apply DuckDB settings
)

// String implements fmt.Stringer.
func (k dialogKind) String() string {
	switch k {
	case dialogScale:
		return "scale"
	case dialogBypass:
		return "bypass"
	case dialogAuto:
		return "auto"
	case dialogDuckDB:
		return "duckdb"
	}
	return fmt.Sprintf("dialogKind(%d)", int(k))
}

// dialogResult is what a key did to a dialog.
type dialogResult int

const (
	dialogOpen dialogResult = iota
	dialogConfirmed
	dialogCancelled
)

// String implements fmt.Stringer.
func (r dialogResult) String() string {
	switch r {
	case dialogOpen:
		return "open"
	case dialogConfirmed:
		return "confirmed"
	case dialogCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("dialogResult(%d)", int(r))
}

// dialog is a confirmation of one write. Its content is built when it opens
// and stays frozen while it is open, even as live data keeps arriving, so
// what the user confirms is exactly what is shown (and the request carries
// the precondition read at that moment). Focus starts on Cancel, as in k9s:
// enter on an untouched dialog cancels; y confirms.
type dialog struct {
	kind    dialogKind
	title   string
	lines   []string
	confirm string // label of the confirm button
	focus   int    // 0 Cancel, 1 confirm

	scale      core.ScaleRequest
	blocked    bool // the scale goes through a cooldown: needs dialogBypass
	duck       core.DuckDBRequest
	canRestart bool // the DuckDB dialog offers the rolling restart
	restartWhy string
}

// Update handles a key.
func (d dialog) Update(msg tea.KeyPressMsg, k KeyMap) (dialog, dialogResult) {
	switch {
	case key.Matches(msg, k.Confirm):
		return d, dialogConfirmed
	case key.Matches(msg, k.Cancel):
		return d, dialogCancelled
	case key.Matches(msg, k.Press):
		if d.focus == 1 {
			return d, dialogConfirmed
		}
		return d, dialogCancelled
	case key.Matches(msg, k.Next):
		d.focus = 1 - d.focus
	case d.kind == dialogDuckDB && key.Matches(msg, k.Restart):
		if d.canRestart {
			d.duck.Restart = !d.duck.Restart
		}
	}
	return d, dialogOpen
}

// View renders the dialog box, at most w wide.
func (d dialog) View(st *Styles, k KeyMap, w int) string {
	inner := max(min(w-4, 76), 20)
	var body []string
	body = append(body, st.Dangerous.Render(d.title), "")
	for _, l := range d.lines {
		body = append(body, wrap(l, inner, 2)...)
	}
	if d.kind == dialogDuckDB {
		box := "[ ]"
		if d.duck.Restart {
			box = "[x]"
		}
		l := box + " rolling restart after the update (DuckDB reads its settings at start)"
		if !d.canRestart {
			l = "[-] rolling restart unavailable: " + d.restartWhy
		}
		body = append(body, "")
		body = append(body, wrap(l, inner, 4)...)
	}
	cancel, ok := "  Cancel  ", "  "+d.confirm+"  "
	cs, oks := st.Button, st.Button
	if d.focus == 0 {
		cancel, cs = "[ Cancel ]", st.ButtonOn
	} else {
		ok, oks = "[ "+d.confirm+" ]", st.ButtonOn
	}
	body = append(body, "", cs.Render(cancel)+"   "+oks.Render(ok), "")
	h := help.New()
	h.Styles = help.DefaultDarkStyles()
	h.SetWidth(inner)
	body = append(body, h.ShortHelpView(k.dialogHelp(d.kind == dialogDuckDB)))
	for i, l := range body {
		body[i] = fitLine(l, inner)
	}
	return st.Dialog.Render(strings.Join(body, "\n"))
}

// overrideInput is the replica-count field of an override. It validates as
// the user types: a number within the bounds, else a message saying what is
// valid.
type overrideInput struct {
	in       textinput.Model
	min, max int32
	current  int32
}

func newOverrideInput(current, lo, hi int32) overrideInput {
	in := textinput.New()
	in.Prompt = "replicas: "
	in.CharLimit = 6
	in.SetValue(strconv.Itoa(int(current)))
	in.CursorEnd()
	in.Focus()
	return overrideInput{in: in, min: lo, max: hi, current: current}
}

// value parses the field; err says why it is not a valid replica count.
func (o overrideInput) value() (int32, error) {
	s := strings.TrimSpace(o.in.Value())
	if s == "" {
		return 0, fmt.Errorf("type a replica count between %d and %d", o.min, o.max)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number: type a whole replica count between %d and %d", s, o.min, o.max)
	}
	if n < int(o.min) || n > int(o.max) {
		return 0, fmt.Errorf("%d is out of bounds: replicas must be between %d and %d", n, o.min, o.max)
	}
	return int32(n), nil
}

// Update passes a message to the field.
func (o overrideInput) Update(msg tea.Msg) (overrideInput, tea.Cmd) {
	var cmd tea.Cmd
	o.in, cmd = o.in.Update(msg)
	return o, cmd
}

// View renders the field with its validation message.
func (o overrideInput) View(st *Styles, w int) string {
	inner := max(min(w-4, 60), 20)
	lines := []string{
		st.Dangerous.Render("Override the replica count"),
		"",
		fmt.Sprintf("current %d; bounds %d..%d", o.current, o.min, o.max),
		o.in.View(),
	}
	if n, err := o.value(); err != nil {
		lines = append(lines, st.Error.Render("✗ "+err.Error()))
	} else if n == o.current {
		lines = append(lines, st.Warn.Render(fmt.Sprintf("= %d is the current count: nothing would change", n)))
	} else {
		lines = append(lines, st.OK.Render(fmt.Sprintf("✓ %d → %d", o.current, n)))
	}
	lines = append(lines, "", st.Dim.Render("enter: review the change · esc: cancel"))
	var out []string
	for _, l := range lines {
		for _, wl := range wrap(l, inner, 2) {
			out = append(out, fitLine(wl, inner))
		}
	}
	return st.Dialog.Render(strings.Join(out, "\n"))
}

// overlay draws box centered over base (both w wide, base h high).
func overlay(base, box string, w, h int) string {
	bl := strings.Split(base, "\n")
	xl := strings.Split(box, "\n")
	bw := lipgloss.Width(box)
	x := max((w-bw)/2, 0)
	y := max((h-len(xl))/2, 0)
	for i, l := range xl {
		if y+i >= len(bl) {
			break
		}
		row := bl[y+i]
		bl[y+i] = cutLine(row, 0, x) + l + cutLine(row, x+bw, w)
	}
	return strings.Join(bl, "\n")
}

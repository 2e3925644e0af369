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
	dialogPin                      // pin the HPA (min = max = N)
	dialogUnpin                    // restore the HPA's saved bounds
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
	case dialogPin:
		return "pin"
	case dialogUnpin:
		return "unpin"
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

// dialog is a confirmation of one write. Its request and lines are built
// when it opens and stay frozen while it is open, so what the user confirms
// is exactly what is shown (and the request carries the precondition read at
// that moment). What can change underneath is not frozen: the cooldown
// countdown and the data's freshness are live lines (Model.dialogLive), and
// confirming re-checks them against the live state (Model.confirmWrite): an
// approved decision that changed or went stale is refused, and a cooldown
// that ended is not bypassed. Focus starts on Cancel, as in k9s: enter on an
// untouched dialog cancels; y confirms.
type dialog struct {
	kind    dialogKind
	title   string
	lines   []string
	confirm string // label of the confirm button
	focus   int    // 0 Cancel, 1 confirm

	scale core.ScaleRequest
	// approve says the scale is the pending decision approved with a (not
	// a count the user typed): it needs the decision to be fresh.
	approve    bool
	pin        core.PinRequest
	blocked    bool           // the cooldown blocked the change when the dialog opened
	dir        core.Direction // dialogScale, dialogPin, dialogUnpin: the replicas' direction, for the live cooldown check
	bypassOf   dialogKind     // dialogBypass: the write it confirms (dialogScale or dialogPin)
	duck       core.DuckDBRequest
	canRestart bool // the DuckDB dialog offers the rolling restart
	restartWhy string
}

// Update handles a key. The bypass dialog answers only to Bypass (B) and
// Cancel: y and enter, which confirmed the first dialog, do nothing there,
// so a double press or key repeat cannot go through the cooldown, and focus
// stays on Cancel.
func (d dialog) Update(msg tea.KeyPressMsg, k KeyMap) (dialog, dialogResult) {
	if d.kind == dialogBypass {
		switch {
		case key.Matches(msg, k.Bypass):
			return d, dialogConfirmed
		case key.Matches(msg, k.Cancel):
			return d, dialogCancelled
		}
		return d, dialogOpen
	}
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

// View renders the dialog box, at most w wide, with live: the lines that
// follow the live state (Model.dialogLive), rendered after the frozen ones.
func (d dialog) View(st *Styles, k KeyMap, w int, live []string) string {
	inner := max(min(w-4, 76), 20)
	var body []string
	body = append(body, st.Dangerous.Render(d.title), "")
	for _, l := range d.lines {
		body = append(body, wrap(l, inner, 2)...)
	}
	for _, l := range live {
		for _, wl := range wrap(l, inner, 2) {
			body = append(body, st.Warn.Render(wl))
		}
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
	if d.kind == dialogBypass {
		ok = "  " + d.confirm + ": press B  "
	}
	if d.focus == 0 {
		cancel, cs = "[ Cancel ]", st.ButtonOn
	} else {
		ok, oks = "[ "+d.confirm+" ]", st.ButtonOn
	}
	body = append(body, "", cs.Render(cancel)+"   "+oks.Render(ok), "")
	h := help.New()
	h.Styles = help.DefaultDarkStyles()
	h.SetWidth(inner)
	body = append(body, h.ShortHelpView(k.dialogHelp(d.kind)))
	for i, l := range body {
		body[i] = fitLine(l, inner)
	}
	return st.Dialog.Render(strings.Join(body, "\n"))
}

// countPurpose says what a replica-count field is for.
type countPurpose int

const (
	countOverride countPurpose = iota // scale the Deployment to the count
	countPin                          // pin the HPA at the count
)

// String implements fmt.Stringer.
func (p countPurpose) String() string {
	switch p {
	case countOverride:
		return "override"
	case countPin:
		return "pin"
	}
	return fmt.Sprintf("countPurpose(%d)", int(p))
}

// countInput is the replica-count field of an override or a pin. It
// validates as the user types: a number within the policy's bounds, else a
// message saying what is valid. Both purposes share the field, the parsing
// and the layout; only the title, the context line and the verdict on a
// valid count differ.
//
// A pin is bounded by the policy's min and max replicas, like an override,
// and not by the HPA's own bounds: pinning exists to hold a count the HPA's
// bounds would not (above its max in an incident, or exactly its min), so
// the field only warns when the count leaves them.
type countInput struct {
	purpose  countPurpose
	in       textinput.Model
	min, max int32
	current  int32
	hpa      core.HPAState // countPin: the HPA as it was when the field opened
}

// newCountInput opens a field prefilled with prefill, for a Deployment at
// current replicas and a policy bounded by lo..hi.
func newCountInput(purpose countPurpose, prefill, current, lo, hi int32) countInput {
	in := textinput.New()
	in.Prompt = "replicas: "
	in.CharLimit = 6
	in.SetValue(strconv.Itoa(int(prefill)))
	in.CursorEnd()
	in.Focus()
	return countInput{purpose: purpose, in: in, min: lo, max: hi, current: current}
}

// value parses the field; err says why it is not a valid replica count.
func (o countInput) value() (int32, error) {
	what, why := "replicas", ""
	if o.purpose == countPin {
		what, why = "a pin", " (the policy's min and max replicas)"
	}
	s := strings.TrimSpace(o.in.Value())
	if s == "" {
		return 0, fmt.Errorf("type a replica count between %d and %d", o.min, o.max)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number: type a whole replica count between %d and %d", s, o.min, o.max)
	}
	if n < int(o.min) || n > int(o.max) {
		return 0, fmt.Errorf("%d is out of bounds: %s must be between %d and %d%s", n, what, o.min, o.max, why)
	}
	return int32(n), nil
}

// Update passes a message to the field.
func (o countInput) Update(msg tea.Msg) (countInput, tea.Cmd) {
	var cmd tea.Cmd
	o.in, cmd = o.in.Update(msg)
	return o, cmd
}

// View renders the field with its validation message.
func (o countInput) View(st *Styles, w int) string {
	inner := max(min(w-4, 60), 20)
	var lines []string
	switch o.purpose {
	case countOverride:
		lines = []string{
			st.Dangerous.Render("Override the replica count"),
			"",
			fmt.Sprintf("current %d; bounds %d..%d", o.current, o.min, o.max),
		}
	case countPin:
		lines = []string{
			st.Dangerous.Render(fmt.Sprintf("Pin HPA %s at a replica count", o.hpa.Name)),
			"",
			fmt.Sprintf("current %d; HPA bounds %d..%d; policy bounds %d..%d", o.current, o.hpa.Bounds.Min, o.hpa.Bounds.Max, o.min, o.max),
		}
	}
	lines = append(lines, o.in.View())
	n, err := o.value()
	switch {
	case err != nil:
		lines = append(lines, st.Error.Render("✗ "+err.Error()))
	case o.purpose == countPin:
		lines = append(lines, o.pinVerdict(st, n)...)
	case n == o.current:
		lines = append(lines, st.Warn.Render(fmt.Sprintf("= %d is the current count: nothing would change", n)))
	default:
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

// pinVerdict says what pinning at a valid count n does.
func (o countInput) pinVerdict(st *Styles, n int32) []string {
	b := o.hpa.Bounds
	out := []string{st.OK.Render(fmt.Sprintf("✓ minReplicas %d→%d, maxReplicas %d→%d", b.Min, n, b.Max, n))}
	switch {
	case n > b.Max:
		out = append(out, st.Warn.Render(fmt.Sprintf("! %d is above the HPA's maxReplicas %d: the pin overrides it until you unpin", n, b.Max)))
	case n < b.Min:
		out = append(out, st.Warn.Render(fmt.Sprintf("! %d is below the HPA's minReplicas %d: the pin overrides it until you unpin", n, b.Min)))
	case n == o.current:
		out = append(out, st.Dim.Render(fmt.Sprintf("holds the current %d replicas: the HPA stops changing them", n)))
	}
	return out
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

package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// layout is where everything goes for one terminal size.
type layout struct {
	wide           bool
	bodyH          int
	chartW, chartH [4]int
	replW, replH   int
	leftW, rightW  int // wide: chart column and panel column
	bottomH        int // narrow: height of the panels under the charts
}

// computeLayout splits the screen. Wide terminals (≥ 140 columns) get the
// charts on the left and the panels on the right; narrower ones get a 2×2
// grid of charts over the panels, where the right-hand slot shows the
// focused one of DuckDB and events when there is no room for both.
func (m *Model) computeLayout() layout {
	var l layout
	w, h := m.width, m.height
	if w < minWidth || h < minHeight {
		return l
	}
	l.bodyH = h - 3 // two header lines, one footer line
	if w >= 140 {
		l.wide = true
		l.rightW = min(max(w*2/5, 56), 90)
		l.leftW = w - l.rightW - 1
		l.replH = min(max(l.bodyH/8, 3), 6)
		ch := (l.bodyH - l.replH) / 4
		for i := range 4 {
			l.chartW[i], l.chartH[i] = l.leftW, ch
		}
		l.chartH[3] = l.bodyH - l.replH - 3*ch
		l.replW = l.leftW
		return l
	}
	l.bottomH = min(max(l.bodyH*45/100, 9), 18)
	top := l.bodyH - l.bottomH
	l.replH = min(max(top/7, 2), 4)
	ch := (top - l.replH) / 2
	half := (w - 1) / 2
	for i := range 4 {
		l.chartW[i], l.chartH[i] = half, ch
		if i%2 == 1 {
			l.chartW[i] = w - 1 - half
		}
	}
	l.chartH[2] = top - l.replH - ch
	l.chartH[3] = l.chartH[2]
	l.replW = w
	return l
}

// render draws the whole screen.
func (m *Model) render() string {
	if m.width == 0 {
		return "kimiscale: starting…"
	}
	if m.tooSmall() {
		msg := fmt.Sprintf("terminal too small (need %d×%d, have %d×%d)\nenlarge the window, or press q to quit",
			minWidth, minHeight, m.width, m.height)
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, msg)
	}
	l := m.computeLayout()
	var body string
	switch {
	case m.showHelp:
		body = m.helpView(l.bodyH)
	case l.wide:
		body = joinLines(m.charts.block, strings.Split(m.panelsColumn(l.rightW, l.bodyH), "\n"))
	default:
		body = m.narrowBody(l)
	}
	if m.dialog != nil {
		body = overlay(body, m.dialog.View(m.styles, m.keys, m.width, m.dialogLive(m.dialog)), m.width, l.bodyH)
	} else if m.input != nil {
		body = overlay(body, m.input.View(m.styles, m.width), m.width, l.bodyH)
	}
	foot := m.footer()
	if extra := strings.Count(foot, "\n"); extra > 0 {
		// A status that needs a second line takes it from the body's
		// bottom, for the few seconds it stays.
		lines := strings.Split(body, "\n")
		body = strings.Join(lines[:max(len(lines)-extra, 0)], "\n")
	}
	return m.header() + "\n" + body + "\n" + foot
}

// joinLines puts two columns of lines side by side with a one-column gap.
func joinLines(left, right []string) string {
	var b strings.Builder
	for y := range max(len(left), len(right)) {
		if y > 0 {
			b.WriteByte('\n')
		}
		if y < len(left) {
			b.WriteString(left[y])
		}
		b.WriteByte(' ')
		if y < len(right) {
			b.WriteString(right[y])
		}
	}
	return b.String()
}

// narrowBody is the 2×2 chart grid, the replicas strip and the panels.
func (m *Model) narrowBody(l layout) string {
	top := strings.Join(m.charts.block, "\n")
	lw := (m.width - 1) / 2
	rw := m.width - 1 - lw
	left := m.decisionPanel(lw, l.bottomH)
	coolH := 3
	restH := l.bottomH - coolH
	var right string
	if restH >= 14 {
		dh := restH / 2
		right = m.duckView(rw, dh) + "\n" + m.eventsPanel(rw, restH-dh)
	} else if m.focus == focusDuckDB {
		right = m.duckView(rw, restH)
	} else {
		right = m.eventsPanel(rw, restH)
	}
	right = m.coolView(rw, coolH) + "\n" + right
	return top + "\n" + hjoin(left, right)
}

// panelsColumn stacks decision, cooldown, DuckDB and events.
func (m *Model) panelsColumn(w, h int) string {
	coolH := 3
	duckH := min(10, h/4)
	decH := max(min(h*2/5, 20), 8)
	evH := h - coolH - duckH - decH
	return strings.Join([]string{
		m.decisionPanel(w, decH),
		m.coolView(w, coolH),
		m.duckView(w, duckH),
		m.eventsPanel(w, evH),
	}, "\n")
}

func (m *Model) coolView(w, h int) string {
	var last *core.LastScale
	if m.state != nil {
		last = m.state.LastScale
	}
	return cooldownView(m.styles, m.decision, last, m.now, w, h)
}

func (m *Model) duckView(w, h int) string {
	type key struct {
		w, h    int
		focused bool
		st      *core.ClusterState
		rec     *core.DuckDBRecommendation
		err     string
	}
	errText := ""
	if m.duckErr != nil {
		errText = m.duckErr.Error()
	}
	k := key{w, h, m.focus == focusDuckDB, m.state, m.duckRec, errText}
	return m.charts.duck.get(k, func() string { return duckDBView(m.styles, m.state, m.duckRec, m.duckErr, k.focused, w, h) })
}

// decisionPanel is the decision panel, reused while its inputs are the same.
func (m *Model) decisionPanel(w, h int) string {
	type key struct {
		w, h    int
		focused bool
		d       *core.Decision
		extras  string
	}
	if m.decision == nil && m.pollErr != nil {
		body := []string{m.styles.Error.Render("No data yet, so no decision.")}
		body = append(body, wrap(m.pollErr.Error(), w, 2)...)
		body = append(body, m.styles.Dim.Render(fmt.Sprintf("Retrying every %s; q quits.", m.deps.Interval)))
		return panel(m.styles, "Decision", m.focus == focusDecision, body, w, h)
	}
	ex := m.decisionExtras()
	k := key{w, h, m.focus == focusDecision, m.decision, ex.key()}
	return m.charts.decision.get(k, func() string { return decisionView(m.styles, m.decision, ex, k.focused, w, h) })
}

func (m *Model) eventsPanel(w, h int) string {
	return eventsView(m.styles, m.log, m.focus == focusEvents, w, h)
}

// isRejected reports whether the user rejected the current decision.
func (m *Model) isRejected() bool {
	return m.decision != nil && m.rejected != "" && m.rejected == decisionKey(*m.decision)
}

// decisionExtras is what the Decision panel shows from the console's own
// state. Its text changes only when the state does (no ages), so the
// panel's memo holds between polls.
func (m *Model) decisionExtras() decisionExtras {
	ex := decisionExtras{rejected: m.isRejected(), blocks: m.extraBlocks()}
	if m.decision != nil {
		switch why := m.staleWhy(); {
		case m.paused:
			ex.notes = append(ex.notes, "PAUSED: polling stopped; this decision is not refreshed and a refuses it (p resumes)")
		case why != "":
			ex.notes = append(ex.notes, "STALE: this decision is not refreshed; a refuses it until a poll succeeds")
		}
		if why := m.hpaArrangedDecision(); why != "" {
			ex.notes = append(ex.notes, "WAITING FOR THE HPA: "+why+"; nothing to approve")
		}
	}
	return ex
}

// extraBlocks are what stops the decision outside core: the console's mode.
func (m *Model) extraBlocks() []string {
	var b []string
	if m.readOnly() {
		b = append(b, "read-only")
	}
	if m.state != nil && m.state.HPA.Pinned() {
		b = append(b, "HPA pinned (P unpins)")
	}
	if m.autoWanted && !m.lease.Held {
		holder := m.lease.Holder
		if holder == "" {
			holder = m.holder
		}
		b = append(b, "Lease held by "+orNone(holder))
	}
	return b
}

// header is two lines: where we are and how fresh the data is; the badges.
func (m *Model) header() string {
	st := m.styles
	where := fmt.Sprintf("%s/%s/%s", orNone(m.deps.Context), orNone(m.deps.Namespace), m.deps.Deployment)
	rep := "replicas ?"
	if m.state != nil {
		rep = fmt.Sprintf("replicas %d (%d ready)", m.state.Replicas, m.state.ReadyReplicas)
	}
	fresh, ok := m.freshness()
	fs := st.OK.Render(fresh)
	if !ok {
		fs = st.Error.Render(fresh)
	}
	busy := ""
	switch {
	case m.writing > 0:
		busy = m.spin.View() + " writing"
	case m.releasing > 0:
		busy = m.spin.View() + " releasing the Lease…"
	case m.polling && m.pollSlow:
		busy = m.spin.View() + " polling"
	}
	parts := []string{st.Title.Render("kimiscale") + " " + st.Bold.Render(where), rep, fs}
	if busy != "" {
		parts = append(parts, busy)
	}
	line1 := strings.Join(append(parts, st.Dim.Render("window "+shortDuration(windowAt(m.window)))), "  ")
	return fitLine(line1, m.width) + "\n" + fitLine(strings.Join(m.badges(), " "), m.width)
}

// badges are the mode badges, each in brackets so it reads without colour.
// A cluster state warning comes first, so that an 80-column header still
// shows it; the Decision panel has the sentence.
func (m *Model) badges() []string {
	st := m.styles
	var b []string
	if m.state != nil && len(m.state.Warnings) > 0 {
		what := "CLUSTER WARNING"
		if n := len(m.state.Warnings); n > 1 {
			what = fmt.Sprintf("%d CLUSTER WARNINGS", n)
		}
		b = append(b, st.BadgeWarn.Render("[! "+what+": see Decision]"))
	}
	switch {
	case m.autoActive() && m.autoHeldWhy() != "":
		b = append(b, st.BadgeWarn.Render("[AUTO PAUSED: "+m.autoHeldWhy()+"]"))
	case m.autoActive() && autoPaused(m.decision):
		b = append(b, st.BadgeWarn.Render("[AUTO PAUSED: "+orNone(m.decision.AutoApplyWhy)+"]"))
	case m.autoActive():
		b = append(b, st.BadgeOn.Render("[AUTO · Lease held by "+orNone(m.lease.Holder)+"]"))
	case m.autoWanted:
		h := m.lease.Holder
		if h == "" {
			h = m.holder
		}
		b = append(b, st.BadgeWarn.Render("[AUTO WAITING · Lease held by "+orNone(h)+"]"))
	default:
		b = append(b, st.Badge.Render("[MANUAL]"))
		if m.holder != "" && m.holder != m.deps.User {
			b = append(b, st.Dim.Render("auto-apply Lease held by "+m.holder))
		}
	}
	if m.readOnly() {
		b = append(b, st.BadgeWarn.Render("[READ-ONLY]"))
	}
	if m.deps.DryRun {
		b = append(b, st.BadgeWarn.Render("[DRY-RUN]"))
	}
	if m.state != nil && m.state.HPA != nil {
		h := m.state.HPA
		if h.Pinned() {
			b = append(b, st.BadgeWarn.Render(fmt.Sprintf("[HPA %s PINNED at %d, was %d..%d]", h.Name, h.Bounds.Min, h.PinnedFrom.Min, h.PinnedFrom.Max)))
		} else {
			b = append(b, st.BadgeWarn.Render(fmt.Sprintf("[HPA %s %d..%d wants %d]", h.Name, h.Bounds.Min, h.Bounds.Max, h.DesiredReplicas)))
		}
	}
	if m.paused {
		b = append(b, st.BadgeWarn.Render("[PAUSED: polling stopped, p resumes]"))
	}
	if !m.backfilled {
		b = append(b, st.Dim.Render("backfilling history…"))
	}
	return b
}

// autoPaused reports whether auto-apply is held back (rather than idle):
// the decision forbids it while there is something to do, a metric is
// unusable or a cluster record is unreadable.
func autoPaused(d *core.Decision) bool {
	if d == nil || d.AutoApply {
		return false
	}
	if d.Target != d.Current || cooldownBlocked(*d) || d.Has(core.ReasonClusterStateWarning) {
		return true
	}
	for _, s := range d.Metrics {
		if !s.Fresh {
			return true
		}
	}
	return false
}

// statusTTL is how long a status message stays in the footer before the key
// hints come back: in the dashboard's time, scaled by the clock's observed
// rate so that a sped-up demo clock still leaves 5 s to read it.
const statusTTL = 5 * time.Second

// expireStatus times the footer's status message: one set by this update
// (a new text, or any text a key press set) starts its time; an older one
// goes once statusTTL has passed or the decision it was about changed, so
// the footer never contradicts the Decision panel for long and the key
// hints come back. The quit messages stay while they hold (q armed, or
// quitting).
func (m *Model) expireStatus(prev string, key bool) {
	if m.status == "" {
		return
	}
	dk := ""
	if m.decision != nil {
		dk = decisionKey(*m.decision)
	}
	if m.status != prev || key {
		m.statusAt, m.statusDecision = m.now, dk
		return
	}
	// statusTTL is wall time: on a clock running faster than the wall (the
	// demo's), it is that many times longer in the dashboard's time.
	if !m.quitting && !m.quitArmed && (m.now.Sub(m.statusAt) >= m.dashboardTime(statusTTL) || dk != m.statusDecision) {
		m.status = ""
	}
}

// footer is the status message (one or two lines), or the read-only reason,
// or the key help.
func (m *Model) footer() string {
	st := m.styles
	switch {
	case m.status != "":
		// A status is a sentence with its remedy at the end (press p to
		// resume…): it wraps to a second line rather than lose it.
		lines := wrap(m.status, m.width, 2)
		if len(lines) > 2 {
			lines = []string{lines[0], strings.Join(lines[1:], " ")}
		}
		for i, l := range lines {
			lines[i] = fitLine(st.Warn.Render(l), m.width)
		}
		return strings.Join(lines, "\n")
	case m.readOnly():
		h := m.help
		h.SetWidth(m.width / 2)
		return fitLine(st.Warn.Render(m.readOnlyWhy())+"  "+h.ShortHelpView(m.keys.footerHelp(m.hasHPA())), m.width)
	}
	h := m.help
	h.SetWidth(m.width)
	return fitLine(h.ShortHelpView(m.keys.footerHelp(m.hasHPA())), m.width)
}

// helpView is the full key help.
func (m *Model) helpView(h int) string {
	hm := m.help
	hm.ShowAll = true
	hm.SetWidth(m.width)
	lines := []string{m.styles.Title.Render("Keys") + m.styles.Dim.Render("  (any key closes, q too; ctrl+c quits)"), "", hm.View(m.keys), ""}
	lines = append(lines, wrap("Charts: "+string(runeUp)+" scale-up threshold, "+string(runeDown)+" scale-down threshold, "+
		string(runeNow)+" now, "+string(runeForecast)+" forecast, "+string(runeBand)+" its 80 % interval; ▲/▼ scale events. "+
		"Events: ✔ applied, ✘ not applied, ◆ another console's write, · info.", m.width, 2)...)
	lines = append(lines, wrap("Pin (P, needs an HPA that targets the Deployment): minReplicas = maxReplicas = a count within the policy's bounds, "+
		"the HPA's own bounds saved in its annotation "+annotationPinnedFrom+"; while pinned, scaling is refused and P unpins.", m.width, 2)...)
	lines = append(lines, wrap("Cooldown: a change the cooldown blocks asks a second time, and that bypass needs B: y and enter, "+
		"which confirm every other dialog, do nothing there, so a double y cannot go through the cooldown. The bypass is recorded.", m.width, 2)...)
	if m.readOnly() {
		lines = append(lines, "", m.readOnlyWhy())
	}
	return fitBlock(strings.Join(lines, "\n"), m.width, h)
}

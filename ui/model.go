// Package ui is kimiscale's dashboard: a bubbletea v2 program that shows
// kimiclaw-db's load, what kimiscale wants to do and why, and lets the
// on-call engineer approve, override, reject or auto-apply it.
//
// The screen: a two-line header (where, replicas, data freshness, mode
// badges), the charts (CPU, memory, QPS, connections with their thresholds,
// CPU's forecast and 80 % interval right of now, replicas with scale-event
// markers), the decision with its reasons and what blocks it, the cooldown
// countdown, the DuckDB sizing and the event log, and a one-line footer of
// keys. From 140 columns the charts take the left and the panels the right;
// narrower, the charts form a 2×2 grid above the panels, and tab brings the
// DuckDB or event panel forward. Below 80×24 the screen says it is too
// small.
//
// Every write goes through a confirmation dialog with Cancel focused; every
// call to the outside world runs in a tea.Cmd; the dashboard's time comes
// from Deps.Clock only.
package ui

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"k8s.io/utils/clock"

	"github.com/kimiclaw/kimiscale/core"
)

// The smallest terminal the dashboard draws in.
const (
	minWidth  = 80
	minHeight = 24
)

// numWindows is how many chart time windows the Window key cycles through.
const numWindows = 4

// windowAt returns the i-th chart time window: 15m, 1h, 6h, 24h.
func windowAt(i int) time.Duration {
	return [numWindows]time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}[i%numWindows]
}

// panelID names a focusable panel.
type panelID int

const (
	focusDecision panelID = iota
	focusDuckDB
	focusEvents
	panelCount
)

// String implements fmt.Stringer.
func (p panelID) String() string {
	switch p {
	case focusDecision:
		return "decision"
	case focusDuckDB:
		return "duckdb"
	case focusEvents:
		return "events"
	case panelCount:
	}
	return fmt.Sprintf("panelID(%d)", int(p))
}

// maxLog bounds the event log.
const maxLog = 200

// Model is the dashboard (a tea.Model). The root owns the global concerns
// (size, focus, help, dialogs, the poll loop, auto-apply); the charts cache
// their renderings and the text panels are views of the root's state.
type Model struct {
	deps   Deps
	keys   KeyMap
	styles *Styles
	help   help.Model
	spin   spinner.Model
	// profile, when set by WithColorProfile, is the colour profile View
	// renders for; nil leaves it to bubbletea's renderer.
	profile *colorprofile.Profile
	decide  func(core.Input, time.Time) core.Decision

	width, height int
	focus         panelID
	showHelp      bool
	window        int // index of windowAt
	status        string
	// statusAt and statusDecision are when the status was set and the key
	// of the decision then (expireStatus).
	statusAt       time.Time
	statusDecision string

	// Data.
	hist     *core.History
	replicas *core.Series // spec.replicas seen at each poll
	ready    *core.Series // ready replicas seen at each poll
	marks    []scaleMark
	scales   core.ScaleHistory
	snap     *core.Snapshot
	state    *core.ClusterState
	decision *core.Decision
	access   *core.Access
	lastPoll time.Time // now of the last successful metrics poll
	stateAt  time.Time // now of the read that gave state: an older read is not taken
	now      time.Time
	pollErr  error
	// pollOK says the latest poll read both the metrics and the cluster
	// state: only then may auto-apply act on the decision it made.
	pollOK      bool
	log         []logEntry
	logCount    int // entries ever added to log
	eventsSince time.Time
	duckRec     *core.DuckDBRecommendation
	duckErr     error

	// Activity.
	polling bool // a poll (or the start-up backfill) is in flight
	// pollSlow says the poll in flight has outlived a heartbeat (or is the
	// start-up backfill): only then does the header show it, with the
	// spinner. A routine poll returns within milliseconds, and animating it
	// cost an extra message and redraw per poll (a third of the demo's idle
	// CPU went to redraws).
	pollSlow   bool
	spinning   bool
	backfilled bool
	replayed   bool // the stabilization history was replayed from the backfill
	paused     bool
	tickTag    int

	// holdFrame makes View return the last frame rather than draw a new
	// one; Update clears it before every message. Two messages set it:
	//   - a heartbeat that starts a poll: the poll's answer, a few
	//     milliseconds later, is drawn anyway, and the renderer shows only
	//     the latest view at its next frame (every 100 ms), so the
	//     heartbeat's frame was never seen. A slow poll is drawn at the
	//     next heartbeat, which starts none; data that turned stale is
	//     drawn at once.
	//   - a routine poll at a fast clock (holdPollFrame).
	holdFrame bool
	// drawnAt is the dashboard time of the last frame drawn. chartsDue says
	// the charts' data changed since they were last fed: Update feeds them
	// when it draws a frame, so a held frame costs no redraw.
	drawnAt   time.Time
	chartsDue bool

	// The heartbeat's view of the clock: when the last poll started (in the
	// dashboard's time), the last tick's wall time, and the clock's rate
	// (dashboard seconds per wall second; 0 until measured).
	lastPollStart time.Time
	lastWall      time.Time
	rate          float64
	writing       int

	// Auto-apply.
	autoWanted  bool
	lease       core.LeaseStatus
	leaseGen    int
	leaseCancel context.CancelFunc
	leaseCh     <-chan core.LeaseStatus
	holder      string
	holderAt    time.Time // now of the poll that last read holder
	// releasing counts Releases in flight; acquireQueued asks for the
	// Lease once they are done (Release would stop a newer campaign).
	releasing     int
	acquireQueued bool
	quitting      bool
	quitArmed     bool   // q was pressed once while a write was in flight
	rejected      string // key of the rejected decision
	autoRefused   string // autoWriteKey of the automatic write refused last
	autoSkipped   string // autoWriteKey of the scale-down left to the HPA, logged once

	dialog *dialog
	input  *countInput // the replica-count field of an override or a pin

	// charts is shared between copies of the model: its caches are what
	// View joins, updated in Update (the charts) and in View (the panels'
	// memos and the last frame).
	charts *chartSet
}

// chartSet is the charts and the cached block they make together.
type chartSet struct {
	metric [4]chart
	repl   replicasChart
	// block is the charts laid out (wide: the left column; narrow: the
	// 2×2 grid and the replicas strip), one string per line.
	block []string
	// The decision and DuckDB panels change only with a poll or a key;
	// View reuses their last rendering while its inputs are the same.
	decision, duck memo
	// ready and scratch are feedCharts' samples of the ready replicas and
	// of a metric before it is divided per replica. They, and the charts'
	// own samples, are reused at every feed: a feed allocates no window.
	ready, scratch []core.Sample
	// frame is the content View returned last, for holdFrame.
	frame string
}

// memo is a rendering and the inputs it was made from.
type memo struct {
	key any
	out string
}

// get returns the rendering for key, making it with render when key changed.
func (c *memo) get(key any, render func() string) string {
	if c.key != key || c.key == nil {
		c.key, c.out = key, render()
	}
	return c.out
}

// New returns the dashboard for deps. It needs nothing else:
//
//	_, err := tea.NewProgram(ui.New(deps)).Run()
//
// The view asks for the alternate screen, so the terminal is restored on
// quit and on error. Colour: bubbletea detects the terminal's colour profile
// from the environment and downsamples every style to it, so NO_COLOR=1 gives
// a colourless screen that reads the same (every colour has a word or rune
// beside it); cmd may force a profile with tea.WithColorProfile, and tests
// pin one with Model.WithColorProfile. The mouse is not
// captured, so the terminal's own selection keeps working. Nothing is
// written to stdout or stderr; deps.Logger (nil: discard) gets debug lines.
// A nil deps.Clock is the real clock; a zero Interval is 15 s; a nil
// Actuator makes the dashboard read-only and a nil Lease disables auto-apply.
func New(deps Deps) Model {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	if deps.Interval <= 0 {
		deps.Interval = 15 * time.Second
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Policy.MaxReplicas == 0 {
		deps.Policy = core.DefaultPolicy()
	}
	st := new(DefaultStyles())
	keep := int(max(deps.Backfill, 24*time.Hour)/deps.Interval) + 64
	m := Model{
		deps:     deps,
		keys:     DefaultKeyMap(),
		styles:   st,
		help:     help.New(),
		spin:     spinner.New(spinner.WithSpinner(spinner.Dot)),
		decide:   core.Decide,
		window:   1,
		hist:     core.NewHistory(keep),
		replicas: core.NewSeries(keep),
		ready:    core.NewSeries(keep),
		now:      deps.Clock.Now(),
		polling:  true, // Init starts the backfill, then the first poll
		pollSlow: true,
		spinning: true,
		tickTag:  1,
		charts:   &chartSet{repl: newReplicasChart(st)},
		focus:    focusDecision,
	}
	m.eventsSince = m.now.Add(-time.Hour)
	m.help.Styles = help.DefaultDarkStyles()
	loc := m.now.Location()
	for i, mt := range core.Metrics() {
		m.charts.metric[i] = newChart(metricTitle(mt), metricFormat(mt), st, loc)
	}
	m.autoWanted = deps.Auto
	_ = m.applyReadOnly() // nothing campaigns before Init: nothing to release
	return m
}

// WithColorProfile returns the model rendering its view for colour profile
// p itself (colorprofile.Ascii or NoTTY for NO_COLOR), rather than leaving
// the downsampling to bubbletea's renderer; tests use it to pin the profile.
func (m Model) WithColorProfile(p colorprofile.Profile) Model {
	m.profile = &p
	return m
}

// Init implements tea.Model: it starts the backfill, the access check, the
// first poll, the clock and, with deps.Auto, the Lease campaign.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.backfillCmd(), m.accessCmd(), m.tickCmd(maxTick), m.spin.Tick}
	if m.autoWanted && m.deps.Lease != nil && !m.readOnly() {
		cmds = append(cmds, m.acquireLeaseCmd())
	} else {
		cmds = append(cmds, m.holderCmd())
	}
	return tea.Batch(cmds...)
}

// Update implements tea.Model. The spinner runs only while a slow poll or a
// write is in flight, so an idle dashboard redraws only on its heartbeat and
// when a poll returns.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	prev := m.status
	m.holdFrame = false
	nm, cmd := m.update(msg)
	mm := nm.(Model)
	if !mm.holdFrame {
		if mm.chartsDue {
			mm.feedCharts()
		}
		mm.drawnAt = mm.now
	}
	_, key := msg.(tea.KeyPressMsg)
	mm.expireStatus(prev, key)
	if mm.busy() && !mm.spinning {
		mm.spinning = true
		cmd = tea.Batch(cmd, mm.spin.Tick)
	}
	return mm, cmd
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layoutCharts()
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case spinner.TickMsg:
		if !m.busy() {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tickMsg:
		return m.handleTick(msg)
	case pollMsg:
		return m.handlePoll(msg)
	case backfillMsg:
		return m.handleBackfill(msg)
	case stateMsg:
		return m.handleState(msg)
	case accessMsg:
		if msg.err != nil {
			m.addLog(m.now, logFailed, msg.err.Error())
			return m, nil
		}
		m.access = &msg.access
		return m, m.applyReadOnly()
	case leaseReleasedMsg:
		return m.handleReleased()
	case holderMsg:
		if msg.err == nil {
			m.holder = msg.holder
		}
		return m, nil
	case leaseStartedMsg, leaseMsg:
		return m.handleLease(msg)
	case appliedMsg:
		return m.handleApplied(msg)
	}
	if m.input != nil { // the field's cursor blink
		o, cmd := m.input.Update(msg)
		m.input = &o
		return m, cmd
	}
	return m, nil
}

// tooSmall reports whether the terminal is too small to draw the dashboard
// (or its size is not known yet).
func (m *Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

// busy reports whether a slow poll, a write or a Release is in flight: what
// the header shows with the spinner.
func (m *Model) busy() bool { return (m.polling && m.pollSlow) || m.writing > 0 || m.releasing > 0 }

// handleKey routes a key to the open dialog, the replica-count field, the help
// screen or the dashboard.
func (m Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.tooSmall() {
		// Nothing is drawn but the "terminal too small" message: a key
		// must not act on a dialog or a panel the user cannot see.
		if key.Matches(msg, m.keys.Quit) {
			return m.quit()
		}
		return m, nil
	}
	if !key.Matches(msg, m.keys.Quit) {
		m.quitArmed = false
	}
	m.status = ""
	switch {
	case m.dialog != nil:
		return m.handleDialogKey(msg)
	case m.input != nil:
		return m.handleInputKey(msg)
	case m.showHelp: // any key closes it, q included (ctrl+c quits above)
		m.showHelp = false
		return m, nil
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Focus):
		m.focus = (m.focus + 1) % panelCount
	case key.Matches(msg, k.Window):
		m.window = (m.window + 1) % numWindows
		m.chartsDue = true
	case key.Matches(msg, k.Pause):
		return m.togglePause()
	case key.Matches(msg, k.Approve):
		return m.approve()
	case key.Matches(msg, k.Override):
		return m.startOverride()
	case key.Matches(msg, k.Reject):
		return m.reject()
	case key.Matches(msg, k.Auto):
		return m.toggleAuto()
	case key.Matches(msg, k.DuckDB):
		return m.reviewDuckDB()
	case key.Matches(msg, k.Pin):
		return m.pinHPA()
	default:
		if m.readOnly() && isWriteKey(msg, DefaultKeyMap()) {
			m.status = m.readOnlyWhy()
		}
	}
	return m, nil
}

// isWriteKey reports whether msg is one of the write keys (even disabled).
func isWriteKey(msg tea.KeyPressMsg, k KeyMap) bool {
	for _, b := range k.writeBindings() {
		if key.Matches(msg, *b) {
			return true
		}
	}
	return false
}

// handleTick advances now and polls when a poll is due.
func (m Model) handleTick(msg tickMsg) (tea.Model, tea.Cmd) {
	if msg.tag != m.tickTag {
		return m, nil
	}
	if !m.lastWall.IsZero() && msg.wall.After(m.lastWall) && msg.now.After(m.now) {
		m.rate = float64(msg.now.Sub(m.now)) / float64(msg.wall.Sub(m.lastWall))
	}
	m.lastWall = msg.wall
	m.now = laterOf(m.now, msg.now)
	if m.polling && m.now.Sub(m.lastPollStart) >= m.dashboardTime(minTick/2) {
		// Still in flight at a heartbeat well after it started: show it. (A
		// poll started by a write or by resuming may meet a heartbeat a few
		// milliseconds later; that one waits for the next.)
		m.pollSlow = true
	}
	var cmd tea.Cmd
	if !m.paused && !m.polling && m.backfilled && !m.now.Before(m.lastPollStart.Add(m.deps.Interval)) {
		cmd = m.startPoll()
		_, fresh := m.freshness()
		m.holdFrame = fresh // data turning stale is drawn at once
	}
	return m, tea.Batch(cmd, m.tickCmd(m.nextTick()))
}

// dashboardTime converts a wall-clock duration to the dashboard's time, at
// the clock's observed rate (1 until it is known).
func (m *Model) dashboardTime(d time.Duration) time.Duration {
	if m.rate <= 0 {
		return d
	}
	return time.Duration(float64(d) * m.rate)
}

// startPoll marks a poll in flight and returns it.
func (m *Model) startPoll() tea.Cmd {
	m.polling, m.pollSlow = true, false
	m.lastPollStart = m.now
	return m.pollCmd()
}

// togglePause stops or resumes polling. Resuming polls at once.
func (m Model) togglePause() (tea.Model, tea.Cmd) {
	m.paused = !m.paused
	if m.paused {
		m.addLog(m.now, logInfo, "polling paused")
		return m, nil
	}
	m.addLog(m.now, logInfo, "polling resumed")
	if m.polling {
		return m, nil
	}
	return m, m.startPoll()
}

// quit releases the Lease, then ends the program; the screen says so
// meanwhile. Quitting again while the release runs quits at once.
//
// While a write is in flight the first q only asks: quitting then would
// leave its result unseen.
func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.quitting {
		return m, tea.Quit
	}
	if m.writing > 0 && !m.quitArmed {
		m.quitArmed = true
		m.status = "a write is in flight; q again to quit anyway"
		return m, nil
	}
	m.quitting = true
	if cmd := m.releaseLease(); cmd != nil {
		m.status = "releasing the Lease… (q again quits without waiting)"
		return m, tea.Sequence(cmd, tea.Quit)
	}
	return m, tea.Quit
}

// addLog appends to the event log, dropping the oldest beyond maxLog.
func (m *Model) addLog(at time.Time, kind logKind, text string) {
	m.deps.Logger.Debug("event log", "kind", kind, "text", text)
	m.log = append(m.log, logEntry{At: at, Kind: kind, Text: text})
	m.logCount++
	if len(m.log) > maxLog {
		m.log = append([]logEntry(nil), m.log[len(m.log)-maxLog:]...)
	}
}

// View implements tea.Model.
func (m Model) View() tea.View {
	s := m.charts.frame
	if !m.holdFrame || s == "" {
		s = m.render()
		if m.profile != nil {
			var b strings.Builder
			w := colorprofile.Writer{Forward: &b, Profile: *m.profile}
			if _, err := w.WriteString(s); err == nil {
				s = b.String()
			}
		}
		m.charts.frame = s
	}
	v := tea.NewView(s)
	v.AltScreen = true
	v.WindowTitle = "kimiscale: " + m.deps.Deployment
	return v
}

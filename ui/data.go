package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// maxMarks bounds the scale-event markers kept for the replicas chart.
const maxMarks = 256

// metricTitle is a metric's chart title.
func metricTitle(m core.Metric) string {
	switch m {
	case core.MetricCPU:
		return "CPU"
	case core.MetricMemory:
		return "Memory"
	case core.MetricQPS:
		return "QPS"
	case core.MetricConnections:
		return "Connections"
	}
	return string(m)
}

// metricFormat renders a metric's values: percent of requests for CPU and
// memory, a compact count for QPS and connections.
func metricFormat(m core.Metric) func(float64) string {
	if m.Utilization() {
		return func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }
	}
	return func(v float64) string {
		switch a := math.Abs(v); {
		case a >= 1e6:
			return fmt.Sprintf("%.1fM", v/1e6)
		case a >= 1e4:
			return fmt.Sprintf("%.0fk", v/1e3)
		case a >= 1e3:
			return fmt.Sprintf("%.1fk", v/1e3)
		}
		return fmt.Sprintf("%.0f", v)
	}
}

// handleBackfill fills the history read at start, then starts polling.
func (m Model) handleBackfill(msg backfillMsg) (tea.Model, tea.Cmd) {
	m.backfilled = true
	if msg.err != nil {
		m.addLog(msg.now, logFailed, msg.err.Error())
	}
	for _, mt := range core.Metrics() {
		ser := m.hist.Series(mt)
		for _, s := range msg.data[mt] {
			ser.Push(s)
		}
	}
	m.now = laterOf(m.now, msg.now)
	m.chartsDue = true
	return m, m.startPoll()
}

// handlePoll takes one poll: history, replicas, decision, charts, and
// auto-apply; then schedules the next poll.
func (m Model) handlePoll(msg pollMsg) (tea.Model, tea.Cmd) {
	before := m.digest()
	m.polling = false
	m.now = laterOf(m.now, msg.now)
	var cmds []tea.Cmd
	m.pollErr = nil
	m.pollOK = msg.snapErr == nil && msg.stateErr == nil
	if msg.snapErr != nil {
		m.pollErr = msg.snapErr
		m.deps.Logger.Debug("poll failed", "err", msg.snapErr)
	} else {
		m.snap = &msg.snap
		m.hist.Add(msg.snap)
		m.lastPoll = msg.now
	}
	switch {
	case msg.stateErr != nil:
		if m.pollErr == nil {
			m.pollErr = msg.stateErr
		}
	case !msg.now.Before(m.stateAt): // not older than a read after a write
		m.observeState(msg.state, msg.now)
	}
	if msg.holderOK && !m.autoWanted {
		m.holder, m.holderAt = msg.holder, msg.now
	}
	if msg.eventsErr == nil {
		m.takeEvents(msg.events)
	} else {
		m.deps.Logger.Debug("events failed", "err", msg.eventsErr)
	}
	if m.snap != nil && m.state != nil {
		if !m.replayed {
			m.replayStabilization(msg.now)
		}
		m.decideAt(msg.now)
		if cmd := m.autoApply(); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	m.chartsDue = true
	m.holdFrame = m.pollOK && len(cmds) == 0 && m.digest() == before && m.holdPollFrame()
	return m, tea.Batch(cmds...)
}

// minPollFrame is the least wall-clock time between two frames drawn for
// polls alone. It matters only when the dashboard's clock runs fast: at the
// demo's 60× a heartbeat polls every 500 ms, and every second poll is drawn
// (the last frame is 2 polls old by 1 s, well over 900 ms). At 1× polls are
// 15 s apart and all drawn.
const minPollFrame = 900 * time.Millisecond

// holdPollFrame reports whether a poll's answer may wait for the next frame:
// the clock runs fast and the last frame is younger than minPollFrame. Only
// a routine poll waits (handlePoll: it read everything, started no write,
// and left the digest as it was); a key, a write's result or a heartbeat
// that starts no poll draws it at once.
func (m *Model) holdPollFrame() bool {
	return m.fastClock() && m.now.Sub(m.drawnAt) < m.dashboardTime(minPollFrame)
}

// fastClock reports whether the dashboard's clock runs at least twice as
// fast as the wall clock (the demo's --speed): then the wall clock, not
// the poll interval, paces what a person or another console can change.
// The real clock measures a rate of 1, give or take the heartbeat's jitter.
func (m *Model) fastClock() bool { return m.rate >= 2 }

// holderDue reports whether a poll asks who holds the Lease: at every poll,
// but at a fast clock once per Interval of wall time. A Lease is taken and
// renewed by consoles on the wall clock; at the demo's 60× every poll (2 a
// second) asked for it, 1.2 % of the demo's idle CPU.
func (m *Model) holderDue() bool {
	return !m.fastClock() || m.now.Sub(m.holderAt) >= m.dashboardTime(m.deps.Interval)
}

// pollDigest is what a poll must leave unchanged to wait for the next
// frame: what the screen shows that a person must see at once.
type pollDigest struct {
	decision        string
	replicas, ready int32
	logCount        int
	warnings        int
	fresh, failed   bool // a recovery from STALE or a failed poll is drawn at once
	holder          string
}

// digest returns the model's pollDigest.
func (m *Model) digest() pollDigest {
	d := pollDigest{logCount: m.logCount, failed: m.pollErr != nil, holder: m.holder}
	if m.decision != nil {
		d.decision = decisionKey(*m.decision)
	}
	if m.state != nil {
		d.replicas, d.ready, d.warnings = m.state.Replicas, m.state.ReadyReplicas, len(m.state.Warnings)
	}
	_, d.fresh = m.freshness()
	return d
}

// handleState takes the cluster state read back after a write: the header
// and the replicas chart show it; the decision waits for the next poll.
func (m Model) handleState(msg stateMsg) (tea.Model, tea.Cmd) {
	m.now = laterOf(m.now, msg.now)
	if msg.err != nil {
		m.addLog(msg.now, logFailed, "reading the result back: "+msg.err.Error())
		return m, nil
	}
	if msg.now.Before(m.stateAt) {
		return m, nil
	}
	m.observeState(msg.state, msg.now)
	m.chartsDue = true
	return m, nil
}

// observeState records the cluster state: replica changes become scale
// events (for the HPA rate policies and the chart markers).
func (m *Model) observeState(cs core.ClusterState, now time.Time) {
	if m.state != nil && m.state.Replicas != cs.Replicas {
		m.scales.RecordScale(m.state.Replicas, cs.Replicas, now)
		m.marks = append(m.marks, scaleMark{At: now, From: m.state.Replicas, To: cs.Replicas})
		if len(m.marks) > maxMarks {
			m.marks = append([]scaleMark(nil), m.marks[len(m.marks)-maxMarks:]...)
		}
	}
	m.state = &cs
	m.stateAt = now
	m.replicas.Push(core.Sample{At: now, Value: float64(cs.Replicas)})
	m.ready.Push(core.Sample{At: now, Value: float64(cs.ReadyReplicas)})
	if cs.Limits.Memory > 0 || cs.Limits.CPU > 0 {
		rec, err := core.RecommendDuckDB(m.deps.Policy, cs.Limits)
		if err != nil {
			m.duckRec, m.duckErr = nil, err
		} else {
			m.duckRec, m.duckErr = &rec, nil
		}
	} else {
		_, m.duckErr = core.RecommendDuckDB(m.deps.Policy, cs.Limits)
		m.duckRec = nil
	}
}

// takeEvents appends other consoles' writes to the event log.
func (m *Model) takeEvents(evs []core.ClusterEvent) {
	for _, e := range evs {
		if !e.At.After(m.eventsSince) {
			continue
		}
		m.eventsSince = e.At
		if e.By == m.deps.User && m.deps.User != "" {
			continue // this console's own writes are logged with their result
		}
		by := e.By
		if by == "" {
			by = "unknown"
		}
		m.addLog(e.At, logOther, fmt.Sprintf("%s by %s: %s", e.Reason, by, e.Message))
	}
}

// decideAt runs the decision core and records its recommendation.
func (m *Model) decideAt(now time.Time) {
	in := core.Input{
		Policy:       m.deps.Policy,
		Current:      m.state.Replicas,
		Ready:        m.state.ReadyReplicas,
		Snapshot:     *m.snap,
		History:      m.hist,
		Scales:       m.scales,
		LastScale:    m.state.LastScale,
		PollInterval: m.deps.Interval,
		Warnings:     m.state.Warnings,
	}
	d := m.decide(in, now)
	m.scales.Observe(d)
	m.scales.Prune(now, m.deps.Policy.Behavior)
	if m.rejected != "" && m.rejected != decisionKey(d) {
		m.rejected = ""
	}
	m.decision = &d
}

// replayStabilization gives a console that just started the
// recommendations one that had been running would hold: it replays
// core.Decide every Interval over the backfilled history of the longest
// stabilization window before now (300 s / 15 s = 20 decisions by default),
// at the current cluster state's replicas, and observes each decision into
// m.scales. Without it the first live decision sees no history and may
// scale down at once, skipping the scale-down window. It runs once, at the
// first poll that has a cluster state.
func (m *Model) replayStabilization(now time.Time) {
	m.replayed = true
	b := m.deps.Policy.Behavior
	window := max(b.ScaleUp.StabilizationWindow.D(), b.ScaleDown.StabilizationWindow.D())
	step := m.deps.Interval
	n := int(window / step)
	if n <= 0 {
		return
	}
	start := now.Add(-time.Duration(n) * step)
	// The history the replayed decisions forecast from: the backfill up
	// to each decision's time, never a sample after it.
	hist := core.NewHistory(m.hist.Series(core.MetricCPU).Cap())
	samples := map[core.Metric][]core.Sample{}
	for _, mt := range core.Metrics() {
		all := m.hist.Series(mt).Since(nil, time.Time{})
		i := 0
		for i < len(all) && !all[i].At.After(start) {
			hist.Series(mt).Push(all[i])
			i++
		}
		samples[mt] = all[i:]
	}
	for k := 1; k <= n; k++ {
		at := start.Add(time.Duration(k) * step)
		if !at.Before(now) {
			break
		}
		snap := core.Snapshot{At: at, Readings: map[core.Metric]core.Reading{}}
		usable := false
		for _, mt := range core.Metrics() {
			ser := hist.Series(mt)
			rest := samples[mt]
			for len(rest) > 0 && !rest[0].At.After(at) {
				ser.Push(rest[0])
				rest = rest[1:]
			}
			samples[mt] = rest
			live, polled := m.snap.Readings[mt]
			if last, ok := ser.Last(); ok {
				snap.Readings[mt] = core.Reading{Value: last.Value, At: last.At}
				usable = true
			} else if polled && live.State != core.ReadingOK {
				snap.Readings[mt] = core.Reading{At: at, State: live.State, Detail: live.Detail}
			}
		}
		if !usable {
			continue // no history this far back: nothing to recommend from
		}
		d := m.decide(core.Input{
			Policy: m.deps.Policy, Current: m.state.Replicas, Ready: m.state.ReadyReplicas,
			Snapshot: snap, History: hist, Scales: m.scales, LastScale: m.state.LastScale,
			PollInterval: step, SkipForecastPath: true, SkipExplanation: true,
		}, at)
		m.scales.Observe(d)
	}
	m.scales.Prune(now, b)
}

// decisionKey identifies a decision for reject: it stays dismissed until
// its action or numbers change.
func decisionKey(d core.Decision) string {
	return fmt.Sprintf("%s %d→%d/%d", d.Action, d.Current, d.Target, d.Proposed)
}

// laterOf returns the later of two times.
func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// layoutCharts sizes the charts for the current terminal and redraws the
// ones whose size changed.
func (m *Model) layoutCharts() {
	l := m.computeLayout()
	cs := m.charts
	for i := range cs.metric {
		cs.metric[i].SetSize(l.chartW[i], l.chartH[i])
		cs.metric[i].Redraw()
	}
	cs.repl.SetSize(l.replW, l.replH)
	cs.repl.Redraw()
	cs.compose(l)
}

// compose joins the charts' cached views into the block View uses.
func (cs *chartSet) compose(l layout) {
	if l.bodyH == 0 {
		cs.block = nil
		return
	}
	c := func(i int) string {
		ch := &cs.metric[i]
		if ch.w == l.chartW[i] && ch.h == l.chartH[i] {
			return ch.View() // already its size
		}
		return fitBlock(ch.View(), l.chartW[i], l.chartH[i])
	}
	var s string
	if l.wide {
		s = strings.Join([]string{c(0), c(1), c(2), c(3), fitBlock(cs.repl.View(), l.replW, l.replH)}, "\n")
	} else {
		s = hjoin(c(0), c(1)) + "\n" + hjoin(c(2), c(3)) + "\n" + fitBlock(cs.repl.View(), l.replW, l.replH)
	}
	cs.block = strings.Split(s, "\n")
}

// feedCharts gives every chart the visible window of its data and redraws.
// Update calls it when it draws a frame and the charts are due.
func (m *Model) feedCharts() {
	m.chartsDue = false
	now := m.now
	win := windowAt(m.window)
	from := now.Add(-win)
	cs := m.charts
	cs.ready = m.ready.Since(cs.ready[:0], from.Add(-time.Hour))
	for i, mt := range core.Metrics() {
		d := chartData{Now: now, Window: win}
		// The chart's last samples are replaced here: their array is reused.
		buf := cs.metric[i].data.Samples[:0]
		rule, ok := m.deps.Policy.Rule(mt)
		if ok {
			d.Up, d.Down = rule.Up, rule.Down
		}
		if ok && !mt.Utilization() && rule.Aggregation != core.Total {
			cs.scratch = m.hist.Series(mt).Since(cs.scratch[:0], from)
			d.Samples = perReplica(buf, cs.scratch, cs.ready, m.state)
		} else {
			d.Samples = m.hist.Series(mt).Since(buf, from)
		}
		format := metricFormat(mt)
		if m.decision != nil {
			if s, ok := m.decision.Metrics[mt]; ok {
				d.Headline = format(s.Value)
				if !s.Fresh {
					d.Headline, d.Note = "n/a", s.Why
				}
			}
		} else if n := len(d.Samples); n > 0 {
			d.Headline = format(d.Samples[n-1].Value)
		}
		if !mt.Utilization() && ok && rule.Aggregation != core.Total && d.Note == "" && d.Headline != "" {
			d.Headline += "/replica"
		}
		if mt == core.MetricCPU && m.decision != nil && m.decision.Forecast != nil {
			d.Forecast = m.decision.Forecast
		}
		cs.metric[i].SetData(d)
		cs.metric[i].Redraw()
	}
	rd := replicasData{Now: now, Window: win, Samples: m.replicas.Since(cs.repl.data.Samples[:0], from), Marks: m.marks,
		Min: m.deps.Policy.MinReplicas, Max: m.deps.Policy.MaxReplicas}
	if m.state != nil {
		rd.Current, rd.Ready = m.state.Replicas, m.state.ReadyReplicas
	}
	cs.repl.SetData(rd)
	cs.repl.Redraw()
	cs.compose(m.computeLayout())
}

// perReplica appends to dst the totals divided by the ready replicas at
// each sample's time, as the rules compare them (from the counts seen since
// start; before that, the first known count).
func perReplica(dst, samples, repl []core.Sample, cs *core.ClusterState) []core.Sample {
	fallback := 1.0
	switch {
	case len(repl) > 0:
		fallback = repl[0].Value
	case cs != nil && cs.ReadyReplicas > 0:
		fallback = float64(cs.ReadyReplicas)
	}
	j := 0
	cur := fallback
	for _, s := range samples {
		for j < len(repl) && !repl[j].At.After(s.At) {
			cur = repl[j].Value
			j++
		}
		dst = append(dst, core.Sample{At: s.At, Value: s.Value / max(cur, 1)})
	}
	return dst
}

// staleLimit is how old data may be and still count as fresh: the policy's
// StaleAfter poll intervals (at least one). The header's STALE, approve and
// auto-apply all go by it.
func (m *Model) staleLimit() time.Duration {
	return time.Duration(max(m.deps.Policy.StaleAfter, 1)) * m.deps.Interval
}

// pollFailure says why the latest poll failed.
func (m *Model) pollFailure() string {
	why := "no data"
	if m.pollErr != nil {
		why = m.pollErr.Error()
	}
	return "the last poll failed: " + why
}

// freshness says how old the data is: "fresh 3s ago" or "STALE 45s".
func (m *Model) freshness() (string, bool) {
	if m.lastPoll.IsZero() {
		if m.pollErr != nil {
			return "NO DATA: " + m.pollErr.Error(), false
		}
		return "waiting for data", true
	}
	age := m.now.Sub(m.lastPoll).Truncate(time.Second)
	if age > m.staleLimit() {
		s := "STALE " + age.String()
		if m.pollErr != nil {
			s += " (" + strings.TrimSpace(m.pollErr.Error()) + ")"
		}
		return s, false
	}
	return "fresh " + age.String() + " ago", true
}

package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/progress"

	"github.com/kimiclaw/kimiscale/core"
)

// The text panels are pure views of the root model's state: each takes what
// it shows and its size and returns exactly w×h cells.

// actionText says an action in words and a glyph, so it reads without colour.
func actionText(st *Styles, d core.Decision, blocked bool) string {
	switch {
	case blocked:
		dir := "UP"
		if d.Proposed < d.Current {
			dir = "DOWN"
		}
		return st.ActionHold.Render("⏸ " + dir + " HELD (cooldown)")
	case d.Action == core.ActionScaleUp:
		return st.ActionUp.Render("▲ SCALE UP")
	case d.Action == core.ActionScaleDown:
		return st.ActionDown.Render("▼ SCALE DOWN")
	case d.Action == core.ActionHold:
		return st.ActionHold.Render("■ HOLD")
	}
	return st.ActionMaintain.Render("● MAINTAIN")
}

// cooldownBlocked reports whether the cooldown holds back what the pipeline
// proposed.
func cooldownBlocked(d core.Decision) bool {
	return d.Cooldown.Blocks != core.DirectionNone && d.Cooldown.Blocks != "" && d.Proposed != d.Target
}

// limiting reports whether a reason code stops or shrinks a change.
func limiting(c core.ReasonCode) bool {
	switch c {
	case core.ReasonMetricsStale, core.ReasonMetricUnusable,
		core.ReasonScaleUpStabilized, core.ReasonScaleDownStabilized,
		core.ReasonScaleUpLimit, core.ReasonScaleDownLimit,
		core.ReasonScalingDisabled, core.ReasonTooFewReplicas, core.ReasonTooManyReplicas,
		core.ReasonCooldownAfterScaleUp, core.ReasonCooldownAfterScaleDown,
		core.ReasonOverrideInvalid, core.ReasonInvalidInput:
		return true
	}
	return false
}

// decisionExtras is what the Decision panel shows beside core's decision,
// from the console's own state.
type decisionExtras struct {
	rejected bool     // the user rejected this decision
	notes    []string // warnings under the action: data not fresh, ...
	blocks   []string // what stops the decision outside core: the console's mode
}

// key identifies the extras for the panel's memo.
func (e decisionExtras) key() string {
	return fmt.Sprint(e.rejected, "\x00", strings.Join(e.notes, "\x00"), "\x00\x00", strings.Join(e.blocks, "\x00"))
}

// decisionView is the Decision panel.
func decisionView(st *Styles, d *core.Decision, ex decisionExtras, focused bool, w, h int) string {
	if d == nil {
		return panel(st, "Decision", focused, []string{st.Dim.Render("waiting for the first poll…")}, w, h)
	}
	blocked := cooldownBlocked(*d)
	target := fmt.Sprintf("%d → %d", d.Current, d.Target)
	if blocked {
		target = fmt.Sprintf("%d → %d waits", d.Current, d.Proposed)
	}
	body := []string{actionText(st, *d, blocked) + "  " + st.Bold.Render(target)}
	for _, n := range ex.notes {
		for i, l := range wrap(n, w-2, 2) {
			if i == 0 {
				body = append(body, st.Warn.Render("! "+l))
			} else {
				body = append(body, st.Warn.Render("  "+l))
			}
		}
	}
	// A cluster state warning comes right under the action, where a small
	// terminal still shows it: the decision rests on a record that could
	// not be read, and auto-apply is paused for it. Its reason is not
	// repeated in the list below.
	for _, r := range d.Reasons {
		if r.Code == core.ReasonClusterStateWarning {
			for i, l := range wrap(string(r.Code)+": "+r.Message, w-2, 2) {
				if i == 0 {
					body = append(body, st.Warn.Render("! "+l))
				} else {
					body = append(body, st.Warn.Render("  "+l))
				}
			}
		}
	}
	if ex.rejected {
		for i, l := range wrap("rejected by you: a and auto-apply skip it until it changes", w-2, 2) {
			if i == 0 {
				body = append(body, st.Warn.Render("✗ "+l))
			} else {
				body = append(body, st.Warn.Render("  "+l))
			}
		}
	}
	hpa := fmt.Sprintf("plain HPA would choose %d", d.HPADesired)
	body = append(body, st.Label.Render("HPA: ")+hpa)
	var blocks []string
	for _, r := range d.Reasons {
		if limiting(r.Code) {
			blocks = append(blocks, string(r.Code))
		}
	}
	blocks = append(blocks, ex.blocks...)
	if len(blocks) == 0 {
		body = append(body, st.Label.Render("blocked by: ")+"nothing")
	} else {
		body = append(body, st.Label.Render("blocked by: ")+st.Warn.Render(strings.Join(blocks, ", ")))
	}
	for _, m := range core.Metrics() {
		if s, ok := d.Metrics[m]; ok && !s.Fresh {
			body = append(body, st.Warn.Render(fmt.Sprintf("! %s unusable: %s", m, s.Why)))
		}
	}
	body = append(body, st.Label.Render("reasons:"))
	for _, r := range d.Reasons {
		if r.Code == core.ReasonClusterStateWarning {
			continue // shown under the action
		}
		code := st.Bold.Render(string(r.Code))
		if limiting(r.Code) {
			code = st.Warn.Render(string(r.Code))
		}
		lines := wrap(string(r.Code)+": "+r.Message, w-2, 2)
		lines[0] = strings.Replace(lines[0], string(r.Code), code, 1)
		for i, l := range lines {
			if i == 0 {
				body = append(body, "• "+l)
			} else {
				body = append(body, "  "+l)
			}
		}
	}
	return panel(st, "Decision", focused, body, w, h)
}

// mmss renders a duration as mm:ss (h:mm:ss past an hour).
func mmss(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// cooldownView is the cooldown timer: what is blocked, for how long, and why.
func cooldownView(st *Styles, d *core.Decision, last *core.LastScale, now time.Time, w, h int) string {
	var body []string
	c := core.CooldownStatus{}
	if d != nil {
		c = d.Cooldown
	}
	remaining := c.Until.Sub(now)
	if c.Until.IsZero() {
		remaining = c.Remaining
	}
	switch {
	case c.Pending && last != nil && d != nil && remaining > 0:
		// The recorded scale-down has not happened (core.Cooldown): say
		// why scale-ups are open, and when they would close.
		body = append(body, st.OK.Render(fmt.Sprintf("scale-up open (%d run: the scale-down to %d has not happened); below %d it blocks until %s",
			d.Current, last.To, last.From, c.Until.Format("15:04:05"))))
	case c.Blocks == core.DirectionNone || c.Blocks == "" || remaining <= 0:
		body = append(body, st.OK.Render("no cooldown: both directions open"))
	default:
		dir := "scale-up"
		if c.Blocks == core.DirectionDown {
			dir = "scale-down"
		}
		frac := 0.0
		if c.Total > 0 {
			frac = float64(remaining) / float64(c.Total)
		}
		label := fmt.Sprintf("%s blocked: %s of %s left ", dir, mmss(remaining), mmss(c.Total))
		if c.Bypassed {
			label = "bypassed: " + label
		}
		// The bar shares the line when there is room, else gets its own.
		own := w-len(label) < 14
		bw := w - len(label) - 12
		if own {
			bw = w - 2
		}
		bar := progress.New(progress.WithFillCharacters('█', '░'), progress.WithColors(st.BarFull),
			progress.WithoutPercentage(), progress.WithWidth(bw))
		bar.EmptyColor = st.BarEmpty
		if own {
			body = append(body, st.Warn.Render(label), bar.ViewAs(frac))
		} else {
			body = append(body, st.Warn.Render(label)+bar.ViewAs(frac))
		}
	}
	if last != nil {
		body = append(body, st.Dim.Render(fmt.Sprintf("last scale %s %d→%d at %s by %s: %s",
			last.Direction, last.From, last.To, last.At.Format("15:04:05"), last.By, last.Reason)))
	}
	return panel(st, "Cooldown", false, body, w, h)
}

// duckDBView is the DuckDB panel.
func duckDBView(st *Styles, cs *core.ClusterState, rec *core.DuckDBRecommendation, recErr error, focused bool, w, h int) string {
	if cs == nil {
		return panel(st, "DuckDB", focused, []string{st.Dim.Render("waiting for the cluster state…")}, w, h)
	}
	lbl := st.Label.Render
	res := func(r core.Resources) string {
		f := func(set bool, s string) string {
			if !set {
				return "unset"
			}
			return s
		}
		return fmt.Sprintf("cpu %s mem %s", f(r.CPU > 0, r.CPU.Quantity()), f(r.Memory > 0, r.Memory.Quantity()))
	}
	var body []string
	// kv adds a labelled value, wrapped under its label.
	kv := func(label, value string, style func(...string) string) {
		for i, l := range wrap(value, max(w-13, 10), 0) {
			if i == 0 {
				body = append(body, lbl(fmt.Sprintf("%-12s ", label))+style(l))
			} else {
				body = append(body, strings.Repeat(" ", 13)+style(l))
			}
		}
	}
	plain := func(s ...string) string { return strings.Join(s, "") }
	cur := "ConfigMap duckdb-config not found"
	if cs.DuckDB != nil {
		cur = fmt.Sprintf("memory_limit %s  threads %d", cs.DuckDB.MemoryLimit, cs.DuckDB.Threads)
	}
	kv("current", cur, plain)
	kv("container", "requests "+res(cs.Requests)+" · limits "+res(cs.Limits), plain)
	if cs.VPA != nil {
		kv("VPA target", res(cs.VPA.Target)+" (bounds "+res(cs.VPA.LowerBound)+" .. "+res(cs.VPA.UpperBound)+")", plain)
	} else {
		kv("VPA", "no recommendation", st.Dim.Render)
	}
	switch {
	case recErr != nil:
		kv("recommended", recErr.Error(), st.Error.Render)
	case rec != nil:
		kv("recommended", fmt.Sprintf("memory_limit %s  threads %d", rec.Settings.MemoryLimit, rec.Settings.Threads), st.Bold.Render)
		diff, changed := duckDBDiff(cs.DuckDB, rec)
		if changed {
			kv("difference", diff, st.Warn.Render)
		} else {
			kv("difference", diff, st.OK.Render)
		}
		for _, r := range rec.Reasons {
			for i, l := range wrap(string(r.Code)+": "+r.Message, w-2, 2) {
				if i == 0 {
					body = append(body, st.Dim.Render("• "+l))
				} else {
					body = append(body, st.Dim.Render("  "+l))
				}
			}
		}
	}
	return panel(st, "DuckDB", focused, body, w, h)
}

// duckDBDiff says what applying the recommendation would change, and
// whether it changes anything.
func duckDBDiff(cur *core.DuckDBSettings, rec *core.DuckDBRecommendation) (string, bool) {
	if cur == nil {
		return "no current settings: applying creates them", true
	}
	var parts []string
	if cur.MemoryLimit == rec.Settings.MemoryLimit {
		parts = append(parts, "memory_limit unchanged")
	} else {
		delta := ""
		if b, err := core.ParseSize(cur.MemoryLimit); err == nil {
			delta = fmt.Sprintf(" (%+.1f GiB)", float64(rec.MemoryLimit-b)/float64(core.GiB))
		}
		parts = append(parts, fmt.Sprintf("memory_limit %s → %s%s", cur.MemoryLimit, rec.Settings.MemoryLimit, delta))
	}
	if cur.Threads == rec.Settings.Threads {
		parts = append(parts, "threads unchanged")
	} else {
		parts = append(parts, fmt.Sprintf("threads %d → %d", cur.Threads, rec.Settings.Threads))
	}
	changed := cur.MemoryLimit != rec.Settings.MemoryLimit || cur.Threads != rec.Settings.Threads
	if !changed {
		return "none: " + strings.Join(parts, ", "), false
	}
	return strings.Join(parts, ", "), true
}

// logKind classifies an event log entry.
type logKind int

const (
	logInfo    logKind = iota
	logApplied         // a write of this console that was applied
	logFailed          // a write that was not applied, or an error
	logOther           // a write by another console (from Events)
)

// String implements fmt.Stringer.
func (k logKind) String() string {
	switch k {
	case logInfo:
		return "info"
	case logApplied:
		return "applied"
	case logFailed:
		return "failed"
	case logOther:
		return "other"
	}
	return fmt.Sprintf("logKind(%d)", int(k))
}

// logEntry is one line of the event log.
type logEntry struct {
	At   time.Time
	Kind logKind
	Text string
}

// eventsView is the event log, newest first.
func eventsView(st *Styles, log []logEntry, focused bool, w, h int) string {
	var body []string
	for i := len(log) - 1; i >= 0 && len(body) < h; i-- {
		e := log[i]
		var mark string
		switch e.Kind {
		case logApplied:
			mark = st.OK.Render("✔")
		case logFailed:
			mark = st.Error.Render("✘")
		case logOther:
			mark = st.Badge.Render("◆")
		case logInfo:
			mark = st.Dim.Render("·")
		}
		for j, l := range wrap(e.Text, max(w-11, 10), 0) {
			if j == 0 {
				body = append(body, st.Dim.Render(e.At.Format("15:04:05"))+" "+mark+" "+l)
			} else {
				body = append(body, strings.Repeat(" ", 11)+l)
			}
		}
	}
	if len(body) == 0 {
		body = append(body, st.Dim.Render("no writes yet"))
	}
	return panel(st, "Events ✔ applied ✘ not applied ◆ other console · info", focused, body, w, h)
}

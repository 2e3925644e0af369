package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// readOnly reports whether this console may not write at all.
func (m *Model) readOnly() bool {
	return m.deps.ReadOnly || m.deps.Actuator == nil || (m.access != nil && m.access.ReadOnly())
}

// readOnlyWhy says why the write keys are unbound.
func (m *Model) readOnlyWhy() string {
	switch {
	case m.deps.ReadOnly:
		return "read-only (--readonly): writes are off"
	case m.deps.Actuator == nil:
		return "read-only: this console has no actuator"
	case m.access != nil && len(m.access.Missing) > 0:
		return "read-only: missing permission " + strings.Join(m.access.Missing, ", ")
	}
	return "read-only: no permission to scale"
}

// applyReadOnly unbinds the write keys in read-only mode, turning
// auto-apply off; the Cmd releases the Lease.
func (m *Model) applyReadOnly() tea.Cmd {
	m.keys.setReadOnly(m.readOnly())
	if m.readOnly() && m.autoWanted {
		m.autoWanted = false
		m.acquireQueued = false
		return m.releaseLease()
	}
	return nil
}

// autoActive reports whether auto-apply may act: asked for and Lease held.
func (m *Model) autoActive() bool { return m.autoWanted && m.lease.Held }

// scaleRequest builds the request to go from the current replicas to n,
// with the precondition read now.
func (m *Model) scaleRequest(n int32, reason string) core.ScaleRequest {
	return core.ScaleRequest{
		From: m.state.Replicas, To: n, ResourceVersion: m.state.ResourceVersion,
		By: m.deps.User, Reason: reason,
	}
}

// cooldown is the cooldown now, from the cluster state as last read: the
// last-scale record and the replicas. A write made while polling is paused
// is read back into the state but not into the decision, so the decision's
// cooldown may predate it; a second write must still see the first.
func (m *Model) cooldown() core.CooldownStatus {
	if m.state == nil {
		return core.CooldownStatus{Blocks: core.DirectionNone}
	}
	return core.Cooldown(m.deps.Policy.Cooldown, m.state.LastScale, m.state.Replicas, m.now)
}

// cooldownBlocks reports whether the cooldown blocks a change in dir now.
func (m *Model) cooldownBlocks(dir core.Direction) bool {
	_, blocks := m.cooldownLeft(dir)
	return blocks
}

// cooldownLeft is how long the cooldown still blocks a change in dir, and
// whether it does.
func (m *Model) cooldownLeft(dir core.Direction) (time.Duration, bool) {
	c := m.cooldown()
	return c.Remaining, (dir == core.DirectionUp || dir == core.DirectionDown) && c.Blocks == dir
}

// annotationLastScale is the Deployment annotation k8s writes with every
// scale (k8s.AnnotationLastScale; ui does not import k8s).
const annotationLastScale = "kimiscale.kimiclaw.io/last-scale"

// scaleChange says what k8s will write for req, as k8s/scale.go does: without
// an HPA one merge patch of the Deployment's spec.replicas and last-scale
// annotation; with one, the HPA's minReplicas (raised on a scale-up, capped
// at maxReplicas; lowered on a scale-down when above the target, the HPA
// then deciding when), or nothing when minReplicas already covers the
// target, which k8s refuses. A pinned HPA never gets here: cannotScale
// refuses first, as the actuator would.
func (m *Model) scaleChange(req core.ScaleRequest) (change, via string) {
	h := m.state.HPA
	if h == nil {
		dep := "deployment/" + m.deps.Deployment
		return fmt.Sprintf("%s spec.replicas %d → %d and annotation %s, in one patch", dep, req.From, req.To, annotationLastScale),
			"one merge patch on " + dep
	}
	via = fmt.Sprintf("a merge patch on HPA %s (it would undo a direct write), then annotation %s on deployment/%s",
		h.Name, annotationLastScale, m.deps.Deployment)
	b := h.Bounds
	if req.To > req.From {
		newMin := min(req.To, b.Max)
		switch {
		case newMin <= b.Min:
			return fmt.Sprintf("none: HPA %s minReplicas %d already covers %d; the write will be refused (pin to override)", h.Name, b.Min, req.To), via
		case newMin < req.To:
			return fmt.Sprintf("HPA %s minReplicas %d → %d (capped at its maxReplicas %d, not %d); the HPA then scales to at least %d",
				h.Name, b.Min, newMin, b.Max, req.To, newMin), via
		}
		return fmt.Sprintf("HPA %s minReplicas %d → %d; the HPA then scales to at least %d", h.Name, b.Min, newMin, newMin), via
	}
	if b.Min <= req.To {
		return fmt.Sprintf("none: HPA %s minReplicas %d already allows %d; the HPA keeps its own count, so the write will be refused (pin to force it)",
			h.Name, b.Min, req.To), via
	}
	return fmt.Sprintf("HPA %s minReplicas %d → %d; the HPA decides when to scale down, after its stabilization window", h.Name, b.Min, req.To), via
}

// scaleDialog builds the confirmation of a scale to n.
func (m *Model) scaleDialog(n int32, reason string) *dialog {
	req := m.scaleRequest(n, reason)
	dir := req.Direction()
	d := &dialog{kind: dialogScale, confirm: "Scale", scale: req, dir: dir}
	d.title = fmt.Sprintf("Scale %s/%s from %d to %d replicas?", m.deps.Namespace, m.deps.Deployment, req.From, req.To)
	change, via := m.scaleChange(req)
	d.lines = []string{
		"change:  " + change,
		"via:     " + via,
		fmt.Sprintf("only if: deployment still has %d replicas%s", req.From, rvNote(req.ResourceVersion)),
		"reason:  " + reason,
		"by:      " + m.deps.User,
	}
	if m.deps.DryRun {
		d.lines = append(d.lines, "DRY-RUN: the API server validates the change but does not persist it")
	}
	if m.decision != nil && m.decision.HPADesired != 0 {
		d.lines = append(d.lines, fmt.Sprintf("plain HPA would choose %d", m.decision.HPADesired))
	}
	d.blocked = m.cooldownBlocks(dir)
	return d
}

// cannotScale says why this console may not scale now, "" if it may.
func (m *Model) cannotScale() string {
	if m.state == nil {
		return ""
	}
	if h := m.state.HPA; h.Pinned() {
		return fmt.Sprintf("HPA %s is pinned at %d: scaling is refused while it is pinned; P unpins it (restores %d..%d)",
			h.Name, h.Bounds.Min, h.PinnedFrom.Min, h.PinnedFrom.Max)
	}
	if m.access == nil {
		return ""
	}
	if m.state.HPA != nil && !m.access.HPA {
		return fmt.Sprintf("cannot scale through HPA %s: missing permission patch horizontalpodautoscalers", m.state.HPA.Name)
	}
	if m.state.HPA == nil && !m.access.Scale {
		return "cannot scale: missing permission patch deployments"
	}
	return ""
}

// approve opens the confirmation of the pending decision.
func (m Model) approve() (tea.Model, tea.Cmd) {
	d := m.decision
	switch {
	case m.cannotScale() != "":
		m.status = m.cannotScale()
	case d == nil || m.state == nil:
		m.status = "nothing to approve yet: waiting for the first decision"
	case m.rejected != "" && m.rejected == decisionKey(*d):
		m.status = "you rejected this decision; it comes back when it changes"
	case m.staleRefusal() != "":
		m.status = m.staleRefusal()
	case m.hpaArrangedDecision() != "":
		m.status = "nothing to approve: " + m.hpaArrangedDecision()
	case d.Target != d.Current:
		m.dialog = m.scaleDialog(d.Target, "approved: "+reasonSummary(*d))
		m.dialog.approve = true
	case cooldownBlocked(*d) && d.Proposed != d.Current:
		m.dialog = m.scaleDialog(d.Proposed, "approved through the cooldown: "+reasonSummary(*d))
		m.dialog.approve = true
	default:
		m.status = fmt.Sprintf("nothing to approve: the decision is %s at %d replicas", d.Action, d.Current)
	}
	return m, nil
}

// reasonSummary joins a decision's reason codes.
func reasonSummary(d core.Decision) string {
	codes := make([]string, 0, len(d.Reasons))
	for _, r := range d.Reasons {
		codes = append(codes, string(r.Code))
	}
	return strings.Join(codes, ", ")
}

// startOverride opens the replica-count field.
func (m Model) startOverride() (tea.Model, tea.Cmd) {
	if m.state == nil {
		m.status = "nothing to override yet: waiting for the cluster state"
		return m, nil
	}
	if why := m.cannotScale(); why != "" {
		m.status = why
		return m, nil
	}
	r := m.state.Replicas
	in := newCountInput(countOverride, r, r, m.deps.Policy.MinReplicas, m.deps.Policy.MaxReplicas)
	m.input = &in
	return m, nil
}

// handleInputKey edits the replica-count field; enter reviews a valid
// count: an override opens the scale confirmation, a pin the pin one.
func (m Model) handleInputKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.status = m.input.purpose.String() + " cancelled"
		m.input = nil
		return m, nil
	case "enter":
		n, err := m.input.value()
		if err != nil {
			m.status = err.Error()
			return m, nil
		}
		switch m.input.purpose {
		case countOverride:
			if n == m.state.Replicas {
				m.status = fmt.Sprintf("%d is the current count: nothing to change", n)
				return m, nil
			}
			m.dialog = m.scaleDialog(n, fmt.Sprintf("override by %s to %d", m.deps.User, n))
		case countPin:
			m.dialog = m.pinDialog(m.input.hpa, n)
		}
		m.input = nil
		return m, nil
	}
	o, cmd := m.input.Update(msg)
	m.input = &o
	return m, cmd
}

// reject dismisses the pending decision until it changes.
func (m Model) reject() (tea.Model, tea.Cmd) {
	d := m.decision
	if d == nil || (d.Target == d.Current && !cooldownBlocked(*d)) {
		m.status = "nothing to reject"
		return m, nil
	}
	m.rejected = decisionKey(*d)
	m.addLog(m.now, logInfo, fmt.Sprintf("rejected %s (a and auto-apply skip it until the decision changes)", changeName(*d)))
	return m, nil
}

// changeName names what decision d asks for: "the scale-up 3 → 4", or
// "the held scale-up 5 → 6" when the cooldown holds it back.
func changeName(d core.Decision) string {
	to, _ := approvalOf(d)
	dir := "scale-up"
	if to < d.Current {
		dir = "scale-down"
	}
	held := ""
	if d.Target == d.Current && cooldownBlocked(d) {
		held = "held "
	}
	return fmt.Sprintf("the %s%s %d → %d", held, dir, d.Current, to)
}

// toggleAuto asks to turn auto-apply on (after a confirmation) or turns it
// off at once.
func (m Model) toggleAuto() (tea.Model, tea.Cmd) {
	if m.autoWanted {
		m.autoWanted = false
		m.acquireQueued = false
		cmd := m.releaseLease()
		m.addLog(m.now, logInfo, "auto-apply off")
		return m, cmd
	}
	switch {
	case m.deps.Lease == nil:
		m.status = "auto-apply unavailable: no Lease to coordinate consoles"
		return m, nil
	case m.access != nil && !m.access.Lease:
		m.status = "auto-apply unavailable: missing permission create/update leases"
		return m, nil
	}
	d := &dialog{kind: dialogAuto, confirm: "Enable", title: "Turn auto-apply on?"}
	d.lines = []string{
		fmt.Sprintf("kimiscale will apply each decision itself, as %s, while it holds Lease kimiscale-%s.", m.deps.User, m.deps.Deployment),
		"It pauses while any metric is unusable, and stops at once if the Lease is lost.",
	}
	if m.holder != "" && m.holder != m.deps.User {
		d.lines = append(d.lines, "The Lease is held by "+m.holder+" now: this console waits until it is free.")
	}
	m.dialog = d
	return m, nil
}

// reviewDuckDB opens the DuckDB confirmation.
func (m Model) reviewDuckDB() (tea.Model, tea.Cmd) {
	switch {
	case m.state == nil:
		m.status = "no cluster state yet"
		return m, nil
	case m.duckErr != nil:
		m.status = "no DuckDB recommendation: " + m.duckErr.Error()
		return m, nil
	case m.duckRec == nil:
		m.status = "no DuckDB recommendation"
		return m, nil
	case m.access != nil && !m.access.ConfigMap:
		m.status = "cannot apply DuckDB settings: missing permission update configmaps"
		return m, nil
	}
	cur := core.DuckDBSettings{}
	if m.state.DuckDB != nil {
		cur = *m.state.DuckDB
	}
	to := m.duckRec.Settings
	if err := core.ValidateDuckDB(to, m.state.Limits); err != nil {
		m.status = "recommended DuckDB settings are invalid: " + err.Error()
		return m, nil
	}
	if cur.MemoryLimit == to.MemoryLimit && cur.Threads == to.Threads {
		m.status = "DuckDB settings already match the recommendation"
		return m, nil
	}
	d := &dialog{kind: dialogDuckDB, confirm: "Apply", canRestart: m.access == nil || m.access.Restart}
	if !d.canRestart {
		d.restartWhy = "missing permission patch deployments"
	}
	d.duck = core.DuckDBRequest{From: cur, To: to, By: m.deps.User, Reason: reasonSummaryOf(m.duckRec.Reasons)}
	d.title = "Apply DuckDB settings to ConfigMap duckdb-config?"
	d.lines = []string{
		fmt.Sprintf("memory_limit: %s → %s", orNone(cur.MemoryLimit), to.MemoryLimit),
		fmt.Sprintf("threads:      %d → %d", cur.Threads, to.Threads),
		fmt.Sprintf("only if: the ConfigMap is unchanged%s", rvNote(cur.ResourceVersion)),
	}
	if cur.Threads == to.Threads {
		d.lines[1] += " (unchanged)"
	}
	if m.deps.DryRun {
		d.lines = append(d.lines, "DRY-RUN: validated, not persisted")
	}
	m.dialog = d
	return m, nil
}

// rvNote is " (resourceVersion RV)", or nothing for an object read without
// one (the demo's fake clientset).
func rvNote(rv string) string {
	if rv == "" {
		return ""
	}
	return " (resourceVersion " + rv + ")"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func reasonSummaryOf(rs []core.Reason) string {
	codes := make([]string, 0, len(rs))
	for _, r := range rs {
		codes = append(codes, string(r.Code))
	}
	return "DuckDB sizing: " + strings.Join(codes, ", ")
}

// handleDialogKey answers the open dialog.
func (m Model) handleDialogKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	d, res := m.dialog.Update(msg, m.keys)
	switch res {
	case dialogOpen:
		m.dialog = &d
		if d.kind == dialogBypass && (key.Matches(msg, m.keys.Confirm) || key.Matches(msg, m.keys.Press)) {
			m.status = "y and enter do not bypass the cooldown: press B to bypass it, esc cancels"
		}
		return m, nil
	case dialogCancelled:
		m.dialog = nil
		m.status = d.kind.String() + " cancelled: nothing changed"
		return m, nil
	case dialogConfirmed:
	}
	m.dialog = nil
	switch d.kind {
	case dialogScale, dialogPin, dialogUnpin, dialogBypass:
		return m.confirmWrite(d)
	case dialogAuto:
		m.autoWanted = true
		m.leaseGen++
		if m.releasing > 0 {
			// Release stops whatever campaign runs when it gets there:
			// campaign again only once the previous one is given up.
			m.acquireQueued = true
			m.addLog(m.now, logInfo, "auto-apply requested: asking for the Lease once the previous one is released")
			return m, nil
		}
		m.addLog(m.now, logInfo, "auto-apply requested: asking for the Lease")
		return m, m.acquireLeaseCmd()
	case dialogDuckDB:
		return m.startWrite(m.duckDBCmd(d.duck))
	}
	return m, nil
}

// confirmWrite acts on a confirmed scale, pin, unpin or bypass dialog,
// after re-checking what may have changed while it was open:
//
//  1. An approved decision must still be the live one, from a fresh poll:
//     if its numbers changed or it went stale, nothing is written and the
//     status says why (the dialog showed what no longer holds).
//  2. A change the cooldown blocks now needs the bypass confirmation, even
//     if it did not block when the dialog opened.
//  3. A change the cooldown blocked when the dialog opened, and no longer
//     does, is applied without the bypass: no bypass is recorded that was
//     not needed, and the event log says so.
func (m Model) confirmWrite(d dialog) (tea.Model, tea.Cmd) {
	if d.approve {
		if why := m.approvalChanged(d); why != "" {
			// The footer's status expires; the event log keeps that the
			// approval was dropped, for whoever looks back.
			m.status = why
			m.addLog(m.now, logFailed, why)
			return m, nil
		}
	}
	blocks := m.cooldownBlocks(d.dir)
	if d.kind != dialogBypass && blocks {
		m.dialog = m.bypassDialog(d)
		return m, nil
	}
	kind, what := d.kind, m.writeName(d)
	if kind == dialogBypass {
		kind = d.bypassOf
	}
	switch {
	case blocks: // a confirmed bypass the cooldown still needs
		m.addLog(m.now, logInfo, fmt.Sprintf("cooldown bypass confirmed by %s for %s", m.deps.User, what))
		if kind == dialogScale {
			d.scale.BypassCooldown = true
		} else {
			d.pin.Reason += " (cooldown bypassed)"
		}
	case d.blocked:
		m.addLog(m.now, logInfo, fmt.Sprintf("the cooldown ended while the dialog was open: %s applied without a bypass (none recorded)", what))
	}
	if kind == dialogScale {
		return m.startWrite(m.scaleCmd(d.scale))
	}
	return m.startWrite(m.pinCmd(d.pin))
}

// writeName names the write of a scale, pin or unpin dialog for the log.
func (m *Model) writeName(d dialog) string {
	kind := d.kind
	if kind == dialogBypass {
		kind = d.bypassOf
	}
	switch kind {
	case dialogPin:
		return fmt.Sprintf("the pin at %d", d.pin.Replicas)
	case dialogUnpin:
		return "the unpin"
	case dialogScale, dialogBypass, dialogAuto, dialogDuckDB:
	}
	return fmt.Sprintf("%d → %d", d.scale.From, d.scale.To)
}

// bypassDialog is the second confirmation of a change the cooldown blocks.
// It carries the request unflagged: confirmWrite flags it only if the
// cooldown still blocks when the bypass is confirmed. A scale records the
// bypass in its request (BypassCooldown); a PinRequest has no such field,
// so a pin or an unpin records it in its reason.
func (m *Model) bypassDialog(d dialog) *dialog {
	b := &dialog{kind: dialogBypass, confirm: "Bypass", bypassOf: d.kind, scale: d.scale, pin: d.pin,
		approve: d.approve, blocked: true, dir: d.dir}
	b.title = "Bypass the cooldown?"
	what := fmt.Sprintf("scaling %d → %d", d.scale.From, d.scale.To)
	record := fmt.Sprintf("This is recorded with the change (bypassCooldown, by %s).", m.deps.User)
	switch d.kind {
	case dialogPin:
		what = fmt.Sprintf("pinning at %d (from %d replicas)", d.pin.Replicas, m.state.Replicas)
		record = fmt.Sprintf("This is recorded with the change (its reason says cooldown bypassed, by %s).", m.deps.User)
	case dialogUnpin:
		what = "unpinning (the restored bounds move the replicas)"
		record = fmt.Sprintf("This is recorded with the change (its reason says cooldown bypassed, by %s).", m.deps.User)
	case dialogScale, dialogBypass, dialogAuto, dialogDuckDB:
	}
	b.lines = append([]string{
		fmt.Sprintf("The cooldown exists to stop flapping; %s now goes through it.", what),
		record,
	}, d.lines[:2]...)
	b.lines = append(b.lines, "Press B to bypass the cooldown, esc cancels; y and enter do nothing here.")
	return b
}

// startWrite runs a write and shows the spinner until it returns.
func (m Model) startWrite(cmd tea.Cmd) (tea.Model, tea.Cmd) {
	m.writing++
	return m, cmd
}

// handleApplied logs the result of a write.
func (m Model) handleApplied(msg appliedMsg) (tea.Model, tea.Cmd) {
	m.writing = max(m.writing-1, 0)
	who, retry := "", ""
	if msg.auto {
		who = "auto: "
		m.autoRefused = ""
		if msg.err != nil || !msg.res.Applied {
			m.autoRefused = msg.autoKey
			retry = "; not retried until the decision or the cluster changes"
		}
	}
	switch {
	case msg.err != nil && msg.res.Applied: // part of it stands: say so first
		partial := msg.partial
		if partial == "" {
			partial = "then failed"
		}
		m.addLog(msg.now, logFailed, fmt.Sprintf("%s%s: applied; %s: %s", who, msg.what, partial, msg.err.Error()))
	case msg.err != nil:
		m.addLog(msg.now, logFailed, who+"not applied: "+msg.err.Error()+retry)
	case !msg.res.Applied:
		m.addLog(msg.now, logFailed, fmt.Sprintf("%snot applied: %s: %s%s", who, msg.what, msg.res.Message, retry))
	case msg.res.DryRun:
		m.addLog(msg.now, logApplied, fmt.Sprintf("%sdry-run: %s would apply via %s", who, msg.what, msg.res.Via))
	default:
		text := fmt.Sprintf("%s%s via %s", who, msg.what, msg.res.Via)
		if msg.res.Message != "" {
			text += ": " + msg.res.Message
		}
		m.addLog(msg.now, logApplied, text)
	}
	// Read the result back at once, so the header shows what was written:
	// a whole poll, or only the cluster state while polling is paused (or
	// a poll that may have started before the write is in flight).
	if m.paused || m.polling {
		return m, m.stateCmd()
	}
	return m, m.startPoll()
}

// handleLease follows the Lease campaign; losing the Lease stops
// auto-apply at once (autoActive reads lease.Held).
func (m Model) handleLease(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case leaseStartedMsg:
		if msg.gen != m.leaseGen || !m.autoWanted {
			if msg.cancel != nil {
				msg.cancel()
			}
			return m, nil
		}
		if msg.err != nil {
			m.autoWanted = false
			m.addLog(m.now, logFailed, "auto-apply off: "+msg.err.Error())
			return m, nil
		}
		m.leaseCancel, m.leaseCh = msg.cancel, msg.ch
		return m, waitLeaseCmd(msg.ch, msg.gen)
	case leaseMsg:
		if msg.gen != m.leaseGen {
			return m, nil
		}
		if msg.closed {
			if m.lease.Held {
				m.addLog(m.now, logFailed, "Lease campaign ended: auto-apply stopped")
			}
			m.lease = core.LeaseStatus{}
			m.autoWanted = false
			return m, nil
		}
		was := m.lease.Held
		m.lease = msg.status
		m.holder = msg.status.Holder
		switch {
		case msg.status.Held && !was:
			m.addLog(m.now, logInfo, "Lease acquired: auto-apply on")
		case !msg.status.Held && was:
			m.addLog(m.now, logFailed, fmt.Sprintf("Lease lost to %s: auto-apply stopped", orNone(msg.status.Holder)))
		}
		var cmds []tea.Cmd
		if m.lease.Held {
			cmds = append(cmds, m.autoApply())
		}
		cmds = append(cmds, waitLeaseCmd(m.leaseCh, msg.gen))
		return m, tea.Batch(cmds...)
	}
	return m, nil
}

// releaseLease stops the campaign at once and returns the Cmd that gives
// the Lease up: k8s's Release waits for the campaign to end (up to 10 s),
// which must not freeze the screen, so it never runs inside Update.
func (m *Model) releaseLease() tea.Cmd {
	m.leaseGen++
	if m.leaseCancel != nil {
		m.leaseCancel()
		m.leaseCancel = nil
	}
	m.leaseCh = nil
	release := m.deps.Lease != nil && (m.lease.Held || m.autoWanted)
	m.lease = core.LeaseStatus{}
	if !release {
		return nil
	}
	m.releasing++
	return releaseLeaseCmd(m.deps.Lease)
}

// handleReleased follows a finished Release: a campaign asked for
// meanwhile starts now.
func (m Model) handleReleased() (tea.Model, tea.Cmd) {
	m.releasing = max(m.releasing-1, 0)
	m.addLog(m.now, logInfo, "Lease released")
	if m.releasing == 0 && m.acquireQueued && m.autoWanted {
		m.acquireQueued = false
		m.addLog(m.now, logInfo, "asking for the Lease")
		return m, m.acquireLeaseCmd()
	}
	return m, nil
}

// autoHeldWhy says why auto-apply is held back from the decision in memory,
// for the badge, "" when it is not: polling is paused, the latest poll
// failed to read the metrics or the cluster state (the decision would rest
// on old replicas, readiness or last-scale record), or no poll has come for
// as long as the data counts as fresh (the header says STALE too). Between
// two polls the decision is older than one interval without being held
// back: autoCurrent refuses to act on it, and the next poll acts.
func (m *Model) autoHeldWhy() string {
	d := m.decision
	switch {
	case d == nil:
		return ""
	case m.paused:
		return "polling is paused; p resumes"
	case !m.pollOK:
		return m.pollFailure()
	case m.now.Sub(d.At) > m.staleLimit():
		return fmt.Sprintf("the decision is %s old; waiting for the next poll", m.now.Sub(d.At).Truncate(time.Second))
	}
	return ""
}

// autoCurrent reports whether auto-apply may act on the decision in memory:
// nothing holds it back (autoHeldWhy) and it comes from the latest poll,
// no older than one interval.
func (m *Model) autoCurrent() bool {
	d := m.decision
	return d != nil && m.autoHeldWhy() == "" && m.now.Sub(d.At) <= m.deps.Interval
}

// autoApply applies the decision when auto-apply is on, the Lease is held,
// the decision is current (autoCurrent), made for the replicas the cluster
// state has now, and allows it, nothing else is being
// written, the user has not rejected it and the HPA is not pinned (the
// actuator refuses to scale a pinned HPA, so trying would only fill the log
// every poll). Every refused write is a Warning Event in the cluster, so it
// never sends a write k8s is known to refuse: not the one refused last
// (until the decision or the cluster changes), not a scale-up the HPA's
// minReplicas already brings about (hpaArranged), and not a scale-down the
// HPA's minReplicas already allows (the HPA decides scale-downs itself).
func (m *Model) autoApply() tea.Cmd {
	d := m.decision
	// The state read back after a write can be newer than the decision:
	// act only on a decision made for the replicas there are now.
	if !m.autoActive() || d == nil || m.state == nil || !m.autoCurrent() || !d.AutoApply || d.Target == d.Current ||
		d.Current != m.state.Replicas ||
		m.writing > 0 || m.rejected == decisionKey(*d) || m.readOnly() || m.state.HPA.Pinned() {
		return nil
	}
	key := autoWriteKey(*d, *m.state)
	if key == m.autoRefused {
		return nil
	}
	if why := m.hpaArranged(d.Current, d.Target); why != "" {
		if m.autoSkipped != key {
			m.autoSkipped = key
			m.addLog(m.now, logInfo, fmt.Sprintf("auto: nothing written for %d → %d: %s", d.Current, d.Target, why))
		}
		return nil
	}
	if h := m.state.HPA; h != nil && d.Target < d.Current && h.Bounds.Min <= d.Target {
		if m.autoSkipped != key {
			m.autoSkipped = key
			m.addLog(m.now, logInfo, fmt.Sprintf("auto: HPA %s decides scale-downs: its minReplicas %d already allows %d, so nothing is written for %d → %d",
				h.Name, h.Bounds.Min, d.Target, d.Current, d.Target))
		}
		return nil
	}
	req := m.scaleRequest(d.Target, "auto-apply: "+reasonSummary(*d))
	req.Auto = true
	m.writing++
	cmd := m.scaleCmd(req)
	return func() tea.Msg {
		msg := cmd()
		if a, ok := msg.(appliedMsg); ok {
			a.autoKey = key
			return a
		}
		return msg
	}
}

// autoWriteKey identifies an automatic write: the decision and the cluster
// state k8s judges it by (replicas, HPA bounds).
func autoWriteKey(d core.Decision, cs core.ClusterState) string {
	k := fmt.Sprintf("%s replicas %d", decisionKey(d), cs.Replicas)
	if h := cs.HPA; h != nil {
		k += fmt.Sprintf(" hpa %s %d..%d", h.Name, h.Bounds.Min, h.Bounds.Max)
	}
	return k
}

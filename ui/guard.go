package ui

import (
	"fmt"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// Guards: what the dashboard checks before it acts on the decision in
// memory. The product rule is that the dashboard never acts on stale or
// missing data: approving the decision (a) and auto-apply both need it to
// come from a fresh poll. An override (o) or a pin (P) is the human's own
// number and stays possible, but its dialog says when the data is stale.

// staleWhy says why the decision in memory does not come from a fresh poll,
// "" when it does: there is no decision or cluster state yet, polling is
// paused, the latest poll failed to read the metrics or the cluster state,
// or the data is older than the freshness limit (the header says STALE).
func (m *Model) staleWhy() string {
	d := m.decision
	limit := m.staleLimit()
	switch {
	case d == nil || m.state == nil || m.snap == nil:
		return "no decision from the metrics and the cluster state yet"
	case m.paused:
		return "polling paused"
	case !m.pollOK:
		return m.pollFailure()
	case m.now.Sub(d.At) > limit || m.now.Sub(m.lastPoll) > limit:
		return fmt.Sprintf("STALE: no fresh poll for more than %s", shortDuration(limit))
	}
	return ""
}

// staleRemedy says what brings a fresh decision back.
func (m *Model) staleRemedy() string {
	if m.paused {
		return "press p to resume and approve the fresh decision"
	}
	return "approve once a poll succeeds and the decision is fresh"
}

// decisionAge says when the decision in memory was made: "12:01:02, 1m ago".
func (m *Model) decisionAge() string {
	if m.decision == nil {
		return "never"
	}
	at := m.decision.At
	return fmt.Sprintf("%s, %s ago", at.Format("15:04:05"), shortDuration(max(m.now.Sub(at), 0).Truncate(time.Second)))
}

// staleRefusal is the status line of an approve refused on stale data, ""
// when the decision is fresh.
func (m *Model) staleRefusal() string {
	why := m.staleWhy()
	if why == "" {
		return ""
	}
	if m.decision == nil {
		return "not approved: " + why
	}
	return fmt.Sprintf("not approved: the decision is from %s (%s): %s", m.decisionAge(), why, m.staleRemedy())
}

// staleNote is the line a dialog shows while the data is stale, "" while it
// is fresh: an approved decision is refused at confirmation, a count the
// user typed goes ahead on the user's word. It is rendered live, from the
// model's clock, not frozen when the dialog opened.
func (m *Model) staleNote(approve bool) string {
	why := m.staleWhy()
	if why == "" {
		return ""
	}
	if approve {
		return fmt.Sprintf("STALE DATA: the decision is from %s (%s); confirming is refused: %s",
			m.decisionAge(), why, m.staleRemedy())
	}
	return fmt.Sprintf("STALE DATA: the latest decision is from %s (%s); this count is yours, not checked against fresh metrics",
		m.decisionAge(), why)
}

// dialogLive are the lines of the open dialog that follow the live state,
// re-rendered at every View from the model's clock: the cooldown countdown
// and the data's freshness.
func (m *Model) dialogLive(d *dialog) []string {
	var out []string
	switch d.kind {
	case dialogScale, dialogPin, dialogUnpin, dialogBypass:
		if s := m.cooldownNote(d); s != "" {
			out = append(out, s)
		}
		if s := m.staleNote(d.approve); s != "" {
			out = append(out, s)
		}
	case dialogAuto, dialogDuckDB:
	}
	return out
}

// cooldownNote is the live cooldown line of a scale, pin, unpin or bypass
// dialog: the countdown while the cooldown blocks the change, or that it
// ended, "" when it never blocked.
func (m *Model) cooldownNote(d *dialog) string {
	left, blocks := m.cooldownLeft(d.dir)
	switch {
	case blocks && d.kind == dialogBypass:
		return fmt.Sprintf("BLOCKED: the cooldown blocks scale-%s for %s more", d.dir, mmss(left))
	case blocks:
		return fmt.Sprintf("BLOCKED: the cooldown blocks scale-%s for %s more; confirming asks a second time to bypass it",
			d.dir, mmss(left))
	case d.blocked && d.kind == dialogBypass:
		return "the cooldown has ended: B applies the change without a bypass (none is recorded)"
	case d.blocked:
		return "the cooldown has ended: confirming applies without a bypass (none is recorded)"
	}
	return ""
}

// approvalOf is what approving decision d writes: its target, or what the
// cooldown holds back (Proposed); ok is false when there is nothing to
// approve.
func approvalOf(d core.Decision) (to int32, ok bool) {
	switch {
	case d.Target != d.Current:
		return d.Target, true
	case cooldownBlocked(d) && d.Proposed != d.Current:
		return d.Proposed, true
	}
	return d.Current, false
}

// approvalChanged says why an approve dialog's scale may no longer be
// written, "" when it may: the live decision is not from a fresh poll, or
// it no longer asks for the scale the dialog showed.
func (m *Model) approvalChanged(d dialog) string {
	if s := m.staleRefusal(); s != "" {
		return s
	}
	live := *m.decision
	to, ok := approvalOf(live)
	if why := m.hpaArranged(live.Current, to); ok && why != "" {
		return "not applied: nothing to approve now: " + why
	}
	if ok && live.Current == d.scale.From && to == d.scale.To {
		return ""
	}
	now := fmt.Sprintf("%d → %d", live.Current, to)
	if !ok {
		now = fmt.Sprintf("%s at %d", live.Action, live.Current)
	}
	return fmt.Sprintf("not applied: the decision changed while the dialog was open (now %s); review it and approve again", now)
}

// hpaArranged says how the HPA already brings the Deployment from current
// to replicas, "" when it does not: an HPA (not pinned) whose minReplicas is
// at least the target of a scale-up. After a scale-up through the HPA raised
// minReplicas, the Deployment keeps its old count until the HPA's next sync
// (about 15 s); meanwhile the decision still says scale up, and a write
// would be refused by k8s (minReplicas already covers it) with a Warning
// Event. Approve and auto-apply therefore send nothing, and the Decision
// panel says the scale-up waits for the HPA.
func (m *Model) hpaArranged(current, to int32) string {
	if m.state == nil || to <= current {
		return ""
	}
	h := m.state.HPA
	if h == nil || h.Pinned() || h.Bounds.Min < to {
		return ""
	}
	s := fmt.Sprintf("HPA %s's minReplicas %d already brings %s to %d within one sync", h.Name, h.Bounds.Min, m.deps.Deployment, h.Bounds.Min)
	if h.Bounds.Min != to {
		s += fmt.Sprintf(", which covers %d", to)
	}
	return s
}

// hpaArrangedDecision is hpaArranged for what approving the decision in
// memory would write.
func (m *Model) hpaArrangedDecision() string {
	if m.decision == nil {
		return ""
	}
	to, ok := approvalOf(*m.decision)
	if !ok {
		return ""
	}
	return m.hpaArranged(m.decision.Current, to)
}

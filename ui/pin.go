package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// Pinning the HPA (key P). An HPA that targets the Deployment undoes direct
// replica writes, so kimiscale scales through its minReplicas; a pin goes
// further and sets minReplicas = maxReplicas = N, which holds the
// Deployment at exactly N whatever the HPA's metrics say. The actuator
// keeps the HPA's original bounds in an annotation on the HPA and restores
// them on unpin; while pinned it refuses to scale (cannotScale says so
// before the user gets that far). P is therefore one key with two faces:
// unpinned, it opens the replica-count field (shared with override) and
// then the pin confirmation; pinned, it opens the unpin confirmation.

// annotationPinnedFrom is the HPA annotation that keeps the bounds a pin
// replaced (k8s.AnnotationPinnedFrom; ui does not import k8s). The dialog
// names it so the user knows where the original bounds live.
const annotationPinnedFrom = "kimiscale.kimiclaw.io/pinned-from"

// hasHPA reports whether an HPA targets the Deployment.
func (m *Model) hasHPA() bool { return m.state != nil && m.state.HPA != nil }

// pinHPA answers P: the pin field when the HPA is not pinned, the unpin
// confirmation when it is, or a status line saying why neither is possible.
// Read-only consoles never get here: the key is disabled and handleKey
// gives the read-only reason.
func (m Model) pinHPA() (tea.Model, tea.Cmd) {
	switch {
	case m.state == nil:
		m.status = "nothing to pin yet: waiting for the cluster state"
		return m, nil
	case m.state.HPA == nil:
		m.status = fmt.Sprintf("no HPA targets %s: pinning needs one (scale it with a or o instead)", m.deps.Deployment)
		return m, nil
	case m.access != nil && !m.access.HPA:
		verb := "pin"
		if m.state.HPA.Pinned() {
			verb = "unpin"
		}
		m.status = fmt.Sprintf("cannot %s HPA %s: missing permission patch horizontalpodautoscalers", verb, m.state.HPA.Name)
		return m, nil
	}
	h := *m.state.HPA
	if h.Pinned() {
		m.dialog = m.unpinDialog(h)
		return m, nil
	}
	prefill := m.state.Replicas
	if m.decision != nil {
		prefill = m.decision.Target
	}
	p := m.deps.Policy
	in := newCountInput(countPin, min(max(prefill, p.MinReplicas), p.MaxReplicas), m.state.Replicas, p.MinReplicas, p.MaxReplicas)
	in.hpa = h
	m.input = &in
	return m, nil
}

// pinDialog builds the confirmation of pinning HPA h at n replicas.
func (m *Model) pinDialog(h core.HPAState, n int32) *dialog {
	b := h.Bounds
	req := core.PinRequest{Replicas: n, By: m.deps.User,
		Reason: fmt.Sprintf("pin by %s: HPA %s at %d (was %d..%d)", m.deps.User, h.Name, n, b.Min, b.Max)}
	dir := core.ScaleRequest{From: m.state.Replicas, To: n}.Direction()
	d := &dialog{kind: dialogPin, confirm: "Pin", pin: req, dir: dir}
	d.title = fmt.Sprintf("Pin HPA %s at %d replicas?", h.Name, n)
	d.lines = []string{
		fmt.Sprintf("change:  HPA %s minReplicas %d→%d, maxReplicas %d→%d (original %d..%d saved in annotation %s)",
			h.Name, b.Min, n, b.Max, n, b.Min, b.Max, annotationPinnedFrom),
		fmt.Sprintf("effect:  the HPA holds deployment/%s at exactly %d replicas (now %d) until you unpin with P; scaling is refused meanwhile",
			m.deps.Deployment, n, m.state.Replicas),
		"reason:  " + req.Reason,
		"by:      " + m.deps.User,
	}
	if n > b.Max || n < b.Min {
		d.lines = append(d.lines, fmt.Sprintf("note:    %d is outside the HPA's bounds %d..%d: the pin overrides them", n, b.Min, b.Max))
	}
	if m.deps.DryRun {
		d.lines = append(d.lines, "DRY-RUN: the API server validates the change but does not persist it")
	}
	d.blocked = m.cooldownBlocks(dir)
	return d
}

// unpinDialog builds the confirmation of restoring pinned HPA h's bounds.
// The request carries no replica count: the actuator restores the bounds
// saved in the annotation, whatever the HPA is pinned at. Restored bounds
// that exclude the current count move the replicas at the HPA's next sync
// (pinned at 4, restoring 8..10 is a scale-up 4 → 8), so an unpin goes
// through the same cooldown check, and bypass confirmation, as a pin.
func (m *Model) unpinDialog(h core.HPAState) *dialog {
	from := *h.PinnedFrom
	req := core.PinRequest{Unpin: true, By: m.deps.User,
		Reason: fmt.Sprintf("unpin by %s: HPA %s back to %d..%d", m.deps.User, h.Name, from.Min, from.Max)}
	cur := m.state.Replicas
	to := min(max(cur, from.Min), from.Max)
	dir := core.ScaleRequest{From: cur, To: to}.Direction()
	d := &dialog{kind: dialogUnpin, confirm: "Unpin", pin: req, dir: dir, blocked: m.cooldownBlocks(dir)}
	d.title = fmt.Sprintf("Unpin HPA %s?", h.Name)
	d.lines = []string{
		fmt.Sprintf("change:  restore HPA bounds %d..%d (minReplicas %d→%d, maxReplicas %d→%d); remove annotation %s",
			from.Min, from.Max, h.Bounds.Min, from.Min, h.Bounds.Max, from.Max, annotationPinnedFrom),
		fmt.Sprintf("effect:  the HPA decides the replicas again from its metrics, within %d..%d (now %d)", from.Min, from.Max, m.state.Replicas),
		"reason:  " + req.Reason,
		"by:      " + m.deps.User,
	}
	if to != cur {
		d.lines = append(d.lines, fmt.Sprintf("moves:   the restored bounds take deployment/%s from %d to %d replicas at the HPA's next sync (a scale-%s)",
			m.deps.Deployment, cur, to, dir))
	}
	if m.deps.DryRun {
		d.lines = append(d.lines, "DRY-RUN: the API server validates the change but does not persist it")
	}
	return d
}

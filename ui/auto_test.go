package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// held sends the Lease-held status of the model's campaign.
func held(t *testing.T, m Model) Model {
	t.Helper()
	return send(t, m, leaseMsg{gen: m.leaseGen, status: core.LeaseStatus{Held: true, Holder: "alice@laptop"}})
}

func TestAutoApplyNeedsFreshDecision(t *testing.T) {
	t.Run("paused for 2h then the Lease arrives", func(t *testing.T) {
		r := newRig()
		m := keys(t, r.model(t, 120, 40, nil), "p") // core.Decide: CPU 74% wants a scale-up
		r.clk.Step(2 * time.Hour)
		m = tick(t, r, m, t0)
		m = held(t, keys(t, m, "A", "y"))
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v on a 2-hour-old decision while paused", r.actuator.scales)
		}
		if !strings.Contains(text(m), "[AUTO PAUSED: polling is paused") {
			t.Errorf("the badge does not say why auto-apply waits:\n%s", text(m))
		}
	})
	t.Run("decision older than one interval", func(t *testing.T) {
		r := newRig()
		m := r.model(t, 120, 40, scaleUp)
		r.clk.Step(time.Minute)
		m = update(t, m, tickMsg{tag: m.tickTag, now: r.clk.Now(), wall: t0}) // the poll it starts never returns
		m = held(t, keys(t, m, "A", "y"))
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v on a decision 1m old (interval 15s)", r.actuator.scales)
		}
		if !strings.Contains(text(m), "the decision is 1m0s old") {
			t.Errorf("the badge does not say the decision is old:\n%s", text(m))
		}
	})
	t.Run("cluster state failed", func(t *testing.T) {
		r := newRig()
		m := held(t, keys(t, r.model(t, 120, 40, maintain), "A", "y"))
		m.decide = scaleUp
		r.cluster.err = errors.New("the server is currently unable to handle the request")
		r.clk.Step(15 * time.Second)
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v with the cluster state of the poll before", r.actuator.scales)
		}
		if !strings.Contains(text(m), "[AUTO PAUSED: the last poll failed") {
			t.Errorf("the badge does not say the poll failed:\n%s", text(m))
		}
		r.cluster.err = nil
		r.clk.Step(15 * time.Second)
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) == 0 || !r.actuator.scales[0].Auto || r.actuator.scales[0].To != 4 {
			t.Fatalf("after a good poll: scales %+v, want an automatic 3 → 4", r.actuator.scales)
		}
	})
	t.Run("metrics failed", func(t *testing.T) {
		r := newRig()
		m := held(t, keys(t, r.model(t, 120, 40, maintain), "A", "y"))
		m.decide = scaleUp
		r.metrics.err = errors.New("prometheus: connection refused")
		r.clk.Step(15 * time.Second)
		m = send(t, m, m.pollCmd()())
		if len(r.actuator.scales) != 0 {
			t.Fatalf("auto-apply wrote %+v with the snapshot of the poll before", r.actuator.scales)
		}
	})
}

package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// Every call to the outside world (metrics, API server, Lease) runs inside a
// tea.Cmd and comes back as one of these messages, so a slow Prometheus or
// API server shows a spinner, never a frozen screen. "Now" is read from
// deps.Clock inside the Cmd and carried in the message: the demo's clock is
// simulated, so the wall-clock time of a tea.Tick is not the dashboard's now.

// tickMsg is the dashboard's heartbeat: it advances now (freshness, the
// cooldown countdown) and starts a poll when deps.Interval of the
// dashboard's time has passed since the last one. now is read from
// deps.Clock; wall is the tick's wall-clock time, used only to learn how fast
// the dashboard's clock runs (the demo's runs 60 times faster), so that
// polls follow the dashboard's time however fast it runs. tag guards against
// a second tick loop: only the loop with the current tag continues.
type tickMsg struct {
	tag  int
	now  time.Time
	wall time.Time
}

// pollMsg is one poll: metrics, cluster state and events.
type pollMsg struct {
	now       time.Time
	snap      core.Snapshot
	snapErr   error
	state     core.ClusterState
	stateErr  error
	events    []core.ClusterEvent
	eventsErr error
	// holder is who holds the auto-apply Lease, read when this console
	// does not campaign for it; holderOK says it was read.
	holder   string
	holderOK bool
}

// stateMsg is a read of the cluster state alone, after a write.
type stateMsg struct {
	now   time.Time
	state core.ClusterState
	err   error
}

// backfillMsg carries the history read at start.
type backfillMsg struct {
	now  time.Time
	data map[core.Metric][]core.Sample
	err  error
}

// accessMsg says which writes the user may make.
type accessMsg struct {
	access core.Access
	err    error
}

// leaseStartedMsg is the result of asking for the Lease.
type leaseStartedMsg struct {
	gen    int
	ch     <-chan core.LeaseStatus
	cancel context.CancelFunc
	err    error
}

// leaseMsg is a status of the Lease campaign; closed when it ended.
type leaseMsg struct {
	gen    int
	status core.LeaseStatus
	closed bool
}

// leaseReleasedMsg says Release returned: the Lease is given up.
type leaseReleasedMsg struct{}

// releaseLeaseCmd gives the Lease up.
func releaseLeaseCmd(l LeaseHolder) tea.Cmd {
	return func() tea.Msg {
		l.Release()
		return leaseReleasedMsg{}
	}
}

// holderMsg names who holds the Lease, when this console does not campaign.
type holderMsg struct {
	holder string
	err    error
}

// appliedMsg is the result of a write.
type appliedMsg struct {
	now  time.Time
	what string // "scale 3 → 4", "DuckDB settings", ...
	auto bool
	// autoKey identifies an automatic write (autoWriteKey), so a refused
	// one is not sent again until the decision or the cluster changes.
	autoKey string
	// partial names what failed when res.Applied comes with an error
	// (a DuckDB change applied whose rolling restart failed).
	partial string
	res     core.ApplyResult
	err     error
}

// ioTimeout bounds one call to the outside world.
func (m *Model) ioTimeout() time.Duration { return max(2*m.deps.Interval, 10*time.Second) }

// Bounds of the heartbeat's wall-clock period. The floor bounds the redraw
// rate when the dashboard's clock runs fast (the demo's, 60×: a poll every
// 30 s of its time rather than every 15 s, which keeps readings well inside
// the freshness limit and the dashboard under a few % of a core).
const (
	minTick = 500 * time.Millisecond
	maxTick = time.Second
)

// tickCmd schedules the next heartbeat after d of wall-clock time.
func (m Model) tickCmd(d time.Duration) tea.Cmd {
	clk, tag := m.deps.Clock, m.tickTag
	return tea.Tick(d, func(wall time.Time) tea.Msg { return tickMsg{tag: tag, now: clk.Now(), wall: wall} })
}

// nextTick is the wall-clock delay to the next heartbeat: a second, or less
// when the next poll is due sooner at the clock's observed rate.
func (m Model) nextTick() time.Duration {
	d := maxTick
	if m.rate > 0 && !m.paused {
		until := m.lastPollStart.Add(m.deps.Interval).Sub(m.now)
		d = min(d, time.Duration(float64(until)/m.rate))
	}
	return max(d, minTick)
}

// pollCmd reads metrics, cluster state and the events since a time.
func (m Model) pollCmd() tea.Cmd {
	d, timeout, since, askHolder := m.deps, m.ioTimeout(), m.eventsSince, !m.autoWanted && m.holderDue()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		msg := pollMsg{now: d.Clock.Now()}
		if d.Metrics == nil {
			msg.snapErr = errors.New("no metrics source")
		} else if msg.snap, msg.snapErr = d.Metrics.Poll(ctx); msg.snapErr != nil {
			msg.snapErr = fmt.Errorf("poll metrics: %w", msg.snapErr)
		}
		if d.Cluster == nil {
			msg.stateErr = errors.New("no cluster reader")
			return msg
		}
		if msg.state, msg.stateErr = d.Cluster.State(ctx); msg.stateErr != nil {
			msg.stateErr = fmt.Errorf("read cluster state: %w", msg.stateErr)
		}
		if msg.events, msg.eventsErr = d.Cluster.Events(ctx, since); msg.eventsErr != nil {
			msg.eventsErr = fmt.Errorf("read events: %w", msg.eventsErr)
		}
		if askHolder && d.Lease != nil {
			h, err := d.Lease.Holder(ctx)
			msg.holder, msg.holderOK = h, err == nil
		}
		return msg
	}
}

// stateCmd reads the cluster state alone: after a write while polling is
// paused, so the header shows what was written without new metrics.
func (m Model) stateCmd() tea.Cmd {
	c, clk, timeout := m.deps.Cluster, m.deps.Clock, m.ioTimeout()
	if c == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		msg := stateMsg{now: clk.Now()}
		if msg.state, msg.err = c.State(ctx); msg.err != nil {
			msg.err = fmt.Errorf("read cluster state: %w", msg.err)
		}
		return msg
	}
}

// backfillCmd reads deps.Backfill of history at start.
func (m Model) backfillCmd() tea.Cmd {
	d, timeout := m.deps, 2*m.ioTimeout()
	return func() tea.Msg {
		now := d.Clock.Now()
		if d.Metrics == nil || d.Backfill <= 0 {
			return backfillMsg{now: now}
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		data, err := d.Metrics.Backfill(ctx, now.Add(-d.Backfill), now, d.Interval)
		if err != nil {
			err = fmt.Errorf("backfill %s of history: %w", d.Backfill, err)
		}
		return backfillMsg{now: now, data: data, err: err}
	}
}

// accessCmd asks which writes the user may make.
func (m Model) accessCmd() tea.Cmd {
	ac, timeout := m.deps.Access, m.ioTimeout()
	if ac == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		a, err := ac.Access(ctx)
		if err != nil {
			err = fmt.Errorf("check access: %w", err)
		}
		return accessMsg{access: a, err: err}
	}
}

// holderCmd asks who holds the Lease.
func (m Model) holderCmd() tea.Cmd {
	l, timeout := m.deps.Lease, m.ioTimeout()
	if l == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		h, err := l.Holder(ctx)
		return holderMsg{holder: h, err: err}
	}
}

// acquireLeaseCmd starts campaigning for the Lease. The campaign's context
// lives until the Model releases it (auto-apply off, or quit).
func (m Model) acquireLeaseCmd() tea.Cmd {
	l, gen := m.deps.Lease, m.leaseGen
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := l.Acquire(ctx)
		if err != nil {
			cancel()
			return leaseStartedMsg{gen: gen, err: fmt.Errorf("acquire the auto-apply Lease: %w", err)}
		}
		return leaseStartedMsg{gen: gen, ch: ch, cancel: cancel}
	}
}

// waitLeaseCmd waits for the next status of the campaign.
func waitLeaseCmd(ch <-chan core.LeaseStatus, gen int) tea.Cmd {
	return func() tea.Msg {
		s, ok := <-ch
		return leaseMsg{gen: gen, status: s, closed: !ok}
	}
}

// scaleCmd applies a replica change.
func (m Model) scaleCmd(req core.ScaleRequest) tea.Cmd {
	a, clk, timeout := m.deps.Actuator, m.deps.Clock, m.ioTimeout()
	what := fmt.Sprintf("scale %d → %d", req.From, req.To)
	if req.BypassCooldown {
		what += " (cooldown bypassed)"
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		res, err := a.Scale(ctx, req)
		if err != nil {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return appliedMsg{now: clk.Now(), what: what, auto: req.Auto, res: res, err: err}
	}
}

// pinCmd pins or unpins the HPA.
func (m Model) pinCmd(req core.PinRequest) tea.Cmd {
	a, clk, timeout := m.deps.Actuator, m.deps.Clock, m.ioTimeout()
	name := "the HPA"
	if m.state != nil && m.state.HPA != nil {
		name = "HPA " + m.state.HPA.Name
	}
	what := fmt.Sprintf("pin %s at %d", name, req.Replicas)
	if req.Unpin {
		what = "unpin " + name
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		res, err := a.Pin(ctx, req)
		if err != nil {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return appliedMsg{now: clk.Now(), what: what, res: res, err: err}
	}
}

// duckDBCmd applies DuckDB settings.
func (m Model) duckDBCmd(req core.DuckDBRequest) tea.Cmd {
	a, clk, timeout := m.deps.Actuator, m.deps.Clock, 2*m.ioTimeout()
	what := fmt.Sprintf("DuckDB memory_limit %s, threads %d", req.To.MemoryLimit, req.To.Threads)
	if req.Restart {
		what += " + rolling restart"
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		res, err := a.ApplyDuckDB(ctx, req)
		if err != nil && res.Applied {
			// The ConfigMap changed; only the restart failed.
			return appliedMsg{now: clk.Now(), what: what, res: res, err: err, partial: "rolling restart failed"}
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return appliedMsg{now: clk.Now(), what: what, res: res, err: err}
	}
}

package sim

import (
	"fmt"

	"github.com/kimiclaw/kimiscale/core"
)

// seedHistory is how many samples of each metric the seed's history keeps:
// an hour of 15 s polls, as the dashboard keeps, more than the forecast's
// points need.
const seedHistory = 240

// seed runs core.Decide every step exactly as the dashboard with auto-apply
// does: the readings go into the bounded history, the decision's Target is
// applied, and its recommendation, scale event and LastScale are recorded
// for the next decision.
type seed struct {
	e         *env
	history   *core.History
	scales    core.ScaleHistory
	lastScale *core.LastScale
	last      core.Decision
}

func newSeed(e *env) (*seed, error) {
	if _, err := core.NewForecaster(e.policy.Forecast); err != nil {
		return nil, fmt.Errorf("seed policy: %w", err)
	}
	return &seed{e: e, history: core.NewHistory(seedHistory)}, nil
}

func (s *seed) decide(i int, r Reading) (int32, error) {
	now := s.e.at(i)
	snap := r.Snapshot()
	s.history.Add(snap)
	d := core.Decide(core.Input{
		Policy:       s.e.policy,
		Current:      r.Replicas,
		Ready:        r.Ready,
		Snapshot:     snap,
		History:      s.history,
		Scales:       s.scales,
		LastScale:    s.lastScale,
		PollInterval: s.e.step,
	}, now)
	s.last = d
	s.scales.Observe(d)
	if d.Target != r.Replicas {
		s.scales.RecordScale(r.Replicas, d.Target, now)
		s.lastScale = &core.LastScale{
			At:        now,
			Direction: direction(r.Replicas, d.Target),
			From:      r.Replicas,
			To:        d.Target,
			By:        "sim/seed",
			Reason:    string(d.Action),
		}
	}
	s.scales.Prune(now, s.e.policy.Behavior)
	return d.Target, nil
}

func direction(from, to int32) core.Direction {
	switch {
	case to > from:
		return core.DirectionUp
	case to < from:
		return core.DirectionDown
	}
	return core.DirectionNone
}

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
	// readings is reused by every step's snapshot: Decide and History.Add
	// read it and keep nothing of it.
	readings map[core.Metric]core.Reading
}

func newSeed(e *env) (*seed, error) {
	if _, err := core.NewForecaster(e.policy.Forecast); err != nil {
		return nil, fmt.Errorf("seed policy: %w", err)
	}
	return &seed{e: e, history: core.NewHistory(seedHistory), readings: make(map[core.Metric]core.Reading, 4)}, nil
}

func (s *seed) decide(i int, r Reading) (int32, error) {
	now := s.e.at(i)
	for _, m := range [...]struct {
		metric core.Metric
		value  float64
	}{{core.MetricCPU, r.CPU}, {core.MetricMemory, r.Memory}, {core.MetricQPS, r.QPS}, {core.MetricConnections, r.Connections}} {
		s.readings[m.metric] = core.Reading{Value: m.value, At: now, State: core.ReadingOK}
		// What History.Add does with an OK reading, without ranging
		// over the map.
		s.history.Series(m.metric).Push(core.Sample{At: now, Value: m.value})
	}
	snap := core.Snapshot{At: now, Readings: s.readings}
	d := core.Decide(core.Input{
		Policy:       s.e.policy,
		Current:      r.Replicas,
		Ready:        r.Ready,
		Snapshot:     snap,
		History:      s.history,
		Scales:       s.scales,
		LastScale:    s.lastScale,
		PollInterval: s.e.step,
		// The simulator shows neither the plain HPA's verdict (its own hpa
		// policy is that), nor a forecast chart, nor the reasons' sentences
		// and the metrics' status; none of them changes the decision.
		SkipHPADesired:   true,
		SkipForecastPath: true,
		SkipExplanation:  true,
	}, now)
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

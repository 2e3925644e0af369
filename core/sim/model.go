package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// Derived-metric constants of the simulated kimiclaw-db; see the package
// comment for why these values.
const (
	// MemoryBase is the memory utilization of an idle replica.
	MemoryBase = 0.30
	// MemoryPerUtil is the memory utilization added per unit of CPU
	// utilization.
	MemoryPerUtil = 0.10
	// QPSPerReplica is what one replica serves at 100 % CPU.
	QPSPerReplica = 2000.0
	// QuerySeconds is the mean time a query holds a connection.
	QuerySeconds = 0.5
	// Epsilon is the relative tolerance of every comparison of a
	// utilization with a threshold.
	Epsilon = 1e-9
)

// DefaultStartup is how long a new replica takes to become ready.
const DefaultStartup = 60 * time.Second

// DefaultStep is how often the policies decide (the dashboard's poll
// interval).
const DefaultStep = 15 * time.Second

// Above reports whether utilization u is above threshold x, allowing the
// relative Epsilon: u lands on x often, a few ulps either side.
func Above(u, x float64) bool { return u > x*(1+Epsilon) }

// Reading is the simulated kimiclaw-db at one instant.
type Reading struct {
	At       time.Time
	Demand   float64
	Replicas int32 // requested (spec.replicas)
	Ready    int32
	// CPU and Memory are utilization of the pods' requests (0.70 is 70 %).
	CPU    float64
	Memory float64
	// QPS and Connections are totals over the ready replicas.
	QPS         float64
	Connections float64
}

// Snapshot is the reading as a metrics source reports it to core.Decide:
// all four metrics OK, stamped with the reading's time.
func (r Reading) Snapshot() core.Snapshot {
	ok := func(v float64) core.Reading { return core.Reading{Value: v, At: r.At, State: core.ReadingOK} }
	return core.Snapshot{At: r.At, Readings: map[core.Metric]core.Reading{
		core.MetricCPU:         ok(r.CPU),
		core.MetricMemory:      ok(r.Memory),
		core.MetricQPS:         ok(r.QPS),
		core.MetricConnections: ok(r.Connections),
	}}
}

// Model is the simulated kimiclaw-db: replicas that start after a delay and
// stop at once, serving a demand. It holds at most one entry per replica, so
// its memory is bounded by the replica count. The zero value is not usable;
// use NewModel.
type Model struct {
	capacity float64
	startup  time.Duration
	// readyAt holds each replica's ready time, oldest request first; it is
	// sorted because every request waits the same startup.
	readyAt []time.Time
}

// NewModel returns a model with replicas already ready at now.
func NewModel(capacity float64, startup time.Duration, replicas int32, now time.Time) (*Model, error) {
	if !(capacity > 0) || math.IsInf(capacity, 0) {
		return nil, fmt.Errorf("capacity must be a positive number of demand units per replica, got %v", capacity)
	}
	if startup < 0 {
		return nil, fmt.Errorf("startup delay must be zero or positive, got %s", startup)
	}
	if replicas < 0 {
		return nil, fmt.Errorf("replicas must be zero or positive, got %d", replicas)
	}
	m := &Model{capacity: capacity, startup: startup, readyAt: make([]time.Time, replicas)}
	for i := range m.readyAt {
		m.readyAt[i] = now
	}
	return m, nil
}

// Capacity is the demand one replica serves at 100 % CPU.
func (m *Model) Capacity() float64 { return m.capacity }

// Startup is the delay before a new replica is ready.
func (m *Model) Startup() time.Duration { return m.startup }

// Replicas is the number of replicas requested (ready or starting).
func (m *Model) Replicas() int32 { return int32(len(m.readyAt)) }

// Ready is the number of replicas ready at now.
func (m *Model) Ready(now time.Time) int32 {
	// readyAt is sorted: count from the oldest.
	n := 0
	for n < len(m.readyAt) && !m.readyAt[n].After(now) {
		n++
	}
	return int32(n)
}

// ReadyTimes appends each replica's ready time, oldest request first, to dst.
func (m *Model) ReadyTimes(dst []time.Time) []time.Time { return append(dst, m.readyAt...) }

// Scale sets the requested replicas at now: new ones become ready at
// now + Startup; removed ones (the newest first) stop at once.
func (m *Model) Scale(to int32, now time.Time) error {
	if to < 0 {
		return errors.New("replicas must be zero or positive")
	}
	for int32(len(m.readyAt)) < to {
		m.readyAt = append(m.readyAt, now.Add(m.startup))
	}
	m.readyAt = m.readyAt[:to]
	return nil
}

// Observe returns the readings at now under demand.
func (m *Model) Observe(demand float64, now time.Time) Reading {
	ready := m.Ready(now)
	u := Utilization(demand, ready, m.capacity)
	qps := QPSPerReplica * demand / m.capacity
	return Reading{
		At:          now,
		Demand:      demand,
		Replicas:    m.Replicas(),
		Ready:       ready,
		CPU:         u,
		Memory:      MemoryBase + MemoryPerUtil*u,
		QPS:         qps,
		Connections: QuerySeconds * qps,
	}
}

// Utilization is demand / (ready × capacity), or demand / capacity when no
// replica is ready (the load one replica would face), so it stays finite.
func Utilization(demand float64, ready int32, capacity float64) float64 {
	return demand / (float64(max(ready, 1)) * capacity)
}

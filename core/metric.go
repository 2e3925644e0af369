package core

import (
	"fmt"
	"math"
	"time"
)

// Metric names one of the four load signals kimiclaw-db is scaled on.
type Metric string

// The metrics of the seed's policy table.
const (
	MetricCPU         Metric = "cpu"
	MetricMemory      Metric = "memory"
	MetricQPS         Metric = "qps"
	MetricConnections Metric = "connections"
)

// Metrics lists every metric in display order.
func Metrics() []Metric {
	return []Metric{MetricCPU, MetricMemory, MetricQPS, MetricConnections}
}

// Valid reports whether m is one of the known metrics.
func (m Metric) Valid() bool {
	switch m {
	case MetricCPU, MetricMemory, MetricQPS, MetricConnections:
		return true
	}
	return false
}

// Utilization reports whether the metric is a fraction of the pods' requests
// (CPU, memory) rather than an absolute rate or count (QPS, connections).
func (m Metric) Utilization() bool { return m == MetricCPU || m == MetricMemory }

// Sample is one timestamped value.
type Sample struct {
	At    time.Time `json:"t"`
	Value float64   `json:"v"`
}

// ReadingState says whether a source could produce a value for a metric.
type ReadingState int

// Reading states. Staleness is not a state a source sets: core derives it
// from the reading's timestamp and the caller's now.
const (
	// ReadingOK is a value the source read successfully.
	ReadingOK ReadingState = iota
	// ReadingUnavailable is a metric this source cannot provide at all
	// (e.g. QPS from metrics.k8s.io); it is shown as unavailable, never as 0.
	ReadingUnavailable
	// ReadingEmpty is a query that returned no series.
	ReadingEmpty
	// ReadingError is a query that failed; Detail says how.
	ReadingError
)

// String implements fmt.Stringer.
func (s ReadingState) String() string {
	switch s {
	case ReadingOK:
		return "ok"
	case ReadingUnavailable:
		return "unavailable"
	case ReadingEmpty:
		return "no data"
	case ReadingError:
		return "error"
	}
	return fmt.Sprintf("ReadingState(%d)", int(s))
}

// Reading is the latest value of one metric as a source reported it.
type Reading struct {
	Value  float64      `json:"value"`
	At     time.Time    `json:"at"`
	State  ReadingState `json:"state"`
	Detail string       `json:"detail,omitempty"` // why it is not OK, in words; never contains secrets
}

// Snapshot is one poll of every metric.
type Snapshot struct {
	At       time.Time          `json:"at"`
	Readings map[Metric]Reading `json:"readings"`
}

// Freshness is the verdict on one reading at a given time.
type Freshness struct {
	Usable bool
	Age    time.Duration
	// Why is empty when Usable, else a short sentence such as
	// "stale for 45s", "no data", "query error: ...", "value is NaN".
	Why string
}

// Freshness judges a reading at now: it is usable when the source read it,
// it is a finite number, and it is no older than maxAge.
func (r Reading) Freshness(now time.Time, maxAge time.Duration) Freshness {
	f := Freshness{Age: now.Sub(r.At)}
	switch {
	case r.State == ReadingError:
		f.Why = "query error: " + r.Detail
	case r.State != ReadingOK:
		f.Why = r.State.String()
		if r.Detail != "" {
			f.Why += ": " + r.Detail
		}
	case r.At.IsZero():
		f.Why = "no timestamp"
	case math.IsNaN(r.Value):
		f.Why = "value is NaN"
	case math.IsInf(r.Value, 0):
		f.Why = "value is infinite"
	case f.Age > maxAge:
		f.Why = "stale for " + f.Age.Truncate(time.Second).String()
	case f.Age < -maxAge:
		f.Why = "timestamp " + (-f.Age).Truncate(time.Second).String() + " in the future"
	default:
		f.Usable = true
	}
	return f
}

package ui

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/utils/clock"

	"github.com/kimiclaw/kimiscale/core"
)

// The dashboard's view of the world, declared here at the consumer. The real
// implementations live in metrics/ (Prometheus, metrics.k8s.io) and k8s/
// (client-go); the demo cluster (demo/) supplies a fake clientset to the same
// k8s/ code and a trace-driven MetricsSource, so the demo exercises the real
// actuation path.

// MetricsSource reads kimiclaw-db's load.
type MetricsSource interface {
	// Poll reads the latest value of every metric. A metric the source could
	// not read is a Reading with a non-OK state, not an error; the error is
	// for a poll that failed as a whole.
	Poll(ctx context.Context) (core.Snapshot, error)
	// Backfill reads the history between from and to at step, for the
	// forecast and the charts.
	Backfill(ctx context.Context, from, to time.Time, step time.Duration) (map[core.Metric][]core.Sample, error)
}

// ClusterReader reads the Deployment, its HPA, ConfigMap, VPA and annotations.
type ClusterReader interface {
	State(ctx context.Context) (core.ClusterState, error)
	// Events lists kimiscale's writes recorded on the Deployment since t,
	// by any console, oldest first.
	Events(ctx context.Context, since time.Time) ([]core.ClusterEvent, error)
}

// Actuator writes changes. Each call either applies the change and records
// it (annotation, Event, audit log) or returns an error saying why not.
type Actuator interface {
	// Scale changes replicas, through the HPA when one targets the Deployment.
	Scale(ctx context.Context, req core.ScaleRequest) (core.ApplyResult, error)
	// Pin pins or unpins the HPA.
	Pin(ctx context.Context, req core.PinRequest) (core.ApplyResult, error)
	// ApplyDuckDB updates duckdb-config and, if asked, restarts the pods.
	ApplyDuckDB(ctx context.Context, req core.DuckDBRequest) (core.ApplyResult, error)
}

// AccessChecker says which writes the user may make.
type AccessChecker interface {
	Access(ctx context.Context) (core.Access, error)
}

// LeaseHolder campaigns for the auto-apply Lease.
type LeaseHolder interface {
	// Acquire starts campaigning; statuses arrive on the channel (held,
	// lost, who holds it) until Release is called or ctx ends, when it is
	// closed.
	Acquire(ctx context.Context) (<-chan core.LeaseStatus, error)
	// Release gives the Lease up.
	Release()
	// Holder names who holds the Lease now, "" if nobody.
	Holder(ctx context.Context) (string, error)
}

// Deps is everything cmd/ builds and hands to New.
type Deps struct {
	Context    string // kubeconfig context, for the header
	Namespace  string
	Deployment string
	User       string // user@host, recorded with every write

	Metrics  MetricsSource
	Cluster  ClusterReader
	Actuator Actuator // nil: read-only
	Access   AccessChecker
	Lease    LeaseHolder // nil: auto-apply unavailable

	// Clock is the dashboard's time; the demo passes its simulated clock.
	Clock    clock.PassiveClock
	Policy   core.Policy
	Interval time.Duration // poll interval
	Backfill time.Duration // history to backfill at start

	DryRun   bool
	ReadOnly bool
	Auto     bool // start with auto-apply requested

	Logger *slog.Logger // never writes to the terminal
}

package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/utils/clock"

	"github.com/kimiclaw/kimiscale/core"
)

// maxPointsPerQuery keeps each query_range under Prometheus' limit of 11,000
// points per series; longer backfills are split into several queries.
const maxPointsPerQuery = 10000

// Prometheus reads the four metrics from a Prometheus-compatible query API
// (Prometheus, Thanos, Mimir, Cortex, VictoriaMetrics). It is safe for
// concurrent use.
type Prometheus struct {
	api             v1.API
	queries         map[core.Metric]string
	summaries       map[core.Metric]string
	timeout         time.Duration
	backfillTimeout time.Duration
	clock           clock.PassiveClock
	log             *slog.Logger
	desc            describer
}

// NewPrometheus validates cfg and returns a source. It does not contact
// Prometheus: the first Poll does, and reports any trouble in its readings.
func NewPrometheus(cfg PrometheusConfig) (*Prometheus, error) {
	cfg, u, err := cfg.validate()
	if err != nil {
		return nil, fmt.Errorf("prometheus config: %w", err)
	}
	queries, err := renderQueries(cfg.Queries, newQueryData(cfg.Namespace, cfg.PodRegex, cfg.Container, cfg.Range))
	if err != nil {
		return nil, fmt.Errorf("prometheus config: %w", err)
	}
	rt, err := cfg.transport()
	if err != nil {
		return nil, fmt.Errorf("prometheus config: %w", err)
	}
	client, err := api.NewClient(api.Config{Address: cfg.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	arc, _ := rt.(*authRoundTripper)
	summaries := make(map[core.Metric]string, len(queries))
	for m, q := range queries {
		summaries[m] = fmt.Sprintf("%s in namespace %q, pods =~ %q", summarize(q), cfg.Namespace, cfg.PodRegex)
	}
	return &Prometheus{
		api:             v1.NewAPI(client),
		queries:         queries,
		summaries:       summaries,
		timeout:         cfg.Timeout,
		backfillTimeout: cfg.BackfillTimeout,
		clock:           cfg.Clock,
		log:             cfg.Logger,
		desc:            describer{host: u.Host, timeout: cfg.Timeout, secrets: arc.secrets},
	}, nil
}

// Query returns the PromQL the source runs for m, after templating.
func (p *Prometheus) Query(m core.Metric) string { return p.queries[m] }

// Poll runs one instant query per metric, concurrently, all within the
// configured timeout. Each reading carries the timestamp Prometheus gave its
// sample; a query that failed or found nothing is a non-OK reading. Poll
// returns an error only when ctx ended before the poll finished.
func (p *Prometheus) Poll(ctx context.Context) (core.Snapshot, error) {
	now := p.clock.Now()
	qctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	ms := core.Metrics()
	readings := make([]core.Reading, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() { readings[i] = p.read(ctx, qctx, m, now) })
	}
	wg.Wait()
	snap := core.Snapshot{At: now, Readings: make(map[core.Metric]core.Reading, len(ms))}
	for i, m := range ms {
		snap.Readings[m] = readings[i]
	}
	if err := ctx.Err(); err != nil {
		return snap, fmt.Errorf("poll prometheus: %w", err)
	}
	return snap, nil
}

// read runs m's instant query. parent is the caller's context (to tell a
// cancellation from our timeout); qctx carries the poll's deadline.
func (p *Prometheus) read(parent, qctx context.Context, m core.Metric, now time.Time) core.Reading {
	val, warnings, _, err := p.api.Query(qctx, p.queries[m], time.Time{}, v1.WithTimeout(p.timeout))
	p.logWarnings(m, warnings)
	if err != nil {
		return core.Reading{At: now, State: core.ReadingError, Detail: p.desc.describe(parent, err)}
	}
	return p.reading(m, val, now)
}

func (p *Prometheus) logWarnings(m core.Metric, warnings v1.Warnings) {
	for _, w := range warnings {
		p.log.Warn("prometheus warning", "metric", string(m), "warning", p.desc.scrub(w))
	}
}

// reading turns an instant query's result into a reading. now stamps
// readings that have no sample.
func (p *Prometheus) reading(m core.Metric, val model.Value, now time.Time) core.Reading {
	bad := func(detail string) core.Reading {
		return core.Reading{At: now, State: core.ReadingError, Detail: detail}
	}
	switch v := val.(type) {
	case model.Vector:
		switch len(v) {
		case 0:
			return core.Reading{At: now, State: core.ReadingEmpty, Detail: "no series for " + p.summaries[m]}
		case 1:
			s := v[0]
			if s.Histogram != nil {
				return bad("query returned a native histogram, want a number")
			}
			// NaN and ±Inf stay as they are, State OK: core's
			// Freshness judges them (see the package doc).
			return core.Reading{Value: float64(s.Value), At: s.Timestamp.Time().UTC(), State: core.ReadingOK}
		default:
			return bad(manySeries(len(v), func(i int) model.Metric { return v[i].Metric }))
		}
	case *model.Scalar:
		return core.Reading{Value: float64(v.Value), At: v.Timestamp.Time().UTC(), State: core.ReadingOK}
	case nil:
		return bad("Prometheus answered with JSON that is not a query result (is the URL right?)")
	default:
		return bad(fmt.Sprintf("query returned a %s, want an instant vector with one series", v.Type()))
	}
}

// manySeries explains a result with n series where one was expected: a
// replaced query that does not aggregate, or pods from another workload
// matching the pod regex.
func manySeries(n int, label func(i int) model.Metric) string {
	var sets []string
	for i := range min(n, 3) {
		sets = append(sets, label(i).String())
	}
	more := ""
	if n > 3 {
		more = fmt.Sprintf(" and %d more", n-3)
	}
	return fmt.Sprintf("query returned %d series, want 1 (aggregate it, e.g. sum(...)): %s%s", n, strings.Join(sets, ", "), more)
}

// Backfill runs one query_range per metric (split into several when the
// range has more than 10,000 steps), concurrently, within the configured
// backfill timeout. Each metric's samples are in time order. A metric whose
// query found nothing is absent from the map; samples that are NaN or
// infinite are dropped (they would poison the forecast's fit; the chart shows
// a gap). The map holds every metric that could be read; the error, when not
// nil, joins a *QueryError per metric that could not.
func (p *Prometheus) Backfill(ctx context.Context, from, to time.Time, step time.Duration) (map[core.Metric][]core.Sample, error) {
	if step <= 0 {
		return nil, fmt.Errorf("backfill step %s: want a positive step such as 15s", step)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("backfill from %s to %s: the end is before the start", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	bctx, cancel := context.WithTimeout(ctx, p.backfillTimeout)
	defer cancel()
	ms := core.Metrics()
	samples := make([][]core.Sample, len(ms))
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() { samples[i], errs[i] = p.history(ctx, bctx, m, from, to, step) })
	}
	wg.Wait()
	out := make(map[core.Metric][]core.Sample, len(ms))
	for i, m := range ms {
		if len(samples[i]) > 0 {
			out[m] = samples[i]
		}
	}
	return out, errors.Join(errs...)
}

// history reads m between from and to in chunks of at most
// maxPointsPerQuery steps.
func (p *Prometheus) history(parent, bctx context.Context, m core.Metric, from, to time.Time, step time.Duration) ([]core.Sample, error) {
	var out []core.Sample
	for start := from; !start.After(to); {
		end := start.Add(step * (maxPointsPerQuery - 1))
		if end.After(to) {
			end = to
		}
		val, warnings, _, err := p.api.QueryRange(bctx, p.queries[m], v1.Range{Start: start, End: end, Step: step}, v1.WithTimeout(p.backfillTimeout))
		p.logWarnings(m, warnings)
		if err != nil {
			d := p.desc
			d.timeout = p.backfillTimeout
			return out, &QueryError{Metric: m, Detail: d.describe(parent, err), err: err}
		}
		s, err := matrixSamples(val)
		if err != nil {
			return out, &QueryError{Metric: m, Detail: err.Error(), err: err}
		}
		out = append(out, s...)
		start = end.Add(step)
	}
	return out, nil
}

// matrixSamples takes the finite samples of a range query's only series.
func matrixSamples(val model.Value) ([]core.Sample, error) {
	mat, ok := val.(model.Matrix)
	if !ok {
		if val == nil {
			return nil, errors.New("Prometheus answered with JSON that is not a query result (is the URL right?)")
		}
		return nil, fmt.Errorf("range query returned a %s, want a matrix", val.Type())
	}
	switch len(mat) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, errors.New(manySeries(len(mat), func(i int) model.Metric { return mat[i].Metric }))
	}
	vals := mat[0].Values
	out := make([]core.Sample, 0, len(vals))
	for _, v := range vals {
		f := float64(v.Value)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		out = append(out, core.Sample{At: v.Timestamp.Time().UTC(), Value: f})
	}
	return slices.Clip(out), nil
}

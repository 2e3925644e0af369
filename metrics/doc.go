// Package metrics is where kimiscale's numbers come from: a Prometheus
// source (instant queries per poll, query_range to backfill history) and a
// metrics.k8s.io fallback for CPU and memory when no Prometheus is given.
// Both satisfy the dashboard's MetricsSource interface (declared in ui/,
// which this package never imports).
//
// # Readings, not errors
//
// A poll never fails because one metric could not be read: each metric
// becomes a core.Reading whose State and Detail say what happened, in words
// an on-call engineer can act on ("Prometheus unreachable at HOST:
// connection refused", "timed out after 5s", "no series for ..."). Poll
// returns an error only when the caller's context ended.
//
// # Freshness is core's verdict
//
// A Reading carries the timestamp Prometheus gave the sample (the query's
// evaluation time), never the time kimiscale received it, so a Prometheus
// with a skewed or stuck clock shows up as stale or future data. NaN and
// ±Inf values are passed through as State OK with the value untouched:
// core.Reading.Freshness is the single place that judges a value unusable
// ("value is NaN", "value is infinite", "stale for 45s"), and Decide then
// refuses to scale down and pauses auto-apply. Callers that marshal readings
// to JSON must handle non-finite values themselves.
//
// # Stale series
//
// Prometheus writes staleness markers when a target stops answering or a
// series disappears, so an instant selector returns nothing at once and the
// reading becomes ReadingEmpty. Two holes remain, and the default queries
// close both (see DefaultQueries). A rate over a range goes on returning the
// old samples' rate for the whole range: a rate counts only while its raw
// series is present ("rate(x[r]) and x"). A series that vanished while
// Prometheus itself was down gets no marker, and an instant selector would
// return its last value for 5 minutes as if current: a gauge counts only
// with a sample within the range ("x and last_over_time(x[r])"). A stopped
// exporter thus empties every reading within a scrape or two, and a pod
// deleted during a Prometheus restart stops counting after one range.
//
// # Secrets
//
// Bearer tokens and passwords never appear in logs, error messages, Reading
// details or String output: PrometheusConfig prints only which kind of
// credential is set, URLs with credentials are refused, and every message
// built from a server's answer is scrubbed of the configured secrets.
package metrics

// Package demo is an embedded kimiclaw-db cluster for kubectl kimiscale
// --demo: no Kubernetes needed, and yet the dashboard runs through the same
// k8s/ code and the same ui.MetricsSource interface a real cluster uses.
//
// A Cluster holds client-go's fake clientset (with k8sfake's scale
// subresource and resourceVersion preconditions) seeded with what the seed
// design deploys: Deployment kimiclaw-db (container kimiclaw, selector
// app=kimiclaw-db), HorizontalPodAutoscaler kimiclaw-hpa (2..10 replicas, CPU
// 70 %, memory 80 %, kimiclaw_active_connections 8000 per pod, the seed's
// behaviour), ConfigMap duckdb-config (memory_limit 4GB, threads 4) and the
// pods.
//
// The load is the NASA July 1995 trace (TRACE-SOURCE.md), embedded, driving
// core/sim's simulated kimiclaw-db at an accelerated clock: Speed simulated
// seconds per wall second (default 60, one trace minute a second). Every
// simulated 15 s the cluster
//
//  1. takes the Deployment's spec.replicas as the simulated replica count,
//     so a write by kimiscale (through k8s/, via the HPA's minReplicas or
//     the scale subresource) changes the simulated load;
//  2. reads the simulated kimiclaw-db (CPU, memory, QPS, connections);
//  3. runs the HPA controller as Kubernetes does (core's replica calculator
//     and normalization on the HPA's own metrics, behaviour and current
//     bounds) and writes spec.replicas through the scale subresource, with
//     the HPA's status and conditions;
//  4. brings Deployment status and the pods in line: new pods become ready
//     after the startup delay (60 s), removed pods go at once, and a new
//     restartedAt on the pod template (a rollout restart, as kimiscale's
//     DuckDB apply makes) replaces the pods one at a time with maxSurge 1
//     and maxUnavailable 0, every replica serving throughout.
//
// Before the start the cluster replays two days of the trace through the
// same steps without the clientset, so Backfill has history (two daily
// seasons for Holt-Winters) from the first poll.
//
// Memory stays bounded however long it runs: readings live in a fixed ring
// (three days), the HPA's memory is pruned, and the fake clientset's record
// of actions is cleared every step.
package demo

// Package core is kimiscale's decision logic: the scaling policy, the
// Kubernetes-compatible HPA replica math, forecasting, cooldown, DuckDB sizing
// and Decide, which turns one Input into one Decision with its reasons.
//
// The contract of this package: standard library only, no I/O, no goroutines
// and no calls to time.Now. Every function that needs the current time takes
// it as a parameter, so every decision can be reproduced in a test from a fixed
// epoch. Callers (the UI, the simulator, the status command) own the clock.
package core

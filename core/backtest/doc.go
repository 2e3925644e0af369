// Package backtest evaluates forecast models on real load traces with a
// rolling-origin protocol, and reads those traces from CSV.
//
// Like core it is pure: no file or network I/O of its own (ReadTrace takes an
// io.Reader), no goroutines and no wall clock.
package backtest

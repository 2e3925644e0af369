//go:build race

package backtest

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = true

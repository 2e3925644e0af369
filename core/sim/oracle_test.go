package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// replay requests a fixed schedule, whatever it observes.
type replay []int32

func (r replay) decide(i int, _ Reading) (int32, error) { return r[i], nil }

// TestOracleIsOptimal checks the oracle against every schedule there is on
// short random traces: 1 to 4 replicas at each of 7 steps, with startups of
// 0 to 3 steps (40 s is not a whole number of 15 s steps). No schedule has
// fewer violation minutes, and none with as few costs fewer replica-minutes.
// The demand reaches 5 replicas at 100 % now and then, so some steps cannot
// be kept under 100 % by any schedule.
func TestOracleIsOptimal(t *testing.T) {
	p := core.DefaultPolicy()
	p.MinReplicas, p.MaxReplicas = 1, 4
	const steps = 7
	rng := rand.New(rand.NewPCG(1, 2))
	for _, startup := range []time.Duration{time.Nanosecond, 15 * time.Second, 30 * time.Second, 40 * time.Second} {
		for trial := range 12 {
			trace := make([]core.Sample, steps)
			for i := range trace {
				trace[i] = core.Sample{At: t0.Add(time.Duration(i) * 15 * time.Second), Value: float64(rng.IntN(500))}
			}
			name := fmt.Sprintf("startup %s trial %d", startup, trial)
			t.Run(name, func(t *testing.T) {
				e, err := newEnv(trace, Options{Policy: p, Capacity: 100, Startup: startup})
				if err != nil {
					t.Fatalf("newEnv() error = %v", err)
				}
				o, err := e.run(PolicyOracle, newOracle(e, 1))
				if err != nil {
					t.Fatalf("run(oracle) error = %v", err)
				}
				best := bestSchedule(t, e, p.MinReplicas, p.MaxReplicas)
				if o.ViolationMinutes != best.ViolationMinutes || o.ReplicaMinutes != best.ReplicaMinutes {
					t.Errorf("oracle = %v violation minutes at %v replica-minutes (%v), want the best schedule's %v at %v (%v); demand %v",
						o.ViolationMinutes, o.ReplicaMinutes, replicas(o), best.ViolationMinutes, best.ReplicaMinutes, replicas(best), e.demand)
				}
			})
		}
	}
}

// bestSchedule runs every schedule of lo..hi replicas and returns the run
// with the fewest violation minutes, then the fewest replica-minutes.
func bestSchedule(t *testing.T, e *env, lo, hi int32) PolicyResult {
	t.Helper()
	n := len(e.demand)
	sched := make(replay, n)
	for i := range sched {
		sched[i] = lo
	}
	var best PolicyResult
	found := false
	for {
		res, err := e.run("schedule", sched)
		if err != nil {
			t.Fatalf("run(%v) error = %v", sched, err)
		}
		if !found || res.ViolationMinutes < best.ViolationMinutes ||
			(res.ViolationMinutes == best.ViolationMinutes && res.ReplicaMinutes < best.ReplicaMinutes) {
			best, found = res, true
		}
		// The next schedule, as an odometer.
		i := 0
		for i < n && sched[i] == hi {
			sched[i] = lo
			i++
		}
		if i == n {
			return best
		}
		sched[i]++
	}
}

func replicas(r PolicyResult) []int32 {
	out := make([]int32, len(r.Timeline))
	for i, pt := range r.Timeline {
		out[i] = pt.Replicas
	}
	return out
}

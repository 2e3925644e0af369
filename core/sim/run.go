package sim

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kimiclaw/kimiscale/core"
)

// Policy names, as --compare spells them.
const (
	PolicySeed       = "seed"
	PolicyHPA        = "hpa"
	PolicyPredictive = "predictive"
	PolicyOracle     = "oracle"
)

// PolicyNames lists every policy Run compares, in the default order.
func PolicyNames() []string {
	return []string{PolicySeed, PolicyHPA, PolicyPredictive, PolicyOracle}
}

// FlapWindow is how soon a reversal of direction counts as a flap.
const FlapWindow = 10 * time.Minute

// Options configure a run. Zero values take the documented defaults.
type Options struct {
	// Policy gives every simulated policy its bounds, CPU threshold, HPA
	// behaviour and tolerance; seed also its rules, forecast and cooldown.
	// The zero Policy means core.DefaultPolicy().
	Policy core.Policy
	// Compare names the policies to run, in the report's order; empty
	// means all of PolicyNames.
	Compare []string
	// Capacity is the demand one replica serves at 100 % CPU; zero means
	// the trace's peak demand / (max replicas × the CPU up-threshold),
	// whatever window From and To cut.
	Capacity float64
	// Startup is how long a new replica takes to be ready; zero means
	// DefaultStartup.
	Startup time.Duration
	// From and To cut a window [From, To) out of the trace; zero means the
	// trace's start and end (the last sample held for one interval).
	From, To time.Time
	// Step is how often the policies decide; zero means DefaultStep.
	Step time.Duration
	// Predictive tunes the predictive policy; nil means
	// DefaultPredictive().
	Predictive *PredictiveOptions
	// Timeline asks for each policy's step-by-step Timeline in the report.
	// Without it the report has the totals only: a month at 15 s steps is
	// 170 k points a policy, about 30 MB of memory for four.
	Timeline bool
}

// Report is the result of a run. Its JSON is the simulate contract.
type Report struct {
	From           time.Time      `json:"from"`
	To             time.Time      `json:"to"`
	StepSeconds    float64        `json:"step_seconds"`
	StartupSeconds float64        `json:"startup_seconds"`
	Capacity       float64        `json:"capacity"`
	Threshold      float64        `json:"threshold"` // the CPU up-threshold
	Policies       []PolicyResult `json:"policies"`
}

// PolicyResult is one policy's run.
type PolicyResult struct {
	Name                  string  `json:"name"`
	ViolationMinutes      float64 `json:"violation_minutes"`
	MinutesAboveThreshold float64 `json:"minutes_above_threshold"`
	ReplicaMinutes        float64 `json:"replica_minutes"`
	ScaleEvents           int     `json:"scale_events"`
	Flaps                 int     `json:"flaps"`
	MinReplicas           int32   `json:"min_replicas"`
	MaxReplicas           int32   `json:"max_replicas"`
	Timeline              []Point `json:"timeline"`
}

// Point is one step of a policy's run: the demand, the replicas ready at T
// and the utilization they ran at, and the replicas the policy requested
// after deciding at T (after a scale-down, fewer than were ready).
type Point struct {
	T           time.Time `json:"t"`
	Replicas    int32     `json:"replicas"`
	Ready       int32     `json:"ready"`
	Demand      float64   `json:"demand"`
	Utilization float64   `json:"utilization"`
}

// Result returns the result of the named policy and whether the report has it.
func (r Report) Result(name string) (PolicyResult, bool) {
	for _, p := range r.Policies {
		if p.Name == name {
			return p, true
		}
	}
	return PolicyResult{}, false
}

// Run replays trace (time-ordered samples of demand) through each policy of
// opts.Compare and reports how each did.
func Run(trace []core.Sample, opts Options) (Report, error) {
	env, err := newEnv(trace, opts)
	if err != nil {
		return Report{}, err
	}
	names := opts.Compare
	if len(names) == 0 {
		names = PolicyNames()
	}
	rep := Report{
		From:           env.start,
		To:             env.end,
		StepSeconds:    env.step.Seconds(),
		StartupSeconds: env.startup.Seconds(),
		Capacity:       env.capacity,
		Threshold:      env.threshold,
	}
	seen := make(map[string]bool, len(names))
	logs := make([]stepLog, 0, len(names))
	for _, name := range names {
		if seen[name] {
			return Report{}, fmt.Errorf("policy %q is listed twice in the comparison", name)
		}
		seen[name] = true
		ctl, err := env.controller(name, opts)
		if err != nil {
			return Report{}, err
		}
		res, log, err := env.runSteps(name, ctl)
		if err != nil {
			return Report{}, fmt.Errorf("policy %s: %w", name, err)
		}
		rep.Policies = append(rep.Policies, res)
		logs = append(logs, log)
	}
	// The timelines last: a Point holds a time.Time, which the garbage
	// collector scans, and while the other policies run it should not have
	// to scan a month of them.
	if opts.Timeline {
		for i := range rep.Policies {
			rep.Policies[i].Timeline = env.timeline(logs[i])
		}
	}
	return rep, nil
}

// env is what every policy of a run shares: the window cut into steps, the
// demand at each step and the model's parameters.
type env struct {
	policy    core.Policy
	threshold float64 // CPU up-threshold
	start     time.Time
	end       time.Time
	step      time.Duration
	startup   time.Duration
	capacity  float64
	// demand[i] is the demand during step i, at start + i×step.
	demand []float64
	// initial replicas, ready at start, for every policy.
	initial int32
}

func newEnv(trace []core.Sample, opts Options) (*env, error) {
	p := opts.Policy
	if p.MinReplicas == 0 && p.MaxReplicas == 0 && len(p.Rules) == 0 {
		p = core.DefaultPolicy()
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	cpu, ok := p.Rule(core.MetricCPU)
	if !ok || !(cpu.Up > 0) {
		return nil, errors.New("policy has no CPU rule with a positive scale-up threshold: the simulator scales on CPU")
	}
	e := &env{policy: p, threshold: cpu.Up, step: opts.Step, startup: opts.Startup, capacity: opts.Capacity}
	if e.step == 0 {
		e.step = DefaultStep
	}
	if e.step < time.Second {
		return nil, fmt.Errorf("step %s: want at least 1s", opts.Step)
	}
	if e.startup == 0 {
		e.startup = DefaultStartup
	}
	if e.startup < 0 {
		return nil, fmt.Errorf("startup %s: want a positive delay (e.g. 60s)", opts.Startup)
	}
	if opts.Capacity < 0 || math.IsNaN(opts.Capacity) || math.IsInf(opts.Capacity, 0) {
		return nil, fmt.Errorf("capacity %v: want a positive number of demand units per replica, or 0 for the default", opts.Capacity)
	}
	if len(trace) == 0 {
		return nil, errors.New("trace is empty: want at least one sample")
	}
	for i := 1; i < len(trace); i++ {
		if !trace[i].At.After(trace[i-1].At) {
			return nil, fmt.Errorf("trace sample %d at %s is not after the previous one; want strictly increasing timestamps",
				i, trace[i].At.Format(time.RFC3339))
		}
	}
	for i, s := range trace {
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || s.Value < 0 {
			return nil, fmt.Errorf("trace sample %d at %s has demand %v: want a finite number >= 0",
				i, s.At.Format(time.RFC3339), s.Value)
		}
	}

	// The trace ends one interval after its last sample.
	last := e.step
	if n := len(trace); n > 1 {
		last = trace[n-1].At.Sub(trace[n-2].At)
	}
	traceStart, traceEnd := trace[0].At, trace[len(trace)-1].At.Add(last)
	e.start, e.end = traceStart, traceEnd
	if !opts.From.IsZero() {
		e.start = opts.From
	}
	if !opts.To.IsZero() {
		e.end = opts.To
	}
	if e.start.Before(traceStart) || !e.start.Before(traceEnd) {
		return nil, fmt.Errorf("from %s is outside the trace: want a time in [%s, %s)",
			e.start.Format(time.RFC3339), traceStart.Format(time.RFC3339), traceEnd.Format(time.RFC3339))
	}
	if e.end.After(traceEnd) {
		return nil, fmt.Errorf("to %s is after the trace's end %s",
			e.end.Format(time.RFC3339), traceEnd.Format(time.RFC3339))
	}
	if !e.end.After(e.start) {
		return nil, fmt.Errorf("to %s is not after from %s: want a non-empty window",
			e.end.Format(time.RFC3339), e.start.Format(time.RFC3339))
	}

	// Demand at each step: the latest sample at or before it.
	n := int((e.end.Sub(e.start) + e.step - 1) / e.step)
	e.demand = make([]float64, n)
	j := 0
	for i := range e.demand {
		t := e.start.Add(time.Duration(i) * e.step)
		for j+1 < len(trace) && !trace[j+1].At.After(t) {
			j++
		}
		e.demand[i] = trace[j].Value
	}
	peak := 0.0
	for _, s := range trace {
		peak = max(peak, s.Value)
	}
	if e.capacity == 0 {
		if peak == 0 {
			return nil, errors.New("the trace's demand is zero throughout: no default capacity; pass a capacity")
		}
		e.capacity = peak / (float64(p.MaxReplicas) * e.threshold)
	}
	e.initial = e.need(e.demand[0])
	return e, nil
}

// need is the fewest replicas, within the bounds, that keep demand at or
// under the up-threshold.
func (e *env) need(demand float64) int32 {
	x := demand / (e.capacity * e.threshold)
	r := int32(math.Ceil(x * (1 - Epsilon)))
	return min(max(r, e.policy.MinReplicas), e.policy.MaxReplicas)
}

// peak is the highest demand of the window.
func (e *env) peak() float64 {
	peak := 0.0
	for _, d := range e.demand {
		peak = max(peak, d)
	}
	return peak
}

// at is the time of step i.
func (e *env) at(i int) time.Time { return e.start.Add(time.Duration(i) * e.step) }

// controller decides one policy's replicas step by step.
type controller interface {
	// decide returns the replicas to request at step i after observing r.
	decide(i int, r Reading) (int32, error)
}

func (e *env) controller(name string, opts Options) (controller, error) {
	switch name {
	case PolicySeed:
		return newSeed(e)
	case PolicyHPA:
		return newHPA(e), nil
	case PolicyPredictive:
		po := DefaultPredictive()
		if opts.Predictive != nil {
			po = *opts.Predictive
		}
		return newPredictive(e, po)
	case PolicyOracle:
		return newOracle(e, 1), nil
	}
	return nil, fmt.Errorf("unknown policy %q: valid policies are %s", name, strings.Join(PolicyNames(), ", "))
}

// stepLog is one policy's run step by step, in arrays without pointers (the
// demand is env's), from which timeline builds the Points.
type stepLog struct {
	replicas, ready []int32
	utilization     []float64
}

// timeline is the Points of a run.
func (e *env) timeline(l stepLog) []Point {
	tl := make([]Point, len(l.replicas))
	for i := range tl {
		tl[i] = Point{T: e.at(i), Replicas: l.replicas[i], Ready: l.ready[i], Demand: e.demand[i], Utilization: l.utilization[i]}
	}
	return tl
}

// run runs one policy with its timeline.
func (e *env) run(name string, ctl controller) (PolicyResult, error) {
	res, log, err := e.runSteps(name, ctl)
	if err != nil {
		return PolicyResult{}, err
	}
	res.Timeline = e.timeline(log)
	return res, nil
}

// runSteps runs one policy; the result has no timeline yet, the log has
// what it needs.
func (e *env) runSteps(name string, ctl controller) (PolicyResult, stepLog, error) {
	model, err := NewModel(e.capacity, e.startup, e.initial, e.start)
	if err != nil {
		return PolicyResult{}, stepLog{}, err
	}
	res := PolicyResult{
		Name:        name,
		MinReplicas: e.initial,
		MaxReplicas: e.initial,
	}
	log := stepLog{
		replicas:    make([]int32, len(e.demand)),
		ready:       make([]int32, len(e.demand)),
		utilization: make([]float64, len(e.demand)),
	}
	stepMin := e.step.Minutes()
	var (
		lastDir core.Direction
		lastAt  time.Time
	)
	for i, d := range e.demand {
		now := e.at(i)
		r := model.Observe(d, now)
		to, err := ctl.decide(i, r)
		if err != nil {
			return PolicyResult{}, stepLog{}, fmt.Errorf("step %d at %s: %w", i, now.Format(time.RFC3339), err)
		}
		if to != r.Replicas {
			dir := core.DirectionUp
			if to < r.Replicas {
				dir = core.DirectionDown
			}
			res.ScaleEvents++
			if lastDir != "" && dir != lastDir && now.Sub(lastAt) <= FlapWindow {
				res.Flaps++
			}
			lastDir, lastAt = dir, now
			if err := model.Scale(to, now); err != nil {
				return PolicyResult{}, stepLog{}, fmt.Errorf("step %d: %w", i, err)
			}
		}
		if Above(r.CPU, 1) {
			res.ViolationMinutes += stepMin
		}
		if Above(r.CPU, e.threshold) {
			res.MinutesAboveThreshold += stepMin
		}
		res.ReplicaMinutes += float64(to) * stepMin
		res.MinReplicas = min(res.MinReplicas, to)
		res.MaxReplicas = max(res.MaxReplicas, to)
		log.replicas[i], log.ready[i], log.utilization[i] = to, r.Ready, r.CPU
	}
	return res, log, nil
}

// oracle follows a plan computed from the whole window: the cheapest
// schedule, in replica-minutes, with the fewest steps above its ceiling
// (100 % for the policy Run compares: the fewest violation minutes) under
// the constraints every policy of the run shares: the bounds, the startup
// delay, the initial replicas and a decision every step. It ignores what
// only some policies impose on themselves (HPA stabilization windows and
// rate policies, the cooldown), which can only add cost, so no policy of
// the run can do better on both counts.
//
// Why the plan is that schedule. Let h[s] be the replicas requested at the
// decision of step s (what the step pays for) and k the startup in steps,
// rounded up (at least 1: a decision acts from the next step). Removing the
// newest replica first makes the replicas a stack, so the ready replicas
// observed at step j ≥ k are min(h[j−k..j−1]), and at j < k they are
// min(initial, h[0..j−1]) (a replica requested at s is ready only from
// s+k). Keeping step j at or under the ceiling with need[j] replicas is
// therefore h[s] ≥ need[j] for every s in [j−k, j−1]: the constraints fall
// on each h[s] apart, and the least h[s] is the most need of the steps
// s+1..s+k. A step no schedule can keep under the ceiling (more than the
// initial replicas needed before the first startup is over, or more than
// the maximum) asks for nothing: replicas bought for it would not change
// the count, only the cost.
type oracle struct{ plan []int32 }

// newOracle plans the oracle that keeps utilization at or under ceiling
// (a fraction: 1 is 100 %) wherever any schedule can.
func newOracle(e *env, ceiling float64) *oracle {
	k := max(int((e.startup+e.step-1)/e.step), 1)
	lo, hi := e.policy.MinReplicas, e.policy.MaxReplicas
	req := make([]int32, len(e.demand))
	for j, d := range e.demand {
		n := int32(min(math.Ceil(d/(e.capacity*ceiling)*(1-Epsilon)), math.MaxInt32))
		switch {
		case j == 0, n > hi, j < k && n > e.initial:
			// Step 0 is observed before any decision; the others cannot be
			// kept under the ceiling by any schedule.
			req[j] = 0
		default:
			req[j] = n
		}
	}
	// plan[s] = the most of req[s+1..s+k], within the bounds: a sliding
	// maximum, right to left, with a monotonic deque of indices.
	plan := make([]int32, len(req))
	dq := make([]int, 0, k+1)
	for s := len(req) - 1; s >= 0; s-- {
		if j := s + 1; j < len(req) {
			for len(dq) > 0 && req[dq[len(dq)-1]] <= req[j] {
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, j)
		}
		for len(dq) > 0 && dq[0] > s+k {
			dq = dq[1:]
		}
		most := int32(0)
		if len(dq) > 0 {
			most = req[dq[0]]
		}
		plan[s] = min(max(most, lo), hi)
	}
	return &oracle{plan: plan}
}

func (o *oracle) decide(i int, _ Reading) (int32, error) { return o.plan[i], nil }

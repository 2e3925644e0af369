// Package sim replays a real load trace through a simulated kimiclaw-db and
// compares scaling policies on the same run: how often each one let the
// service overload, and what it cost in replica-minutes.
//
// Like core it is pure: the standard library and core only, no I/O, no
// goroutines, no wall clock. Time is the trace's; nothing is ever slept.
//
// # The simulated kimiclaw-db (Model)
//
// Demand comes from the trace, in the trace's own units (NASA July: HTTP
// requests per minute), read as "QPS-equivalent" load. Each sample's value
// holds until the next sample (a step function, not interpolated: a trace
// minute is one measured count, and interpolating would invent ramps the
// service never saw). The last sample holds for one trace interval.
//
// Each replica serves Capacity units at 100 % CPU. A replica requested at t
// becomes ready at t + Startup (default 60 s); a removed replica stops at
// once, and removal takes the newest replica first (a not-ready one before a
// ready one, as a ReplicaSet does). The readings at time t, with u the CPU
// utilization:
//
//	u           = demand / (ready × Capacity)       (demand / Capacity when no replica is ready)
//	memory      = 0.30 + 0.10 × u                   (a fixed 30 % for DuckDB's buffers, plus working memory)
//	QPS         = 2000 × demand / Capacity          (total; one replica at 100 % CPU serves 2000 QPS)
//	connections = 0.5 s × QPS                       (total; Little's law with 0.5 s per query)
//
// Per ready replica QPS is therefore 2000 × u and connections 1000 × u. The
// constants are chosen so that with the seed's thresholds only CPU decides:
// memory, QPS and connections stay below their scale-down thresholds while
// u < 1 and reach their scale-up thresholds only at u > 4, so the policies
// are compared on CPU, as the Kubernetes HPA reference is.
//
// The default Capacity is the peak demand of the whole trace divided by
// (max replicas × the CPU up-threshold): the policy's bounds can just hold
// the peak. With the seed's 10 replicas and 70 % that is peak / 7. A window
// cut with From and To keeps the trace's capacity, so it is the same
// service under a slice of the same load.
//
// # Steps and metrics
//
// Every Step (default 15 s) each policy observes the readings at t (with the
// replicas ready at t) and then sets its replica count, which takes effect
// at once for removals and after Startup for additions. Per policy the
// Report counts, each step weighing Step:
//
//   - violation minutes: steps with u > 1 (overloaded);
//   - minutes above threshold: steps with u > the CPU up-threshold;
//   - replica-minutes: the replicas requested after the step's decision
//     (ready or starting: a starting pod is paid for);
//   - scale events: steps whose decision changed the replica count;
//   - flaps: scale events in the opposite direction of the previous one and
//     at most 10 minutes after it.
//
// Utilization lands exactly on the up-threshold often (the default capacity
// makes the peak exactly 70 % at 10 replicas, and demand counts are
// integers), where floating-point division lands a few ulps either side.
// Comparisons with a threshold therefore allow a relative epsilon of 1e-9
// (Epsilon): u counts as above x only when u > x × (1 + 1e-9).
//
// # Policies
//
//   - seed: core.Decide with the policy (DefaultPolicy: the seed's table,
//     linear forecast, HPA behaviour and cooldown), fed the readings and a
//     bounded history as the dashboard does, applying Decision.Target every
//     step and recording LastScale and ScaleHistory as the dashboard would.
//   - hpa: the Kubernetes HPA on CPU alone, as upstream computes it:
//     core.ResourceReplicas against the CPU up-threshold with the policy's
//     tolerance (utilization in whole percent of the requests, the ready
//     pods only, starting pods counted as idle on a scale-up), then
//     core.Normalize with the policy's behaviour and bounds (stabilization
//     windows hold the recommendations strictly newer than now − window).
//     No forecast, no cooldown.
//   - predictive: kimiscale's best; see Predictive.
//   - oracle: knows the whole window, demand and end. It requests, Startup
//     ahead, the fewest replicas that keep u at or under 100 % at every step
//     any schedule can keep there: no policy of the run has fewer violation
//     minutes, and none with as few has fewer replica-minutes. It shares the
//     constraints of the model: the bounds, the startup delay, the initial
//     replicas, one decision per step, utilization sampled at each step
//     before that step's decision (so it removes a replica right after the
//     last step that needs it, and its last decision, which no later step
//     observes, goes to the minimum). It ignores what the policies impose on
//     themselves (HPA stabilization windows and rate policies, the
//     cooldown), which can only add cost. It is not a schedule that keeps
//     u under the up-threshold: the threshold is headroom for not knowing
//     the future, which the oracle does not need. Steps no schedule can keep
//     under 100 % (demand above the maximum replicas' capacity, or above
//     the initial replicas' before the first startup is over) get no
//     replicas for them: buying some would not change the count.
//
// Every policy starts the window with the replicas that hold the first
// step's demand at the up-threshold, all ready.
package sim

package core

import "time"

// Action is what a Decision asks for. The strings are the JSON contract.
type Action string

// Actions.
const (
	ActionScaleUp   Action = "scale_up"
	ActionScaleDown Action = "scale_down"
	ActionMaintain  Action = "maintain" // nothing to do: load is within the thresholds
	ActionHold      Action = "hold"     // nothing may be done: no usable metrics
)

// ReasonCode is a typed, stable reason; the UI renders it verbatim beside
// its sentence.
type ReasonCode string

// Reason codes, one per pipeline step that can change or block a result.
const (
	ReasonMetricsStale           ReasonCode = "MetricsStale"         // no usable metric: hold
	ReasonMetricUnusable         ReasonCode = "MetricUnusable"       // one metric unusable: no scale-down, no auto-apply
	ReasonCPUAboveThreshold      ReasonCode = "CPUAboveThreshold"    // rule fired up
	ReasonMemoryAboveThreshold   ReasonCode = "MemoryAboveThreshold" // rule fired up
	ReasonQPSAboveThreshold      ReasonCode = "QPSAboveThreshold"    // rule fired up
	ReasonConnectionsAbove       ReasonCode = "ConnectionsAboveThreshold"
	ReasonAllBelowThreshold      ReasonCode = "AllBelowThreshold"      // every usable metric below its down threshold
	ReasonWithinThresholds       ReasonCode = "WithinThresholds"       // maintain
	ReasonForecastAbove          ReasonCode = "ForecastAboveThreshold" // predictive scale-up
	ReasonScaleUpStabilized      ReasonCode = "ScaleUpStabilized"
	ReasonScaleDownStabilized    ReasonCode = "ScaleDownStabilized"
	ReasonScaleUpLimit           ReasonCode = "ScaleUpLimit"
	ReasonScaleDownLimit         ReasonCode = "ScaleDownLimit"
	ReasonScalingDisabled        ReasonCode = "ScalingDisabled"        // selectPolicy Disabled
	ReasonTooFewReplicas         ReasonCode = "TooFewReplicas"         // clamped up to min
	ReasonTooManyReplicas        ReasonCode = "TooManyReplicas"        // clamped down to max
	ReasonCooldownAfterScaleUp   ReasonCode = "CooldownAfterScaleUp"   // scale-down blocked
	ReasonCooldownAfterScaleDown ReasonCode = "CooldownAfterScaleDown" // scale-up blocked
	ReasonCooldownBypassed       ReasonCode = "CooldownBypassed"
	ReasonOverride               ReasonCode = "Override"
	ReasonOverrideInvalid        ReasonCode = "OverrideInvalid"     // override outside the bounds: refused
	ReasonInvalidInput           ReasonCode = "InvalidInput"        // Decide's input is inconsistent: hold
	ReasonForecastUnavailable    ReasonCode = "ForecastUnavailable" // the forecast model failed; rules still apply
	// ReasonCooldownScaleDownPending says a recorded scale-down the replicas
	// do not show yet does not block this scale-up.
	ReasonCooldownScaleDownPending ReasonCode = "CooldownScaleDownPending"
	// ReasonClusterStateWarning says a cluster record is unreadable
	// (Input.Warnings): auto-apply pauses, a human may still approve.
	ReasonClusterStateWarning ReasonCode = "ClusterStateWarning"
)

// Reason is one step's verdict: a code and a sentence for humans.
type Reason struct {
	Code    ReasonCode `json:"code"`
	Message string     `json:"message"`
}

// Recommendation is a desired replica count recorded at a time, for the
// HPA's stabilization windows.
type Recommendation struct {
	At       time.Time `json:"at"`
	Replicas int32     `json:"replicas"`
}

// ScaleEvent is a change of replicas that happened (positive up, negative
// down), for the HPA's rate policies.
type ScaleEvent struct {
	At     time.Time `json:"at"`
	Change int32     `json:"change"`
}

// ScaleHistory is what the HPA algorithm remembers between decisions: recent
// recommendations and scale events. It is a value the caller keeps and feeds
// back into the next Input.
type ScaleHistory struct {
	Recommendations []Recommendation `json:"recommendations"`
	Events          []ScaleEvent     `json:"events"`
	// HPARecommendations are the plain HPA's own recommendations (see
	// Decision.HPARecommendation), so that Decision.HPADesired is stabilized
	// as the real HPA would stabilize it.
	HPARecommendations []Recommendation `json:"hpaRecommendations,omitempty"`
}

// Input is everything one decision depends on.
type Input struct {
	Policy   Policy
	Current  int32 // spec.replicas
	Ready    int32 // ready replicas, for per-replica averages
	Snapshot Snapshot
	// History feeds the forecast; nil disables it.
	History *History
	// Forecaster overrides the model named by the policy; nil uses the policy's.
	Forecaster Forecaster
	Scales     ScaleHistory
	LastScale  *LastScale
	// PollInterval is how often readings arrive; readings older than
	// Policy.StaleAfter intervals are unusable.
	PollInterval time.Duration
	// Override, when > 0, is a replica count a human typed; Decide validates
	// it against the bounds and the cooldown instead of running the rules.
	Override int32
	// BypassCooldown is set only when a human explicitly confirmed going
	// through the cooldown; the Decision reports it.
	BypassCooldown bool
	// Warnings are the problems found reading the cluster
	// (ClusterState.Warnings), one sentence each. Any warning pauses
	// auto-apply and adds a ReasonClusterStateWarning quoting it: an
	// unreadable last-scale record leaves the cooldown nothing to go on,
	// and an unreadable HPA annotation leaves kimiscale's own bookkeeping
	// unknown. The decision itself stands, for a human to approve.
	Warnings []string
	// SkipHPADesired leaves out the plain HPA's verdict beside the decision:
	// Decision.HPADesired is 0 and Decision.HPARecommendation is zero (so
	// ScaleHistory.Observe records none). Nothing else changes. For callers
	// that never show it, such as the replay simulator: it saves a second
	// Normalize per decision.
	SkipHPADesired bool
	// SkipForecastPath leaves Decision.Forecast.Path nil; the forecast's
	// value at the horizon, its interval and everything decided from them
	// are the same. For callers that draw no chart, such as the replay
	// simulator: the linear model then allocates no path.
	SkipForecastPath bool
	// SkipExplanation leaves out what explains the decision to a human:
	// every Reason keeps its code, in the same order, with an empty Message,
	// and Decision.Metrics is nil. The action, targets, recommendations,
	// cooldown, auto-apply verdict and forecast are the same. For callers
	// that show none of it, such as the replay simulator (172,800 decisions
	// a month): the sentences and the map are most of what Decide allocates.
	SkipExplanation bool
}

// MetricStatus is one metric as the decision saw it.
type MetricStatus struct {
	Value float64 `json:"value"`
	Up    float64 `json:"up"`
	Down  float64 `json:"down"`
	Fresh bool    `json:"fresh"`
	// Why is empty when Fresh, else why the metric is unusable.
	Why string        `json:"why,omitempty"`
	Age time.Duration `json:"-"`
}

// ForecastStatus is the forecast the decision used: the model's CPU
// forecast at the horizon and its 80 % band, all on one scale, the CPU
// metric's (utilization of the pods' requests, which exceeds 1.0 when the
// limits allow it), floored at 0, with Lower ≤ CPU ≤ Upper. It is not
// capped: the seed's cap (ForecastCap) applies only to the trigger and the
// sizing, and the ForecastAboveThreshold sentence says when it did.
type ForecastStatus struct {
	Model   string        `json:"model"`
	Horizon time.Duration `json:"-"`
	CPU     float64       `json:"cpu"`
	Lower   float64       `json:"lower"`
	Upper   float64       `json:"upper"`
	// Path is the forecast from now to the horizon, for the charts, on the
	// same scale and floored the same way; its last point is CPU, Lower
	// and Upper.
	Path []ForecastPoint `json:"-"`
}

// CooldownStatus says whether the cooldown blocks a direction, and for how long.
type CooldownStatus struct {
	Blocks    Direction     `json:"blocks"` // none, up or down
	Remaining time.Duration `json:"-"`
	Total     time.Duration `json:"-"` // the full window, for a progress bar
	Until     time.Time     `json:"-"`
	Bypassed  bool          `json:"bypassed,omitempty"`
	// Pending is set while the last scale is a scale-down the replicas do
	// not show yet (they are still at or above its From; see Cooldown):
	// Blocks is none and Remaining zero, and Total and Until are the window
	// it blocks scale-ups within once the replicas fall below its From.
	Pending bool `json:"pending,omitempty"`
}

// Decision is the result of Decide.
type Decision struct {
	At      time.Time `json:"-"`
	Action  Action    `json:"action"`
	Current int32     `json:"current"`
	// Target is what to apply now; it equals Current unless Action is a scale.
	Target int32 `json:"target"`
	// Proposed is what the pipeline wanted before the cooldown; when the
	// cooldown blocks, Target is Current and Proposed shows what is waiting.
	Proposed int32                   `json:"proposed"`
	Reasons  []Reason                `json:"reasons"`
	Metrics  map[Metric]MetricStatus `json:"metrics"`
	Forecast *ForecastStatus         `json:"forecast,omitempty"`
	Cooldown CooldownStatus          `json:"cooldown"`
	// HPADesired is what the plain Kubernetes HPA algorithm (its targets,
	// behaviour and bounds, no forecast, no cooldown) would choose.
	HPADesired int32 `json:"hpaDesired"`
	// Recommendation is this decision's pre-stabilization recommendation;
	// the caller appends it to ScaleHistory for the next decision.
	Recommendation Recommendation `json:"-"`
	// HPARecommendation is the plain HPA's pre-stabilization recommendation;
	// ScaleHistory.Observe records it with Recommendation.
	HPARecommendation Recommendation `json:"-"`
	// AutoApply is false when auto-apply must pause (any metric unusable, a
	// cluster state warning, or nothing to do); AutoApplyWhy says why.
	AutoApply    bool   `json:"autoApply"`
	AutoApplyWhy string `json:"autoApplyWhy,omitempty"`
}

// Has reports whether the decision carries reason code c.
func (d Decision) Has(c ReasonCode) bool {
	for _, r := range d.Reasons {
		if r.Code == c {
			return true
		}
	}
	return false
}

package core

import "time"

// Direction of a scaling change.
type Direction string

// Directions. The JSON contract uses these strings.
const (
	DirectionNone Direction = "none"
	DirectionUp   Direction = "up"
	DirectionDown Direction = "down"
)

// LastScale is the shared record of the most recent scale, kept in the
// Deployment's annotation kimiscale.kimiclaw.io/last-scale (contract), so
// every console, and a restarted one, computes the same cooldown.
type LastScale struct {
	At        time.Time `json:"at"`
	Direction Direction `json:"direction"`
	From      int32     `json:"from"`
	To        int32     `json:"to"`
	By        string    `json:"by"`
	Reason    string    `json:"reason"`
}

// Resources are a container's requests or limits; zero means not set.
type Resources struct {
	CPU    MilliCPU `json:"cpu"`
	Memory Bytes    `json:"memory"`
}

// Condition is an HPA status condition.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Bounds are an HPA's replica bounds.
type Bounds struct {
	Min int32 `json:"min"`
	Max int32 `json:"max"`
}

// HPAState is the HorizontalPodAutoscaler that targets the Deployment.
type HPAState struct {
	Name            string      `json:"name"`
	Bounds          Bounds      `json:"bounds"`
	CurrentReplicas int32       `json:"currentReplicas"`
	DesiredReplicas int32       `json:"desiredReplicas"`
	Behavior        *Behavior   `json:"behavior,omitempty"`
	Conditions      []Condition `json:"conditions,omitempty"`
	// PinnedFrom holds the original bounds while kimiscale has pinned the
	// HPA (min = max); nil when not pinned.
	PinnedFrom *Bounds `json:"pinnedFrom,omitempty"`
	// OriginalMin is the HPA's minReplicas before kimiscale first moved it
	// (annotation kimiscale.kimiclaw.io/original-min-replicas); nil when
	// kimiscale has not moved it.
	OriginalMin     *int32 `json:"originalMin,omitempty"`
	ResourceVersion string `json:"resourceVersion"`
}

// Pinned reports whether kimiscale has pinned the HPA.
func (h *HPAState) Pinned() bool { return h != nil && h.PinnedFrom != nil }

// DuckDBSettings are the values of ConfigMap duckdb-config.
type DuckDBSettings struct {
	MemoryLimit     string `json:"memory_limit"` // as written, e.g. "4GB"
	Threads         int    `json:"threads"`
	ResourceVersion string `json:"-"`
}

// VPARecommendation is the VPA's target for container kimiclaw.
type VPARecommendation struct {
	Target     Resources `json:"target"`
	LowerBound Resources `json:"lowerBound"`
	UpperBound Resources `json:"upperBound"`
}

// ClusterState is what the dashboard knows about kimiclaw-db in the cluster.
type ClusterState struct {
	Namespace  string `json:"namespace"`
	Deployment string `json:"deployment"`
	// Replicas is spec.replicas; the others are from status.
	Replicas          int32  `json:"replicas"`
	ReadyReplicas     int32  `json:"readyReplicas"`
	UpdatedReplicas   int32  `json:"updatedReplicas"`
	AvailableReplicas int32  `json:"availableReplicas"`
	ResourceVersion   string `json:"resourceVersion"`
	Selector          string `json:"selector"` // label selector, e.g. "app=kimiclaw-db"
	// Requests and Limits of container kimiclaw.
	Requests  Resources          `json:"requests"`
	Limits    Resources          `json:"limits"`
	HPA       *HPAState          `json:"hpa,omitempty"`
	DuckDB    *DuckDBSettings    `json:"duckdb,omitempty"`
	VPA       *VPARecommendation `json:"vpa,omitempty"`
	LastScale *LastScale         `json:"lastScale,omitempty"`
	// ObservedAt is when this state was read.
	ObservedAt time.Time `json:"observedAt"`
	// Warnings are problems found reading the cluster (an unreadable
	// annotation or duckdb-config), one sentence each naming the object,
	// the bad value and the repair.
	Warnings []string `json:"warnings,omitempty"`
}

// ScaleRequest is a replica change a human approved (or auto-apply chose).
// From and ResourceVersion are the precondition: the change applies only if
// the Deployment still has From replicas at that version (or, after a
// conflict, still has From replicas).
type ScaleRequest struct {
	From            int32  `json:"from"`
	To              int32  `json:"to"`
	ResourceVersion string `json:"resourceVersion"`
	By              string `json:"by"`
	Reason          string `json:"reason"`
	// BypassCooldown is set when a human explicitly confirmed a change the
	// cooldown blocks; it is recorded with the change.
	BypassCooldown bool `json:"bypassCooldown,omitempty"`
	// Auto is set when auto-apply (not a human) made the change.
	Auto bool `json:"auto,omitempty"`
}

// Direction of the request.
func (r ScaleRequest) Direction() Direction {
	switch {
	case r.To > r.From:
		return DirectionUp
	case r.To < r.From:
		return DirectionDown
	}
	return DirectionNone
}

// PinRequest pins an HPA to Replicas (min = max) or, with Unpin, restores
// the bounds saved when it was pinned.
type PinRequest struct {
	Replicas int32  `json:"replicas"`
	Unpin    bool   `json:"unpin,omitempty"`
	By       string `json:"by"`
	Reason   string `json:"reason"`
}

// DuckDBRequest is a change to ConfigMap duckdb-config.
type DuckDBRequest struct {
	From DuckDBSettings `json:"from"` // precondition, with its ResourceVersion
	To   DuckDBSettings `json:"to"`
	// Restart triggers a rolling restart (as kubectl rollout restart does)
	// after the ConfigMap is updated, since DuckDB reads settings at start.
	Restart bool   `json:"restart"`
	By      string `json:"by"`
	Reason  string `json:"reason"`
}

// ApplyResult is what happened to a write.
type ApplyResult struct {
	Applied bool      `json:"applied"`
	DryRun  bool      `json:"dryRun,omitempty"`
	At      time.Time `json:"at"`
	// Via says how: "scale subresource", "HPA minReplicas", "ConfigMap", ...
	Via     string `json:"via"`
	Message string `json:"message"`
}

// ClusterEvent is a write recorded on the Deployment (a Kubernetes Event),
// by this console or another one.
type ClusterEvent struct {
	At      time.Time `json:"at"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	By      string    `json:"by"`
}

// Access says which writes the current user may make.
type Access struct {
	Scale     bool `json:"scale"`     // deployments patch (replicas and last-scale in one request)
	HPA       bool `json:"hpa"`       // horizontalpodautoscalers patch
	ConfigMap bool `json:"configMap"` // configmaps update
	Restart   bool `json:"restart"`   // deployments patch
	Lease     bool `json:"lease"`     // leases create/update
	Events    bool `json:"events"`    // events create
	// Missing lists each missing permission as "verb resource", e.g.
	// "update deployments/scale".
	Missing []string `json:"missing,omitempty"`
}

// ReadOnly reports whether the user may not scale at all.
func (a Access) ReadOnly() bool { return !a.Scale && !a.HPA }

// LeaseStatus is the state of the auto-apply Lease kimiscale-<deployment>.
type LeaseStatus struct {
	Held   bool   `json:"held"`   // this console holds it
	Holder string `json:"holder"` // identity user@host of the holder, "" if none
}

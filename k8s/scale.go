package k8s

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/kimiclaw/kimiscale/core"
)

// fieldManager names kimiscale in managedFields.
const fieldManager = "kimiscale"

// Via values of core.ApplyResult.
const (
	ViaDeployment = "Deployment spec.replicas"
	ViaHPAMin     = "HPA minReplicas"
	ViaHPAPin     = "HPA minReplicas=maxReplicas"
	ViaHPAUnpin   = "HPA bounds restored"
	ViaConfigMap  = "ConfigMap " + ConfigMapName
	ViaRestart    = "ConfigMap " + ConfigMapName + " + rollout restart"
)

// PreconditionError says the object changed between the read the user
// approved and the write: nothing was written. The UI shows Error() as is.
type PreconditionError struct {
	// Resource and Name name the object, e.g. "deployment" "kimiclaw-db".
	Resource, Name string
	// Field is what differs, e.g. "spec.replicas" or "data.threads".
	Field string
	// Want is the value the approved change was based on; Got is the value
	// found on the server.
	Want, Got string
}

// Error implements error.
func (e *PreconditionError) Error() string {
	return fmt.Sprintf("%s %s changed underneath: %s is now %s, the approved change was based on %s; nothing was written, review the new state and decide again",
		e.Resource, e.Name, e.Field, e.Got, e.Want)
}

// HPAError says a replica change cannot be made without fighting the HPA
// that targets the Deployment (which would undo it within one sync):
// nothing was written. Pin is the explicit way to override the HPA.
type HPAError struct {
	HPA     string      // the HPA's name
	Bounds  core.Bounds // its bounds when checked
	Desired int32       // its desired replicas
	To      int32       // the requested replicas
	Pinned  bool        // kimiscale has pinned it
	Why     string      // a sentence
}

// Error implements error.
func (e *HPAError) Error() string {
	return fmt.Sprintf("HPA %s (min %d, max %d, desired %d) decides the replicas: %s; nothing was written",
		e.HPA, e.Bounds.Min, e.Bounds.Max, e.Desired, e.Why)
}

// ErrNoHPA is returned by Pin when no HPA targets the Deployment.
var ErrNoHPA = errors.New("no HorizontalPodAutoscaler targets the deployment, so there is nothing to pin; scale it directly")

// ErrNotPinned is returned by an unpin when the HPA carries no pinned-from
// annotation, so there are no original bounds to restore.
var ErrNotPinned = errors.New("the HPA is not pinned by kimiscale (no " + AnnotationPinnedFrom + " annotation): there are no saved bounds to restore")

// Scale changes the Deployment's replicas from req.From to req.To, or, when
// an HPA targets the Deployment, moves the HPA's minReplicas instead (see
// the package documentation for the exact behaviour). Either way it
// records the change (last-scale annotation, Event, audit line) or returns
// why it did not: a *PreconditionError when the Deployment no longer has
// From replicas, an *HPAError when only fighting the HPA could do it, and
// ErrNotLeader for an automatic request (req.Auto) while this console does
// not hold the auto-apply Lease.
func (c *Client) Scale(ctx context.Context, req core.ScaleRequest) (core.ApplyResult, error) {
	w := write{action: "scale", reason: ReasonScaled, by: c.by(req.By), why: req.Reason, request: req}
	if err := validateScale(req); err != nil {
		return c.finish(ctx, w, core.ApplyResult{}, err)
	}
	if req.Auto && !c.leading.Load() {
		// Defence in depth: the dashboard auto-applies only while it holds
		// the Lease, and this refuses an automatic write that races a loss.
		return c.finish(ctx, w, core.ApplyResult{}, fmt.Errorf("scale %s/%s: %w", c.ns, c.name, ErrNotLeader))
	}
	if h := c.cachedHPA(); h != nil {
		res, err := c.scaleViaHPA(ctx, req, w.by, h)
		return c.finish(ctx, w, res, err)
	}
	res, err := c.scaleDirect(ctx, req, w.by)
	return c.finish(ctx, w, res, err)
}

// validateScale refuses a request that cannot be meant.
func validateScale(req core.ScaleRequest) error {
	switch {
	case req.To < 0:
		return fmt.Errorf("scale request: to %d replicas: valid is 0 or more", req.To)
	case req.From < 0:
		return fmt.Errorf("scale request: from %d replicas: valid is 0 or more", req.From)
	case req.To == req.From:
		return fmt.Errorf("scale request: from %d to %d replicas changes nothing", req.From, req.To)
	}
	return nil
}

// by is the request's user, or the client's.
func (c *Client) by(user string) string {
	if user != "" {
		return user
	}
	return c.user
}

// lastScaleJSON is the last-scale annotation for a change.
func (c *Client) lastScaleJSON(from, to int32, by, why string) (string, error) {
	dir := core.DirectionNone
	switch {
	case to > from:
		dir = core.DirectionUp
	case to < from:
		dir = core.DirectionDown
	}
	b, err := json.Marshal(core.LastScale{At: c.clock.Now().UTC(), Direction: dir, From: from, To: to, By: by, Reason: why})
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", AnnotationLastScale, err)
	}
	return string(b), nil
}

// Why one request, not /scale: a merge patch on the Deployment that sets
// spec.replicas, the last-scale annotation and metadata.resourceVersion
// does the change, its shared record and the precondition in one request.
// The server applies all of it or none (409 Conflict when the version
// moved), so no console can ever see new replicas without the record that
// drives the cooldown, or the reverse. The scale subresource would need a
// second request for the annotation, which can fail after the replicas
// changed. The price: the permission needed is "patch deployments" (which a
// rollout restart needs anyway) rather than "update deployments/scale".

// scaleDirect patches the Deployment's replicas and last-scale annotation
// in one request, preconditioned on the approved resourceVersion; after a
// conflict it re-reads and retries only while the replicas are still From.
func (c *Client) scaleDirect(ctx context.Context, req core.ScaleRequest, by string) (core.ApplyResult, error) {
	deployments := c.client.AppsV1().Deployments(c.ns)
	annotation, err := c.lastScaleJSON(req.From, req.To, by, req.Reason)
	if err != nil {
		return core.ApplyResult{}, err
	}
	rv := req.ResourceVersion
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if rv == "" {
			d, err := deployments.Get(ctx, c.name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("get deployment %s/%s: %w", c.ns, c.name, err)
			}
			if got := replicas(d); got != req.From {
				return &PreconditionError{Resource: "deployment", Name: c.name, Field: "spec.replicas",
					Want: strconv.Itoa(int(req.From)), Got: strconv.Itoa(int(got))}
			}
			rv = d.ResourceVersion
		}
		patch, err := json.Marshal(map[string]any{
			"metadata": map[string]any{
				"resourceVersion": rv,
				"annotations":     map[string]string{AnnotationLastScale: annotation},
			},
			"spec": map[string]any{"replicas": req.To},
		})
		if err != nil {
			return fmt.Errorf("encode patch: %w", err)
		}
		_, err = deployments.Patch(ctx, c.name, types.MergePatchType, patch, c.patchOptions())
		if apierrors.IsConflict(err) {
			rv = "" // re-read and re-check the precondition
			return err
		}
		if err != nil {
			return fmt.Errorf("patch deployment %s/%s replicas %d: %w", c.ns, c.name, req.To, err)
		}
		return nil
	})
	if apierrors.IsConflict(err) {
		return core.ApplyResult{Via: ViaDeployment}, fmt.Errorf("patch deployment %s/%s: still conflicting after %d attempts: %w", c.ns, c.name, retry.DefaultRetry.Steps, err)
	}
	if err != nil {
		return core.ApplyResult{Via: ViaDeployment}, err
	}
	res := core.ApplyResult{Applied: !c.dryRun, Via: ViaDeployment,
		Message: fmt.Sprintf("scaled %s from %d to %d replicas", c.name, req.From, req.To)}
	if c.dryRun {
		res.Message = fmt.Sprintf("dry run: the server accepted scaling %s from %d to %d replicas; nothing changed", c.name, req.From, req.To)
	}
	return res, nil
}

// patchOptions carry the dry-run flag and the field manager.
func (c *Client) patchOptions() metav1.PatchOptions {
	o := metav1.PatchOptions{FieldManager: fieldManager}
	if c.dryRun {
		o.DryRun = []string{metav1.DryRunAll}
	}
	return o
}

// scaleViaHPA moves the HPA's minReplicas so the HPA itself makes (or
// allows) the change; the Deployment's replicas are never written. start is
// the HPA as the request found it in the watch cache: the first patch
// carries its resourceVersion, so an HPA changed since is a conflict, after
// which the HPA is read again and the Deployment re-checked for From.
func (c *Client) scaleViaHPA(ctx context.Context, req core.ScaleRequest, by string, start *autoscalingv2.HorizontalPodAutoscaler) (core.ApplyResult, error) {
	res := core.ApplyResult{Via: ViaHPAMin}
	hpaName := start.Name
	var oldMin, newMin, original int32
	var h *autoscalingv2.HorizontalPodAutoscaler
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := c.client.AppsV1().Deployments(c.ns).Get(ctx, c.name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get deployment %s/%s: %w", c.ns, c.name, err)
		}
		if got := replicas(d); got != req.From {
			return &PreconditionError{Resource: "deployment", Name: c.name, Field: "spec.replicas",
				Want: strconv.Itoa(int(req.From)), Got: strconv.Itoa(int(got))}
		}
		if h, err = c.hpaFor(ctx, start, h); err != nil {
			return err
		}
		b := bounds(h)
		oldMin = b.Min
		if newMin, err = hpaMinFor(req, h); err != nil {
			return err
		}
		meta := map[string]any{"resourceVersion": h.ResourceVersion}
		if original, err = originalMinChange(h, oldMin, newMin, meta); err != nil {
			return fmt.Errorf("scale %s/%s: %s", c.ns, c.name, originalMinRepair(c.ns, hpaName, err))
		}
		patch, err := json.Marshal(map[string]any{
			"metadata": meta,
			"spec":     map[string]any{"minReplicas": newMin},
		})
		if err != nil {
			return fmt.Errorf("encode patch: %w", err)
		}
		_, err = c.client.AutoscalingV2().HorizontalPodAutoscalers(c.ns).Patch(ctx, hpaName, types.MergePatchType, patch, c.patchOptions())
		if err != nil && !apierrors.IsConflict(err) {
			return fmt.Errorf("patch hpa %s/%s minReplicas %d: %w", c.ns, hpaName, newMin, err)
		}
		return err
	})
	if apierrors.IsConflict(err) {
		return res, fmt.Errorf("patch hpa %s/%s: still conflicting after %d attempts: %w", c.ns, hpaName, retry.DefaultRetry.Steps, err)
	}
	if err != nil {
		return res, err
	}
	hmax := bounds(h).Max
	switch {
	case req.To > req.From && newMin < req.To:
		res.Message = fmt.Sprintf("raised HPA %s minReplicas from %d to %d (capped at its maxReplicas %d, not %d); the HPA scales %s to at least %d within one sync",
			hpaName, oldMin, newMin, hmax, req.To, c.name, newMin)
	case req.To > req.From:
		res.Message = fmt.Sprintf("raised HPA %s minReplicas from %d to %d; the HPA scales %s to at least %d within one sync",
			hpaName, oldMin, newMin, c.name, newMin)
	default:
		res.Message = fmt.Sprintf("lowered HPA %s minReplicas from %d to %d; the HPA decides when %s scales down (now %d, it wants %d), after its scale-down stabilization window",
			hpaName, oldMin, newMin, c.name, req.From, h.Status.DesiredReplicas)
	}
	if newMin == original {
		res.Message += fmt.Sprintf("; this is its original minReplicas again, so %s is removed", AnnotationOriginalMin)
	} else {
		res.Message += fmt.Sprintf("; its original minReplicas %d is kept in %s", original, AnnotationOriginalMin)
	}
	if c.dryRun {
		res.Message = "dry run: the server accepted: " + res.Message + "; nothing changed"
		return res, nil
	}
	res.Applied = true
	// The annotation lives on the Deployment (contract) and the bound on the
	// HPA, so this is a second request; if it fails, the change stands and
	// the message says the shared record is missing.
	if err := c.annotateLastScale(ctx, req.From, newMin, by, req.Reason); err != nil {
		c.log.Error("last-scale annotation", "err", err)
		res.Message += "; the last-scale annotation was not written (other consoles will not see this change's cooldown): " + err.Error()
	}
	return res, nil
}

// originalMinChange adds to meta the change of the HPA's original-min-replicas
// annotation that moving minReplicas from oldMin to newMin needs: saved on
// the first move, kept after, removed when newMin is the original again. It
// returns the original minReplicas, or an error when the annotation is
// unreadable (the original is then unknown; nothing must be written).
func originalMinChange(h *autoscalingv2.HorizontalPodAutoscaler, oldMin, newMin int32, meta map[string]any) (int32, error) {
	raw, ok := h.Annotations[AnnotationOriginalMin]
	if !ok {
		meta["annotations"] = map[string]any{AnnotationOriginalMin: strconv.Itoa(int(oldMin))}
		return oldMin, nil
	}
	original, err := parseOriginalMin(raw)
	if err != nil {
		return 0, err
	}
	if newMin == original {
		meta["annotations"] = map[string]any{AnnotationOriginalMin: nil} // merge patch: remove
	}
	return original, nil
}

// hpaFor is the HPA a write attempt works on: start (from the watch cache
// when the request began) for the first attempt, a fresh read after a
// conflict (prev is the previous attempt's, nil on the first).
func (c *Client) hpaFor(ctx context.Context, start, prev *autoscalingv2.HorizontalPodAutoscaler) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	if prev == nil {
		return start, nil
	}
	h, err := c.client.AutoscalingV2().HorizontalPodAutoscalers(c.ns).Get(ctx, start.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get hpa %s/%s: %w", c.ns, start.Name, err)
	}
	return h, nil
}

// hpaMinFor is the minReplicas that makes (up) or allows (down) req, or an
// *HPAError when moving minReplicas cannot do it.
func hpaMinFor(req core.ScaleRequest, h *autoscalingv2.HorizontalPodAutoscaler) (int32, error) {
	b := bounds(h)
	herr := &HPAError{HPA: h.Name, Bounds: b, Desired: h.Status.DesiredReplicas, To: req.To, Pinned: h.Annotations[AnnotationPinnedFrom] != ""}
	if herr.Pinned {
		herr.Why = fmt.Sprintf("kimiscale pinned it at %d; pin it to %d or unpin it first", b.Min, req.To)
		return 0, herr
	}
	if req.To > req.From {
		newMin := min(req.To, b.Max)
		if newMin <= b.Min {
			herr.Why = fmt.Sprintf("its minReplicas %d already covers %d and its maxReplicas %d stops anything higher; pin to override", b.Min, req.To, b.Max)
			return 0, herr
		}
		return newMin, nil
	}
	if req.To < 1 {
		herr.Why = "an HPA keeps at least 1 replica (minReplicas >= 1); delete or pin the HPA to go lower"
		return 0, herr
	}
	if b.Min <= req.To {
		herr.Why = fmt.Sprintf("its minReplicas %d already allows %d; it keeps %d from its metrics, so lowering minReplicas would change nothing; pin to %d to force it",
			b.Min, req.To, h.Status.DesiredReplicas, req.To)
		return 0, herr
	}
	return req.To, nil
}

// annotateLastScale merge-patches only the last-scale annotation onto the
// Deployment (no precondition: the annotation is a record, last writer wins).
func (c *Client) annotateLastScale(ctx context.Context, from, to int32, by, why string) error {
	annotation, err := c.lastScaleJSON(from, to, by, why)
	if err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationLastScale: annotation}}})
	if err != nil {
		return fmt.Errorf("encode patch: %w", err)
	}
	if _, err := c.client.AppsV1().Deployments(c.ns).Patch(ctx, c.name, types.MergePatchType, patch, c.patchOptions()); err != nil {
		return fmt.Errorf("annotate deployment %s/%s: %w", c.ns, c.name, err)
	}
	return nil
}

// Pin sets the HPA's minReplicas and maxReplicas to req.Replicas, keeping
// the original bounds in the HPA's pinned-from annotation (in the same
// request); pinning again keeps the first saved bounds. With req.Unpin it
// restores the saved bounds and removes the annotation. The Deployment's
// last-scale annotation records a pin, or an unpin, that changes the
// replicas (the HPA brings them inside the new bounds).
func (c *Client) Pin(ctx context.Context, req core.PinRequest) (core.ApplyResult, error) {
	w := write{action: "pin", reason: ReasonPinned, by: c.by(req.By), why: req.Reason, request: req}
	if req.Unpin {
		w.action, w.reason = "unpin", ReasonUnpinned
	} else if req.Replicas < 1 {
		return c.finish(ctx, w, core.ApplyResult{}, fmt.Errorf("pin request: %d replicas: valid is 1 or more (an HPA keeps at least 1)", req.Replicas))
	}
	h := c.cachedHPA()
	if h == nil {
		return c.finish(ctx, w, core.ApplyResult{}, fmt.Errorf("%s %s/%s: %w", w.action, c.ns, c.name, ErrNoHPA))
	}
	res, err := c.pin(ctx, req, w.by, h)
	return c.finish(ctx, w, res, err)
}

// action names a pin request.
func action(req core.PinRequest) string {
	if req.Unpin {
		return "unpin"
	}
	return "pin"
}

// pin writes the HPA's bounds and the pinned-from annotation in one
// request carrying the resourceVersion of start (the HPA as the request
// found it in the watch cache); after a conflict it reads the HPA again and
// retries.
func (c *Client) pin(ctx context.Context, req core.PinRequest, by string, start *autoscalingv2.HorizontalPodAutoscaler) (core.ApplyResult, error) {
	hpas := c.client.AutoscalingV2().HorizontalPodAutoscalers(c.ns)
	hpaName := start.Name
	res := core.ApplyResult{Via: ViaHPAPin}
	if req.Unpin {
		res.Via = ViaHPAUnpin
	}
	var before, after core.Bounds
	var h *autoscalingv2.HorizontalPodAutoscaler
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		if h, err = c.hpaFor(ctx, start, h); err != nil {
			return err
		}
		before = bounds(h)
		var saved *core.Bounds
		if raw, ok := h.Annotations[AnnotationPinnedFrom]; ok {
			// An unreadable record of the original bounds must stop both:
			// unpin has nothing to restore, and pinning again would save
			// the current (pinned) bounds as the original ones.
			if saved, err = parsePinnedFrom(raw); err != nil {
				return fmt.Errorf("%s: %s", action(req), pinnedFromRepair(c.ns, hpaName, err))
			}
		}
		annotations := map[string]any{}
		if req.Unpin {
			if saved == nil {
				return fmt.Errorf("unpin hpa %s/%s: %w", c.ns, hpaName, ErrNotPinned)
			}
			after = *saved
			annotations[AnnotationPinnedFrom] = nil // merge patch: remove
		} else {
			if saved == nil {
				saved = &before
			}
			raw, err := json.Marshal(saved)
			if err != nil {
				return fmt.Errorf("encode %s: %w", AnnotationPinnedFrom, err)
			}
			annotations[AnnotationPinnedFrom] = string(raw)
			after = core.Bounds{Min: req.Replicas, Max: req.Replicas}
		}
		patch, err := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": h.ResourceVersion, "annotations": annotations},
			"spec":     map[string]any{"minReplicas": after.Min, "maxReplicas": after.Max},
		})
		if err != nil {
			return fmt.Errorf("encode patch: %w", err)
		}
		_, err = hpas.Patch(ctx, hpaName, types.MergePatchType, patch, c.patchOptions())
		if err != nil && !apierrors.IsConflict(err) {
			return fmt.Errorf("patch hpa %s/%s bounds %d..%d: %w", c.ns, hpaName, after.Min, after.Max, err)
		}
		return err
	})
	if apierrors.IsConflict(err) {
		return res, fmt.Errorf("patch hpa %s/%s: still conflicting after %d attempts: %w", c.ns, hpaName, retry.DefaultRetry.Steps, err)
	}
	if err != nil {
		return res, err
	}
	if req.Unpin {
		res.Message = fmt.Sprintf("unpinned HPA %s: bounds restored from %d..%d to %d..%d; the HPA decides again", hpaName, before.Min, before.Max, after.Min, after.Max)
	} else {
		res.Message = fmt.Sprintf("pinned HPA %s at %d replicas (bounds %d..%d, was %d..%d; unpin restores the original)", hpaName, req.Replicas, after.Min, after.Max, before.Min, before.Max)
	}
	if c.dryRun {
		res.Message = "dry run: the server accepted: " + res.Message + "; nothing changed"
		return res, nil
	}
	res.Applied = true
	// The HPA brings the replicas inside the new bounds at its next sync: a
	// pin, or an unpin whose restored bounds exclude the replicas now, is a
	// scale, and the last-scale annotation records it for the cooldown.
	if d := c.cachedDeployment(); d != nil {
		from := replicas(d)
		if to := min(max(from, after.Min), after.Max); to != from {
			if req.Unpin {
				res.Message += fmt.Sprintf("; the HPA moves %s from %d to %d replicas", c.name, from, to)
			}
			if err := c.annotateLastScale(ctx, from, to, by, req.Reason); err != nil {
				c.log.Error("last-scale annotation", "err", err)
				res.Message += "; the last-scale annotation was not written: " + err.Error()
			}
		}
	}
	return res, nil
}

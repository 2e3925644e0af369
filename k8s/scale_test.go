package k8s

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kimiclaw/kimiscale/core"
)

// verbs lists the verb and resource (with subresource) of each action
// after the informers' list and watch calls, as "verb resource".
func verbs(actions []k8stesting.Action) []string {
	var out []string
	for _, a := range actions {
		if a.GetVerb() == "list" || a.GetVerb() == "watch" {
			continue
		}
		r := a.GetResource().Resource
		if a.GetSubresource() != "" {
			r += "/" + a.GetSubresource()
		}
		out = append(out, a.GetVerb()+" "+r)
	}
	return out
}

// lastScale reads the Deployment's last-scale annotation.
func (f *fixture) lastScale(t *testing.T) *core.LastScale {
	t.Helper()
	raw, ok := f.deployment(t).Annotations[AnnotationLastScale]
	if !ok {
		return nil
	}
	var ls core.LastScale
	if err := json.Unmarshal([]byte(raw), &ls); err != nil {
		t.Fatalf("last-scale annotation %q: %v", raw, err)
	}
	return &ls
}

func TestScaleDirect(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	f.cs.ClearActions()
	req := core.ScaleRequest{From: 3, To: 5, ResourceVersion: "10", By: "alice@laptop", Reason: "CPU above 70 %"}
	res, err := f.c.Scale(f.ctx, req)
	if err != nil {
		t.Fatalf("Scale: %v", err)
	}
	if !res.Applied || res.DryRun || res.Via != ViaDeployment || !res.At.Equal(t0) {
		t.Errorf("Scale() = %+v, want applied via %q at t0", res, ViaDeployment)
	}
	// One write carrying replicas, annotation and precondition; then the Event.
	if got, want := verbs(f.cs.Actions()), []string{"patch deployments", "create events"}; !cmp.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	patch := string(f.cs.Actions()[0].(k8stesting.PatchAction).GetPatch())
	for _, part := range []string{`"resourceVersion":"10"`, `"replicas":5`, AnnotationLastScale} {
		if !strings.Contains(patch, part) {
			t.Errorf("patch %s lacks %s", patch, part)
		}
	}
	d := f.deployment(t)
	if *d.Spec.Replicas != 5 {
		t.Errorf("replicas = %d, want 5", *d.Spec.Replicas)
	}
	want := &core.LastScale{At: t0, Direction: core.DirectionUp, From: 3, To: 5, By: "alice@laptop", Reason: "CPU above 70 %"}
	if diff := cmp.Diff(want, f.lastScale(t)); diff != "" {
		t.Errorf("last-scale annotation (-want +got):\n%s", diff)
	}
	evs := kimiscaleEvents(t, f.cs)
	if len(evs) != 1 || evs[0].Reason != ReasonScaled || evs[0].Type != "Normal" ||
		!strings.Contains(evs[0].Message, "alice@laptop") || !strings.Contains(evs[0].Message, "CPU above 70 %") ||
		evs[0].InvolvedObject.Name != testDep || evs[0].InvolvedObject.UID != "uid-1" || evs[0].Annotations[AnnotationBy] != "alice@laptop" {
		t.Errorf("events = %+v, want one KimiscaleScaled on the Deployment naming the user and the reason", evs)
	}
	lines := auditLines(t, f.audit)
	if len(lines) != 1 || !lines[0].Applied || lines[0].Action != "scale" || lines[0].User != "alice@laptop" || lines[0].Error != "" {
		t.Errorf("audit = %+v, want one applied scale line by alice", lines)
	}
}

func TestScalePreconditionFailsWithoutWriting(t *testing.T) {
	// The user approved 3 → 5 at version 9, but the Deployment is at 4
	// replicas (version 10): the patch conflicts, the re-read shows the
	// precondition broken, nothing is written.
	f := newFixture(t, nil, newDeployment(4))
	f.cs.ClearActions()
	res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 5, ResourceVersion: "9", By: "alice@laptop", Reason: "load"})
	var pe *PreconditionError
	if !errors.As(err, &pe) {
		t.Fatalf("Scale() error = %v, want *PreconditionError", err)
	}
	if diff := cmp.Diff(&PreconditionError{Resource: "deployment", Name: testDep, Field: "spec.replicas", Want: "3", Got: "4"}, pe); diff != "" {
		t.Errorf("PreconditionError (-want +got):\n%s", diff)
	}
	if res.Applied {
		t.Errorf("Scale() result Applied = true, want false")
	}
	if got, want := verbs(f.cs.Actions()), []string{"patch deployments", "get deployments", "create events"}; !cmp.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	if d := f.deployment(t); *d.Spec.Replicas != 4 || d.ResourceVersion != "10" || d.Annotations[AnnotationLastScale] != "" {
		t.Errorf("deployment changed: replicas %d rv %s annotations %v", *d.Spec.Replicas, d.ResourceVersion, d.Annotations)
	}
	evs := kimiscaleEvents(t, f.cs)
	if len(evs) != 1 || evs[0].Reason != ReasonNotApplied || evs[0].Type != "Warning" || !strings.Contains(evs[0].Message, "changed underneath") {
		t.Errorf("events = %+v, want one KimiscaleNotApplied warning saying what changed", evs)
	}
	lines := auditLines(t, f.audit)
	if len(lines) != 1 || lines[0].Applied || !strings.Contains(lines[0].Error, "spec.replicas is now 4") {
		t.Errorf("audit = %+v, want one not-applied line with the reason", lines)
	}
}

func TestScaleRetriesConflictThenSucceeds(t *testing.T) {
	// A status update bumps the version between read and write, replicas
	// unchanged: retry with the fresh version and succeed.
	f := newFixture(t, nil, newDeployment(3))
	conflicts := 0
	f.cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts == 0 {
			conflicts++
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, testDep, errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	f.cs.ClearActions()
	res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4, ResourceVersion: "10", Reason: "load"})
	if err != nil || !res.Applied {
		t.Fatalf("Scale() = %+v, %v; want applied", res, err)
	}
	if got, want := verbs(f.cs.Actions()), []string{"patch deployments", "get deployments", "patch deployments", "create events"}; !cmp.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	if d := f.deployment(t); *d.Spec.Replicas != 4 {
		t.Errorf("replicas = %d, want 4", *d.Spec.Replicas)
	}
	if ls := f.lastScale(t); ls == nil || ls.By != testUser {
		t.Errorf("last-scale = %+v, want by %s (the client's user when the request names none)", ls, testUser)
	}
}

func TestScaleConflictWithChangedReplicas(t *testing.T) {
	// Between read and write another console scales to 6: the patch
	// conflicts, the re-read shows 6, not the approved 3: typed error,
	// nothing of ours written.
	f := newFixture(t, nil, newDeployment(3))
	f.cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := newDeployment(6)
		d.ResourceVersion = "11"
		if err := f.cs.Tracker().Update(appsv1.SchemeGroupVersion.WithResource("deployments"), d, testNS); err != nil {
			t.Errorf("tracker update: %v", err)
		}
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, testDep, errors.New("the object has been modified"))
	})
	f.cs.ClearActions()
	_, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4, ResourceVersion: "10", Reason: "load"})
	var pe *PreconditionError
	if !errors.As(err, &pe) || pe.Got != "6" || pe.Want != "3" {
		t.Fatalf("Scale() error = %v, want *PreconditionError 3 → 6", err)
	}
	if got, want := verbs(f.cs.Actions()), []string{"patch deployments", "get deployments", "create events"}; !cmp.Equal(got, want) {
		t.Errorf("actions = %v, want %v (exactly one write attempt)", got, want)
	}
	if d := f.deployment(t); *d.Spec.Replicas != 6 || d.Annotations[AnnotationLastScale] != "" {
		t.Errorf("deployment = %d replicas, annotations %v; want 6 and no last-scale", *d.Spec.Replicas, d.Annotations)
	}
}

func TestScaleGivesUpAfterRepeatedConflicts(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	f.cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, testDep, errors.New("the object has been modified"))
	})
	_, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4, ResourceVersion: "10"})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "still conflicting after 5 attempts") {
		t.Fatalf("Scale() error = %v, want a conflict after 5 attempts", err)
	}
}

func TestScaleOtherErrorIsNotRetried(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	f.cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, testDep, errors.New("RBAC"))
	})
	f.cs.ClearActions()
	res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4, ResourceVersion: "10"})
	if !apierrors.IsForbidden(err) || res.Applied {
		t.Fatalf("Scale() = %+v, %v; want Forbidden, not applied", res, err)
	}
	if got, want := verbs(f.cs.Actions()), []string{"patch deployments", "create events"}; !cmp.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	if !strings.HasPrefix(res.Message, "not applied: ") {
		t.Errorf("Message = %q, want it to start with %q", res.Message, "not applied: ")
	}
}

func TestScaleWithoutResourceVersionReadsFirst(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	f.cs.ClearActions()
	if _, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 2}); err != nil {
		t.Fatal(err)
	}
	if got, want := verbs(f.cs.Actions()), []string{"get deployments", "patch deployments", "create events"}; !cmp.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	if ls := f.lastScale(t); ls == nil || ls.Direction != core.DirectionDown {
		t.Errorf("last-scale = %+v, want direction down", ls)
	}
}

func TestScaleDryRun(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.DryRun = true }, newDeployment(3))
	f.cs.ClearActions()
	res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 5, ResourceVersion: "10", Reason: "try"})
	if err != nil {
		t.Fatalf("Scale: %v", err)
	}
	if res.Applied || !res.DryRun || !strings.HasPrefix(res.Message, "dry run") {
		t.Errorf("Scale() = %+v, want not applied, DryRun, message starting with dry run", res)
	}
	acts := f.cs.Actions()
	if got, want := verbs(acts), []string{"patch deployments"}; !cmp.Equal(got, want) {
		t.Fatalf("actions = %v, want %v (no Event for a dry run)", got, want)
	}
	if opts := acts[len(acts)-1].(k8stesting.PatchActionImpl).PatchOptions; !cmp.Equal(opts.DryRun, []string{"All"}) {
		t.Errorf("patch DryRun = %v, want [All]", opts.DryRun)
	}
	if d := f.deployment(t); *d.Spec.Replicas != 3 || d.Annotations[AnnotationLastScale] != "" {
		t.Errorf("dry run changed the deployment: %d replicas, annotations %v", *d.Spec.Replicas, d.Annotations)
	}
	if lines := auditLines(t, f.audit); len(lines) != 1 || !lines[0].DryRun || lines[0].Applied {
		t.Errorf("audit = %+v, want one dry-run line", lines)
	}
}

func TestScaleRefusesMeaninglessRequests(t *testing.T) {
	tests := []struct {
		name string
		req  core.ScaleRequest
		want string
	}{
		{"negative to", core.ScaleRequest{From: 3, To: -1}, "to -1 replicas: valid is 0 or more"},
		{"negative from", core.ScaleRequest{From: -2, To: 1}, "from -2 replicas"},
		{"no change", core.ScaleRequest{From: 3, To: 3}, "changes nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, newDeployment(3))
			f.cs.ClearActions()
			_, err := f.c.Scale(f.ctx, tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Scale(%+v) = %v, want error containing %q", tc.req, err, tc.want)
			}
			if got := verbs(f.cs.Actions()); !cmp.Equal(got, []string{"create events"}) {
				t.Errorf("actions = %v, want only the not-applied Event", got)
			}
		})
	}
}

func TestScaleThroughHPA(t *testing.T) {
	tests := []struct {
		name        string
		hpaMin      int32
		hpaMax      int32
		replicas    int32
		to          int32
		wantMin     int32
		wantMessage string
		wantErr     string // substring of an *HPAError
	}{
		{name: "up raises min", hpaMin: 2, hpaMax: 10, replicas: 3, to: 5, wantMin: 5, wantMessage: "raised HPA kimiclaw-hpa minReplicas from 2 to 5"},
		{name: "up beyond max is capped", hpaMin: 2, hpaMax: 10, replicas: 9, to: 12, wantMin: 10, wantMessage: "capped at its maxReplicas 10"},
		{name: "down lowers min", hpaMin: 5, hpaMax: 10, replicas: 5, to: 3, wantMin: 3, wantMessage: "the HPA decides when kimiclaw-db scales down"},
		{name: "down already allowed", hpaMin: 2, hpaMax: 10, replicas: 5, to: 4, wantErr: "its minReplicas 2 already allows 4"},
		{name: "up at max", hpaMin: 10, hpaMax: 10, replicas: 10, to: 11, wantErr: "already covers 11"},
		{name: "down to zero", hpaMin: 2, hpaMax: 10, replicas: 2, to: 0, wantErr: "keeps at least 1 replica"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, newDeployment(tc.replicas), newHPA(tc.hpaMin, tc.hpaMax, tc.replicas))
			f.cs.ClearActions()
			res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: tc.replicas, To: tc.to, ResourceVersion: "10", Reason: "load"})
			if tc.wantErr != "" {
				var he *HPAError
				if !errors.As(err, &he) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Scale() = %v, want *HPAError containing %q", err, tc.wantErr)
				}
				if h := f.hpa(t); *h.Spec.MinReplicas != tc.hpaMin || h.ResourceVersion != "20" {
					t.Errorf("HPA written: min %d rv %s", *h.Spec.MinReplicas, h.ResourceVersion)
				}
				return
			}
			if err != nil {
				t.Fatalf("Scale: %v", err)
			}
			// The HPA is not read again: the patch carries the
			// resourceVersion of the HPA the request started from.
			want := []string{"get deployments", "patch horizontalpodautoscalers", "patch deployments", "create events"}
			if got := verbs(f.cs.Actions()); !cmp.Equal(got, want) {
				t.Errorf("actions = %v, want %v", got, want)
			} else if patch := string(f.cs.Actions()[1].(k8stesting.PatchAction).GetPatch()); !strings.Contains(patch, `"resourceVersion":"20"`) {
				t.Errorf("HPA patch %s lacks the starting resourceVersion 20", patch)
			}
			if !res.Applied || res.Via != ViaHPAMin || !strings.Contains(res.Message, tc.wantMessage) {
				t.Errorf("Scale() = %+v, want applied via HPA, message containing %q", res, tc.wantMessage)
			}
			if h := f.hpa(t); *h.Spec.MinReplicas != tc.wantMin || h.Spec.MaxReplicas != tc.hpaMax {
				t.Errorf("HPA bounds = %d..%d, want %d..%d", *h.Spec.MinReplicas, h.Spec.MaxReplicas, tc.wantMin, tc.hpaMax)
			}
			// The Deployment's replicas are never written with an HPA present.
			if d := f.deployment(t); *d.Spec.Replicas != tc.replicas {
				t.Errorf("deployment replicas = %d, want %d untouched", *d.Spec.Replicas, tc.replicas)
			}
			if ls := f.lastScale(t); ls == nil || ls.From != tc.replicas || ls.To != tc.wantMin {
				t.Errorf("last-scale = %+v, want %d → %d", ls, tc.replicas, tc.wantMin)
			}
		})
	}
}

func TestScaleThroughHPAPrecondition(t *testing.T) {
	// The HPA moved the Deployment to 4 since the user approved 3 → 6.
	f := newFixture(t, nil, newDeployment(4), newHPA(2, 10, 4))
	_, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 6, ResourceVersion: "9"})
	var pe *PreconditionError
	if !errors.As(err, &pe) || pe.Got != "4" {
		t.Fatalf("Scale() = %v, want *PreconditionError (replicas now 4)", err)
	}
	if h := f.hpa(t); *h.Spec.MinReplicas != 2 {
		t.Errorf("HPA min = %d, want 2 untouched", *h.Spec.MinReplicas)
	}
}

func TestPinAndUnpin(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3), newHPA(2, 10, 3))
	res, err := f.c.Pin(f.ctx, core.PinRequest{Replicas: 6, Reason: "incident"})
	if err != nil || !res.Applied || res.Via != ViaHPAPin {
		t.Fatalf("Pin(6) = %+v, %v; want applied", res, err)
	}
	h := f.hpa(t)
	if *h.Spec.MinReplicas != 6 || h.Spec.MaxReplicas != 6 || h.Annotations[AnnotationPinnedFrom] != `{"min":2,"max":10}` {
		t.Errorf("after pin: bounds %d..%d annotation %q; want 6..6 and {\"min\":2,\"max\":10}", *h.Spec.MinReplicas, h.Spec.MaxReplicas, h.Annotations[AnnotationPinnedFrom])
	}
	if ls := f.lastScale(t); ls == nil || ls.From != 3 || ls.To != 6 || ls.Reason != "incident" {
		t.Errorf("last-scale = %+v, want 3 → 6 for incident", ls)
	}
	eventually(t, "the cache to see the pin", func() bool {
		st, err := f.c.State(f.ctx)
		return err == nil && st.HPA.Pinned()
	})

	// Scaling while pinned is refused: the pin decides.
	_, err = f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 4})
	var he *HPAError
	if !errors.As(err, &he) || !he.Pinned {
		t.Errorf("Scale while pinned = %v, want *HPAError with Pinned", err)
	}

	// Pinning again keeps the first saved bounds.
	if _, err := f.c.Pin(f.ctx, core.PinRequest{Replicas: 8}); err != nil {
		t.Fatalf("Pin(8): %v", err)
	}
	if h := f.hpa(t); *h.Spec.MinReplicas != 8 || h.Annotations[AnnotationPinnedFrom] != `{"min":2,"max":10}` {
		t.Errorf("after re-pin: min %d annotation %q, want 8 and the original 2..10", *h.Spec.MinReplicas, h.Annotations[AnnotationPinnedFrom])
	}

	res, err = f.c.Pin(f.ctx, core.PinRequest{Unpin: true, Reason: "over"})
	if err != nil || !res.Applied || res.Via != ViaHPAUnpin {
		t.Fatalf("unpin = %+v, %v; want applied", res, err)
	}
	h = f.hpa(t)
	if _, ok := h.Annotations[AnnotationPinnedFrom]; ok || *h.Spec.MinReplicas != 2 || h.Spec.MaxReplicas != 10 {
		t.Errorf("after unpin: bounds %d..%d annotations %v; want 2..10 and no pinned-from", *h.Spec.MinReplicas, h.Spec.MaxReplicas, h.Annotations)
	}

	if _, err := f.c.Pin(f.ctx, core.PinRequest{Unpin: true}); !errors.Is(err, ErrNotPinned) {
		t.Errorf("unpin when not pinned = %v, want ErrNotPinned", err)
	}
	reasons := map[string]int{}
	for _, ev := range kimiscaleEvents(t, f.cs) {
		reasons[ev.Reason]++
	}
	if want := map[string]int{ReasonPinned: 2, ReasonUnpinned: 1, ReasonNotApplied: 2}; !cmp.Equal(reasons, want) {
		t.Errorf("event reasons = %v, want %v", reasons, want)
	}
}

// TestUnpinRecordsTheScaleItCauses: restoring bounds that exclude the
// replicas now is a scale (the HPA moves them at its next sync), so the
// cooldown must see it; restoring bounds that include them is not.
func TestUnpinRecordsTheScaleItCauses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replicas int32
		want     *core.LastScale // nil: no record written
	}{
		{"below the restored min", 4, &core.LastScale{Direction: core.DirectionUp, From: 4, To: 8}},
		{"above the restored max", 12, &core.LastScale{Direction: core.DirectionDown, From: 12, To: 10}},
		{"inside the restored bounds", 9, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHPA(tc.replicas, tc.replicas, tc.replicas)
			h.Annotations = map[string]string{AnnotationPinnedFrom: `{"min":8,"max":10}`}
			f := newFixture(t, nil, newDeployment(tc.replicas), h)
			res, err := f.c.Pin(f.ctx, core.PinRequest{Unpin: true, Reason: "incident over"})
			if err != nil || !res.Applied {
				t.Fatalf("unpin = %+v, %v; want applied", res, err)
			}
			ls := f.lastScale(t)
			if tc.want == nil {
				if ls != nil {
					t.Errorf("last-scale = %+v, want none", ls)
				}
				return
			}
			if ls == nil || ls.Direction != tc.want.Direction || ls.From != tc.want.From || ls.To != tc.want.To || ls.Reason != "incident over" {
				t.Fatalf("last-scale = %+v, want %s %d → %d for incident over", ls, tc.want.Direction, tc.want.From, tc.want.To)
			}
			if want := fmt.Sprintf("the HPA moves kimiclaw-db from %d to %d replicas", tc.want.From, tc.want.To); !strings.Contains(res.Message, want) {
				t.Errorf("message %q does not say %q", res.Message, want)
			}
		})
	}
}

func TestPinRefusals(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	if _, err := f.c.Pin(f.ctx, core.PinRequest{Replicas: 4}); !errors.Is(err, ErrNoHPA) {
		t.Errorf("Pin without HPA = %v, want ErrNoHPA", err)
	}
	if _, err := f.c.Pin(f.ctx, core.PinRequest{Replicas: 0}); err == nil || !strings.Contains(err.Error(), "valid is 1 or more") {
		t.Errorf("Pin(0) = %v, want a range error", err)
	}
	lines := auditLines(t, f.audit)
	if len(lines) != 2 || lines[0].Applied || lines[1].Applied {
		t.Errorf("audit = %+v, want two not-applied lines", lines)
	}
}

func TestPinRetriesConflict(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3), newHPA(2, 10, 3))
	n := 0
	f.cs.PrependReactor("patch", "horizontalpodautoscalers", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if n++; n == 1 {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "autoscaling", Resource: "horizontalpodautoscalers"}, "kimiclaw-hpa", errors.New("modified"))
		}
		return false, nil, nil
	})
	if _, err := f.c.Pin(f.ctx, core.PinRequest{Replicas: 5}); err != nil {
		t.Fatalf("Pin: %v", err)
	}
	if h := f.hpa(t); *h.Spec.MinReplicas != 5 || n != 2 {
		t.Errorf("min = %d after %d patches, want 5 after 2", *h.Spec.MinReplicas, n)
	}
}

func TestPinRefusesUnreadablePinnedFrom(t *testing.T) {
	// Someone pinned 2..10 to 6..6 and the record of 2..10 got corrupted:
	// pinning again must not save 6..6 as the "original", and unpinning has
	// nothing to restore. Both refuse, naming the annotation, its value and
	// the repair; nothing is written.
	for _, req := range []core.PinRequest{{Replicas: 8}, {Unpin: true}} {
		t.Run(action(req), func(t *testing.T) {
			h := newHPA(6, 6, 6)
			h.Annotations = map[string]string{AnnotationPinnedFrom: `{"min":2,`}
			f := newFixture(t, nil, newDeployment(6), h)
			res, err := f.c.Pin(f.ctx, req)
			if err == nil || res.Applied {
				t.Fatalf("Pin(%+v) = %+v, nil; want a refusal", req, res)
			}
			for _, part := range []string{action(req) + ": hpa prod/kimiclaw-hpa", AnnotationPinnedFrom, `"{\"min\":2,"`,
				"kubectl annotate hpa/kimiclaw-hpa kimiscale.kimiclaw.io/pinned-from-", "minReplicas and maxReplicas back by hand"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
			if got := f.hpa(t); *got.Spec.MinReplicas != 6 || got.Spec.MaxReplicas != 6 || got.ResourceVersion != "20" || got.Annotations[AnnotationPinnedFrom] != `{"min":2,` {
				t.Errorf("HPA written: bounds %d..%d rv %s annotations %v", *got.Spec.MinReplicas, got.Spec.MaxReplicas, got.ResourceVersion, got.Annotations)
			}
			if lines := auditLines(t, f.audit); len(lines) != 1 || lines[0].Applied {
				t.Errorf("audit = %+v, want one not-applied line", lines)
			}
		})
	}
}

// setReplicas does what the HPA controller would: sets the Deployment's
// replicas.
func (f *fixture) setReplicas(t *testing.T, n int32) {
	t.Helper()
	d := f.deployment(t)
	d.Spec.Replicas = &n
	if _, err := f.cs.AppsV1().Deployments(testNS).Update(f.ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update deployment: %v", err)
	}
}

func TestScaleThroughHPARecordsOriginalMin(t *testing.T) {
	// Raising minReplicas outlives the console: the HPA keeps the floor. The
	// first move saves the original minReplicas on the HPA, in the same
	// patch; later moves keep it; a move back to it removes it.
	f := newFixture(t, nil, newDeployment(2), newHPA(2, 10, 2))
	steps := []struct {
		from, to int32
		wantMin  int32
		wantOrig string // "" means no annotation
	}{
		{from: 2, to: 8, wantMin: 8, wantOrig: "2"},
		{from: 8, to: 5, wantMin: 5, wantOrig: "2"},
		{from: 5, to: 9, wantMin: 9, wantOrig: "2"},
		{from: 9, to: 2, wantMin: 2, wantOrig: ""},
		{from: 2, to: 3, wantMin: 3, wantOrig: "2"},
	}
	for _, s := range steps {
		f.setReplicas(t, s.from)
		f.cs.ClearActions()
		res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: s.from, To: s.to, Reason: "load"})
		if err != nil || !res.Applied {
			t.Fatalf("Scale(%d → %d) = %+v, %v; want applied", s.from, s.to, res, err)
		}
		h := f.hpa(t)
		got, ok := h.Annotations[AnnotationOriginalMin]
		if *h.Spec.MinReplicas != s.wantMin || got != s.wantOrig || ok != (s.wantOrig != "") {
			t.Errorf("after %d → %d: min %d, %s %q (present %v); want min %d, %q", s.from, s.to, *h.Spec.MinReplicas, AnnotationOriginalMin, got, ok, s.wantMin, s.wantOrig)
		}
		// The record travels with the bound: one HPA patch holds both.
		var patches []string
		for _, a := range f.cs.Actions() {
			if p, ok := a.(k8stesting.PatchAction); ok && a.GetResource().Resource == "horizontalpodautoscalers" {
				patches = append(patches, string(p.GetPatch()))
			}
		}
		if len(patches) != 1 || !strings.Contains(patches[0], "minReplicas") {
			t.Errorf("after %d → %d: HPA patches %q, want one carrying minReplicas", s.from, s.to, patches)
		}
		eventually(t, "the cache to see the HPA", func() bool {
			st, err := f.c.State(f.ctx)
			return err == nil && st.HPA != nil && st.HPA.Bounds.Min == s.wantMin
		})
		om := f.c.OriginalMinReplicas()
		if s.wantOrig == "" && om != nil || s.wantOrig != "" && (om == nil || strconv.Itoa(int(*om)) != s.wantOrig) {
			t.Errorf("after %d → %d: OriginalMinReplicas() = %v, want %q", s.from, s.to, om, s.wantOrig)
		}
	}
	if w := f.c.Warnings(); w != nil {
		t.Errorf("Warnings() = %q, want none", w)
	}
}

func TestScaleThroughHPARefusesUnreadableOriginalMin(t *testing.T) {
	h := newHPA(5, 10, 5)
	h.Annotations = map[string]string{AnnotationOriginalMin: "two"}
	f := newFixture(t, nil, newDeployment(5), h)
	res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 5, To: 7, Reason: "load"})
	if err == nil || res.Applied {
		t.Fatalf("Scale() = %+v, nil; want a refusal", res)
	}
	for _, part := range []string{AnnotationOriginalMin, `"two"`, "kubectl annotate hpa/kimiclaw-hpa kimiscale.kimiclaw.io/original-min-replicas-"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	if got := f.hpa(t); *got.Spec.MinReplicas != 5 || got.ResourceVersion != "20" {
		t.Errorf("HPA written: min %d rv %s", *got.Spec.MinReplicas, got.ResourceVersion)
	}
	if _, err := f.c.State(f.ctx); err != nil {
		t.Fatal(err)
	}
	if w := f.c.Warnings(); len(w) != 1 || !strings.Contains(w[0], `original-min-replicas "two"`) || f.c.OriginalMinReplicas() != nil {
		t.Errorf("Warnings() = %q, OriginalMinReplicas() = %v; want one warning naming the value, and nil", w, f.c.OriginalMinReplicas())
	}
}

func TestHPAChangedSinceTheRequestStarted(t *testing.T) {
	// Someone raises the HPA's minReplicas to 4 after the request started
	// from the cached HPA (version 20, min 2): the write carrying version 20
	// conflicts, the HPA is read again, the Deployment re-checked, and the
	// change is made over the new state (original min 4, not 2).
	f := newFixture(t, nil, newDeployment(3), newHPA(2, 10, 3))
	changed := false
	f.cs.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if !changed {
			changed = true
			h := newHPA(4, 10, 3)
			h.ResourceVersion = "21"
			if err := f.cs.Tracker().Update(autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers"), h, testNS); err != nil {
				t.Errorf("change the HPA: %v", err)
			}
		}
		return false, nil, nil
	})
	f.cs.ClearActions()
	res, err := f.c.Scale(f.ctx, core.ScaleRequest{From: 3, To: 6, Reason: "load"})
	if err != nil || !res.Applied || !strings.Contains(res.Message, "from 4 to 6") {
		t.Fatalf("Scale() = %+v, %v; want applied from the new min 4", res, err)
	}
	want := []string{"get deployments", "patch horizontalpodautoscalers", "get deployments", "get horizontalpodautoscalers", "patch horizontalpodautoscalers", "patch deployments", "create events"}
	if got := verbs(f.cs.Actions()); !cmp.Equal(got, want) {
		t.Fatalf("actions = %v, want %v", got, want)
	}
	for i, rv := range map[int]string{1: "20", 4: "21"} {
		if patch := string(f.cs.Actions()[i].(k8stesting.PatchAction).GetPatch()); !strings.Contains(patch, `"resourceVersion":"`+rv+`"`) {
			t.Errorf("HPA patch %s lacks resourceVersion %s", patch, rv)
		}
	}
	if h := f.hpa(t); *h.Spec.MinReplicas != 6 || h.Annotations[AnnotationOriginalMin] != "4" {
		t.Errorf("HPA min %d, original %q; want 6 and 4", *h.Spec.MinReplicas, h.Annotations[AnnotationOriginalMin])
	}
}

func TestPinUsesTheStartingResourceVersion(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3), newHPA(2, 10, 3))
	f.cs.ClearActions()
	if _, err := f.c.Pin(f.ctx, core.PinRequest{Replicas: 5}); err != nil {
		t.Fatalf("Pin: %v", err)
	}
	if got, want := verbs(f.cs.Actions()), []string{"patch horizontalpodautoscalers", "patch deployments", "create events"}; !cmp.Equal(got, want) {
		t.Fatalf("actions = %v, want %v", got, want)
	}
	if patch := string(f.cs.Actions()[0].(k8stesting.PatchAction).GetPatch()); !strings.Contains(patch, `"resourceVersion":"20"`) {
		t.Errorf("HPA patch %s lacks the starting resourceVersion 20", patch)
	}
}

package core

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCooldown pins the seed's windows (5 min after an up no down, 10 min
// after a down no up), their strict edges, the direction-aware meaning and
// the rule that a scale-down the replicas do not show blocks no scale-up.
func TestCooldown(t *testing.T) {
	p := DefaultPolicy().Cooldown
	up := &LastScale{At: t0, Direction: DirectionUp, From: 3, To: 4}
	down := &LastScale{At: t0, Direction: DirectionDown, From: 4, To: 3}
	// hpaDown is a scale-down through the HPA: minReplicas lowered from 8
	// to 5, the Deployment left to the HPA.
	hpaDown := &LastScale{At: t0, Direction: DirectionDown, From: 8, To: 5, By: "alice@laptop", Reason: "AllBelowThreshold"}
	none := CooldownStatus{Blocks: DirectionNone}
	upBlocked := func(after time.Duration) CooldownStatus {
		return CooldownStatus{Blocks: DirectionUp, Remaining: 10*time.Minute - after, Total: 10 * time.Minute, Until: t0.Add(10 * time.Minute)}
	}
	pending := CooldownStatus{Blocks: DirectionNone, Total: 10 * time.Minute, Until: t0.Add(10 * time.Minute), Pending: true}
	tests := []struct {
		name    string
		last    *LastScale
		current int32
		after   time.Duration
		want    CooldownStatus
	}{
		{name: "no last scale", last: nil, current: 3, want: none},
		{name: "zero record", last: &LastScale{}, current: 3, after: time.Hour, want: none},
		{
			name: "just after an up: down blocked for 5m", last: up, current: 4,
			want: CooldownStatus{Blocks: DirectionDown, Remaining: 5 * time.Minute, Total: 5 * time.Minute, Until: t0.Add(5 * time.Minute)},
		},
		{
			name: "4m59s after an up: down still blocked", last: up, current: 4, after: 4*time.Minute + 59*time.Second,
			want: CooldownStatus{Blocks: DirectionDown, Remaining: time.Second, Total: 5 * time.Minute, Until: t0.Add(5 * time.Minute)},
		},
		{name: "5m00s after an up: free", last: up, current: 4, after: 5 * time.Minute, want: none},
		{
			// The up→down direction is unchanged: an up not seen in the
			// replicas (an HPA's maxReplicas capped it) still blocks a down.
			name: "an up the replicas do not show still blocks a down", last: up, current: 3, after: time.Minute,
			want: CooldownStatus{Blocks: DirectionDown, Remaining: 4 * time.Minute, Total: 5 * time.Minute, Until: t0.Add(5 * time.Minute)},
		},
		{name: "9m59s after a down: up still blocked", last: down, current: 3, after: 9*time.Minute + 59*time.Second, want: upBlocked(9*time.Minute + 59*time.Second)},
		{name: "10m00s after a down: free", last: down, current: 3, after: 10 * time.Minute, want: none},
		{name: "direct down (replicas written with the record): up blocked", last: down, current: 3, after: time.Minute, want: upBlocked(time.Minute)},
		{name: "HPA down not taken effect (replicas at From): up allowed", last: hpaDown, current: 8, after: time.Minute, want: pending},
		{name: "HPA down not taken effect (replicas above From): up allowed", last: hpaDown, current: 9, after: 9 * time.Minute, want: pending},
		{name: "HPA down partly taken effect (replicas below From): up blocked", last: hpaDown, current: 7, after: time.Minute, want: upBlocked(time.Minute)},
		{name: "HPA down taken effect: up blocked", last: hpaDown, current: 5, after: 3 * time.Minute, want: upBlocked(3 * time.Minute)},
		{name: "HPA down not taken effect, window over: free", last: hpaDown, current: 8, after: 10 * time.Minute, want: none},
		{name: "a down without From counts as taken effect", last: &LastScale{At: t0, Direction: DirectionDown}, current: 8, after: time.Minute, want: upBlocked(time.Minute)},
		{
			name: "direction from from/to when not recorded", last: &LastScale{At: t0, From: 6, To: 4}, current: 4, after: time.Minute,
			want: upBlocked(time.Minute),
		},
		{name: "direction from from/to, not taken effect", last: &LastScale{At: t0, From: 6, To: 4}, current: 6, after: time.Minute, want: pending},
		{name: "a no-op record blocks nothing", last: &LastScale{At: t0, From: 4, To: 4}, current: 4, want: none},
		{
			name: "a record 1m in the future counts as now", last: up, current: 4, after: -time.Minute,
			want: CooldownStatus{Blocks: DirectionDown, Remaining: 5 * time.Minute, Total: 5 * time.Minute, Until: t0.Add(4 * time.Minute)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Cooldown(p, tc.last, tc.current, t0.Add(tc.after))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Cooldown(%+v, current %d, t0%+v) (-want +got):\n%s", tc.last, tc.current, tc.after, diff)
			}
		})
	}
}

func TestCooldownAllows(t *testing.T) {
	p := DefaultPolicy().Cooldown
	afterUp := Cooldown(p, &LastScale{At: t0, Direction: DirectionUp, From: 3, To: 4}, 4, t0.Add(time.Minute))
	if !afterUp.Allows(DirectionUp) {
		t.Error("after a scale-up, another scale-up must be allowed (the seed's comments name only the opposite direction)")
	}
	if afterUp.Allows(DirectionDown) {
		t.Error("1m after a scale-up, a scale-down must be blocked")
	}
	afterDown := Cooldown(p, &LastScale{At: t0, Direction: DirectionDown, From: 4, To: 3}, 3, t0.Add(time.Minute))
	if !afterDown.Allows(DirectionDown) || afterDown.Allows(DirectionUp) {
		t.Errorf("1m after a scale-down: Allows(down) = %v, Allows(up) = %v; want true, false",
			afterDown.Allows(DirectionDown), afterDown.Allows(DirectionUp))
	}
	notSeen := Cooldown(p, &LastScale{At: t0, Direction: DirectionDown, From: 8, To: 5}, 8, t0.Add(time.Minute))
	if !notSeen.Allows(DirectionDown) || !notSeen.Allows(DirectionUp) {
		t.Errorf("1m after a scale-down not seen in the replicas: Allows(down) = %v, Allows(up) = %v; want true, true",
			notSeen.Allows(DirectionDown), notSeen.Allows(DirectionUp))
	}
}

package core

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCooldown pins the seed's windows (5 min after an up no down, 10 min
// after a down no up), their strict edges and the direction-aware meaning.
func TestCooldown(t *testing.T) {
	p := DefaultPolicy().Cooldown
	up := &LastScale{At: t0, Direction: DirectionUp, From: 3, To: 4}
	down := &LastScale{At: t0, Direction: DirectionDown, From: 4, To: 3}
	none := CooldownStatus{Blocks: DirectionNone}
	tests := []struct {
		name  string
		last  *LastScale
		after time.Duration
		want  CooldownStatus
	}{
		{name: "no last scale", last: nil, want: none},
		{name: "zero record", last: &LastScale{}, after: time.Hour, want: none},
		{
			name: "just after an up: down blocked for 5m", last: up,
			want: CooldownStatus{Blocks: DirectionDown, Remaining: 5 * time.Minute, Total: 5 * time.Minute, Until: t0.Add(5 * time.Minute)},
		},
		{
			name: "4m59s after an up: down still blocked", last: up, after: 4*time.Minute + 59*time.Second,
			want: CooldownStatus{Blocks: DirectionDown, Remaining: time.Second, Total: 5 * time.Minute, Until: t0.Add(5 * time.Minute)},
		},
		{name: "5m00s after an up: free", last: up, after: 5 * time.Minute, want: none},
		{
			name: "9m59s after a down: up still blocked", last: down, after: 9*time.Minute + 59*time.Second,
			want: CooldownStatus{Blocks: DirectionUp, Remaining: time.Second, Total: 10 * time.Minute, Until: t0.Add(10 * time.Minute)},
		},
		{name: "10m00s after a down: free", last: down, after: 10 * time.Minute, want: none},
		{
			name: "direction from from/to when not recorded", last: &LastScale{At: t0, From: 6, To: 4}, after: time.Minute,
			want: CooldownStatus{Blocks: DirectionUp, Remaining: 9 * time.Minute, Total: 10 * time.Minute, Until: t0.Add(10 * time.Minute)},
		},
		{name: "a no-op record blocks nothing", last: &LastScale{At: t0, From: 4, To: 4}, want: none},
		{
			name: "a record 1m in the future counts as now", last: up, after: -time.Minute,
			want: CooldownStatus{Blocks: DirectionDown, Remaining: 5 * time.Minute, Total: 5 * time.Minute, Until: t0.Add(4 * time.Minute)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Cooldown(p, tc.last, t0.Add(tc.after))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Cooldown() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCooldownAllows(t *testing.T) {
	p := DefaultPolicy().Cooldown
	afterUp := Cooldown(p, &LastScale{At: t0, Direction: DirectionUp}, t0.Add(time.Minute))
	if !afterUp.Allows(DirectionUp) {
		t.Error("after a scale-up, another scale-up must be allowed (the seed's comments name only the opposite direction)")
	}
	if afterUp.Allows(DirectionDown) {
		t.Error("1m after a scale-up, a scale-down must be blocked")
	}
	afterDown := Cooldown(p, &LastScale{At: t0, Direction: DirectionDown}, t0.Add(time.Minute))
	if !afterDown.Allows(DirectionDown) || afterDown.Allows(DirectionUp) {
		t.Errorf("1m after a scale-down: Allows(down) = %v, Allows(up) = %v; want true, false",
			afterDown.Allows(DirectionDown), afterDown.Allows(DirectionUp))
	}
}

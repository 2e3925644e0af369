package core

import "time"

// Cooldown is the seed's anti-flapping rule (ScalingCooldown.canScale) with
// the direction-aware meaning its comments state: within AfterScaleUp of a
// scale-up no scale-down, and within AfterScaleDown of a scale-down no
// scale-up. A scale in the same direction is never blocked (the seed's code
// blocks every action, but its comments name only the opposite direction;
// the comments state the intent).
//
// current is the Deployment's replica count now (spec.replicas, as
// Input.Current). A recorded scale-down blocks a scale-up only once it can
// be seen: while current is still at or above the record's From, the
// scale-down has not happened, and the status is Pending and blocks
// nothing. With an HPA this is the common case: kimiscale scales down by
// lowering the HPA's minReplicas, and the HPA's own metrics may keep the
// Deployment where it was; blocking a scale-up for a scale-down that never
// happened would leave rising load waiting for nothing. Once current falls
// below From, the window from the record's At applies as for any
// scale-down. A direct scale-down (no HPA) writes spec.replicas with the
// record, so it is seen at once and blocks as before. A record without a
// From (0) is taken as seen: the rule errs on the side of blocking. The
// other direction is unchanged: a recorded scale-up blocks a scale-down
// whether or not it has happened.
//
// "Within 5 minutes" is strict: at 4m59s after a scale-up a scale-down is
// blocked, at 5m00s it is not (now − last.At < window blocks).
//
// A last scale stamped in the future (another console's clock runs ahead) is
// treated as having happened now, so the window is never longer than its
// length.
//
// Decide computes the cooldown with this function and reports it in
// Decision.Cooldown; the dashboard's countdown and the status command read
// it from there, so every view of the cooldown follows the same rule.
func Cooldown(p CooldownPolicy, last *LastScale, current int32, now time.Time) CooldownStatus {
	if last == nil || last.At.IsZero() {
		return CooldownStatus{Blocks: DirectionNone}
	}
	var blocks Direction
	var window time.Duration
	switch lastDirection(last) {
	case DirectionUp:
		blocks, window = DirectionDown, p.AfterScaleUp.D()
	case DirectionDown:
		blocks, window = DirectionUp, p.AfterScaleDown.D()
	default:
		return CooldownStatus{Blocks: DirectionNone}
	}
	elapsed := max(now.Sub(last.At), 0)
	if elapsed >= window {
		return CooldownStatus{Blocks: DirectionNone}
	}
	until := now.Add(window - elapsed)
	if blocks == DirectionUp && !scaleDownSeen(last, current) {
		return CooldownStatus{Blocks: DirectionNone, Total: window, Until: until, Pending: true}
	}
	return CooldownStatus{
		Blocks:    blocks,
		Remaining: window - elapsed,
		Total:     window,
		Until:     until,
	}
}

// scaleDownSeen reports whether the replicas show the recorded scale-down:
// fewer than its From now, or no From recorded.
func scaleDownSeen(last *LastScale, current int32) bool {
	return last.From <= 0 || current < last.From
}

// lastDirection is the record's direction, or the one its from/to imply when
// the record does not say.
func lastDirection(l *LastScale) Direction {
	switch l.Direction {
	case DirectionUp, DirectionDown:
		return l.Direction
	}
	switch {
	case l.To > l.From:
		return DirectionUp
	case l.To < l.From:
		return DirectionDown
	}
	return DirectionNone
}

// Allows reports whether the cooldown lets a change in direction d through.
func (c CooldownStatus) Allows(d Direction) bool {
	return c.Blocks == DirectionNone || c.Blocks != d
}

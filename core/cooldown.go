package core

import "time"

// Cooldown is the seed's anti-flapping rule (ScalingCooldown.canScale) with
// the direction-aware meaning its comments state: within AfterScaleUp of a
// scale-up no scale-down, and within AfterScaleDown of a scale-down no
// scale-up. A scale in the same direction is never blocked (the seed's code
// blocks every action, but its comments name only the opposite direction;
// the comments state the intent).
//
// "Within 5 minutes" is strict: at 4m59s after a scale-up a scale-down is
// blocked, at 5m00s it is not (now − last.At < window blocks).
//
// A last scale stamped in the future (another console's clock runs ahead) is
// treated as having happened now, so the window is never longer than its
// length.
func Cooldown(p CooldownPolicy, last *LastScale, now time.Time) CooldownStatus {
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
	return CooldownStatus{
		Blocks:    blocks,
		Remaining: window - elapsed,
		Total:     window,
		Until:     now.Add(window - elapsed),
	}
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

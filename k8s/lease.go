package k8s

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"

	"github.com/kimiclaw/kimiscale/core"
)

// leaseTimes tune leader election.
type leaseTimes struct {
	duration, renew, retry time.Duration
}

// ErrNotLeader refuses an auto-apply write (ScaleRequest.Auto) from a
// console that does not hold the auto-apply Lease.
var ErrNotLeader = errors.New("auto-apply refused: this console does not hold the auto-apply Lease")

// LeaseName is the auto-apply Lease of a Deployment (contract).
func LeaseName(deployment string) string { return "kimiscale-" + deployment }

// campaign is one running Acquire: the elector's goroutine and the
// channel it reports on.
type campaign struct {
	cancel context.CancelFunc
	done   chan struct{} // closed after out is closed

	stop   chan struct{} // closed to unblock pending sends before out closes
	leadMu sync.Mutex    // orders the elector's started and stopped callbacks
	mu     sync.Mutex
	closed bool
	last   core.LeaseStatus
	out    chan core.LeaseStatus
}

// emit sends s unless it repeats the last status or the campaign ended.
func (cp *campaign) emit(s core.LeaseStatus) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.closed || s == cp.last {
		return
	}
	cp.last = s
	select {
	case cp.out <- s:
	case <-cp.stop:
	}
}

// close ends the channel; emits after it are dropped.
func (cp *campaign) close() {
	close(cp.stop)
	cp.mu.Lock()
	cp.closed = true
	close(cp.out)
	cp.mu.Unlock()
	close(cp.done)
}

// Acquire campaigns for the Lease kimiscale-<deployment> (client-go
// leaderelection, identity User plus a per-campaign suffix, so that two
// consoles of one user@host cannot both lead) until Release is called or ctx ends, then
// closes the channel. Statuses arrive on the channel as they change:
// {Held: true} when this console leads; {Held: false, Holder: other} when
// another console leads; {Held: false, Holder: ""} the moment this console
// stops leading (its renewal failed within RenewDeadline, or the Lease was
// taken), after which it campaigns again. Auto-apply must stop on any
// status with Held false. On Release or cancel a held Lease is released at
// once so another console can take over without waiting for it to expire.
func (c *Client) Acquire(ctx context.Context) (<-chan core.LeaseStatus, error) {
	c.leaseMu.Lock()
	defer c.leaseMu.Unlock()
	if c.lease != nil {
		return nil, errors.New("acquire lease: already campaigning; Release first")
	}
	// The elector treats a Lease held under its own identity as its own, so
	// two consoles of the same user@host would both lead: each campaign gets
	// a unique identity, user@host#suffix, shown as user@host.
	identity := c.user + identitySep + utilrand.String(5)
	ctx, cancel := context.WithCancel(ctx)
	cp := &campaign{
		cancel: cancel,
		done:   make(chan struct{}),
		stop:   make(chan struct{}),
		out:    make(chan core.LeaseStatus, 8),
	}
	cfg := leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: c.ns, Name: LeaseName(c.name)},
			Client:     c.client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
		},
		LeaseDuration:   c.leaseTimes.duration,
		RenewDeadline:   c.leaseTimes.renew,
		RetryPeriod:     c.leaseTimes.retry,
		ReleaseOnCancel: true,
		Name:            LeaseName(c.name),
		Callbacks: leaderelection.LeaderCallbacks{
			// The elector calls OnStartedLeading in a goroutine and cancels
			// its ctx before OnStoppedLeading: under leadMu a late start
			// sees the cancel and cannot mark a lost Lease as held.
			OnStartedLeading: func(ctx context.Context) {
				cp.leadMu.Lock()
				defer cp.leadMu.Unlock()
				if ctx.Err() == nil {
					c.leading.Store(true)
					cp.emit(core.LeaseStatus{Held: true, Holder: c.user})
				}
			},
			OnStoppedLeading: func() {
				cp.leadMu.Lock()
				defer cp.leadMu.Unlock()
				c.leading.Store(false) // before telling anyone: auto writes stop now
				cp.emit(core.LeaseStatus{})
			},
			OnNewLeader: func(leader string) {
				if leader != identity { // our own lead is reported by OnStartedLeading
					cp.emit(core.LeaseStatus{Holder: holderName(leader)})
				}
			},
		},
	}
	if _, err := leaderelection.NewLeaderElector(cfg); err != nil {
		cancel()
		return nil, fmt.Errorf("acquire lease %s/%s: %w", c.ns, LeaseName(c.name), err)
	}
	c.lease = cp
	ctx = klog.NewContext(ctx, logr.FromSlogHandler(c.log.Handler()))
	go func() {
		defer cp.close()
		defer c.leading.Store(false)
		for ctx.Err() == nil {
			le, err := leaderelection.NewLeaderElector(cfg)
			if err != nil { // cannot happen: the same config was checked above
				c.log.Error("leader election", "err", err)
				return
			}
			le.Run(ctx) // returns when ctx ends or after losing the lead
			select {
			case <-ctx.Done():
			case <-time.After(c.leaseTimes.retry):
			}
		}
	}()
	return cp.out, nil
}

// Release stops campaigning and gives the Lease up if this console holds
// it; it returns once the release was attempted and the channel closed.
func (c *Client) Release() {
	c.leaseMu.Lock()
	cp := c.lease
	c.lease = nil
	c.leaseMu.Unlock()
	if cp == nil {
		return
	}
	cp.cancel()
	<-cp.done
}

// Holder names who holds the Lease now: its holderIdentity while its
// renewal is not older than its duration, "" when nobody does (no Lease,
// released, or expired).
func (c *Client) Holder(ctx context.Context) (string, error) {
	l, err := c.client.CoordinationV1().Leases(c.ns).Get(ctx, LeaseName(c.name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get lease %s/%s: %w", c.ns, LeaseName(c.name), err)
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
		return "", nil
	}
	if l.Spec.RenewTime != nil && l.Spec.LeaseDurationSeconds != nil {
		// The elector stamps renewTime with the real clock, so expiry is
		// judged by the real clock too (not Options.Clock, which the demo
		// may run faster).
		expires := l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
		if time.Now().After(expires) {
			return "", nil
		}
	}
	return holderName(*l.Spec.HolderIdentity), nil
}

// identitySep separates user@host from the per-campaign suffix in a Lease
// holder identity.
const identitySep = "#"

// holderName is the user@host part of a Lease holder identity.
func holderName(identity string) string {
	if i := strings.LastIndex(identity, identitySep); i > 0 {
		return identity[:i]
	}
	return identity
}

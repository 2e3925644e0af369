package k8s

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kimiclaw/kimiscale/core"
)

// console is a second Client on f's clientset, with short lease times.
func (f *fixture) console(t *testing.T, user string) *Client {
	t.Helper()
	return f.consoleWith(t, user, 2*time.Second, 1500*time.Millisecond)
}

// consoleWith is a second Client on f's clientset with the given lease
// duration and renew deadline (retry period 100 ms).
func (f *fixture) consoleWith(t *testing.T, user string, duration, renew time.Duration) *Client {
	t.Helper()
	c, err := New(Options{Client: f.cs, Namespace: testNS, Deployment: testDep, User: user,
		AuditLogPath: filepath.Join(t.TempDir(), "audit.log"), Clock: f.clock,
		LeaseDuration: duration, RenewDeadline: renew, RetryPeriod: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// statusDeadline bounds the wait for a lease status: generous, for a busy
// machine under -race; the tests that use it prove order, not speed.
const statusDeadline = 20 * time.Second

// next waits for the next status on ch.
func next(t *testing.T, who string, ch <-chan core.LeaseStatus) core.LeaseStatus {
	t.Helper()
	select {
	case s, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", who)
		}
		return s
	case <-time.After(statusDeadline):
		t.Fatalf("%s: no lease status within %v", who, statusDeadline)
	}
	return core.LeaseStatus{}
}

func TestLeaseTwoConsoles(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	// The Lease lasts far longer than the test may wait (statusDeadline), so
	// bob can only take over because alice hands it over, not because it
	// expired: the test proves the order without timing anything.
	const duration = 10 * statusDeadline
	alice, bob := f.consoleWith(t, "alice@laptop", duration, duration/2), f.consoleWith(t, "bob@desk", duration, duration/2)
	ctx, cancel := context.WithTimeout(context.Background(), 3*statusDeadline)
	defer cancel()

	ach, err := alice.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alice.Release)
	if s := next(t, "alice", ach); s != (core.LeaseStatus{Held: true, Holder: "alice@laptop"}) {
		t.Fatalf("alice's first status = %+v, want held", s)
	}
	if _, err := alice.Acquire(ctx); err == nil {
		t.Error("second Acquire on the same console succeeded, want an error")
	}

	bch, err := bob.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bob.Release)
	if s := next(t, "bob", bch); s != (core.LeaseStatus{Held: false, Holder: "alice@laptop"}) {
		t.Fatalf("bob's first status = %+v, want told alice holds it", s)
	}
	if h, err := bob.Holder(ctx); err != nil || h != "alice@laptop" {
		t.Errorf("Holder() = %q, %v; want alice@laptop", h, err)
	}

	// Alice gives up: her channel closes, bob takes over without waiting
	// for the lease to expire (it would not within next's deadline).
	alice.Release()
	for range ach {
	}
	if s := next(t, "bob", bch); !s.Held || s.Holder != "bob@desk" {
		t.Fatalf("bob's status after alice released = %+v, want held", s)
	}
	if h, err := alice.Holder(ctx); err != nil || h != "bob@desk" {
		t.Errorf("Holder() = %q, %v; want bob@desk", h, err)
	}
}

func TestLeaseLostIsReported(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	// A Lease far longer than the test may wait: mallory's hold cannot
	// expire in alice's eyes (she would take it back and report nothing),
	// so the loss is reported when her 2 s renew deadline passes, well
	// within next's deadline even on a busy machine.
	alice := f.consoleWith(t, "alice@laptop", 10*statusDeadline, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*statusDeadline)
	defer cancel()
	ch, err := alice.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alice.Release)
	if s := next(t, "alice", ch); !s.Held {
		t.Fatalf("first status = %+v, want held", s)
	}
	// Someone else takes the Lease over (as after a partition): alice's
	// renewal fails and she must say so.
	l, err := f.cs.CoordinationV1().Leases(testNS).Get(ctx, LeaseName(testDep), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mallory := "mallory@elsewhere#x1"
	l.Spec.HolderIdentity = &mallory
	if _, err := f.cs.CoordinationV1().Leases(testNS).Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Once alice's renewal has failed for the renew deadline she stops
	// leading ({}), and from then on her automatic writes are refused. The
	// elector also reports the new holder, from its own goroutine, so that
	// status may come before or after.
	for i := 0; ; i++ {
		s := next(t, "alice", ch)
		if s == (core.LeaseStatus{}) {
			break
		}
		if i == 2 {
			t.Fatalf("status %+v, and still no report that alice stopped leading", s)
		}
		if s != (core.LeaseStatus{Holder: "mallory@elsewhere"}) {
			t.Fatalf("status after the Lease was taken = %+v, want stopped leading or mallory@elsewhere holding", s)
		}
	}
	if alice.leading.Load() {
		t.Error("alice still marked as leading after she stopped; automatic writes would pass")
	}
}

func TestHolderWithoutLease(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	if h, err := f.c.Holder(f.ctx); err != nil || h != "" {
		t.Errorf("Holder() with no Lease = %q, %v; want \"\", nil", h, err)
	}
}

func TestLeaseSameUserTwice(t *testing.T) {
	// Two consoles of the same user@host: exactly one may lead.
	f := newFixture(t, nil, newDeployment(3))
	one, two := f.console(t, "alice@laptop"), f.console(t, "alice@laptop")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch1, err := one.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(one.Release)
	if s := next(t, "first", ch1); !s.Held {
		t.Fatalf("first console: %+v, want held", s)
	}
	ch2, err := two.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(two.Release)
	if s := next(t, "second", ch2); s != (core.LeaseStatus{Holder: "alice@laptop"}) {
		t.Fatalf("second console: %+v, want not held, alice@laptop holding", s)
	}
	l, err := f.cs.CoordinationV1().Leases(testNS).Get(ctx, LeaseName(testDep), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id := *l.Spec.HolderIdentity; !strings.HasPrefix(id, "alice@laptop#") {
		t.Errorf("holderIdentity = %q, want alice@laptop#<suffix>", id)
	}
}

func TestAutoScaleOnlyByTheLeaseHolder(t *testing.T) {
	f := newFixture(t, nil, newDeployment(3))
	alice, bob := f.console(t, "alice@laptop"), f.console(t, "bob@desk")
	for _, c := range []*Client{alice, bob} {
		if err := c.Start(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	auto := core.ScaleRequest{From: 3, To: 4, Auto: true, Reason: "auto"}
	if _, err := alice.Scale(f.ctx, auto); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("auto Scale before campaigning = %v, want ErrNotLeader", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ach, err := alice.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := next(t, "alice", ach); !s.Held {
		t.Fatalf("alice: %+v, want held", s)
	}
	bch, err := bob.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bob.Release)
	next(t, "bob", bch)
	if _, err := bob.Scale(f.ctx, auto); !errors.Is(err, ErrNotLeader) {
		t.Errorf("bob's auto Scale while alice leads = %v, want ErrNotLeader", err)
	}
	if res, err := alice.Scale(f.ctx, auto); err != nil || !res.Applied {
		t.Fatalf("alice's auto Scale = %+v, %v; want applied", res, err)
	}
	// A human's explicit write needs no Lease.
	if _, err := bob.Scale(f.ctx, core.ScaleRequest{From: 4, To: 5, Reason: "by hand"}); err != nil {
		t.Errorf("bob's manual Scale = %v, want applied", err)
	}
	alice.Release()
	if _, err := alice.Scale(f.ctx, core.ScaleRequest{From: 5, To: 6, Auto: true}); !errors.Is(err, ErrNotLeader) {
		t.Errorf("alice's auto Scale after Release = %v, want ErrNotLeader", err)
	}
	if s := next(t, "bob", bch); !s.Held {
		t.Fatalf("bob after alice released: %+v, want held", s)
	}
	if _, err := bob.Scale(f.ctx, core.ScaleRequest{From: 5, To: 6, Auto: true}); err != nil {
		t.Errorf("bob's auto Scale as the new holder = %v, want applied", err)
	}
	if d := f.deployment(t); *d.Spec.Replicas != 6 {
		t.Errorf("replicas = %d, want 6", *d.Spec.Replicas)
	}
}

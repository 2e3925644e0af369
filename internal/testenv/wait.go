package testenv

import (
	"context"
	"testing"
	"time"
)

// Eventually polls cond every 200 ms until it returns nil or timeout
// passes, then fails the test with what and cond's last error. cond gets a
// context that ends at the timeout, for the requests it makes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		err := cond(ctx)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not true after %s: %v", what, timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

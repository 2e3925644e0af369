// Package testenv starts real servers on 127.0.0.1 for integration tests:
// etcd and kube-apiserver (StartKube), optionally with kube-controller-manager,
// kube-scheduler and a kwok fake node (KubeOptions.Controllers), and
// Prometheus (StartPrometheus).
//
// Tests that use it carry the build tag `integration`:
//
//	//go:build integration
//
//	func TestScale(t *testing.T) {
//		kube := testenv.StartKube(t, testenv.KubeOptions{Controllers: true, Users: []string{"viewer"}})
//		client := kube.Client(t)                // admin (system:masters)
//		ns := kube.Namespace(t)                 // fresh namespace, ready for pods
//		viewer := kube.Config("viewer")         // token user with no groups: RBAC applies
//		kubeconfig := kube.Kubeconfig("viewer") // for CLI tests
//		...
//	}
//
// The Kubernetes servers, etcd and kwok are built from Go modules by
// hack/testbins.sh (`make deps`) into $KIMISCALE_TESTBINS (default
// $HOME/.cache/kimiscale/bin); Prometheus is the Debian package installed by
// hack/install-deps.sh. A missing binary fails the test with a message that
// says to run `make deps`; it never skips.
//
// Every process is started with a bounded startup wait, its output goes to a
// file that is printed (tail) when the test fails, it is stopped in
// t.Cleanup (SIGTERM, then SIGKILL after a grace period), and on Linux it is
// killed by the kernel if the test binary dies (Pdeathsig). Ports are picked
// free on 127.0.0.1; a start that loses a port race is retried with new ports.
//
// Measured on the 2-core development machine while other work shared it:
// etcd is ready in under 1 s (~40 MiB RSS), kube-apiserver in 5-10 s
// (~290 MiB), the controllers and the kwok node 1 s later
// (controller-manager ~90 MiB, scheduler ~70 MiB, kwok ~50 MiB); a
// Deployment's pods are Ready about 0.5 s after it is created. Prometheus is
// ready in under 1 s (~40 MiB), and its first scrape lands about 5 s after
// start (target discovery runs every 5 s), then every scrape interval.
//
// All methods must be called from the test's goroutine (they call t.Fatal).
package testenv

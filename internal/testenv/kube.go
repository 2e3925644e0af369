package testenv

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// AdminUser is the token user in group system:masters that Config and
// Kubeconfig use for "" and that Client uses.
const AdminUser = "admin"

// DefaultControllers returns the kube-controller-manager controllers that
// KubeOptions.Controllers runs: Deployments, their ReplicaSets, the HPA, and
// the default ServiceAccount every namespace needs before pods can be created.
func DefaultControllers() []string {
	return []string{
		"deployment-controller",
		"replicaset-controller",
		"horizontal-pod-autoscaler-controller",
		"serviceaccount-controller",
	}
}

// KubeOptions configures StartKube. The zero value starts etcd and
// kube-apiserver only.
type KubeOptions struct {
	// Users are extra token users with no groups, so RBAC decides what they
	// may do (e.g. "viewer", "operator"). Names must be unique, non-empty,
	// not AdminUser, and free of commas, quotes and whitespace.
	Users []string

	// Controllers also starts kube-controller-manager (DefaultControllers
	// plus ExtraControllers), kube-scheduler and kwok with one fake node
	// (KwokNodeName), so Deployments get pods that turn Running and Ready.
	Controllers bool

	// ExtraControllers are added to DefaultControllers, e.g.
	// "garbage-collector-controller" or "namespace-controller".
	ExtraControllers []string

	// HPASyncPeriod is the HPA controller's sync period; 0 means 2s.
	HPASyncPeriod time.Duration

	// APIServerFlags and ControllerManagerFlags are appended to the
	// servers' command lines (later flags win).
	APIServerFlags         []string
	ControllerManagerFlags []string

	// StartTimeout bounds each server's startup; 0 means 2 minutes.
	StartTimeout time.Duration
}

// validate returns an error naming the first bad option.
func (o KubeOptions) validate() error {
	seen := map[string]bool{AdminUser: true}
	for _, u := range o.Users {
		switch {
		case u == "":
			return fmt.Errorf("KubeOptions.Users: empty user name")
		case u == AdminUser:
			return fmt.Errorf("KubeOptions.Users: %q is the built-in admin; choose another name", u)
		case strings.ContainsAny(u, ",\"' \t\r\n"):
			return fmt.Errorf("KubeOptions.Users: %q: a name must not contain commas, quotes or whitespace", u)
		case seen[u]:
			return fmt.Errorf("KubeOptions.Users: %q listed twice", u)
		}
		seen[u] = true
	}
	if o.HPASyncPeriod < 0 {
		return fmt.Errorf("KubeOptions.HPASyncPeriod: %s is negative; use 0 for the default (2s)", o.HPASyncPeriod)
	}
	if o.StartTimeout < 0 {
		return fmt.Errorf("KubeOptions.StartTimeout: %s is negative; use 0 for the default (2m)", o.StartTimeout)
	}
	if len(o.ExtraControllers) > 0 && !o.Controllers {
		return fmt.Errorf("KubeOptions.ExtraControllers: set Controllers too, or no controller-manager runs them")
	}
	return nil
}

// Kube is a running etcd and kube-apiserver on 127.0.0.1, optionally with
// controllers, a scheduler and a kwok node. StartKube stops it in t.Cleanup.
type Kube struct {
	t       testing.TB
	opts    KubeOptions
	dir     string
	bins    binaries
	timeout time.Duration

	etcd      *etcd
	apiserver *process
	port      int
	caData    []byte
	tokens    map[string]string // user -> bearer token

	controllerManager, scheduler, kwok *process

	mu          sync.Mutex
	kubeconfigs map[string]string
	stopped     bool
}

// StartKube starts etcd and kube-apiserver (and, with opts.Controllers,
// kube-controller-manager, kube-scheduler and kwok), waits until they are
// ready, and stops them all in t.Cleanup. It fails the test, naming the
// server and printing its output, when a binary is missing or a server does
// not become ready within opts.StartTimeout.
func StartKube(t testing.TB, opts KubeOptions) *Kube {
	t.Helper()
	if err := opts.validate(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	bins := locateBinaries(BinDir())
	need := []string{bins.etcd, bins.apiserver}
	if opts.Controllers {
		need = append(need, bins.controllerManager, bins.scheduler, bins.kwok)
		need = append(need, bins.kwokStages...)
	}
	if err := checkExecutables(need...); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	k := &Kube{
		t:           t,
		opts:        opts,
		dir:         t.TempDir(),
		bins:        bins,
		timeout:     cmp.Or(opts.StartTimeout, defaultStartTimeout),
		tokens:      map[string]string{},
		kubeconfigs: map[string]string{},
	}
	logTailsOnFailure(t, k.processes)
	t.Cleanup(k.Stop)

	if err := k.writeCredentials(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	began := time.Now()
	e, err := startEtcd(bins.etcd, k.dir, k.timeout)
	k.etcd = e
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	etcdReady := time.Since(began)

	began = time.Now()
	if err := k.startAPIServer(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	apiReady := time.Since(began)

	if !opts.Controllers {
		t.Logf("testenv: etcd ready in %s, kube-apiserver in %s (https://127.0.0.1:%d)", etcdReady.Round(time.Millisecond), apiReady.Round(time.Millisecond), k.port)
		return k
	}
	began = time.Now()
	if err := k.startControllers(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Logf("testenv: etcd ready in %s, kube-apiserver in %s (https://127.0.0.1:%d), controllers and kwok node in %s",
		etcdReady.Round(time.Millisecond), apiReady.Round(time.Millisecond), k.port, time.Since(began).Round(time.Millisecond))
	return k
}

// writeCredentials writes the token file and the service-account key.
func (k *Kube) writeCredentials() error {
	var csv strings.Builder
	for _, u := range append([]string{AdminUser}, k.opts.Users...) {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("make token for %s: %w", u, err)
		}
		k.tokens[u] = hex.EncodeToString(b)
		// token,user,uid[,"group1,group2"]
		fmt.Fprintf(&csv, "%s,%s,%s", k.tokens[u], u, u)
		if u == AdminUser {
			csv.WriteString(`,"system:masters"`)
		}
		csv.WriteString("\n")
	}
	if err := os.WriteFile(filepath.Join(k.dir, "tokens.csv"), []byte(csv.String()), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate service-account key: %w", err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(k.dir, "sa.key"), pemKey, 0o600); err != nil {
		return fmt.Errorf("write service-account key: %w", err)
	}
	return nil
}

// startAPIServer starts kube-apiserver on a free port (first time) and
// reads the serving CA it generated.
func (k *Kube) startAPIServer() error {
	k.apiserver = &process{name: "kube-apiserver", path: k.bins.apiserver, logPath: filepath.Join(k.dir, "kube-apiserver.log")}
	configure := func(ports []int) {
		k.port = ports[0]
		k.apiserver.args = append([]string{
			"--etcd-servers", k.etcd.clientURL,
			"--bind-address", "127.0.0.1",
			"--advertise-address", "127.0.0.1",
			"--secure-port", strconv.Itoa(k.port),
			"--cert-dir", filepath.Join(k.dir, "apiserver-certs"),
			"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file", filepath.Join(k.dir, "sa.key"),
			"--service-account-signing-key-file", filepath.Join(k.dir, "sa.key"),
			"--token-auth-file", filepath.Join(k.dir, "tokens.csv"),
			"--authorization-mode", "RBAC",
			"--service-cluster-ip-range", "10.96.0.0/24",
			// Without it the API server refuses a loopback advertise address.
			"--endpoint-reconciler-type", "none",
			// Fewer moving parts and less CPU on a shared test machine.
			"--enable-priority-and-fairness=false",
			"--profiling=false",
		}, k.opts.APIServerFlags...)
	}
	if err := startWithRetry(k.apiserver, 1, k.timeout, configure, k.apiReady); err != nil {
		return fmt.Errorf("start kube-apiserver: %w", err)
	}
	ca, err := os.ReadFile(filepath.Join(k.dir, "apiserver-certs", "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("read the API server's self-signed certificate: %w", err)
	}
	k.caData = ca
	return nil
}

// apiReady asks /readyz as the admin. The probe skips TLS verification
// because the serving certificate is only known once the server wrote it.
func (k *Kube) apiReady(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.URL()+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.tokens[AdminUser])
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("kube-apiserver /readyz: %s", resp.Status)
	}
	return nil
}

// URL returns the API server's address, https://127.0.0.1:PORT.
func (k *Kube) URL() string {
	return "https://127.0.0.1:" + strconv.Itoa(k.port)
}

// Users returns the token users: AdminUser first, then KubeOptions.Users.
func (k *Kube) Users() []string {
	return append([]string{AdminUser}, k.opts.Users...)
}

// Config returns a client configuration for user ("" means AdminUser),
// authenticated by its bearer token and verifying the server's certificate.
// An unknown user fails the test.
func (k *Kube) Config(user string) *rest.Config {
	k.t.Helper()
	user = cmp.Or(user, AdminUser)
	token, ok := k.tokens[user]
	if !ok {
		k.t.Fatalf("testenv: Config(%q): unknown user; known users are %s (add more with KubeOptions.Users)", user, strings.Join(k.Users(), ", "))
	}
	return &rest.Config{
		Host:            k.URL(),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: slices.Clone(k.caData)},
		QPS:             100,
		Burst:           200,
	}
}

// Client returns a clientset for AdminUser.
func (k *Kube) Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	return k.ClientFor(t, AdminUser)
}

// ClientFor returns a clientset for user ("" means AdminUser).
func (k *Kube) ClientFor(t testing.TB, user string) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(k.Config(user))
	if err != nil {
		t.Fatalf("testenv: clientset for %q: %v", user, err)
	}
	return c
}

// Kubeconfig returns the path of a kubeconfig file for user ("" means
// AdminUser) with one context, "testenv", namespace "default". The file is
// written once per user and lives until the test ends.
func (k *Kube) Kubeconfig(user string) string {
	k.t.Helper()
	cfg := k.Config(user) // fails the test on an unknown user
	user = cmp.Or(user, AdminUser)
	k.mu.Lock()
	defer k.mu.Unlock()
	if p, ok := k.kubeconfigs[user]; ok {
		return p
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["testenv"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: user, Namespace: "default"}
	kc.CurrentContext = "testenv"
	p := filepath.Join(k.dir, "kubeconfig-"+user)
	if err := clientcmd.WriteToFile(*kc, p); err != nil {
		k.t.Fatalf("testenv: write kubeconfig for %q: %v", user, err)
	}
	k.kubeconfigs[user] = p
	return p
}

// StopAPIServer stops kube-apiserver (SIGTERM, SIGKILL after 10 s) and
// leaves etcd and the controllers running, for fault tests.
func (k *Kube) StopAPIServer() {
	k.t.Helper()
	k.apiserver.stop(syscall.SIGTERM, stopGrace)
}

// KillAPIServer kills kube-apiserver at once (SIGKILL), for fault tests that
// want no graceful shutdown.
func (k *Kube) KillAPIServer() {
	k.t.Helper()
	k.apiserver.stop(syscall.SIGKILL, stopGrace)
}

// StartAPIServer starts kube-apiserver again on the same port, with the same
// etcd, certificates and tokens, and waits until it is ready; clients and
// kubeconfigs made before keep working.
func (k *Kube) StartAPIServer() {
	k.t.Helper()
	if k.apiserver.running() {
		k.t.Fatalf("testenv: StartAPIServer: kube-apiserver is already running; call StopAPIServer first")
	}
	began := time.Now()
	if err := k.apiserver.start(); err != nil {
		k.t.Fatalf("testenv: restart kube-apiserver: %v", err)
	}
	if err := k.apiserver.waitReady(k.timeout, k.apiReady); err != nil {
		k.t.Fatalf("testenv: restart kube-apiserver on port %d: %v", k.port, err)
	}
	k.t.Logf("testenv: kube-apiserver restarted in %s", time.Since(began).Round(time.Millisecond))
}

// Stop stops every server, controllers first and etcd last. It is safe to
// call more than once; StartKube calls it in t.Cleanup.
func (k *Kube) Stop() {
	k.mu.Lock()
	if k.stopped {
		k.mu.Unlock()
		return
	}
	k.stopped = true
	k.mu.Unlock()
	procs := k.processes()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(syscall.SIGTERM, stopGrace)
	}
}

// processes returns the started servers in start order.
func (k *Kube) processes() []*process {
	var ps []*process
	if k.etcd != nil {
		ps = append(ps, k.etcd.proc)
	}
	for _, p := range []*process{k.apiserver, k.controllerManager, k.scheduler, k.kwok} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// Namespace creates a namespace with a generated name (prefix "test-") for
// one test's objects and returns its name. With KubeOptions.Controllers it
// also waits for the namespace's default ServiceAccount, which pods need.
// The namespace is left in place: no namespace controller runs to empty it,
// and the whole cluster goes away with the test.
func (k *Kube) Namespace(t testing.TB) string {
	t.Helper()
	c := k.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	defer cancel()
	ns, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("testenv: create namespace: %v", err)
	}
	if !k.opts.Controllers {
		return ns.Name
	}
	err = k.waitControllers(ctx, "ServiceAccount "+ns.Name+"/default", func(ctx context.Context) error {
		_, err := c.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("testenv: namespace %s: %v", ns.Name, err)
	}
	return ns.Name
}

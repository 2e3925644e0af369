package k8s

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	autoscalinginformers "k8s.io/client-go/informers/autoscaling/v2"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Names kimiscale reads and writes besides the Deployment itself.
const (
	// ConfigMapName is the ConfigMap holding DuckDB's settings.
	ConfigMapName = "duckdb-config"
	// VPAName is the VerticalPodAutoscaler kimiscale reads recommendations from.
	VPAName = "kimiclaw-vpa"
	// ContainerName is the container whose requests and limits kimiscale reads.
	ContainerName = "kimiclaw"
	// Component is the Event source and reporting controller of kimiscale.
	Component = "kimiscale"
)

// Annotations kimiscale keeps its shared state in (contract, DESIGN.md).
const (
	// AnnotationLastScale on the Deployment holds the last scale as JSON
	// {"at", "direction", "from", "to", "by", "reason"} (core.LastScale).
	AnnotationLastScale = "kimiscale.kimiclaw.io/last-scale"
	// AnnotationPinnedFrom on the HPA holds its bounds before kimiscale
	// pinned it, as JSON {"min", "max"} (core.Bounds).
	AnnotationPinnedFrom = "kimiscale.kimiclaw.io/pinned-from"
	// AnnotationOriginalMin on the HPA holds its minReplicas before
	// kimiscale first moved it (Scale, not pin), as a decimal number, e.g.
	// "2"; it is removed when a later Scale brings minReplicas back to it.
	AnnotationOriginalMin = "kimiscale.kimiclaw.io/original-min-replicas"
	// AnnotationBy on a kimiscale Event names the user who made the write.
	AnnotationBy = "kimiscale.kimiclaw.io/by"
	// AnnotationRestartedAt is the pod-template annotation kubectl rollout
	// restart sets; changing it rolls the pods.
	AnnotationRestartedAt = "kubectl.kubernetes.io/restartedAt"
)

// vpaGVR is the VerticalPodAutoscaler resource (its CRD may be absent).
var vpaGVR = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}

// ErrNotStarted is returned by State and Events before Start has synced the
// caches.
var ErrNotStarted = errors.New("cluster state not loaded yet: Start has not synced the watches")

// Options configure a Client. Client, Namespace, Deployment and User are
// required.
type Options struct {
	// Client talks to the cluster.
	Client kubernetes.Interface
	// Dynamic reads the VPA; nil means no VPA is read.
	Dynamic dynamic.Interface
	// Namespace and Deployment name kimiclaw-db's Deployment.
	Namespace, Deployment string
	// User is recorded with every write and is the Lease identity, as
	// user@host.
	User string
	// DryRun makes every write a server-side dry run (metav1.DryRunAll).
	DryRun bool
	// AuditLogPath is the local JSON-lines audit log; "" means
	// $XDG_STATE_HOME/kimiscale/audit.log (~/.local/state/kimiscale/audit.log).
	AuditLogPath string
	// Clock stamps writes, annotations and Events; nil means the real clock.
	Clock clock.PassiveClock
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger

	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election;
	// zero means 15 s, 10 s and 2 s (client-go's usual values).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Client reads kimiclaw-db's cluster state from watches and writes
// replicas, HPA bounds and DuckDB settings with preconditions. It
// implements the dashboard's ClusterReader, Actuator, AccessChecker and
// LeaseHolder. It is safe for concurrent use.
type Client struct {
	client     kubernetes.Interface
	dynamic    dynamic.Interface
	ns, name   string
	user       string
	dryRun     bool
	clock      clock.PassiveClock
	log        *slog.Logger
	audit      *auditLog
	leaseTimes leaseTimes

	deployments cache.SharedIndexInformer
	hpas        cache.SharedIndexInformer
	configMaps  cache.SharedIndexInformer
	events      cache.SharedIndexInformer

	mu      sync.Mutex
	started bool
	synced  bool
	vpa     cache.SharedIndexInformer // nil when there is no VPA to read
	// warnings are the last State call's problems (see Warnings).
	warnings []string
	// originalMin is the last State call's original-min-replicas (see
	// OriginalMinReplicas).
	originalMin *int32
	// selector is the Deployment's selector string (see selectorOf).
	selector cachedSelector

	leading atomic.Bool // this console holds the Lease (set by the elector)
	leaseMu sync.Mutex
	lease   *campaign // the running campaign, nil when none
}

// New checks opts and builds a Client; it does no network I/O. It creates
// the audit log's directory (0700) and file (0600) so that a log that cannot
// be written is reported now rather than after a write.
func New(opts Options) (*Client, error) {
	if opts.Client == nil {
		return nil, errors.New("k8s options: Client is required")
	}
	if errs := validation.IsDNS1123Label(opts.Namespace); opts.Namespace == "" || len(errs) > 0 {
		return nil, fmt.Errorf("k8s options: namespace %q is not a valid namespace name (lower-case letters, digits and '-', at most 63)", opts.Namespace)
	}
	if errs := validation.IsDNS1123Subdomain(opts.Deployment); opts.Deployment == "" || len(errs) > 0 {
		return nil, fmt.Errorf("k8s options: deployment %q is not a valid Deployment name (lower-case letters, digits, '-' and '.', at most 253)", opts.Deployment)
	}
	if opts.User == "" {
		return nil, errors.New("k8s options: User (user@host) is required: every write is recorded with it")
	}
	c := &Client{
		client:  opts.Client,
		dynamic: opts.Dynamic,
		ns:      opts.Namespace,
		name:    opts.Deployment,
		user:    opts.User,
		dryRun:  opts.DryRun,
		clock:   opts.Clock,
		log:     opts.Logger,
		leaseTimes: leaseTimes{
			duration: orDefault(opts.LeaseDuration, 15*time.Second),
			renew:    orDefault(opts.RenewDeadline, 10*time.Second),
			retry:    orDefault(opts.RetryPeriod, 2*time.Second),
		},
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	path := opts.AuditLogPath
	if path == "" {
		var err error
		if path, err = DefaultAuditLogPath(); err != nil {
			return nil, err
		}
	}
	audit, err := openAuditLog(path)
	if err != nil {
		return nil, err
	}
	c.audit = audit

	byName := func(name string) func(*metav1.ListOptions) {
		return func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}
	}
	c.deployments = appsinformers.NewFilteredDeploymentInformer(c.client, c.ns, 0, cache.Indexers{}, byName(c.name))
	// An HPA cannot be field-selected by its target: watch the namespace's
	// HPAs (few) and pick the one whose scaleTargetRef is the Deployment.
	c.hpas = autoscalinginformers.NewFilteredHorizontalPodAutoscalerInformer(c.client, c.ns, 0, cache.Indexers{}, nil)
	c.configMaps = coreinformers.NewFilteredConfigMapInformer(c.client, c.ns, 0, cache.Indexers{}, byName(ConfigMapName))
	c.events = coreinformers.NewFilteredEventInformer(c.client, c.ns, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.AndSelectors(
			fields.OneTermEqualSelector("involvedObject.kind", "Deployment"),
			fields.OneTermEqualSelector("involvedObject.name", c.name),
		).String()
	})
	return c, nil
}

// orDefault returns d, or def when d is zero.
func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// DefaultAuditLogPath is $XDG_STATE_HOME/kimiscale/audit.log, or
// ~/.local/state/kimiscale/audit.log when XDG_STATE_HOME is unset.
func DefaultAuditLogPath() (string, error) {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "kimiscale", "audit.log"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("audit log path: set XDG_STATE_HOME or HOME: %w", err)
	}
	return filepath.Join(home, ".local", "state", "kimiscale", "audit.log"), nil
}

// Start starts the watches (Deployment, HPAs, duckdb-config, the
// Deployment's Events and, when its CRD is served and Dynamic is set, the
// VPA) and waits until their caches are synced or ctx ends. The watches run
// until ctx ends; they re-list and resume by themselves after a broken
// connection. Start may be called once.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return errors.New("k8s client: Start called twice")
	}
	c.started = true
	c.mu.Unlock()

	// client-go's informers log through the context's logger: send that to
	// Options.Logger, never to the terminal the dashboard draws on.
	ctx = klog.NewContext(ctx, logr.FromSlogHandler(c.log.Handler()))
	vpa, err := c.vpaInformer(ctx)
	if err != nil {
		return err
	}
	watches := []*watched{
		{what: "deployment " + c.name, inf: c.deployments},
		{what: "horizontalpodautoscalers", inf: c.hpas},
		{what: "configmap " + ConfigMapName, inf: c.configMaps},
		{what: "events", inf: c.events},
	}
	if vpa != nil {
		watches = append(watches, &watched{what: "verticalpodautoscaler " + VPAName, inf: vpa, optional: true})
	}
	for _, w := range watches {
		if err := w.inf.SetWatchErrorHandlerWithContext(w.handle); err != nil {
			return fmt.Errorf("watch %s: %w", w.what, err)
		}
		wctx, cancel := context.WithCancel(ctx)
		w.stop = cancel
		go w.inf.RunWithContext(wctx)
	}
	// Wait for every cache, but fail at once (rather than wait forever while
	// the reflector retries) when the server refuses a list: RBAC will not
	// change by waiting. The VPA is optional: without the right to read it
	// the dashboard runs without it.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		pending := 0
		for _, w := range watches {
			if w.inf.HasSynced() || w.dropped {
				continue
			}
			if err := w.refused(); err != nil {
				if !w.optional {
					return fmt.Errorf("watch %s in namespace %s: %w", w.what, c.ns, err)
				}
				c.log.Warn("running without the VPA", "err", err)
				w.stop()
				w.dropped = true
				vpa = nil
				continue
			}
			pending++
		}
		if pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("watch %s/%s and its HPA, ConfigMap and Events: caches not synced: %w", c.ns, c.name, context.Cause(ctx))
		case <-tick.C:
		}
	}
	c.mu.Lock()
	c.vpa = vpa
	c.synced = true
	c.mu.Unlock()
	c.log.Info("watching cluster state", "namespace", c.ns, "deployment", c.name, "vpa", vpa != nil)
	return nil
}

// watched is one informer Start runs, with the error that refused its list.
type watched struct {
	what     string
	inf      cache.SharedIndexInformer
	optional bool // the dashboard works without it
	dropped  bool // optional and refused: stopped, not waited for
	stop     context.CancelFunc

	mu  sync.Mutex
	err error // the last Forbidden or Unauthorized error
}

// handle is the informer's watch error handler: client-go's default (log
// and retry with backoff), and remember a refusal.
func (w *watched) handle(ctx context.Context, r *cache.Reflector, err error) {
	cache.DefaultWatchErrorHandler(ctx, r, err)
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}
}

// refused is the error that refused the list, nil if none.
func (w *watched) refused() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// vpaInformer returns an informer for the VPA when Dynamic is set and the
// server serves autoscaling.k8s.io/v1 verticalpodautoscalers, else nil.
// A missing CRD is a normal state, not an error.
func (c *Client) vpaInformer(ctx context.Context) (cache.SharedIndexInformer, error) {
	if c.dynamic == nil {
		return nil, nil
	}
	list, err := discovery.ToDiscoveryInterfaceWithContext(c.client.Discovery()).ServerResourcesForGroupVersionWithContext(ctx, vpaGVR.GroupVersion().String())
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("discover %s: %w", vpaGVR.GroupVersion(), err)
	}
	served := false
	for _, r := range list.APIResources {
		served = served || r.Name == vpaGVR.Resource
	}
	if !served {
		return nil, nil
	}
	inf := dynamicinformer.NewFilteredDynamicInformer(c.dynamic, vpaGVR, c.ns, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", VPAName).String()
	})
	return inf.Informer(), nil
}

// cached returns the object named name from inf's cache, nil if absent.
func cached[T any](inf cache.SharedIndexInformer, ns, name string) *T {
	obj, ok, err := inf.GetIndexer().GetByKey(ns + "/" + name)
	if err != nil || !ok {
		return nil
	}
	t, _ := obj.(*T)
	return t
}

// cachedDeployment is the Deployment from the watch cache, nil if absent.
func (c *Client) cachedDeployment() *appsv1.Deployment {
	return cached[appsv1.Deployment](c.deployments, c.ns, c.name)
}

// cachedConfigMap is duckdb-config from the watch cache, nil if absent.
func (c *Client) cachedConfigMap() *corev1.ConfigMap {
	return cached[corev1.ConfigMap](c.configMaps, c.ns, ConfigMapName)
}

// cachedHPA is the HPA whose scaleTargetRef is the Deployment, nil if none.
// With several (a misconfiguration Kubernetes itself reports as
// AmbiguousSelector), the first by name is used.
func (c *Client) cachedHPA() *autoscalingv2.HorizontalPodAutoscaler {
	var found *autoscalingv2.HorizontalPodAutoscaler
	for _, obj := range c.hpas.GetStore().List() {
		h, ok := obj.(*autoscalingv2.HorizontalPodAutoscaler)
		if !ok || !targets(h, c.name) {
			continue
		}
		if found == nil || h.Name < found.Name {
			found = h
		}
	}
	return found
}

// targets reports whether h scales the Deployment name.
func targets(h *autoscalingv2.HorizontalPodAutoscaler, name string) bool {
	ref := h.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || ref.Name != name {
		return false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && (gv.Group == "apps" || ref.APIVersion == "")
}

// isSynced reports whether Start has synced the caches.
func (c *Client) isSynced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.synced
}

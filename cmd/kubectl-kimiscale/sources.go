package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	"k8s.io/utils/clock"

	"github.com/kimiclaw/kimiscale/core"
	"github.com/kimiclaw/kimiscale/demo"
	"github.com/kimiclaw/kimiscale/k8s"
	"github.com/kimiclaw/kimiscale/metrics"
	"github.com/kimiclaw/kimiscale/ui"
)

// sources are the clients one run of the dashboard or status uses.
type sources struct {
	deps ui.Deps
	// notice is a sentence to show the user before starting (e.g. the
	// metrics.k8s.io fallback); empty when there is nothing to say.
	notice string
	// run starts background work (informers, the demo clock); it returns
	// when ctx ends.
	start func(ctx context.Context) error
	state func(ctx context.Context) (core.ClusterState, error)
	// headless prints decisions instead of the dashboard (demo only).
	headless func(ctx context.Context, w io.Writer) error
}

// logger returns a logger writing to --debug's file, or discarding.
func (o *Options) logger() (*slog.Logger, func(), error) {
	if o.DebugLog == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}, nil
	}
	f, err := os.OpenFile(o.DebugLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--debug: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}

// identity is user@host, recorded with every write and the Lease.
func (o *Options) identity(c *cluster) string {
	name := ""
	if o.configFlags.Impersonate != nil && *o.configFlags.Impersonate != "" {
		name = *o.configFlags.Impersonate
	}
	if name == "" && c != nil {
		if raw, err := o.configFlags.ToRawKubeConfigLoader().RawConfig(); err == nil {
			if ctx, ok := raw.Contexts[c.context]; ok && ctx.AuthInfo != "" {
				name = ctx.AuthInfo
			}
		}
	}
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	host, _ := os.Hostname()
	return strings.TrimSpace(name) + "@" + host
}

// buildSources connects to the demo or a real cluster and builds the
// dashboard's dependencies.
func (o *Options) buildSources(ctx context.Context, logger *slog.Logger) (*sources, error) {
	p, err := o.policy()
	if err != nil {
		return nil, err
	}
	deps := ui.Deps{
		Deployment: o.Deployment,
		Policy:     p,
		Interval:   o.Interval,
		Backfill:   backfillFor(p, o.Interval),
		DryRun:     o.DryRun,
		ReadOnly:   o.ReadOnly,
		Auto:       o.Auto,
		Logger:     logger,
	}
	if o.Demo {
		return o.demoSources(deps)
	}
	c, err := o.connect()
	if err != nil {
		return nil, err
	}
	// Prometheus' settings are checked before the first request to the API
	// server (building the source sends nothing), so a bad URL is reported
	// as such, not hidden behind an unreachable cluster.
	var prom ui.MetricsSource
	if o.Prometheus.URL != "" || o.Prometheus.Service != "" {
		if prom, _, err = o.metricsSource(c, "", logger); err != nil {
			return nil, err
		}
	}
	dep, err := c.checkDeployment(ctx, o.Deployment)
	if err != nil {
		return nil, err
	}
	selector, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s selector: %w", o.Deployment, err)
	}
	deps.Context = c.context
	deps.Namespace = c.namespace
	deps.User = o.identity(c)
	deps.Clock = clock.RealClock{}
	dyn, err := dynamic.NewForConfig(c.config)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	kc, err := k8s.New(k8s.Options{
		Client: c.client, Dynamic: dyn, Namespace: c.namespace, Deployment: o.Deployment,
		User: deps.User, DryRun: o.DryRun, Clock: deps.Clock, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	src := &sources{start: kc.Start, state: kc.State}
	deps.Cluster, deps.Access, deps.Lease = kc, kc, kc
	if !o.ReadOnly {
		deps.Actuator = kc
	}
	if prom != nil {
		deps.Metrics = prom
	} else {
		if deps.Metrics, src.notice, err = o.metricsSource(c, selector.String(), logger); err != nil {
			return nil, err
		}
		deps.Policy = withoutRules(deps.Policy, core.MetricQPS, core.MetricConnections)
	}
	src.deps = deps
	return src, nil
}

// metricsSource is Prometheus when a URL or service is given, else the
// metrics.k8s.io fallback.
func (o *Options) metricsSource(c *cluster, selector string, logger *slog.Logger) (ui.MetricsSource, string, error) {
	pc := o.Prometheus
	cfg := metrics.PrometheusConfig{
		URL:                   pc.URL,
		BearerToken:           pc.BearerToken,
		BearerTokenFile:       pc.BearerTokenFile,
		BasicAuthUser:         pc.BasicAuthUser,
		BasicAuthPassword:     pc.BasicAuthPassword,
		BasicAuthPasswordFile: pc.BasicAuthPasswordFile,
		CAFile:                pc.CAFile,
		InsecureSkipTLSVerify: pc.InsecureSkipTLSVerify,
		Headers:               pc.Headers,
		Timeout:               pc.Timeout,
		Range:                 pc.Range,
		Namespace:             c.namespace,
		PodRegex:              metrics.PodRegex(o.Deployment),
		Logger:                logger,
	}
	if len(pc.Queries) > 0 {
		cfg.Queries = map[core.Metric]string{}
		for k, v := range pc.Queries {
			cfg.Queries[core.Metric(k)] = v
		}
	}
	switch {
	case pc.Service != "":
		u, err := metrics.ServiceProxyURL(c.config.Host, pc.Service)
		if err != nil {
			return nil, "", fmt.Errorf("--prometheus-service: %w", err)
		}
		rt, err := rest.TransportFor(c.config)
		if err != nil {
			return nil, "", fmt.Errorf("--prometheus-service: %w", err)
		}
		cfg.URL, cfg.RoundTripper = u, rt
	case pc.URL == "":
		mc, err := metricsclient.NewForConfig(c.config)
		if err != nil {
			return nil, "", fmt.Errorf("metrics.k8s.io client: %w", err)
		}
		src, err := metrics.NewMetricsAPI(metrics.MetricsAPIConfig{
			PodMetrics: mc.MetricsV1beta1().PodMetricses(c.namespace),
			Pods:       c.client.CoreV1().Pods(c.namespace),
			Namespace:  c.namespace,
			Selector:   selector,
			Timeout:    pc.Timeout,
		})
		if err != nil {
			return nil, "", err
		}
		return src, noPrometheusNotice, nil
	}
	src, err := metrics.NewPrometheus(cfg)
	if err != nil {
		return nil, "", err
	}
	return src, "", nil
}

const noPrometheusNotice = "no --prometheus-url or --prometheus-service given: CPU and memory come from " +
	"metrics.k8s.io (metrics-server) and decide alone; QPS and connections are shown as unavailable and " +
	"their rules are left out. Point kimiscale at Prometheus for all four metrics."

// withoutRules drops the rules of metrics the source cannot provide at all
// (metrics.k8s.io has no QPS or connections): a metric that can never be
// read is not "stale", and keeping its rule would block every scale-down
// and auto-apply for good.
func withoutRules(p core.Policy, drop ...core.Metric) core.Policy {
	rules := make([]core.Rule, 0, len(p.Rules))
	for _, r := range p.Rules {
		if !slices.Contains(drop, r.Metric) {
			rules = append(rules, r)
		}
	}
	p.Rules = rules
	return p
}

// backfillFor is how much history to backfill at start: an hour at least,
// two seasons when the forecast model wants one.
func backfillFor(p core.Policy, interval time.Duration) time.Duration {
	d := time.Hour
	switch p.Forecast.Model {
	case core.ModelHoltWinters, core.ModelAuto:
		d = max(d, 2*p.Forecast.Season.D())
	}
	return max(d, time.Duration(p.Forecast.Points)*interval)
}

// demoSources runs everything on the embedded demo cluster, through the
// same k8s/ code a real cluster uses.
func (o *Options) demoSources(deps ui.Deps) (*sources, error) {
	d, err := demo.New(demo.Options{Speed: o.Speed, Namespace: demoNamespace, Deployment: o.Deployment})
	if err != nil {
		return nil, err
	}
	deps.Context = "demo"
	deps.Namespace = demoNamespace
	deps.User = "you@demo"
	deps.Clock = d.Clock()
	kc, err := k8s.New(k8s.Options{
		Client: d.Clientset(), Namespace: demoNamespace, Deployment: o.Deployment,
		User: deps.User, DryRun: o.DryRun, Clock: d.Clock(), Logger: deps.Logger,
		AuditLogPath: demoAuditPath(),
	})
	if err != nil {
		return nil, err
	}
	deps.Cluster, deps.Access, deps.Lease = kc, kc, kc
	if !o.ReadOnly {
		deps.Actuator = kc
	}
	deps.Metrics = d.Metrics()
	return &sources{
		deps: deps,
		start: func(ctx context.Context) error {
			go d.Run(ctx)
			return kc.Start(ctx)
		},
		state: kc.State,
		headless: func(ctx context.Context, w io.Writer) error {
			return d.Headless(ctx, w, deps.Policy)
		},
	}, nil
}

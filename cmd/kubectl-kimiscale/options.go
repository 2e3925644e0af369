package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

const defaultDeployment = "kimiclaw-db"

// Options are the flags and state shared by the dashboard and status.
type Options struct {
	streams     genericiooptions.IOStreams
	configFlags *genericclioptions.ConfigFlags

	ConfigPath string
	Deployment string

	Prometheus promConfig
	headers    []string

	Interval   time.Duration
	PolicyPath string
	Auto       bool
	DryRun     bool
	ReadOnly   bool
	Demo       bool
	Headless   bool
	Speed      float64
	DebugLog   string

	file fileConfig
	// quietWarnings sends the API server's warnings nowhere: while the
	// dashboard runs, nothing may write to the terminal.
	quietWarnings bool
}

// NewOptions returns Options with kubectl's kubeconfig flags.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{
		streams:     streams,
		configFlags: genericclioptions.NewConfigFlags(true),
		Interval:    15 * time.Second,
		Speed:       60,
		Prometheus:  promConfig{Timeout: 5 * time.Second, Range: 2 * time.Minute},
	}
}

// addFlags registers the flags every cluster-facing command shares.
func (o *Options) addFlags(fs *pflag.FlagSet) {
	o.configFlags.AddFlags(fs)
	fs.StringVar(&o.ConfigPath, "config", defaultConfigPath(), "config file with Prometheus settings, queries and the policy path")
	fs.StringVar(&o.Prometheus.URL, "prometheus-url", "", "Prometheus base URL, e.g. http://127.0.0.1:9090 (without it, CPU and memory come from metrics.k8s.io)")
	fs.StringVar(&o.Prometheus.Service, "prometheus-service", "", "reach an in-cluster Prometheus through the API server proxy: NAMESPACE/NAME:PORT")
	fs.StringVar(&o.Prometheus.BearerTokenFile, "prometheus-bearer-token-file", "", "file holding a bearer token for Prometheus")
	fs.StringVar(&o.Prometheus.BasicAuthUser, "prometheus-basic-auth-user", "", "basic-auth user name for Prometheus")
	fs.StringVar(&o.Prometheus.BasicAuthPasswordFile, "prometheus-basic-auth-password-file", "", "file holding the basic-auth password for Prometheus")
	fs.StringVar(&o.Prometheus.CAFile, "prometheus-ca-file", "", "CA bundle to verify Prometheus' TLS certificate")
	fs.BoolVar(&o.Prometheus.InsecureSkipTLSVerify, "prometheus-insecure-skip-tls-verify", false, "do not verify Prometheus' TLS certificate (insecure)")
	fs.StringArrayVar(&o.headers, "prometheus-header", nil, "extra HTTP header for Prometheus as NAME=VALUE, repeatable (e.g. X-Scope-OrgID=tenant)")
	fs.DurationVar(&o.Prometheus.Timeout, "prometheus-timeout", o.Prometheus.Timeout, "timeout of one poll of Prometheus")
	setValid(fs, "prometheus-timeout", validTimeout)
	fs.DurationVar(&o.Prometheus.Range, "prometheus-range", o.Prometheus.Range, "range of the default queries' rate() windows; at least 4 scrape intervals")
	setValid(fs, "prometheus-range", validRange)
	fs.DurationVar(&o.Interval, "interval", o.Interval, "poll interval, "+validInterval)
	setValid(fs, "interval", validInterval)
	fs.StringVar(&o.PolicyPath, "policy", "", "policy file (YAML); default: the seed policy")
}

// addDashboardFlags registers the dashboard's own flags.
func (o *Options) addDashboardFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Auto, "auto", false, "start with auto-apply requested (needs the Lease kimiscale-<deployment>)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "send every write as a server-side dry run; nothing changes")
	fs.BoolVar(&o.ReadOnly, "readonly", false, "never write; the write keys are disabled")
	fs.BoolVar(&o.Demo, "demo", false, "run on the embedded demo cluster (no Kubernetes needed)")
	fs.BoolVar(&o.Headless, "headless", false, "with --demo: print one decision line per simulated minute instead of the dashboard")
	fs.Float64Var(&o.Speed, "speed", o.Speed, "with --demo: how fast the trace replays; valid is "+validSpeed)
	setValid(fs, "speed", validSpeed)
	fs.StringVar(&o.DebugLog, "debug", "", "write a debug log to this file (never to the screen)")
}

// Complete fills the options from the arguments, the config file and the
// kubeconfig; flags given on the command line win over the config file.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.Deployment = defaultDeployment
	if len(args) > 0 {
		name, err := parseDeploymentArg(args[0])
		if err != nil {
			return err
		}
		o.Deployment = name
	}
	explicit := cmd.Flags().Changed("config")
	file, err := loadConfig(o.ConfigPath, explicit)
	if err != nil {
		return err
	}
	o.file = file
	// A value from the file fills a setting unless its flag was given.
	// (loadConfig has already rejected zero or negative durations.)
	flags := cmd.Flags()
	p := &o.Prometheus
	fp := file.Prometheus
	fromFile(flags, "prometheus-url", &p.URL, fp.URL)
	fromFile(flags, "prometheus-service", &p.Service, fp.Service)
	fromFile(flags, "prometheus-bearer-token-file", &p.BearerTokenFile, fp.BearerTokenFile)
	fromFile(flags, "prometheus-basic-auth-user", &p.BasicAuthUser, fp.BasicAuthUser)
	fromFile(flags, "prometheus-basic-auth-password-file", &p.BasicAuthPasswordFile, fp.BasicAuthPasswordFile)
	fromFile(flags, "prometheus-ca-file", &p.CAFile, fp.CAFile)
	fromFile(flags, "prometheus-insecure-skip-tls-verify", &p.InsecureSkipTLSVerify, fp.InsecureSkipTLSVerify)
	fromFile(flags, "prometheus-timeout", &p.Timeout, fp.Timeout)
	fromFile(flags, "prometheus-range", &p.Range, fp.Range)
	fromFile(flags, "interval", &o.Interval, file.Interval)
	fromFile(flags, "policy", &o.PolicyPath, file.Policy)
	// An inline secret in the file applies only when no file of it is named.
	if p.BearerTokenFile == "" {
		p.BearerToken = fp.BearerToken
	}
	if p.BasicAuthPasswordFile == "" {
		p.BasicAuthPassword = fp.BasicAuthPassword
	}
	p.Queries = fp.Queries
	p.Headers = map[string]string{}
	for k, v := range fp.Headers {
		p.Headers[k] = v
	}
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("--prometheus-header %q: valid is NAME=VALUE, e.g. X-Scope-OrgID=tenant", h)
		}
		p.Headers[strings.TrimSpace(k)] = v
	}
	return nil
}

// fromFile sets *dst to the config file's value v when the flag was not
// given on the command line and the file sets it (v is not zero).
func fromFile[T comparable](flags *pflag.FlagSet, flag string, dst *T, v T) {
	var zero T
	if !flags.Changed(flag) && v != zero {
		*dst = v
	}
}

// deploymentArgs accepts at most one argument, the Deployment.
func deploymentArgs(_ *cobra.Command, args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("%d arguments %q: give at most one Deployment, as NAME or deploy/NAME", len(args), args)
	}
	return nil
}

// parseDeploymentArg accepts NAME, deploy/NAME, deployment/NAME,
// deployments/NAME and deployments.apps/NAME, as kubectl does.
func parseDeploymentArg(arg string) (string, error) {
	kind, name, found := strings.Cut(arg, "/")
	if !found {
		name, kind = arg, ""
	}
	switch kind {
	case "", "deploy", "deployment", "deployments", "deployment.apps", "deployments.apps":
	default:
		return "", fmt.Errorf("%q: kimiscale scales Deployments; give NAME or deploy/NAME, not %s/", arg, kind)
	}
	if name == "" {
		return "", fmt.Errorf("%q: the Deployment name is empty; give NAME or deploy/NAME", arg)
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("%q: not a Deployment name: %s", arg, strings.Join(errs, "; "))
	}
	return name, nil
}

// Validate rejects flags that contradict each other.
func (o *Options) Validate(cmd *cobra.Command) error {
	changed := func(name string) bool { return cmd.Flags().Lookup(name) != nil && cmd.Flags().Changed(name) }
	nsErr := o.checkNamespace()
	switch {
	case o.Interval < minInterval || o.Interval > maxInterval:
		return o.badSetting(cmd, "interval", o.Interval, validInterval)
	case o.Prometheus.Timeout <= 0:
		return o.badSetting(cmd, "prometheus-timeout", o.Prometheus.Timeout, validTimeout)
	case o.Prometheus.Range <= 0:
		return o.badSetting(cmd, "prometheus-range", o.Prometheus.Range, validRange)
	case nsErr != nil:
		return nsErr
	case !validRequestTimeout(ptrValue(o.configFlags.Timeout)):
		return fmt.Errorf("--request-timeout %q: valid is 0 (no timeout) or a positive duration such as 30s (a bare number is seconds)", ptrValue(o.configFlags.Timeout))
	case !o.Demo && o.Prometheus.URL != "" && o.Prometheus.Service != "":
		return fmt.Errorf("--prometheus-url and --prometheus-service both set: give one (the service is reached through the API server)")
	case o.Auto && o.ReadOnly:
		return fmt.Errorf("--auto and --readonly contradict each other: auto-apply writes to the cluster")
	case o.DryRun && o.ReadOnly:
		return fmt.Errorf("--dry-run and --readonly contradict each other: --readonly never writes, not even a dry run")
	case o.Headless && !o.Demo:
		return fmt.Errorf("--headless works only with --demo; for one decision from a cluster run: kubectl kimiscale status")
	case !o.Demo && (changed("speed")):
		return fmt.Errorf("--speed works only with --demo")
	}
	if o.Demo {
		if err := o.validateDemo(cmd.Flags()); err != nil {
			return err
		}
	}
	if o.Headless {
		// The headless demo watches: it prints what core.Decide says each
		// simulated minute and writes nothing, at the demo's own step.
		var unread []string
		for _, f := range []string{"auto", "dry-run", "interval"} {
			if changed(f) {
				unread = append(unread, "--"+f)
			}
		}
		if len(unread) > 0 {
			return fmt.Errorf("--headless prints a decision per simulated minute and never writes: drop %s", strings.Join(unread, ", "))
		}
	}
	// Above maxSpeed a second of wall time passes more than a day of the
	// trace, the widest chart window. (!(…) also catches NaN.)
	if !(o.Speed >= minSpeed && o.Speed <= maxSpeed) {
		return badFlag("speed", o.Speed, validSpeed)
	}
	return nil
}

// The range of --speed: real time up to 100000 simulated seconds per wall
// second (the demo benchmark replays 30 days a minute at 43200). Measured in
// a 120×40 tmux pane 15 s after start (2026-11-30): the header says "fresh
// 0s ago" and every metric has a value at 43200 and at 100000. (On
// 2026-11-29, before the demo's steps and the dashboard's polls got
// cheaper, they were stale for 1m39s at 43200 and 31m at 100000.)
const (
	minSpeed   = 1
	maxSpeed   = 100000
	validSpeed = "1 to 100000 simulated seconds per wall second (60 replays a trace minute a second, 43200 30 days a minute)"
)

// The ranges of the duration settings. Polling faster than once a second
// would hammer the API server and Prometheus for nothing (Prometheus scrapes
// every 15 to 60 s); slower than once an hour, the dashboard is not live.
const (
	minInterval   = time.Second
	maxInterval   = time.Hour
	validInterval = "1s to 1h, e.g. 15s"
	validTimeout  = "a positive duration such as 5s"
	validRange    = "a positive duration such as 2m (at least 4 scrape intervals)"
)

// checkNamespace refuses a -n that is no namespace name. An empty one means
// "the kubeconfig's", as in kubectl, so scripts can pass -n "$NS".
func (o *Options) checkNamespace() error {
	ns := ptrValue(o.configFlags.Namespace)
	if ns == "" {
		return nil
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("--namespace %q: not a namespace name: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}

// validRequestTimeout reports whether client-go accepts --request-timeout
// and it is not negative: a bare integer is seconds, else a duration.
// client-go's own error ("Invalid timeout value") names no flag, and it
// lets a negative duration through.
func validRequestTimeout(v string) bool {
	if v == "" {
		return true
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n >= 0
	}
	d, err := time.ParseDuration(v)
	return err == nil && d >= 0
}

// badSetting is badFlag for a setting the config file may also fill: it
// names the file's key when the value came from there, not the flag.
func (o *Options) badSetting(cmd *cobra.Command, flag string, value any, valid string) error {
	if key, set := o.file.setBy(flag); set && !cmd.Flags().Changed(flag) {
		return fmt.Errorf("config file %s: %s %v: valid is %s", o.ConfigPath, key, value, valid)
	}
	return badFlag(flag, value, valid)
}

// demoNamespace is the namespace of the demo cluster's only Deployment,
// defaultDeployment.
const demoNamespace = "default"

// validateDemo refuses what --demo cannot honour. The demo cluster holds
// exactly Deployment default/kimiclaw-db and brings its own metrics: a
// Deployment, a namespace, a kubeconfig or a Prometheus named with it would
// otherwise be ignored, and the dashboard would show kimiclaw-db's data under
// the name the user gave. Prometheus settings from the config file (not
// flags) are ignored: the file describes the real cluster, and the demo must
// run for a user who has one.
func (o *Options) validateDemo(flags *pflag.FlagSet) error {
	const has = "the demo cluster has one Deployment, " + demoNamespace + "/" + defaultDeployment
	if o.Deployment != defaultDeployment {
		return fmt.Errorf("deployment %q with --demo: %s; drop the argument or give %s", o.Deployment, has, defaultDeployment)
	}
	if ns := ptrValue(o.configFlags.Namespace); ns != "" && ns != demoNamespace {
		return fmt.Errorf("--namespace %q with --demo: %s; drop -n or give -n %s", ns, has, demoNamespace)
	}
	kube := pflag.NewFlagSet("kubeconfig", pflag.ContinueOnError)
	genericclioptions.NewConfigFlags(true).AddFlags(kube)
	var refused []string
	flags.Visit(func(f *pflag.Flag) { // changed flags, in lexical order
		if f.Name != "namespace" && (kube.Lookup(f.Name) != nil || strings.HasPrefix(f.Name, "prometheus-")) {
			refused = append(refused, "--"+f.Name)
		}
	})
	if len(refused) > 0 {
		return fmt.Errorf("--demo runs on an embedded cluster with its own metrics: drop %s (they choose or reach a real cluster or Prometheus)", strings.Join(refused, ", "))
	}
	return nil
}

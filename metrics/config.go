package metrics

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	"k8s.io/utils/clock"

	"github.com/kimiclaw/kimiscale/core"
)

// DefaultTimeout bounds one poll (all four instant queries together).
const DefaultTimeout = 5 * time.Second

// DefaultBackfillTimeout bounds one Backfill.
const DefaultBackfillTimeout = 30 * time.Second

// PrometheusConfig says how to reach Prometheus and what to ask it. Only URL,
// Namespace and PodRegex are required.
//
// Its String, GoString and LogValue methods name which credentials are set,
// never their values, so a config can be logged or printed with %v, %+v and
// %#v.
type PrometheusConfig struct {
	// URL is Prometheus' base URL (http or https), without /api/v1, e.g.
	// http://prometheus.monitoring:9090 or, through the API server's service
	// proxy, https://APISERVER/api/v1/namespaces/NS/services/NAME:PORT/proxy/.
	// Credentials in the URL are refused: use the fields below.
	URL string

	// BearerToken or BearerTokenFile (re-read on every request, so a
	// rotated token is picked up) sends "Authorization: Bearer ...".
	BearerToken     string
	BearerTokenFile string
	// BasicAuthUser with BasicAuthPassword or BasicAuthPasswordFile (re-read
	// on every request) sends HTTP basic auth.
	BasicAuthUser         string
	BasicAuthPassword     string
	BasicAuthPasswordFile string

	// CAFile is a PEM bundle trusted in addition to the system's roots.
	CAFile string
	// InsecureSkipTLSVerify turns off certificate verification.
	InsecureSkipTLSVerify bool
	// Headers are sent with every request, e.g. X-Scope-OrgID for Mimir or
	// Cortex. String shows their names only.
	Headers map[string]string

	// RoundTripper, when set, carries every request instead of a transport
	// built from the TLS fields above, e.g. rest.TransportFor(restConfig)
	// for a URL through the API server's service proxy, which then
	// authenticates with the kubeconfig's own credentials. It excludes
	// CAFile, InsecureSkipTLSVerify and the bearer and basic credentials
	// (the proxy's Authorization header is the API server's).
	RoundTripper http.RoundTripper

	// Timeout bounds one poll (default DefaultTimeout); BackfillTimeout
	// bounds one Backfill (default DefaultBackfillTimeout).
	Timeout         time.Duration
	BackfillTimeout time.Duration

	// Namespace and PodRegex select the Deployment's pods: PodRegex(name),
	// or a regex built from the pods its label selector matches.
	Namespace string
	PodRegex  string
	// Container is the container read in every pod (default "kimiclaw").
	Container string
	// Range is the rate window of the default queries (default 2m).
	Range time.Duration
	// Queries replaces the default PromQL of the metrics it names. Each is
	// a text/template over QueryData.
	Queries map[core.Metric]string

	// Clock stamps snapshots and failed readings (default the real clock);
	// the readings of successful queries carry Prometheus' own timestamps.
	Clock clock.PassiveClock
	// Logger receives Prometheus' warnings; nil discards them.
	Logger *slog.Logger
}

// String implements fmt.Stringer without any secret.
func (c PrometheusConfig) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prometheus %s", c.displayURL())
	if a := c.authKind(); a != "" {
		fmt.Fprintf(&b, " with %s", a)
	}
	if c.RoundTripper != nil {
		b.WriteString(" via a custom transport")
	}
	if c.CAFile != "" {
		fmt.Fprintf(&b, ", CA file %s", c.CAFile)
	}
	if c.InsecureSkipTLSVerify {
		b.WriteString(", TLS verification OFF")
	}
	if len(c.Headers) > 0 {
		names := make([]string, 0, len(c.Headers))
		for k := range c.Headers {
			names = append(names, k)
		}
		slices.Sort(names)
		fmt.Fprintf(&b, ", headers %s (values hidden)", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, ", namespace %q, pods =~ %q", c.Namespace, c.PodRegex)
	return b.String()
}

// GoString implements fmt.GoStringer, so %#v hides secrets too.
func (c PrometheusConfig) GoString() string { return "metrics.PrometheusConfig{" + c.String() + "}" }

// LogValue implements slog.LogValuer without any secret.
func (c PrometheusConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// displayURL is the URL without anything secret: credentials are refused by
// validation, but a config that was never validated may still carry them.
func (c PrometheusConfig) displayURL() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

func (c PrometheusConfig) authKind() string {
	switch {
	case c.BearerTokenFile != "":
		return "bearer token from " + c.BearerTokenFile
	case c.BearerToken != "":
		return "bearer token"
	case c.BasicAuthPasswordFile != "":
		return fmt.Sprintf("basic auth as %q, password from %s", c.BasicAuthUser, c.BasicAuthPasswordFile)
	case c.BasicAuthUser != "":
		return fmt.Sprintf("basic auth as %q", c.BasicAuthUser)
	}
	return ""
}

// validURL checks the URL and returns it parsed. Its errors never repeat the
// URL, which may hold credentials.
func validURL(raw string) (*url.URL, error) {
	const want = "want http[s]://HOST[:PORT][/PATH], e.g. http://prometheus.monitoring:9090"
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("prometheus URL is empty: " + want)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("prometheus URL is not a valid URL: " + want)
	}
	if u.User != nil {
		return nil, errors.New("prometheus URL must not carry credentials (user:password@): use the basic auth or bearer token options, which keep them out of logs")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if u.Scheme == "" {
			return nil, errors.New("prometheus URL has no scheme: " + want)
		}
		return nil, fmt.Errorf("prometheus URL scheme %q is not supported: %s", u.Scheme, want)
	}
	if u.Host == "" {
		return nil, errors.New("prometheus URL has no host: " + want)
	}
	if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/api/v1") {
		return nil, errors.New("prometheus URL ends in /api/v1: give Prometheus' base URL, without /api/v1")
	}
	return u, nil
}

// validate checks every field, fills the defaults and returns the completed
// config and the parsed URL.
func (c PrometheusConfig) validate() (PrometheusConfig, *url.URL, error) {
	u, err := validURL(c.URL)
	if err != nil {
		return c, nil, err
	}
	var errs []error
	if c.BearerToken != "" && c.BearerTokenFile != "" {
		errs = append(errs, errors.New("give a bearer token or a bearer token file, not both"))
	}
	if c.BasicAuthPassword != "" && c.BasicAuthPasswordFile != "" {
		errs = append(errs, errors.New("give a basic auth password or a password file, not both"))
	}
	hasBasic := c.BasicAuthUser != "" || c.BasicAuthPassword != "" || c.BasicAuthPasswordFile != ""
	if hasBasic && c.BasicAuthUser == "" {
		errs = append(errs, errors.New("basic auth password given without a user"))
	}
	hasBearer := c.BearerToken != "" || c.BearerTokenFile != ""
	if hasBasic && hasBearer {
		errs = append(errs, errors.New("give a bearer token or basic auth, not both"))
	}
	for _, f := range []struct{ what, path string }{
		{"bearer token file", c.BearerTokenFile},
		{"basic auth password file", c.BasicAuthPasswordFile},
	} {
		if f.path == "" {
			continue
		}
		if _, err := readSecretFile(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.what, err))
		}
	}
	if c.RoundTripper != nil {
		if c.CAFile != "" || c.InsecureSkipTLSVerify {
			errs = append(errs, errors.New("a custom transport (e.g. the API server's service proxy) brings its own TLS: CA file and insecure-skip-tls-verify apply only to a direct URL"))
		}
		if hasBasic || hasBearer {
			errs = append(errs, errors.New("a custom transport (e.g. the API server's service proxy) brings its own credentials: bearer token and basic auth apply only to a direct URL"))
		}
	}
	if c.CAFile != "" {
		if _, err := loadCAs(c.CAFile); err != nil {
			errs = append(errs, err)
		}
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n\t") {
			errs = append(errs, fmt.Errorf("header name %q is not a valid HTTP header name", k))
		}
		if strings.EqualFold(k, "Authorization") {
			errs = append(errs, errors.New("set Authorization with the bearer token or basic auth options, not as an extra header"))
		}
	}
	for k, v := range c.Headers {
		if strings.ContainsAny(v, "\r\n") {
			errs = append(errs, fmt.Errorf("header %s: value must not contain line breaks", k))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative: want a positive duration such as 5s", c.Timeout))
	} else if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.BackfillTimeout < 0 {
		errs = append(errs, fmt.Errorf("backfill timeout %s is negative: want a positive duration such as 30s", c.BackfillTimeout))
	} else if c.BackfillTimeout == 0 {
		c.BackfillTimeout = DefaultBackfillTimeout
	}
	if strings.TrimSpace(c.Namespace) == "" {
		errs = append(errs, errors.New("namespace is empty: the queries select the Deployment's pods by namespace"))
	}
	if strings.TrimSpace(c.PodRegex) == "" {
		errs = append(errs, errors.New("pod regex is empty: use metrics.PodRegex(deployment) or a regex of the selector's pods"))
	} else if _, err := regexp.Compile(c.PodRegex); err != nil {
		errs = append(errs, fmt.Errorf("pod regex %q is not a valid regular expression: %w", c.PodRegex, err))
	}
	if c.Container == "" {
		c.Container = DefaultContainer
	}
	if c.Range < 0 || (c.Range > 0 && c.Range < time.Second) {
		errs = append(errs, fmt.Errorf("range %s is too short: want at least 1s, and at least twice the scrape interval", c.Range))
	} else if c.Range == 0 {
		c.Range = DefaultRange
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, u, errors.Join(errs...)
}

// readSecretFile reads a token or password file, trimmed of surrounding
// whitespace (files written by editors end in a newline).
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// transport builds the round tripper for a validated config: the custom one,
// or a clone of client_golang's default with the TLS options; then the
// credentials and extra headers on top.
func (c PrometheusConfig) transport() (http.RoundTripper, error) {
	base := c.RoundTripper
	if base == nil {
		def, ok := api.DefaultRoundTripper.(*http.Transport)
		if !ok {
			def = http.DefaultTransport.(*http.Transport)
		}
		t := def.Clone()
		if c.CAFile != "" || c.InsecureSkipTLSVerify {
			t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			if c.CAFile != "" {
				pool, err := loadCAs(c.CAFile)
				if err != nil {
					return nil, err
				}
				t.TLSClientConfig.RootCAs = pool
			}
			// The user asked for it by name; String shows it loudly.
			t.TLSClientConfig.InsecureSkipVerify = c.InsecureSkipTLSVerify //nolint:gosec
		}
		base = t
	}
	return &authRoundTripper{
		base:         base,
		bearer:       c.BearerToken,
		bearerFile:   c.BearerTokenFile,
		user:         c.BasicAuthUser,
		password:     c.BasicAuthPassword,
		passwordFile: c.BasicAuthPasswordFile,
		headers:      c.Headers,
	}, nil
}

// authRoundTripper adds credentials and extra headers to a copy of each
// request (a RoundTripper must not modify its request).
type authRoundTripper struct {
	base         http.RoundTripper
	bearer       string
	bearerFile   string
	user         string
	password     string
	passwordFile string
	headers      map[string]string
}

// RoundTrip implements http.RoundTripper.
func (a *authRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	for k, v := range a.headers {
		r.Header.Set(k, v)
	}
	switch {
	case a.bearerFile != "":
		tok, err := readSecretFile(a.bearerFile)
		if err != nil {
			closeBody(req)
			return nil, fmt.Errorf("bearer token file: %w", err)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
	case a.bearer != "":
		r.Header.Set("Authorization", "Bearer "+a.bearer)
	case a.user != "":
		pw := a.password
		if a.passwordFile != "" {
			p, err := readSecretFile(a.passwordFile)
			if err != nil {
				closeBody(req)
				return nil, fmt.Errorf("basic auth password file: %w", err)
			}
			pw = p
		}
		r.SetBasicAuth(a.user, pw)
	}
	return a.base.RoundTrip(r)
}

// closeBody honours the RoundTripper contract on early returns.
func closeBody(r *http.Request) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
}

// secrets lists the values to scrub from every message: the configured
// token and password, and the current contents of their files.
func (a *authRoundTripper) secrets() []string {
	var s []string
	for _, v := range []string{a.bearer, a.password} {
		if v != "" {
			s = append(s, v)
		}
	}
	for _, f := range []string{a.bearerFile, a.passwordFile} {
		if f == "" {
			continue
		}
		if v, err := readSecretFile(f); err == nil {
			s = append(s, v)
		}
	}
	return s
}

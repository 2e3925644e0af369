package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// fileConfig is the config file (--config, default
// $XDG_CONFIG_HOME/kimiscale/config.yaml). Flags override it.
type fileConfig struct {
	Prometheus promConfig `json:"prometheus"`
	// Policy is the path of a policy file (relative to the config file).
	Policy   string        `json:"policy,omitempty"`
	Interval time.Duration `json:"-"`
	// IntervalString is the poll interval as a duration string ("15s").
	IntervalString string `json:"interval,omitempty"`
}

// promConfig is how kimiscale reaches Prometheus.
type promConfig struct {
	URL                   string            `json:"url,omitempty"`
	Service               string            `json:"service,omitempty"` // NAMESPACE/NAME:PORT through the API server proxy
	BearerTokenFile       string            `json:"bearerTokenFile,omitempty"`
	BearerToken           string            `json:"bearerToken,omitempty"`
	BasicAuthUser         string            `json:"basicAuthUser,omitempty"`
	BasicAuthPasswordFile string            `json:"basicAuthPasswordFile,omitempty"`
	BasicAuthPassword     string            `json:"basicAuthPassword,omitempty"`
	CAFile                string            `json:"caFile,omitempty"`
	InsecureSkipTLSVerify bool              `json:"insecureSkipTLSVerify,omitempty"`
	Headers               map[string]string `json:"headers,omitempty"`
	TimeoutString         string            `json:"timeout,omitempty"`
	Timeout               time.Duration     `json:"-"`
	RangeString           string            `json:"range,omitempty"` // rate() window of the default queries
	Range                 time.Duration     `json:"-"`
	// Queries replace the default PromQL per metric (cpu, memory, qps, connections).
	Queries map[string]string `json:"queries,omitempty"`
}

// defaultConfigPath is $XDG_CONFIG_HOME/kimiscale/config.yaml, falling back
// to ~/.config as the XDG spec says.
func defaultConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "kimiscale", "config.yaml")
}

// loadConfig reads path. A missing file at the default path is no error (an
// empty config); a missing file the user named is.
func loadConfig(path string, explicit bool) (fileConfig, error) {
	var c fileConfig
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config file: %w", err)
	}
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		// sigs.k8s.io/yaml prefixes its JSON decoder's words; keep the part a user can act on.
		msg := err.Error()
		if i := strings.LastIndex(msg, "json: "); i >= 0 {
			msg = msg[i+len("json: "):]
		}
		return c, fmt.Errorf("config file %s: %s (valid keys: prometheus, policy, interval; see the README)", path, msg)
	}
	if c.IntervalString != "" {
		if c.Interval, err = time.ParseDuration(c.IntervalString); err != nil || c.Interval <= 0 {
			return c, fmt.Errorf("config file %s: interval %q: valid is %s", path, c.IntervalString, validInterval)
		}
	}
	if c.Prometheus.TimeoutString != "" {
		if c.Prometheus.Timeout, err = time.ParseDuration(c.Prometheus.TimeoutString); err != nil || c.Prometheus.Timeout <= 0 {
			return c, fmt.Errorf("config file %s: prometheus.timeout %q: valid is %s", path, c.Prometheus.TimeoutString, validTimeout)
		}
	}
	if c.Prometheus.RangeString != "" {
		if c.Prometheus.Range, err = time.ParseDuration(c.Prometheus.RangeString); err != nil || c.Prometheus.Range <= 0 {
			return c, fmt.Errorf("config file %s: prometheus.range %q: valid is %s", path, c.Prometheus.RangeString, validRange)
		}
	}
	for m := range c.Prometheus.Queries {
		switch m {
		case "cpu", "memory", "qps", "connections":
		default:
			return c, fmt.Errorf("config file %s: prometheus.queries.%s: unknown metric; valid: cpu, memory, qps, connections", path, m)
		}
	}
	if c.Policy != "" && !filepath.IsAbs(c.Policy) {
		c.Policy = filepath.Join(filepath.Dir(path), c.Policy)
	}
	return c, nil
}

// setBy returns the file's key for the setting of flag (interval,
// prometheus-timeout or prometheus-range) and whether the file sets it.
func (c fileConfig) setBy(flag string) (key string, set bool) {
	switch flag {
	case "interval":
		return "interval", c.Interval != 0
	case "prometheus-timeout":
		return "prometheus.timeout", c.Prometheus.Timeout != 0
	case "prometheus-range":
		return "prometheus.range", c.Prometheus.Range != 0
	}
	return "", false
}

// redacted returns a copy safe to print: secrets replaced.
func (c fileConfig) redacted() fileConfig {
	r := c
	if r.Prometheus.BearerToken != "" {
		r.Prometheus.BearerToken = "REDACTED"
	}
	if r.Prometheus.BasicAuthPassword != "" {
		r.Prometheus.BasicAuthPassword = "REDACTED"
	}
	if len(c.Prometheus.Headers) > 0 {
		r.Prometheus.Headers = make(map[string]string, len(c.Prometheus.Headers))
		for k, v := range c.Prometheus.Headers {
			if sensitiveHeader(k) {
				v = "REDACTED"
			}
			r.Prometheus.Headers[k] = v
		}
	}
	return r
}

func sensitiveHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Auth-Token":
		return true
	}
	return false
}

package metrics

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ServiceProxyURL returns the URL of an in-cluster Prometheus Service
// through the Kubernetes API server's service proxy:
// APISERVER/api/v1/namespaces/NS/services/[https:]NAME[:PORT]/proxy/.
// apiServer is the kubeconfig's server (rest.Config.Host); service is
// "NAMESPACE/NAME:PORT", PORT a number or a port name, optional (the
// Service's first port), and NAME may carry an "https:" prefix for a Service
// that serves TLS. Pair the URL with PrometheusConfig.RoundTripper set to
// rest.TransportFor(restConfig), so requests carry the kubeconfig's
// credentials (the user needs get on services/proxy in that namespace).
func ServiceProxyURL(apiServer, service string) (string, error) {
	const want = `want NAMESPACE/NAME:PORT, e.g. monitoring/prometheus-k8s:9090 or monitoring/https:prometheus:web`
	ns, rest, ok := strings.Cut(service, "/")
	if !ok || ns == "" || rest == "" {
		return "", fmt.Errorf("prometheus service %q: %s", service, want)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return "", fmt.Errorf("prometheus service %q: namespace %q: %s", service, ns, strings.Join(errs, "; "))
	}
	scheme := ""
	if s, r, ok := strings.Cut(rest, ":"); ok && (s == "https" || s == "http") {
		scheme, rest = s+":", r
	}
	name, port, hasPort := strings.Cut(rest, ":")
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return "", fmt.Errorf("prometheus service %q: service name %q: %s", service, name, strings.Join(errs, "; "))
	}
	if hasPort {
		if n, err := strconv.Atoi(port); err == nil {
			if errs := validation.IsValidPortNum(n); len(errs) > 0 {
				return "", fmt.Errorf("prometheus service %q: port %s: %s", service, port, strings.Join(errs, "; "))
			}
		} else if errs := validation.IsValidPortName(port); len(errs) > 0 {
			return "", fmt.Errorf("prometheus service %q: port %q is neither a number nor a port name: %s", service, port, strings.Join(errs, "; "))
		}
	}
	u, err := url.Parse(apiServer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("API server address is not an http(s) URL: want e.g. https://10.0.0.1:6443 (the kubeconfig's server)")
	}
	u.User = nil
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/namespaces/" + ns + "/services/" + scheme + rest + "/proxy/"
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String(), nil
}

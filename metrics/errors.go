package metrics

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/kimiclaw/kimiscale/core"
)

// QueryError is a query that failed. Its message is the same sentence a
// failed Reading carries in Detail, scrubbed of secrets; Unwrap gives the
// underlying error (e.g. context.DeadlineExceeded, syscall.ECONNREFUSED or a
// *v1.Error) for errors.Is and errors.As.
type QueryError struct {
	Metric core.Metric
	Detail string
	err    error
}

// Error implements error.
func (e *QueryError) Error() string { return fmt.Sprintf("query %s: %s", e.Metric, e.Detail) }

// Unwrap returns the underlying error.
func (e *QueryError) Unwrap() error { return e.err }

// describer turns the errors of a query into one sentence for a human.
type describer struct {
	host    string          // Prometheus' host:port, the only part of the URL shown
	timeout time.Duration   // the deadline the caller set, for "timed out after"
	secrets func() []string // values to scrub from anything a server sent; nil: none
}

// describe explains err. parent is the caller's context: when it ended, the
// query was canceled rather than timed out.
func (d describer) describe(parent context.Context, err error) string {
	return d.scrub(d.explain(parent, err))
}

func (d describer) explain(parent context.Context, err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if parent.Err() != nil {
			return "canceled: " + parent.Err().Error()
		}
		return "timed out after " + d.timeout.String()
	}
	if perr, ok := errors.AsType[*v1.Error](err); ok {
		return d.apiError(perr)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "Prometheus unreachable at " + d.host + ": connection refused"
	}
	if dns, ok := errors.AsType[*net.DNSError](err); ok {
		if dns.IsNotFound {
			return fmt.Sprintf("Prometheus unreachable at %s: no such host %q", d.host, dns.Name)
		}
		return fmt.Sprintf("Prometheus unreachable at %s: cannot resolve %q: %s", d.host, dns.Name, dns.Err)
	}
	if tlsErr := tlsProblem(err); tlsErr != "" {
		return fmt.Sprintf("TLS with %s failed: %s (trust its CA with a CA file, or skip verification at your own risk)", d.host, tlsErr)
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "Prometheus at " + d.host + " closed the connection before answering"
	}
	if op, ok := errors.AsType[*net.OpError](err); ok {
		return "Prometheus unreachable at " + d.host + ": " + op.Err.Error()
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// The URL holds no credentials (validation refuses them), but
		// the inner error says more than the method and path.
		return "request to " + d.host + " failed: " + ue.Err.Error()
	}
	return err.Error()
}

func tlsProblem(err error) string {
	if v, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return v.Err.Error()
	}
	if v, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return v.Error()
	}
	if v, ok := errors.AsType[x509.HostnameError](err); ok {
		return v.Error()
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return "the server does not speak TLS (is the URL http:// rather than https://?)"
	}
	return ""
}

// apiError explains an error of client_golang's API client: an error
// Prometheus reported in its JSON, an HTTP status, or a body that is not
// Prometheus' JSON.
func (d describer) apiError(e *v1.Error) string {
	switch e.Type {
	case v1.ErrBadResponse:
		// A 2xx answer whose body did not decode: a web UI, a login page,
		// a proxy's error page, or garbage.
		if strings.Contains(e.Msg, "'<'") {
			return "Prometheus answered with an HTML page, not its API's JSON (is the URL right? it should be Prometheus' base URL)"
		}
		if strings.Contains(e.Msg, "inconsistent body") {
			return "Prometheus answered with an error status but a success body"
		}
		return "Prometheus answered with something that is not its API's JSON (is the URL right?): " + shorten(e.Msg, 120)
	case v1.ErrServer, v1.ErrClient:
		return d.httpError(e)
	}
	// bad_data, execution, timeout, canceled, unavailable, ... as
	// Prometheus reported them.
	return string(e.Type) + ": " + shorten(e.Msg, 300)
}

// httpError explains a non-2xx answer; client_golang puts the status in Msg
// ("server error: 500") and the body in Detail.
func (d describer) httpError(e *v1.Error) string {
	code := 0
	if i := strings.LastIndexByte(e.Msg, ' '); i >= 0 {
		code, _ = strconv.Atoi(e.Msg[i+1:])
	}
	status := "HTTP " + strconv.Itoa(code)
	if t := http.StatusText(code); t != "" {
		status += " " + t
	}
	switch code {
	case http.StatusUnauthorized:
		return status + ": Prometheus (or a proxy in front of it) refused the credentials"
	case http.StatusForbidden:
		return status + ": the credentials may not read Prometheus' query API"
	case http.StatusNotFound:
		return status + ": no query API at this URL (is the URL right? give Prometheus' base URL, without /api/v1)"
	}
	body := strings.TrimSpace(e.Detail)
	switch {
	case body == "":
		return status
	case looksLikeHTML(body):
		return status + " with an HTML page (a proxy or login page in front of Prometheus? is the URL right?)"
	}
	var pe struct {
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &pe) == nil && pe.Error != "" {
		return fmt.Sprintf("%s: %s: %s", status, pe.ErrorType, shorten(pe.Error, 300))
	}
	line, _, _ := strings.Cut(body, "\n")
	return status + ": " + shorten(line, 160)
}

// looksLikeHTML is true for a body that starts with a tag: an HTML page
// (or XML), never Prometheus' JSON.
func looksLikeHTML(body string) bool { return strings.HasPrefix(strings.TrimSpace(body), "<") }

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// scrub replaces every configured secret in s, in case a server or proxy
// echoed one back.
func (d describer) scrub(s string) string {
	if d.secrets == nil {
		return s
	}
	for _, v := range d.secrets() {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

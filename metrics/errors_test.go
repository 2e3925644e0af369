package metrics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

func TestDescribe(t *testing.T) {
	d := describer{host: "prom:9090", timeout: 5 * time.Second, secrets: func() []string { return []string{"s3cr3t-value"} }}
	netErr := func(err error) error {
		return &url.Error{Op: "Post", URL: "http://prom:9090/api/v1/query", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		parent context.Context
		err    error
		want   string
	}{
		{"our deadline", context.Background(), fmt.Errorf("post: %w", context.DeadlineExceeded), "timed out after 5s"},
		{"caller canceled", canceled, context.Canceled, "canceled: context canceled"},
		{"refused", context.Background(), netErr(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "Prometheus unreachable at prom:9090: connection refused"},
		{"no such host", context.Background(), netErr(&net.DNSError{Err: "no such host", Name: "prom", IsNotFound: true}),
			`Prometheus unreachable at prom:9090: no such host "prom"`},
		{"reset", context.Background(), netErr(os.NewSyscallError("read", syscall.ECONNRESET)), "Prometheus at prom:9090 closed the connection before answering"},
		{"EOF", context.Background(), &url.Error{Op: "Post", URL: "u", Err: io.EOF}, "Prometheus at prom:9090 closed the connection before answering"},
		{"other net error", context.Background(), netErr(syscall.EHOSTUNREACH), "Prometheus unreachable at prom:9090: no route to host"},
		{"plain http to https", context.Background(), &url.Error{Op: "Post", URL: "u", Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}},
			"TLS with prom:9090 failed: the server does not speak TLS (is the URL http:// rather than https://?) (trust its CA with a CA file, or skip verification at your own risk)"},
		{"prometheus timeout", context.Background(), &v1.Error{Type: v1.ErrTimeout, Msg: "query timed out in expression evaluation"}, "timeout: query timed out in expression evaluation"},
		{"secret echoed", context.Background(), errors.New("token s3cr3t-value rejected"), "token [redacted] rejected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.describe(tc.parent, tc.err); got != tc.want {
				t.Errorf("describe(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

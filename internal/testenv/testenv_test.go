package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestVersionsMatchPins keeps the versions this package looks for in step
// with the modules hack/testbins.sh builds from.
func TestVersionsMatchPins(t *testing.T) {
	tests := []struct {
		dir, module, want string
	}{
		{"kubernetes", "k8s.io/kubernetes", KubernetesVersion},
		{"etcd", "go.etcd.io/etcd/server/v3", EtcdVersion},
		{"kwok", "sigs.k8s.io/kwok", KwokVersion},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "hack", "testbins", tc.dir, "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(tc.module) + `\s+(v\S+)`).FindSubmatch(b)
			if m == nil {
				t.Fatalf("hack/testbins/%s/go.mod does not require %s", tc.dir, tc.module)
			}
			if got := string(m[1]); got != tc.want {
				t.Errorf("hack/testbins/%s/go.mod pins %s %s, want %s (the constant in bins.go)", tc.dir, tc.module, got, tc.want)
			}
		})
	}
}

func TestKubeOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    KubeOptions
		wantErr string // substring; "" means valid
	}{
		{"zero", KubeOptions{}, ""},
		{"users", KubeOptions{Users: []string{"viewer", "operator"}}, ""},
		{"controllers", KubeOptions{Controllers: true, ExtraControllers: []string{"garbage-collector-controller"}}, ""},
		{"empty user", KubeOptions{Users: []string{""}}, "empty user name"},
		{"admin twice", KubeOptions{Users: []string{AdminUser}}, "built-in admin"},
		{"comma", KubeOptions{Users: []string{"a,b"}}, "commas"},
		{"duplicate", KubeOptions{Users: []string{"viewer", "viewer"}}, "listed twice"},
		{"negative sync", KubeOptions{HPASyncPeriod: -time.Second}, "HPASyncPeriod"},
		{"negative timeout", KubeOptions{StartTimeout: -time.Second}, "StartTimeout"},
		{"extra without controllers", KubeOptions{ExtraControllers: []string{"x"}}, "set Controllers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPrometheusConfig(t *testing.T) {
	got := prometheusConfig([]string{"127.0.0.1:9100", "127.0.0.1:9101"}, 1500*time.Millisecond)
	want := `global:
  scrape_interval: 1500ms
  scrape_timeout: 1500ms
  evaluation_interval: 1500ms
scrape_configs:
  - job_name: testenv
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:9100", "127.0.0.1:9101"]
`
	if got != want {
		t.Errorf("prometheusConfig() =\n%s\nwant\n%s", got, want)
	}
}

// fatalTB records the first Fatalf and stops the function under test the way
// testing.T does, so a test can check the message.
type fatalTB struct {
	testing.TB // nil: any other method called is a bug and panics
	real       *testing.T
	msg        string
}

type fatalStop struct{}

func (f *fatalTB) Helper()             {}
func (f *fatalTB) TempDir() string     { return f.real.TempDir() }
func (f *fatalTB) Cleanup(fn func())   { f.real.Cleanup(fn) }
func (f *fatalTB) Logf(string, ...any) {}
func (f *fatalTB) Failed() bool        { return f.msg != "" }
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}

// fatalMessage runs fn with a fatalTB and returns what it failed with.
func fatalMessage(t *testing.T, fn func(tb testing.TB)) (msg string) {
	t.Helper()
	f := &fatalTB{real: t}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatalStop); !ok {
				panic(r)
			}
		}
		msg = f.msg
	}()
	fn(f)
	return ""
}

func TestMissingBinariesFailWithMakeDeps(t *testing.T) {
	t.Setenv("KIMISCALE_TESTBINS", t.TempDir())
	msg := fatalMessage(t, func(tb testing.TB) { StartKube(tb, KubeOptions{}) })
	if !strings.Contains(msg, "make deps") || !strings.Contains(msg, "etcd") {
		t.Errorf("StartKube without binaries failed with %q, want a message naming etcd and `make deps`", msg)
	}
}

func TestBadInputFailsClearly(t *testing.T) {
	tests := []struct {
		name string
		fn   func(tb testing.TB)
		want string
	}{
		{"bad user", func(tb testing.TB) { StartKube(tb, KubeOptions{Users: []string{"a b"}}) }, "KubeOptions.Users"},
		{"zero interval", func(tb testing.TB) { StartPrometheus(tb, nil, 0) }, "scrape interval"},
		{"url as target", func(tb testing.TB) { StartPrometheus(tb, []string{"http://127.0.0.1:1/metrics"}, time.Second) }, "must be host:port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if msg := fatalMessage(t, tc.fn); !strings.Contains(msg, tc.want) {
				t.Errorf("failed with %q, want a message containing %q", msg, tc.want)
			}
		})
	}
}

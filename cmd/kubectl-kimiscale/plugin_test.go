//go:build integration

package main

// These tests run the built plugin the way users run it: through a real
// kubectl (plugin lookup on the PATH, help, version, completion delegated to
// kubectl_complete-kimiscale, bash completion), installed by `make install`,
// and packaged by hack/dist.sh into archives that krew's own validator
// installs.
//
// kubectl: $KUBECTL, else kubectl on the PATH, else the one hack/testbins.sh
// builds (make deps) into testenv.BinDir()/kubectl-VERSION; it must be 1.26
// or newer (plugin completion). Bash
// completion needs bash and the Debian package bash-completion. krew v0.4.3
// and its validator are built from the Go module proxy into
// testenv.BinDir()/krew-v0.4.3 once and reused.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kimiclaw/kimiscale/internal/testenv"
)

// completeHelper is the script kubectl 1.26+ runs for `kubectl kimiscale
// <TAB>`; the Makefile's build target writes the same one into bin/.
const completeHelper = "#!/bin/sh\nexec kubectl kimiscale __complete \"$@\"\n"

// commandTimeout bounds every command these tests run, except builds.
const commandTimeout = 2 * time.Minute

// buildTimeout bounds one go build or go install.
const buildTimeout = 10 * time.Minute

// distTimeout bounds hack/dist.sh: four cross builds, which on a cold build
// cache compile the standard library and every dependency three more times
// (about 15 minutes on 2 busy cores; under 2 minutes once cached).
const distTimeout = 25 * time.Minute

// moduleRoot is the module root, relative to this package's directory.
var moduleRoot = filepath.Join("..", "..")

// toolResult is the outcome of one command.
type toolResult struct {
	stdout, stderr string
	err            error
}

func (r toolResult) String() string {
	return fmt.Sprintf("err: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// run runs name with args in dir (empty: this directory) with exactly env,
// bounded by timeout.
func runTool(t testing.TB, timeout time.Duration, dir string, env []string, name string, args ...string) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s %s: no result within %s: %w", name, strings.Join(args, " "), timeout, ctx.Err())
	}
	return toolResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun is run that fails the test when the command fails.
func mustRunTool(t testing.TB, timeout time.Duration, dir string, env []string, name string, args ...string) toolResult {
	t.Helper()
	r := runTool(t, timeout, dir, env, name, args...)
	if r.err != nil {
		t.Fatalf("%s %s:\n%s", name, strings.Join(args, " "), r)
	}
	return r
}

// findKubectl returns the absolute path of a kubectl new enough for plugin
// completion (1.26+): $KUBECTL if set, else the first of kubectl on the PATH
// and kubectl in the test servers' directory (testenv.BinDir()) that is new
// enough. Otherwise it fails the test saying what it found.
func findKubectl(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("KUBECTL"); p != "" {
		candidates = []string{p}
	} else {
		if p, err := exec.LookPath("kubectl"); err == nil {
			candidates = append(candidates, p)
		}
		p := filepath.Join(testenv.BinDir(), "kubectl-"+testenv.KubernetesVersion, "kubectl")
		if _, err := os.Stat(p); err == nil {
			candidates = append(candidates, p)
		}
	}
	var found []string
	for _, path := range candidates {
		path, err := filepath.Abs(path)
		if err != nil {
			t.Fatal(err)
		}
		version, ok := kubectlVersion(t, path)
		if ok {
			t.Logf("kubectl %s at %s", version, path)
			return path
		}
		found = append(found, path+" ("+version+")")
	}
	t.Fatalf("no kubectl 1.26+ (plugin completion) found; found: %v. Put one on the PATH or set KUBECTL=/path/to/kubectl", found)
	return ""
}

// kubectlVersion returns the client version of the kubectl at path and
// whether it is 1.26 or newer.
func kubectlVersion(t *testing.T, path string) (string, bool) {
	t.Helper()
	r := runTool(t, commandTimeout, "", os.Environ(), path, "version", "--client", "-o", "json")
	if r.err != nil {
		return "version --client failed: " + r.err.Error(), false
	}
	var v struct {
		ClientVersion struct {
			Major, Minor, GitVersion string
		} `json:"clientVersion"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		return "unreadable version: " + err.Error(), false
	}
	minor, err := strconv.Atoi(strings.TrimRight(v.ClientVersion.Minor, "+"))
	return v.ClientVersion.GitVersion, err == nil && v.ClientVersion.Major == "1" && minor >= 26
}

// goCommand returns the go command that runs this test.
func goCommand(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go not found on the PATH: %v", err)
	}
	return p
}

// buildPlugin builds this package into dir/kubectl-kimiscale as the
// Makefile's build target does (static, CGO_ENABLED=0; version and commit
// set by -ldflags), writes the completion helper beside it, and returns the
// plugin's path.
func buildPlugin(t testing.TB, dir, version, commit string) string {
	t.Helper()
	bin := filepath.Join(dir, "kubectl-kimiscale")
	ldflags := fmt.Sprintf("-X main.version=%s -X main.commit=%s -X main.date=2026-01-02T03:04:05Z", version, commit)
	began := time.Now()
	mustRunTool(t, buildTimeout, "", envWith(os.Environ(), "CGO_ENABLED", "0"), goCommand(t), "build", "-ldflags", ldflags, "-o", bin, ".")
	if err := os.WriteFile(filepath.Join(dir, "kubectl_complete-kimiscale"), []byte(completeHelper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %s", bin, time.Since(began).Round(time.Millisecond))
	return bin
}

// pluginEnv is a minimal environment: PATH holds bins first, then kubectl's
// directory and /usr/bin:/bin (for sh); HOME is empty and private so no
// user kubeconfig or kubectl cache leaks in.
func pluginEnv(t *testing.T, kubectl string, bins ...string) []string {
	t.Helper()
	path := slices.Concat(bins, []string{filepath.Dir(kubectl), "/usr/bin", "/bin"})
	return []string{
		"PATH=" + strings.Join(slices.Compact(path), string(os.PathListSeparator)),
		"HOME=" + t.TempDir(),
		"KUBECONFIG=" + filepath.Join(t.TempDir(), "no-kubeconfig"),
		"LANG=C.UTF-8",
	}
}

// withEnv returns env with key set to value.
func envWith(env []string, key, value string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
	return append(out, key+"="+value)
}

func TestPluginThroughKubectl(t *testing.T) {
	kubectl := findKubectl(t)
	bin := t.TempDir()
	buildPlugin(t, bin, "v9.8.7-plugintest", "abc1234")
	env := pluginEnv(t, kubectl, bin)

	t.Run("plugin list", func(t *testing.T) {
		r := mustRunTool(t, commandTimeout, "", env, kubectl, "plugin", "list")
		lines := strings.Split(r.stdout, "\n")
		if !slices.Contains(lines, filepath.Join(bin, "kubectl-kimiscale")) {
			t.Errorf("kubectl plugin list does not list %s:\n%s", filepath.Join(bin, "kubectl-kimiscale"), r)
		}
		// Measured: the completion helper is not a plugin (its name has an
		// underscore), so it never shows up as one.
		if strings.Contains(r.stdout, "kubectl_complete-kimiscale") {
			t.Errorf("kubectl plugin list lists the completion helper as a plugin:\n%s", r)
		}
	})

	t.Run("help", func(t *testing.T) {
		r := mustRunTool(t, commandTimeout, "", env, kubectl, "kimiscale", "--help")
		for _, want := range []string{"Usage:\n  kubectl kimiscale [DEPLOYMENT | deploy/NAME] [flags]", "kubectl kimiscale status -o json", "--namespace", "--kubeconfig", "--context"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("kubectl kimiscale --help lacks %q:\n%s", want, r)
			}
		}
		if strings.Contains(r.stdout, "kubectl-kimiscale") {
			t.Errorf("kubectl kimiscale --help shows the binary name kubectl-kimiscale instead of \"kubectl kimiscale\":\n%s", r)
		}
	})

	t.Run("version", func(t *testing.T) {
		r := mustRunTool(t, commandTimeout, "", env, kubectl, "kimiscale", "version")
		want := regexp.MustCompile(`^kubectl-kimiscale v9\.8\.7-plugintest \(commit abc1234, built 2026-01-02T03:04:05Z, go[0-9.]+\S*\)\n$`)
		if !want.MatchString(r.stdout) {
			t.Errorf("kubectl kimiscale version = %q, want %s", r.stdout, want)
		}
	})

	// kubectl rejects its global flags before a plugin's name; after the name
	// they are the plugin's own (the README and --help say so).
	t.Run("global flags before the plugin name", func(t *testing.T) {
		r := runTool(t, commandTimeout, "", env, kubectl, "-n", "db", "kimiscale", "version")
		if r.err == nil {
			t.Fatalf("kubectl -n db kimiscale version succeeded; the README says kubectl rejects it:\n%s", r)
		}
		if !strings.Contains(r.stderr, "flags cannot be placed before plugin name: -n") {
			t.Errorf("kubectl -n db kimiscale: want kubectl's \"flags cannot be placed before plugin name: -n\":\n%s", r)
		}
		if r.stdout != "" {
			t.Errorf("kubectl -n db kimiscale ran something:\n%s", r)
		}
		mustRunTool(t, commandTimeout, "", env, kubectl, "kimiscale", "-n", "db", "version")
	})
}

// completions parses cobra's __complete output: one candidate a line, then
// ":DIRECTIVE".
func parseCompletions(t *testing.T, r toolResult) ([]string, string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("no completion directive in the output:\n%s", r)
	}
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// deployment is a minimal valid Deployment.
func testDeployment(namespace, name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
			},
		},
	}
}

func TestPluginCompletion(t *testing.T) {
	kubectl := findKubectl(t)
	bin := t.TempDir()
	buildPlugin(t, bin, "v0.0.0-completion", "none")

	kube := testenv.StartKube(t, testenv.KubeOptions{})
	client := kube.Client(t)
	ctx := t.Context()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "db"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*appsv1.Deployment{
		testDeployment("default", "kimiclaw-db"),
		testDeployment("default", "kimiclaw-cache"),
		testDeployment("default", "web"),              // another prefix
		testDeployment("db", "kimiclaw-db-elsewhere"), // another namespace
	} {
		if _, err := client.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The kubeconfig's context has namespace "default".
	env := envWith(pluginEnv(t, kubectl, bin), "KUBECONFIG", kube.Kubeconfig(testenv.AdminUser))
	want := []string{"kimiclaw-cache", "kimiclaw-db"}

	t.Run("plugin __complete through kubectl", func(t *testing.T) {
		r := mustRunTool(t, commandTimeout, "", env, kubectl, "kimiscale", "__complete", "kimi")
		got, directive := parseCompletions(t, r)
		if !slices.Equal(got, want) || directive != ":4" {
			t.Errorf("kubectl kimiscale __complete kimi = %q %s, want %q :4 (NoFileComp)\n%s", got, directive, want, r)
		}
	})

	t.Run("namespace flag after the plugin name", func(t *testing.T) {
		r := mustRunTool(t, commandTimeout, "", env, kubectl, "kimiscale", "-n", "db", "__complete", "kimi")
		got, _ := parseCompletions(t, r)
		if !slices.Equal(got, []string{"kimiclaw-db-elsewhere"}) {
			t.Errorf("kubectl kimiscale -n db __complete kimi = %q, want [kimiclaw-db-elsewhere]\n%s", got, r)
		}
	})

	// kubectl's own completion hands `kubectl kimiscale ...` to the helper
	// kubectl_complete-kimiscale on the PATH.
	t.Run("kubectl __complete delegates to the helper", func(t *testing.T) {
		r := mustRunTool(t, commandTimeout, "", env, kubectl, "__complete", "kimiscale", "kimi")
		got, directive := parseCompletions(t, r)
		if !slices.Equal(got, want) || directive != ":4" {
			t.Errorf("kubectl __complete kimiscale kimi = %q %s, want %q :4\n%s", got, directive, want, r)
		}
		if helper := filepath.Join(bin, "kubectl_complete-kimiscale"); !strings.Contains(r.stderr, "About to call: "+helper) {
			t.Errorf("kubectl did not call %s:\n%s", helper, r)
		}
	})

	t.Run("bash", func(t *testing.T) {
		bash, err := exec.LookPath("bash")
		if err != nil {
			t.Fatalf("bash not found: %v", err)
		}
		const bashCompletion = "/usr/share/bash-completion/bash_completion"
		if _, err := os.Stat(bashCompletion); err != nil {
			t.Fatalf("%s not found: install the Debian package bash-completion (make deps); kubectl's bash completion needs it", bashCompletion)
		}
		// What bash does on `kubectl kimiscale kimi<TAB>`: set COMP_* and
		// call the function `complete -p kubectl` names with the command,
		// the word and the previous word.
		script := fmt.Sprintf(`set -u
source %q
source <(kubectl completion bash)
fn=$(complete -p kubectl | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[ -n "$fn" ] || { echo "no completion function for kubectl" >&2; exit 1; }
COMP_LINE="kubectl kimiscale kimi"
COMP_POINT=${#COMP_LINE}
COMP_WORDS=(kubectl kimiscale kimi)
COMP_CWORD=2
COMP_TYPE=9
COMPREPLY=()
"$fn" kubectl kimi kimiscale
printf '%%s\n' "${COMPREPLY[@]}"
`, bashCompletion)
		r := mustRunTool(t, commandTimeout, "", env, bash, "--norc", "--noprofile", "-c", script)
		got := strings.Fields(r.stdout)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("bash completion of `kubectl kimiscale kimi` = %q, want %q\n%s", got, want, r)
		}
	})
}

func TestMakeInstall(t *testing.T) {
	kubectl := findKubectl(t)
	gobin := t.TempDir()
	build := t.TempDir()
	mustRunTool(t, buildTimeout, moduleRoot, os.Environ(), "make", "install",
		"GOBIN="+gobin, "BIN="+build, "VERSION=v0.0.0-makeinstall", "COMMIT=feedbee")
	for _, name := range []string{"kubectl-kimiscale", "kubectl_complete-kimiscale"} {
		fi, err := os.Stat(filepath.Join(gobin, name))
		if err != nil {
			t.Fatalf("make install did not put %s in GOBIN: %v", name, err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s in GOBIN is not executable: %s", name, fi.Mode())
		}
	}
	// Static, as kubectl and the release archives: no program interpreter
	// (a cgo build asks for ld.so and exports every symbol).
	f, err := elf.Open(filepath.Join(gobin, "kubectl-kimiscale"))
	if err != nil {
		t.Fatalf("make install's kubectl-kimiscale: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("make install's kubectl-kimiscale is dynamically linked (it has a PT_INTERP header); want static, CGO_ENABLED=0")
		}
	}
	env := pluginEnv(t, kubectl, gobin)
	r := mustRunTool(t, commandTimeout, "", env, kubectl, "plugin", "list")
	if !strings.Contains(r.stdout, filepath.Join(gobin, "kubectl-kimiscale")) {
		t.Errorf("kubectl plugin list does not find the installed plugin:\n%s", r)
	}
	r = mustRunTool(t, commandTimeout, "", env, kubectl, "kimiscale", "version")
	if !strings.HasPrefix(r.stdout, "kubectl-kimiscale v0.0.0-makeinstall (commit feedbee, built ") {
		t.Errorf("kubectl kimiscale version after make install = %q, want the Makefile's VERSION and COMMIT", r.stdout)
	}
	// Without a kubeconfig the plugin's completion fails, but kubectl must
	// still find and call the installed helper.
	r = runTool(t, commandTimeout, "", env, kubectl, "__complete", "kimiscale", "")
	if helper := filepath.Join(gobin, "kubectl_complete-kimiscale"); !strings.Contains(r.stderr, "About to call: "+helper) {
		t.Errorf("kubectl did not call the installed %s:\n%s", helper, r)
	}
}

// krewVersion is the krew release whose validator and installer check the
// manifest.
const krewVersion = "v0.4.3"

// krewTools builds krew and validate-krew-manifest from the Go module proxy
// into testenv.BinDir()/krew-VERSION once (a temporary directory renamed into
// place, so a half-done build is never used) and returns that directory.
func krewTools(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testenv.BinDir(), "krew-"+krewVersion)
	if _, err := os.Stat(filepath.Join(dir, "validate-krew-manifest")); err == nil {
		return dir
	}
	if err := os.MkdirAll(testenv.BinDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(testenv.BinDir(), ".build-krew-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	env := envWith(envWith(envWith(os.Environ(), "GOBIN", tmp), "GOWORK", "off"), "GOFLAGS", "")
	began := time.Now()
	mustRunTool(t, buildTimeout, t.TempDir(), env, goCommand(t), "install",
		"sigs.k8s.io/krew/cmd/krew@"+krewVersion, "sigs.k8s.io/krew/cmd/validate-krew-manifest@"+krewVersion)
	if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
		// Another test process may have won the race; its directory is as good.
		if _, statErr := os.Stat(filepath.Join(dir, "validate-krew-manifest")); statErr != nil {
			t.Fatalf("install krew tools into %s: %v", dir, err)
		}
	}
	t.Logf("built krew %s tools into %s in %s", krewVersion, dir, time.Since(began).Round(time.Second))
	return dir
}

// TestKrewManifestValidator runs krew's validator on the committed manifest
// (structure only: its archives are on GitHub), and on a manifest
// hack/dist.sh renders for archives it builds and a local server serves, in
// full: krew installs every platform and finds the LICENSE.
func TestKrewManifestValidator(t *testing.T) {
	kubectl := findKubectl(t)
	tools := krewTools(t)
	validate := filepath.Join(tools, "validate-krew-manifest")
	krewBin := t.TempDir()
	if err := os.Symlink(filepath.Join(tools, "krew"), filepath.Join(krewBin, "kubectl-krew")); err != nil {
		t.Fatal(err)
	}
	env := pluginEnv(t, kubectl, krewBin)

	t.Run("committed manifest", func(t *testing.T) {
		mustRunTool(t, commandTimeout, "", env, validate, "-manifest", krewManifestPath, "-skip-install")
	})

	// The validator must reject what krew rejects, or the run above proves
	// nothing: an uppercase sha256.
	t.Run("uppercase sha256 is rejected", func(t *testing.T) {
		raw, err := os.ReadFile(krewManifestPath)
		if err != nil {
			t.Fatal(err)
		}
		sha := regexp.MustCompile(`sha256: ([a-f0-9]{64})`)
		bad := sha.ReplaceAllStringFunc(string(raw), strings.ToUpper)
		bad = strings.ReplaceAll(bad, "SHA256: ", "sha256: ")
		path := filepath.Join(t.TempDir(), "kimiscale.yaml")
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runTool(t, commandTimeout, "", env, validate, "-manifest", path, "-skip-install")
		if r.err == nil || !strings.Contains(r.stderr, "is not valid, must match pattern ^[a-f0-9]{64}$") {
			t.Errorf("the validator accepted an uppercase sha256 (or failed for another reason):\n%s", r)
		}
	})

	t.Run("dist archives install", func(t *testing.T) {
		out := t.TempDir()
		srv := httptest.NewServer(http.FileServer(http.Dir(out)))
		t.Cleanup(srv.Close)
		manifest := filepath.Join(t.TempDir(), "kimiscale.yaml")
		const version = "v0.0.1-disttest"
		distEnv := envWith(envWith(os.Environ(), "BASE_URL", srv.URL), "KREW_MANIFEST", manifest)
		began := time.Now()
		r := mustRunTool(t, distTimeout, moduleRoot, distEnv, filepath.Join("hack", "dist.sh"), version, out)
		t.Logf("hack/dist.sh built 4 archives in %s", time.Since(began).Round(time.Second))

		// It prints "SHA256  ARCHIVE" per platform, lowercase, and they match.
		sums := regexp.MustCompile(`(?m)^([a-f0-9]{64})  (kubectl-kimiscale_`+regexp.QuoteMeta(version)+`_(linux|darwin)_(amd64|arm64)\.tar\.gz)$`).FindAllStringSubmatch(r.stdout, -1)
		if len(sums) != 4 {
			t.Fatalf("hack/dist.sh printed %d checksums, want 4:\n%s", len(sums), r)
		}
		rendered, err := os.ReadFile(manifest)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sums {
			b, err := os.ReadFile(filepath.Join(out, s[2]))
			if err != nil {
				t.Fatal(err)
			}
			if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != s[1] {
				t.Errorf("%s: printed sha256 %s, file has %x", s[2], s[1], h)
			}
			if !strings.Contains(string(rendered), "uri: "+srv.URL+"/"+s[2]+"\n    sha256: "+s[1]+"\n") {
				t.Errorf("the rendered manifest lacks uri %s/%s with sha256 %s:\n%s", srv.URL, s[2], s[1], rendered)
			}
			list := mustRunTool(t, commandTimeout, "", os.Environ(), "tar", "-tzvf", filepath.Join(out, s[2]))
			if !regexp.MustCompile(`(?m)^-rw-r--r-- 0/0 .* LICENSE\n-rwxr-xr-x 0/0 .* kubectl-kimiscale\n?$`).MatchString(list.stdout) {
				t.Errorf("%s holds, want LICENSE (0644) and kubectl-kimiscale (0755) owned by 0/0:\n%s", s[2], list.stdout)
			}
		}
		// krew installs each platform from the local server, checks the
		// sha256 and finds the LICENSE.
		r = mustRunTool(t, buildTimeout, "", env, validate, "-manifest", manifest)
		if !strings.Contains(r.stderr, "all 4 spec.platforms installed fine") {
			t.Errorf("the validator did not install all 4 platforms:\n%s", r)
		}
	})
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The krew manifest's paths, relative to this package's directory.
var (
	krewManifestPath = filepath.Join("..", "..", "deploy", "krew", "kimiscale.yaml")
	krewTemplatePath = filepath.Join("..", "..", "deploy", "krew", "kimiscale.yaml.tmpl")
)

// krewPlugin is the part of krew's index.Plugin
// (krew.googlecontainertools.github.com/v1alpha2) that kimiscale fills in.
// It mirrors sigs.k8s.io/krew/pkg/index so a strict decode rejects a
// misspelled field, as krew's own reader does.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string         `json:"version"`
		ShortDescription string         `json:"shortDescription"`
		Description      string         `json:"description"`
		Caveats          string         `json:"caveats"`
		Homepage         string         `json:"homepage"`
		Platforms        []krewPlatform `json:"platforms"`
	} `json:"spec"`
}

type krewPlatform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	Sha256 string `json:"sha256"`
	Files  []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files"`
	Bin string `json:"bin"`
}

// readKrewManifest decodes deploy/krew/kimiscale.yaml strictly.
func readKrewManifest(t *testing.T) (krewPlugin, []byte) {
	t.Helper()
	raw, err := os.ReadFile(krewManifestPath)
	if err != nil {
		t.Fatalf("read the krew manifest (render it with hack/dist.sh VERSION OUTDIR): %v", err)
	}
	var p krewPlugin
	if err := yaml.UnmarshalStrict(raw, &p); err != nil {
		t.Fatalf("%s: %v", krewManifestPath, err)
	}
	return p, raw
}

// The rules below are krew v0.4.3's (internal/index/validation) and the
// krew-index naming guide's; TestKrewManifestValidator (integration) also
// runs krew's own validator on the file.
var (
	krewSafeName   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	krewSemver     = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	krewLowerSHA   = regexp.MustCompile(`^[a-f0-9]{64}$`)
	krewReleaseURL = regexp.MustCompile(`^https://github\.com/kimiclaw/kimiscale/releases/download/(v[^/]+)/kubectl-kimiscale_(v[^_/]+)_([a-z0-9]+)_([a-z0-9]+)\.tar\.gz$`)
)

func TestKrewManifest(t *testing.T) {
	p, _ := readKrewManifest(t)

	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" {
		t.Errorf("apiVersion/kind = %q/%q, want krew.googlecontainertools.github.com/v1alpha2/Plugin", p.APIVersion, p.Kind)
	}
	// krew requires metadata.name to equal the file name; the naming guide
	// wants lower case and dashes, and no "kubectl-" or "kube" prefix.
	fileName := strings.TrimSuffix(filepath.Base(krewManifestPath), ".yaml")
	if p.Metadata.Name != fileName {
		t.Errorf("metadata.name = %q, want %q (the file name)", p.Metadata.Name, fileName)
	}
	if !krewSafeName.MatchString(p.Metadata.Name) || strings.HasPrefix(p.Metadata.Name, "kube") {
		t.Errorf("metadata.name %q breaks krew's naming guide: lower case and dashes, no kube/kubectl prefix", p.Metadata.Name)
	}
	if !krewSemver.MatchString(p.Spec.Version) {
		t.Errorf("spec.version %q is not a semantic version with a leading v", p.Spec.Version)
	}
	if p.Spec.ShortDescription == "" || strings.ContainsAny(p.Spec.ShortDescription, "\r\n") {
		t.Errorf("spec.shortDescription %q: krew wants one non-empty line", p.Spec.ShortDescription)
	}
	if p.Spec.Description == "" {
		t.Error("spec.description is empty")
	}
	if p.Spec.Homepage != "https://github.com/kimiclaw/kimiscale" {
		t.Errorf("spec.homepage = %q, want https://github.com/kimiclaw/kimiscale", p.Spec.Homepage)
	}
	// What a user installing from krew must know before the first run.
	for _, want := range []string{"Prometheus", "metrics.k8s.io", "deploy/rbac.yaml", "kimiscale-viewer", "kimiscale-operator",
		"kubectl kimiscale -n NAMESPACE", "kubectl_complete-kimiscale"} {
		if !strings.Contains(p.Spec.Caveats, want) {
			t.Errorf("spec.caveats does not mention %q:\n%s", want, p.Spec.Caveats)
		}
	}
	if !strings.Contains(p.Spec.Caveats, "/blob/"+p.Spec.Version+"/deploy/rbac.yaml") {
		t.Errorf("spec.caveats should link deploy/rbac.yaml at the release tag %s:\n%s", p.Spec.Version, p.Spec.Caveats)
	}

	want := []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64"}
	var got []string
	for i, pl := range p.Spec.Platforms {
		labels := pl.Selector.MatchLabels
		osArch := labels["os"] + "/" + labels["arch"]
		got = append(got, osArch)
		if len(labels) != 2 {
			t.Errorf("platforms[%d].selector.matchLabels = %v, want exactly os and arch", i, labels)
		}
		if !krewLowerSHA.MatchString(pl.Sha256) {
			t.Errorf("platforms[%d] (%s): sha256 %q is not 64 lowercase hex digits", i, osArch, pl.Sha256)
		}
		m := krewReleaseURL.FindStringSubmatch(pl.URI)
		switch {
		case m == nil:
			t.Errorf("platforms[%d] (%s): uri %q is not a kimiscale release archive (%s)", i, osArch, pl.URI, krewReleaseURL)
		case m[1] != p.Spec.Version || m[2] != p.Spec.Version || m[3]+"/"+m[4] != osArch:
			t.Errorf("platforms[%d]: uri %q does not match version %s and %s", i, pl.URI, p.Spec.Version, osArch)
		}
		if pl.Bin != "kubectl-kimiscale" {
			t.Errorf("platforms[%d] (%s): bin = %q, want kubectl-kimiscale", i, osArch, pl.Bin)
		}
		var from []string
		for _, f := range pl.Files {
			from = append(from, f.From)
			if f.To != "." {
				t.Errorf("platforms[%d] (%s): files %s -> %q, want \".\"", i, osArch, f.From, f.To)
			}
		}
		slices.Sort(from)
		if !slices.Equal(from, []string{"LICENSE", "kubectl-kimiscale"}) {
			t.Errorf("platforms[%d] (%s): files from %v, want the binary and LICENSE (krew requires a license)", i, osArch, from)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("platforms = %v, want %v (what hack/dist.sh builds)", got, want)
	}
}

// TestKrewManifestFromTemplate fails when deploy/krew/kimiscale.yaml was
// edited by hand instead of rendered from the template by hack/dist.sh:
// rendering the template with the manifest's own version, base URL and
// checksums must give the manifest back byte for byte.
func TestKrewManifestFromTemplate(t *testing.T) {
	p, raw := readKrewManifest(t)
	tmpl, err := os.ReadFile(krewTemplatePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.Platforms) == 0 {
		t.Fatal("the manifest has no platforms")
	}
	first := p.Spec.Platforms[0]
	baseURL := first.URI[:strings.LastIndex(first.URI, "/")]
	pairs := []string{"@VERSION@", p.Spec.Version, "@BASE_URL@", baseURL}
	for _, pl := range p.Spec.Platforms {
		pairs = append(pairs, "@SHA256_"+pl.Selector.MatchLabels["os"]+"_"+pl.Selector.MatchLabels["arch"]+"@", pl.Sha256)
	}
	rendered := strings.NewReplacer(pairs...).Replace(string(tmpl))
	if !strings.HasSuffix(rendered, "\n") {
		rendered += "\n"
	}
	if rendered != string(raw) {
		t.Errorf("%s differs from %s rendered with its own values: edit the template and run hack/dist.sh %s DIR\n--- rendered\n%s",
			krewManifestPath, krewTemplatePath, p.Spec.Version, rendered)
	}
}

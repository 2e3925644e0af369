package testenv

import (
	"fmt"
	"os"
	"path/filepath"
)

// Versions of the servers hack/testbins.sh builds; they must match the pins in
// hack/testbins/*/go.mod (TestVersionsMatchPins checks).
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.6.16"
	KwokVersion       = "v0.8.0"
)

// BinDir returns the directory hack/testbins.sh builds into:
// $KIMISCALE_TESTBINS, else $HOME/.cache/kimiscale/bin.
func BinDir() string {
	if d := os.Getenv("KIMISCALE_TESTBINS"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".cache", "kimiscale", "bin")
	}
	return filepath.Join(home, ".cache", "kimiscale", "bin")
}

// binaries are the paths of the built servers.
type binaries struct {
	etcd, apiserver, controllerManager, scheduler, kwok string
	kwokStages                                          []string
}

func locateBinaries(dir string) binaries {
	kube := filepath.Join(dir, "kubernetes-"+KubernetesVersion)
	kwok := filepath.Join(dir, "kwok-"+KwokVersion)
	b := binaries{
		etcd:              filepath.Join(dir, "etcd-"+EtcdVersion, "etcd"),
		apiserver:         filepath.Join(kube, "kube-apiserver"),
		controllerManager: filepath.Join(kube, "kube-controller-manager"),
		scheduler:         filepath.Join(kube, "kube-scheduler"),
		kwok:              filepath.Join(kwok, "kwok"),
	}
	for _, s := range []string{"node-initialize", "pod-ready", "pod-complete", "pod-delete"} {
		b.kwokStages = append(b.kwokStages, filepath.Join(kwok, "stages", s+".yaml"))
	}
	return b
}

// check returns an error naming the first missing file among paths.
func checkExecutables(paths ...string) error {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			return fmt.Errorf("%s not found: run `make deps` (hack/testbins.sh %s) to build the test servers; the first build takes 10-15 minutes on 2 cores, later runs reuse the cache", p, BinDir())
		}
	}
	return nil
}

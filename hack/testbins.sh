#!/usr/bin/env bash
# Builds the servers the integration tests run (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok) from Go modules, once.
#
# Usage: hack/testbins.sh [DIR]
#   DIR defaults to $KIMISCALE_TESTBINS, else $HOME/.cache/kimiscale/bin.
#
# Layout (each directory is keyed by version and appears only when complete):
#   DIR/etcd-v3.6.16/etcd
#   DIR/kwok-v0.8.0/kwok and DIR/kwok-v0.8.0/stages/*.yaml
#   DIR/kubernetes-v1.37.2/{kube-apiserver,kube-controller-manager,kube-scheduler}
#   DIR/kubectl-v1.37.2/kubectl (for the plugin tests, when none is on the PATH)
# internal/testenv looks for exactly these paths.
#
# The versions come from the pinned modules under hack/testbins/*/go.mod, which
# are kept out of the product's go.mod. A build goes into a temporary directory
# that is renamed into place at the end, so an interrupted build is never taken
# as done. A lock keeps two runs (e.g. two `make deps`) from building at once.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mods="$root/hack/testbins"
dir="${1:-${KIMISCALE_TESTBINS:-$HOME/.cache/kimiscale/bin}}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# version MODULEDIR MODULEPATH prints the version MODULEDIR/go.mod requires.
version() {
	local v
	v="$(awk -v m="$2" '$1 == m && $2 ~ /^v/ {print $2; exit}' "$mods/$1/go.mod")"
	if [ -z "$v" ]; then
		echo "testbins: $mods/$1/go.mod does not require $2" >&2
		exit 1
	fi
	echo "$v"
}

etcd_version="$(version etcd go.etcd.io/etcd/server/v3)"
kwok_version="$(version kwok sigs.k8s.io/kwok)"
kube_version="$(version kubernetes k8s.io/kubernetes)"

if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.lock"
	if ! flock -n 9; then
		echo "testbins: another build holds $dir/.lock; waiting for it"
		flock 9
	fi
	# Holding the lock, none of our builds runs: these are leftovers of
	# interrupted ones (other .build-* directories belong to other tools).
	rm -rf "$dir"/.build-etcd.* "$dir"/.build-kwok.* "$dir"/.build-kubernetes.* "$dir"/.build-kubectl.*
fi

tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT

# build NAME DEST CMD...: runs CMD with $out set to a fresh temporary
# directory, then renames it to DEST. Skips when DEST exists.
build() {
	local name="$1" dest="$2"
	shift 2
	if [ -d "$dest" ]; then
		echo "testbins: $name: cached in $dest"
		return
	fi
	tmp="$(mktemp -d "$dir/.build-$name.XXXXXX")"
	chmod 0755 "$tmp"
	out="$tmp"
	echo "testbins: $name: building into $dest (first build can take 10-15 minutes on 2 cores)"
	local start=$SECONDS
	"$@"
	mv -T "$tmp" "$dest"
	tmp=""
	echo "testbins: $name: built in $((SECONDS - start)) s"
}

export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
export CGO_ENABLED=0

build_etcd() {
	# The package's binary would be named "v3"; name it etcd.
	go -C "$mods/etcd" build -o "$out/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
	go -C "$mods/kwok" build -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok
	local src
	src="$(go -C "$mods/kwok" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
	mkdir -p "$out/stages"
	# A node that turns Ready, and pods that turn Running/Ready, complete,
	# and go away when deleted (no kubelet finalizes them otherwise).
	cp "$src/kustomize/stage/node/fast/node-initialize.yaml" \
		"$src/kustomize/stage/pod/fast/pod-ready.yaml" \
		"$src/kustomize/stage/pod/fast/pod-complete.yaml" \
		"$src/kustomize/stage/pod/fast/pod-delete.yaml" \
		"$out/stages/"
	chmod 0644 "$out"/stages/*.yaml
}

build_kubernetes() {
	# One invocation, so the packages the three share are compiled once.
	go -C "$mods/kubernetes" build -o "$out/" \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler
}

build_kubectl() {
	# The plugin tests run a real kubectl (plugin lookup, completion); a
	# machine without one on the PATH gets this one, the same version.
	# Stamped as the release's Makefile does: the tests check the version.
	local minor ldflags="" pkg
	minor="$(echo "$kube_version" | cut -d. -f2)"
	for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
		ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	done
	go -C "$mods/kubernetes" build -ldflags "$ldflags" -o "$out/" k8s.io/kubernetes/cmd/kubectl
}

total=$SECONDS
build etcd "$dir/etcd-$etcd_version" build_etcd
build kwok "$dir/kwok-$kwok_version" build_kwok
build kubernetes "$dir/kubernetes-$kube_version" build_kubernetes
build kubectl "$dir/kubectl-$kube_version" build_kubectl
echo "testbins: ready in $dir ($((SECONDS - total)) s)"

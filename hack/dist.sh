#!/usr/bin/env bash
# hack/dist.sh VERSION OUTDIR
#
# Builds the release archives of kubectl-kimiscale and renders the krew
# manifest for them:
#   OUTDIR/kubectl-kimiscale_VERSION_OS_ARCH.tar.gz  (kubectl-kimiscale + LICENSE)
#   OUTDIR/checksums.txt                              (sha256sum format)
#   deploy/krew/kimiscale.yaml                        (from kimiscale.yaml.tmpl)
# for linux/amd64, linux/arm64, darwin/amd64 and darwin/arm64, and prints the
# lowercase sha256 of each archive.
#
# VERSION is krew's semantic version with a leading v (v1.2.3, v1.2.3-rc.1);
# it is also the release tag the download URLs point at.
#
# Environment (all optional):
#   BASE_URL       where the archives are downloaded from
#                  (default https://github.com/kimiclaw/kimiscale/releases/download/VERSION)
#   KREW_MANIFEST  where to write the rendered manifest (default deploy/krew/kimiscale.yaml)
#   COMMIT, DATE   stamped into the binary like the Makefile does
#                  (default: the HEAD commit and its commit time, UTC)
#   GO             the go command (default go)
#
# The archives are reproducible: the same commit, VERSION and Go toolchain
# give the same bytes (-trimpath, -buildvcs=false so a git checkout and a
# source tarball agree, no build ID, fixed file times and owners,
# gzip without a time stamp), so the sha256 in a rendered manifest can be
# checked by rebuilding.
set -euo pipefail

usage() {
	echo "usage: hack/dist.sh VERSION OUTDIR   (e.g. hack/dist.sh v0.1.0 dist)" >&2
	exit 2
}
[ $# -eq 2 ] || usage
version=$1
outdir=$2
if ! [[ $version =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
	echo "hack/dist.sh: VERSION ${version@Q} is not a semantic version with a leading v, e.g. v0.1.0 or v0.2.0-rc.1 (krew requires one)" >&2
	exit 2
fi
[ -n "$outdir" ] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
go=${GO:-go}
base_url=${BASE_URL:-https://github.com/kimiclaw/kimiscale/releases/download/$version}
base_url=${base_url%/}
manifest=${KREW_MANIFEST:-$root/deploy/krew/kimiscale.yaml}
template=$root/deploy/krew/kimiscale.yaml.tmpl
platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)

for tool in "$go" tar gzip sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || { echo "hack/dist.sh: $tool not found on PATH" >&2; exit 1; }
done
[ -f "$root/LICENSE" ] || { echo "hack/dist.sh: $root/LICENSE is missing; krew requires one in every archive" >&2; exit 1; }
[ -f "$template" ] || { echo "hack/dist.sh: $template is missing" >&2; exit 1; }

# The commit time, not the wall clock, so a rebuild gives the same archives.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
commit=${COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
date=${DATE:-$(TZ=UTC date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)}
ldflags="-s -w -buildid= -X main.version=$version -X main.commit=$commit -X main.date=$date"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A sums
: >"$outdir/checksums.txt"
for p in "${platforms[@]}"; do
	os=${p%/*} arch=${p#*/}
	name=kubectl-kimiscale_${version}_${os}_${arch}
	stage=$work/$name
	mkdir -p "$stage"
	echo "building $name" >&2
	(cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$go" build -trimpath -buildvcs=false -ldflags "$ldflags" \
		-o "$stage/kubectl-kimiscale" ./cmd/kubectl-kimiscale)
	install -m 0644 "$root/LICENSE" "$stage/LICENSE"
	chmod 0755 "$stage/kubectl-kimiscale"
	tar -C "$stage" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
		--format=gnu -cf - LICENSE kubectl-kimiscale | gzip -9 -n >"$outdir/$name.tar.gz"
	sum=$(sha256sum "$outdir/$name.tar.gz" | cut -d' ' -f1)
	sum=${sum,,}
	sums[${os}_${arch}]=$sum
	printf '%s  %s\n' "$sum" "$name.tar.gz" | tee -a "$outdir/checksums.txt"
done

# Render the manifest. Quoted replacements keep "&" and "/" in values literal.
text=$(<"$template")
text=${text//@VERSION@/"$version"}
text=${text//@BASE_URL@/"$base_url"}
for key in "${!sums[@]}"; do
	text=${text//@SHA256_${key}@/"${sums[$key]}"}
done
if [[ $text =~ @[A-Za-z0-9_]+@ ]]; then
	echo "hack/dist.sh: $template has a placeholder this script does not fill: ${BASH_REMATCH[0]}" >&2
	exit 1
fi
mkdir -p "$(dirname "$manifest")"
printf '%s\n' "$text" >"$manifest.tmp"
mv "$manifest.tmp" "$manifest"
echo "wrote $manifest" >&2

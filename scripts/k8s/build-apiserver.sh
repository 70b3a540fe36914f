#!/usr/bin/env bash
# Builds kube-apiserver v1.31.0 from the Go module proxy for the Kubernetes
# tests (deploy/). There is no Debian package and no reachable release
# download, so a throwaway module requires k8s.io/kubernetes and replaces
# every staging module (those its go.mod maps to ./staging/...) with the
# published v0.31.0. About 5 minutes on 2 cores (4m53s measured, downloads
# included); the ~90 MB binary is cached outside the repository:
#
#   ${WASMESH_K8S_CACHE:-$HOME/.cache/wasmesh-k8s}/kube-apiserver
#
# Nothing is done when the binary is already there.
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-1.31.0}"
STAGING_VERSION="v0.${K8S_VERSION#1.}"
CACHE="${WASMESH_K8S_CACHE:-$HOME/.cache/wasmesh-k8s}"
OUT="$CACHE/kube-apiserver"
if [ -x "$OUT" ]; then
	echo "kube-apiserver: $OUT (cached)"
	exit 0
fi
mkdir -p "$CACHE"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export GOFLAGS=-mod=mod GOWORK=off GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
go mod init wasmesh.local/kube-apiserver-build >/dev/null 2>&1
echo "kube-apiserver: downloading k8s.io/kubernetes v$K8S_VERSION"
gomod="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
[ -f "$gomod" ] || { echo "build-apiserver: no go.mod for k8s.io/kubernetes v$K8S_VERSION" >&2; exit 1; }
staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*#\1#p' "$gomod")"
[ -n "$staging" ] || { echo "build-apiserver: no staging replacements in $gomod" >&2; exit 1; }
go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
for m in $staging; do
	go mod edit -replace="$m=$m@$STAGING_VERSION"
done
echo "kube-apiserver: resolving dependencies ($(echo "$staging" | wc -w) staging modules at $STAGING_VERSION)"
go get "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION"
echo "kube-apiserver: building (several minutes)"
start=$(date +%s)
v=k8s.io/component-base/version
minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
	-o "$work/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
mv "$work/kube-apiserver" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "kube-apiserver: $OUT built in $(( $(date +%s) - start ))s"

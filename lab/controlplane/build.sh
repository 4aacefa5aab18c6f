#!/usr/bin/env bash
# Build real kube-apiserver, kube-controller-manager and etcd binaries from Go modules (no dl.k8s.io,
# no Docker).
#
# Usage:  lab/controlplane/build.sh               build what is missing, print the bin dir
#         lab/controlplane/build.sh --regenerate  rewrite the committed wrapper go.mod/go.sum
#                                                  for K8S_VERSION / ETCD_VERSION (version bumps)
#
# Contract (read by the TypeScript side):
#   - progress goes to stderr as "[lab build] <elapsed>s ...";
#   - the LAST line on stdout is the absolute directory holding kube-apiserver,
#     kube-controller-manager and etcd;
#   - on failure: exit non-zero with one "[lab build] error: ..." line on stderr.
#
# Environment:
#   KUBEBUILDER_ASSETS      if it holds executable kube-apiserver, kube-controller-manager and etcd,
#                           print it and build nothing
#   K8S_VERSION             preferred k8s.io/kubernetes version            (default below)
#   K8S_FALLBACK_VERSIONS   tried in order when K8S_VERSION cannot be resolved from the module proxy
#   ETCD_VERSION            preferred go.etcd.io/etcd/server/v3 version    (default below)
#   ETCD_FALLBACK_VERSIONS  tried in order when ETCD_VERSION cannot be resolved
#   XDG_CACHE_HOME          cache root (default ~/.cache); binaries go to
#                           $XDG_CACHE_HOME/vitictl/lab/<k8s>-<etcd>/bin
#   GO                      go binary (default: `go` on PATH, else /usr/local/go/bin/go)
#
# Wrapper modules. kube-apiserver/ and etcd/ next to this script are small modules whose go.mod
# `tool` directives pin the binaries' main packages (kube-apiserver/ wraps k8s.io/kubernetes and
# holds both kube-apiserver and kube-controller-manager: one module version for both). kube-apiserver/go.mod replaces every staging
# module (k8s.io/X => ./staging/... in the real k8s.io/kubernetes go.mod, which a module download
# cannot resolve) with its published k8s.io/X v0.<minor>.<patch>. The replace list is derived from
# the real go.mod by gen_k8s_wrapper below, never hand-written. The committed wrappers are at the
# default versions. If another version is asked for (env or fallback), a wrapper for it is generated
# by the same functions under $XDG_CACHE_HOME/vitictl/lab/wrappers/ -- the git tree is never touched
# (except by --regenerate).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
K8S_FALLBACK_VERSIONS="${K8S_FALLBACK_VERSIONS-v1.36.3 v1.35.4 v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
ETCD_FALLBACK_VERSIONS="${ETCD_FALLBACK_VERSIONS-v3.7.3}"
# The commands built from k8s.io/kubernetes/cmd/, all at the one k8s.io/kubernetes version.
K8S_COMMANDS="kube-apiserver kube-controller-manager"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/vitictl/lab"
START=$SECONDS
WORK="$(mktemp -d)"          # scratch (error logs); removed on exit
BUILD_TMP=""                 # half-written binary of an interrupted build; removed on exit
BUILD_PID=""                 # running `go build`; stopped when this script is stopped
on_exit() {
  set +e
  [[ -z "$BUILD_PID" ]] || { kill "$BUILD_PID" 2>/dev/null; wait "$BUILD_PID" 2>/dev/null; }
  [[ -z "$BUILD_TMP" ]] || rm -f "$BUILD_TMP"
  rm -rf "$WORK"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
exec 4>&2                    # progress always reaches the real stderr, even inside $(...) 2>file

log() { echo "[lab build] $((SECONDS - START))s $*" >&4; }
die() { echo "[lab build] error: $*" >&4; exit 1; }

# ---------------------------------------------------------------------------------------------
# KUBEBUILDER_ASSETS (envtest convention): use what is there, build nothing.
if [[ "${1:-}" != "--regenerate" && -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if [[ -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/kube-controller-manager" \
    && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS, building nothing"
    (cd "$KUBEBUILDER_ASSETS" && pwd -P)
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks executable kube-apiserver, kube-controller-manager or etcd; building"
fi

# ---------------------------------------------------------------------------------------------
# Go toolchain. GOTOOLCHAIN=local: never download another toolchain (the modules need go >= 1.26).
if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO=go
  elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
  else die "go not found: install Go 1.26+"; fi
fi
# GOWORK=off: a go.work higher up in the repo must not capture the wrapper modules.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
command -v "$GO" >/dev/null 2>&1 || die "go not found ($GO): install Go 1.26+"
GO_VERSION="$("$GO" env GOVERSION 2>/dev/null || true)"
GO_MINOR="$(sed -n 's/^go1\.\([0-9]*\).*/\1/p' <<<"$GO_VERSION")"
[[ -n "$GO_MINOR" && "$GO_MINOR" -ge 26 ]] || die "go is too old (${GO_VERSION:-unknown version}): install Go 1.26+"

# module@version tokens that a go command's error output says it could not fetch, e.g.
# "go: k8s.io/xyz@v0.37.2: reading https://.../@v/v0.37.2.info: 404 Not Found".
missing_modules() {
  grep -oE '[A-Za-z0-9][A-Za-z0-9._~/-]*@v[0-9][A-Za-z0-9.+-]*: (reading|invalid version|unknown revision|no matching)' "$1" \
    | sed 's/: .*//' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Required version of module $2 in go.mod $1 (empty if not required).
required_version() {
  "$GO" mod edit -json "$1" | tr -d '\n' | grep -oE "\"Path\":[[:space:]]*\"$2\",[[:space:]]*\"Version\":[[:space:]]*\"[^\"]+\"" \
    | head -1 | sed 's/.*"Version":[[:space:]]*"\([^"]*\)"/\1/'
}

# Path of the go.mod of module@version $1 (downloaded through the proxy); on failure print go's error.
download_gomod() {
  local out gomod
  out="$(cd "$WORK" && "$GO" mod download -json "$1" 2>&1)" || true
  gomod="$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  if [[ -f "$gomod" ]]; then echo "$gomod"; return 0; fi
  printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | sed 's/\\n\\t/ /g' >&2
  return 1
}

# ---------------------------------------------------------------------------------------------
# Wrapper generators. Both write go.mod/go.sum into an existing directory $1 for version $2.
gen_k8s_wrapper() {
  local dir="$1" v="$2" staging gomod gd mods m
  staging="v0.${v#v1.}" # v1.37.2 -> v0.37.2
  gomod="$(download_gomod "k8s.io/kubernetes@$v")" || return 1
  rm -f "$dir/go.mod" "$dir/go.sum"
  # Every `k8s.io/X => ./staging/...` line of the real go.mod (inside or outside a replace block).
  mods="$(sed -n 's/^[[:space:]]*\(replace[[:space:]]\{1,\}\)\{0,1\}\(k8s\.io\/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\.\/staging\/.*/\2/p' "$gomod")"
  [[ -n "$mods" ]] || { echo "no staging replaces found in $gomod" >&2; return 1; }
  {
    echo "// Generated by lab/controlplane/build.sh from the go.mod of k8s.io/kubernetes $v: do not edit."
    echo "// Every staging module (k8s.io/X => ./staging/... upstream) is replaced with its published $staging."
    echo "module vitictl.lab/controlplane/kube-apiserver"
    echo
    echo "go $(sed -n 's/^go[[:space:]]\{1,\}\([0-9.]*\).*/\1/p' "$gomod" | head -1)"
    gd="$(sed -n 's/^godebug[[:space:]]\{1,\}\(.*\)$/\1/p' "$gomod" | head -1)"
    [[ -z "$gd" ]] || { echo; echo "godebug $gd"; }
    echo
    echo "require k8s.io/kubernetes $v"
    echo
    echo "replace ("
    for m in $mods; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
    echo ")"
  } >"$dir/go.mod"
  local cmd
  for cmd in $K8S_COMMANDS; do (cd "$dir" && "$GO" get -tool "k8s.io/kubernetes/cmd/$cmd@$v") || return 1; done
}

gen_etcd_wrapper() {
  # etcd server's own go.mod replaces its sibling modules (api, client/pkg, client/v3, pkg) with
  # ../ paths; they are published at the same tag and required at it, so nothing to mirror.
  local dir="$1" v="$2" gomod
  gomod="$(download_gomod "go.etcd.io/etcd/server/v3@$v")" || return 1
  rm -f "$dir/go.mod" "$dir/go.sum"
  {
    echo "// Generated by lab/controlplane/build.sh for go.etcd.io/etcd/server/v3 $v: do not edit."
    echo "module vitictl.lab/controlplane/etcd"
    echo
    echo "go $(sed -n 's/^go[[:space:]]\{1,\}\([0-9.]*\).*/\1/p' "$gomod" | head -1)"
    echo
    echo "require go.etcd.io/etcd/server/v3 $v"
  } >"$dir/go.mod"
  (cd "$dir" && "$GO" get -tool "go.etcd.io/etcd/server/v3@$v")
}

# wrapper_dir <kind> <version>: the committed wrapper if it is at that version, else a generated one
# in the cache (generated once; a .ok marker tells it is complete).
wrapper_dir() {
  local kind="$1" v="$2" committed="$HERE/$1" mod dir
  case "$kind" in kube-apiserver) mod=k8s.io/kubernetes ;; etcd) mod=go.etcd.io/etcd/server/v3 ;; esac
  if [[ -f "$committed/go.mod" && "$(required_version "$committed/go.mod" "$mod")" == "$v" ]]; then
    echo "$committed"; return 0
  fi
  dir="$CACHE_ROOT/wrappers/$kind-$v"
  if [[ ! -f "$dir/.ok" ]]; then
    log "generating $kind wrapper module for $v in $dir"
    mkdir -p "$dir"
    case "$kind" in
      kube-apiserver) gen_k8s_wrapper "$dir" "$v" ;;
      etcd) gen_etcd_wrapper "$dir" "$v" ;;
    esac || return 1
    touch "$dir/.ok"
  fi
  echo "$dir"
}

# ---------------------------------------------------------------------------------------------
if [[ "${1:-}" == "--regenerate" ]]; then
  log "regenerating committed wrappers: kube-apiserver $K8S_VERSION, etcd $ETCD_VERSION"
  gen_k8s_wrapper "$HERE/kube-apiserver" "$K8S_VERSION"
  gen_etcd_wrapper "$HERE/etcd" "$ETCD_VERSION"
  log "done; review and commit lab/controlplane/{kube-apiserver,etcd}/go.{mod,sum}"
  exit 0
fi

# k8s_ok <binary> <version>: executable and reporting that Kubernetes version.
k8s_ok() { [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -x "Kubernetes $2" >/dev/null; }
k8s_all_ok() { local cmd; for cmd in $K8S_COMMANDS; do k8s_ok "$1/$cmd" "$2" || return 1; done; }
etcd_ok() { [[ -x "$1/etcd" ]] && "$1/etcd" --version 2>/dev/null | grep -x "etcd Version: ${2#v}" >/dev/null; }

# Fast path: the preferred pair is already built.
BIN="$CACHE_ROOT/$K8S_VERSION-$ETCD_VERSION/bin"
if k8s_all_ok "$BIN" "$K8S_VERSION" && etcd_ok "$BIN" "$ETCD_VERSION"; then
  log "$K8S_COMMANDS $K8S_VERSION and etcd $ETCD_VERSION already built"
  echo "$BIN"
  exit 0
fi

# resolve <kind> <main packages> <versions...>: print "<version> <wrapper dir>" of the first version
# whose whole dependency graph the module proxy serves (`go list -deps`, downloads, compiles nothing).
# <main packages> is one space-separated argument.
resolve() {
  local kind="$1" pkgs="$2" v dir miss err="$WORK/resolve.err" failures=""
  shift 2
  for v in "$@"; do
    log "$kind $v: resolving module graph (go list -deps)"
    # shellcheck disable=SC2086 # $pkgs: one word per package
    if dir="$(wrapper_dir "$kind" "$v" 2>"$err")" \
      && (cd "$dir" && "$GO" list -deps $pkgs >/dev/null 2>"$err"); then
      echo "$v $dir"; return 0
    fi
    miss="$(missing_modules "$err")"
    log "$kind $v failed: $(grep -v -m1 '^go: downloading' "$err" | cut -c1-300)"
    if [[ -n "$miss" ]]; then failures+="${failures:+; }$v: module proxy lacks $miss"
    else failures+="${failures:+; }$v: see the log line above"; fi
  done
  echo "[lab build] error: no $kind version could be resolved: $failures" >&4
  return 1
}

# --version of kube-apiserver comes from these; without them /version says v0.0.0-master.
k8s_ldflags() {
  local v="$1" major minor pkg out="-s -w"
  major="${v#v}"; major="${major%%.*}"
  minor="${v#v*.}"; minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    out+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  echo "$out"
}

# build <wrapper dir> <main package> <output> <ldflags>: build to a temp file, then rename.
build() {
  local dir="$1" pkg="$2" out="$3" ldflags="$4" t0=$SECONDS
  mkdir -p "$(dirname "$out")"
  BUILD_TMP="$(mktemp "$out.tmp.XXXXXX")"
  log "building $(basename "$out") ($pkg) -> $out (a cold build takes many minutes on 2 cores)"
  # In the background + wait, so that a TERM to this script stops go build at once (see on_exit).
  (cd "$dir" && exec "$GO" build -trimpath -buildvcs=false -tags=notest,grpcnotrace -ldflags "$ldflags" -o "$BUILD_TMP" "$pkg") &
  BUILD_PID=$!
  wait "$BUILD_PID" || die "go build $pkg failed (see output above)"
  BUILD_PID=""
  chmod 0755 "$BUILD_TMP"
  mv -f "$BUILD_TMP" "$out"
  BUILD_TMP=""
  log "built $(basename "$out") in $((SECONDS - t0))s ($(du -h "$out" | cut -f1))"
}

# shellcheck disable=SC2086 # the fallback lists are space-separated on purpose
read -r K8S_V K8S_DIR < <(resolve kube-apiserver "$(printf 'k8s.io/kubernetes/cmd/%s ' $K8S_COMMANDS)" $K8S_VERSION $K8S_FALLBACK_VERSIONS || echo)
[[ -n "${K8S_DIR:-}" ]] || exit 1
# shellcheck disable=SC2086
read -r ETCD_V ETCD_DIR < <(resolve etcd go.etcd.io/etcd/server/v3 $ETCD_VERSION $ETCD_FALLBACK_VERSIONS || echo)
[[ -n "${ETCD_DIR:-}" ]] || exit 1
[[ "$K8S_V" == "$K8S_VERSION" ]] || log "using fallback kube-apiserver $K8S_V (preferred $K8S_VERSION failed)"
[[ "$ETCD_V" == "$ETCD_VERSION" ]] || log "using fallback etcd $ETCD_V (preferred $ETCD_VERSION failed)"

BIN="$CACHE_ROOT/$K8S_V-$ETCD_V/bin"
for cmd in $K8S_COMMANDS; do
  if k8s_ok "$BIN/$cmd" "$K8S_V"; then
    log "$cmd $K8S_V already built"
  else
    build "$K8S_DIR" "k8s.io/kubernetes/cmd/$cmd" "$BIN/$cmd" "$(k8s_ldflags "$K8S_V")"
    k8s_ok "$BIN/$cmd" "$K8S_V" || die "built $cmd does not report Kubernetes $K8S_V"
  fi
done
if etcd_ok "$BIN" "$ETCD_V"; then
  log "etcd $ETCD_V already built"
else
  # etcd's version string is a constant in go.etcd.io/etcd/api/v3/version; only GitSHA is an ldflag.
  build "$ETCD_DIR" go.etcd.io/etcd/server/v3 "$BIN/etcd" "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$ETCD_V"
  etcd_ok "$BIN" "$ETCD_V" || die "built etcd does not report version ${ETCD_V#v}"
fi
log "done"
echo "$BIN"

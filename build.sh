#!/usr/bin/env bash
# Build everything from a fresh clone: system packages the tests need, pnpm + dependencies, the Rust
# N-API addon, and the plugins: one multi-call executable bin/cni-plugins holding them all, with
# bin/<plugin> hard links to it (the invoked name picks the plugin; `bin/cni-plugins --list` names them).
#
#   ./build.sh              build
#   ./build.sh test         build, then run every test (unit, Rust, kernel, black-box)
#   ./build.sh --separate   one standalone executable per plugin instead (also SEPARATE=1 ./build.sh)
#
# Idempotent and quick when nothing changed (an unchanged bundle is not recompiled). Needs root for
# apt-get on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

usage() {
  echo "usage: ./build.sh [test] [--separate]" >&2
  exit 2
}
help() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
}
RUN_TESTS=0
SEPARATE=${SEPARATE:-0}
for arg in "$@"; do
  case "$arg" in
    test) RUN_TESTS=1 ;;
    --separate) SEPARATE=1 ;;
    -h | --help) help ;;
    *) echo "build.sh: unknown argument: $arg" >&2; usage ;;
  esac
done

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------------
# iproute2/nftables/iptables: tests build namespaces and inspect firewall state;
# containernetworking-plugins: the Go reference plugins, for compatibility tests and benchmarks;
# iputils-ping: tests that packets flow; hyperfine: bench/;
# strace: the multi-call test proves in-process IPAM delegation by the absence of a second execve;
# podman/containerd/runc/docker.io/busybox-static: real runtimes run containers on our plugins (test/runtimes,
# test/docker-run; busybox-static is the image).
APT_PACKAGES=(iproute2 iputils-ping nftables iptables containernetworking-plugins hyperfine strace
  podman containerd runc docker.io busybox-static)
# podman's package drops a default network here; a config this build did not ask for would change what
# scripts/priv-net-run.sh attaches (it falls back to scripts/net.d only when /etc/cni/net.d has none).
PODMAN_DEFAULT_NET=/etc/cni/net.d/87-podman-bridge.conflist
ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "build.sh: missing Debian packages (${missing[*]}); run as root or install them" >&2
    return 1
  fi
  log "apt-get install ${missing[*]}"
  local had_podman_net=0
  [ -e "$PODMAN_DEFAULT_NET" ] && had_podman_net=1
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$had_podman_net" = 1 ] || rm -f "$PODMAN_DEFAULT_NET"
}

# --- node toolchain --------------------------------------------------------------------------
PNPM_VERSION=12.21.0
ensure_pnpm() {
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    log "npm install -g pnpm@$PNPM_VERSION"
    npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1
  fi
}

# --- rust toolchain --------------------------------------------------------------------------
ensure_cargo() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
    export PATH="${HOME:-/root}/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || { echo "build.sh: cargo not found" >&2; return 1; }
}

# --- the native addon ------------------------------------------------------------------------
NATIVE_DIR=packages/netlink/native
ADDON=packages/netlink/rtnetlink.node
build_addon() {
  [ -f "$NATIVE_DIR/Cargo.toml" ] || return 0
  log "cargo build --release (rtnetlink-node)"
  cargo build --release --quiet --manifest-path "$NATIVE_DIR/Cargo.toml"
  # copy then rename: a process that has the old addon loaded must not see it rewritten in place
  # (the temporary carries our pid: two builds at once must not rename each other's)
  cp -f "$NATIVE_DIR/target/release/librtnetlink_node.so" "$ADDON.$$.tmp" && mv -f "$ADDON.$$.tmp" "$ADDON"
}

# --- plugins -> bundles -> executables --------------------------------------------------------
# esbuild keeps `require("../rtnetlink.node")` literal (--external), the addon is copied beside the
# bundles' parent, and `bun build --compile` embeds it: the executables need nothing at run time.
MULTICALL=cni-plugins
BUN_MIN_VERSION=1.4.5

ensure_bun() {
  local version
  version=$(node_modules/.bin/bun --version)
  if [ "$(printf '%s\n%s\n' "$BUN_MIN_VERSION" "$version" | sort -V | head -n1)" != "$BUN_MIN_VERSION" ]; then
    echo "build.sh: bun $version is older than $BUN_MIN_VERSION (package.json pins it; run pnpm install)" >&2
    return 1
  fi
}

# Put $1 in place as $2 by rename: a runtime (or a test) executing the old file never sees a half-written one.
replace_file() {
  mv -f -T "$1" "$2"
}

# Device, inode, size and mtime of a file: tells "the very file we compiled" from one put there since.
file_identity() {
  stat -c '%d:%i:%s:%y' "$1" 2>/dev/null || true
}

# bundle ENTRY OUT: esbuild ENTRY and everything it imports into one CommonJS file OUT.
bundle() {
  node_modules/.bin/esbuild "$1" --bundle --platform=node --format=cjs --target=node20 \
    --external:'*.node' --log-level=warning --log-override:empty-import-meta=silent --outfile="$2"
}

# bundle_and_compile ENTRY NAME [CHUNK...]: build/NAME/main.cjs (and build/NAME/<chunk>.cjs for each
# CHUNK entry, which main loads by name at run time), then bin/NAME embedding them all. The compile
# (seconds, 110 MB) is skipped when bin/NAME is still the file compiled last time from the same bundles,
# addon and bun.
bundle_and_compile() {
  local entry=$1 name=$2
  shift 2
  local bun=node_modules/.bin/bun
  local dir="build/$name" stamp="build/$name/compiled-from"
  log "bundle $name"
  rm -f "$dir"/*.cjs
  bundle "$entry" "$dir/main.cjs"
  local bundles=("$dir/main.cjs") chunk
  for chunk in "$@"; do
    bundles+=("$dir/$(basename "$chunk" .ts).cjs")
    bundle "$chunk" "${bundles[-1]}"
  done
  # --bytecode: precompiled JS, about half the start-up of a plain compile (each call is a process);
  # no autoloading of .env/bunfig.toml: a plugin must not pick up files from the runtime's cwd.
  local flags=(--bytecode --minify --no-compile-autoload-dotenv --no-compile-autoload-bunfig)
  local inputs
  inputs="$({ sha256sum "${bundles[@]}" build/rtnetlink.node 2>/dev/null || true; } | cut -d' ' -f1 | tr '\n' ' ')bun-$("$bun" --version) ${flags[*]}"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs $(file_identity "bin/$name")" ]; then
    return 0
  fi
  log "compile $name"
  rm -f "$stamp"
  # from inside build/NAME: the chunks are embedded at the root beside main, where its require finds them
  (cd "$dir" && "../../$bun" build --compile "${flags[@]}" "${bundles[@]#"$dir/"}" --outfile "../../bin/.$name.$$.tmp" >/dev/null)
  replace_file "bin/.$name.$$.tmp" "bin/$name"
  echo "$inputs $(file_identity "bin/$name")" >"$stamp"
}

# Names in bin/ that are hard links of bin/cni-plugins (before it is replaced: the old inode).
multicall_links() {
  [ -f "bin/$MULTICALL" ] || return 0
  find bin -maxdepth 1 -type f -samefile "bin/$MULTICALL" ! -name "$MULTICALL" ! -name '.*' -printf '%f\n'
}

# One executable for all plugins, bin/<plugin> hard links to it, each put in place by rename. Its main.cjs
# only picks the chunk (packages/multicall/src/chunks/) the invoked name runs.
build_multicall() {
  local old_links names name
  old_links=$(multicall_links)
  bundle_and_compile packages/multicall/src/main.ts "$MULTICALL" packages/multicall/src/chunks/*.ts
  names=$("bin/$MULTICALL" --list) || { echo "build.sh: bin/$MULTICALL --list failed" >&2; return 1; }
  for name in $names; do
    if [ "bin/$name" -ef "bin/$MULTICALL" ]; then continue; fi
    ln -f "bin/$MULTICALL" "bin/.$name.$$.tmp"
    replace_file "bin/.$name.$$.tmp" "bin/$name"
  done
  # a plugin that left the registry: its old link would run an old build
  for name in $old_links; do
    grep -qxF "$name" <<<"$names" || rm -f "bin/$name"
  done
  local dir
  for dir in plugins/*/; do
    name=$(basename "$dir")
    if [ -f "$dir/src/main.ts" ] && ! grep -qxF "$name" <<<"$names"; then
      echo "build.sh: warning: $name is not in packages/multicall/src/plugins.ts, so not in bin/ (register it there and give it a chunk in chunks.ts, or ./build.sh --separate)" >&2
    fi
  done
}

# One standalone executable per plugin (plugins/<name>/src/main.ts); the multi-call file is removed.
build_separate() {
  local dir name old_links
  old_links=$(multicall_links)
  for dir in plugins/*/; do
    name=$(basename "$dir")
    [ -f "$dir/src/main.ts" ] || continue
    bundle_and_compile "$dir/src/main.ts" "$name"
  done
  # ptp is veth's second name (the reference's name for its job): Go ptp configs run unchanged
  if [ -f bin/veth ]; then
    ln -f bin/veth "bin/.ptp.$$.tmp"
    replace_file "bin/.ptp.$$.tmp" bin/ptp
  fi
  for name in $old_links; do
    if [ "bin/$name" -ef "bin/$MULTICALL" ]; then rm -f "bin/$name"; fi
  done
  rm -f "bin/$MULTICALL" "build/$MULTICALL/compiled-from"
}

build_plugins() {
  mkdir -p build bin
  # temporaries carry our pid (two builds at once must not share one); none outlives this run
  trap 'rm -f bin/.*."$$".tmp' EXIT
  [ -f "$ADDON" ] && cp -f "$ADDON" "build/rtnetlink.node.$$.tmp" && mv -f "build/rtnetlink.node.$$.tmp" build/rtnetlink.node
  ensure_bun
  if [ "$SEPARATE" = 1 ]; then build_separate; else build_multicall; fi
}

ensure_apt_packages
ensure_pnpm
ensure_cargo
log "pnpm install"
pnpm install --frozen-lockfile --reporter=silent
build_addon
build_plugins
log "built: $(cd bin && echo *)$([ "$SEPARATE" = 1 ] || echo " (links to $MULTICALL)")"

if [ "$RUN_TESTS" = 1 ]; then
  log "tests"
  exec pnpm test
fi

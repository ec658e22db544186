#!/usr/bin/env bash
# Build everything from a fresh clone: system packages the tests need, pnpm + dependencies, the Rust
# N-API addon, and one standalone executable per plugin in bin/.
#
#   ./build.sh          build
#   ./build.sh test     build, then run every test (unit, Rust, kernel, black-box)
#
# Idempotent and quick when nothing changed. Needs root for apt-get on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------------
# iproute2/nftables/iptables: tests build namespaces and inspect firewall state;
# containernetworking-plugins: the Go reference plugins, for compatibility tests and benchmarks;
# jq: scripts/exec-plugins.sh; iputils-ping: tests that packets flow; hyperfine: bench/.
APT_PACKAGES=(iproute2 iputils-ping nftables iptables jq containernetworking-plugins hyperfine)
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
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
  cp -f "$NATIVE_DIR/target/release/librtnetlink_node.so" "$ADDON.tmp" && mv -f "$ADDON.tmp" "$ADDON"
}

# --- plugins -> bundles -> executables --------------------------------------------------------
# esbuild keeps `require("../rtnetlink.node")` literal (--external), the addon is copied beside the
# bundles' parent, and `bun build --compile` embeds it: bin/<plugin> needs nothing at run time.
build_plugins() {
  mkdir -p build bin
  [ -f "$ADDON" ] && cp -f "$ADDON" build/rtnetlink.node.tmp && mv -f build/rtnetlink.node.tmp build/rtnetlink.node
  local esbuild=node_modules/.bin/esbuild bun=node_modules/.bin/bun
  for dir in plugins/*/; do
    local name entry
    name=$(basename "$dir")
    entry="$dir/src/main.ts"
    [ -f "$entry" ] || continue
    log "bundle + compile $name"
    "$esbuild" "$entry" --bundle --platform=node --format=cjs --target=node20 \
      --external:'*.node' --log-level=warning --log-override:empty-import-meta=silent --outfile="build/$name/main.cjs"
    # --bytecode: precompiled JS, about half the start-up of a plain compile (each call is a process);
    # no autoloading of .env/bunfig.toml: a plugin must not pick up files from the runtime's cwd.
    "$bun" build --compile --bytecode --minify --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
      "build/$name/main.cjs" --outfile "bin/$name" >/dev/null
  done
}

ensure_apt_packages
ensure_pnpm
ensure_cargo
log "pnpm install"
pnpm install --frozen-lockfile --reporter=silent
build_addon
build_plugins
log "built: $(cd bin && ls | tr '\n' ' ')"

if [ "${1:-}" = "test" ]; then
  log "tests"
  exec pnpm test
fi

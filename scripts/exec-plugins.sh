#!/usr/bin/env bash
# Run CNI plugins for every network config in $NETCONFPATH against one container, as a runtime would.
#
#   exec-plugins.sh add|check|del CONTAINER-ID NETNS-PATH
#
# Networks are taken in file-name order (*.conflist, *.conf, *.json); the N-th gets CNI_IFNAME=ethN.
# ADD runs each list's plugins in order, feeding each the previous result as prevResult, and caches the final
# result in libcni's format (/var/lib/cni/results/<network>-<containerID>-<ifname>); if any plugin fails, every
# network already attached is deleted again so nothing is left behind. CHECK runs in order and DEL in reverse,
# both with the cached result as prevResult; DEL goes on past errors and reports them all.
#
# Environment: NETCONFPATH (default /etc/cni/net.d, or this repo's scripts/net.d when that has no config),
# CNI_PATH (default: this repo's bin/ when built, else /opt/cni/bin), CNI_ARGS, CNI_CACHE_DIR, DEBUG=1.
set -euo pipefail
[[ ${DEBUG:-0} -gt 0 ]] && set -x

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")

usage() {
  echo "Usage: $0 add|check|del CONTAINER-ID NETNS-PATH" >&2
  echo "  Runs the CNI plugins of every network in \$NETCONFPATH for the container." >&2
  exit 2
}
[ $# -eq 3 ] || usage
command -v jq >/dev/null || { echo "$0: jq is required (apt-get install jq)" >&2; exit 1; }

has_configs() { compgen -G "$1/*.conflist" >/dev/null || compgen -G "$1/*.conf" >/dev/null || compgen -G "$1/*.json" >/dev/null; }
if [ -z "${NETCONFPATH:-}" ]; then
  NETCONFPATH=/etc/cni/net.d
  has_configs "$NETCONFPATH" || NETCONFPATH="$HERE/net.d"
fi
if [ -z "${CNI_PATH:-}" ]; then
  if [ -d "$REPO/bin" ]; then CNI_PATH="$REPO/bin"; else CNI_PATH=/opt/cni/bin; fi
fi
CACHE_DIR=${CNI_CACHE_DIR:-/var/lib/cni/results}
export CNI_PATH CNI_CONTAINERID=$2 CNI_NETNS=$3 CNI_ARGS=${CNI_ARGS:-}
COMMAND=$(tr '[:lower:]' '[:upper:]' <<<"$1")
export CNI_COMMAND=$COMMAND

# Every network as a conflist (a single-plugin .conf becomes a list of one), in file-name order.
network_files() { find "$NETCONFPATH" -maxdepth 1 -type f \( -name '*.conflist' -o -name '*.conf' -o -name '*.json' \) | LC_ALL=C sort; }
as_list() { jq -c 'if has("plugins") then . else {cniVersion, name, plugins: [.]} end' "$1"; }

find_plugin() {
  local dir IFS=:
  for dir in $CNI_PATH; do
    [ -x "$dir/$1" ] && [ -f "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
  echo "failed to find plugin \"$1\" in path [$CNI_PATH]" >&2
  return 1
}

# run_plugin LIST INDEX PREV_RESULT -> prints the plugin's stdout; exit status of the plugin
run_plugin() {
  local list=$1 index=$2 prev=$3 conf type binary
  conf=$(jq -c --argjson i "$index" --argjson prev "${prev:-null}" '
      .plugins[$i] + {name, cniVersion} + (if $prev == null then {} else {prevResult: $prev} end)' <<<"$list")
  type=$(jq -r '.type' <<<"$conf")
  binary=$(find_plugin "$type") || return 1
  "$binary" <<<"$conf"
}

cache_file() { echo "$CACHE_DIR/$1-$CNI_CONTAINERID-$CNI_IFNAME"; }

write_cache() { # write_cache NETWORK LIST RESULT
  mkdir -p -m 0700 "$CACHE_DIR"
  local file; file=$(cache_file "$1")
  (umask 077; jq -cn --arg cid "$CNI_CONTAINERID" --arg conf "$(base64 -w0 <<<"$2")" --arg ifname "$CNI_IFNAME" \
      --arg net "$1" --arg netns "$CNI_NETNS" --arg args "$CNI_ARGS" --argjson result "$3" \
      '{kind: "cniCacheV1", containerId: $cid, config: $conf, ifName: $ifname, networkName: $net,
        netns: $netns, cniArgs: $args, result: $result}' >"$file")
}

# A missing or corrupt cache must not block DEL: then there is simply no prevResult.
read_cached_result() { jq -c '.result // empty' "$(cache_file "$1")" 2>/dev/null || true; }

fail() { # fail NETWORK OUTPUT
  local msg
  msg=$(jq -r '.msg + (if .details then ": " + .details else "" end)' <<<"$2" 2>/dev/null) || msg=$2
  echo "$1: error executing $COMMAND: ${msg:-$2}" >&2
}

add_network() { # add_network LIST -> 0/1; prints nothing on success
  local list=$1 name count i result=""
  name=$(jq -r '.name' <<<"$list"); count=$(jq '.plugins | length' <<<"$list")
  for ((i = 0; i < count; i++)); do
    if ! result=$(run_plugin "$list" "$i" "$result"); then
      fail "$name" "$result"; return 1
    fi
  done
  [[ ${DEBUG:-0} -gt 0 ]] && jq . <<<"$result" >&2
  write_cache "$name" "$list" "${result:-null}"
}

del_network() { # del_network LIST -> 0/1, goes on past errors
  local list=$1 name count i prev out status=0
  name=$(jq -r '.name' <<<"$list"); count=$(jq '.plugins | length' <<<"$list")
  prev=$(read_cached_result "$name")
  for ((i = count - 1; i >= 0; i--)); do
    if ! out=$(run_plugin "$list" "$i" "$prev"); then fail "$name" "$out"; status=1; fi
  done
  rm -f "$(cache_file "$name")"
  return $status
}

check_network() {
  local list=$1 name count i prev out
  name=$(jq -r '.name' <<<"$list"); count=$(jq '.plugins | length' <<<"$list")
  prev=$(read_cached_result "$name")
  for ((i = 0; i < count; i++)); do
    if ! out=$(run_plugin "$list" "$i" "$prev"); then fail "$name" "$out"; return 1; fi
  done
}

mapfile -t FILES < <(network_files)
[ ${#FILES[@]} -gt 0 ] || { echo "$0: no network configs in $NETCONFPATH" >&2; exit 1; }
LISTS=()
for f in "${FILES[@]}"; do LISTS+=("$(as_list "$f")"); done

ifname_for() { printf 'eth%d' "$1"; }

case $COMMAND in
  ADD)
    for ((n = 0; n < ${#LISTS[@]}; n++)); do
      export CNI_IFNAME; CNI_IFNAME=$(ifname_for "$n")
      if ! add_network "${LISTS[$n]}"; then
        # Roll back this network and every one attached before it, newest first.
        export CNI_COMMAND=DEL
        for ((m = n; m >= 0; m--)); do CNI_IFNAME=$(ifname_for "$m"); del_network "${LISTS[$m]}" || true; done
        exit 1
      fi
    done
    ;;
  CHECK)
    for ((n = 0; n < ${#LISTS[@]}; n++)); do
      export CNI_IFNAME; CNI_IFNAME=$(ifname_for "$n")
      check_network "${LISTS[$n]}" || exit 1
    done
    ;;
  DEL)
    status=0
    for ((n = ${#LISTS[@]} - 1; n >= 0; n--)); do
      export CNI_IFNAME; CNI_IFNAME=$(ifname_for "$n")
      del_network "${LISTS[$n]}" || status=1
    done
    exit $status
    ;;
  *) usage ;;
esac

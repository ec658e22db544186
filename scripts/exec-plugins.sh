#!/usr/bin/env bash
# Run the CNI plugins of every network in $NETCONFPATH for one container, as a runtime would, through
# cnitool (bin/cnitool: @cni/cnitool on @cni/libcni).
#
#   exec-plugins.sh add|check|del CONTAINER-ID NETNS-PATH
#
# Networks are taken in load order (*.conflist sorted, then *.conf/*.json sorted; `cnitool networks`); the
# N-th gets CNI_IFNAME=ethN. cnitool runs each list's plugins in order with prevResult chaining and caches
# the result in libcni's format (<CNI_CACHE_DIR>/results/<network>-<containerID>-<ifname>); CHECK runs in
# order and DEL in reverse with the cached result. When ADD fails for a network, cnitool has already rolled
# that network back and this script deletes the ones attached before it, so nothing is left behind. DEL
# goes on past errors and reports them all.
#
# Environment: NETCONFPATH (default /etc/cni/net.d, or this repo's scripts/net.d when that has no config),
# CNI_PATH (default: this repo's bin/ when built, else /opt/cni/bin), CNI_ARGS, CAP_ARGS,
# CNI_CACHE_DIR (default /var/lib/cni), CNITOOL (default: cnitool in CNI_PATH), DEBUG=1.
set -euo pipefail
[[ ${DEBUG:-0} -gt 0 ]] && set -x

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")

usage() {
  echo "Usage: $0 add|check|del CONTAINER-ID NETNS-PATH"
  echo "  Runs the CNI plugins of every network in \$NETCONFPATH for the container."
}
if [ $# -eq 1 ] && { [ "$1" = -h ] || [ "$1" = --help ]; }; then usage; exit 0; fi
[ $# -eq 3 ] || { usage >&2; exit 2; }
case $1 in add | check | del) ;; *) usage >&2; exit 2 ;; esac
COMMAND=$1

has_configs() { compgen -G "$1/*.conflist" >/dev/null || compgen -G "$1/*.conf" >/dev/null || compgen -G "$1/*.json" >/dev/null; }
if [ -z "${NETCONFPATH:-}" ]; then
  NETCONFPATH=/etc/cni/net.d
  has_configs "$NETCONFPATH" || NETCONFPATH="$HERE/net.d"
fi
if [ -z "${CNI_PATH:-}" ]; then
  if [ -x "$REPO/bin/cnitool" ]; then CNI_PATH="$REPO/bin"; else CNI_PATH=/opt/cni/bin; fi
fi
export NETCONFPATH CNI_PATH CNI_CONTAINERID=$2
NETNS=$3

if [ -z "${CNITOOL:-}" ]; then
  IFS=: read -r -a dirs <<<"$CNI_PATH"
  for dir in "${dirs[@]}" "$REPO/bin"; do
    if [ -x "$dir/cnitool" ]; then CNITOOL=$dir/cnitool; break; fi
  done
  [ -n "${CNITOOL:-}" ] || { echo "$0: cnitool not found in CNI_PATH ($CNI_PATH); run ./build.sh" >&2; exit 1; }
fi

names=$("$CNITOOL" networks) || exit 1 # cnitool has said which config is wrong
mapfile -t NETWORKS <<<"$names"

# run VERB INDEX: cnitool for the INDEX-th network with CNI_IFNAME=ethINDEX; ADD's result to stderr when DEBUG
run() {
  local out
  out=$(CNI_IFNAME="eth$2" "$CNITOOL" "$1" "${NETWORKS[$2]}" "$NETNS") || return 1
  [[ ${DEBUG:-0} -gt 0 && -n $out ]] && echo "$out" >&2
  return 0
}

case $COMMAND in
  add)
    for ((n = 0; n < ${#NETWORKS[@]}; n++)); do
      if ! run add "$n"; then
        # network n was rolled back by cnitool; delete the ones before it, newest first
        for ((m = n - 1; m >= 0; m--)); do run del "$m" || true; done
        exit 1
      fi
    done
    ;;
  check)
    for ((n = 0; n < ${#NETWORKS[@]}; n++)); do run check "$n" || exit 1; done
    ;;
  del)
    status=0
    for ((n = ${#NETWORKS[@]} - 1; n >= 0; n--)); do run del "$n" || status=1; done
    exit $status
    ;;
esac

#!/usr/bin/env bash
# Run a command in a new network namespace attached by the CNI plugins, then detach and delete it.
#
#   priv-net-run.sh COMMAND [ARGS...]        e.g.  scripts/priv-net-run.sh ip addr
#
# Networks come from $NETCONFPATH (default /etc/cni/net.d, or this repo's scripts/net.d when that has no
# config); plugins from $CNI_PATH (default this repo's bin/, else /opt/cni/bin). See exec-plugins.sh.
# The namespace is detached and deleted on every exit path, also when attaching fails.
set -euo pipefail
[[ ${DEBUG:-0} -gt 0 ]] && set -x
[ $# -gt 0 ] || { echo "Usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
contid=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
netns=/var/run/netns/$contid

ip netns add "$contid"
cleanup() {
  "$HERE/exec-plugins.sh" del "$contid" "$netns" || true
  ip netns delete "$contid" 2>/dev/null || true
}
trap cleanup EXIT

"$HERE/exec-plugins.sh" add "$contid" "$netns"
status=0
ip netns exec "$contid" "$@" || status=$?
exit $status

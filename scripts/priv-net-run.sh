#!/usr/bin/env bash
# Run a command in a new network namespace attached by the CNI plugins, then detach and delete it.
#
#   priv-net-run.sh COMMAND [ARGS...]        e.g.  scripts/priv-net-run.sh ip addr
#
# Networks come from $NETCONFPATH (default /etc/cni/net.d, or this repo's scripts/net.d when that has no
# config: the `mynet` bridge network 10.22.0.0/16 on cni0 with masquerade, plus loopback); plugins from
# $CNI_PATH (default this repo's bin/, else /opt/cni/bin). The namespace is made and the command run in
# it by cnitool (`cnitool netns add|exec|del`), attached by exec-plugins.sh; it is detached and deleted
# on every exit path: the command failing, attaching failing, or the script being interrupted.
set -euo pipefail
[[ ${DEBUG:-0} -gt 0 ]] && set -x
usage() {
  echo "Usage: $0 COMMAND [ARGS...]"
  echo "  Runs COMMAND in a new network namespace attached to every network of \$NETCONFPATH."
  echo "  With the default networks (scripts/net.d) the host keeps, as with Go's plugins: the cni0 bridge,"
  echo "  net.ipv4.ip_forward=1, the nft table inet cni_plugins_masquerade, /var/lib/cni/networks/mynet."
  echo "  README.md (\"What command 1 leaves on the host\") says how to remove them."
}
if [ $# -eq 0 ]; then usage >&2; exit 2; fi
if [ "$1" = -h ] || [ "$1" = --help ]; then usage; exit 0; fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
if [ -z "${CNI_PATH:-}" ]; then
  if [ -x "$REPO/bin/cnitool" ]; then CNI_PATH="$REPO/bin"; else CNI_PATH=/opt/cni/bin; fi
fi
export CNI_PATH
if [ -z "${CNITOOL:-}" ]; then
  IFS=: read -r -a dirs <<<"$CNI_PATH"
  for dir in "${dirs[@]}" "$REPO/bin"; do
    if [ -x "$dir/cnitool" ]; then CNITOOL=$dir/cnitool; break; fi
  done
  [ -n "${CNITOOL:-}" ] || { echo "$0: cnitool not found in CNI_PATH ($CNI_PATH); run ./build.sh" >&2; exit 1; }
fi
export CNITOOL

contid=cni-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
netns=/var/run/netns/$contid

"$CNITOOL" netns add "$contid" >/dev/null
attached=0
cleanup() {
  trap - INT TERM HUP
  if [ $attached = 1 ]; then "$HERE/exec-plugins.sh" del "$contid" "$netns" || true; fi
  "$CNITOOL" netns del "$contid" || true
}
trap cleanup EXIT
# an interrupted script still cleans up (the EXIT trap), with the shell's usual status
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# "attached" from before ADD starts: an interrupted ADD is deleted again; a failed one rolled itself back
attached=1
"$HERE/exec-plugins.sh" add "$contid" "$netns" || { attached=0; exit 1; }
status=0
"$CNITOOL" netns exec "$contid" "$@" || status=$?
exit $status

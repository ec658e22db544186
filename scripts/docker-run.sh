#!/usr/bin/env bash
# Run a docker container on the CNI networks, as the classic CNI script does.
#
#   docker-run.sh DOCKER-RUN-ARGS...          e.g.  scripts/docker-run.sh --rm busybox ip addr
#
# A pause container is started with --net=none, its network namespace (/proc/<pid>/ns/net) attached to
# every network of $NETCONFPATH by exec-plugins.sh, and `docker run --net=container:<pause> ARGS...` run in
# it. On every exit path (the container's exit, a failed attach, an interrupted script) the networks are
# detached and the pause container removed. The exit status is the one of `docker run`.
#
# Environment: DOCKER (the docker command, default `docker`; may carry options, e.g. `docker -H unix:///x`),
# PAUSE_IMAGE (default busybox:latest, needs /bin/sleep), plus what exec-plugins.sh reads (NETCONFPATH,
# CNI_PATH, CNI_ARGS, CNI_CACHE_DIR). The plugins run in this script's network namespace: that is the host
# side of the networks.
set -euo pipefail
[[ ${DEBUG:-0} -gt 0 ]] && set -x
if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  echo "Usage: $0 DOCKER-RUN-ARGS..." >&2
  echo "  Runs \`docker run --net=container:<pause> DOCKER-RUN-ARGS...\` with the pause container's network" >&2
  echo "  namespace attached to every network of \$NETCONFPATH (see scripts/exec-plugins.sh)." >&2
  exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a docker <<<"${DOCKER:-docker}"
command -v "${docker[0]}" >/dev/null || { echo "$0: ${docker[0]} not found (apt-get install docker.io)" >&2; exit 1; }
PAUSE_IMAGE=${PAUSE_IMAGE:-busybox:latest}

workdir=$(mktemp -d "${TMPDIR:-/tmp}/docker-run.XXXXXX")
pause=""
netns=""
attached=0
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  # interrupted while the user's container runs: stop it (its --rm, if given, then removes it)
  if [ -n "${user_client:-}" ] && kill -0 "$user_client" 2>/dev/null; then
    [ -s "$workdir/cid" ] && "${docker[@]}" kill "$(cat "$workdir/cid")" >/dev/null 2>&1 || true
    wait "$user_client" 2>/dev/null || true
  fi
  if [ $attached = 1 ]; then "$HERE/exec-plugins.sh" del "$pause" "$netns" || true; fi
  if [ -n "$pause" ]; then "${docker[@]}" rm -f "$pause" >/dev/null || true; fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
# an interrupted script still cleans up (the EXIT trap), with the shell's usual status
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

pause=$("${docker[@]}" run -d --net=none "$PAUSE_IMAGE" /bin/sleep 2147483647)
pid=$("${docker[@]}" inspect -f '{{ .State.Pid }}' "$pause")
[ "${pid:-0}" -gt 0 ] || { echo "$0: pause container $pause is not running" >&2; exit 1; }
netns=/proc/$pid/ns/net

attached=1
"$HERE/exec-plugins.sh" add "$pause" "$netns"

# In the background with an explicit stdin, so a signal to this script is handled at once (bash defers
# traps while a foreground child runs) and `docker run -i` still reads the script's stdin.
status=0
"${docker[@]}" run --net="container:$pause" --cidfile "$workdir/cid" "$@" <&0 &
user_client=$!
wait "$user_client" || status=$?
user_client=""
exit $status

#!/usr/bin/env bash
# Run a docker container on the CNI networks, as the classic CNI script does.
#
#   docker-run.sh DOCKER-RUN-ARGS...          e.g.  scripts/docker-run.sh --rm busybox ip addr
#
# A pause container is started with --net=none, its network namespace held by a bind mount of
# /proc/<pid>/ns/net on a file of this script's own (so that ADD and DEL act on that namespace even if the
# pause dies and its pid is reused by another process), attached to every network of $NETCONFPATH by
# exec-plugins.sh, and `docker run --net=container:<pause> ARGS...` run in it. On every exit path (the
# container's exit, a failed attach, an interrupted script) the networks are detached, the namespace
# unmounted and the pause container removed. The exit status is the one of `docker run`.
#
# Environment: DOCKER (the docker command, default `docker`; may carry options, e.g. `docker -H unix:///x`),
# PAUSE_IMAGE (default busybox:latest, needs /bin/sleep), plus what exec-plugins.sh reads (NETCONFPATH,
# CNI_PATH, CNI_ARGS, CNI_CACHE_DIR). The plugins run in this script's network namespace: that is the host
# side of the networks. Needs root (the bind mount).
set -euo pipefail
[[ ${DEBUG:-0} -gt 0 ]] && set -x
usage() {
  echo "Usage: $0 DOCKER-RUN-ARGS..."
  echo "  Runs \`docker run --net=container:<pause> DOCKER-RUN-ARGS...\` with the pause container's network"
  echo "  namespace attached to every network of \$NETCONFPATH (see scripts/exec-plugins.sh)."
}
if [ $# -eq 0 ]; then usage >&2; exit 2; fi
if [ "$1" = -h ] || [ "$1" = --help ]; then usage; exit 0; fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a docker <<<"${DOCKER:-docker}"
command -v "${docker[0]}" >/dev/null || { echo "$0: ${docker[0]} not found (apt-get install docker.io)" >&2; exit 1; }
PAUSE_IMAGE=${PAUSE_IMAGE:-busybox:latest}

workdir=$(mktemp -d "${TMPDIR:-/tmp}/docker-run.XXXXXX")
pause=""
netns="$workdir/netns" # the pause container's namespace, held by a bind mount while the script runs
held=0
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
  if [ $held = 1 ]; then umount "$netns" || true; fi
  if [ -n "$pause" ]; then "${docker[@]}" rm -f "$pause" >/dev/null || true; fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
# an interrupted script still cleans up (the EXIT trap), with the shell's usual status
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

pause_pid() {
  "${docker[@]}" inspect -f '{{ if .State.Running }}{{ .State.Pid }}{{ else }}0{{ end }}' "$pause"
}
pause=$("${docker[@]}" run -d --net=none "$PAUSE_IMAGE" /bin/sleep 2147483647)
pid=$(pause_pid)
[ "${pid:-0}" -gt 0 ] || { echo "$0: pause container $pause is not running" >&2; exit 1; }
: >"$netns"
mount --bind "/proc/$pid/ns/net" "$netns"
held=1
# The pid was read before the mount: the pause must still be that process, else the mount may hold
# another process's namespace.
[ "$(pause_pid)" = "$pid" ] || { echo "$0: pause container $pause exited while starting" >&2; exit 1; }

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

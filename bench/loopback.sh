#!/usr/bin/env bash
# loopback ADD/DEL, ours vs the Go reference (Debian containernetworking-plugins), in one hyperfine run.
# Both run with their "host" side in a throwaway namespace and work on a throwaway container namespace.
#
#   bench/loopback.sh [RUNS]          (needs ./build.sh first; root)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
OURS=$PWD/bin/loopback
GO=/usr/lib/cni/loopback
for b in "$OURS" "$GO"; do [ -x "$b" ] || { echo "missing $b" >&2; exit 1; }; done

tag=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
host=bench-lo-host-$tag ctr=bench-lo-ctr-$tag
work=$(mktemp -d)
cleanup() { ip netns del "$ctr" 2>/dev/null || true; ip netns del "$host" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$host"; ip netns add "$ctr"
echo '{"cniVersion":"1.0.0","name":"bench-lo","type":"loopback"}' >"$work/conf.json"

run() { # run VERB BINARY -> the command line hyperfine times (through its shell, whose start-up it subtracts)
  echo "ip netns exec $host env CNI_COMMAND=$1 CNI_CONTAINERID=bench CNI_NETNS=/var/run/netns/$ctr CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin $2 <$work/conf.json"
}
hyperfine --warmup 10 --runs "$RUNS" --export-json "$work/add.json" \
  -n "go ADD" "$(run ADD "$GO")" -n "ours ADD" "$(run ADD "$OURS")" \
  -n "go DEL" "$(run DEL "$GO")" -n "ours DEL" "$(run DEL "$OURS")" \
  -n "ip netns exec (baseline)" "ip netns exec $host true" >/dev/null
jq -r '
  (.results | map({(.command): .}) | add) as $r
  | ["case", "median ms", "mean ms", "ours/go"],
    (["ADD", "DEL"][] as $v
      | ["go " + $v, ($r["go " + $v].median * 1000), ($r["go " + $v].mean * 1000), ""],
        ["ours " + $v, ($r["ours " + $v].median * 1000), ($r["ours " + $v].mean * 1000),
         ($r["ours " + $v].median / $r["go " + $v].median)]),
    ["ip netns exec (baseline)", ($r["ip netns exec (baseline)"].median * 1000), ($r["ip netns exec (baseline)"].mean * 1000), ""]
  | map(if type == "number" then (. * 100 | round / 100 | tostring) else . end) | @tsv' "$work/add.json" | column -t -s $'\t'

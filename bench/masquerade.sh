#!/usr/bin/env bash
# Masquerade set-up and teardown, side by side: ours over netlink (nftables), one `nft -f` process with the
# same ruleset, our iptables backend (iptables-restore), and the iptables processes the Go bridge 1.1.1
# runs (replayed with the exact arguments it uses). Everything runs inside a throwaway namespace.
#   bench/masquerade.sh [ITERATIONS=50] [BACKGROUND=0]   (root; BACKGROUND: other attachments already in nftables)
set -euo pipefail
cd "$(dirname "$0")/.."
NS="masq-bench-$$"
ip netns add "$NS"
trap 'ip netns del "$NS"' EXIT
RUNTIME=node_modules/.bin/bun
[ -x "$RUNTIME" ] || RUNTIME=node
ip netns exec "$NS" "$RUNTIME" bench/masquerade.ts "${1:-50}" "${2:-0}"

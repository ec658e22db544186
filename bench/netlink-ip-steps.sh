#!/bin/sh
# The same steps as netlink-steps.ts with iproute2, one process per step (bench/netlink-bench.sh).
# With "baseline" as $3 each step is `ip -n <ns> -V` instead: process start + namespace switch, no netlink.
A=$1 B=$2
if [ "${3:-}" = baseline ]; then
  for ns in $A $A $A $B $A $B $B $A; do ip -n "$ns" -V >/dev/null; done
  exit 0
fi
ip -n "$A" link add nltb0 type veth peer name nltb1
ip -n "$A" link set nltb1 netns "$B"
ip -n "$A" addr add 10.50.0.1/24 dev nltb0
ip -n "$B" addr add 10.50.0.2/24 dev nltb1
ip -n "$A" link set nltb0 up
ip -n "$B" link set nltb1 up
ip -n "$B" route add 10.51.0.0/24 via 10.50.0.1
ip -n "$A" link del nltb0

#!/usr/bin/env bash
# @cni/netlink benchmarks (issue #3). Needs root, hyperfine, and packages/netlink/rtnetlink.node (./build.sh).
#  1. start-up: a bun-compiled executable that does nothing vs one that loads the addon, opens a handle and
#     gets one link (esbuild cjs bundle + bun --compile, plain and with build.sh's flags).
#  2. a veth pair created, moved, addressed, brought up, routed and deleted: through the API (in-process
#     timing, and as a whole executable) vs the same 8 steps as `ip` commands minus 8 `ip -n ns -V` runs
#     (process start + namespace switch).
# Everything happens in two throwaway namespaces (nlt-bench-*), removed on exit. Results: bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-100}
ROUNDS=${ROUNDS:-30}
STARTUP_RUNS=${STARTUP_RUNS:-20}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nlt-bench.XXXXXX")
A=nlt-bench-a-$$ B=nlt-bench-b-$$
cleanup() {
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/build" "$WORK/bin" bench/results
cp packages/netlink/rtnetlink.node "$WORK/build/rtnetlink.node"
for name in noop handle steps; do
  node_modules/.bin/esbuild "bench/netlink-$name.ts" --bundle --platform=node --format=cjs --target=node20 \
    --external:'*.node' --log-level=error --outfile="$WORK/build/$name/main.cjs"
  node_modules/.bin/bun build --compile "$WORK/build/$name/main.cjs" --outfile "$WORK/bin/$name" >/dev/null
done
# the same two start-up executables compiled with build.sh's flags (JavaScriptCore bytecode, no autoloading)
for name in noop handle; do
  node_modules/.bin/bun build --compile --bytecode --minify --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
    "$WORK/build/$name/main.cjs" --outfile "$WORK/bin/$name-bytecode" >/dev/null
done
ip netns add "$A"
ip netns add "$B"

echo "== 1. start-up: noop vs addon + handle + linkGet (bun-compiled), $ROUNDS rounds of hyperfine =="
# The machine's speed drifts over a long run; short rounds that each measure both executables, and the
# median of the per-round differences, keep that drift out of the comparison.
for round in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 5 --runs "$STARTUP_RUNS" --export-json "$WORK/startup-$round.json" \
    -n noop "$WORK/bin/noop" -n addon+handle+linkGet "$WORK/bin/handle" \
    -n noop-bytecode "$WORK/bin/noop-bytecode" -n addon+handle+linkGet-bytecode "$WORK/bin/handle-bytecode" >/dev/null
done
node -e '
const fs = require("fs");
const rounds = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")).results);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ms = (round, name) => round.find((r) => r.command === name).median * 1000;
const out = {};
for (const [label, base, withAddon] of [["plain", "noop", "addon+handle+linkGet"], ["build.sh", "noop-bytecode", "addon+handle+linkGet-bytecode"]]) {
  const diffs = rounds.map((r) => ms(r, withAddon) - ms(r, base));
  out[label] = { noopMedianMs: median(rounds.map((r) => ms(r, base))), addonMedianMs: median(rounds.map((r) => ms(r, withAddon))), costMs: median(diffs), perRoundCostMs: diffs };
}
fs.writeFileSync("bench/results/netlink-startup.json", JSON.stringify(out, null, 2));
for (const [label, r] of Object.entries(out)) console.log(`${label.padEnd(9)} noop ${r.noopMedianMs.toFixed(3)} ms, addon+handle+linkGet ${r.addonMedianMs.toFixed(3)} ms, cost ${r.costMs.toFixed(3)} ms (per-round differences: p25 ${[...r.perRoundCostMs].sort((a, b) => a - b)[Math.floor(r.perRoundCostMs.length / 4)].toFixed(2)}, p75 ${[...r.perRoundCostMs].sort((a, b) => a - b)[Math.floor(r.perRoundCostMs.length * 3 / 4)].toFixed(2)})`);
' "$WORK"/startup-*.json

echo "== 2a. veth steps through the API, in-process (median of $RUNS) =="
"$WORK/bin/steps" "/var/run/netns/$A" "/var/run/netns/$B" "$((RUNS * 2))" | tee bench/results/netlink-steps-inprocess.json

echo "== 2b. veth steps: API executable vs ip commands vs ip start-ups =="
hyperfine -N --warmup 5 --runs "$((RUNS * 2))" --export-json bench/results/netlink-steps.json \
  -n noop "$WORK/bin/noop" \
  -n api "$WORK/bin/steps /var/run/netns/$A /var/run/netns/$B" \
  -n ip-commands "sh bench/netlink-ip-steps.sh $A $B" \
  -n ip-startups "sh bench/netlink-ip-steps.sh $A $B baseline"

node -e '
const r = JSON.parse(require("fs").readFileSync("bench/results/netlink-steps.json", "utf8")).results;
const s = JSON.parse(require("fs").readFileSync("bench/results/netlink-startup.json", "utf8"));
const m = (n) => r.find((x) => x.command === n).median * 1000;
const inproc = JSON.parse(require("fs").readFileSync("bench/results/netlink-steps-inprocess.json", "utf8"));
console.log("\nsummary (medians, ms)");
console.log(`  start-up cost of addon + handle + linkGet, as build.sh compiles: ${s["build.sh"].costMs.toFixed(3)} (noop ${s["build.sh"].noopMedianMs.toFixed(3)})`);
console.log(`  the same, plain bun --compile:                               ${s.plain.costMs.toFixed(3)} (noop ${s.plain.noopMedianMs.toFixed(3)})`);
console.log(`  veth steps via API, in-process:             ${inproc.withDeleteMedianMs.toFixed(3)} (set-up only ${inproc.setUpMedianMs.toFixed(3)})`);
console.log(`  veth steps via API executable minus noop:   ${(m("api") - m("noop")).toFixed(3)}`);
console.log(`  veth steps via ip minus ip start-ups:       ${(m("ip-commands") - m("ip-startups")).toFixed(3)}`);
console.log(`  ratio API (in-process) / ip-net:            ${(inproc.withDeleteMedianMs / (m("ip-commands") - m("ip-startups"))).toFixed(2)}`);
console.log(`  API with the peer created inside B (no move): ${inproc.directWithDeleteMedianMs.toFixed(3)} (set-up only ${inproc.directSetUpMedianMs.toFixed(3)})`);
'

#!/bin/sh
# The long fuzz run, outside the default test command: FUZZ_RUNS generated inputs (default 100,000) for
# every property of the pure parts (skel: addresses/CIDRs, CNI_ARGS, configs, results in all 7 versions,
# a whole in-process call; the bridge/veth/host-local config readers) and through every decoder of the
# Rust addon (random and mutated kernel replies). The default test run does the same with a few
# thousand inputs. A failure prints the seed and the input; FUZZ_SEED=<n> reruns that sequence.
#   bench/fuzz.sh                 # 100,000 inputs per property
#   FUZZ_RUNS=1000000 FUZZ_SEED=7 bench/fuzz.sh
set -eu
cd "$(dirname "$0")/.."
FUZZ_RUNS="${FUZZ_RUNS:-100000}"
export FUZZ_RUNS
start=$(date +%s)
node_modules/.bin/vitest run --project unit --testTimeout=3600000 .fuzz.test.ts
ts_done=$(date +%s)
cargo test --quiet --manifest-path packages/netlink/native/Cargo.toml --lib fuzz -- --nocapture
end=$(date +%s)
echo "fuzz: ${FUZZ_RUNS} inputs per property; TypeScript $((ts_done - start)) s, Rust $((end - ts_done)) s"

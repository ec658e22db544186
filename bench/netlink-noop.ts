// Baseline for bench/netlink-bench.sh: a compiled executable that does nothing.
process.exitCode = 0;

#!/usr/bin/env bash
# `make bench`: how fast the engine runs, natively and in the browser, side by side.
#
#   1. builds the release wasm into www/pkg/ when it is missing or older than the Rust sources;
#   2. runs the native harness (core/benches/throughput.rs) in the bench profile;
#   3. runs the same scenarios in headless Chromium (scripts/bench-wasm.mjs → www/bench.html,
#      the engine in a module Web Worker driven with runUntil in slices, as the page does);
#   4. prints one table of both, with the budgets of docs/benchmarks.md;
#   5. times, on every CPU and with the load average before and after, three commands: a phase
#      map of 10 × 8 cells × 20 seeds of 300 s (1,600 runs; budget: 60 s on 2 cores), a sweep of
#      07-01 over 1000 seeds of 300 s (budget: 10 s on 2 cores) and the default scenario's
#      switch grid over 10 seeds (1,280 runs, each distinct run simulated once).
#
# RUNS=N (default 7) runs per scenario; ONLY=NAME runs the scenarios whose name contains NAME;
# MAP=0 skips the three timed commands.
# The JSON lines and the table are kept in target/bench/. Not part of `make test`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-7}
ONLY=${ONLY:-}
OUT=target/bench
mkdir -p "$OUT"

# wasm-pack runs the first wasm-opt on PATH: npm's binaryen (see the Makefile's `wasm` target).
export PATH="$PWD/www/node_modules/.bin:$PATH"

wasm=www/pkg/pageout_web_bg.wasm
if [ ! -f "$wasm" ] || [ ! -f www/pkg/pageout_web.js ] ||
    [ -n "$(find core/src web/src core/Cargo.toml web/Cargo.toml Cargo.toml Cargo.lock -newer "$wasm" -print -quit)" ]; then
    echo "bench: building the release wasm (wasm-pack)" >&2
    wasm-pack --quiet build --target web --release --no-pack --out-dir ../www/pkg web >&2
fi

only_args=()
if [ -n "$ONLY" ]; then
    only_args=(--only "$ONLY")
fi

echo "bench: native ($RUNS runs per scenario)" >&2
if ! cargo bench --quiet -p pageout-core --bench throughput -- --runs "$RUNS" "${only_args[@]}" \
    >"$OUT/native.jsonl" 2>"$OUT/native.log"; then
    cat "$OUT/native.log" >&2
    echo "bench: the native benchmark failed" >&2
    exit 1
fi

echo "bench: wasm in headless Chromium ($RUNS runs per scenario)" >&2
node scripts/bench-wasm.mjs --runs "$RUNS" "${only_args[@]}" \
    --out "$OUT/wasm.jsonl" --native "$OUT/native.jsonl" >"$OUT/table.md"

{
    echo
    echo "Machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -n1)," \
        "$(free -h | awk '/^Mem:/ {print $2}') RAM; $(rustc --version)"
    echo
} >>"$OUT/table.md"
if [ "${MAP:-1}" != 0 ]; then
    cargo build --quiet --release --features cli -p pageout-core
    sim="${CARGO_TARGET_DIR:-target}/release/pageout-sim"
    # timed NAME WHAT BUDGET_S ARGS...: pageout-sim ARGS on every CPU, its wall time into the table,
    # against a budget of BUDGET_S seconds on 2 cores (PASS/FAIL), or none when BUDGET_S is -
    timed() {
        local name=$1 what=$2 budget=$3
        shift 3
        echo "bench: $what ($(nproc) CPUs)" >&2
        local load_before load_after t0 t1
        load_before=$(cut -d' ' -f1 /proc/loadavg)
        t0=$(date +%s.%N)
        "$sim" "$@" >"$OUT/$name.txt"
        t1=$(date +%s.%N)
        load_after=$(cut -d' ' -f1 /proc/loadavg)
        awk -v w="$what" -v c="$1" -v a="$t0" -v b="$t1" -v n="$(nproc)" -v g="$budget" \
            -v l0="$load_before" -v l1="$load_after" 'BEGIN {
            t = b - a
            if (g == "-") {
                printf "      %s, pageout-sim %s on %d CPUs: %.1f s (load average %s before, %s after)\n",
                    w, c, n, t, l0, l1
            } else {
                printf "%s  %s, pageout-sim %s on %d CPUs: %.1f s (budget %s s on 2 cores; load average %s before, %s after)\n",
                    (t < g ? "PASS" : "FAIL"), w, c, n, t, g, l0, l1
            }
        }' >>"$OUT/table.md"
    }
    timed map "Phase map, 10 × 8 cells × 20 seeds of 300 s (1,600 runs)" 60 \
        map --x mrate=500/s..5000/s:10 --y ram=64M..512M:8 --seeds 1..=20
    timed sweep "Sweep of dfly-2008-07-01, 1000 seeds of 300 s" 10 \
        sweep --kernel dfly-2008-07-01 --seeds 1..=1000
    # the page's grid has the budget (30 s, above); this is the command line's time for it
    timed grid "Switch grid of the default scenario, 128 cells × 10 seeds (1,280 runs)" - \
        grid --seeds 1..=10
fi
cat "$OUT/table.md"
echo "bench: JSON lines in $OUT/native.jsonl and $OUT/wasm.jsonl; table in $OUT/table.md" >&2

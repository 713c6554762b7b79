#!/usr/bin/env bash
# Regenerates the survival of every kernel (`make survival`): the table between the markers
# <!-- survival:begin --> and <!-- survival:end --> in core/README.md, and the picture at the top
# of README.md (docs/survival.svg), from one run of `pageout-sim survival`.
# SEEDS=1..=50 UNTIL=3600s by default; JOBS (default: every CPU) runs that many at once.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-1..=50}
UNTIL=${UNTIL:-3600s}
SIM=${PAGEOUT_SIM:-${CARGO_TARGET_DIR:-target}/release/pageout-sim}
jobs=()
if [[ -n ${JOBS:-} ]]; then jobs=(--jobs "$JOBS"); fi

table=$(mktemp)
trap 'rm -f "$table"' EXIT
start=$(date +%s)
"$SIM" survival --seeds "$SEEDS" --until "$UNTIL" "${jobs[@]}" --markdown \
  --svg docs/survival.svg >"$table"
echo "survival: ${SEEDS} seeds, ${UNTIL}, $(($(date +%s) - start)) s" >&2

python3 - "$table" core/README.md <<'PY'
import sys
table = open(sys.argv[1]).read().rstrip("\n")
path = sys.argv[2]
text = open(path).read()
begin, end = "<!-- survival:begin -->", "<!-- survival:end -->"
if begin not in text or end not in text:
    sys.exit(f"{path}: the markers {begin} and {end} are missing")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(f"{head}{begin}\n{table}\n{end}{tail}")
PY
echo "survival: rewrote core/README.md's table and docs/survival.svg" >&2

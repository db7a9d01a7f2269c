#!/usr/bin/env bash
# kill -9 in the middle of training, then --resume: the per-step losses must be
# those of an uninterrupted run with the same config and thread count.
#   check_resume.sh QKV CONFIG WORKDIR
set -euo pipefail
qkv=$1 config=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
"$qkv" train --config "$config" --out "$work/full" > "$work/full.log"

"$qkv" train --config "$config" --out "$work/cut" > "$work/cut.log" &
pid=$!
# Wait for step 13 (a checkpoint at step 12 exists by then), then kill hard.
for _ in $(seq 1 1200); do
  grep -q '"step":1[3-9],' "$work/cut/metrics.jsonl" 2>/dev/null && break
  sleep 0.02
done
kill -9 "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
if grep -q '^trained' "$work/cut.log"; then
  echo "the run finished before it could be killed; make the test config longer" >&2
  exit 1
fi
"$qkv" train --config "$config" --out "$work/cut" --resume > "$work/resume.log"
grep -q '^resumed from .* at step [0-9]* ' "$work/resume.log"

losses() { grep -o '"loss":[^,]*' "$1"; }
if ! diff <(losses "$work/full/metrics.jsonl") <(losses "$work/cut/metrics.jsonl") > "$work/diff"; then
  echo "resumed losses differ from the uninterrupted run:" >&2
  head "$work/diff" >&2
  exit 1
fi
echo "resume: $(losses "$work/cut/metrics.jsonl" | wc -l) step losses identical to the uninterrupted run ($(grep -o 'at step [0-9]*' "$work/resume.log"))"

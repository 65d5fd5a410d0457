#!/usr/bin/env bash
# Runs Chorus's benchmarks and prints their tables (docs/benchmarks.md explains them).
#
#   bash bench/run.sh                 # all five, ~10-15 min on 2 cores
#   bash bench/run.sh overhead e2e    # some: overhead | throughput | e2e | fault | ratelimit | reads | mcp | tools | knowledge | cache | models | modelfault | startup | takeover | streams | observability | storage | evals (engine = overhead + throughput)
#
# Installs the baselines (bench/package.json) on first use. Each benchmark's output is also
# saved under bench/results/, and every JSON result line is appended to bench/results/results.jsonl.
set -uo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
TSX="$ROOT/node_modules/.bin/tsx"

if [[ ! -x "$TSX" ]]; then
  echo "Chorus's dependencies are missing: run 'npm ci' in $ROOT first." >&2
  exit 1
fi
if [[ ! -d "$BENCH_DIR/node_modules/@langchain/langgraph" || ! -d "$BENCH_DIR/node_modules/@mastra/core" \
      || "$BENCH_DIR/package-lock.json" -nt "$BENCH_DIR/node_modules/.package-lock.json" ]]; then
  echo "Installing the benchmark baselines (npm --prefix bench ci)…" >&2
  npm --prefix "$BENCH_DIR" ci --no-audit --no-fund >&2 || exit 1
fi

declare -A FILES=(
  [overhead]=engine-overhead.ts
  [throughput]=engine-throughput.ts
  [e2e]=e2e-throughput.ts
  [fault]=fault-run.ts
  [ratelimit]=rate-limit.ts
  [reads]=api-reads.ts
  [mcp]=mcp-tools.ts
  [tools]=tool-calls.ts
  [knowledge]=knowledge-search.ts
  [cache]=model-cache.ts
  [models]=model-reliability.ts
  [modelfault]=model-fault-run.ts
  [startup]=start-up.ts
  [takeover]=takeover.ts
  [streams]=streams.ts
  [observability]=observability.ts
  [storage]=storage-growth.ts
  [evals]=evals.ts
)
ORDER=(overhead throughput e2e fault ratelimit reads mcp tools knowledge cache models modelfault startup takeover streams observability storage evals)

selected=()
if [[ $# -eq 0 || "$*" == "all" ]]; then
  selected=("${ORDER[@]}")
else
  for arg in "$@"; do
    case "$arg" in
      engine) selected+=(overhead throughput) ;;
      all) selected+=("${ORDER[@]}") ;;
      overhead | throughput | e2e | fault | ratelimit | reads | mcp | tools | knowledge | cache | models | modelfault | startup | takeover | streams | observability | storage | evals) selected+=("$arg") ;;
      *) echo "unknown benchmark '$arg' (overhead | throughput | engine | e2e | fault | ratelimit | reads | mcp | tools | knowledge | cache | models | modelfault | startup | takeover | streams | observability | storage | evals | all)" >&2; exit 2 ;;
    esac
  done
fi

export LOG_LEVEL="${LOG_LEVEL:-warn}"
# The streams benchmark holds 10,000 connections open on each side: as many descriptors as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$BENCH_DIR/results"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
failed=()
started=$SECONDS
for name in "${selected[@]}"; do
  file="${FILES[$name]}"
  out="$BENCH_DIR/results/$name-$stamp.txt"
  echo "=== $name ($file) — $(date -u +%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
  t0=$SECONDS
  (cd "$BENCH_DIR" && "$TSX" --tsconfig "$ROOT/tsconfig.json" --import "$ROOT/bin/server-only-outside-next.mjs" "$file") 2>&1 | tee -a "$out"
  status=${PIPESTATUS[0]}
  echo "=== $name: exit $status after $((SECONDS - t0)) s" | tee -a "$out"
  grep -h '^{"benchmark"' "$out" >> "$BENCH_DIR/results/results.jsonl" || true
  [[ $status -eq 0 ]] || failed+=("$name")
done
echo "=== done in $((SECONDS - started)) s; outputs in bench/results/*-$stamp.txt"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "=== FAILED: ${failed[*]}" >&2
  exit 1
fi

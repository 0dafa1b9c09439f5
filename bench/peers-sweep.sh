#!/usr/bin/env bash
# The rate sweep beside the peers: the shared harness's fanout scenario (S spaces x D devices, open
# loop) at rising write rates, one fresh server per adapter and rate, until each adapter fails. A rate
# passes when its p99 (scheduled send -> arrival) is at most P99_MS and nothing was missed; an
# adapter's figure is the highest rate it passed. Writes per device are sized so that each rate runs
# for about SWEEP_S seconds.
#
#   PEERS      [/tmp/bench-peers]  a set-up copy of ../shared/bench-peers (its README: npm install, floor build)
#   ADAPTERS   ["notesync hocuspocus ywebsocket"]  names as run-all.sh takes them
#   RATES      ["250 500 1000 2000 4000 8000"]  writes per second, all devices together
#   SWEEP_S [5]  P99_MS [50]  S [10]  D [4]
# NOTESYNC_CMD, NS_AUTH, NS_JWT_SECRET and the rest pass through to run-all.sh as they are.
# Output: results/sweep-<stamp>-*.jsonl in PEERS (one file per adapter and rate) and a table on stdout.
set -euo pipefail
PEERS=${PEERS:-/tmp/bench-peers}
ADAPTERS=${ADAPTERS:-"notesync hocuspocus ywebsocket"}
RATES=${RATES:-"250 500 1000 2000 4000 8000"}
SWEEP_S=${SWEEP_S:-5}; P99_MS=${P99_MS:-50}; S=${S:-10}; D=${D:-4}
[ -x "$PEERS/run-all.sh" ] || { echo "no harness at $PEERS (see ../shared/bench-peers/README.md, Setup)" >&2; exit 2; }
stamp=$(date -u +%Y%m%dT%H%M%SZ)
declare -A best failed
rows=()
for rate in $RATES; do
  w=$(( rate * SWEEP_S / (S * D) )); [ "$w" -ge 10 ] || w=10
  for a in $ADAPTERS; do
    [ -z "${failed[$a]:-}" ] || continue
    run="sweep-$stamp-$a-$rate"
    echo "== $a at $rate writes/s ($w writes per device)" >&2
    (cd "$PEERS" && STAMP=$run ADAPTERS=$a SCENARIOS=fanout S=$S D=$D R=$rate W=$w ./run-all.sh >/dev/null 2>&1) || true
    line=$(node -e '
      const fs = require("fs"); const f = process.argv[1];
      const r = fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").map(JSON.parse).find(x => x.scenario === "fanout") : null;
      if (!r || !r.latency_ms) { console.log("- - - - fail"); process.exit(0); }
      const pass = r.missed === 0 && r.latency_ms.p99 <= +process.argv[2];
      console.log([r.latency_ms.p50, r.latency_ms.p99, r.missed, r.delivered_per_s, r.loadgen_eventloop_p99_ms, pass ? "pass" : "fail"].join(" "));
    ' "$PEERS/results/$run.jsonl" "$P99_MS")
    read -r p50 p99 missed dps lag verdict <<<"$line"
    rows+=("| $a | $rate | $p50 | $p99 | $missed | $dps | $lag | $verdict |")
    if [ "$verdict" = pass ]; then best[$a]=$rate; else failed[$a]=1; fi
  done
done
echo "| adapter | writes/s | p50 ms | p99 ms | missed | deliveries/s | loadgen event-loop p99 ms | verdict |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
for a in $ADAPTERS; do echo "$a: highest passing rate ${best[$a]:-none} writes/s (p99 <= $P99_MS ms, 0 missed)"; done

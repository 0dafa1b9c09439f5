#!/usr/bin/env bash
# NoteSync load benchmark: every scenario against a FRESH server process, one after the other.
#
#   bench/run.sh                                   # fanout, catchup, idle (C=1000 and 5000), sweep
#   SCENARIOS="fanout sweep" R=2000 bench/run.sh   # a subset, other parameters
#
# What it does (from the repository root, whatever the working directory):
#   1. dotnet publish -c Release -r linux-x64 -p:PublishReadyToRun=true Server -> artifacts/server/NoteSync.Server.dll
#      (ReadyToRun, as a deployment would run it: no tier-0 JIT in the first seconds of a run)
#      dotnet build -c Release bench/NoteSync.Bench
#   2. per scenario (and per idle connection count): a fresh temp data dir (mktemp -d), the server
#      started as `taskset -c $SERVER_CPU dotnet <dll> --urls http://127.0.0.1:$PORT` with
#      NoteSync__DataDir=<that dir>; `dotnet <dll>` runs the server in-process, so $! IS the server
#      (its CPU and RSS are what the bench reads from /proc). Waits for GET /healthz = 200.
#   3. runs the bench pinned to core $BENCH_CPU with --server-pid, appending to $OUT.
#   4. stops the server by PID (TERM, KILL after 3 s) and removes the temp dir.
# Everything targets 127.0.0.1. Exit status: 0 when every scenario reported ok.
#
# Environment (defaults in brackets):
#   SCENARIOS [fanout catchup idle sweep]   PORT [7120]   SERVER_CPU [0]   BENCH_CPU [1]
#   OUT [bench/results/<UTC stamp>.jsonl]   server logs go to <OUT minus .jsonl>.logs/
#   MAX_S [900]          hard deadline per bench process, seconds
#   HEALTH_TIMEOUT_S [60]
#   fanout/sweep: S [1] D [4] W [200] R [1000] WARMUP [5] MIN_SIZE [200] MAX_SIZE [1000] DRAIN_S [10]
#                 (S = groups of D devices; S > 1: with auth off all groups share one space, so every device also gets the
#                 other groups' writes; they are counted as other_group, not as deliveries)
#   catchup:      N [10000] NOTE_SIZE [500] BATCH [500] REPS [3]
#   idle:         IDLE_CONNECTIONS ["1000 5000"] (one fresh server each) CONCURRENCY [100] IDLE_S [2]
#   sweep:        RATES [250,500,1000,2000,4000,8000,16000] MAX_RATE [16000] SWEEP_S [5] P99_MS [50]
#   SEED [1]   LABEL []   BENCH_ARGS []  extra bench arguments for every scenario
#   SERVER_CMD   command template instead of the NoteSync dll; {PORT} and {DATADIR} are substituted.
#                It must exec the server itself (no wrapper, no `dotnet run`: that forks).
#                e.g. SERVER_CMD="node /tmp/bench-peers/mock-notesync.mjs --port {PORT}"
#   SKIP_SERVER_BUILD [0]  1: do not build the server (e.g. with SERVER_CMD)
#
# File descriptors: each idle connection is one fd in the server and one in the bench. The script
# raises its soft limit to the hard one (`ulimit -n $(ulimit -Hn)`), which the server and bench
# inherit; if the hard limit is below IDLE_CONNECTIONS + 1000, raise it first (as root:
# `ulimit -Hn 65536`, or LimitNOFILE / limits.conf).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

SCENARIOS=${SCENARIOS:-"fanout catchup idle sweep"}
PORT=${PORT:-7120}
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-bench/results/$STAMP.jsonl}
LOGDIR=${OUT%.jsonl}.logs
MAX_S=${MAX_S:-900}
HEALTH_TIMEOUT_S=${HEALTH_TIMEOUT_S:-60}
S=${S:-1}
D=${D:-4}; W=${W:-200}; R=${R:-1000}; WARMUP=${WARMUP:-5}
MIN_SIZE=${MIN_SIZE:-200}; MAX_SIZE=${MAX_SIZE:-1000}; DRAIN_S=${DRAIN_S:-10}
N=${N:-10000}; NOTE_SIZE=${NOTE_SIZE:-500}; BATCH=${BATCH:-500}; REPS=${REPS:-3}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-"1000 5000"}; CONCURRENCY=${CONCURRENCY:-100}; IDLE_S=${IDLE_S:-2}
RATES=${RATES:-250,500,1000,2000,4000,8000,16000}; MAX_RATE=${MAX_RATE:-16000}; SWEEP_S=${SWEEP_S:-5}; P99_MS=${P99_MS:-50}
SEED=${SEED:-1}; LABEL=${LABEL:-}; BENCH_ARGS=${BENCH_ARGS:-}
SERVER_DLL=artifacts/server/NoteSync.Server.dll
SERVER_CMD=${SERVER_CMD:-"dotnet $SERVER_DLL --urls http://127.0.0.1:{PORT}"}
SKIP_SERVER_BUILD=${SKIP_SERVER_BUILD:-0}
BENCH_DLL=bench/NoteSync.Bench/bin/Release/net10.0/NoteSync.Bench.dll

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for c in $IDLE_CONNECTIONS; do
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((c + 1000)) ]; then
    echo "warning: fd limit $(ulimit -n) is low for $c idle connections (raise the hard limit, see header)" >&2
  fi
done

if [ "$SKIP_SERVER_BUILD" != 1 ]; then
  dotnet publish Server/NoteSync.Server.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o artifacts/server -nologo -v q
fi
dotnet build -c Release bench/NoteSync.Bench -nologo -v q
mkdir -p "$(dirname "$OUT")" "$LOGDIR"
echo "fd limit $(ulimit -n); server core $SERVER_CPU, bench core $BENCH_CPU; results $OUT; logs $LOGDIR"

SERVER_PID=""
DATADIR=""

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    if kill -TERM "$SERVER_PID" 2>/dev/null; then
      for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [ -n "$DATADIR" ]; then rm -rf -- "$DATADIR"; DATADIR=""; fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_server() { # name
  DATADIR=$(mktemp -d "${TMPDIR:-/tmp}/notesync-bench.XXXXXX")
  local cmd=${SERVER_CMD//\{PORT\}/$PORT}
  cmd=${cmd//\{DATADIR\}/$DATADIR}
  local -a argv
  read -r -a argv <<< "$cmd"
  # taskset execs the command and `dotnet x.dll` hosts the runtime in-process: $! is the server.
  NoteSync__DataDir=$DATADIR taskset -c "$SERVER_CPU" "${argv[@]}" > "$LOGDIR/$1.server.log" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" 2>/dev/null)" = 200 ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server exited during startup; see $LOGDIR/$1.server.log" >&2; tail -n 20 "$LOGDIR/$1.server.log" >&2; SERVER_PID=""; return 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "no GET /healthz = 200 within ${HEALTH_TIMEOUT_S}s" >&2; return 1; fi
    sleep 0.1
  done
  echo "== $1: server pid $SERVER_PID on 127.0.0.1:$PORT, data $DATADIR"
}

run_bench() { # name scenario args...
  local name=$1; shift
  local status=0
  if start_server "$name"; then
    # shellcheck disable=SC2086 # BENCH_ARGS is a list of words on purpose
    taskset -c "$BENCH_CPU" dotnet "$BENCH_DLL" "$@" --port "$PORT" --server-pid "$SERVER_PID" \
      --out "$OUT" --max-s "$MAX_S" --seed "$SEED" ${LABEL:+--label "$LABEL"} $BENCH_ARGS || status=$?
  else
    status=1
  fi
  stop_server
  if [ $status -ne 0 ]; then FAILED+=("$name"); fi
}

FANOUT_ARGS=(--groups "$S" --devices "$D" --writes "$W" --rate "$R" --warmup "$WARMUP"
  --min-size "$MIN_SIZE" --max-size "$MAX_SIZE" --drain-s "$DRAIN_S")
FAILED=()
for scenario in $SCENARIOS; do
  case $scenario in
    fanout) run_bench fanout fanout "${FANOUT_ARGS[@]}" ;;
    catchup) run_bench catchup catchup --notes "$N" --note-size "$NOTE_SIZE" --batch "$BATCH" --reps "$REPS" ;;
    idle)
      for c in $IDLE_CONNECTIONS; do
        run_bench "idle$c" idle --connections "$c" --concurrency "$CONCURRENCY" --idle-s "$IDLE_S"
      done ;;
    sweep) run_bench sweep sweep "${FANOUT_ARGS[@]}" --rates "$RATES" --max-rate "$MAX_RATE" --sweep-s "$SWEEP_S" --p99-ms "$P99_MS" ;;
    *) echo "unknown scenario $scenario (have: fanout catchup idle sweep)" >&2; FAILED+=("$scenario") ;;
  esac
done

echo
echo "results: $OUT"
if [ ${#FAILED[@]} -gt 0 ]; then echo "not ok: ${FAILED[*]}" >&2; exit 1; fi

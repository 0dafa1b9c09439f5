#!/usr/bin/env bash
# NoteSync load benchmark: every scenario against a FRESH server process, one after the other.
#
#   bench/run.sh                                   # fanout, catchup, idle (C=1000 and 5000), sweep, cli
#   SCENARIOS="fanout sweep" R=2000 bench/run.sh   # a subset, other parameters
#
# What it does (from the repository root, whatever the working directory):
#   1. dotnet publish -c Release -r linux-x64 -p:PublishReadyToRun=true Server -> artifacts/server/NoteSync.Server.dll
#      (ReadyToRun, as a deployment would run it: no tier-0 JIT in the first seconds of a run)
#      dotnet build -c Release bench/NoteSync.Bench (and Client/NoteSync.Cli for the cli scenario)
#   2. per scenario (and per idle connection count): a fresh temp data dir (mktemp -d), the server
#      started as `taskset -c $SERVER_CPU dotnet <dll> --urls http://127.0.0.1:$PORT` with
#      NoteSync__DataDir=<that dir>; `dotnet <dll>` runs the server in-process, so $! IS the server
#      (its CPU and RSS are what the bench reads from /proc). Waits for GET /healthz = 200.
#   3. runs the bench pinned to core $BENCH_CPU with --server-pid, appending to $OUT.
#   4. stops the server by PID (TERM, KILL after 3 s) and removes the temp dir.
# Everything targets 127.0.0.1. Exit status: 0 when every scenario reported ok.
#
# Environment (defaults in brackets):
#   SCENARIOS [fanout catchup idle sweep cli] (also: merge flood abuse storage history)   PORT [7120]   SERVER_CPU [0]   BENCH_CPU [1]
#   OUT [bench/results/<UTC stamp>.jsonl]   server logs go to <OUT minus .jsonl>.logs/
#   MAX_S [900]          hard deadline per bench process, seconds
#   HEALTH_TIMEOUT_S [60]
#   fanout/sweep: S [1] D [4] W [200] R [1000] WARMUP [5] MIN_SIZE [200] MAX_SIZE [1000] DRAIN_S [10]
#                 (S = groups of D devices; S > 1: with auth off all groups share one space, so every device also gets the
#                 other groups' writes; they are counted as other_group, not as deliveries)
#   merge:        the fanout parameters above (one group of D devices; S is not used): on one open-loop schedule at R,
#                 D*(W+WARMUP) ordinary writes and half as many pairs of concurrent edits of one 16-line note from the
#                 same base, touching lines far apart, which the server merges (docs/protocol.md §2.3); compares the
#                 merged version's delivery to every device with an ordinary write's, and counts pairs never merged.
#   catchup:      N [10000] NOTE_SIZE [500] BATCH [500] REPS [3]
#   idle:         IDLE_CONNECTIONS ["1000 5000"] (one fresh server each) CONCURRENCY [100] IDLE_S [2]
#   cli:          N [10000] NOTE_SIZE [500] REPS [3] EDITS [200] EDIT_RATE [5]  (the notesync CLI: push, pull into
#                 empty folders, edit -> remote file latency between two `notesync sync` processes; they run on BENCH_CPU)
#   storage:      N [10000] PUSHES [5] KEY_BYTES [1024] NOTE_SIZE [500] BATCH [500]  one device writes PUSHES rounds
#                 of N new notes in pushes of BATCH; the bench sums the server's data dir after each round
#                 (SQLite: single node only). docs/benchmarks.md, Storage, uses NOTE_SIZE=560 BATCH=10000.
#   history:      HISTORY_NOTES [1000] NOTE_MIN [2000] NOTE_MAX [4000] EDITS_MIN [1] EDITS_MAX [100] BATCH [500]
#                 HISTORY_KEEP ["default 1"]  one device writes HISTORY_NOTES notes of prose and edits each EDITS_MIN..
#                 EDITS_MAX times (seeded: the same space every run), once per HISTORY_KEEP on a fresh server:
#                 "default" as configured (VersionsPerNote 50), a number n with NoteSync__History__VersionsPerNote=n.
#                 After each, the store's size is appended to OUT as a "history_store" line: SQLite (NODES=1): the
#                 server stopped, `compact` run on its data dir, the folder's bytes, and (with python3,
#                 bench/history_sizes.py) each table's and index's bytes, and copies of the database vacuumed with the
#                 history emptied (the current state alone) and with each note's replaced versions packed; KEEP_DB=<file>
#                 keeps a copy of the compacted database for a closer look; Redis (NODES>=2):
#                 used_memory grown since the servers started, and MEMORY USAGE of each of the space's keys.
#   sweep:        RATES [250,500,1000,2000,4000,8000,16000] MAX_RATE [16000] SWEEP_S [5] P99_MS [50]
#   flood:        FLOOD_RATE [1000] FLOOD_LIMIT [500]  the fanout (its parameters above) twice, each on a fresh server
#                 with NoteSync__Limits__PushesPerSecond=PushBurst=FLOOD_LIMIT (above each fanout device's R/D):
#                 flood-off as is, flood-on with one more device pushing FLOOD_RATE/s on its own connection
#                 (bench --flood-rate); compare the two runs' "latency p50/p90/p99/max" rows.
#   abuse:        FLOOD_VALUE_BYTES [65536] FLOOD_NOTES [20000] FLOOD_LISTENERS [2] ABUSE_RUNS ["off siblings pull"]
#                 the fanout once per run named in ABUSE_RUNS (three times by default), each on a
#                 fresh server with auth on (a random signing key; tokens minted by the server's `token` command):
#                 the measured devices in space "bench", a flooder and its listeners in space "flood" (another space):
#                 abuse-off as is, abuse-siblings with the sibling bomb (distinct values at one timestamp, as fast as
#                 answered), abuse-pull with a pull loop (the flood space filled with FLOOD_NOTES notes of NOTE_SIZE,
#                 then pulled whole from 0 as fast as served); compare the measured devices' latency rows.
#   SEED [1]   LABEL []   BENCH_ARGS []  extra bench arguments for every scenario
#   SERVER_ENV_EXTRA []  VAR=value words added to every server's environment, after the scenario's own
#                (e.g. SERVER_ENV_EXTRA="NoteSync__Sync__MaxAckBytes=1048576" to compare a setting side by side)
#   SERVER_CMD   command template instead of the NoteSync dll; {PORT} and {DATADIR} are substituted.
#                It must exec the server itself (no wrapper, no `dotnet run`: that forks).
#                e.g. SERVER_CMD="node /tmp/bench-peers/mock-notesync.mjs --port {PORT}"
#   SKIP_SERVER_BUILD [0]  1: do not build the server (e.g. with SERVER_CMD)
#
# Scale-out mode (NODES >= 2): per scenario, one fresh redis-server and NODES fresh server processes sharing it
# (NoteSync__Store=redis, NoteSync__Redis=127.0.0.1:$REDIS_PORT), node i on port PORT+i with its own temp data dir.
#   NODES [1]   REDIS_PORT [6390]   REDIS_APPENDFSYNC [always]  (always = an ack is on disk, what the product's
#               durable ack means; everysec is Redis's default, up to 1 s of acks lost on a crash)
#   Redis runs in the foreground: `redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly yes
#   --appendfsync $REDIS_APPENDFSYNC --dir <mktemp -d> --daemonize no`, stopped by PID, its dir removed.
#   Redis and every node are pinned to SERVER_CPU, so by default the figures are the cost of scale-out on ONE
#   core (like bench-peers' hocuspocus-redis); SERVER_CPU=0,1 (a taskset list) spreads them, sharing the bench's core.
#   The bench gets every node URL (--url a,b), every node PID (--server-pid a,b: CPU and RSS summed) and
#   --redis-pid (Redis reported apart). Fanout splits latency into same-node and cross-node deliveries.
#   Needs redis-server and redis-cli on PATH.
#   REDIS_CLUSTER [0]  1: a Redis Cluster instead of one redis-server: 3 primaries and 3 replicas on ports
#   REDIS_PORT..REDIS_PORT+5 (bus ports +10000), each as above plus `--cluster-enabled yes --cluster-node-timeout
#   2000`, joined by `redis-cli --cluster create ... --cluster-replicas 1`; the nodes are given all six
#   (NoteSync__Redis=a,b,...), the bench every Redis pid (CPU summed), and the history scenario's used_memory is
#   the primaries' sum, MEMORY USAGE read through `redis-cli -c`.
#
# File descriptors: each idle connection is one fd in the server and one in the bench. The script
# raises its soft limit to the hard one (`ulimit -n $(ulimit -Hn)`), which the server and bench
# inherit; if the hard limit is below IDLE_CONNECTIONS + 1000, raise it first (as root:
# `ulimit -Hn 65536`, or LimitNOFILE / limits.conf).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

SCENARIOS=${SCENARIOS:-"fanout catchup idle sweep cli"}
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
EDITS=${EDITS:-200}; EDIT_RATE=${EDIT_RATE:-5}
PUSHES=${PUSHES:-5}; KEY_BYTES=${KEY_BYTES:-1024}
HISTORY_NOTES=${HISTORY_NOTES:-1000}; NOTE_MIN=${NOTE_MIN:-2000}; NOTE_MAX=${NOTE_MAX:-4000}
EDITS_MIN=${EDITS_MIN:-1}; EDITS_MAX=${EDITS_MAX:-100}; HISTORY_KEEP=${HISTORY_KEEP:-"default 1"}
SEED=${SEED:-1}; LABEL=${LABEL:-}; BENCH_ARGS=${BENCH_ARGS:-}
FLOOD_RATE=${FLOOD_RATE:-1000}; FLOOD_LIMIT=${FLOOD_LIMIT:-500}; SERVER_ENV=()
FLOOD_VALUE_BYTES=${FLOOD_VALUE_BYTES:-65536}; FLOOD_NOTES=${FLOOD_NOTES:-20000}; FLOOD_LISTENERS=${FLOOD_LISTENERS:-2}
ABUSE_RUNS=${ABUSE_RUNS:-off siblings pull}; SERVER_ENV_EXTRA=${SERVER_ENV_EXTRA:-}
SERVER_DLL=artifacts/server/NoteSync.Server.dll
SERVER_CMD=${SERVER_CMD:-"dotnet $SERVER_DLL --urls http://127.0.0.1:{PORT}"}
SKIP_SERVER_BUILD=${SKIP_SERVER_BUILD:-0}
NODES=${NODES:-1}
REDIS_PORT=${REDIS_PORT:-6390}
REDIS_APPENDFSYNC=${REDIS_APPENDFSYNC:-always}
REDIS_CLUSTER=${REDIS_CLUSTER:-0}
case $REDIS_CLUSTER in 0|1) ;; *) echo "REDIS_CLUSTER must be 0 or 1 (got '$REDIS_CLUSTER')" >&2; exit 2 ;; esac
if [ "$REDIS_CLUSTER" = 1 ] && [ "$NODES" -lt 2 ]; then echo "REDIS_CLUSTER=1 needs NODES >= 2" >&2; exit 2; fi
REDIS_COUNT=$([ "$REDIS_CLUSTER" = 1 ] && echo 6 || echo 1)
case $NODES in ''|*[!0-9]*) echo "NODES must be a positive integer (got '$NODES')" >&2; exit 2 ;; esac
if [ "$NODES" -lt 1 ] || [ "$NODES" -gt 16 ]; then echo "NODES must be in 1..16 (got $NODES)" >&2; exit 2; fi
case $REDIS_APPENDFSYNC in always|everysec|no) ;; *) echo "REDIS_APPENDFSYNC must be always, everysec or no" >&2; exit 2 ;; esac
if [ "$NODES" -ge 2 ] && ! command -v redis-server >/dev/null; then echo "NODES=$NODES needs redis-server on PATH" >&2; exit 2; fi
BENCH_DLL=bench/NoteSync.Bench/bin/Release/net10.0/NoteSync.Bench.dll
CLI_DLL=Client/NoteSync.Cli/bin/Release/net10.0/notesync.dll

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
case " $SCENARIOS " in *" cli "*) dotnet build -c Release Client/NoteSync.Cli -nologo -v q ;; esac
mkdir -p "$(dirname "$OUT")" "$LOGDIR"
if [ "$NODES" -ge 2 ]; then
  echo "scale-out: $NODES nodes on ports $PORT..$((PORT + NODES - 1)), redis 127.0.0.1:$REDIS_PORT..$((REDIS_PORT + REDIS_COUNT - 1)) appendfsync $REDIS_APPENDFSYNC, REDIS_CLUSTER=$REDIS_CLUSTER"
fi
echo "fd limit $(ulimit -n); server core $SERVER_CPU, bench core $BENCH_CPU; results $OUT; logs $LOGDIR"

SERVER_PIDS=()   # node i's pid at index i
DATADIRS=()
REDIS_PIDS=()    # every redis-server: one, or a cluster's six
REDIS_DIRS=()
REDIS_CONFIG="appendonly yes appendfsync $REDIS_APPENDFSYNC save '' maxmemory-policy noeviction"
if [ "$REDIS_CLUSTER" = 1 ]; then REDIS_CONFIG+=" cluster 3 primaries 3 replicas"; fi

stop_pid() { # pid: TERM, KILL after 3 s
  if kill -TERM "$1" 2>/dev/null; then
    for _ in $(seq 1 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
}

stop_server() { # every node, then redis; temp dirs removed
  local pid dir
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  SERVER_PIDS=()
  for pid in "${REDIS_PIDS[@]}"; do stop_pid "$pid"; done
  REDIS_PIDS=()
  for dir in "${DATADIRS[@]}" "${REDIS_DIRS[@]}"; do rm -rf -- "$dir"; done
  DATADIRS=(); REDIS_DIRS=()
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_redis() { # name: one redis-server, or a cluster's six, each answering PING (the cluster formed)
  local i port dir extra=()
  if [ "$REDIS_CLUSTER" = 1 ]; then
    extra=(--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 --repl-diskless-sync-delay 0)
  fi
  for i in $(seq 0 $((REDIS_COUNT - 1))); do
    port=$((REDIS_PORT + i))
    dir=$(mktemp -d "${TMPDIR:-/tmp}/notesync-bench-redis.XXXXXX")
    REDIS_DIRS+=("$dir")
    taskset -c "$SERVER_CPU" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes \
      --appendfsync "$REDIS_APPENDFSYNC" --maxmemory-policy noeviction --dir "$dir" --daemonize no ${extra[@]+"${extra[@]}"} \
      > "$LOGDIR/$1.redis$i.log" 2>&1 &
    REDIS_PIDS+=($!)
    local deadline=$((SECONDS + 10))
    until [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; do
      if ! kill -0 "${REDIS_PIDS[-1]}" 2>/dev/null; then
        echo "redis-server exited during startup (port $port taken?); see $LOGDIR/$1.redis$i.log" >&2
        tail -n 5 "$LOGDIR/$1.redis$i.log" >&2; unset 'REDIS_PIDS[-1]'; return 1
      fi
      if [ $SECONDS -ge $deadline ]; then echo "redis-server on port $port did not answer PING within 10 s" >&2; return 1; fi
      sleep 0.1
    done
  done
  if [ "$REDIS_CLUSTER" = 1 ]; then
    local addresses=()
    for i in $(seq 0 5); do addresses+=("127.0.0.1:$((REDIS_PORT + i))"); done
    redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes > "$LOGDIR/$1.redis-cluster.log" 2>&1 \
      || { echo "redis-cli --cluster create failed; see $LOGDIR/$1.redis-cluster.log" >&2; return 1; }
    local deadline=$((SECONDS + 30))
    for i in $(seq 0 5); do
      until redis-cli -h 127.0.0.1 -p "$((REDIS_PORT + i))" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; do
        if [ $SECONDS -ge $deadline ]; then echo "the Redis Cluster did not say cluster_state:ok within 30 s" >&2; return 1; fi
        sleep 0.1
      done
    done
  fi
}

redis_addresses() { # NoteSync__Redis: the one server, or every server of the cluster
  local i addresses=()
  for i in $(seq 0 $((REDIS_COUNT - 1))); do addresses+=("127.0.0.1:$((REDIS_PORT + i))"); done
  (IFS=,; echo "${addresses[*]}")
}

start_node() { # name index log
  local port=$((PORT + $2)) dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/notesync-bench.XXXXXX")
  DATADIRS+=("$dir")
  local cmd=${SERVER_CMD//\{PORT\}/$port}
  cmd=${cmd//\{DATADIR\}/$dir}
  local -a argv extra env=(NoteSync__DataDir="$dir" ${SERVER_ENV[@]+"${SERVER_ENV[@]}"})
  read -r -a extra <<< "$SERVER_ENV_EXTRA"
  env+=(${extra[@]+"${extra[@]}"})
  read -r -a argv <<< "$cmd"
  if [ "$NODES" -ge 2 ]; then env+=(NoteSync__Store=redis NoteSync__Redis="$(redis_addresses)"); fi
  # taskset execs the command and `dotnet x.dll` hosts the runtime in-process: $! is the server.
  env "${env[@]}" taskset -c "$SERVER_CPU" "${argv[@]}" > "$3" 2>&1 &
  local pid=$!
  SERVER_PIDS+=("$pid")
  local deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" 2>/dev/null)" = 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server exited during startup; see $3" >&2; tail -n 20 "$3" >&2; return 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "no GET /healthz = 200 on port $port within ${HEALTH_TIMEOUT_S}s" >&2; return 1; fi
    sleep 0.1
  done
  echo "== $1: server pid $pid on 127.0.0.1:$port, data $dir"
}

start_server() { # name
  if [ "$NODES" -lt 2 ]; then
    start_node "$1" 0 "$LOGDIR/$1.server.log"
    return
  fi
  start_redis "$1" || return 1
  echo "== $1: redis pids ${REDIS_PIDS[*]} on $(redis_addresses) ($REDIS_CONFIG), dirs ${REDIS_DIRS[*]}"
  local i
  for i in $(seq 0 $((NODES - 1))); do
    start_node "$1" "$i" "$LOGDIR/$1.server$i.log" || return 1
  done
}

node_args() { # the bench's target and measurement arguments
  if [ "$NODES" -lt 2 ]; then
    echo "--port $PORT --server-pid ${SERVER_PIDS[0]}"
    return
  fi
  local urls=() i
  for i in $(seq 0 $((NODES - 1))); do urls+=("ws://127.0.0.1:$((PORT + i))"); done
  echo "--url $(IFS=,; echo "${urls[*]}") --server-pid $(IFS=,; echo "${SERVER_PIDS[*]}") --redis-pid $(IFS=,; echo "${REDIS_PIDS[*]}")"
}

run_bench() { # name scenario args...
  local name=$1; shift
  local status=0
  if start_server "$name"; then
    local -a target
    read -r -a target <<< "$(node_args)"
    if [ "$NODES" -ge 2 ]; then target+=(--redis-config "$REDIS_CONFIG"); fi
    # {DATADIR} in an argument is node 0's data directory, known only now.
    local -a args=()
    local a
    for a in "$@"; do args+=("${a//\{DATADIR\}/${DATADIRS[0]}}"); done
    # shellcheck disable=SC2086 # BENCH_ARGS is a list of words on purpose
    if [ -n "${BEFORE_BENCH:-}" ]; then "$BEFORE_BENCH" "$name"; fi
    taskset -c "$BENCH_CPU" dotnet "$BENCH_DLL" "${args[@]}" "${target[@]}" \
      --out "$OUT" --max-s "$MAX_S" --seed "$SEED" ${LABEL:+--label "$LABEL"} $BENCH_ARGS || status=$?
    # A measurement of the store itself, once the bench is done with the server (history).
    if [ $status -eq 0 ] && [ -n "${AFTER_BENCH:-}" ]; then "$AFTER_BENCH" "$name" || status=$?; fi
  else
    status=1
  fi
  stop_server
  if [ $status -ne 0 ]; then FAILED+=("$name"); fi
}

redis_memory() { # the used_memory of the bench's Redis in bytes: of the one server, or summed over the primaries
  local i port total=0 used
  for i in $(seq 0 $((REDIS_COUNT - 1))); do
    port=$((REDIS_PORT + i))
    if [ "$REDIS_CLUSTER" = 1 ] && ! redis-cli -h 127.0.0.1 -p "$port" ROLE | head -n 1 | grep -q master; then continue; fi
    used=$(redis-cli -h 127.0.0.1 -p "$port" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}')
    total=$((total + used))
  done
  echo "$total"
}

history_before() { REDIS_MEMORY_BEFORE=$(redis_memory); }

history_sizes() { # name: the store's size after a history run, appended to $OUT as one "history_store" line
  local line
  if [ "$NODES" -lt 2 ]; then
    local dir=${DATADIRS[0]} folder measured="{}"
    stop_pid "${SERVER_PIDS[0]}"; SERVER_PIDS=()
    # compact = VACUUM INTO: the database without free pages or WAL, the size the data takes.
    NoteSync__DataDir="$dir" dotnet "$SERVER_DLL" compact >> "$LOGDIR/$1.server.log" 2>&1 || return 1
    folder=$(find "$dir" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    if command -v python3 >/dev/null; then
      # On copies: what the history table holds, the current state alone, and other forms of the same rows.
      measured=$(python3 bench/history_sizes.py "$dir/notesync.db")
      if [ -n "${KEEP_DB:-}" ]; then cp "$dir/notesync.db" "$KEEP_DB"; fi
    fi
    line="{\"scenario\":\"history_store\",\"name\":\"$1\",\"store\":\"sqlite\",\"compacted_folder_bytes\":$folder,\"sqlite\":$measured}"
  else
    local after k usage keys=""
    after=$(redis_memory)
    for k in clock e log primary epoch usage hist hk hv hd hold trash; do
      usage=$(redis-cli -c -h 127.0.0.1 -p "$REDIS_PORT" MEMORY USAGE "ns:{default}:$k" SAMPLES 0 | tr -d '\r')
      keys+="${keys:+,}\"$k\":${usage:-0}"
    done
    line="{\"scenario\":\"history_store\",\"name\":\"$1\",\"store\":\"redis\",\"used_memory_before\":$REDIS_MEMORY_BEFORE,\"used_memory_after\":$after,\"used_memory_delta\":$((after - REDIS_MEMORY_BEFORE)),\"memory_usage\":{$keys}}"
  fi
  echo "$line" >> "$OUT"
  echo "== $1: $line"
}

FANOUT_ARGS=(--groups "$S" --devices "$D" --writes "$W" --rate "$R" --warmup "$WARMUP"
  --min-size "$MIN_SIZE" --max-size "$MAX_SIZE" --drain-s "$DRAIN_S")
FAILED=()
for scenario in $SCENARIOS; do
  case $scenario in
    fanout) run_bench fanout fanout "${FANOUT_ARGS[@]}" ;;
    merge) run_bench merge merge "${FANOUT_ARGS[@]}" ;;
    catchup) run_bench catchup catchup --notes "$N" --note-size "$NOTE_SIZE" --batch "$BATCH" --reps "$REPS" ;;
    idle)
      for c in $IDLE_CONNECTIONS; do
        run_bench "idle$c" idle --connections "$c" --concurrency "$CONCURRENCY" --idle-s "$IDLE_S"
      done ;;
    cli) run_bench cli cli --cli "$CLI_DLL" --notes "$N" --note-size "$NOTE_SIZE" --reps "$REPS" --edits "$EDITS" --edit-rate "$EDIT_RATE" ;;
    storage)
      if [ "$NODES" -ge 2 ]; then echo "storage measures the SQLite data dir: run it with NODES=1" >&2; FAILED+=(storage); continue; fi
      run_bench storage storage --notes "$N" --pushes "$PUSHES" --key-bytes "$KEY_BYTES" --note-size "$NOTE_SIZE" --batch "$BATCH" --data-dir "{DATADIR}" ;;
    history)
      # The same seeded space on a fresh server per retention: compare the history_store lines.
      for keep in $HISTORY_KEEP; do
        versions=50   # NoteSync:History:VersionsPerNote's default, for the bench's estimates
        SERVER_ENV=()
        if [ "$keep" != default ]; then versions=$keep; SERVER_ENV=(NoteSync__History__VersionsPerNote="$keep"); fi
        history_args=(--notes "$HISTORY_NOTES" --min-size "$NOTE_MIN" --max-size "$NOTE_MAX" --min-edits "$EDITS_MIN"
          --max-edits "$EDITS_MAX" --batch "$BATCH" --versions-per-note "$versions")
        if [ "$NODES" -lt 2 ]; then history_args+=(--data-dir "{DATADIR}"); fi
        BEFORE_BENCH=$([ "$NODES" -ge 2 ] && echo history_before || true) AFTER_BENCH=history_sizes \
          run_bench "history-$keep" history "${history_args[@]}"
      done
      SERVER_ENV=() ;;
    sweep) run_bench sweep sweep "${FANOUT_ARGS[@]}" --rates "$RATES" --max-rate "$MAX_RATE" --sweep-s "$SWEEP_S" --p99-ms "$P99_MS" ;;
    flood)
      # The fan-out twice on servers with PushesPerSecond=FLOOD_LIMIT: without, then with one more device
      # pushing FLOOD_RATE/s; compare the other devices' latency p99 of the two runs.
      SERVER_ENV=(NoteSync__Limits__PushesPerSecond="$FLOOD_LIMIT" NoteSync__Limits__PushBurst="$FLOOD_LIMIT")
      run_bench flood-off fanout "${FANOUT_ARGS[@]}"
      run_bench flood-on fanout "${FANOUT_ARGS[@]}" --flood-rate "$FLOOD_RATE"
      SERVER_ENV=() ;;
    abuse)
      # Auth on, so the flooder is in another space than the measured devices; the key lives only in this run.
      key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
      # The measured devices share one token: its budget is raised so that only the flood's own limits act.
      SERVER_ENV=(NoteSync__Auth__Enabled=true NoteSync__Auth__SigningKey="$key"
        NoteSync__Limits__PushesPerSecondPerToken=100000 NoteSync__Limits__PushBurstPerToken=100000)
      bench_token=$(env "${SERVER_ENV[@]}" dotnet "$SERVER_DLL" token --space bench --ttl 1d)
      flood_token=$(env "${SERVER_ENV[@]}" dotnet "$SERVER_DLL" token --space flood --ttl 1d)
      ABUSE_ARGS=("${FANOUT_ARGS[@]}" --token "$bench_token" --flood-token "$flood_token" --flood-listeners "$FLOOD_LISTENERS")
      for run in $ABUSE_RUNS; do
        case $run in
          off) run_bench abuse-off fanout "${ABUSE_ARGS[@]}" ;;
          siblings) run_bench abuse-siblings fanout "${ABUSE_ARGS[@]}" --flood-mode siblings --flood-value-bytes "$FLOOD_VALUE_BYTES" ;;
          pull) run_bench abuse-pull fanout "${ABUSE_ARGS[@]}" --flood-mode pull --flood-notes "$FLOOD_NOTES" --note-size "$NOTE_SIZE" ;;
          *) echo "unknown abuse run $run (have: off siblings pull)" >&2; FAILED+=("abuse-$run") ;;
        esac
      done
      SERVER_ENV=() ;;
    *) echo "unknown scenario $scenario (have: fanout merge catchup idle sweep cli flood abuse storage history)" >&2; FAILED+=("$scenario") ;;
  esac
done

echo
echo "results: $OUT"
if [ ${#FAILED[@]} -gt 0 ]; then echo "not ok: ${FAILED[*]}" >&2; exit 1; fi

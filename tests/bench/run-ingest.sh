#!/bin/sh
# tests/bench/run-ingest.sh - the coordinator's ingest rate next to raw
# SQLite and libsodium, measured in the same run.
#
# In a network namespace of its own (lo only), starts a real vantage-coord
# with an allow-list of K generated agents and no monitors, its store in a
# fresh folder under $TMPDIR (or /tmp), then runs bench_ingest: K simulated
# agents send signed RESULTS batches of 100 observations as fast as they are
# acked (W unacked each) for SECONDS, and the same batches go through raw
# SQLite in the same commit groups (twice: the store's writes - batch and
# observation rows, series upkeep with the series kept in memory as the
# store's cache keeps them, changes - and the rows alone; both with the
# store's page cache size and SQLite's memory statistics off, as the store
# sets them) and through libsodium alone; the rates and the ratios are
# printed. Stops the coordinator and prints its CPU time.
# A benchmark, not a test: it fails only when a tool fails.
#
#   tests/bench/run-ingest.sh [SECONDS]      (default 10)
#   environment: VANTAGE_BENCH_AGENTS (K, 8), VANTAGE_BENCH_WINDOW (W, 50),
#                VANTAGE_BIN (bin/), VANTAGE_BENCH_BIN (build/tests/bench_ingest)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
lab_netns_enter "$0" "$@" || exit 1
SECS=${1:-10}
K=${VANTAGE_BENCH_AGENTS:-8}
W=${VANTAGE_BENCH_WINDOW:-50}
BIN=${VANTAGE_BIN:-$ROOT/bin}
BENCH=${VANTAGE_BENCH_BIN:-$ROOT/build/tests/bench_ingest}

work=$(mktemp -d "${TMPDIR:-/tmp}/vingest.XXXXXX")
COORD=""
cleanup() {
	[ -n "$COORD" ] && kill -9 "$COORD" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir "$work/agents" "$work/keys"
"$BIN/vantagectl" keygen "$work/coord.key" >/dev/null
i=0
while [ "$i" -lt "$K" ]; do
	id=$(printf 'bench-%02d' "$i")
	"$BIN/vantage-agent" keygen "$work/keys/$id.key" >/dev/null
	printf '[agent %s]\nregion = bench\npubkey = %s\n' "$id" "$(cat "$work/keys/$id.key.pub")" \
		>"$work/agents/$id.conf"
	i=$((i + 1))
done
# skew: the frames are signed before the run starts (pre-built).
cat >"$work/coord.conf" <<C
[coordinator]
id = coord
listen = tcp://127.0.0.1:7400
key = $work/coord.key
allowlist = $work/agents
control = ipc://$work/control.sock
store = $work/vantage.db
skew = 3600s
heartbeat = 10s
log_level = info
C
"$BIN/vantage-coord" -c "$work/coord.conf" 2>"$work/coord.log" &
COORD=$!
for _ in $(seq 50); do [ -S "$work/control.sock" ] && break; sleep 0.1; done
[ -S "$work/control.sock" ] || {
	cat "$work/coord.log"
	exit 1
}

cmd="$BENCH -k $K -w $W -t $SECS -p $COORD tcp://127.0.0.1:7400 coord $work/keys $work/vantage.db"
echo "== vantage-coord ($BIN/vantage-coord, store $work/vantage.db) and bench_ingest"
echo "   $cmd"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on these $(nproc) cores skews every figure)"
status=0
$cmd >"$work/bench.out" 2>&1 || status=$?
load=$(cut -d' ' -f1-3 /proc/loadavg)
ticks=$(getconf CLK_TCK)
cpu=$(awk -v t="$ticks" '{ printf "%.1f s user, %.1f s system", $14 / t, $15 / t }' \
	"/proc/$COORD/stat")
kill "$COORD"
wait "$COORD" 2>/dev/null || true
COORD=""
sed 's/^/  /' "$work/bench.out" | grep -Ev '^  [A-Z_]+=|schema version 0 -> 1'
[ "$status" = 0 ] || {
	tail -n 20 "$work/coord.log"
	exit "$status"
}
echo "== coordinator CPU over the whole run: $cpu; load average after: $load"
grep -E 'warn|err' "$work/coord.log" | grep -v 'is down' | head -n 5 || true
ing=$(sed -n 's/^INGEST_OPS=//p' "$work/bench.out")
same=$(sed -n 's/^RAW_SAME_OPS=//p' "$work/bench.out")
rows=$(sed -n 's/^RAW_ROWS_OPS=//p' "$work/bench.out")
ver=$(sed -n 's/^VERIFY_OPS=//p' "$work/bench.out")
grp=$(sed -n 's/^GROUP_MEAN=//p' "$work/bench.out")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
echo "== coordinator $ing obs/s committed and acked (synchronous=FULL, $grp batches per commit on average)"
echo "== raw SQLite, same groups: same writes as the store (rows + series upkeep, series kept in memory, + changes) $same obs/s;" \
	"rows only (batch + observation rows) $rows obs/s; libsodium verify alone $ver obs/s"
echo "== ratio coordinator / raw SQLite same writes: $(ratio "$ing" "$same")," \
	"coordinator / raw SQLite rows only: $(ratio "$ing" "$rows")," \
	"coordinator / libsodium verify: $(ratio "$ing" "$ver")"
echo "   (target: >= 0.5x raw SQLite and >= 100000 obs/s)"

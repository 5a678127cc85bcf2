#!/bin/sh
# tests/link/curve.sh - the link with curve = yes, as real processes against
# the DNS lab, inside a network namespace of their own: an allowed agent
# connects over CURVE and its batches are stored; a CURVE client whose key
# is not in the allow-list, a plaintext client, and a frame carried by one
# agent's CURVE key but signed by another get no reply and store nothing;
# an agent removed from the allow-list (SIGHUP) cannot reconnect; and with
# no ZAP handler running (test hook VANTAGE_TEST_NO_ZAP=1) even the allowed
# agent cannot connect: the socket fails closed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
. "$ROOT/tests/lib/harness.sh"
lab_netns_enter "$0" "$@" || exit 1
BIN=${VANTAGE_BIN:-$ROOT/bin}
EVIL=${VANTAGE_EVIL:-$ROOT/build/tests/evil}

top=$(mktemp -d /tmp/vantage-curve.XXXXXX)
lab="$top/lab"
W="$top/w" # kept apart from the lab folder: lab_procs greps command lines
mkdir -p "$lab" "$W/agents"
lab_init "$lab" >/dev/null
cp "$ROOT/tests/agent/lab.conf" "$lab/lab.conf"
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	lab_stop "$lab" >/dev/null 2>&1
	[ "${fails:-1}" = 0 ] && rm -rf "$top"
}
trap cleanup EXIT INT TERM
lab_start "$lab" >/dev/null || exit 1
ip addr add 127.0.40.1/32 dev lo 2>/dev/null


EP=tcp://127.0.40.1:7401
"$BIN/vantagectl" keygen "$W/coord.key" >/dev/null
for a in ams-1 probe; do
	"$BIN/vantage-agent" keygen "$W/$a.key" >/dev/null
	printf '[agent %s]\nregion = %s\npubkey = %s\n' "$a" "reg-$a" "$(cat "$W/$a.key.pub")" \
		>"$W/agents/$a.conf"
done
"$BIN/vantage-agent" keygen "$W/stranger.key" >/dev/null
cat >"$W/coord.conf" <<C
[coordinator]
listen = $EP
key = $W/coord.key
allowlist = $W/agents
control = ipc://$W/control.sock
store = $W/vantage.db
heartbeat = 1s
curve = yes
log_level = debug
[monitor good]
name = good.test
types = MX
resolvers = local
interval = 1s
C
cat >"$W/ams-1.conf" <<C
[agent]
id = ams-1
region = reg-ams-1
key = $W/ams-1.key
state_dir = $W/state-ams-1
log_level = debug
[coordinator]
endpoint = $EP
pubkey = $(cat "$W/coord.key.pub")
curve = yes
[resolvers]
local = 127.0.20.1
timeout = 500ms
C

sql() { sqlite3 -batch "$W/vantage.db" "$1" 2>/dev/null; }
stored() { sql "select count(*) from batches where agent='$1'"; }
evil_obs() { sql "select count(*) from observations where qname='evil.test.'"; }

start_coord() { # start_coord [VAR=VALUE...]: environment for the coordinator
	env "$@" "$BIN/vantage-coord" -c "$W/coord.conf" 2>>"$W/coord.log" &
	COORD=$!
	pids="$pids $COORD"
	for _ in $(seq 50); do [ -S "$W/control.sock" ] && break; sleep 0.1; done
}
stop_coord() {
	kill "$COORD"
	wait "$COORD" 2>/dev/null
}
start_agent() {
	"$BIN/vantage-agent" -c "$W/ams-1.conf" 2>>"$W/ams-1.log" &
	AGENT=$!
	pids="$pids $AGENT"
}
stop_agent() {
	kill "$AGENT"
	wait "$AGENT" 2>/dev/null
}
grew() { [ "$(stored "$1")" -gt "$2" ]; }
hellos() { grep -c 'HELLO sent' "$W/ams-1.log"; }
evil() { # evil KEYFILE SENDER MODE SEQ [CURVE_KEYFILE]: replies, one a line
	"$EVIL" "$EP" "$W/$1.key" "$2" coord "$3" "$4" "$W/coord.key.pub" ${5:+"$W/$5.key"}
}

start_coord
start_agent

# --- 1. an allowed agent over CURVE ----------------------------------------------------
check "the coordinator runs CURVE with its ZAP handler" \
	grep -q 'CURVE on: server key .* 2 agent keys accepted$' "$W/coord.log"
check "ams-1 connects over CURVE: batches stored" wait_for 10 grew ams-1 0
check "the ZAP handler accepted ams-1 by its key" \
	grep -q 'CURVE client from .* accepted as agent ams-1' "$W/coord.log"
check "vantagectl reaches the control socket beside the ZAP handler" \
	sh -c "$BIN/vantagectl -s ipc://$W/control.sock agents --json | jq -e '.agents[] | select(.id == \"ams-1\") | .state == \"up\"' >/dev/null"
out=$(evil probe probe curve-valid 5)
check "an allowed CURVE key with a frame it signed is acked" \
	sh -c "echo '$out' | grep -q 'reply ACK seq=5 duplicate=0'"

# --- 2. clients that must get nothing ------------------------------------------------------
# each waits 2 s for replies: run them side by side
evils=""
evil probe probe curve-valid 6 stranger >"$W/out.unlisted" &
evils="$evils $!"
evil stranger ghost curve-valid 7 >"$W/out.ghost" &
evils="$evils $!"
evil stranger ghost curve-valid 8 >"$W/out.again" &
evils="$evils $!"
evil ams-1 ams-1 curve-valid 9 probe >"$W/out.carried" &
evils="$evils $!"
"$EVIL" "$EP" "$W/probe.key" probe coord valid 10 >"$W/out.plain" &
evils="$evils $!"
"$EVIL" "$EP" "$W/probe.key" probe coord curve-valid 11 "$W/stranger.key.pub" >"$W/out.server" &
evils="$evils $!"
for p in $evils; do wait "$p"; done
check "an unlisted CURVE key, frame signed by an allowed agent: no reply" test ! -s "$W/out.unlisted"
check "an unlisted CURVE key, frame of an unknown agent: no reply" test ! -s "$W/out.ghost"
check "the same key again: no reply" test ! -s "$W/out.again"
check "the unlisted key's refusals are logged once" \
	test "$(grep -c 'CURVE client key .* refused: not the key of an allowed agent' "$W/coord.log")" = 1
check "probe's CURVE key carrying a frame signed by ams-1: no reply" test ! -s "$W/out.carried"
check "that frame is refused as the wrong sender" \
	grep -q "agent ams-1: refused a message: .*sent over the CURVE link of probe" "$W/coord.log"
check "a plaintext client with an allowed key: no reply" test ! -s "$W/out.plain"
check "an allowed CURVE key expecting another server key: no reply" test ! -s "$W/out.server"
check "nothing of those clients was stored" test "$(evil_obs)" = 1
check "nothing stored for the unknown agent" test "$(stored ghost)" = 0
before=$(stored ams-1)
check "ams-1 carries on" wait_for 5 grew ams-1 "$before"

# --- 3. removed from the allow-list: cannot reconnect -----------------------------------------
mv "$W/agents/ams-1.conf" "$W/ams-1.removed"
kill -HUP "$COORD"
check "reload logged" wait_for 5 grep -q "configuration reloaded: 1 agents allowed" "$W/coord.log"
stop_agent
h=$(hellos)
before=$(stored ams-1)
start_agent
check "ams-1 is told its CURVE key was refused" \
	wait_for 5 grep -q "refused this agent's CURVE key (ZAP status 400)" "$W/ams-1.log"
sleep 3
check "removed ams-1 did not get through the handshake" test "$(hellos)" = "$h"
check "removed ams-1: nothing stored" test "$(stored ams-1)" = "$before"
mv "$W/ams-1.removed" "$W/agents/ams-1.conf"
kill -HUP "$COORD"
check "reload logged" wait_for 5 grep -q "configuration reloaded: 2 agents allowed" "$W/coord.log"
stop_agent
start_agent
check "allowed again: ams-1 connects and its batches arrive" wait_for 15 grew ams-1 "$before"

# --- 4. fail closed: no ZAP handler ----------------------------------------------------------
stop_coord
stop_agent
start_coord VANTAGE_TEST_NO_ZAP=1
check "the coordinator runs without a ZAP handler (test hook)" \
	wait_for 5 grep -q 'NO ZAP HANDLER: every client is refused' "$W/coord.log"
h=$(hellos)
before=$(stored ams-1)
start_agent
out=$(evil probe probe curve-valid 12)
check "no ZAP handler: an allowed CURVE key gets no reply" test -z "$out"
sleep 3
check "no ZAP handler: ams-1 did not get through the handshake" test "$(hellos)" = "$h"
check "no ZAP handler: nothing stored from ams-1" test "$(stored ams-1)" = "$before"
check "no ZAP handler: nothing stored from probe" test "$(evil_obs)" = 1
stop_agent
stop_coord

echo "curve tests: $pass passed, $fails failed"
[ "$fails" = 0 ] || echo "logs kept in $W"
[ "$fails" = 0 ]

#!/bin/sh
# tests/link/run.sh - the coordinator and three agents as real processes,
# against the DNS lab, inside a network namespace of their own: results
# arrive and are stored; hostile frames are refused and change nothing;
# kill -9 and restarts of either side, a coordinator away for longer than
# the skew window and an agent that lost its state folder lose nothing and
# store nothing twice (every batch an agent spooled is counted in the store).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
. "$ROOT/tests/lib/harness.sh"
lab_netns_enter "$0" "$@" || exit 1
BIN=${VANTAGE_BIN:-$ROOT/bin}
EVIL=${VANTAGE_EVIL:-$ROOT/build/tests/evil}

top=$(mktemp -d /tmp/vantage-link.XXXXXX)
lab="$top/lab"
W="$top/w" # kept apart from the lab folder: lab_procs greps command lines
mkdir -p "$lab" "$W/agents"
vt_private_bins "$W"
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


AGENTS="fra-1 nyc-1 sgp-1"
# shellcheck disable=SC2086
vt_keys "$W" $AGENTS probe
"$BIN/vantage-agent" keygen "$W/stranger.key" >/dev/null
write_coord_conf() { # write_coord_conf SKEW
	cat >"$W/coord.conf" <<C
[coordinator]
listen = tcp://127.0.40.1:7400
key = $W/coord.key
allowlist = $W/agents
control = ipc://$W/control.sock
store = $W/vantage.db
heartbeat = 1s
skew = $1
log_level = debug
[monitor good]
name = good.test
types = MX
resolvers = local
interval = 1s
C
}
write_coord_conf 3s
i=0
for a in $AGENTS; do
	i=$((i + 1))
	cat >"$W/$a.conf" <<C
[agent]
id = $a
region = reg-$a
key = $W/$a.key
state_dir = $W/state-$a
log_level = debug
[coordinator]
endpoint = tcp://127.0.40.1:7400
pubkey = $(cat "$W/coord.key.pub")
[resolvers]
local = 127.0.20.$(((i - 1) % 2 + 1))
timeout = 500ms
C
done

CTL="$BIN/vantagectl -s ipc://$W/control.sock"
sql() { sqlite3 -batch "$W/vantage.db" "$1" 2>/dev/null; }
stored() { sql "select count(*) from batches where agent='$1'"; }

start_coord() {
	"$BIN/vantage-coord" -c "$W/coord.conf" 2>>"$W/coord.log" &
	COORD=$!
	pids="$pids $COORD"
	for _ in $(seq 50); do [ -S "$W/control.sock" ] && break; sleep 0.1; done
}
start_agent() {
	"$BIN/vantage-agent" -c "$W/$1.conf" 2>>"$W/$1.log" &
	eval "PID_$(echo "$1" | tr -- - _)=$!"
	pids="$pids $!"
}
agent_pid() { eval "echo \$PID_$(echo "$1" | tr -- - _)"; }
all_up() { [ "$($CTL agents --json | jq '[.agents[] | select(.state == "up")] | length')" = 3 ]; }
grew() { [ "$(stored "$1")" -gt "$2" ]; }

start_coord
for a in $AGENTS; do start_agent "$a"; done

# --- 1. results arrive ---------------------------------------------------------------
check "three agents up" wait_for 10 all_up
for a in $AGENTS; do
	check "$a: batches stored" wait_for 10 grew "$a" 0
done
check "observations and findings stored with their fields" \
	test "$(sql "select count(*) from observations where qname='good.test.' and qtype=15 and rrset like '%mx1.good.test.%'")" -gt 0
check "vantagectl agents --json names every agent with region, version, offset" \
	wait_for 5 sh -c "$CTL agents --json | jq -e '[.agents[] | select(.region != null and .version == \"0.1.0\" and (.clock_offset_ms | type) == \"number\")] | length == 3' >/dev/null"
check "vantagectl agents prints a table" sh -c "$CTL agents | grep -q '^fra-1 .*reg-fra-1 .*up'"

# --- on-demand check, fanned out to every agent ---------------------------------------
$CTL check mxcname.test --profile mail --timeout 8000 --json >"$W/check.json"
rc=$?
check "vantagectl check: every agent answered, exit 1 for the CNAME warning" \
	sh -c "test $rc = 1 && jq -e '(.agents | length) == 3 and (.not_answered | length) == 0 and ([.agents[].findings[] | select(.code == \"MX_TARGET_CNAME\")] | length) == 3' '$W/check.json' >/dev/null"
$CTL check good.test --type MX --agent reg-nyc-1 --timeout 8000 --json >"$W/check.json"
check "vantagectl check --agent REGION asks only that region" \
	jq -e '(.agents | keys) == ["nyc-1"] and .exit == 0' "$W/check.json"
check "vantagectl check prints answers and findings" \
	sh -c "$CTL check mxcname.test --profile mail --timeout 8000 | grep -q 'MX_TARGET_CNAME'"

# --- a new plan without a restart ------------------------------------------------------
cat >>"$W/coord.conf" <<C
[monitor second]
name = mxcname.test
profile = mail
resolvers = local
interval = 1s
agents = fra-1
C
kill -HUP "$COORD"
check "SIGHUP: fra-1 gets plan generation 2 with two monitors" \
	wait_for 5 grep -q "plan generation 2: 2 monitors" "$W/fra-1.log"
check "SIGHUP: nyc-1 gets plan generation 2 with one monitor" \
	wait_for 5 grep -q "plan generation 2: 1 monitors" "$W/nyc-1.log"
check "the new monitor's batches are stored" \
	wait_for 5 sh -c "test \$(sqlite3 '$W/vantage.db' \"select count(*) from batches where agent='fra-1' and monitor='second'\") -gt 0"

# --- 2. hostile frames --------------------------------------------------------------
before_probe=$(stored probe)
out=$(EVIL_SAVE="$W/ack-for-probe" "$EVIL" tcp://127.0.40.1:7400 "$W/probe.key" probe coord valid 5)
check "a valid batch from an allowed key is acked" sh -c "echo '$out' | grep -q 'reply ACK seq=5 duplicate=0'"
out=$("$EVIL" tcp://127.0.40.1:7400 "$W/probe.key" probe coord replay 6)
check "a replayed batch is acked again as a duplicate" \
	sh -c "echo '$out' | grep -q 'seq=6 duplicate=0' && echo '$out' | grep -q 'seq=6 duplicate=1'"
check "the replayed batch is stored once" test "$(stored probe)" = $((before_probe + 2))
for mode in flip oversized bomb garbage multipart; do
	out=$("$EVIL" tcp://127.0.40.1:7400 "$W/probe.key" probe coord $mode 7)
	check "$mode: no reply" test -z "$out"
done
out=$("$EVIL" tcp://127.0.40.1:7400 "$W/stranger.key" fra-1 coord valid 8)
check "a key that is not allowed (claiming fra-1): no reply" test -z "$out"
out=$("$EVIL" tcp://127.0.40.1:7400 "$W/stranger.key" ghost coord valid 9)
check "an unknown agent: no reply" test -z "$out"
out=$("$EVIL" tcp://127.0.40.1:7400 "$W/probe.key" probe other-coord valid 10)
check "a message for another recipient: no reply" test -z "$out"
check "nothing of the hostile frames was stored" test "$(stored probe)" = $((before_probe + 2))
check "nothing was stored for the unknown agent" test "$(stored ghost)" = 0
check "refusals are counted" sh -c "$CTL agents --json | jq -e '(.agents[] | select(.id == \"fra-1\") | .refused) >= 1' >/dev/null"
check "refusals are logged once per peer and kind" \
	test "$(grep -c 'agent probe: refused a message: signature' "$W/coord.log")" -le 1
n=$(stored nyc-1)
check "the other agents carry on" wait_for 5 grew nyc-1 "$n"

# an ACK the coordinator signed for probe, replayed to another agent by a
# stand-in coordinator: refused (wrong recipient), nothing deleted
sed -e "s#^endpoint = .*#endpoint = tcp://127.0.40.1:7409#" -e "s#state-sgp-1#state-replay#" \
	-e "s#^id = .*#id = sgp-1#" "$W/sgp-1.conf" >"$W/replay.conf"
"$EVIL" serve tcp://127.0.40.1:7409 "$W/ack-for-probe" >"$W/serve.out" &
serve=$!
"$BIN/vantage-agent" -c "$W/replay.conf" 2>"$W/replay.log" &
replay_agent=$!
pids="$pids $serve $replay_agent"
wait "$serve"
kill "$replay_agent" 2>/dev/null
wait "$replay_agent" 2>/dev/null
check "an ACK replayed to another agent is refused (recipient)" \
	sh -c "grep -q 'sent the saved frame' '$W/serve.out' && grep -q 'refused a message from the coordinator: recipient' '$W/replay.log'"

# --- 3. kill -9 the coordinator while agents send; restart -------------------------------
kill -9 "$COORD"
sleep 2
start_coord
check "agents back up after the coordinator's restart" wait_for 15 all_up

# --- 4. the coordinator away for longer than the skew window (3 s) ------------------------
kill "$COORD"
wait "$COORD" 2>/dev/null
sleep 5
start_coord
check "agents back up after 5 s away" wait_for 15 all_up

# --- 5. kill -9 an agent and restart it -----------------------------------------------------
last=$(sed -n 's/.*batch \([0-9]*\) spooled.*/\1/p' "$W/sgp-1.log" | tail -n 1)
kill -9 "$(agent_pid sgp-1)"
start_agent sgp-1
check "sgp-1 restarted and spooling again" wait_for 10 sh -c "sed -n 's/.*batch \([0-9]*\) spooled.*/\1/p' '$W/sgp-1.log' | tail -n 1 | grep -qv '^$last\$'"
next=$(sed -n 's/.*batch \([0-9]*\) spooled.*/\1/p' "$W/sgp-1.log" | awk -v l="$last" '$1 > l' | head -n 1)
check "sequence numbers go on after kill -9 ($last, then $next)" test -n "$next"

# --- 6. an agent that lost its state folder --------------------------------------------
kill "$(agent_pid nyc-1)"
wait "$(agent_pid nyc-1)" 2>/dev/null
spooled_lost=$(ls "$W/state-nyc-1/spool" 2>/dev/null | wc -l)
mv "$W/state-nyc-1" "$W/state-nyc-1.lost"
n=$(stored nyc-1)
start_agent nyc-1
check "nyc-1 without its state folder: new batches are stored" wait_for 10 grew nyc-1 "$n"

# --- 7. removed from the allow-list: cut off at once ---------------------------------------
mv "$W/agents/fra-1.conf" "$W/fra-1.removed"
kill -HUP "$COORD"
check "reload logged" wait_for 5 grep -q "configuration reloaded: 3 agents allowed" "$W/coord.log"
sleep 0.5
n=$(stored fra-1)
sleep 3
check "fra-1 cut off: nothing stored from it" test "$(stored fra-1)" = "$n"
printf '[agent broken\n' >"$W/agents/zz.conf"
kill -HUP "$COORD"
check "a bad allow-list is refused, the running one kept" wait_for 5 grep -q "reload refused" "$W/coord.log"
rm -f "$W/agents/zz.conf"
mv "$W/fra-1.removed" "$W/agents/fra-1.conf"
kill -HUP "$COORD"
check "fra-1 allowed again: its spooled batches arrive" wait_for 40 grew fra-1 "$n"

# --- accounting: every batch spooled is stored, once -----------------------------------------
for a in $AGENTS; do kill "$(agent_pid "$a")" 2>/dev/null; done
sleep 1
for a in $AGENTS; do start_agent "$a"; done
drained() {
	for a in $AGENTS; do
		[ -z "$(ls "$W/state-$a/spool" 2>/dev/null)" ] || return 1
	done
}
check "every spool drains" wait_for 40 drained
for a in $AGENTS; do kill "$(agent_pid "$a")" 2>/dev/null; done
sleep 1
for a in $AGENTS; do
	sed -n 's/.*batch \([0-9]*\) spooled.*/\1/p' "$W/$a.log" | sort -n | uniq >"$W/$a.produced"
	sql "select seq from batches where agent='$a' order by seq" >"$W/$a.stored"
	produced=$(wc -l <"$W/$a.produced")
	lost=$(comm -23 "$W/$a.produced" "$W/$a.stored" | wc -l)
	extra=$(comm -13 "$W/$a.produced" "$W/$a.stored" | wc -l)
	if [ "$a" = nyc-1 ]; then
		# batches that died with the deleted state folder cannot arrive
		lost=$((lost - spooled_lost))
	fi
	check "$a: $produced batches produced, lost $lost, stored without being produced $extra" \
		test "$lost" -le 0 -a "$extra" = 0 -a "$produced" -gt 5
done
check "no batch stored twice" test "$(sql "select count(*) from (select agent, seq from batches group by agent, seq having count(*) > 1)")" = 0

kill "$COORD"
wait "$COORD" 2>/dev/null
echo "link tests: $pass passed, $fails failed"
[ "$fails" = 0 ] || echo "logs kept in $W"
[ "$fails" = 0 ]

#!/bin/sh
# tests/track/scenarios.sh - the comparison on real propagations, in a lab of
# its own network namespace: three regions (agents with their own unbound;
# region3 reaches the zones through ns2, the others through ns1), monitors
# asking every second, and `vantagectl status` / `diff` judging:
#   (b) a lagging authoritative server: ns2 keeps the old prop.test for a
#       while; the cause names ns2 and its serial until it catches up;
#   (c) two authoritative servers serving different data under the same
#       serial (split.test): inconsistent, not propagating;
#   (d) a newly created name that every region had asked for before
#       (new.prop.test): a negative cache with its remaining time.
# (Scenario (a), resolver caches followed by track, is tests/track/run.sh.)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
. "$ROOT/tests/lib/harness.sh"
lab_netns_enter "$0" "$@" || exit 1
BIN=${VANTAGE_BIN:-$ROOT/bin}

vt_lab scen <<'CONF'
nsd ns1 addr=127.0.10.1,fd00:127:10::1 nsid=ns1-lab zones=lab.test,good.test,prop.test,split.test:split.test.a.zone
nsd ns2 addr=127.0.10.2,fd00:127:10::2 nsid=ns2-lab zones=lab.test,good.test,prop.test,split.test:split.test.b.zone
unbound r1 addr=127.0.20.1 auth=ns1
unbound r2 addr=127.0.20.2 auth=ns1
unbound r3 addr=127.0.20.3 auth=ns2
CONF

vt_keys "$W" region1:reg1 region2:reg2 region3:reg3
for i in 1 2 3; do
	vt_agent_conf "$W" region$i tcp://127.0.40.1:7400 \
		"[resolvers]" "local = 127.0.20.$i" "timeout = 500ms" "rate = 50"
done
vt_coord_conf "$W" tcp://127.0.40.1:7400 \
	"[monitor prop]" "name = prop.test" "types = MX" "resolvers = local auth" "interval = 1s" \
	"[monitor newname]" "name = new.prop.test" "types = A" "resolvers = local auth" "interval = 1s" \
	"[monitor split]" "name = split.test" "types = MX" "resolvers = local auth" "interval = 1s"
vt_coord_start "$W"
for i in 1 2 3; do vt_agent_start "$W" region$i; done

state_of() { # state_of NAME TYPE -> the state word
	$CTL diff "$1" "$2" --json 2>/dev/null | jq -r .state
}
is_state() { [ "$(state_of "$1" "$2")" = "$3" ]; }
cause() { # cause NAME TYPE JQ-FILTER: some cause matches
	$CTL diff "$1" "$2" --json 2>/dev/null | jq -e "[.causes[] | select($3)] | length > 0" >/dev/null
}

check "prop.test MX consistent at first" wait_for 15 is_state prop.test MX consistent
check "new.prop.test A consistent (NXDOMAIN everywhere) at first" \
	wait_for 10 is_state new.prop.test A consistent

# --- (c) same serial, different data --------------------------------------------------
check "(c) split.test: inconsistent" wait_for 10 is_state split.test MX inconsistent
check "(c) the cause: authoritative servers disagree at serial 2024010105" \
	cause split.test MX '.kind == "auth_disagree"'
$CTL status split.test >"$W/status-split.txt"
rc=$?
check "(c) status exits 2 (critical) for inconsistent" test "$rc" = 2

# --- (b) a lagging authoritative server ---------------------------------------------------
lab_zone_update "$lab" prop.test prop.test.v2.zone ns1 >/dev/null
check "(b) prop.test: propagating once ns1 has the new zone" wait_for 10 is_state prop.test MX propagating
check "(b) the cause names ns2 and its serial 2024010101" \
	wait_for 5 cause prop.test MX '.kind == "lagging_auth" and .server == "ns2.lab.test." and .serial == 2024010101'
check "(b) region3 (behind ns2) is explained by the lagging server" \
	wait_for 10 cause prop.test MX '.agent == "region3" and .resolver == "local" and .kind == "behind_lagging_auth"'
$CTL status prop.test >"$W/status-prop.txt"
rc=$?
check "(b) status exits 1 (warning) while propagating" test "$rc" = 1
check "(b) status says why in words" grep -q "lagging authoritative server ns2.lab.test." "$W/status-prop.txt"
lab_zone_update "$lab" prop.test prop.test.v2.zone ns2 >/dev/null
check "(b) consistent once ns2 catches up and caches expire" wait_for 20 is_state prop.test MX consistent

# --- (d) a newly created name, cached as missing ---------------------------------------------
lab_zone_update "$lab" prop.test prop.test.v3.zone >/dev/null
check "(d) new.prop.test: propagating, negative caches" \
	wait_for 5 cause new.prop.test A '.kind == "negative_cache" and .remaining_ms > 0'
$CTL diff new.prop.test A >"$W/diff-new.txt"
check "(d) diff shows NXDOMAIN and the new address side by side" \
	sh -c "grep -q NXDOMAIN '$W/diff-new.txt' && grep -q 192.0.2.77 '$W/diff-new.txt'"
check "(d) consistent once the negative caches (10 s) run out" wait_for 20 is_state new.prop.test A consistent

# --- the other commands, both output forms ---------------------------------------------------
check "monitors lists the three monitors with their state" \
	sh -c "$CTL monitors --json | jq -e '(.monitors | length) == 3 and ([.monitors[] | select(.name == \"split\")][0].state == \"inconsistent\")' >/dev/null"
check "monitors prints a table" sh -c "$CTL monitors | grep -q '^split .*inconsistent'"
check "status --json has every monitored question" \
	sh -c "$CTL status --json | jq -e '(.items | length) == 3 and .exit == 2' >/dev/null"
check "status of an unknown name: exit 3 with a message" \
	sh -c "$CTL status nosuch.example 2>&1 >/dev/null | grep -q 'not monitored'; test \$? = 0"

$CTL history prop.test MX --since 5m --json >"$W/history.json"
check "history: region3's answer changed from mx1 to mx2" \
	jq -e '[.changes[] | select(.agent == "region3" and .resolver == "local") | .answer[0]] as $a | ($a | any(test("mx1"))) and ($a | any(test("mx2")))' "$W/history.json"
check "history prints a table" sh -c "$CTL history prop.test MX --since 1h | grep -q 'region3 .*local .*ok .*mx2.good.test'"
check "history with a bad --since: exit 3" sh -c "$CTL history prop.test MX --since yesterday 2>/dev/null; test \$? = 3"

cat "$W/status-prop.txt" "$W/diff-new.txt"
echo "scenario tests: $pass passed, $fails failed"
[ "$fails" = 0 ]

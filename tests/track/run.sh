#!/bin/sh
# tests/track/run.sh - a real propagation followed to the end: three regions,
# each an agent with its own unbound cache, primed at different moments; the
# MX of prop.test changes on both authoritative servers; `vantagectl track
# --expect` must report the change propagating with resolver caches and
# their ETAs, then converged, each region within 1.5 s of the moment its
# cache's TTL ran out, with few queries.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
. "$ROOT/tests/lib/harness.sh"
lab_netns_enter "$0" "$@" || exit 1
BIN=${VANTAGE_BIN:-$ROOT/bin}

vt_lab track <<'CONF'
nsd ns1 addr=127.0.10.1,fd00:127:10::1 nsid=ns1-lab zones=lab.test,good.test,prop.test
nsd ns2 addr=127.0.10.2,fd00:127:10::2 nsid=ns2-lab zones=lab.test,good.test,prop.test
unbound r1 addr=127.0.20.1 auth=ns1
unbound r2 addr=127.0.20.2 auth=ns1
unbound r3 addr=127.0.20.3 auth=ns2
CONF

vt_keys "$W" region1:reg1 region2:reg2 region3:reg3
for i in 1 2 3; do
	vt_agent_conf "$W" region$i tcp://127.0.40.1:7400 "log_level = debug" \
		"[resolvers]" "local = 127.0.20.$i" "timeout = 500ms"
done
vt_coord_conf "$W" tcp://127.0.40.1:7400 "log_level = debug"
vt_coord_start "$W"
for i in 1 2 3; do vt_agent_start "$W" region$i; done
check "three regions up" wait_for 10 vt_agents_up 3

# Prime the three caches a second apart: each holds the old MX (TTL 4 s)
# and will let it go at its own moment.
now_ms() { date +%s%3N; }
for i in 1 2 3; do
	dig +short +tries=1 +time=1 @127.0.20.$i prop.test MX >/dev/null
	eval "primed_$i=$(now_ms)"
	sleep 1
done
# the change, on both authoritative servers
lab_zone_update "$lab" prop.test prop.test.v2.zone >/dev/null
changed=$(now_ms)

$CTL track prop.test MX --expect "10 mx2.good.test" --interval 10 --deadline 60s --json >"$W/track.json"
id=$(jq -r .id "$W/track.json")
check "track started" test -n "$id" -a "$id" != null
sleep 0.7
$CTL watch "$id" --json >"$W/watch.jsonl" &
watcher=$!
pids="$pids $watcher"
# while it propagates: some region still on the old answer, with an ETA
sleep 0.5
seen_stale=$(jq -s '[.[] | .vantage_points[] | select(.converged == false and .eta != null)] | length' "$W/watch.jsonl")
check "propagating: a stale region with a resolver-cache ETA seen" test "$seen_stale" -gt 0
wait "$watcher"
rc=$?
check "watch ended converged (exit 0)" test "$rc" = 0
last=$(tail -n 1 "$W/watch.jsonl")
check "the track converged" sh -c "echo '$last' | jq -e '.state == \"converged\"' >/dev/null"
echo "$last" | jq -c '.vantage_points[] | [.agent, .resolver, .took_ms, .answers]' >"$W/points"
for i in 1 2 3; do
	eval "p=\$primed_$i"
	expiry=$((p + 4000))
	started=$(echo "$last" | jq '.started_ms')
	took=$(echo "$last" | jq ".vantage_points[] | select(.agent == \"region$i\" and .resolver == \"local\") | .took_ms")
	turned=$((started + took))
	late=$((turned - expiry))
	check "region$i turned $late ms after its cache expired (within 1.5 s)" test "$late" -le 1500 -a "$late" -ge -1000
	answers=$(echo "$last" | jq ".vantage_points[] | select(.agent == \"region$i\" and .resolver == \"local\") | .answers")
	check "region$i: few queries ($answers answers)" test "$answers" -le 5
done
check "authoritative servers converged at once" \
	sh -c "echo '$last' | jq -e '[.vantage_points[] | select(.kind == \"auth\") | .took_ms] | max < 1500' >/dev/null"
$CTL tracks | grep -q "prop.test.*converged"
check "tracks lists it as converged" test $? = 0
$CTL watch "$id" >"$W/watch.txt"
check "watch of an ended track prints who took how long" grep -q "the whole world took" "$W/watch.txt"
check "each region's local resolver: why (the TTL it had left)" \
	sh -c "echo '$last' | jq -e '[.vantage_points[] | select(.resolver == \"local\") | .why | test(\"^resolver cache held the old answer \\\\([0-9]+ s of TTL left\")] | all and length == 3' >/dev/null"
check "watch prints each region's time" \
	test "$(sed -n '/^by region/,$p' "$W/watch.txt" | grep -c '^reg[123] .*local .*resolver cache held')" = 3
# --from-auth: the authoritative servers already serve mx2, so every cache holds it now
$CTL track prop.test MX --from-auth --interval 5 --deadline 30s --json >"$W/track2.json"
check "--from-auth expects what the newest-serial servers serve" \
	jq -e '.expect == "prop.test. MX 10 mx2.good.test."' "$W/track2.json"
$CTL watch "$(jq -r .id "$W/track2.json")" >/dev/null
check "--from-auth track converges" test $? = 0
# --expect-serial on the SOA
$CTL track prop.test SOA --expect-serial 2024010102 --interval 5 --deadline 30s --json >"$W/track3.json"
$CTL watch "$(jq -r .id "$W/track3.json")" --json >"$W/watch3.jsonl"
check "--expect-serial 2024010102 converges on the SOA" \
	sh -c "tail -n 1 '$W/watch3.jsonl' | jq -e '.state == \"converged\"' >/dev/null"
$CTL track prop.test SOA --expect-serial 2024010109 --interval 2 --deadline 3s --json >"$W/track4.json"
$CTL watch "$(jq -r .id "$W/track4.json")" >"$W/watch4.txt"
rc=$?
check "a serial that never comes: the track times out (exit 1) and says who is stale" \
	sh -c "test $rc = 1 && grep -q 'timed out' '$W/watch4.txt' && grep -q stale '$W/watch4.txt'"
check "track with bad arguments: exit 3" sh -c "$CTL track prop.test MX 2>/dev/null; test \$? = 3"
$CTL track prop.test MX --expect "10 mx2.good.test" --deadline 20s >"$W/track5.txt"
check "track prints the id and how to watch it" grep -q "follow it with: vantagectl watch" "$W/track5.txt"
check "tracks --json lists every track" \
	sh -c "$CTL tracks --json | jq -e '(.tracks | length) == 5 and (.tracks[-1].state == \"converged\")' >/dev/null"

cat "$W/watch.txt"
echo "track tests: $pass passed, $fails failed (change at $changed)"
[ "$fails" = 0 ]

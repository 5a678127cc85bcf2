#!/bin/sh
# tests/demo/test.sh - `make demo`, run non-interactively: it must end by
# itself, show the regions' routes (no default), the findings of the broken
# domains, a converged track with each region's time and why, and leave
# nothing behind (processes, namespaces, veth links, files in /tmp). Then
# `--stay`: it stays up, answers vantagectl from outside, and Ctrl-C (SIGINT
# to its process group) stops it just as cleanly.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/harness.sh"
BIN=${VANTAGE_BIN:-$ROOT/bin}
export VANTAGE_BIN="$BIN"
out=$(mktemp /tmp/vantage-demo-test.XXXXXX)
folders() { ls -d /tmp/vdemo.* 2>/dev/null | wc -l; }
netns_count() { ip netns list 2>/dev/null | wc -l; }
veths() { ip -o link show 2>/dev/null | grep -c ': vl[0-9]*[ab]@'; }
before_dirs=$(folders) before_ns=$(netns_count) before_veth=$(veths)

# nothing_left WHAT: no demo process, folder, namespace or link is left
nothing_left() {
	check "$1: nothing of the demo is left running" \
		sh -c "! pgrep -f '/tmp/vdemo[.]|demo/demo[.]sh' >/dev/null"
	check "$1: no demo folder is left in /tmp" test "$(folders)" -le "$before_dirs"
	check "$1: no network namespace is left" test "$(netns_count)" -le "$before_ns"
	check "$1: no veth link is left" test "$(veths)" -le "$before_veth"
}

timeout 300 "$ROOT/tests/demo/demo.sh" >"$out" 2>&1
rc=$?
check "the demo ends by itself, exit 0" test "$rc" = 0
check "each region has a route to the lab host" \
	test "$(grep -c '^[a-z]*: 198.18.0.0/24 via 198.18.[123].1' "$out")" = 3
check "no region has a default route" sh -c "! grep -q 'default' '$out'"
check "the agents are shown, each in its region" \
	sh -c "grep -q '^eu-1 .*europe .*up' '$out' && grep -q '^us-1 .*america .*up' '$out' &&
		grep -q '^ap-1 .*asia .*up' '$out'"
check "the broken domain's finding is shown from every region" \
	test "$(grep -c '^warning *MX_TARGET_CNAME' "$out")" = 3
check "the one-shot check on a region's host shows its finding" grep -q "PTR_MISMATCH" "$out"
check "status shows the monitored names" grep -q "good.test. MX *consistent" "$out"
check "status names the lagging server" grep -q "lagging authoritative server ns2.lab.test. (198.18.0.2:53)" "$out"
check "the MX change converged" grep -q "converged: the whole world took" "$out"
check "each region's time and why are shown" \
	test "$(sed -n '/^by region/,/^(watch/p' "$out" | grep -c 'resolver cache held the old answer')" = 3
nothing_left "after the demo"
[ "$fails" = 0 ] && rm -f "$out" || echo "demo output kept in $out"

# --stay, then Ctrl-C: SIGINT to the whole process group, as a terminal
# sends it (perl puts SIGINT back to default: a background job ignores it).
out2=$(mktemp /tmp/vantage-demo-test.XXXXXX)
setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
	"$ROOT/tests/demo/demo.sh" --stay >"$out2" 2>&1 &
pid=$!
wait_for 120 grep -q "staying up" "$out2"
check "--stay stays up after the demo" kill -0 "$pid"
sock=$(sed -n 's/.*control socket is \(ipc:[^ )]*\).*/\1/p; s/.*-s \(ipc:[^ ]*\) status.*/\1/p' "$out2" | tail -n 1)
check "--stay: vantagectl reaches the coordinator from outside" \
	sh -c "'$BIN/vantagectl' -s '$sock' status | grep -q 'good.test. MX'"
sleep 1
check "--stay: still up a second later" kill -0 "$pid"
kill -INT "-$pid" # (dash's kill takes no "--")
if wait_for 30 sh -c "! kill -0 $pid 2>/dev/null"; then
	wait "$pid"
	rc=$?
else
	kill -KILL "-$pid"
	rc=timeout
fi
check "Ctrl-C stops it (exit 130)" test "$rc" = 130
check "Ctrl-C: it says it is stopping" grep -q "interrupted: stopping everything" "$out2"
nothing_left "after Ctrl-C"
[ "$fails" = 0 ] && rm -f "$out2" || echo "--stay output kept in $out2"
echo "demo tests: $pass passed, $fails failed"
[ "$fails" = 0 ]

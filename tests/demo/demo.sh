#!/bin/sh
# tests/demo/demo.sh - `make demo`: vantage on one machine, against a lab of
# real DNS servers in a private network namespace (nothing leaves it):
# NSD serving a healthy mail domain and broken ones, three caching
# resolvers standing for three regions, a coordinator and an agent per
# region. It shows the agents, a check of broken domains, the status of
# the monitored names, then changes an MX and follows the change until
# every region sees it. Everything it started is stopped at the end.
#   tests/demo/demo.sh [--stay]   (--stay: keep running until Ctrl-C)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
lab_netns_enter "$0" "$@" || exit 1
. "$ROOT/tests/lib/harness.sh"
BIN=${VANTAGE_BIN:-$ROOT/bin}
STAY=${1:-}

top=$(mktemp -d /tmp/vdemo.XXXXXX)
lab="$top/lab"
W="$top/w"
mkdir -p "$lab" "$W"
vt_private_bins "$W"
lab_init "$lab" >/dev/null
sed -e 's/^unbound r2 .*/unbound r2 addr=127.0.20.2 auth=ns1/' "$ROOT/tests/agent/lab.conf" |
	sed -e 's/zones=lab.test,/zones=lab.test,moved.test,/' >"$lab/lab.conf"
echo "unbound r3 addr=127.0.20.3 auth=ns2" >>"$lab/lab.conf"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	lab_stop "$lab" >/dev/null 2>&1
	rm -rf "$top"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null || printf '\n== %s\n' "$*"; }
run() {
	printf '\n$ %s\n' "$*"
	"$@"
}

say "starting the lab: NSD ns1 ns2 ns3 (authoritative), unbound r1 r2 r3 (three regions)"
lab_start "$lab" >/dev/null || exit 1
ip addr add 127.0.40.1/32 dev lo 2>/dev/null

say "keys, a coordinator and an agent per region"
vt_keys "$W" eu-1:europe us-1:america ap-1:asia >/dev/null
cat >"$W/coord.conf" <<C
[coordinator]
listen = tcp://127.0.40.1:7400
key = $W/coord.key
allowlist = $W/agents
control = ipc://$W/control.sock
store = $W/vantage.db
heartbeat = 1s
[monitor good-mail]
name = good.test
profile = mail
resolvers = local auth
interval = 5s
[monitor serial]
name = serial.test
types = MX
resolvers = local auth
interval = 5s
C
i=0
for a in eu-1 us-1 ap-1; do
	i=$((i + 1))
	cat >"$W/$a.conf" <<C
[agent]
id = $a
region = $(sed -n 's/^region = //p' "$W/agents/$a.conf")
key = $W/$a.key
state_dir = $W/state-$a
[coordinator]
endpoint = tcp://127.0.40.1:7400
pubkey = $(cat "$W/coord.key.pub")
[resolvers]
local = 127.0.20.$i
timeout = 500ms
C
done
"$BIN/vantage-coord" -c "$W/coord.conf" 2>"$W/coord.log" &
pids="$pids $!"
wait_for 5 test -S "$W/control.sock"
for a in eu-1 us-1 ap-1; do
	"$BIN/vantage-agent" -c "$W/$a.conf" 2>"$W/$a.log" &
	pids="$pids $!"
done
CTL="$BIN/vantagectl -s ipc://$W/control.sock"
up() { [ "$($CTL agents --json | jq '[.agents[] | select(.state == "up")] | length')" = 3 ]; }
wait_for 15 up
sleep 2
run $CTL agents

say "a bounce report: check a broken mail domain from every region at once"
run $CTL check mxcname.test --profile mail
echo "(exit status $?: 0 OK, 1 warning, 2 critical, 3 unknown)"

say "the one-shot check works without a coordinator too"
printf 'nameserver 127.0.20.1\n' >"$W/resolv.conf"
run "$BIN/vantage-agent" check badptr.test --profile mail --resolv-conf "$W/resolv.conf"

say "every monitored name, compared across regions"
wait_for 10 sh -c "$CTL status --json | jq -e '[.items[] | select(.state != \"unknown\")] | length == 2' >/dev/null"
run $CTL monitors
run $CTL status

say "an MX change: moved.test moves from mx1 to mx2 (MX TTL 12 s); the regions' caches took the old MX 3 s apart"
for r in 1 2 3; do
	dig +short @127.0.20.$r moved.test MX >/dev/null
	[ $r = 3 ] || sleep 3
done
lab_zone_update "$lab" moved.test moved.test.v2.zone >/dev/null
printf '\n$ %s\n' "$CTL track moved.test MX --expect \"10 mx2.good.test\" --interval 30 --deadline 60s"
$CTL track moved.test MX --expect "10 mx2.good.test" --interval 30 --deadline 60s | tee "$W/track.txt"
id=$(sed -n 's/^track \([0-9]*\):.*/\1/p' "$W/track.txt")
printf '\n$ %s\n' "$CTL watch $id"
$CTL watch "$id"
rc=$?
echo "(watch exit status $rc: 0 converged)"

say "what changed, region by region"
run $CTL history moved.test MX --since 5m

if [ "$STAY" = "--stay" ]; then
	say "staying up: try $CTL status (control socket ipc://$W/control.sock); Ctrl-C to stop"
	while :; do sleep 60; done
fi
say "stopping everything"
cleanup
trap - EXIT INT TERM
echo "demo done: no process, namespace or file of it is left"
exit "$rc"

#!/bin/sh
# tests/demo/demo.sh - `make demo`: vantage on one machine, against a lab of
# real DNS servers, nothing of which leaves the machine. The lab host (a
# network namespace of the demo's own, with no route out) runs NSD with a
# healthy mail domain and broken ones, and the coordinator; three regions,
# each a network namespace of its own with its own unbound cache and its own
# /etc/resolv.conf, run an agent each and reach the lab host over veth links
# (198.18.0.0/15, no default route anywhere). The demo shows the agents, a
# check of a broken domain, the status of the monitored names, then changes
# an MX and follows the change until every region sees it. Everything it
# started is stopped at the end; the namespaces and links go with it.
#   tests/demo/demo.sh [--stay]   (--stay: keep running until Ctrl-C)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
case ${1:-} in
"" | --stay) ;;
*)
	echo "usage: $0 [--stay]" >&2
	exit 3
	;;
esac
lab_netns_enter "$0" "$@" || exit 1
. "$ROOT/tests/lib/harness.sh"
BIN=${VANTAGE_BIN:-$ROOT/bin}
STAY=${1:-}
COORD=198.18.0.10

top=$(mktemp -d /tmp/vdemo.XXXXXX)
lab="$top/lab"
W="$top/w"
mkdir -p "$lab" "$W"
vt_private_bins "$W"
lab_init "$lab" >/dev/null
cp "$ROOT/tests/demo/lab.conf" "$lab/lab.conf"
cp "$ROOT/tests/demo/lab.test.zone" "$lab/zones/lab.test.zone"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	pids=""
	lab_stop "$lab" >/dev/null 2>&1
	rm -rf "$top"
}
trap cleanup EXIT
trap 'echo; echo "interrupted: stopping everything"; cleanup; trap - EXIT; exit 130' INT TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null || printf '\n== %s\n' "$*"; }
# run CMD...: show the command as an operator would type it, then run it.
run() {
	printf '\n$ %s\n' "$(shown "$*")"
	"$@"
}
shown() {
	printf '%s' "$1" | sed -e "s|$BIN/||g" -e 's| -s ipc://[^ ]*||g'
}

# in_region NS CMD...: run CMD on a region's host (lab_host): inside its
# network namespace, with that region's resolver as /etc/resolv.conf.
in_region() {
	ns=$1
	shift
	lab_host "$lab" "$ns" "$W/resolv-$ns.conf" "$@"
}

say "the lab: NSD ns1 ns2 on 198.18.0.1-2; regions europe, america, asia: a namespace each, with its own unbound cache, over veth links"
lab_start "$lab" >/dev/null || exit 1
ip addr add "$COORD/32" dev lo || exit 1
for ns in eu us ap; do
	printf 'nameserver %s\n' "$(lab_addr "$lab" "r-$ns")" >"$W/resolv-$ns.conf"
done
printf '\n$ ip -n <region> route   (a region has a route to the lab host and nothing else)\n'
for ns in eu us ap; do
	printf '%s: %s\n' "$ns" "$(ip -n "$(_lab_netns_real "$lab" "$ns")" -o route | sed -e 's/  */ /g' -e 's/ *$//' | paste -sd';' - | sed 's/;/; /g')"
done

say "keys, a coordinator on the lab host, an agent in each region"
vt_keys "$W" eu-1:europe us-1:america ap-1:asia >/dev/null
vt_coord_conf "$W" "tcp://$COORD:7400" "$(
	cat <<C
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
)"
for a in eu-1 us-1 ap-1; do
	vt_agent_conf "$W" "$a" "tcp://$COORD:7400" "[resolvers]" \
		"# local = system: this host's /etc/resolv.conf, i.e. the region's unbound" \
		"timeout = 500ms"
done
vt_coord_start "$W"
for a in eu-1:eu us-1:us ap-1:ap; do
	vt_agent_start "$W" "${a%:*}" in_region "${a#*:}"
done
echo "(vantagectl below talks to the coordinator over ipc://$W/control.sock)"
wait_for 15 vt_agents_up 3 || {
	echo "the agents did not come up; their logs:" >&2
	tail -n 5 "$W"/*-1.log >&2
	exit 1
}
sleep 2
run $CTL agents

say "a bounce report: check a broken mail domain from every region at once"
run $CTL check mxcname.test --profile mail
echo "(exit status $?: 0 OK, 1 warning, 2 critical, 3 unknown)"

say "the one-shot check works without a coordinator too (here on the europe host)"
printf '\n$ %s\n' "vantage-agent check badptr.test --profile mail"
in_region eu "$BIN/vantage-agent" check badptr.test --profile mail

say "every monitored name, compared across regions"
wait_for 10 sh -c "$CTL status --json | jq -e '[.items[] | select(.state != \"unknown\")] | length == 2' >/dev/null"
run $CTL monitors
run $CTL status

say "an MX change: moved.test moves from mx1 to mx2 (MX TTL 12 s); the regions' caches took the old MX 3 s apart"
for ns in eu us ap; do
	in_region "$ns" dig +short moved.test MX >/dev/null
	[ $ns = ap ] || sleep 3
done
lab_zone_update "$lab" moved.test moved.test.v2.zone >/dev/null
printf '\n$ %s\n' "$(shown "$CTL track moved.test MX --expect \"10 mx2.good.test\" --interval 30 --deadline 60s")"
$CTL track moved.test MX --expect "10 mx2.good.test" --interval 30 --deadline 60s | tee "$W/track.txt"
id=$(sed -n 's/^track \([0-9]*\):.*/\1/p' "$W/track.txt")
printf '\n$ %s\n' "$(shown "$CTL watch $id")"
$CTL watch "$id"
rc=$?
echo "(watch exit status $rc: 0 converged)"

say "what changed, region by region"
run $CTL history moved.test MX --since 5m

if [ "$STAY" = "--stay" ]; then
	say "staying up: try  vantagectl -s ipc://$W/control.sock status  (in $BIN); Ctrl-C stops everything"
	while :; do sleep 1; done
fi
say "stopping everything"
cleanup
trap - EXIT INT TERM
echo "demo done: no process, namespace or file of it is left"
exit "$rc"

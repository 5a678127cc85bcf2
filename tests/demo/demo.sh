#!/bin/sh
# tests/demo/demo.sh - `make demo`: the agent's mail-health check against a
# lab of real DNS servers, run on this machine.
#
# A private network namespace holds real NSD servers (authoritative) with a
# healthy mail domain and broken ones, and two unbound resolvers standing
# for two regions. vantage-agent checks each domain and prints the answers
# and findings. Nothing leaves the namespace; everything stops at the end.
# (The coordinator, several regions in their own namespaces and change
# tracking join the demo as they are built.)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
lab_netns_enter "$0" "$@" || exit 1
AGENT=${VANTAGE_BIN:-$ROOT/bin}/vantage-agent

lab=$(mktemp -d /tmp/vdemo.XXXXXX)
lab_init "$lab" >/dev/null
cp "$ROOT/tests/agent/lab.conf" "$lab/lab.conf"
printf 'nameserver 127.0.20.1\n' >"$lab/resolv.conf"
lab_cleanup_on_exit "$lab"
echo "== starting the lab: NSD ns1, ns2, ns3 (authoritative), unbound r1, r2 (regions)"
lab_start "$lab" >/dev/null || exit 1

show() {
	echo
	echo "\$ vantage-agent check $*"
	"$AGENT" check "$@" --resolv-conf "$lab/resolv.conf"
	echo "(exit status $?: 0 OK, 1 warning, 2 critical, 3 could not run)"
}

echo
echo "== a healthy mail domain, at the local resolver and at every authoritative server"
show good.test --profile mail --resolver local --resolver auth
echo
echo "== the classic mistakes"
show mxcname.test --profile mail
show mxnoaddr.test --profile mail
show badptr.test --profile mail
show nospf.test --profile mail
echo
echo "== two regions that disagree, and authoritative servers at different serials"
show serial.test --type MX --resolver 127.0.20.1 --resolver 127.0.20.2 --resolver auth
echo
echo "== the same check as JSON (first lines)"
"$AGENT" check mxcname.test --profile mail --resolv-conf "$lab/resolv.conf" --json | head -n 25
echo "..."
lab_stop "$lab" >/dev/null
echo
echo "== lab stopped; nothing left running"

#!/bin/sh
# tests/bench/run-engine.sh - the agent's query engine next to dnsperf.
#
# Starts one lab NSD in a network namespace of its own, then sends the same
# query file to it with dnsperf (-T 1 -c 1 -q 200, the reference) and with
# the engine (200 in flight, every answer parsed into an observation), and
# prints both rates and their ratio. A benchmark, not a test: it fails
# only when a tool fails.
#
#   tests/bench/run-engine.sh [SECONDS]      (default 10)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB_HOME=$ROOT/tests/lab
. "$LAB_HOME/lab.sh"
lab_netns_enter "$0" "$@" || exit 1
SECS=${1:-10}
BENCH=${VANTAGE_BENCH_BIN:-$ROOT/build/tests/bench_engine}

lab=$(mktemp -d /tmp/vbench.XXXXXX)
lab_init "$lab"
cat >"$lab/lab.conf" <<'CONF'
nsd ns1 addr=127.0.10.1 zones=lab.test,good.test,2.0.192.in-addr.arpa,8.b.d.0.1.0.0.2.ip6.arpa
CONF
lab_cleanup_on_exit "$lab"
lab_start "$lab" >/dev/null

# The query file: answers of every kind the agent meets (positive, NODATA,
# NXDOMAIN, several RRs, TXT, reverse), the same for both tools.
q="$lab/queries.txt"
cat >"$q" <<'Q'
good.test MX
good.test TXT
good.test SOA
good.test NS
mx1.good.test A
mx1.good.test AAAA
mx2.good.test A
_dmarc.good.test TXT
www.good.test A
www.good.test AAAA
nosuch.good.test A
1.2.0.192.in-addr.arpa PTR
Q

echo "== dnsperf -T 1 -c 1 -q 200 -l $SECS (reference)"
dnsperf -s 127.0.10.1 -d "$q" -T 1 -c 1 -q 200 -l "$SECS" >"$lab/dnsperf.out" 2>&1 || {
	cat "$lab/dnsperf.out"
	exit 1
}
grep -E 'Queries (sent|completed|lost)|Queries per second' "$lab/dnsperf.out" | sed 's/^ */  /'
ref=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$lab/dnsperf.out")

echo "== engine (c-ares + ldns, 200 in flight, $SECS s)"
"$BENCH" 127.0.10.1 "$q" "$SECS" 200 >"$lab/engine.out" 2>&1 || {
	cat "$lab/engine.out"
	exit 1
}
sed 's/^/  /' "$lab/engine.out" | grep -v ENGINE_QPS
eng=$(sed -n 's/^ENGINE_QPS=//p' "$lab/engine.out")

echo "== ratio engine / dnsperf: $(awk -v e="$eng" -v r="$ref" 'BEGIN { printf "%.2fx", e / r }')"

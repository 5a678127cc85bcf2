#!/bin/sh
# shellcheck shell=dash disable=SC2015 source-path=SCRIPTDIR
# Self-test of the DNS lab (tests/lab/lab.sh): starts a lab in a network
# namespace of its own, checks every server with dig, stops it and checks
# that nothing is left running and nothing was written outside the lab
# folder. Exit status 0 when every check passed.
#
#   tests/lab/selftest.sh [LABDIR]     (root; LAB_KEEP=1 keeps the folder)
#
# Re-executes itself under `unshare --net --pid` when not in a lab
# namespace already. Takes about 4 s.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck disable=SC2034 # used by lab.sh
LAB_HOME=$here
# shellcheck source=lab.sh
. "$here/lab.sh"
# shellcheck source=../lib/harness.sh
. "$here/../lib/harness.sh" # for vt_running; the ok below replaces its ok
lab_netns_enter "$here/selftest.sh" "$@" || exit 1

t_start=$(_lab_now_ms)
failures=0
ok() { printf 'ok   %5d ms  %s\n' $(($(_lab_now_ms) - t_start)) "$*"; }
fail() {
	printf 'FAIL %5d ms  %s\n' $(($(_lab_now_ms) - t_start)) "$*" >&2
	failures=$((failures + 1))
}
fatal() {
	echo "FAIL $*" >&2
	echo "selftest: aborted; lab folder kept: $lab" >&2
	exit 1
}
ms() { _lab_now_ms; }

# --- the lab folder ----------------------------------------------------------
own_dir=0
if [ $# -ge 1 ]; then
	lab=$1
	mkdir -p "$lab" || exit 1
else
	lab=$(mktemp -d /tmp/vantage-lab.XXXXXX) || exit 1
	own_dir=1
fi
lab=$(_lab_absdir "$lab")
marker=$lab/.start-marker
: >"$marker"
# find -newer compares with the marker's mtime: let the clock move past it.
sleep 0.01

lab_init "$lab" "$here" || fatal "lab_init"
# The default lab, plus: ns2 lags (serves the previous good.test), region r2
# asks ns2 for good.test, and region r3 lives in a namespace of its own
# ("far"), joined to the lab's by a veth link, reaching ns1 on 198.18.0.1.
cat >"$lab/lab.conf" <<'EOF'
netns far
veth l0 a=- a_addr=198.18.0.1/30 b=far b_addr=198.18.0.2/30

nsd ns1 addr=127.0.10.1,fd00:127:10::1,198.18.0.1 zones=lab.test,good.test,2.0.192.in-addr.arpa,8.b.d.0.1.0.0.2.ip6.arpa
nsd ns2 addr=127.0.10.2,fd00:127:10::2 zones=lab.test,good.test:good.test.old.zone,2.0.192.in-addr.arpa,8.b.d.0.1.0.0.2.ip6.arpa nsid=ns2.lagging

unbound r1 addr=127.0.20.1,fd00:127:20::1 auth=ns1
unbound r2 addr=127.0.20.2,fd00:127:20::2 auth=ns1 stub.good.test=ns2
unbound r3 addr=198.18.0.2 netns=far auth=ns1

drop d1 addr=127.0.30.1
unbound rf addr=127.0.31.1 access=refuse
EOF

lab_cleanup_on_exit "$lab"
t0=$(ms)
lab_start "$lab" || fatal "lab_start"
echo "lab started in $(($(ms) - t0)) ms ($lab)"

# --- helpers -------------------------------------------------------------------
# q DIG-ARGS: dig with a short timeout, full output.
q() { dig +time=2 +tries=1 "$@" 2>&1; }
# has TEXT PATTERN: a line of TEXT matches the grep PATTERN.
has() { printf '%s\n' "$1" | grep -q -e "$2"; }

expect() { # NAME OUTPUT PATTERN...: every pattern is in OUTPUT
	local name out p
	name=$1 out=$2
	shift 2
	for p in "$@"; do
		if ! has "$out" "$p"; then
			fail "$name: no '$p' in:"
			printf '%s\n' "$out" | sed 's/^/    /' >&2
			return 1
		fi
	done
	ok "$name"
}

# --- the namespace ---------------------------------------------------------------
out=$(q @198.51.100.1 example.com)
expect "no route out of the namespace (leaks fail at once)" "$out" "network unreachable\|no servers could be reached"
if [ -n "$(ip route show default)" ] || [ -n "$(ip -6 route show default)" ]; then
	fail "a default route exists in the lab namespace"
fi
expect "::1 works" "$(ip -6 addr show dev lo)" "inet6 ::1/128"

# Region r1's TTL check needs time to pass: ask now, look again at the end.
ttl1_at=$(ms)
ttl1=$(dig @127.0.20.1 +noall +answer TXT good.test | awk '{ print $2; exit }')

# The dropping resolver: UDP and TCP queries time out (1 s each, in the
# background while the other checks run).
(
	t=$(ms)
	o=$(dig @127.0.30.1 +time=1 +tries=1 A good.test 2>&1)
	echo "udp $? $(($(ms) - t)) $(printf '%s' "$o" | tr '\n' ' ')"
) >"$lab/drop-udp.out" &
drop_udp=$!
(
	t=$(ms)
	o=$(dig @127.0.30.1 +tcp +time=1 +tries=1 A good.test 2>&1)
	echo "tcp $? $(($(ms) - t)) $(printf '%s' "$o" | tr '\n' ' ')"
) >"$lab/drop-tcp.out" &
drop_tcp=$!

# --- authoritative servers ----------------------------------------------------------
for a in 127.0.10.1 fd00:127:10::1 127.0.10.2 fd00:127:10::2; do
	out=$(q @"$a" +norec SOA good.test)
	expect "authoritative answer (AA) from $a" "$out" "status: NOERROR" "flags: qr aa;" "IN[[:space:]]*SOA"
done
out=$(q @127.0.10.1 +norec +nsid SOA lab.test)
expect "NSID from ns1" "$out" 'NSID: .*("ns1")'
out=$(q @127.0.10.2 +norec +nsid SOA lab.test)
expect "NSID from ns2" "$out" 'NSID: .*("ns2.lagging")'
out=$(q @127.0.10.1 +norec MX good.test)
expect "ns1 serves good.test MX" "$out" "MX[[:space:]]*10 mx1.good.test." "MX[[:space:]]*20 mx2.good.test."
[ "$(lab_serial "$lab" ns1 good.test)" = 2024010102 ] && ok "ns1 good.test serial 2024010102" ||
	fail "ns1 good.test serial: $(lab_serial "$lab" ns1 good.test)"
[ "$(lab_serial "$lab" ns2 good.test)" = 2024010101 ] && ok "ns2 (lagging) good.test serial 2024010101" ||
	fail "ns2 good.test serial: $(lab_serial "$lab" ns2 good.test)"
out=$(q @127.0.10.1 +norec A nosuch.good.test)
expect "NXDOMAIN from ns1 (AA, SOA in authority)" "$out" "status: NXDOMAIN" "flags: qr aa;" "IN[[:space:]]*SOA"
t=$(ms)
out=$(q @127.0.10.1 +norec A example.com)
expect "ns1 refuses a name it does not serve" "$out" "status: REFUSED"
out=$(q @127.0.10.1 +norec A ns2.lab.test)
expect "glue: ns2.lab.test is a lab address" "$out" "127.0.10.2"

# --- resolvers (regions) ---------------------------------------------------------------
for a in 127.0.20.1 fd00:127:20::1; do
	out=$(q @"$a" MX good.test)
	expect "recursive answer (RA) via r1 at $a" "$out" "status: NOERROR" "flags: qr rd ra;" "ANSWER: 2," \
		"MX[[:space:]]*10 mx1.good.test." "MX[[:space:]]*20 mx2.good.test."
done
out=$(q @127.0.20.2 +nsid MX good.test)
expect "r2 sees the lagging secondary (one MX) and its NSID" "$out" "flags: qr rd ra;" "ANSWER: 1," \
	"MX[[:space:]]*10 mx1.good.test." 'NSID: .*("r2")'
out=$(q @198.18.0.2 MX good.test)
expect "r3 in netns far answers over the veth" "$out" "flags: qr rd ra;" "ANSWER: 2,"
out=$(lab_dig "$lab" r3 +time=2 +tries=1 +short A mx2.good.test 2>&1)
expect "lab_dig runs inside r3's namespace" "$out" "^192.0.2.20$"
out=$(ip netns exec "$(_lab_netns_real "$lab" far)" dig @198.51.100.1 +time=1 +tries=1 example.com 2>&1)
expect "no route out of netns far either" "$out" "network unreachable\|no servers could be reached"

out=$(q @127.0.20.1 A nosuch.good.test)
expect "NXDOMAIN via r1 (negative TTL from SOA in authority)" "$out" "status: NXDOMAIN" "IN[[:space:]]*SOA"
out=$(q @127.0.20.1 AAAA www.good.test)
expect "NODATA via r1" "$out" "status: NOERROR" "ANSWER: 0," "IN[[:space:]]*SOA"
out=$(q @127.0.20.1 +short -x 192.0.2.10)
expect "PTR 192.0.2.10 via r1" "$out" "^mx1.good.test.$"
out=$(q @127.0.20.1 +short -x 2001:db8::20)
expect "PTR 2001:db8::20 via r1" "$out" "^mx2.good.test.$"
out=$(q @127.0.20.1 +short TXT _dmarc.good.test)
expect "DMARC TXT via r1" "$out" '"v=DMARC1; p=reject"'
out=$(q @127.0.20.1 +short TXT good.test)
expect "SPF TXT via r1" "$out" '"v=spf1 mx -all"'
out=$(q @127.0.20.1 +short AAAA ns1.lab.test)
expect "lab.test via r1" "$out" "^fd00:127:10::1$"

# Names the lab does not serve go to the forward-zone (a lab NSD, which
# refuses): SERVFAIL at once. Private reverse zones the lab does not serve
# keep unbound's own local zone (NXDOMAIN). Neither may take a timeout.
for name in example.com. nosuch.test. 1.0.0.10.in-addr.arpa.; do
	t=$(ms)
	out=$(q @127.0.20.1 A "$name")
	el=$(($(ms) - t))
	if has "$out" "status: SERVFAIL\|status: REFUSED\|status: NXDOMAIN" && [ "$el" -lt 1000 ]; then
		ok "outside the lab: $name fails at once via r1 ($(printf '%s' "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'), $el ms)"
	else
		fail "outside the lab: $name via r1 in $el ms:"
		printf '%s\n' "$out" | sed 's/^/    /' >&2
	fi
done

out=$(q @127.0.31.1 MX good.test)
expect "refusing resolver (unbound access=refuse)" "$out" "status: REFUSED"

# --- zone updates -------------------------------------------------------------------------
# Region r2 cached the lagging MX set; ns2 catches up; r2 keeps the cached
# answer until its TTL runs out (or a flush).
lab_zone_update "$lab" good.test good.test.zone ns2 && ok "lab_zone_update ns2 good.test" ||
	fail "lab_zone_update ns2 good.test"
s=$(lab_serial "$lab" ns2 good.test)
[ "$s" = 2024010102 ] && ok "ns2 now serves serial 2024010102" || fail "ns2 serves serial $s"
out=$(q @127.0.20.2 MX good.test)
expect "r2 still answers from its cache" "$out" "ANSWER: 1,"
lab_unbound_control "$lab" r2 flush_zone good.test >/dev/null && ok "unbound-control flush_zone on r2" ||
	fail "unbound-control flush_zone on r2"
out=$(q @127.0.20.2 MX good.test)
expect "r2 sees the update after the flush" "$out" "ANSWER: 2,"
sed 's/2024010102 ; serial.*/2024010103 ; serial/' "$lab/zones/good.test.zone" >"$lab/zones/good.test.v3.zone"
lab_zone_update "$lab" good.test good.test.v3.zone && ok "lab_zone_update all good.test" ||
	fail "lab_zone_update all good.test"
for n in ns1 ns2; do
	s=$(lab_serial "$lab" "$n" good.test)
	[ "$s" = 2024010103 ] && ok "$n serves serial 2024010103" || fail "$n serves serial $s"
done
if lab_zone_update "$lab" good.test good.test.v3.zone ns1 2>/dev/null; then
	fail "lab_zone_update accepted an unchanged serial"
else
	ok "lab_zone_update refuses an unchanged serial"
fi

# --- dropping resolver --------------------------------------------------------------------
wait "$drop_udp" "$drop_tcp"
for f in udp tcp; do
	read -r _ rc el rest <"$lab/drop-$f.out"
	if [ "$rc" = 9 ] && [ "$el" -ge 900 ] && [ "$el" -lt 3000 ] && has "$rest" "timed out\|no servers could be reached"; then
		ok "dropping resolver: $f query timed out after $el ms"
	else
		fail "dropping resolver, $f: $(cat "$lab/drop-$f.out")"
	fi
done
grep -q "udp .* dropped" "$lab/run/d1/log" && grep -q "tcp .* dropped" "$lab/run/d1/log" &&
	ok "dropping resolver logged the queries it dropped" || fail "dropper log: $(cat "$lab/run/d1/log")"

# --- the remaining TTL in r1's cache ---------------------------------------------------------
while [ $(($(ms) - ttl1_at)) -lt 2100 ]; do sleep 0.05; done
el=$(($(ms) - ttl1_at))
ttl2=$(dig @127.0.20.1 +noall +answer TXT good.test | awk '{ print $2; exit }')
if [ -n "$ttl1" ] && [ -n "$ttl2" ] && [ "$ttl2" -lt "$ttl1" ] &&
	[ $((ttl1 - ttl2)) -ge $((el / 1000 - 1)) ] && [ $((ttl1 - ttl2)) -le $((el / 1000 + 1)) ]; then
	ok "r1's cached TTL went $ttl1 -> $ttl2 in $el ms"
else
	fail "r1's cached TTL went ${ttl1:-?} -> ${ttl2:-?} in $el ms"
fi

# --- files the servers hold open for writing -----------------------------------------------
bad=""
for p in $(lab_procs "$lab"); do
	for fd in /proc/"$p"/fd/*; do
		f=$(readlink "$fd" 2>/dev/null) || continue
		case $f in
		"$lab"/* | /dev/* | socket:* | pipe:* | anon_inode:* | /proc/*) continue ;;
		esac
		# Access mode: the last octal digit of flags (0 read-only, 1 write-only,
		# 2 read-write). NSD keeps /etc/services and /etc/protocols open to read.
		fl=$(awk '/^flags:/ { print $2 }' "/proc/$p/fdinfo/${fd##*/}" 2>/dev/null)
		case $fl in *0) ;; *) bad="$bad $p:$f" ;; esac
	done
done
[ -z "$bad" ] && ok "lab processes write to no file outside the lab folder" || fail "files outside the lab:$bad"
nproc=$(lab_procs "$lab" | wc -l)
[ "$nproc" -ge 6 ] && ok "$nproc lab processes while running" || fail "only $nproc lab processes"
labid=$(cat "$lab/run/labid")

# --- stop ---------------------------------------------------------------------------------------
t0=$(ms)
lab_stop "$lab" && ok "lab_stop in $(($(ms) - t0)) ms" || fail "lab_stop"
left=$(lab_procs "$lab")
[ -z "$left" ] && ok "no lab process left" || fail "lab processes left: $left"
left=$(vt_running 'nsd*' '*/nsd*' 'unbound*' '*/unbound*' "perl*$lab*")
[ -z "$left" ] && ok "no nsd, unbound or dropper process in this PID namespace" || fail "still running:$left"
if ip netns list 2>/dev/null | grep -q "vlab-$labid"; then
	fail "lab network namespace left: $(ip netns list | grep "vlab-$labid")"
else
	ok "lab network namespaces deleted"
fi
if ip -o link show | grep -q ' vl[0-9]'; then
	fail "veth left: $(ip -o link show | grep ' vl[0-9]')"
else
	ok "veth links deleted"
fi
lab_stop "$lab" && ok "lab_stop twice is harmless" || fail "second lab_stop"

# Files written since the start outside the lab folder, where NSD or unbound
# would write by default (other programs on the machine may write elsewhere
# at the same time, so this looks only at their places and names).
newer=$(
	find /etc/nsd /etc/unbound /var/lib/nsd /var/lib/unbound /run /var/run \
		-xdev -newer "$marker" ! -type d ! -path '/run/netns/*' 2>/dev/null
	find /etc /var /run /tmp -xdev -newer "$marker" ! -type d \
		\( -name '*nsd*' -o -name '*unbound*' -o -name 'vlab-*' \) \
		! -path "$lab/*" ! -path '/tmp/*/run/*' ! -path '/run/netns/*' 2>/dev/null
)
[ -z "$newer" ] && ok "nothing written outside the lab folder" ||
	fail "written outside the lab folder: $(echo "$newer" | tr '\n' ' ')"

echo "selftest: $failures failure(s) in $(($(ms) - t_start)) ms"
if [ "$failures" -ne 0 ]; then
	echo "selftest: lab folder kept: $lab" >&2
	exit 1
fi
trap - EXIT
if [ "${LAB_KEEP:-0}" != 1 ] && [ "$own_dir" = 1 ]; then
	rm -rf "$lab"
fi
exit 0

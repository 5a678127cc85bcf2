#!/bin/sh
# tests/smtp/regions.sh - SMTP reachability compared across regions, with
# real processes: a coordinator on the lab host and an agent in each of
# three regions (network namespaces on veth links, as in the demo), a real
# exim4 MX host on the lab host. asia's firewall rejects outbound port 25
# (nftables, a TCP reset), america's drops it: `vantagectl check --smtp`
# and `status` must say the address is reachable from europe, refused from
# asia and timed out from america, the agents' findings must agree, and
# after asia's rule goes the next probe shows it reachable. The per-address
# probe interval ([smtp] min_interval) is honoured.
#   tests/smtp/regions.sh   (root; VANTAGE_BIN=DIR, default ./bin)
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
LAB_HOME=$root/tests/lab
. "$LAB_HOME/lab.sh"
. "$here/smtplab.sh"
lab_netns_enter "$here/regions.sh" "$@" || exit 1
. "$root/tests/lib/harness.sh"
: "${VANTAGE_BIN:=$root/bin}"
BIN=$VANTAGE_BIN
COORD=198.18.0.10

top=$(mktemp -d /tmp/vsmtpr.XXXXXX)
lab=$top/lab
W=$top/w
S=$top/srv
mkdir -p "$lab" "$W"
vt_private_bins "$W"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	pids=""
	smtplab_stop_all "$S" 2>/dev/null
	lab_stop "$lab" >/dev/null 2>&1
	[ "${LAB_KEEP:-0}" = 1 ] || rm -rf "$top"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 143' INT TERM HUP

lab_init "$lab" >/dev/null || exit 1
cp "$here/zones/"*.zone "$lab/zones/"
cp "$root/tests/demo/lab.test.zone" "$lab/zones/lab.test.zone"
# The demo's three regions (namespaces, links, their unbound caches), with
# an NSD of this test's own.
{
	grep -E '^(netns|veth|unbound) ' "$root/tests/demo/lab.conf" | sed 's/ auth=ns[12]/ auth=ns1/'
	echo "nsd ns1 addr=198.18.0.1 zones=lab.test,smtp.test,0.18.198.in-addr.arpa"
} >"$lab/lab.conf"
# mx-good's IPv6 address has no route from the regions: this test's copy
# of the zone has no AAAA for it
sed -i '/^mx-good .*AAAA/d' "$lab/zones/smtp.test.zone"
lab_start "$lab" >/dev/null || exit 1
ip addr add "$COORD/32" dev lo || exit 1
ns_real() { _lab_netns_real "$lab" "$1"; }

ca=$(smtplab_ca "$S/pki") || exit 1
# shellcheck disable=SC2046
smtplab_mta_start "$S/good" "" 198.18.0.25 mx-good.smtp.test $(smtplab_cert "$S/pki" mx-good.smtp.test) ||
	exit 1

vt_keys "$W" eu-1:europe us-1:america ap-1:asia >/dev/null
vt_coord_conf "$W" "tcp://$COORD:7400" "$(
	cat <<C
[monitor mail]
name = ok.smtp.test
profile = mail
smtp = yes
resolvers = local
interval = 2s
C
)"
for a in eu-1:eu us-1:us ap-1:ap; do
	ns=${a#*:} a=${a%:*}
	printf 'nameserver %s\n' "$(lab_addr "$lab" "r-$ns")" >"$W/resolv-$ns.conf"
	vt_agent_conf "$W" "$a" "tcp://$COORD:7400" "[resolvers]" "timeout = 500ms" \
		"[smtp]" "helo = $a.probe.lab.test" "timeout = 1s" "ca_file = $ca" "min_interval = 3s"
done
vt_coord_start "$W"
for a in eu-1:eu us-1:us ap-1:ap; do
	vt_agent_start "$W" "${a%:*}" lab_host "$lab" "${a#*:}" "$W/resolv-${a#*:}.conf"
done
check "three regions up" wait_for 15 vt_agents_up 3

smtplab_block25 "$(ns_real ap)" reject || exit 1
smtplab_block25 "$(ns_real us)" drop || exit 1
sleep 3.5 # the probes the monitor made before the rules are older than min_interval now
log=$S/good/log/mainlog
seen_before=$(wc -l <"$log") # what exim logged before the rules held

$CTL check ok.smtp.test --profile mail --smtp --json >"$W/check.json"
echo $? >"$W/check.rc"
addr() { jq -c --arg a "$2" '.smtp.addresses[] | select(.addr == $a)' "$1"; }
a25=$(addr "$W/check.json" 198.18.0.25)
check "check --smtp: 198.18.0.25 is partial" sh -c "echo '$a25' | jq -e '.state == \"partial\"' >/dev/null"
check "check --smtp: ok from europe" \
	sh -c "echo '$a25' | jq -e '[.groups[] | select(.status == \"ok\") | .regions[]] == [\"europe\"]' >/dev/null"
check "check --smtp: refused from asia (firewall reset)" \
	sh -c "echo '$a25' | jq -e '[.groups[] | select(.status == \"refused\") | .regions[]] == [\"asia\"]' >/dev/null"
check "check --smtp: timeout from america (firewall drop)" \
	sh -c "echo '$a25' | jq -e '[.groups[] | select(.status == \"timeout\") | .regions[]] == [\"america\"]' >/dev/null"
findings() { jq -r --arg ag "$2" '.agents[$ag].findings[]? | select(.code | startswith("SMTP_")) | "\(.code):\(.severity)"' "$1" | sort -u | paste -sd' ' -; }
check "asia's agent: SMTP_UNREACHABLE critical (its only MX host)" test "$(findings "$W/check.json" ap-1)" = "SMTP_UNREACHABLE:critical"
check "america's agent: SMTP_UNREACHABLE critical" test "$(findings "$W/check.json" us-1)" = "SMTP_UNREACHABLE:critical"
check "europe's agent: no SMTP finding" test "$(findings "$W/check.json" eu-1)" = ""
check "check --smtp exits 2 (critical from two regions)" test "$(cat "$W/check.rc")" = 2
$CTL check ok.smtp.test --profile mail --smtp >"$W/check.txt"
check "check --smtp text: one line says who reaches it and who not" \
	grep -q "198.18.0.25:25 *partial *reachable from europe; refused from asia; timed out from america" "$W/check.txt"
check "status: the SMTP line of the monitor" \
	wait_for 10 sh -c "$CTL status | grep -q '198.18.0.25:25 *partial .*refused from asia'"

# What the server saw: europe (198.18.1.2) only, EHLO STARTTLS QUIT, no mail.
check "exim saw europe's probes: EHLO, STARTTLS, QUIT and nothing else" \
	sh -c "grep 'from \[198.18.1.2\]' '$log' | grep -q 'C=EHLO,STARTTLS,QUIT$' &&
		! grep 'C=' '$log' | grep -qv 'C=EHLO,STARTTLS,QUIT$'"
check "asia and america never reached exim while blocked" \
	sh -c "! tail -n +$((seen_before + 1)) '$log' | grep -q 'from \\[198.18.[23].2\\]'"

# Within min_interval (3 s) an address is not probed again: the same probe
# comes back; after it, a fresh one. Which case applies depends on the age
# of the probe the first check got (the monitor probes too): both are checked.
probe_ms() { date -d "$(jq -r '.agents["eu-1"].smtp[0].time' "$1")" +%s%3N; }
$CTL check ok.smtp.test --profile mail --smtp --json >"$W/check2.json"
done_ms=$(date +%s%3N)
$CTL check ok.smtp.test --profile mail --smtp --json >"$W/check3.json"
t2=$(probe_ms "$W/check2.json") t3=$(probe_ms "$W/check3.json")
if [ $((done_ms - t2)) -lt 2500 ]; then
	check "a check within min_interval of a probe gets that probe again" test "$t3" = "$t2"
else
	check "a check after min_interval gets a fresh probe" test "$t3" -gt "$t2"
fi
check "probes of one address are at least min_interval apart" \
	sh -c "[ '$t3' = '$t2' ] || [ $((t3 - t2)) -ge 3000 ]"

smtplab_unblock25 "$(ns_real ap)"
sleep 3.5
$CTL check ok.smtp.test --profile mail --smtp --json >"$W/check3.json"
a25=$(addr "$W/check3.json" 198.18.0.25)
check "asia's rule removed: reachable from asia and europe, timeout from america" \
	sh -c "echo '$a25' | jq -e '([.groups[] | select(.status == \"ok\") | .regions[]] | sort) == [\"asia\", \"europe\"]' >/dev/null"
check "no agent crashed" sh -c "for p in $pids; do kill -0 \$p || exit 1; done"
echo "smtp region tests: $pass passed, $fails failed"
[ "$fails" = 0 ] || { LAB_KEEP=1; echo "kept $top"; }
[ "$fails" = 0 ]

#!/bin/sh
# shellcheck shell=dash disable=SC2015,SC2016 source-path=SCRIPTDIR
# Lab tests of the one-shot check (`vantage-agent check`): starts the lab of
# tests/agent/lab.conf (real NSD and unbound, zones in tests/lab/zones, one
# zone per broken-mail scenario) in a network namespace of its own, runs the
# agent against it and checks findings, exit codes, observations and the
# command line. Prints one PASS or FAIL line per test and a summary; exit
# status 0 when every test passed.
#
#   tests/agent/run.sh          (root; VANTAGE_BIN=DIR, default ./bin of the
#                                repository; LAB_KEEP=1 keeps the folder)
#
# Re-executes itself under `unshare --net --pid` when not in a lab
# namespace already. Takes about 15 s (most of it jq and the timeouts).
#
# Lab addresses (tests/agent/lab.conf): ns1 127.0.10.1 + fd00:127:10::1,
# ns2 127.0.10.2 + fd00:127:10::2 (an older serial.test), ns3 127.0.10.3
# (serves lab.test only: lame for lame.test), unbound r1 127.0.20.1 + ::1
# (through ns1), r2 127.0.20.2 (serial.test through ns2), a refusing unbound
# 127.0.31.1, a dropping resolver 127.0.30.1.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC2034 # used by lab.sh
LAB_HOME=$root/tests/lab
# shellcheck source=../lab/lab.sh disable=SC1091
. "$LAB_HOME/lab.sh"
lab_netns_enter "$here/run.sh" "$@" || exit 1

: "${VANTAGE_BIN:=$root/bin}"
AGENT=$(cd "$VANTAGE_BIN" 2>/dev/null && pwd -P)/vantage-agent
for tool in jq dig; do
	command -v "$tool" >/dev/null || {
		echo "run.sh: $tool is missing" >&2
		exit 1
	}
done

t_start=$(_lab_now_ms)
now_ms() { _lab_now_ms; }

# --- the lab ---------------------------------------------------------------------
# $tmp/lab is the lab folder; $w holds this script's own files. The lab
# folder's path never appears on the agent's command line (lab_procs and
# lab_stop find lab processes by it).
tmp=$(mktemp -d /tmp/vantage-agent.XXXXXX) || exit 1
lab=$tmp/lab
w=$tmp/w
mkdir -p "$w" || exit 1
# A copy of the agent, so that a rebuild while the tests run changes nothing.
if ! cp "$AGENT" "$w/vantage-agent" 2>/dev/null || ! "$w/vantage-agent" check --help >/dev/null 2>&1; then
	echo "run.sh: no working agent at $AGENT (build it with make, or set VANTAGE_BIN)" >&2
	rm -rf "$tmp"
	exit 1
fi
AGENT=$w/vantage-agent
lab_init "$lab" || exit 1
cp "$here/lab.conf" "$lab/lab.conf" || exit 1
lab_cleanup_on_exit "$lab"
t0=$(now_ms)
if ! lab_start "$lab"; then
	echo "run.sh: lab_start failed; folder kept: $tmp" >&2
	exit 1
fi
echo "lab started in $(($(now_ms) - t0)) ms ($lab)"

# The `local` resolver, and two that cannot find anything: one drops every
# query, nothing listens at the other.
echo "nameserver 127.0.20.1" >"$w/resolv.conf"
echo "nameserver 127.0.30.1" >"$w/resolv-drop.conf"
RCONF=$w/resolv.conf
R1=127.0.20.1

# --- test helpers ------------------------------------------------------------------
passed=0
failed=0
tname=""
tnotes=""

# t NAME: start a test. Each want_* adds a note when its condition fails;
# done_ prints PASS or FAIL (with the notes and the last agent run).
t() {
	tname=$1
	tnotes=""
	cmd=""
}
note() { tnotes="$tnotes
    - $*"; }
done_() {
	if [ -z "$tnotes" ]; then
		passed=$((passed + 1))
		printf 'PASS %5d ms  %s\n' $(($(now_ms) - t_start)) "$tname"
		return 0
	fi
	failed=$((failed + 1))
	{
		printf 'FAIL %5d ms  %s%s\n' $(($(now_ms) - t_start)) "$tname" "$tnotes"
		if [ -n "$cmd" ]; then
			echo "    last command: $cmd (exit $rc, $el ms)"
			if jq -e . "$w/out" >/dev/null 2>&1; then
				jq -r '"    findings:", (.findings[] | "      \(.severity) \(.code) \(.name) at \(.resolver // "-")"),
					"    observations:", (.observations[] |
					"      \(.resolver) \(.qname) \(.qtype) \(.status) \(.flags | join(",")) \(.transport) \(.answer | length) RRs")' \
					"$w/out" 2>/dev/null | head -n 40
			else
				head -n 30 "$w/out" | sed 's/^/    out: /'
			fi
			head -n 5 "$w/err" | sed 's/^/    err: /'
		fi
	} >&2
	return 1
}

# agent ARGS...: run the agent; stdout in $w/out, stderr in $w/err, exit
# status in $rc, wall time in $el (ms).
agent() {
	local a
	cmd="vantage-agent"
	for a in "$@"; do cmd="$cmd $a"; done
	a=$(now_ms)
	"$AGENT" "$@" >"$w/out" 2>"$w/err" </dev/null
	rc=$?
	el=$(($(now_ms) - a))
}

want_rc() { [ "$rc" = "$1" ] || note "exit status $rc, want $1"; }
# want_jq DESCRIPTION FILTER [JQ-ARGS...]: FILTER is true of the JSON output.
want_jq() {
	local desc filter
	desc=$1 filter=$2
	shift 2
	jq -e "$@" "$filter" "$w/out" >/dev/null 2>&1 || note "$desc"
}
want_out() { grep -q -F -e "$1" "$w/out" || note "stdout has no '$1'"; }
want_err() { grep -q -F -e "$1" "$w/err" || note "stderr has no '$1'"; }
want_el_lt() { [ "$el" -lt "$1" ] || note "took $el ms, want under $1 ms"; }
# jq_notes FILTER [JQ-ARGS...]: each string FILTER prints is a failure note.
jq_notes() {
	local filter out line
	filter=$1
	shift
	if ! out=$(jq -r "$@" "$filter" "$w/out" 2>&1); then
		note "jq: $(echo "$out" | head -n 3)"
		return
	fi
	[ -n "$out" ] || return 0
	while IFS= read -r line; do note "$line"; done <<EOF
$out
EOF
}
# want_json_sane: the JSON's "exit" is the exit status; every finding has a
# code, a severity, a name and a message.
want_json_sane() {
	jq_notes 'if .exit != $rc then "JSON \"exit\" \(.exit) is not the exit status \($rc)" else empty end,
		(.findings[] | select(((.code | length) > 0 and (.severity | IN("info", "warning", "critical"))
			and (.name | length) > 0 and (.message | length) > 0) | not)
		| "a finding lacks code, severity, name or message: \(.)")' --argjson rc "$rc"
}
# want_only CODE SEVERITY [ALLOWED-INFO-CODES]: CODE is there, each time at
# SEVERITY; any other finding is an info finding among ALLOWED (comma list).
want_only() {
	jq_notes '[.findings[] | select(.code == $c)] as $m
		| if ($m | length) == 0 then "no \($c) finding" else empty end,
		  ($m[] | select(.severity != $s) | "\($c) is \(.severity), want \($s): \(.name)"),
		  (.findings[] | select(.code != $c) | . as $f
			| select($f.severity != "info" or ($ok | split(",") | index($f.code)) == null)
			| "another finding: \(.severity) \(.code) \(.name) at \(.resolver // "-")")' \
		--arg c "$1" --arg s "$2" --arg ok "${3:-}"
}
# want_none_above_info: no warning and no critical finding.
want_none_above_info() {
	want_jq "warning or critical findings" 'all(.findings[]; .severity == "info")'
	want_jq "summary counts warnings or criticals" '.summary.critical == 0 and .summary.warning == 0'
}

# ===================================================================================
# 1. Every finding code provoked alone (mail profile at region r1).
# ===================================================================================
# DOMAIN CODE SEVERITY EXIT NAME [INFO-EXCEPTIONS]
# Inherent exceptions: nullmix.test has one real host beside its null MX, so
# MX_SINGLE (info) comes with it (a mixed null MX suppresses nothing).
while read -r dom code sev ex name extra; do
	case $dom in '' | '#'*) continue ;; esac
	t "finding $code ($sev) alone: $dom"
	agent check "$dom" --profile mail --resolver $R1 --json
	want_rc "$ex"
	want_json_sane
	want_only "$code" "$sev" "$extra"
	want_jq "no $code names $name at $R1:53" \
		'any(.findings[]; .code == $c and .name == $n) and all(.findings[] | select(.code == $c); .resolver == $r)' \
		--arg c "$code" --arg n "$name" --arg r "$R1:53"
	done_
done <<'EOF'
nosuch.good.test DOMAIN_NXDOMAIN         critical 2 nosuch.good.test.
nomx.test      MX_MISSING                critical 2 nomx.test.
implicit.test  IMPLICIT_MX               warning  1 implicit.test.
nullmx.test    NULL_MX                   info     0 nullmx.test.
nullmix.test   NULL_MX                   critical 2 nullmix.test.    MX_SINGLE
mxnx.test      MX_TARGET_NXDOMAIN        warning  1 gone.mxnx.test.
mxnxall.test   MX_TARGET_NXDOMAIN        critical 2 gone.mxnxall.test.
mxnoaddr.test  MX_TARGET_NO_ADDRESS      warning  1 host.mxnoaddr.test.
mxip.test      MX_TARGET_IP_LITERAL      warning  1 192.0.2.10.
mxpriv.test    MX_TARGET_PRIVATE_ADDRESS warning  1 internal.mxpriv.test.
mxcname.test   MX_TARGET_CNAME           warning  1 alias.mxcname.test.
single.test    MX_SINGLE                 info     0 single.test.
samepri.test   MX_SAME_PRIORITY          info     0 samepri.test.
noptr.test     PTR_MISSING               warning  1 40.2.0.192.in-addr.arpa.
badptr.test    PTR_MISMATCH              warning  1 41.2.0.192.in-addr.arpa.
nospf.test     SPF_MISSING               warning  1 nospf.test.
twospf.test    SPF_MULTIPLE              warning  1 twospf.test.
badspf.test    SPF_SYNTAX                warning  1 badspf.test.
afterall.test  SPF_AFTER_ALL             info     0 afterall.test.
manyspf.test   SPF_TOO_MANY_LOOKUPS      warning  1 manyspf.test.
nodmarc.test   DMARC_MISSING             info     0 _dmarc.nodmarc.test.
baddmarc.test  DMARC_INVALID             warning  1 _dmarc.baddmarc.test.
EOF

t "mxnxall.test: both missing targets reported, critical"
agent check mxnxall.test --profile mail --resolver $R1 --json
want_jq "not both gone and gone2 as MX_TARGET_NXDOMAIN critical" \
	'[.findings[] | select(.code == "MX_TARGET_NXDOMAIN" and .severity == "critical") | .name] | sort == ["gone.mxnxall.test.", "gone2.mxnxall.test."]'
done_

t "manyspf.test: SPF_TOO_MANY_LOOKUPS counts 11 lookups"
agent check manyspf.test --profile mail --resolver $R1 --json
want_jq "message does not say 11" 'any(.findings[]; .code == "SPF_TOO_MANY_LOOKUPS" and (.message | test("\\b11\\b")))'
done_

t "okspf.test (exactly 10 SPF lookups): no finding at all"
agent check okspf.test --profile mail --resolver $R1 --json
want_rc 0
want_json_sane
want_jq "findings present" '.findings == []'
want_jq "the include targets were not fetched" \
	'([.observations[] | select(.qtype == "TXT" and .status == "ok") | .qname] | index("one.okspf.test.") and index("two.okspf.test."))'
done_

# --- suppression rules -----------------------------------------------------------
t "suppression: DOMAIN_NXDOMAIN stands alone and nothing more is asked"
agent check nosuch.good.test --profile mail --resolver $R1 --json
want_rc 2
want_jq "findings other than one DOMAIN_NXDOMAIN" '[.findings[].code] == ["DOMAIN_NXDOMAIN"]'
want_jq "questions beyond the first round (MX, TXT, _dmarc TXT)" \
	'.queries == 3 and all(.observations[]; .qname == "nosuch.good.test." or .qname == "_dmarc.nosuch.good.test.")'
done_

t "suppression: a lone null MX has no MX_TARGET_*, PTR_* or MX_SINGLE"
agent check nullmx.test --profile mail --resolver $R1 --json
want_rc 0
want_jq "target, PTR or single-MX finding" \
	'all(.findings[]; (.code | test("^(MX_TARGET_|PTR_|MX_SINGLE)")) | not)'
want_jq "a target or PTR question was asked" 'all(.observations[]; .qtype != "PTR" and .qtype != "A" and .qtype != "AAAA")'
done_

t "no suppression: a mixed null MX still checks the other hosts"
agent check nullmix.test --profile mail --resolver $R1 --json
want_jq "mx1.good.test. A not asked" 'any(.observations[]; .qname == "mx1.good.test." and .qtype == "A" and .status == "ok")'
want_jq "its PTR not asked" 'any(.observations[]; .qname == "10.2.0.192.in-addr.arpa." and .qtype == "PTR")'
done_

for dom in mxnx.test mxnxall.test; do
	t "suppression: a missing target ($dom) is not also MX_TARGET_NO_ADDRESS"
	agent check $dom --profile mail --resolver $R1 --json
	want_jq "MX_TARGET_NO_ADDRESS reported" 'all(.findings[]; .code != "MX_TARGET_NO_ADDRESS")'
	want_jq "the target was not asked (nxdomain)" 'any(.observations[]; (.qname | startswith("gone")) and .status == "nxdomain")'
	done_
done

t "suppression: an IP literal target is not looked up nor MX_TARGET_NXDOMAIN"
agent check mxip.test --profile mail --resolver $R1 --json
want_jq "MX_TARGET_NXDOMAIN or NO_ADDRESS reported" \
	'all(.findings[]; .code != "MX_TARGET_NXDOMAIN" and .code != "MX_TARGET_NO_ADDRESS")'
want_jq "192.0.2.10. was looked up as a name" 'all(.observations[]; .qname != "192.0.2.10.")'
done_

t "suppression: a private address gets no PTR check"
agent check mxpriv.test --profile mail --resolver $R1 --json
want_jq "3.2.1.10.in-addr.arpa. asked" 'all(.observations[]; .qname != "3.2.1.10.in-addr.arpa.")'
done_

t "text output of a broken domain: findings by severity and the counts"
agent check mxnx.test --profile mail --resolver $R1
want_rc 1
want_out "WARNING  MX_TARGET_NXDOMAIN"
want_out "gone.mxnx.test."
want_out "0 critical, 1 warning"
done_

# --- the comparisons across resolvers and servers ------------------------------------
t "RESOLVER_FAILURE warning: r1 and the dropping resolver"
agent check good.test --profile mail --resolver $R1 --resolver 127.0.30.1 --timeout 200 --tries 1 --json
want_rc 1
want_json_sane
want_only RESOLVER_FAILURE warning
want_jq "RESOLVER_FAILURE not at 127.0.30.1:53" 'all(.findings[]; .resolver == "127.0.30.1:53")'
want_jq "dropping resolver's observations are not timeouts" \
	'all(.observations[] | select(.resolver == "127.0.30.1:53"); .status == "timeout")'
want_jq "r1 did not answer" 'any(.observations[]; .resolver == "127.0.20.1:53" and .status == "ok")'
done_

t "RESOLVER_FAILURE: only the dropping resolver: the check could not run (exit 3)"
agent check good.test --profile mail --resolver 127.0.30.1 --timeout 200 --tries 1 --json
want_rc 3
want_json_sane
want_only RESOLVER_FAILURE critical
done_

t "only the dropping resolver, text output: exit 3 and a message on stderr"
agent check good.test --resolver 127.0.30.1 --timeout 200 --tries 1
want_rc 3
want_err "no resolver could be reached"
done_

t "RESOLVER_FAILURE: a refusing resolver (unbound access refuse, 127.0.31.1)"
agent check good.test --profile mail --resolver 127.0.31.1 --json
want_rc 2
want_json_sane
want_only RESOLVER_FAILURE critical
want_jq "observations are not all refused" '(.observations | length) > 0 and all(.observations[]; .status == "refused" and .rcode == "REFUSED")'
done_

t "RESOLVER_FAILURE warning: r1 and the refusing resolver"
agent check good.test --profile mail --resolver $R1 --resolver 127.0.31.1 --json
want_rc 1
want_only RESOLVER_FAILURE warning
done_

t "RESOLVER_FAILURE: an NSD that does not serve the zone (127.0.10.3), EDE in the message"
agent check good.test --profile mail --resolver 127.0.10.3 --json
want_rc 2
want_json_sane
want_only RESOLVER_FAILURE critical
want_jq "observations are not all refused with EDE 20" \
	'(.observations | length) > 0 and all(.observations[]; .status == "refused" and (.ede | index(20)))'
want_jq "message does not name Extended DNS Error 20" 'any(.findings[]; .message | test("Extended DNS Error 20"))'
done_

t "RESOLVER_DISAGREE: serial.test at r1 (new copy) and r2 (old copy)"
agent check serial.test --profile mail --resolver $R1 --resolver 127.0.20.2 --json
want_rc 1
want_json_sane
# Inherent: r2 sees the older copy, which has one MX host.
want_only RESOLVER_DISAGREE warning MX_SINGLE
want_jq "RESOLVER_DISAGREE not about serial.test. MX" \
	'any(.findings[]; .code == "RESOLVER_DISAGREE" and .name == "serial.test." and (.message | test("MX")))'
want_jq "MX_SINGLE is not r2's" 'all(.findings[] | select(.code == "MX_SINGLE"); .resolver == "127.0.20.2:53")'
done_

t "control: good.test at r1, r2 and [::1]:53 agree"
agent check good.test --profile mail --resolver $R1 --resolver 127.0.20.2 --resolver '[::1]:53' --json
want_rc 0
want_jq "findings present" '.findings == []'
done_

t "AUTH_SERIAL_MISMATCH: serial.test at its authoritative servers"
agent check serial.test --profile mail --resolver auth --resolv-conf "$RCONF" --json
want_rc 1
want_json_sane
want_only AUTH_SERIAL_MISMATCH warning
want_jq "not named serial.test. with both serials" \
	'any(.findings[]; .code == "AUTH_SERIAL_MISMATCH" and .name == "serial.test."
		and (.message | contains("2024010102") and contains("2024010101")))'
done_

t "LAME_DELEGATION: lame.test lists ns3, which does not serve it"
agent check lame.test --profile mail --resolver auth --resolv-conf "$RCONF" --json
want_rc 1
want_json_sane
want_only LAME_DELEGATION warning
want_jq "not at 127.0.10.3:53 naming ns3.lab.test." \
	'any(.findings[]; .code == "LAME_DELEGATION" and .name == "lame.test." and .resolver == "127.0.10.3:53"
		and (.message | contains("ns3.lab.test")))'
want_jq "one LAME_DELEGATION per server address" '[.findings[] | select(.code == "LAME_DELEGATION")] | length == 1'
done_

# Bug (reported): with `auth` alone, the resolver that finds the servers is
# the hidden `local` one; when it does not answer, no server is asked and
# the check printed "findings: none" with exit 0.
t "auth alone, the resolver that finds the servers does not answer: exit 3, not a silent OK"
agent check good.test --resolver auth --resolv-conf "$w/resolv-drop.conf" --timeout 200 --tries 1 --json
want_rc 3
want_jq "no RESOLVER_FAILURE finding" 'any(.findings[]; .code == "RESOLVER_FAILURE")'
done_

t "auth alone, the zone cannot be found (SERVFAIL for nosuch.test): not a silent OK"
agent check nosuch.test --resolver auth --resolv-conf "$RCONF" --json
[ "$rc" = 2 ] || [ "$rc" = 3 ] || note "exit status $rc, want 2 (or 3)"
want_jq "no RESOLVER_FAILURE finding" 'any(.findings[]; .code == "RESOLVER_FAILURE")'
done_

# ===================================================================================
# 2. Healthy control.
# ===================================================================================
for r in $R1 local auth; do
	t "healthy: good.test at $r, JSON: no warning or critical, exit 0"
	agent check good.test --profile mail --resolver "$r" --resolv-conf "$RCONF" --json
	want_rc 0
	want_json_sane
	want_none_above_info
	want_jq "not complete" '.incomplete == false'
	case $r in
	auth) want_jq "not every auth server answered MX and SOA" \
		'[.observations[] | select(.kind == "auth")] | length == 8 and all(.[]; .status == "ok" and (.flags | index("aa")))'
		# with auth alone, the local resolver finds the servers and is reported too
		want_jq "the local resolver that found the servers is not reported" \
			'any(.observations[]; .kind == "local" and .qtype == "NS" and .status == "ok")' ;;
	local) want_jq "observations not from local" \
		'(.observations | length) > 0 and all(.observations[]; .resolver == "local" and .kind == "local" and .status == "ok")' ;;
	*) want_jq "observations not all ok" '(.observations | length) == 11 and all(.observations[]; .status == "ok")' ;;
	esac
	done_

	t "healthy: good.test at $r, text: MX hosts and '0 critical, 0 warning'"
	agent check good.test --profile mail --resolver "$r" --resolv-conf "$RCONF"
	want_rc 0
	want_out "mx1.good.test."
	want_out "mx2.good.test."
	want_out "0 critical, 0 warning"
	done_
done

# ===================================================================================
# 3. NXDOMAIN versus NODATA (SOA minimum 5 in every lab zone).
# ===================================================================================
for s in $R1 127.0.10.1; do
	t "NXDOMAIN at $s: nosuch.good.test A, with SOA serial and neg_ttl <= 5"
	agent check nosuch.good.test --type A --resolver "$s" --json
	want_rc 0
	want_jq "not one nxdomain observation with neg_ttl 0..5" \
		'(.observations | length) == 1 and (.observations[0] | .status == "nxdomain" and .rcode == "NXDOMAIN"
			and .answer == [] and .soa_serial == 2024010102 and .neg_ttl >= 0 and .neg_ttl <= 5)'
	done_

	t "NODATA at $s: www.good.test AAAA, with neg_ttl <= 5"
	agent check www.good.test --type AAAA --resolver "$s" --json
	want_rc 0
	want_jq "not one nodata observation with neg_ttl 0..5" \
		'(.observations | length) == 1 and (.observations[0] | .status == "nodata" and .rcode == "NOERROR"
			and .answer == [] and .soa_serial == 2024010102 and .neg_ttl >= 0 and .neg_ttl <= 5)'
	done_
done

t "NXDOMAIN and NODATA at the authoritative server: neg_ttl is the SOA minimum (5)"
agent check nosuch.good.test --type A --resolver 127.0.10.1 --json
a=$(jq -c '.observations[0].neg_ttl' "$w/out")
agent check www.good.test --type AAAA --resolver 127.0.10.1 --json
b=$(jq -c '.observations[0].neg_ttl' "$w/out")
[ "$a $b" = "5 5" ] || note "neg_ttl $a and $b, want 5 and 5"
done_

# ===================================================================================
# 4. IPv6: a resolver over ::1, AAAA targets and their ip6.arpa PTRs.
# ===================================================================================
t "IPv6: resolver [::1]:53 answers good.test MX"
agent check good.test --type MX --resolver '[::1]:53' --json
want_rc 0
want_jq "not ok with 2 MX from [::1]:53" \
	'.observations[0] | .resolver == "[::1]:53" and .status == "ok" and (.answer | length) == 2'
done_

t "IPv6: the profile at [::1]:53 is healthy and checks the AAAA targets' PTRs"
agent check good.test --profile mail --resolver '[::1]:53' --json
want_rc 0
want_none_above_info
want_jq "mx1/mx2 AAAA not ok" \
	'[.observations[] | select(.qtype == "AAAA" and .status == "ok") | .answer[]] | sort == ["mx1.good.test. AAAA 2001:db8::10", "mx2.good.test. AAAA 2001:db8::20"]'
for n in 1 2; do
	rev="0.$n.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
	want_jq "no ok PTR observation of $rev" \
		'any(.observations[]; .qname == $q and .qtype == "PTR" and .status == "ok" and .answer == [$q + " PTR mx" + $n + ".good.test."])' \
		--arg q "$rev" --arg n "$n"
done
done_

t "IPv6: --resolver auth asks the name servers' AAAA addresses too"
agent check good.test --type SOA --resolver auth --resolv-conf "$RCONF" --json
want_rc 0
for a in '[fd00:127:10::1]:53' '[fd00:127:10::2]:53' 127.0.10.1:53 127.0.10.2:53; do
	want_jq "no ok auth SOA from $a" \
		'any(.observations[]; .resolver == $a and .kind == "auth" and .qtype == "SOA" and .status == "ok" and (.flags | index("aa")))' \
		--arg a "$a"
done
done_

# ===================================================================================
# 5. Timeouts and the check's deadline.
# ===================================================================================
t "timeout: the dropping resolver with --timeout 200 --tries 1"
agent check good.test --type A --resolver 127.0.30.1 --timeout 200 --tries 1 --json
want_rc 3
want_jq "status is not timeout" '.observations[0].status == "timeout"'
want_el_lt 1000
[ "$el" -ge 190 ] || note "gave up after $el ms, before its 200 ms"
done_

# Bug (reported): c-ares 1.18 doubles the timeout on each retry of a
# one-server channel (300, 600, 1200 ms), so --timeout is not "the time to
# wait for one try" as the usage says: 3 tries took about 2100 ms.
t "timeout: --timeout is per try: 3 tries of 300 ms end in about 900 ms"
agent check good.test --type A --resolver 127.0.30.1 --timeout 300 --tries 3 --json
want_rc 3
want_jq "status is not timeout" '.observations[0].status == "timeout"'
[ "$el" -ge 850 ] || note "gave up after $el ms, before 3 x 300 ms"
want_el_lt 1500
done_

t "deadline: --deadline 300 cuts 5 tries of 1000 ms short: incomplete, CHECK_INCOMPLETE"
agent check good.test --profile mail --resolver 127.0.30.1 --tries 5 --timeout 1000 --deadline 300 --json
want_el_lt 1000
[ "$el" -ge 290 ] || note "ended after $el ms, before its 300 ms deadline"
want_rc 3
want_jq "not incomplete: true" '.incomplete == true'
want_jq "observations not all incomplete" '(.observations | length) == 3 and all(.observations[]; .status == "incomplete")'
want_jq "no CHECK_INCOMPLETE warning" 'any(.findings[]; .code == "CHECK_INCOMPLETE" and .severity == "warning")'
want_jq "RESOLVER_FAILURE counted answers cut by the deadline" 'all(.findings[]; .code != "RESOLVER_FAILURE")'
done_

t "deadline, text output: says incomplete"
agent check good.test --profile mail --resolver 127.0.30.1 --tries 5 --timeout 1000 --deadline 300
want_out "incomplete"
want_out "CHECK_INCOMPLETE"
done_

# ===================================================================================
# 6. A lame name server.
# ===================================================================================
t "lame: lame.test at auth: 127.0.10.3:53 refused, LAME_DELEGATION names ns3.lab.test"
agent check lame.test --profile mail --resolver auth --resolv-conf "$RCONF" --json
want_jq "no refused observation from 127.0.10.3:53 (ns3.lab.test.)" \
	'any(.observations[]; .resolver == "127.0.10.3:53" and .server == "ns3.lab.test." and .status == "refused")'
want_jq "its SOA not asked" 'any(.observations[]; .resolver == "127.0.10.3:53" and .qtype == "SOA" and .status == "refused")'
want_jq "LAME_DELEGATION does not name ns3.lab.test" \
	'any(.findings[]; .code == "LAME_DELEGATION" and (.message | contains("ns3.lab.test")))'
want_jq "ns1 or ns2 not answering with authority" \
	'all(.observations[] | select(.kind == "auth" and .resolver != "127.0.10.3:53"); .status == "ok" and (.flags | index("aa")))'
done_

# ===================================================================================
# 7. Truncation: big.test TXT (16 x ~100 bytes) does not fit 1232 bytes.
# Both NSD and unbound answer TC over UDP with an empty answer (37 bytes);
# the agent retries over TCP and gets the whole set. The observation keeps
# the TC flag and says tcp.
# ===================================================================================
want_big() { # every observation of big.test TXT: tcp, tc, 16 records
	want_jq "not all big.test TXT over tcp with tc and the 16 records" \
		'[.observations[] | select(.qtype == "TXT")] | length > 0 and all(.[]; .status == "ok" and .transport == "tcp"
			and (.flags | index("tc")) and (.answer | length) == 16
			and ([.answer[] | capture("\"record (?<n>[0-9]+) ") | .n] | unique | length) == 16)'
}
t "truncation: big.test TXT at the authoritative servers, retried over TCP"
agent check big.test --type TXT --resolver auth --resolv-conf "$RCONF" --json
want_rc 0
want_big
want_jq "not 4 auth servers" '[.observations[] | select(.qtype == "TXT" and .kind == "auth") | .resolver] | unique | length == 4'
done_

t "truncation: big.test TXT through r1 (unbound answers TC at 1232 bytes too)"
agent check big.test --type TXT --resolver $R1 --json
want_rc 0
want_big
done_

t "control: a small answer stays on UDP without tc"
agent check good.test --type TXT --resolver $R1 --json
want_jq "not udp without tc" '.observations[0] | .transport == "udp" and (.flags | index("tc") | not)'
done_

# ===================================================================================
# 8. NSID (RFC 5001) from the authoritative servers.
# ===================================================================================
t "NSID: auth observations carry ns1-lab / ns2-lab"
agent check good.test --profile mail --resolver auth --resolv-conf "$RCONF" --json
want_jq "ns1's addresses not ns1-lab" \
	'[.observations[] | select(.resolver == "127.0.10.1:53" or .resolver == "[fd00:127:10::1]:53")] | length == 4 and all(.[]; .nsid == "ns1-lab")'
want_jq "ns2's addresses not ns2-lab" \
	'[.observations[] | select(.resolver == "127.0.10.2:53" or .resolver == "[fd00:127:10::2]:53")] | length == 4 and all(.[]; .nsid == "ns2-lab")'
done_

t "NSID: ns3-lab from the lame server"
agent check lame.test --profile mail --resolver auth --resolv-conf "$RCONF" --json
want_jq "ns3 not ns3-lab" 'any(.observations[]; .resolver == "127.0.10.3:53" and .nsid == "ns3-lab")'
done_

# ===================================================================================
# 9. Answers compared with dig's view of the same server.
# Normalisation, the same on both sides: one line per RR, "owner TYPE rdata";
# dig's +nottlid +noclass drops TTL and class, the agent's canonical lines
# have none; the owner is lower-cased; the separators between owner, type and
# rdata (dig: tabs, or a space after a long owner) become one space, the
# rdata is left as it is; lines are sorted bytewise (LC_ALL=C). dig retries a
# truncated answer over TCP by itself, as the agent does.
# ===================================================================================
norm() {
	awk '{ o = $1; ty = $2; r = $0
		sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", r); sub(/[ \t]+$/, "", r)
		print tolower(o) " " ty " " r }' | LC_ALL=C sort
}
for s in 127.0.10.1 $R1; do
	for q in "good.test MX" "good.test TXT" "mx1.good.test AAAA" "_dmarc.good.test TXT" \
		"10.2.0.192.in-addr.arpa PTR" "big.test TXT"; do
		# shellcheck disable=SC2086 # q is NAME TYPE
		set -- $q
		t "dig view at $s: $1 $2"
		agent check "$1" --type "$2" --resolver "$s" --json
		jq -r '.observations[] | select(.qtype == $t) | .answer[]' --arg t "$2" "$w/out" | norm >"$w/agent.txt"
		dig @"$s" +time=2 +tries=1 +noall +answer +nottlid +noclass "$1" "$2" 2>&1 | norm >"$w/dig.txt"
		[ -s "$w/dig.txt" ] || note "dig gave no answer"
		if ! cmp -s "$w/agent.txt" "$w/dig.txt"; then
			note "agent and dig differ:
$(diff "$w/agent.txt" "$w/dig.txt" | sed 's/^/        /' | cut -c1-120)"
		fi
		done_
	done
done

# ===================================================================================
# 10. Bad arguments: exit 3, nothing on stdout, usage on stderr naming the problem.
# ===================================================================================
while IFS='|' read -r what args expect; do
	[ -n "$what" ] || continue
	t "bad arguments: $what"
	# shellcheck disable=SC2086 # args are split on purpose
	agent check $args
	want_rc 3
	[ -s "$w/out" ] && note "something on stdout"
	want_err "usage: vantage-agent check"
	want_err "$expect"
	done_
done <<'EOF'
no domain||DOMAIN is missing
unknown type|good.test --type FOO|FOO
unknown profile|good.test --profile web|web
bad resolver address|good.test --resolver 300.1.1.1|300.1.1.1
bad resolver port|good.test --resolver 127.0.20.1:99999|127.0.20.1:99999
unclosed IPv6 bracket|good.test --resolver [::1|[::1
--timeout abc|good.test --timeout abc|abc
--tries 0|good.test --tries 0|--tries
unknown option|good.test --frob|--frob
option without its value|good.test --type|--type
two domains|good.test other.test|other.test
not a domain name|..bad|..bad
EOF

# ===================================================================================
# 11. The query budget (a lower bound, not a performance assertion).
# ===================================================================================
t "query budget: --rate 10 --burst 1 spaces the queries by 100 ms"
agent check good.test --profile mail --resolver $R1 --rate 10 --burst 1 --json
q=$(jq '.queries' "$w/out" 2>/dev/null || echo 0)
want_rc 0
[ "$q" -ge 5 ] 2>/dev/null || note "only '$q' queries"
[ "$el" -ge $(((q - 1) * 100)) ] || note "$q queries in $el ms, want at least $(((q - 1) * 100)) ms"
slow=$el
agent check good.test --profile mail --resolver $R1 --json
q2=$(jq '.queries' "$w/out" 2>/dev/null || echo 0)
[ "$q2" = "$q" ] || note "default run sent $q2 queries, the limited one $q"
[ "$el" -lt $(((q - 1) * 50)) ] || note "default run took $el ms (limited: $slow ms), want under $(((q - 1) * 50)) ms"
done_

# --- end ------------------------------------------------------------------------------
t0=$(now_ms)
lab_stop "$lab" || echo "run.sh: lab_stop failed" >&2
left=$(lab_procs "$lab")
[ -z "$left" ] || echo "run.sh: lab processes left: $left" >&2
total=$((passed + failed))
echo "agent lab tests: $passed of $total passed, $failed failed, in $(($(now_ms) - t_start)) ms"
if [ "$failed" -ne 0 ]; then
	echo "run.sh: folder kept: $tmp" >&2
	exit 1
fi
trap - EXIT
[ "${LAB_KEEP:-0}" = 1 ] || rm -rf "$tmp"
exit 0

#!/bin/sh
# tests/smtp/run.sh - lab tests of the SMTP probe through the one-shot check
# (`vantage-agent check DOMAIN --profile mail --smtp`). A DNS lab (NSD and
# unbound) serves smtp.test, whose mail domains each point at one SMTP
# server of the SMTP lab (smtplab.sh) on a lab address: real exim4 instances
# with certificates from a CA made here (valid, expired, for another name,
# greeting as another name; IPv4 and IPv6) and scripted broken servers
# (no STARTTLS, 554, silent, endless line, flood, STARTTLS refused, and a
# closed port). Each SMTP_* finding is provoked alone, next to a healthy
# control that gives none; the scripted servers' logs show that the probe
# sent EHLO and QUIT and never MAIL, RCPT or DATA.
#   tests/smtp/run.sh   (root; VANTAGE_BIN=DIR, default ./bin)
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
LAB_HOME=$root/tests/lab
. "$LAB_HOME/lab.sh"
. "$here/smtplab.sh"
lab_netns_enter "$here/run.sh" "$@" || exit 1
. "$root/tests/lib/harness.sh"
: "${VANTAGE_BIN:=$root/bin}"
BIN=$VANTAGE_BIN

top=$(mktemp -d /tmp/vsmtp.XXXXXX)
lab=$top/lab
W=$top/w
mkdir -p "$lab" "$W"
vt_private_bins "$W"
cleanup() {
	smtplab_stop_all "$top/srv" 2>/dev/null
	lab_stop "$lab" >/dev/null 2>&1
	[ "${LAB_KEEP:-0}" = 1 ] || rm -rf "$top"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 143' INT TERM HUP

lab_init "$lab" >/dev/null || exit 1
cp "$here/zones/"*.zone "$lab/zones/"
cat >"$lab/lab.conf" <<C
nsd ns1 addr=127.0.10.1 zones=lab.test,smtp.test,0.18.198.in-addr.arpa,2.0.192.in-addr.arpa
unbound r1 addr=127.0.20.1 auth=ns1
C
lab_start "$lab" >/dev/null || exit 1

# The servers.
S=$top/srv
ca=$(smtplab_ca "$S/pki") || exit 1
cert() { smtplab_cert "$S/pki" "$@"; }
# shellcheck disable=SC2046
{
	smtplab_mta_start "$S/good" "" 198.18.0.25 mx-good.smtp.test $(cert mx-good.smtp.test) &&
		smtplab_mta_start "$S/good6" "" fd00:127:25::25 mx-good.smtp.test $(cert mx-good.smtp.test) &&
		smtplab_mta_start "$S/expired" "" 198.18.0.26 mx-expired.smtp.test $(cert mx-expired.smtp.test expired) &&
		smtplab_mta_start "$S/other" "" 198.18.0.27 mx-other.smtp.test $(cert other.example.test) &&
		smtplab_mta_start "$S/gname" "" 198.18.0.28 relay.elsewhere.test $(cert mx-gname.smtp.test) &&
		smtplab_script_start "$S/plain" "" 198.18.0.30 nostarttls mx-plain.smtp.test &&
		smtplab_script_start "$S/554" "" 198.18.0.31 554 mx-554.smtp.test &&
		smtplab_script_start "$S/silent" "" 198.18.0.32 silent mx-silent.smtp.test &&
		smtplab_script_start "$S/endless" "" 198.18.0.33 endless mx-endless.smtp.test &&
		smtplab_script_start "$S/flood" "" 198.18.0.34 flood mx-flood.smtp.test &&
		smtplab_script_start "$S/badtls" "" 198.18.0.35 multiline mx-badtls.smtp.test &&
		smtplab_script_start "$S/tlsdrop" "" 198.18.0.37 tlsdrop mx-tlsdrop.smtp.test &&
		smtplab_script_start "$S/badquit" "" 198.18.0.38 badquit mx-badquit.smtp.test &&
		smtplab_script_start "$S/ehlo421" "" 198.18.0.39 ehlo421 mx-ehlo421.smtp.test &&
		smtplab_script_start "$S/hangup" "" 198.18.0.40 close mx-hangup.smtp.test &&
		ip addr add 198.18.0.36/32 dev lo
} || {
	echo "run.sh: the SMTP servers did not start" >&2
	exit 1
}

# probe DOMAIN [ARGS...]: the one-shot check with SMTP, JSON in $W/DOMAIN.json
probe() {
	d=$1
	shift
	"$BIN/vantage-agent" check "$d" --profile mail --smtp --resolver 127.0.20.1 \
		--ca-file "$ca" --helo probe.lab.test --smtp-timeout 1000 --json "$@" >"$W/$d.json"
	echo $? >"$W/$d.rc"
}
# codes DOMAIN: the SMTP_* finding codes with severities, sorted
codes() {
	jq -r '[.findings[] | select(.code | startswith("SMTP_")) | "\(.code):\(.severity)"] | sort | unique | join(" ")' "$W/$1.json"
}
# expect NAME DOMAIN "CODE:SEV ..." : exactly these SMTP findings
expect() {
	got=$(codes "$2")
	if [ "$got" = "$3" ]; then ok "$1"; else bad "$1 (got '$got', want '$3')"; fi
}
jqe() { jq -e "$@" >/dev/null; }
status_of() { jq -r --arg a "$2" '.smtp[] | select(.addr == $a) | .status' "$W/$1.json"; }

jobs=""
for d in ok expired other gname plain greet554 silent endless flood badtls closed half tlsdrop \
	badquit ehlo421 hangup twin; do
	probe "$d.smtp.test" &
	jobs="$jobs $!"
done
# shellcheck disable=SC2086 # (not a bare wait: the servers are children too)
wait $jobs
probe ok.smtp.test --tls-expiry-days 60 && cp "$W/ok.smtp.test.json" "$W/expiring.json"
probe ok.smtp.test --no-tls && cp "$W/ok.smtp.test.json" "$W/notls.json"
probe ok.smtp.test

expect "healthy control: no SMTP finding" ok.smtp.test ""
check "healthy control: exit 0 from the SMTP side (worst finding not SMTP)" \
	sh -c "jq -e '[.findings[] | select(.code | startswith(\"SMTP_\"))] | length == 0' '$W/ok.smtp.test.json' >/dev/null"
check "healthy: both addresses probed (IPv4 and IPv6), ok" \
	test "$(status_of ok.smtp.test 198.18.0.25) $(status_of ok.smtp.test fd00:127:25::25)" = "ok ok"
check "healthy: greeting 220 and its host name" \
	jqe '.smtp[0] | .code == 220 and .greet_name == "mx-good.smtp.test."' "$W/ok.smtp.test.json"
check "healthy: STARTTLS and SIZE offered, TLS 1.3, name matches, chain verified" \
	jqe '.smtp[0] | (.flags | index("starttls") and index("size") and index("tls") and index("name_match") and index("chain_ok")) and .tls_version == "TLSv1.3" and .size_max == 10485760' "$W/ok.smtp.test.json"
check "healthy: the certificate's name and expiry are recorded" \
	jqe '.smtp[0] | .cert_names == ["mx-good.smtp.test"] and (.cert_not_after_ms > 0)' "$W/ok.smtp.test.json"
expect "SMTP_TLS_EXPIRING: the same certificate with --tls-expiry-days 60" expiring "SMTP_TLS_EXPIRING:warning"
check "--no-tls: STARTTLS noted, no handshake" \
	jqe '.smtp[0] | (.flags | index("starttls")) and (.flags | index("tls") | not) and .tls_version == null' "$W/notls.json"
expect "SMTP_TLS_EXPIRED: an expired certificate (critical)" expired.smtp.test "SMTP_TLS_EXPIRED:critical"
expect "SMTP_TLS_NAME_MISMATCH: a certificate for another name" other.smtp.test "SMTP_TLS_NAME_MISMATCH:warning"
check "name mismatch: the certificate's names are shown" \
	sh -c "jq -r '.findings[] | select(.code == \"SMTP_TLS_NAME_MISMATCH\") | .message' '$W/other.smtp.test.json' | grep -q 'names other.example.test, not mx-other.smtp.test.'"
expect "SMTP_GREETING_NAME: greets as neither the MX name nor the PTR name (info)" gname.smtp.test "SMTP_GREETING_NAME:info"
expect "SMTP_NO_STARTTLS: no STARTTLS offered" plain.smtp.test "SMTP_NO_STARTTLS:warning"
expect "SMTP_NO_STARTTLS: STARTTLS offered but refused (454)" badtls.smtp.test "SMTP_NO_STARTTLS:warning"
check "STARTTLS refused: status tls_failed, multi-line greeting read whole" \
	jqe '.smtp[0] | .status == "tls_failed" and .code == 220 and (.detail | test("STARTTLS answered 454"))' "$W/badtls.smtp.test.json"
expect "SMTP_GREETING_BAD: a 554 greeting (critical: the only MX host)" greet554.smtp.test "SMTP_GREETING_BAD:critical"
check "554: the code and text are recorded" \
	jqe '.smtp[0] | .code == 554 and .status == "greeting_bad" and (.greeting | test("no service"))' "$W/greet554.smtp.test.json"
expect "SMTP_GREETING_BAD: a silent server times out" silent.smtp.test "SMTP_GREETING_BAD:critical"
check "silent: timeout after the connection, within the reply timeout" \
	jqe '.smtp[0] | .status == "timeout" and .connect_ms > 0 and .total_ms < 2000 and (.detail | test("no greeting within 1000 ms"))' "$W/silent.smtp.test.json"
expect "SMTP_GREETING_BAD: an endless line is cut" endless.smtp.test "SMTP_GREETING_BAD:critical"
check "endless line: cut at 1000 bytes, at once" \
	jqe '.smtp[0] | (.detail | test("longer than 1000 bytes: cut")) and .total_ms < 1000' "$W/endless.smtp.test.json"
expect "SMTP_GREETING_BAD: a flood of continuation lines is cut" flood.smtp.test "SMTP_GREETING_BAD:critical"
check "flood: cut after 64 lines, at once" \
	jqe '.smtp[0] | .status == "protocol" and (.detail | test("more than 64 lines")) and .total_ms < 1000' "$W/flood.smtp.test.json"
expect "SMTP_UNREACHABLE: a closed port, the only MX host (critical)" closed.smtp.test "SMTP_UNREACHABLE:critical"
check "closed port: status refused" test "$(status_of closed.smtp.test 198.18.0.36)" = refused
expect "SMTP_UNREACHABLE: one MX host closed, another fine (warning)" half.smtp.test "SMTP_UNREACHABLE:warning"
check "exit status follows the worst finding: 2 for the 554, 1 for no STARTTLS" \
	test "$(cat "$W/greet554.smtp.test.rc") $(cat "$W/plain.smtp.test.rc")" = "2 1"

# Servers that break the dialogue at each later step.
expect "STARTTLS answered 220, then the server hangs up: SMTP_NO_STARTTLS" tlsdrop.smtp.test "SMTP_NO_STARTTLS:warning"
check "... status tls_failed, and the check ends normally (exit 1, no SIGPIPE)" \
	test "$(status_of tlsdrop.smtp.test 198.18.0.37) $(cat "$W/tlsdrop.smtp.test.rc")" = "tls_failed 1"
expect "QUIT answered with garbage: the dialogue was over, only SMTP_NO_STARTTLS" badquit.smtp.test "SMTP_NO_STARTTLS:warning"
check "... status ok" test "$(status_of badquit.smtp.test 198.18.0.38)" = ok
expect "EHLO answered 421: SMTP_GREETING_BAD" ehlo421.smtp.test "SMTP_GREETING_BAD:critical"
check "... the finding says it greeted with 220 and what broke" \
	sh -c "jq -r '.findings[] | select(.code == \"SMTP_GREETING_BAD\") | .message' '$W/ehlo421.smtp.test.json' | grep -q 'greets with 220 but the SMTP dialogue breaks: EHLO answered 421'"
expect "a server that hangs up before greeting: SMTP_GREETING_BAD" hangup.smtp.test "SMTP_GREETING_BAD:critical"
check "... status closed" test "$(status_of hangup.smtp.test 198.18.0.40)" = closed
check "two MX names on one address: both probed, both ok" \
	jqe '[.smtp[] | select(.addr == "198.18.0.30") | .host + " " + .status] | sort == ["mx-plain.smtp.test. ok", "mx-plain2.smtp.test. ok"]' "$W/twin.smtp.test.json"

# What the scripted servers were sent: EHLO and QUIT, never mail.
# (per connection: plain.smtp.test and twin.smtp.test both reach that server)
per_conn() { smtplab_received "$1" | awk '{ c = $1; $1 = ""; l[c] = l[c] (l[c] == "" ? "" : "|") substr($0, 2) } END { for (c in l) print l[c] }' | sort -u; }
check "no STARTTLS server: each connection sent EHLO probe.lab.test then QUIT" \
	test "$(per_conn "$S/plain")" = "EHLO probe.lab.test|QUIT"
check "... three connections (plain, and twin's two names one after the other)" \
	test "$(smtplab_received "$S/plain" | cut -d' ' -f1 | sort -u | wc -l)" = 3
check "554 server: only QUIT (no EHLO after a 554)" \
	test "$(smtplab_received "$S/554" | cut -d' ' -f2- | paste -sd'|' -)" = "QUIT"
check "STARTTLS-refusing server: EHLO, STARTTLS, QUIT" \
	test "$(smtplab_received "$S/badtls" | cut -d' ' -f2- | paste -sd'|' -)" = "EHLO probe.lab.test|STARTTLS|QUIT"
all=$(for s in plain 554 silent endless flood badtls tlsdrop badquit ehlo421 hangup; do smtplab_received "$S/$s"; done)
check "no server was ever sent MAIL, RCPT or DATA" sh -c "! printf '%s\n' '$all' | grep -qiE ' (MAIL|RCPT|DATA)'"

# Bad arguments.
check "--smtp without --profile mail: exit 3" \
	sh -c "'$BIN/vantage-agent' check ok.smtp.test --smtp --resolver 127.0.20.1 2>/dev/null; test \$? = 3"
check "--helo with a bad name: exit 3 and says so" \
	sh -c "'$BIN/vantage-agent' check ok.smtp.test --profile mail --smtp --helo 'a b' 2>&1 | grep -q -- '--helo wants a host name'"
check "--ca-file that cannot be read: exit 3" \
	sh -c "'$BIN/vantage-agent' check ok.smtp.test --profile mail --smtp --ca-file /nonexistent 2>/dev/null; test \$? = 3"
check "text output lists each address with its status" \
	sh -c "'$BIN/vantage-agent' check half.smtp.test --profile mail --smtp --resolver 127.0.20.1 --ca-file '$ca' | grep -q '^  mx-closed.smtp.test. *198.18.0.36 *refused'"

echo "smtp tests: $pass passed, $fails failed"
[ "$fails" = 0 ]

#!/bin/sh
# shellcheck shell=dash disable=SC2015,SC2016,SC2317 source-path=SCRIPTDIR
# Self-test of the SMTP lab (tests/smtp/smtplab.sh), in a network namespace
# of its own (tests/lab/lab.sh's lab_netns_enter): a test CA, three real
# MTAs (exim4: a valid certificate, an expired one, one for another name)
# and one more inside a second namespace, the scripted servers in every
# mode, a closed port, and two "regions" (namespaces on veth links) of which
# one has outbound port 25 blocked (reject, then drop). Checks each with the
# openssl CLI and a small perl SMTP client, then that nothing is left
# running and nothing was written outside its folder. Takes about 6 s.
#
#   tests/smtp/selftest.sh         (root; SMTPLAB_KEEP=1 keeps the folder)
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC2034 # used by lab.sh
LAB_HOME=$ROOT/tests/lab
# shellcheck source=../lab/lab.sh
. "$LAB_HOME/lab.sh"
# shellcheck source=smtplab.sh
. "$here/smtplab.sh"
# shellcheck source=../lib/harness.sh
. "$ROOT/tests/lib/harness.sh"
lab_netns_enter "$here/selftest.sh" "$@" || exit 1

ms() { date +%s%3N; }
t_start=$(ms)

tmp=$(mktemp -d /tmp/vantage-smtp.XXXXXX) || exit 1
marker=$tmp/.start-marker
: >"$marker"
# find -newer compares with the marker's mtime: let the clock move past it.
sleep 0.01

# --- namespaces: two regions on veth links ------------------------------------------
# lab_netns_enter (LAB_PIDNS=1) gave us a private mount namespace: a tmpfs
# on /run/netns keeps our named namespaces invisible to everyone else, and
# they vanish with the test however it ends. Without one (LAB_PIDNS=0) they
# go to the system's /run/netns and the cleanup deletes them.
if [ -n "${VANTAGE_LAB_MNTNS:-}" ] && [ "$VANTAGE_LAB_MNTNS" = "$(readlink /proc/self/ns/mnt)" ]; then
	mkdir -p /run/netns && mount -n -t tmpfs -o size=1m,mode=0755 smtplab-netns /run/netns || exit 1
fi
OPEN=smtplab-$$-open
BLOCKED=smtplab-$$-blocked
GUARD=smtplab-$$-guard
made_ns=""

cleanup() {
	smtplab_stop_all "$tmp"
	for ns in $made_ns; do
		ip netns del "$ns" 2>/dev/null
	done
	made_ns=""
}
interrupted() {
	echo "smtp selftest: interrupted; folder kept: $tmp" >&2
	exit "$1"
}
trap cleanup EXIT
trap 'interrupted 129' HUP
trap 'interrupted 130' INT
trap 'interrupted 143' TERM

# add_region NS I: namespace NS joined to ours by veth vlsmIa/vlsmIb, ours
# 198.18.1.(4I-3)/30, its 198.18.1.(4I-2)/30, with a route to the servers'
# 198.18.0.0/24 (on our lo) and nothing else: no default route.
add_region() {
	local ns i a b
	ns=$1 i=$2
	a=198.18.1.$((4 * i - 3)) b=198.18.1.$((4 * i - 2))
	ip netns add "$ns" || return 1
	made_ns="$made_ns $ns"
	ip -n "$ns" link set lo up &&
		ip link add "vlsm${i}a" type veth peer name "vlsm${i}b" &&
		ip link set "vlsm${i}b" netns "$ns" &&
		ip addr add "$a/30" dev "vlsm${i}a" && ip link set "vlsm${i}a" up &&
		ip -n "$ns" addr add "$b/30" dev "vlsm${i}b" && ip -n "$ns" link set "vlsm${i}b" up &&
		ip -n "$ns" route add 198.18.0.0/24 via "$a"
}
add_region "$OPEN" 1 || exit 1
add_region "$BLOCKED" 2 || exit 1

# --- helpers ---------------------------------------------------------------------------
# has TEXT PATTERN: a line of TEXT matches the grep -E PATTERN.
has() { printf '%s\n' "$1" | grep -q -E -e "$2"; }

# expect NAME OUTPUT PATTERN...: every pattern is in OUTPUT.
expect() {
	local nm out p
	nm=$1 out=$2
	shift 2
	for p in "$@"; do
		if ! has "$out" "$p"; then
			bad "$nm: no '$p' in:"
			printf '%s\n' "$out" | sed 's/^/    /'
			return 1
		fi
	done
	ok "$nm"
}

# expect_not NAME OUTPUT PATTERN: PATTERN is not in OUTPUT.
expect_not() {
	if has "$2" "$3"; then
		bad "$1: '$3' in:"
		printf '%s\n' "$2" | sed 's/^/    /'
		return 1
	fi
	ok "$1"
}

# The SMTP client: connect, read the greeting (at most 100 lines of at most
# 1000 bytes, TIMEOUT seconds for each reply), EHLO probe.example.test, then
# STARTTLS (with "starttls") or MAIL FROM (with "mail", to prove the logs
# would catch it), QUIT. With "hold" it waits TIMEOUT seconds before EHLO. Prints one line per step:
#   connect ok|refused|timeout|unreachable|error TEXT
#   greeting CODE|timeout|closed|toolong|toomany|bad LINES BYTES FIRST-LINE
#   ehlo CODE CAP,CAP,...    starttls CODE    mail CODE    quit CODE
CLIENT='
use strict; use warnings;
use IO::Socket::IP; use IO::Select; use Time::HiRes qw(time);
use Errno qw(ECONNREFUSED ETIMEDOUT ENETUNREACH EHOSTUNREACH);
my ($addr, $port, $tmo, $extra) = @ARGV; $extra //= "";
my $s = IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port, Timeout => $tmo);
if (!$s) {
	my $e = $!; my $t = "$e $@";
	print "connect ", ($e == ECONNREFUSED ? "refused" : ($e == ETIMEDOUT || $t =~ /timed? ?out/i) ? "timeout"
		: ($e == ENETUNREACH || $e == EHOSTUNREACH) ? "unreachable" : "error $t"), "\n";
	exit 0;
}
print "connect ok\n";
my ($buf, $bytes) = ("", 0);
sub reply {
	my $deadline = time + $tmo; my @lines;
	while (1) {
		while ($buf =~ s/^([^\n]*)\n//) {
			my $l = $1; $l =~ s/\r$//; push(@lines, $l);
			return ("toomany", @lines) if @lines > 100;
			return ("toolong", @lines) if length($l) > 1000;
			return ($1, @lines) if $l =~ /^(\d{3})(?: |$)/;
			return ("bad", @lines) if $l !~ /^\d{3}-/;
		}
		return ("toolong", @lines) if length($buf) > 1000;
		my $left = $deadline - time;
		return ("timeout", @lines) if $left <= 0 || !IO::Select->new($s)->can_read($left);
		my $n = sysread($s, my $b, 4096);
		return ("closed", @lines) if !$n;
		$buf .= $b; $bytes += $n;
	}
}
sub cmd { my ($c, $tag) = @_; print $s "$c\r\n"; my ($code, @l) = reply(); print "$tag $code\n"; return ($code, @l) }
my ($code, @l) = reply();
printf("greeting %s %d %d %s\n", $code, scalar(@l), $bytes, substr($l[0] // "", 0, 80));
if ($code eq "554") { cmd("QUIT", "quit"); exit 0 }
exit 0 unless $code eq "220";
select(undef, undef, undef, $tmo) if $extra eq "hold";
print $s "EHLO probe.example.test\r\n";
($code, @l) = reply();
shift(@l);
print "ehlo $code ", join(",", map { substr($_, 4) } @l), "\n";
cmd("STARTTLS", "starttls") if $extra eq "starttls";
cmd("MAIL FROM:<probe\@example.test>", "mail") if $extra eq "mail";
cmd("QUIT", "quit");
'
printf '%s\n' "$CLIENT" >"$tmp/client.pl"
# cli NETNS ADDR TIMEOUT [starttls|mail|hold]: the client, from NETNS ("" = here).
cli() {
	local ns
	ns=$1
	shift
	_smtplab_in_ns "$ns" perl "$tmp/client.pl" "$1" "$SMTPLAB_PORT" "$2" "${3:-}" 2>&1
}

# tls NETNS ADDR OPENSSL-ARGS...: openssl s_client STARTTLS, verifying
# against the test CA; prints its output, then "rc N".
tls() {
	local ns a
	ns=$1 a=$2
	shift 2
	_smtplab_in_ns "$ns" timeout 10 openssl s_client -starttls smtp -name probe.example.test \
		-connect "$a:$SMTPLAB_PORT" -CAfile "$CA" -verify_return_error -brief "$@" </dev/null 2>&1
	echo "rc $?"
}

# --- the namespace ----------------------------------------------------------------------
out=$(cli "" 203.0.113.1 2)
expect "no route out of our namespace (a leak fails at once)" "$out" "^connect unreachable"
for ns in "" "$OPEN" "$BLOCKED"; do
	r=$(_smtplab_in_ns "$ns" ip route show default)$(_smtplab_in_ns "$ns" ip -6 route show default)
	[ -z "$r" ] && ok "no default route in ${ns:-our namespace}" || bad "default route in ${ns:-our namespace}: $r"
done

# --- test CA and certificates -----------------------------------------------------------------
t0=$(ms)
CA=$(smtplab_ca "$tmp/pki") || exit 1
# shellcheck disable=SC2046
{
	set -- $(smtplab_cert "$tmp/pki" mx-good.example.test) && GOOD_CRT=$1 GOOD_KEY=$2 &&
		set -- $(smtplab_cert "$tmp/pki" mx-old.example.test expired) && OLD_CRT=$1 OLD_KEY=$2 &&
		set -- $(smtplab_cert "$tmp/pki" other.example.test) && OTHER_CRT=$1 OTHER_KEY=$2 &&
		set -- $(smtplab_cert "$tmp/pki" mx-open.example.test,mx.example.test) && OPEN_CRT=$1 OPEN_KEY=$2
} || {
	bad "smtplab_ca / smtplab_cert"
	exit 1
}
ok "test CA and 4 certificates in $(($(ms) - t0)) ms"
check "CA is a CA (basicConstraints CA:TRUE)" sh -c "openssl x509 -in '$CA' -noout -ext basicConstraints | grep -q 'CA:TRUE'"
expect "valid certificate verifies against the CA" "$(openssl verify -CAfile "$CA" "$GOOD_CRT" 2>&1)" ": OK$"
expect "valid certificate: subjectAltName DNS:mx-good.example.test" \
	"$(openssl x509 -in "$GOOD_CRT" -noout -ext subjectAltName)" "^ *DNS:mx-good.example.test$"
check "valid certificate: notAfter in the future" sh -c "openssl x509 -in '$GOOD_CRT' -noout -checkend 86400 >/dev/null"
check "expired certificate: notAfter in the past" sh -c "! openssl x509 -in '$OLD_CRT' -noout -checkend 0 >/dev/null"
expect "expired certificate: openssl verify says expired" "$(openssl verify -CAfile "$CA" "$OLD_CRT" 2>&1)" "certificate has expired"
expect "two names in one certificate" "$(openssl x509 -in "$OPEN_CRT" -noout -ext subjectAltName)" \
	"DNS:mx-open.example.test, DNS:mx.example.test"
if smtplab_cert "$tmp/pki" 'bad name' 2>/dev/null; then bad "smtplab_cert accepts a bad name"; else ok "smtplab_cert refuses a bad name"; fi

# --- servers ----------------------------------------------------------------------------------
t0=$(ms)
smtplab_mta_start "$tmp/mx-good" "" 198.18.0.10 mx-good.example.test "$GOOD_CRT" "$GOOD_KEY" &&
	smtplab_mta_start "$tmp/mx-old" "" 198.18.0.11 mx-old.example.test "$OLD_CRT" "$OLD_KEY" &&
	smtplab_mta_start "$tmp/mx-other" "" 198.18.0.12 mx-other.example.test "$OTHER_CRT" "$OTHER_KEY" &&
	ok "3 MTAs started in $(($(ms) - t0)) ms" || bad "MTAs did not start"
t0=$(ms)
smtplab_mta_start "$tmp/mx-open" "$OPEN" 198.18.2.10 mx-open.example.test "$OPEN_CRT" "$OPEN_KEY" &&
	ok "MTA inside namespace $OPEN started in $(($(ms) - t0)) ms" || bad "MTA in $OPEN did not start"
t0=$(ms)
i=20
for mode in nostarttls 554 silent endless flood multiline close; do
	smtplab_script_start "$tmp/s-$mode" "" "198.18.0.$i" "$mode" "mx-$mode.example.test" || bad "script $mode did not start"
	i=$((i + 1))
done
smtplab_script_start "$tmp/s-open" "$OPEN" 198.18.2.20 nostarttls || bad "script in $OPEN did not start"
ok "8 scripted servers started in $(($(ms) - t0)) ms"
ip addr add 198.18.0.30/32 dev lo # a closed port: an address, nothing listening

if smtplab_mta_start "$tmp/mx-dup" "" 198.18.0.10 dup.example.test "$GOOD_CRT" "$GOOD_KEY" 2>/dev/null; then
	bad "a second MTA on a taken address started"
else
	ok "a second server on a taken address is refused"
fi
if smtplab_script_start "$tmp/s-554" "" 198.18.0.40 554 2>/dev/null; then
	bad "a second server in a folder in use started"
else
	ok "a second server in a folder in use is refused"
fi
if smtplab_mta_start "$tmp/mx-mism" "" 198.18.0.13 mx-mism.example.test "$GOOD_CRT" "$OTHER_KEY" 2>/dev/null; then
	bad "an MTA with a key that does not match its certificate started"
else
	ok "a key that does not match its certificate is refused"
fi
# ... unless asked for: a real MTA that offers STARTTLS and answers it 454.
(SMTPLAB_TLS_CHECK=0 && smtplab_mta_start "$tmp/mx-mism" "" 198.18.0.13 mx-mism.example.test "$GOOD_CRT" "$OTHER_KEY") &&
	ok "SMTPLAB_TLS_CHECK=0: MTA with a mismatched key started" || bad "SMTPLAB_TLS_CHECK=0: MTA did not start"

# Each server listens on its own address only.
lst=$(ss -Hltnp | awk '/"exim4"/ { print $4 }' | sort | tr '\n' ' ')
[ "$lst" = "198.18.0.10:25 198.18.0.11:25 198.18.0.12:25 198.18.0.13:25 " ] && ok "exim listens on its 4 addresses only" ||
	bad "exim listens on: $lst"
lst=$(ss -Hltnp | awk '/"perl"/ { print $4 }' | sort | tr '\n' ' ')
[ "$lst" = "198.18.0.20:25 198.18.0.21:25 198.18.0.22:25 198.18.0.23:25 198.18.0.24:25 198.18.0.25:25 198.18.0.26:25 " ] &&
	ok "scripted servers listen on their 7 addresses only" || bad "perl listens on: $lst"
lst=$(ip netns exec "$OPEN" ss -Hltn | awk '{ print $4 }' | sort | tr '\n' ' ')
[ "$lst" = "198.18.2.10:25 198.18.2.20:25 " ] && ok "in $OPEN: exim and a script, on their addresses only" ||
	bad "in $OPEN, listening: $lst"
out=$(cli "" 127.0.0.1 1)
expect "nothing on 127.0.0.1:25" "$out" "^connect refused"

# --- blocked region, part 1: drop (a timeout: runs while the rest is checked) -------------
out=$(cli "$BLOCKED" 198.18.0.20 2)
expect "region $BLOCKED reaches an MX before the block" "$out" "^greeting 220 " "^quit 221"
smtplab_block25 "$BLOCKED" drop && ok "smtplab_block25 drop" || bad "smtplab_block25 drop"
(
	t=$(ms)
	o=$(cli "$BLOCKED" 198.18.0.20 1)
	echo "$(($(ms) - t)) $o" | tr '\n' ' '
) >"$tmp/drop.out" &
drop_job=$!
# A silent server: the client's greeting timeout, two clients at once (also
# in the background).
silent_jobs=""
for i in 1 2; do
	(
		t=$(ms)
		o=$(cli "" 198.18.0.22 1)
		echo "$(($(ms) - t)) $o" | tr '\n' ' '
	) >"$tmp/silent.$i" &
	silent_jobs="$silent_jobs $!"
done

# --- the real MTAs ----------------------------------------------------------------------------
out=$(cli "" 198.18.0.10 2)
expect "MTA: 220 greeting as mx-good.example.test" "$out" "^greeting 220 1 [0-9]+ 220 mx-good.example.test ESMTP Exim"
expect "MTA: EHLO offers STARTTLS and SIZE" "$out" "^ehlo 250 .*SIZE 10485760" "^ehlo 250 .*STARTTLS" "^quit 221"
out=$(tls "" 198.18.0.10 -verify_hostname mx-good.example.test)
expect "MTA healthy: STARTTLS, TLS 1.3, chain and name verified" "$out" "^rc 0$" "Verification: OK" \
	"Verified peername: mx-good.example.test" "Protocol version: TLSv1.3"
out=$(tls "" 198.18.0.10 -verify_hostname mx-good.example.test -tls1_2)
expect "MTA healthy: TLS 1.2 too" "$out" "^rc 0$" "Protocol version: TLSv1.2"
# A refused handshake costs openssl s_client 0.5 s (it waits for the server
# to close after its alert): these two run side by side.
tls "" 198.18.0.11 -verify_hostname mx-old.example.test >"$tmp/tls-old.out" &
tls_old=$!
tls "" 198.18.0.12 -verify_hostname mx-other.example.test >"$tmp/tls-other.out" &
tls_other=$!
wait "$tls_old"
expect "MTA expired: handshake refused by the client, certificate has expired" "$(cat "$tmp/tls-old.out")" \
	"certificate has expired" "^rc [1-9]"
out=$(_smtplab_in_ns "" openssl s_client -starttls smtp -connect 198.18.0.11:25 -showcerts </dev/null 2>/dev/null |
	openssl x509 -noout -enddate -checkend 0 2>&1)
expect "MTA expired: the certificate it serves has notAfter in the past" "$out" "^notAfter=" "will expire"
wait "$tls_other"
expect "MTA other name: hostname mismatch" "$(cat "$tmp/tls-other.out")" "hostname mismatch" "^rc [1-9]"
out=$(tls "" 198.18.0.12)
expect "MTA other name: the chain itself verifies" "$out" "^rc 0$" "Peer certificate: CN = other.example.test"
out=$(tls "$OPEN" 198.18.2.10 -verify_hostname mx.example.test)
expect "MTA inside $OPEN: STARTTLS verified (second name)" "$out" "^rc 0$" "Verified peername: mx.example.test"
out=$(cli "" 198.18.2.10 1)
expect "MTA inside $OPEN is not reachable from here" "$out" "^connect unreachable"
out=$(cli "" 198.18.0.13 2 starttls)
expect "MTA with a mismatched key: STARTTLS offered, answered 454" "$out" "^ehlo 250 .*STARTTLS" "^starttls 454" "^quit 221"
out=$(cli "" 198.18.0.10 2 mail)
expect "MTA refuses MAIL" "$out" "^mail 550"
log=$(cat "$tmp/mx-good/log/mainlog")
expect "MTA log: connections, QUIT, TLS and the refused MAIL" "$log" \
	"daemon started: pid=[0-9]+, no queue runs, listening for SMTP on \[198.18.0.10\]:25" \
	"closed by QUIT" "X=TLS1.3:" "X=TLS1.2:" "rejected MAIL <probe@example.test>"

# --- scripted servers ----------------------------------------------------------------------------
out=$(cli "" 198.18.0.20 2 starttls)
expect "nostarttls: 220, SIZE offered, no STARTTLS" "$out" "^greeting 220 1 " "^ehlo 250 SIZE 10240000,PIPELINING,8BITMIME$" \
	"^starttls 502" "^quit 221"
rcv=$(smtplab_received "$tmp/s-nostarttls")
expect "nostarttls: log has EHLO probe.example.test, STARTTLS and QUIT" "$rcv" \
	"^[0-9]+ EHLO probe.example.test$" "^[0-9]+ STARTTLS$" "^[0-9]+ QUIT$"
expect_not "nostarttls: log has no MAIL, RCPT or DATA" "$rcv" "^[0-9]+ (MAIL|RCPT|DATA)"

out=$(cli "" 198.18.0.21 2)
expect "554: greeting 554 5.3.2, QUIT answered 221" "$out" "^greeting 554 1 [0-9]+ 554 5.3.2 no service" "^quit 221"
expect "554: the log has QUIT" "$(smtplab_received "$tmp/s-554")" "^1 QUIT$"

t=$(ms)
out=$(cli "" 198.18.0.23 3)
el=$(($(ms) - t))
expect "endless: a greeting line without end (client gives up at 1000 bytes, $el ms)" "$out" "^greeting toolong 0 "
[ "$el" -lt 1500 ] && ok "endless: noticed in $el ms" || bad "endless: took $el ms"

t=$(ms)
out=$(cli "" 198.18.0.24 3)
el=$(($(ms) - t))
expect "flood: 220- lines for ever (client gives up after 100, $el ms)" "$out" "^greeting toomany 101 [0-9]+ 220-mx-flood.example.test flood line 1$"

out=$(cli "" 198.18.0.25 2 starttls)
expect "multiline: 3-line 220 greeting, STARTTLS offered, answered 454" "$out" \
	"^greeting 220 3 " "^ehlo 250 SIZE 10240000,PIPELINING,8BITMIME,STARTTLS$" "^starttls 454" "^quit 221"

out=$(cli "" 198.18.0.26 2)
expect "close: connection closed without a greeting" "$out" "^greeting closed 0 0"

out=$(cli "" 198.18.0.30 2)
expect "closed port: connection refused" "$out" "^connect refused"

out=$(cli "$OPEN" 198.18.2.20 2)
expect "scripted server inside $OPEN" "$out" "^greeting 220 " "^quit 221"

# A fork per connection: while one client holds a connection to multiline
# open (1 s between greeting and EHLO), three more are served at once.
cli "" 198.18.0.25 1 hold >"$tmp/multi.held" &
held=$!
sleep 0.1
t=$(ms)
mpids=""
for i in 1 2 3; do
	cli "" 198.18.0.25 2 >"$tmp/multi.$i" &
	mpids="$mpids $!"
done
# shellcheck disable=SC2086
wait $mpids
el=$(($(ms) - t))
n_ok=$(cat "$tmp"/multi.[0-9] | grep -c '^quit 221')
if [ "$n_ok" = 3 ] && lab_alive "$held"; then
	ok "multiline: 3 clients served at once in $el ms while a fourth holds its connection"
else
	bad "multiline: $n_ok of 3 clients served in $el ms, held client alive: $(lab_alive "$held" && echo yes || echo no)"
fi
wait "$held"
expect "multiline: the held client is served too" "$(cat "$tmp/multi.held")" "^greeting 220 3 " "^quit 221"
wait_for 5 sh -c "[ \$(grep -c ' close after QUIT' '$tmp/s-multiline/smtp.log') -ge 5 ]"
rcv=$(smtplab_received "$tmp/s-multiline")
[ "$(printf '%s\n' "$rcv" | grep -c 'EHLO probe.example.test$')" = 5 ] &&
	[ "$(printf '%s\n' "$rcv" | grep -c ' QUIT$')" = 5 ] && ok "multiline log: 5 connections, each EHLO and QUIT" ||
	bad "multiline log: $rcv"

out=$(cli "" 198.18.0.20 2 mail)
rcv=$(smtplab_received "$tmp/s-nostarttls")
expect "the log catches a client that sends MAIL" "$rcv" "^[0-9]+ MAIL FROM:<probe@example.test>$"

# --- the timeouts that ran in the background ---------------------------------------------------
# shellcheck disable=SC2086
wait $silent_jobs
for i in 1 2; do
	read -r el rest <"$tmp/silent.$i"
	if has "$rest" "^connect ok greeting timeout 0 0" && [ "$el" -ge 900 ] && [ "$el" -lt 2500 ]; then
		ok "silent: greeting timed out after $el ms (client $i)"
	else
		bad "silent: $(cat "$tmp/silent.$i")"
	fi
done
[ "$(grep -c ' connect ' "$tmp/s-silent/smtp.log")" = 2 ] && ok "silent: took 2 connections at once" ||
	bad "silent log: $(cat "$tmp/s-silent/smtp.log")"

wait "$drop_job"
read -r el rest <"$tmp/drop.out"
if has "$rest" "^connect timeout" && [ "$el" -ge 900 ] && [ "$el" -lt 2500 ]; then
	ok "blocked (drop): connect timed out after $el ms"
else
	bad "blocked (drop): $(cat "$tmp/drop.out")"
fi

# --- blocked region, part 2: reject, the other region, unblock -----------------------------------
out=$(cli "$OPEN" 198.18.0.20 2)
expect "region $OPEN still reaches the MX (drop in $BLOCKED)" "$out" "^greeting 220 " "^quit 221"
smtplab_block25 "$BLOCKED" reject && ok "smtplab_block25 reject (replaces drop)" || bad "smtplab_block25 reject"
t=$(ms)
out=$(cli "$BLOCKED" 198.18.0.20 2)
el=$(($(ms) - t))
expect "blocked (reject): connection refused" "$out" "^connect refused"
[ "$el" -lt 500 ] && ok "blocked (reject): refused at once ($el ms)" || bad "blocked (reject): took $el ms"
out=$(cli "$BLOCKED" 198.18.0.10 2)
expect "blocked (reject): the MTA too" "$out" "^connect refused"
out=$(cli "$OPEN" 198.18.0.10 2)
expect "region $OPEN still reaches the MTA (reject in $BLOCKED)" "$out" "^greeting 220 " "^quit 221"
out=$(tls "$OPEN" 198.18.0.10 -verify_hostname mx-good.example.test)
expect "region $OPEN: STARTTLS to the MTA over the veth" "$out" "^rc 0$" "Verification: OK"
out=$(ip netns exec "$BLOCKED" nft list table inet smtplab)
expect "the rule counted the blocked packets" "$out" "tcp dport 25 counter packets [1-9][0-9]* bytes [0-9]+ reject with tcp reset"
out=$(nft list tables 2>&1; ip netns exec "$OPEN" nft list tables 2>&1)
[ -z "$out" ] && ok "no firewall rule outside $BLOCKED" || bad "rules elsewhere: $out"
smtplab_unblock25 "$BLOCKED" && ok "smtplab_unblock25" || bad "smtplab_unblock25"
out=$(cli "$BLOCKED" 198.18.0.20 2)
expect "unblocked: region $BLOCKED reaches the MX again" "$out" "^greeting 220 " "^quit 221"
smtplab_unblock25 "$BLOCKED" && ok "smtplab_unblock25 twice is harmless" || bad "second smtplab_unblock25"

# --- the guard: never in a namespace with a way out ---------------------------------------------
# A namespace with a default route (over a veth whose both ends it holds:
# nothing can leave it), which the functions must refuse.
ip netns add "$GUARD" && made_ns="$made_ns $GUARD" &&
	ip -n "$GUARD" link add vlsmg0 type veth peer name vlsmg1 &&
	ip -n "$GUARD" addr add 10.255.0.1/24 dev vlsmg0 && ip -n "$GUARD" link set vlsmg0 up && ip -n "$GUARD" link set vlsmg1 up &&
	ip -n "$GUARD" route add default via 10.255.0.254
if smtplab_script_start "$tmp/s-guard" "$GUARD" 10.255.0.1 nostarttls 2>/dev/null; then
	bad "smtplab_script_start ran in a namespace with a default route"
else
	ok "smtplab_script_start refuses a namespace with a default route"
fi
if smtplab_block25 "$GUARD" reject 2>/dev/null; then
	bad "smtplab_block25 changed a namespace with a default route"
else
	ok "smtplab_block25 refuses a namespace with a default route"
fi
if smtplab_mta_start "$tmp/mx-nons" nosuch-netns 198.18.0.50 x.example.test 2>/dev/null; then
	bad "smtplab_mta_start in a namespace that does not exist"
else
	ok "smtplab_mta_start refuses a namespace that does not exist"
fi

# --- stop ----------------------------------------------------------------------------------------
nproc=$(smtplab_procs "$tmp" | wc -l)
[ "$nproc" -ge 10 ] && ok "$nproc server processes while running" || bad "only $nproc server processes"
t0=$(ms)
smtplab_mta_stop "$tmp/mx-old" && smtplab_script_stop "$tmp/s-flood" &&
	ok "smtplab_mta_stop and smtplab_script_stop ($(($(ms) - t0)) ms)" || bad "stopping one server"
out=$(cli "" 198.18.0.11 1)
expect "a stopped MTA's port is closed" "$out" "^connect refused"
t0=$(ms)
smtplab_stop_all "$tmp" && ok "smtplab_stop_all in $(($(ms) - t0)) ms" || bad "smtplab_stop_all"
left=$(smtplab_procs "$tmp")
[ -z "$left" ] && ok "no server process left" || bad "left: $left"
# In our own PID namespace (LAB_PIDNS=1) no exim at all may be left; in the
# host's, other exims may run: only ours count.
set -- "*$tmp*"
[ -n "${VANTAGE_LAB_MNTNS:-}" ] && set -- "$@" 'exim*' '*/exim*'
left=$(vt_running "$@")
[ -z "$left" ] && ok "no exim and nothing naming $tmp left running" || bad "still running:$left"
lst=$(ss -Hltn; ip netns exec "$OPEN" ss -Hltn; ip netns exec "$BLOCKED" ss -Hltn)
[ -z "$lst" ] && ok "no listening socket left in any namespace" || bad "listening: $lst"
smtplab_stop_all "$tmp" && ok "smtplab_stop_all twice is harmless" || bad "second smtplab_stop_all"
cleanup
! ip netns list 2>/dev/null | grep -q "smtplab-$$-" && ok "namespaces deleted" || bad "namespaces left"

# Files written since the start outside our folder, where exim or nft would
# write by default (other programs on the machine may write elsewhere at the
# same time, so this looks only at their places and names; other vantage
# tests, this one too, may run at the same time in /tmp/vantage-*).
newer=$(
	find /etc/exim4 /var/spool/exim4 /var/log/exim4 /var/lib/exim4 /var/mail /run \
		-xdev -newer "$marker" ! -type d ! -path '/run/netns/*' 2>/dev/null
	find /etc /var/log /var/spool /root -maxdepth 3 -xdev -newer "$marker" ! -type d \
		\( -name '*exim*' -o -name '*smtplab*' -o -name '*nft*' -o -name '.rnd' \
		-o -name '*.pem' -o -name '*.crt' -o -name '*.key' \) 2>/dev/null
	find /tmp -maxdepth 3 -xdev -newer "$marker" ! -type d \( -name '*exim*' -o -name '*smtplab*' \) \
		! -path "$tmp/*" ! -path '/tmp/vantage-*/*' 2>/dev/null
)
[ -z "$newer" ] && ok "nothing written outside $tmp" || bad "written outside $tmp: $(echo "$newer" | tr '\n' ' ')"

echo "smtp selftest: $pass passed, $fails failed in $(($(ms) - t_start)) ms"
if [ "$fails" -ne 0 ]; then
	echo "smtp selftest: folder kept: $tmp" >&2
	exit 1
fi
trap - EXIT
[ "${SMTPLAB_KEEP:-0}" = 1 ] && echo "folder kept: $tmp" || rm -rf "$tmp"
exit 0

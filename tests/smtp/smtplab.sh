#!/bin/sh
# shellcheck shell=dash disable=SC2015,SC2016
# vantage SMTP lab: mail servers on lab addresses for the SMTP probe's tests.
# A real MTA (exim4, its own instance and configuration per server) with
# certificates from a test CA made on the spot, scripted servers (perl) that
# misbehave in chosen ways, and a firewall rule (nftables) that blocks
# outbound port 25 in a namespace. See tests/smtp/README.md.
#
#   . tests/lab/lab.sh            # first: smtplab uses its process helpers
#   . tests/smtp/smtplab.sh       # a library of smtplab_* functions (sh, bash)
#
# Needs: exim4 (exim4-daemon-light), openssl, nft (nftables), ip and ss
# (iproute2), perl (perl-base: IO::Socket::IP, IO::Select, POSIX). Root.
#
# Every server runs in a network namespace that has no way out (no default
# route; SMTPLAB_ALLOW_ANY_NETNS=1 turns the check off, never do that on a
# connected host) and listens on its own address only. Functions return
# non-zero with a message on stderr; they never exit the caller, and work
# with or without `set -eu` in the caller. Written for POSIX sh plus `local`.
#
# Layout: one folder per server (DIR). Everything a server writes is in it:
#   DIR/smtplab.pid   the server's pid (what the stop functions use)
#   DIR/stderr        the server's stdout and stderr
#   exim:   DIR/exim.conf, DIR/log/mainlog (and paniclog), DIR/spool/
#   script: DIR/server.pl (the server), DIR/smtp.log (every line received
#           and sent, see smtplab_script_start)

# lab.sh's lab_alive, lab_cmdline and lab_kill_wait (and a few of its
# small helpers) serve here too: source lab.sh first.
if ! command -v lab_kill_wait >/dev/null 2>&1; then
	echo "smtplab: source tests/lab/lab.sh before smtplab.sh (it uses lab.sh's process helpers)" >&2
	# shellcheck disable=SC2317 # exit: when run, not sourced
	return 1 2>/dev/null || exit 1
fi

# Seconds to wait for a server to start or stop (lab.sh's LAB_TIMEOUT unless set).
: "${SMTPLAB_TIMEOUT:=$LAB_TIMEOUT}"
# The SMTP port servers listen on and smtplab_block25 blocks.
: "${SMTPLAB_PORT:=25}"
# Seconds a scripted server's connection may last before the server drops it
# (so a client that never closes cannot keep a process alive for ever).
: "${SMTPLAB_CONN_MAX:=60}"
# Key type for smtplab_ca and smtplab_cert: ec (P-256, fast) or rsa (2048).
: "${SMTPLAB_KEYTYPE:=ec}"

# --- small helpers ---------------------------------------------------------

_smtplab_err() {
	echo "smtplab: $*" >&2
	return 1
}

# _smtplab_mkdir DIR: create DIR (and parents) and print its absolute path;
# paths with white space are refused (they end up in configuration files).
_smtplab_mkdir() {
	local d
	[ -n "$1" ] || {
		_smtplab_err "no folder given"
		return 1
	}
	mkdir -p "$1" || return 1
	d=$(_lab_absdir "$1") || return 1
	case $d in *[[:space:]]*)
		_smtplab_err "folder path must not contain white space: $d"
		return 1
		;;
	esac
	echo "$d"
}

# _smtplab_check_addr ADDR: an IPv4 or IPv6 literal, nothing else.
_smtplab_check_addr() {
	case $1 in
	"" | *[!0-9a-fA-F.:]*)
		_smtplab_err "not an IP address: '$1'"
		return 1
		;;
	esac
	return 0
}

# _smtplab_check_name NAME: a host name (letters, digits, '-', '.'; a leading
# '*.' for a wildcard certificate name).
_smtplab_check_name() {
	case ${1#\*.} in
	"" | *[!A-Za-z0-9.-]*)
		_smtplab_err "not a host name: '$1'"
		return 1
		;;
	esac
	return 0
}

# _smtplab_in_ns NETNS CMD...: run CMD in the named namespace ("" is this one).
_smtplab_in_ns() {
	local ns
	ns=$1
	shift
	if [ -z "$ns" ]; then
		"$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# _smtplab_ns_safe NETNS: the namespace exists and has no default route, so
# nothing started in it, and no rule changed in it, can touch the world.
_smtplab_ns_safe() {
	local ns r
	ns=$1
	if [ -n "$ns" ] && ! ip netns exec "$ns" true 2>/dev/null; then
		_smtplab_err "no network namespace '$ns' (ip netns list: $(ip netns list 2>/dev/null | awk '{ print $1 }' | tr '\n' ' '))"
		return 1
	fi
	[ "${SMTPLAB_ALLOW_ANY_NETNS:-0}" = 1 ] && return 0
	r=$(_smtplab_in_ns "$ns" ip route show default 2>/dev/null)$(_smtplab_in_ns "$ns" ip -6 route show default 2>/dev/null)
	if [ -n "$r" ]; then
		_smtplab_err "refusing: network namespace ${ns:-(this one)} has a default route; use a lab namespace (lab_netns_enter, ip netns add)"
		return 1
	fi
	return 0
}

# _smtplab_ensure_addr NETNS ADDR: lo is up in the namespace and ADDR is one
# of its addresses (added to lo if not: ADDR/32 or ADDR/128; 127.0.0.0/8 and
# ::1 always are).
_smtplab_ensure_addr() {
	local ns a
	ns=$1 a=$2
	_smtplab_in_ns "$ns" ip link set lo up || return 1
	case $a in 127.* | ::1) return 0 ;; esac
	_smtplab_has_addr "$ns" "$a" && return 0
	if _lab_is_ipv6 "$a"; then
		_smtplab_in_ns "$ns" ip -6 addr add "$a/128" dev lo nodad 2>/dev/null
	else
		_smtplab_in_ns "$ns" ip addr add "$a/32" dev lo 2>/dev/null
	fi
	# "File exists" (added meanwhile, or on another interface) is fine too.
	_smtplab_has_addr "$ns" "$a" || {
		_smtplab_err "cannot add address $a in namespace ${ns:-(this one)}"
		return 1
	}
}

_smtplab_has_addr() {
	_smtplab_in_ns "$1" ip -o addr show 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4 }' |
		grep -qixF "$2"
}

# _smtplab_listening NETNS ADDR PORT: something listens on ADDR:PORT there.
_smtplab_listening() {
	local want
	if _lab_is_ipv6 "$2"; then want="[$2]:$3"; else want="$2:$3"; fi
	_smtplab_in_ns "$1" ss -Hltn 2>/dev/null | awk -v w="$want" '$4 == w { f = 1 } END { exit !f }'
}

# _smtplab_pid DIR: the running server's pid, else fail. The pid must still
# belong to a process whose command line names DIR (pids get reused).
_smtplab_pid() {
	local p
	p=$(head -n 1 "$1/smtplab.pid" 2>/dev/null | tr -cd '0-9')
	lab_alive "$p" || return 1
	case $(lab_cmdline "$p") in
	*"$1/"*) echo "$p" ;;
	*) return 1 ;;
	esac
}

# _smtplab_procs DIR: every exim, or perl running a server.pl, with DIR/ on
# its command line (a server and the children it forked for connections),
# one a line.
_smtplab_procs() {
	local p c comm
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] && continue
		# The name first (a shell builtin read): no process spawned for the
		# hundreds of other processes a host may run.
		comm=""
		read -r comm 2>/dev/null <"/proc/$p/comm" || continue
		case $comm in exim4 | exim | perl) ;; *) continue ;; esac
		c=$(lab_cmdline "$p")
		case $c in
		*"$1/"*) ;;
		*) continue ;;
		esac
		case ${c%% *} in
		exim4 | exim | */exim4 | */exim) ;;
		perl | */perl) case $c in *"/server.pl "*) ;; *) continue ;; esac ;;
		*) continue ;;
		esac
		lab_alive "$p" && echo "$p"
	done
	return 0
}

# _smtplab_kill_wait PID...: lab_kill_wait, waiting up to SMTPLAB_TIMEOUT s.
_smtplab_kill_wait() {
	local LAB_TIMEOUT
	LAB_TIMEOUT=$SMTPLAB_TIMEOUT
	lab_kill_wait "$@"
}

# _smtplab_stop_dir DIR: stop the server of DIR (pid file first, so it can
# end its children itself, then any straggler) and wait until all are gone.
_smtplab_stop_dir() {
	local d p rc
	d=$(_lab_absdir "$1") || return 0
	rc=0
	if p=$(_smtplab_pid "$d"); then
		_smtplab_kill_wait "$p" || rc=1
	fi
	# shellcheck disable=SC2046
	_smtplab_kill_wait $(_smtplab_procs "$d") || rc=1
	rm -f "$d/smtplab.pid"
	return $rc
}

# _smtplab_prepare DIR NETNS ADDR: checks shared by the start functions;
# prints DIR's absolute path.
_smtplab_prepare() {
	local d
	_smtplab_check_addr "$3" || return 1
	d=$(_smtplab_mkdir "$1") || return 1
	if _smtplab_pid "$d" >/dev/null; then
		_smtplab_err "$d: a server is running there already (stop it first)"
		return 1
	fi
	_smtplab_ns_safe "$2" || return 1
	_smtplab_ensure_addr "$2" "$3" || return 1
	if _smtplab_listening "$2" "$3" "$SMTPLAB_PORT"; then
		_smtplab_err "$3 port $SMTPLAB_PORT is in use in namespace ${2:-(this one)}"
		return 1
	fi
	echo "$d"
}

# --- test CA and certificates -------------------------------------------------

_smtplab_date() { # _smtplab_date SECONDS-FROM-NOW: an openssl ca date
	date -u -d "@$(($(date +%s) + $1))" +%Y%m%d%H%M%SZ
}

_smtplab_newkey() { # openssl -newkey arguments for SMTPLAB_KEYTYPE
	case $SMTPLAB_KEYTYPE in
	ec) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	rsa) echo "-newkey rsa:2048" ;;
	*)
		_smtplab_err "SMTPLAB_KEYTYPE must be ec or rsa, not '$SMTPLAB_KEYTYPE'"
		return 1
		;;
	esac
}

# smtplab_ca DIR: a new test CA in DIR (ca.crt, ca.key, and the `openssl ca`
# database: ca.cnf, index.txt, serial, newcerts/). Prints the path of
# ca.crt, the file a client trusts (-CAfile).
smtplab_ca() {
	local d nk
	d=$(_smtplab_mkdir "${1:-}") || return 1
	nk=$(_smtplab_newkey) || return 1
	mkdir -p "$d/newcerts" || return 1
	: >"$d/index.txt"
	# A random first serial: certificates of two runs never share one.
	od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | sed 's/^./4/' >"$d/serial"
	echo >>"$d/serial"
	cat >"$d/ca.cnf" <<EOF || return 1
# smtplab test CA (generated by tests/smtp/smtplab.sh)
[ ca ]
default_ca = smtplab_ca
[ smtplab_ca ]
dir = $d
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
serial = \$dir/serial
default_md = sha256
policy = smtplab_policy
# The same name may be certified again (valid, expired, ...).
unique_subject = no
copy_extensions = none
email_in_dn = no
[ smtplab_policy ]
commonName = supplied
[ req ]
distinguished_name = smtplab_dn
prompt = no
x509_extensions = smtplab_ca_ext
[ smtplab_dn ]
CN = vantage smtplab test CA
[ smtplab_ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
	# shellcheck disable=SC2086
	if ! OPENSSL_CONF=$d/ca.cnf openssl req -x509 -new -config "$d/ca.cnf" $nk -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 3650 >"$d/openssl.log" 2>&1; then
		cat "$d/openssl.log" >&2
		_smtplab_err "smtplab_ca: openssl req failed"
		return 1
	fi
	chmod 600 "$d/ca.key"
	echo "$d/ca.crt"
}

# smtplab_cert DIR NAME[,NAME...] [valid|expired|notyet]: a key and a
# certificate signed by the test CA in DIR, for NAME (subject CN and
# subjectAltName dNSName; more names after commas become more dNSNames).
#   valid    notBefore a day ago, notAfter in 30 days (the default)
#   expired  notBefore 60 days ago, notAfter a day ago
#   notyet   notBefore in 30 days, notAfter in 60 days
# Prints "CERT KEY": DIR/NAME.crt and DIR/NAME.key for a valid certificate,
# DIR/NAME-expired.* and DIR/NAME-notyet.* for the others (NAME being the
# first name, a leading '*' written as '_'). Not for concurrent use on one
# CA (openssl ca keeps a database).
smtplab_cert() {
	local d names state first san base start end ku nk
	d=$(_lab_absdir "${1:-}") || {
		_smtplab_err "smtplab_cert: no CA folder '${1:-}'"
		return 1
	}
	[ -f "$d/ca.cnf" ] && [ -f "$d/ca.key" ] || {
		_smtplab_err "smtplab_cert: $d is not a CA made by smtplab_ca"
		return 1
	}
	names=${2:-}
	state=${3:-valid}
	first=${names%%,*}
	# Host names, comma separated; a leading "*." makes a wildcard name.
	if ! printf '%s\n' "$names" | grep -qxE '(\*\.)?[A-Za-z0-9.-]+(,(\*\.)?[A-Za-z0-9.-]+)*'; then
		_smtplab_err "usage: smtplab_cert DIR NAME[,NAME...] [valid|expired|notyet] (bad names: '$names')"
		return 1
	fi
	san=DNS:$(printf '%s' "$names" | sed 's/,/, DNS:/g')
	base=$(echo "$first" | sed 's/^\*/_/')
	case $state in
	valid) start=$(_smtplab_date -86400) end=$(_smtplab_date $((30 * 86400))) ;;
	expired)
		start=$(_smtplab_date $((-60 * 86400))) end=$(_smtplab_date -86400)
		base=$base-expired
		;;
	notyet)
		start=$(_smtplab_date $((30 * 86400))) end=$(_smtplab_date $((60 * 86400)))
		base=$base-notyet
		;;
	*)
		_smtplab_err "smtplab_cert: state must be valid, expired or notyet, not '$state'"
		return 1
		;;
	esac
	nk=$(_smtplab_newkey) || return 1
	case $SMTPLAB_KEYTYPE in
	ec) ku="digitalSignature" ;;
	*) ku="digitalSignature, keyEncipherment" ;;
	esac
	cat >"$d/$base.ext" <<EOF || return 1
basicConstraints = critical, CA:FALSE
keyUsage = critical, $ku
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	# openssl ca takes any notBefore and notAfter (-startdate, -enddate), in
	# the past too: no faked clock needed.
	# shellcheck disable=SC2086
	if ! OPENSSL_CONF=$d/ca.cnf openssl req -new -config "$d/ca.cnf" $nk -nodes \
		-keyout "$d/$base.key" -out "$d/$base.csr" -subj "/CN=$first" >"$d/openssl.log" 2>&1 ||
		! OPENSSL_CONF=$d/ca.cnf openssl ca -batch -config "$d/ca.cnf" -notext \
			-in "$d/$base.csr" -out "$d/$base.crt" -startdate "$start" -enddate "$end" \
			-extfile "$d/$base.ext" >>"$d/openssl.log" 2>&1; then
		cat "$d/openssl.log" >&2
		_smtplab_err "smtplab_cert: openssl failed for $names ($state)"
		return 1
	fi
	chmod 600 "$d/$base.key"
	echo "$d/$base.crt $d/$base.key"
}

# --- the real MTA: exim4 --------------------------------------------------------

_smtplab_exim() {
	local e
	for e in ${SMTPLAB_EXIM:-} exim4 exim; do
		command -v "$e" 2>/dev/null && return 0
	done
	_smtplab_err "no exim4 (apt-get install exim4-daemon-light, or deploy/install-deps.sh)"
}

# smtplab_mta_start DIR NETNS ADDR HOSTNAME [CERT KEY]: a real MTA (an exim4
# daemon of its own, configuration DIR/exim.conf) listening on ADDR port
# SMTPLAB_PORT only, in network namespace NETNS (the name `ip netns exec`
# takes; "" for this one). It greets as HOSTNAME, offers SIZE, and STARTTLS
# with CERT and KEY (without CERT and KEY: no STARTTLS). It accepts no mail:
# MAIL FROM is refused (and logged in DIR/log/mainlog, with every connection
# and its end, "closed by QUIT" or not). Returns once it accepts connections.
smtplab_mta_start() {
	local d ns addr host cert key exim tls p deadline
	[ $# -eq 4 ] || [ $# -eq 6 ] || {
		_smtplab_err "usage: smtplab_mta_start DIR NETNS ADDR HOSTNAME [CERT KEY]"
		return 1
	}
	ns=$2 addr=$3 host=$4 cert=${5:-} key=${6:-}
	_smtplab_check_name "$host" || return 1
	exim=$(_smtplab_exim) || return 1
	if [ -n "$cert$key" ]; then
		[ -r "$cert" ] && [ -r "$key" ] || {
			_smtplab_err "smtplab_mta_start: cannot read certificate '$cert' or key '$key'"
			return 1
		}
		# exim starts with a key that does not match the certificate, offers
		# STARTTLS, and answers it "454 TLS currently unavailable". Refuse
		# that unless asked for (SMTPLAB_TLS_CHECK=0).
		if [ "${SMTPLAB_TLS_CHECK:-1}" != 0 ] &&
			[ "$(openssl x509 -in "$cert" -noout -pubkey 2>&1)" != "$(openssl pkey -in "$key" -pubout 2>&1)" ]; then
			_smtplab_err "smtplab_mta_start: key $key does not match certificate $cert (SMTPLAB_TLS_CHECK=0 to start anyway: STARTTLS then gets 454)"
			return 1
		fi
		cert=$(cd "$(dirname "$cert")" && echo "$(pwd -P)/${cert##*/}")
		key=$(cd "$(dirname "$key")" && echo "$(pwd -P)/${key##*/}")
		tls="tls_advertise_hosts = *
tls_certificate = $cert
tls_privatekey = $key"
	else
		tls="tls_advertise_hosts ="
	fi
	d=$(_smtplab_prepare "$1" "$ns" "$addr") || return 1
	rm -rf "$d/spool" "$d/log"
	mkdir -p "$d/spool" "$d/log" || return 1
	: >"$d/stderr"
	cat >"$d/exim.conf" <<EOF || return 1
# smtplab MTA $host on $addr (generated by tests/smtp/smtplab.sh)
# Everything runs as root: the daemon would otherwise drop to Debian-exim
# once it has bound its socket, and then could not read a key, a log folder
# or a spool below a folder only root may enter (mktemp -d makes 0700 ones).
exim_user = root
exim_group = root
# No "purging the environment" warning on every start.
keep_environment =
primary_hostname = $host
smtp_banner = \$smtp_active_hostname ESMTP Exim \$version_number vantage-smtplab
spool_directory = $d/spool
log_file_path = $d/log/%slog
pid_file_path = $d/exim.pid
# Listen on this address only. Give up at once if it is taken (the default
# is to retry for 4.5 minutes).
local_interfaces = <; $addr
daemon_smtp_ports = $SMTPLAB_PORT
daemon_startup_retries = 0
# No notifier socket (an abstract unix socket named after the spool).
notifier_socket =
# No DNS: no reverse lookups and no ident callbacks to the client.
host_lookup =
rfc1413_hosts =
message_size_limit = 10M
smtp_accept_max = 50
log_selector = +smtp_connection +smtp_protocol_error +smtp_syntax_error +smtp_no_mail +tls_sni +incoming_interface
$tls
acl_smtp_mail = smtplab_no_mail
acl_smtp_rcpt = smtplab_no_mail

begin acl
smtplab_no_mail:
  deny message = 5.7.1 vantage smtplab MTA: no mail accepted here
EOF
	if ! "$exim" -C "$d/exim.conf" -bV >"$d/stderr" 2>&1; then
		cat "$d/stderr" >&2
		_smtplab_err "smtplab_mta_start: exim rejects $d/exim.conf"
		return 1
	fi
	# -bdf: the daemon in the foreground, so $! is its pid (ip netns exec
	# execs the command). With -bd it would fork first and bind after, and
	# a failed bind would still return 0.
	if [ -z "$ns" ]; then
		"$exim" -C "$d/exim.conf" -bdf </dev/null >"$d/stderr" 2>&1 &
	else
		ip netns exec "$ns" "$exim" -C "$d/exim.conf" -bdf </dev/null >"$d/stderr" 2>&1 &
	fi
	p=$!
	echo "$p" >"$d/smtplab.pid"
	# Ready: the daemon logged that it listens (it does so after listen()),
	# and the socket is there.
	deadline=$(($(_lab_now_ms) + SMTPLAB_TIMEOUT * 1000))
	while :; do
		if ! lab_alive "$p"; then
			cat "$d/stderr" "$d/log/paniclog" 2>/dev/null >&2
			tail -n 5 "$d/log/mainlog" >&2 2>/dev/null
			rm -f "$d/smtplab.pid"
			_smtplab_err "smtplab_mta_start: exim for $addr died while starting (see $d/log)"
			return 1
		fi
		if grep -q "daemon started: pid=$p," "$d/log/mainlog" 2>/dev/null &&
			_smtplab_listening "$ns" "$addr" "$SMTPLAB_PORT"; then
			return 0
		fi
		if [ "$(_lab_now_ms)" -ge "$deadline" ]; then
			_smtplab_err "smtplab_mta_start: exim for $addr not listening after ${SMTPLAB_TIMEOUT}s"
			_smtplab_stop_dir "$d"
			return 1
		fi
		sleep 0.02
	done
}

# smtplab_mta_stop DIR: stop the MTA of DIR (and any connection it serves);
# returns once every process of it has exited. Safe to call twice.
smtplab_mta_stop() {
	_smtplab_stop_dir "${1:-}"
}

# --- scripted servers (perl) ----------------------------------------------------

# The scripted server: binds and listens, forks into the background (the
# parent writes the pid file and exits 0, so the server is listening once the
# start command returns), forks a child per connection. SIGTERM ends the
# server and every connection (the server leads its own process group).
# Log: one line per event, "CONN EVENT TEXT", EVENT being
#   connect PEER PORT | < LINE-RECEIVED | > LINE-SENT | close REASON
# with CONN 0 for the server itself ("0 listening ..."). Received lines are
# logged as they came, without CRLF, bytes outside printable ASCII as \xHH.
_SMTPLAB_SERVER='
use strict; use warnings;
use IO::Socket::IP; use IO::Select; use POSIX qw(setsid WNOHANG);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
my ($addr, $port, $mode, $host, $pidfile, $logfile, $connmax) = @ARGV;
$SIG{PIPE} = "IGNORE";
my $l = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => "tcp",
	Listen => 64, ReuseAddr => 1) or die "smtplab script: listen $addr port $port: $@\n";
open(my $log, ">>", $logfile) or die "smtplab script: $logfile: $!\n";
sub logl { my $s = join("", @_); syswrite($log, "$s\n") }
sub clean { my $s = shift; $s = substr($s, 0, 2000) . "...(" . length($s) . " bytes)" if length($s) > 2000;
	$s =~ s/([^\x20-\x7e])/sprintf("\\x%02x", ord($1))/ge; $s }
my $pid = fork(); die "smtplab script: fork: $!\n" unless defined $pid;
if ($pid) {
	open(my $f, ">", "$pidfile.tmp") or die "$pidfile: $!\n";
	print $f "$pid\n"; close($f); rename("$pidfile.tmp", $pidfile) or die "$pidfile: $!\n";
	exit 0;
}
setsid();
open(STDIN, "<", "/dev/null");
$SIG{TERM} = $SIG{INT} = sub { $SIG{TERM} = "IGNORE"; kill("TERM", -$$); logl("0 stopped"); exit 0 };
$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
logl("0 listening $addr $port mode $mode");
my $n = 0;
while (1) {
	my $c = $l->accept or next;
	$n++;
	my $k = fork();
	if (!defined $k) { logl("$n close fork failed: $!"); close($c); next }
	if ($k == 0) {
		$SIG{TERM} = $SIG{INT} = "DEFAULT"; $SIG{CHLD} = "DEFAULT";
		close($l);
		serve($c, $n);
		exit 0;
	}
	close($c);
}

sub serve {
	my ($c, $id) = @_;
	$SIG{ALRM} = sub { logl("$id close connection lasted $connmax s (SMTPLAB_CONN_MAX)"); exit 0 };
	alarm($connmax);
	logl("$id connect ", $c->peerhost, " ", $c->peerport);
	$c->blocking(0);
	my ($in, $out, $gen, $quit) = ("", "", undef, 0);
	my $send = sub { for my $s (@_) { logl("$id > $s"); $out .= "$s\r\n" } };
	if ($mode =~ /^(nostarttls|tlsdrop|badquit|ehlo421)$/) { $send->("220 $host ESMTP vantage-smtplab") }
	elsif ($mode eq "554") { $send->("554 5.3.2 no service") }
	elsif ($mode eq "multiline") {
		$send->("220-$host ESMTP vantage-smtplab", "220-a greeting of three lines", "220 $host ready");
	} elsif ($mode eq "endless") {
		logl("$id > 220-xxxx... (one line that never ends)");
		$out = "220-"; my $chunk = "x" x 4096; $gen = sub { $chunk };
	} elsif ($mode eq "flood") {
		logl("$id > 220-$host flood line N (continuation lines for ever)");
		my $i = 0;
		$gen = sub { join("", map { "220-$host flood line " . ++$i . "\r\n" } 1 .. 64) };
	} elsif ($mode eq "close") { logl("$id close by the server at once"); close($c); return }
	# silent: nothing at all
	my $sel = IO::Select->new($c);
	while (1) {
		my ($r, $w) = IO::Select->select($sel, (length($out) || $gen) ? $sel : undef, undef, 1);
		if ($r && @$r) {
			my $buf; my $got = sysread($c, $buf, 16384);
			if (!defined $got) {
				next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
				logl("$id < " . clean($in) . " (no CRLF)") if length $in;
				logl("$id close read: $!"); last;
			}
			if ($got == 0) {
				logl("$id < " . clean($in) . " (no CRLF)") if length $in;
				logl("$id close by the client"); last;
			}
			$in .= $buf;
			while ($in =~ s/^([^\n]*)\n//) {
				my $line = $1; $line =~ s/\r$//;
				logl("$id < " . clean($line));
				reply($line, $send, \$quit) unless $gen || $mode eq "silent";
			}
			if (length($in) > 65536) { logl("$id < " . clean($in) . " (no CRLF yet)"); $in = "" }
		}
		if ($w && @$w) {
			$out .= $gen->() if $gen && length($out) < 65536;
			my $did = syswrite($c, $out);
			if (!defined $did) {
				next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
				logl("$id close write: $!"); last;
			}
			substr($out, 0, $did) = "";
		}
		if ($quit && !length($out)) { logl("$id close after QUIT"); last }
	}
	close($c);
}

sub reply {
	my ($line, $send, $quit) = @_;
	my ($verb) = $line =~ /^\s*(\S+)/;
	$verb = uc($verb // "");
	if ($verb eq "QUIT") {
		$send->($mode eq "badquit" ? "bye!" : "221 2.0.0 $host closing connection");
		$$quit = 1; return;
	}
	if ($mode eq "ehlo421" && $verb eq "EHLO") { $send->("421 4.3.2 $host shutting down"); $$quit = 1; return }
	if ($mode eq "554") { $send->("503 5.5.1 no service: only QUIT is accepted"); return }
	if ($verb eq "EHLO") {
		my ($name) = $line =~ /^\s*\S+\s+(\S+)/;
		my @caps = ("SIZE 10240000", "PIPELINING", "8BITMIME");
		push(@caps, "STARTTLS") if $mode eq "multiline" || $mode eq "tlsdrop";
		my @r = ("250-$host Hello " . ($name // "?"));
		push(@r, "250-$_") for @caps[0 .. $#caps - 1];
		push(@r, "250 $caps[-1]");
		$send->(@r);
	} elsif ($verb eq "HELO") { $send->("250 $host") }
	elsif ($verb eq "STARTTLS" && $mode eq "tlsdrop") {
		$send->("220 2.0.0 ready to start TLS"); $$quit = 1; # ... and closes instead
	} elsif ($verb eq "STARTTLS") {
		$send->($mode eq "multiline" ? "454 4.7.0 TLS not available due to local problem"
			: "502 5.5.1 STARTTLS not offered");
	} elsif ($verb eq "NOOP" || $verb eq "RSET") { $send->("250 2.0.0 OK") }
	elsif ($verb =~ /^(MAIL|RCPT|DATA|BDAT)$/) { $send->("503 5.5.1 vantage smtplab: no mail accepted here") }
	else { $send->("500 5.5.2 command not recognized") }
}
'

# smtplab_script_start DIR NETNS ADDR MODE [HOSTNAME]: a scripted SMTP server
# on ADDR port SMTPLAB_PORT in NETNS ("" for this one), greeting as HOSTNAME
# (default mx.example.test). MODE:
#   nostarttls  220 greeting, EHLO reply with SIZE and without STARTTLS
#   554         greets "554 5.3.2 no service"; answers QUIT with 221, the
#               rest with 503 (RFC 5321 3.1)
#   silent      accepts, never writes
#   endless     writes "220-" then one line that never ends, as long as the
#               client reads
#   flood       writes "220-... flood line N" continuation lines for ever
#   tlsdrop     as nostarttls, but STARTTLS offered; answered 220, then the
#               server closes the connection instead of TLS
#   badquit     as nostarttls, but QUIT is answered "bye!" (not SMTP)
#   ehlo421     as nostarttls, but EHLO is answered 421 and the server closes
#   multiline   a valid 220 greeting of 3 lines, EHLO reply offers STARTTLS
#               (and SIZE), STARTTLS is answered 454
#   close       accepts and closes at once, without a greeting
# In every mode QUIT gets 221 (except silent, endless and flood, which
# answer nothing) and MAIL, RCPT, DATA and BDAT get 503. Every line received
# is logged in DIR/smtp.log (see smtplab_received). Returns once it listens.
smtplab_script_start() {
	local d ns addr mode host
	[ $# -ge 4 ] && [ $# -le 5 ] || {
		_smtplab_err "usage: smtplab_script_start DIR NETNS ADDR MODE [HOSTNAME]"
		return 1
	}
	ns=$2 addr=$3 mode=$4 host=${5:-mx.example.test}
	case $mode in
	nostarttls | 554 | silent | endless | flood | multiline | close | tlsdrop | badquit | ehlo421) ;;
	*)
		_smtplab_err "smtplab_script_start: unknown mode '$mode' (nostarttls 554 silent endless flood multiline close tlsdrop badquit ehlo421)"
		return 1
		;;
	esac
	_smtplab_check_name "$host" || return 1
	d=$(_smtplab_prepare "$1" "$ns" "$addr") || return 1
	rm -f "$d/smtplab.pid"
	: >"$d/smtp.log"
	# From a file, not -e: the command line stays short (ps) and names DIR.
	printf '%s\n' "$_SMTPLAB_SERVER" >"$d/server.pl" || return 1
	# Not _smtplab_in_ns with redirections: a trap of the caller that fires
	# meanwhile would run with them (its messages would land in DIR/stderr).
	if [ -z "$ns" ]; then set -- perl; else set -- ip netns exec "$ns" perl; fi
	if ! "$@" "$d/server.pl" "$addr" "$SMTPLAB_PORT" "$mode" "$host" \
		"$d/smtplab.pid" "$d/smtp.log" "$SMTPLAB_CONN_MAX" </dev/null >"$d/stderr" 2>&1; then
		cat "$d/stderr" >&2
		_smtplab_err "smtplab_script_start: the $mode server on $addr did not start"
		return 1
	fi
	_smtplab_pid "$d" >/dev/null || {
		cat "$d/stderr" >&2
		_smtplab_err "smtplab_script_start: the $mode server on $addr is not running"
		return 1
	}
}

# smtplab_script_stop DIR: stop the scripted server of DIR and every
# connection it serves. Safe to call twice.
smtplab_script_stop() {
	_smtplab_stop_dir "${1:-}"
}

# smtplab_received DIR [CONN]: the lines a scripted server received (of one
# connection, or all), "CONN LINE" one a line, in order. For example
#   smtplab_received "$d" | grep -c -i -E '^[0-9]+ (MAIL|RCPT|DATA)'
smtplab_received() {
	[ -f "${1:-}/smtp.log" ] || {
		_smtplab_err "smtplab_received: no ${1:-}/smtp.log"
		return 1
	}
	awk -v c="${2:-}" '$2 == "<" && (c == "" || $1 == c) { id = $1; sub(/^[0-9]+ < ?/, ""); print id, $0 }' "$1/smtp.log"
}

# --- firewall ---------------------------------------------------------------------

# smtplab_block25 NETNS reject|drop: block outbound TCP to port SMTPLAB_PORT
# (IPv4 and IPv6) from namespace NETNS ("" for this one): `reject` answers
# the SYN with a TCP reset (connect fails at once: "refused"), `drop` drops
# it (connect times out). One nftables table, inet smtplab, replaced on each
# call. Never on a namespace with a default route.
smtplab_block25() {
	local ns verdict
	[ $# -eq 2 ] || {
		_smtplab_err "usage: smtplab_block25 NETNS reject|drop"
		return 1
	}
	ns=$1
	case $2 in
	reject) verdict="reject with tcp reset" ;;
	drop) verdict="drop" ;;
	*)
		_smtplab_err "smtplab_block25: reject or drop, not '$2'"
		return 1
		;;
	esac
	command -v nft >/dev/null || {
		_smtplab_err "no nft (apt-get install nftables)"
		return 1
	}
	_smtplab_ns_safe "$ns" || return 1
	# "table ...; delete table ...": replace it whether it exists or not, in
	# one transaction.
	printf '%s\n' \
		"table inet smtplab" \
		"delete table inet smtplab" \
		"table inet smtplab {" \
		"	chain output {" \
		"		type filter hook output priority 0; policy accept;" \
		"		meta l4proto tcp tcp dport $SMTPLAB_PORT counter $verdict" \
		"	}" \
		"}" | _smtplab_in_ns "$ns" nft -f - || {
		_smtplab_err "smtplab_block25: nft failed in namespace ${ns:-(this one)}"
		return 1
	}
}

# smtplab_unblock25 NETNS: remove what smtplab_block25 added (nothing to do
# is fine).
smtplab_unblock25() {
	local ns
	ns=${1:-}
	if [ -n "$ns" ] && ! ip netns exec "$ns" true 2>/dev/null; then
		_smtplab_err "no network namespace '$ns'"
		return 1
	fi
	_smtplab_in_ns "$ns" nft list table inet smtplab >/dev/null 2>&1 || return 0
	_smtplab_in_ns "$ns" nft delete table inet smtplab
}

# --- all at once ---------------------------------------------------------------------

# smtplab_stop_all DIR: stop every server whose folder is DIR or below it
# (by their pid files, then any exim or perl process with DIR/ on its
# command line), and wait until all have exited.
smtplab_stop_all() {
	local d f p pids rc
	d=$(_lab_absdir "${1:-}") || return 0
	rc=0
	# Every server at once (TERM to all, then one wait), then the stragglers.
	pids=""
	while read -r f; do
		[ -n "$f" ] || continue
		p=$(_smtplab_pid "${f%/smtplab.pid}") && pids="$pids $p"
	done <<EOF
$(find "$d" -name smtplab.pid -type f 2>/dev/null)
EOF
	# shellcheck disable=SC2086
	_smtplab_kill_wait $pids || rc=1
	# shellcheck disable=SC2046
	_smtplab_kill_wait $(_smtplab_procs "$d") || rc=1
	find "$d" -name smtplab.pid -type f -exec rm -f {} + 2>/dev/null
	return $rc
}

# smtplab_procs DIR: pids of every server process (exim or perl) of DIR or
# below, one a line: empty once smtplab_stop_all DIR is done.
smtplab_procs() {
	local d
	d=$(_lab_absdir "${1:-}") || return 0
	_smtplab_procs "$d"
}

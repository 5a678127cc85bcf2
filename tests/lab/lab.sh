#!/bin/sh
# shellcheck shell=dash disable=SC2015,SC2016
# vantage DNS lab: real NSD (authoritative) and unbound (caching resolvers,
# one per "region") on lab addresses, inside a network namespace of the
# test's own. See tests/lab/README.md for the address plan and lab.conf.
#
# Two ways to use it:
#   . tests/lab/lab.sh            # a library: lab_* functions (sh or bash)
#   tests/lab/lab.sh CMD ARGS...  # a command line wrapper (lab.sh help)
#
# Needs: nsd, nsd-checkconf, nsd-checkzone, unbound, unbound-checkconf,
# unbound-control, dig, ip (iproute2), unshare (util-linux), perl (for the
# dropping resolver; perl-base is Essential on Debian). Root.
#
# Written for POSIX sh plus `local` (dash and bash both have it). The
# functions return non-zero with a message on stderr; they never exit the
# caller, and work with or without `set -eu` in the caller.

# Seconds to wait for a server to answer, a reload to show, a process to end.
: "${LAB_TIMEOUT:=10}"
# Run lab_netns_enter's namespace with its own PID namespace as well (1) so
# that every lab process dies with the test even when cleanup cannot run.
: "${LAB_PIDNS:=1}"

# --- small helpers ---------------------------------------------------------
# tests/smtp/smtplab.sh (and some test scripts) use _lab_now_ms, _lab_absdir
# and _lab_is_ipv6 too.

_lab_err() {
	echo "lab: $*" >&2
	return 1
}

_lab_now_ms() {
	date +%s%3N
}

# _lab_absdir DIR: absolute path of an existing folder.
_lab_absdir() {
	(cd "$1" 2>/dev/null && pwd -P)
}

# _lab_is_ipv6 ADDR
_lab_is_ipv6() {
	case $1 in *:*) return 0 ;; esac
	return 1
}

# _lab_is_local_addr ADDR: an address that lives on the loopback of the lab's
# own namespace (127.0.0.0/8, ::1, fd00:127::/32), so it cannot be reached
# from another namespace.
_lab_is_local_addr() {
	case $1 in
	127.* | ::1 | fd00:127:*) return 0 ;;
	esac
	return 1
}

_lab_sanitize() {
	printf '%s' "$1" | tr -c 'A-Za-z0-9_' '_'
}

# --- processes -------------------------------------------------------------
# Public: tests/smtp/smtplab.sh stops its servers with these too.

# lab_alive PID: the process exists and is not a zombie. Daemons whose
# parent is gone are reparented to PID 1, which may reap them late.
lab_alive() {
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# lab_cmdline PID: the command line with spaces for NULs.
lab_cmdline() {
	tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"
}

# lab_wait_dead PID...: wait up to LAB_TIMEOUT s for every PID to end.
lab_wait_dead() {
	local deadline p left
	deadline=$(($(_lab_now_ms) + LAB_TIMEOUT * 1000))
	while :; do
		left=""
		for p in "$@"; do
			lab_alive "$p" && left="$left $p"
		done
		[ -z "$left" ] && return 0
		[ "$(_lab_now_ms)" -ge "$deadline" ] && break
		sleep 0.02
	done
	echo "$left"
	return 1
}

# lab_kill_wait PID...: TERM, wait, then KILL what is left.
lab_kill_wait() {
	local left
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	if ! left=$(lab_wait_dead "$@"); then
		echo "lab: still running after ${LAB_TIMEOUT}s, killing:$left" >&2
		# shellcheck disable=SC2086
		kill -KILL $left 2>/dev/null
		# shellcheck disable=SC2086
		lab_wait_dead $left >/dev/null || {
			_lab_err "processes will not die:$left"
			return 1
		}
	fi
	return 0
}

# --- lab.conf ----------------------------------------------------------------
# One instance a line: KIND NAME key=value ... ('#' starts a comment).

_lab_lines() {
	if [ "$1" = "${_LAB_CONF_DIR:-}" ]; then
		printf '%s\n' "$_LAB_CONF_TEXT"
	else
		_lab_read_conf "$1"
	fi
}

_lab_read_conf() {
	sed -e 's/#.*//' -e 's/[[:space:]][[:space:]]*/ /g' -e 's/^ //' -e 's/ $//' \
		"$1/lab.conf" | grep -v '^$'
}

# _lab_load DIR: read DIR/lab.conf once; later lookups in this shell (and
# its subshells) use the copy. Every public function that takes DIR calls it.
_lab_load() {
	_LAB_CONF_TEXT=$(_lab_read_conf "$1") || return 1
	_LAB_CONF_DIR=$1
}

# _lab_names DIR [KIND]: instance names in lab.conf order.
_lab_names() {
	_lab_lines "$1" | awk -v k="${2:-}" 'k == "" || $1 == k { print $2 }'
}

# _lab_kind DIR NAME
_lab_kind() {
	_lab_lines "$1" | awk -v n="$2" '$2 == n { print $1; exit }'
}

# _lab_get DIR NAME KEY [DEFAULT]: a key's value on NAME's line.
_lab_get() {
	_lab_lines "$1" | awk -v n="$2" -v key="$3" -v def="${4:-}" '
		$2 == n && !done {
			done = 1
			for (i = 3; i <= NF; i++) {
				p = index($i, "=")
				if (p > 1 && substr($i, 1, p - 1) == key) { v = substr($i, p + 1); found = 1 }
			}
		}
		END { print (found ? v : def) }'
}

# _lab_addrs DIR NAME: the instance's addresses, space separated.
_lab_addrs() {
	_lab_get "$1" "$2" addr | tr ',' ' '
}

# _lab_nsd_zones DIR NAME: "zone file" pairs, one a line.
_lab_nsd_zones() {
	_lab_get "$1" "$2" zones | tr ',' '\n' | awk -F: 'NF { print $1, (NF > 1 ? $2 : $1 ".zone") }'
}

# --- namespaces ---------------------------------------------------------------

# _lab_netns_real DIR NAME: the system-wide name of a lab namespace ("" or
# "-" is the namespace lab_start runs in).
_lab_netns_real() {
	case ${2:-} in
	"" | -) echo "" ;;
	*) echo "vlab-$(cat "$1/run/labid")-$2" ;;
	esac
}

# _lab_in_ns DIR NETNS CMD...: run CMD inside a lab namespace (or here).
_lab_in_ns() {
	local dir ns real
	dir=$1 ns=$2
	shift 2
	real=$(_lab_netns_real "$dir" "$ns")
	if [ -z "$real" ]; then
		"$@"
	else
		ip netns exec "$real" "$@"
	fi
}

# lab_addr DIR NAME: an instance's first address (as on its addr= line).
lab_addr() {
	local dir
	dir=$(_lab_absdir "$1") || return 1
	_lab_load "$dir" || return 1
	_lab_addrs "$dir" "$2" | awk '{ print $1 }'
}

# lab_host DIR NETNS RESOLV_CONF CMD...: run CMD as a host of the lab's
# namespace NETNS ("-" for the lab's own) whose /etc/resolv.conf is
# RESOLV_CONF: bind-mounted in a mount namespace of CMD's own, so the
# machine's file is never touched. The process keeps CMD's pid (exec).
lab_host() {
	local dir ns rc
	dir=$(_lab_absdir "$1") || return 1
	ns=$2 rc=$3
	shift 3
	_lab_load "$dir" || return 1
	_lab_in_ns "$dir" "$ns" unshare --mount sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$rc" "$@"
}

_lab_lo_up() {
	ip link set lo up || return 1
	if [ -w /proc/sys/net/ipv6/conf/lo/disable_ipv6 ] &&
		[ "$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6)" != 0 ]; then
		echo 0 >/proc/sys/net/ipv6/conf/lo/disable_ipv6
		echo 0 >/proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
	fi
	return 0
}

# lab_netns_ok: this network namespace is one a lab may run in: no interface
# but lo is up and there is no default route, so nothing can leave it.
# LAB_ALLOW_ANY_NETNS=1 skips the check (never do that on a connected host).
lab_netns_ok() {
	[ "${LAB_ALLOW_ANY_NETNS:-0}" = 1 ] && return 0
	if [ -n "$(ip route show default 2>/dev/null)" ] ||
		[ -n "$(ip -6 route show default 2>/dev/null)" ]; then
		return 1
	fi
	# Interfaces that are up, other than lo and the lab's own veths (vl*).
	if ip -o link show up 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -v -e '^lo$' -e '^vl' | grep -q .; then
		return 1
	fi
	return 0
}

# _lab_netns_dir: in the private mount namespace lab_netns_enter made (with
# LAB_PIDNS=1), put a tmpfs of our own on /run/netns, so the lab's named
# namespaces are seen by no one else and vanish with the test however it
# ends. Elsewhere `ip netns add` uses the system's /run/netns as usual.
_lab_netns_dir() {
	[ -n "${VANTAGE_LAB_MNTNS:-}" ] &&
		[ "$VANTAGE_LAB_MNTNS" = "$(readlink /proc/self/ns/mnt)" ] || return 0
	grep -q ' /run/netns .* - tmpfs vlab-netns ' /proc/self/mountinfo && return 0
	mkdir -p /run/netns || return 1
	# -n: no /run/mount/utab either.
	mount -n -t tmpfs -o size=1m,mode=0755 vlab-netns /run/netns
}

# lab_netns_enter "$0" "$@": make sure the calling script runs in a fresh
# network namespace of its own. Outside one, it re-executes SCRIPT ARGS under
# `unshare --net` (and, with LAB_PIDNS=1, the default, a PID namespace too,
# so every lab process is killed when the script ends however it ends) and
# does not return; inside one (the re-executed script), it brings lo up
# (127.0.0.1/8 and ::1), exports VANTAGE_LAB_NETNS and returns 0.
# A non-executable SCRIPT is run with sh.
lab_netns_enter() {
	local cur script
	cur=$(readlink /proc/self/ns/net) || return 1
	if [ "${VANTAGE_LAB_NETNS:-}" = "$cur" ]; then
		_lab_lo_up
		return
	fi
	if [ -n "${VANTAGE_LAB_PARENT_NETNS:-}" ]; then
		if [ "$VANTAGE_LAB_PARENT_NETNS" = "$cur" ]; then
			_lab_err "re-executed but still in the parent's network namespace"
			return 1
		fi
		unset VANTAGE_LAB_PARENT_NETNS
		VANTAGE_LAB_NETNS=$cur
		export VANTAGE_LAB_NETNS
		if [ "${VANTAGE_LAB_PIDNS:-0}" = 1 ]; then
			# unshare --mount-proc also made a private mount namespace.
			VANTAGE_LAB_MNTNS=$(readlink /proc/self/ns/mnt)
			export VANTAGE_LAB_MNTNS
		fi
		unset VANTAGE_LAB_PIDNS
		# As PID 1 of its namespace the script ignores a signal it has no
		# handler for: TERM (how Ctrl-C and timeouts reach it) ends it
		# unless it sets a trap of its own.
		trap 'exit 143' TERM
		_lab_lo_up || return 1
		if [ -n "$(ip route show default)" ]; then
			_lab_err "new namespace has a default route?"
			return 1
		fi
		return 0
	fi
	[ $# -ge 1 ] || {
		_lab_err "usage: lab_netns_enter \"\$0\" \"\$@\""
		return 1
	}
	script=$1
	shift
	[ "$(id -u)" = 0 ] || {
		_lab_err "the lab needs root (network namespaces, port 53)"
		return 1
	}
	VANTAGE_LAB_PARENT_NETNS=$cur
	export VANTAGE_LAB_PARENT_NETNS
	if [ -x "$script" ]; then
		set -- "$script" "$@"
	else
		set -- sh "$script" "$@"
	fi
	if [ "$LAB_PIDNS" = 1 ]; then
		VANTAGE_LAB_PIDNS=1
		export VANTAGE_LAB_PIDNS
		_lab_run_unshared "$@"
		exit
	else
		exec unshare --net -- "$@"
	fi
}

# _lab_run_unshared SCRIPT ARGS...: run it as PID 1 of new network, PID and
# mount namespaces and return its exit status. Ctrl-C, TERM and HUP reach it
# as TERM (so its cleanup runs: a background job ignores SIGINT, which a
# script cannot trap then), and this waits until it has finished; should
# this shell die, unshare (--kill-child) sends it TERM too. Standard input
# is passed through on fd 9 (a background job's own is /dev/null).
_lab_run_unshared() {
	local pid rc
	exec 9<&0
	unshare --net --pid --fork --mount-proc --kill-child=TERM -- "$@" <&9 9<&- &
	pid=$!
	exec 9<&-
	trap '_lab_forward_term "$pid"' INT TERM HUP
	while :; do
		wait "$pid"
		rc=$?
		kill -0 "$pid" 2>/dev/null || break
	done
	trap - INT TERM HUP
	return "$rc"
}

# _lab_forward_term PID: TERM to the child of unshare PID (the script).
_lab_forward_term() {
	local kid
	kid=$(pgrep -P "$1" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$kid" ] && kill -TERM $kid 2>/dev/null
}

# _lab_ensure_addr DIR NETNS ADDR: an address not on the namespace yet is
# added to its lo (127.0.0.0/8 always is).
_lab_ensure_addr() {
	local dir ns a
	dir=$1 ns=$2 a=$3
	case $a in 127.*) return 0 ;; esac
	if _lab_in_ns "$dir" "$ns" ip -o addr show | awk '{ sub(/\/.*/, "", $4); print $4 }' |
		grep -qxF "$a"; then
		return 0
	fi
	if _lab_is_ipv6 "$a"; then
		if [ ! -d /proc/sys/net/ipv6 ]; then
			_lab_err "IPv6 address $a wanted but IPv6 is disabled in this kernel"
			return 1
		fi
		_lab_in_ns "$dir" "$ns" ip -6 addr add "$a/128" dev lo nodad
	else
		_lab_in_ns "$dir" "$ns" ip addr add "$a/32" dev lo
	fi
}

# --- NSD -----------------------------------------------------------------------

# _lab_zone_serial ZONE FILE: the SOA serial in a zone file.
_lab_zone_serial() {
	nsd-checkzone -p "$1" "$2" 2>/dev/null | awk '
		{ for (i = 1; i <= NF; i++) {
			t = $i; gsub(/[()]/, "", t); if (t == "") continue
			if (state == 0 && t == "SOA") { state = 1; skip = 2; continue }
			if (state == 1) { if (skip > 0) { skip--; continue } print t; exit }
		} }'
}

_lab_nsd_conf() {
	local dir n rd a port z f
	dir=$1 n=$2
	rd=$dir/run/$n
	port=$(_lab_get "$dir" "$n" port 53)
	cat <<EOF
# generated by tests/lab/lab.sh for lab instance $n
server:
	server-count: 1
	port: $port
EOF
	for a in $(_lab_addrs "$dir" "$n"); do
		echo "	ip-address: $a@$port"
	done
	cat <<EOF
	reuseport: no
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$rd"
	pidfile: "$rd/pid"
	logfile: "$rd/log"
	xfrdfile: "$rd/xfrd.state"
	zonelistfile: "$rd/zone.list"
	xfrdir: "$rd/xfr"
	identity: "$(_lab_get "$dir" "$n" identity "$n")"
	nsid: "ascii_$(_lab_get "$dir" "$n" nsid "$n")"
	verbosity: $(_lab_get "$dir" "$n" verbosity 1)
	log-time-ascii: yes
	tcp-count: 32
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
	zonefiles-check: yes

remote-control:
	control-enable: no
EOF
	_lab_nsd_zones "$dir" "$n" | while read -r z f; do
		printf '\nzone:\n\tname: "%s"\n\tzonefile: "%s/zones/%s.zone"\n' "$z" "$rd" "$z"
	done
}

# _lab_nsd_ready DIR NAME: every zone answers authoritatively.
_lab_nsd_ready() {
	local dir n a port z f out
	dir=$1 n=$2
	# NSD logs "nsd started" once every zone is loaded: cheaper to poll than dig.
	grep -q "nsd started" "$dir/run/$n/log" 2>/dev/null || return 1
	a=$(_lab_addrs "$dir" "$n" | awk '{ print $1 }')
	port=$(_lab_get "$dir" "$n" port 53)
	# One zone suffices: the log line comes after every zone has loaded.
	for z in $(_lab_nsd_zones "$dir" "$n" | awk 'NR == 1 { print $1 }'); do
		out=$(_lab_in_ns "$dir" "$(_lab_get "$dir" "$n" netns)" \
			dig @"$a" -p "$port" +norec +time=1 +tries=1 SOA "$z" 2>&1) || return 1
		case $out in
		*"status: NOERROR"*"flags: qr aa"*) ;;
		*) return 1 ;;
		esac
	done
	return 0
}

_lab_start_nsd() {
	local dir n rd z f src
	dir=$1 n=$2
	rd=$dir/run/$n
	mkdir -p "$rd/zones" "$rd/xfr" || return 1
	[ -n "$(_lab_get "$dir" "$n" addr)" ] || {
		_lab_err "$n: no addr="
		return 1
	}
	[ -n "$(_lab_get "$dir" "$n" zones)" ] || {
		_lab_err "$n: no zones="
		return 1
	}
	_lab_nsd_zones "$dir" "$n" >"$rd/zones.map"
	while read -r z f; do
		src=$dir/zones/$f
		[ -f "$src" ] || {
			_lab_err "$n: zone file $src missing"
			return 1
		}
		nsd-checkzone "$z" "$src" >"$rd/checkzone.out" 2>&1 || {
			cat "$rd/checkzone.out" >&2
			_lab_err "$n: zone $z in $src does not load"
			return 1
		}
		cp "$src" "$rd/zones/$z.zone" || return 1
	done <"$rd/zones.map"
	_lab_nsd_conf "$dir" "$n" >"$rd/nsd.conf" || return 1
	nsd-checkconf "$rd/nsd.conf" >"$rd/checkconf.out" 2>&1 || {
		cat "$rd/checkconf.out" >&2
		_lab_err "$n: nsd-checkconf $rd/nsd.conf failed"
		return 1
	}
	_lab_start_daemon "$dir" "$n" nsd -c "$rd/nsd.conf"
}

# --- unbound ---------------------------------------------------------------------

# _lab_unbound_zones DIR NAME: the zone part of unbound NAME's config, from
# lab.conf in one awk pass:
#  - local-zone "X." nodefault for every suffix of every lab zone: switches
#    off unbound's RFC 6761 / AS112 local zones (test., 2.0.192.in-addr.arpa.,
#    10.in-addr.arpa., ...) wherever the lab serves data (nodefault on a name
#    that has no default zone does nothing);
#  - a stub-zone per lab zone: the NSD instances stub.ZONE=NSD,... if given,
#    else auth= if it serves the zone, else the first NSD that does;
#  - forward-zone "." to forward= (default auth=, else the first NSD), which
#    refuses: no query leaves the lab, and unbound answers SERVFAIL at once.
# An instance in the same namespace is reached on all its addresses; from
# another namespace only on its non-loopback ones (not 127/8, ::1,
# fd00:127::/32), i.e. veth addresses.
_lab_unbound_zones() {
	_lab_lines "$1" | awk -v me="$2" '
	function get(n, key, def,   k) {
		k = n SUBSEP key
		return (k in kv) ? kv[k] : def
	}
	function islocal(a) { return a ~ /^127\./ || a == "::1" || a ~ /^fd00:127:/ }
	function addrs(n, from,   list, m, i, out, port, a) {
		m = split(get(n, "addr", ""), list, ",")
		port = get(n, "port", "53")
		out = ""
		for (i = 1; i <= m; i++) {
			a = list[i]
			if (get(n, "netns", "-") == from || !islocal(a))
				out = out a "@" port " "
		}
		return out
	}
	function fail(msg) { print "lab: " me ": " msg > "/dev/stderr"; bad = 1; exit 1 }
	{
		kind[$2] = $1
		for (i = 3; i <= NF; i++) {
			p = index($i, "=")
			if (p > 1) kv[$2, substr($i, 1, p - 1)] = substr($i, p + 1)
		}
		if ($1 == "nsd") {
			nsds[++nnsd] = $2
			m = split(get($2, "zones", ""), zl, ",")
			for (i = 1; i <= m; i++) {
				split(zl[i], zf, ":")
				serves[$2, zf[1]] = 1
				if (!(zf[1] in zseen)) { zseen[zf[1]] = 1; zones[++nz] = zf[1] }
			}
		}
	}
	END {
		if (bad) exit 1
		if (kind[me] != "unbound") fail("not an unbound instance")
		from = get(me, "netns", "-")
		auth = get(me, "auth", "")
		for (i = 1; i <= nz; i++) {
			sfx = zones[i]
			while (1) {
				if (!(sfx in sseen)) { sseen[sfx] = 1; printf "\tlocal-zone: \"%s.\" nodefault\n", sfx }
				if (index(sfx, ".") == 0) break
				sfx = substr(sfx, index(sfx, ".") + 1)
			}
		}
		for (i = 1; i <= nz; i++) {
			z = zones[i]
			srv = get(me, "stub." z, "")
			if (srv == "" && auth != "" && ((auth, z) in serves)) srv = auth
			if (srv == "") for (j = 1; j <= nnsd; j++) if ((nsds[j], z) in serves) { srv = nsds[j]; break }
			printf "\nstub-zone:\n\tname: \"%s.\"\n", z
			m = split(srv, sl, ",")
			got = 0
			for (j = 1; j <= m; j++) {
				if (kind[sl[j]] != "nsd") fail("stub for " z " names " sl[j] ", not an nsd instance")
				na = split(addrs(sl[j], from), al, " ")
				for (k = 1; k <= na; k++) { printf "\tstub-addr: %s\n", al[k]; got = 1 }
			}
			if (!got) fail("no reachable authoritative address for " z)
		}
		fwd = get(me, "forward", auth != "" ? auth : nsds[1])
		if (kind[fwd] != "nsd") fail("forward=" fwd " is not an nsd instance")
		printf "\nforward-zone:\n\tname: \".\"\n"
		na = split(addrs(fwd, from), al, " ")
		for (k = 1; k <= na; k++) printf "\tforward-addr: %s\n", al[k]
		if (na == 0) fail("forward instance " fwd " not reachable from netns " from)
	}'
}

_lab_unbound_conf() {
	local dir n rd port a acc
	dir=$1 n=$2
	rd=$dir/run/$n
	port=$(_lab_get "$dir" "$n" port 53)
	# access=refuse: a resolver that answers REFUSED to everyone; access=deny:
	# one that drops every query (unbound's own way to time out).
	acc=$(_lab_get "$dir" "$n" access allow)
	case $acc in allow | refuse | deny) ;; *)
		_lab_err "$n: access=$acc (allow, refuse or deny)"
		return 1
		;;
	esac
	cat <<EOF
# generated by tests/lab/lab.sh for lab instance $n
server:
	port: $port
	interface-automatic: no
EOF
	for a in $(_lab_addrs "$dir" "$n"); do
		echo "	interface: $a@$port"
	done
	cat <<EOF
	access-control: 127.0.0.0/8 $acc
	access-control: ::1 $acc
	access-control: fd00:127::/32 $acc
	access-control: 198.18.0.0/15 $acc
	do-daemonize: yes
	chroot: ""
	username: ""
	directory: "$rd"
	pidfile: "$rd/pid"
	logfile: "$rd/log"
	use-syslog: no
	log-time-ascii: yes
	verbosity: $(_lab_get "$dir" "$n" verbosity 1)
	num-threads: 1
	so-reuseport: no
	outgoing-range: 64
	num-queries-per-thread: 64
	msg-cache-size: 1m
	rrset-cache-size: 2m
	neg-cache-size: 1m
	identity: "$(_lab_get "$dir" "$n" identity "$n")"
	nsid: "ascii_$(_lab_get "$dir" "$n" nsid "$n")"
	module-config: "iterator"
	do-not-query-localhost: no
	cache-min-ttl: 0
	serve-expired: no
	prefetch: no
	infra-host-ttl: 2
	rrset-roundrobin: no
	minimal-responses: yes
EOF
	_lab_unbound_zones "$dir" "$n" >"$rd/zones.conf" || return 1
	cat "$rd/zones.conf"
	cat <<EOF

remote-control:
	control-enable: yes
	control-interface: "$rd/control.sock"
	control-use-cert: no
EOF
}

_lab_unbound_ready() {
	local dir n a port out want
	dir=$1 n=$2
	grep -q "start of service" "$dir/run/$n/log" 2>/dev/null || return 1
	a=$(_lab_addrs "$dir" "$n" | awk '{ print $1 }')
	port=$(_lab_get "$dir" "$n" port 53)
	case $(_lab_get "$dir" "$n" access allow) in
	deny) return 0 ;; # answers nothing: the log line has to do
	refuse) want="status: REFUSED" ;;
	*) want="status: NOERROR" ;;
	esac
	out=$(_lab_in_ns "$dir" "$(_lab_get "$dir" "$n" netns)" \
		dig @"$a" -p "$port" +time=1 +tries=1 CH TXT id.server 2>&1) || return 1
	case $out in *"$want"*) return 0 ;; esac
	return 1
}

_lab_start_unbound() {
	local dir n rd
	dir=$1 n=$2
	rd=$dir/run/$n
	mkdir -p "$rd" || return 1
	[ -n "$(_lab_get "$dir" "$n" addr)" ] || {
		_lab_err "$n: no addr="
		return 1
	}
	if [ ${#rd} -gt 90 ]; then
		_lab_err "$n: $rd is too long for a unix socket path (keep the lab folder short)"
		return 1
	fi
	_lab_unbound_conf "$dir" "$n" >"$rd/unbound.conf" || return 1
	unbound-checkconf "$rd/unbound.conf" >"$rd/checkconf.out" 2>&1 || {
		cat "$rd/checkconf.out" >&2
		_lab_err "$n: unbound-checkconf $rd/unbound.conf failed"
		return 1
	}
	_lab_start_daemon "$dir" "$n" unbound -c "$rd/unbound.conf"
}

# --- the dropping resolver ----------------------------------------------------------
# Binds UDP and TCP on ADDR PORT, reads every datagram and drops it, accepts
# TCP connections and reads them but never answers: a resolver that times
# out. Logs one line a query to its log (for tests that count retries).

_LAB_DROPPER='
use strict; use warnings;
use IO::Socket::IP; use IO::Select; use POSIX qw(setsid);
my ($addr, $port, $pidfile, $logfile) = @ARGV;
my $u = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => "udp",
	ReuseAddr => 1) or die "lab dropper: udp $addr port $port: $@\n";
my $t = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => "tcp",
	Listen => 64, ReuseAddr => 1) or die "lab dropper: tcp $addr port $port: $@\n";
open(my $log, ">>", $logfile) or die "lab dropper: $logfile: $!\n";
my $pid = fork(); die "fork: $!\n" unless defined $pid;
if ($pid) {
	open(my $f, ">", "$pidfile.tmp") or die "$pidfile: $!\n";
	print $f "$pid\n"; close($f); rename("$pidfile.tmp", $pidfile) or die "$pidfile: $!\n";
	exit 0;
}
setsid();
open(STDIN, "<", "/dev/null"); open(STDOUT, ">&", $log); open(STDERR, ">&", $log);
$log->autoflush(1);
$SIG{TERM} = sub { exit 0 };
my $sel = IO::Select->new($u, $t);
my $n = 0;
while (1) {
	for my $s ($sel->can_read) {
		if ($s == $u) {
			my $buf; my $from = $s->recv($buf, 65535);
			$n++; printf $log "%d udp %d bytes dropped\n", time, length($buf);
		} elsif ($s == $t) {
			my $c = $t->accept; if ($c) { $sel->add($c); printf $log "%d tcp accepted\n", time }
		} else {
			my $buf; my $r = sysread($s, $buf, 65535);
			if (!$r) { $sel->remove($s); close($s) }
			else { printf $log "%d tcp %d bytes dropped\n", time, $r }
		}
	}
}
'

_lab_start_drop() {
	local dir n rd port a
	dir=$1 n=$2
	rd=$dir/run/$n
	mkdir -p "$rd" || return 1
	port=$(_lab_get "$dir" "$n" port 53)
	a=$(_lab_addrs "$dir" "$n")
	case $a in
	"" | *" "*)
		_lab_err "$n: a drop instance takes exactly one addr="
		return 1
		;;
	esac
	_lab_start_daemon "$dir" "$n" perl -e "$_LAB_DROPPER" "$a" "$port" "$rd/pid" "$rd/log"
}

# --- processes ------------------------------------------------------------------------

# _lab_start_daemon DIR NAME CMD...: runs a self-daemonizing CMD in the
# instance's namespace, output to DIR/run/NAME/stderr, and waits for its pid
# file. Every lab process has DIR/run/NAME/ on its command line, which is how
# lab_procs finds it.
_lab_start_daemon() {
	local dir n rd a deadline
	dir=$1 n=$2
	shift 2
	rd=$dir/run/$n
	rm -f "$rd/pid"
	for a in $(_lab_addrs "$dir" "$n"); do
		_lab_ensure_addr "$dir" "$(_lab_get "$dir" "$n" netns)" "$a" || return 1
	done
	if ! _lab_in_ns "$dir" "$(_lab_get "$dir" "$n" netns)" "$@" \
		</dev/null >"$rd/stderr" 2>&1; then
		cat "$rd/stderr" >&2
		[ -f "$rd/log" ] && tail -n 5 "$rd/log" >&2
		_lab_err "$n: $1 failed to start"
		return 1
	fi
	deadline=$(($(_lab_now_ms) + LAB_TIMEOUT * 1000))
	while [ ! -s "$rd/pid" ]; do
		if [ "$(_lab_now_ms)" -ge "$deadline" ]; then
			cat "$rd/stderr" >&2
			[ -f "$rd/log" ] && tail -n 5 "$rd/log" >&2
			_lab_err "$n: no pid file $rd/pid"
			return 1
		fi
		sleep 0.02
	done
	return 0
}

# _lab_pid DIR NAME: the instance's pid when it is running, else fail.
_lab_pid() {
	local p
	p=$(cat "$1/run/$2/pid" 2>/dev/null) || return 1
	p=$(echo "$p" | head -n 1 | tr -cd '0-9')
	lab_alive "$p" || return 1
	case $(lab_cmdline "$p") in
	*"$1/run/$2/"*) echo "$p" ;;
	*) return 1 ;;
	esac
}

# _lab_wait_ready DIR NAME...: every named instance answers.
_lab_wait_ready() {
	local dir deadline n pending k p
	dir=$1
	shift
	deadline=$(($(_lab_now_ms) + LAB_TIMEOUT * 1000))
	pending="$*"
	while [ -n "$pending" ]; do
		# shellcheck disable=SC2086
		set -- $pending
		pending=""
		for n in "$@"; do
			k=$(_lab_kind "$dir" "$n")
			case $k in
			nsd) _lab_nsd_ready "$dir" "$n" && continue ;;
			unbound) _lab_unbound_ready "$dir" "$n" && continue ;;
			*) continue ;;
			esac
			if ! p=$(_lab_pid "$dir" "$n"); then
				tail -n 5 "$dir/run/$n/log" >&2 2>/dev/null
				_lab_err "$n: $k died while starting (see $dir/run/$n/log)"
				return 1
			fi
			pending="$pending $n"
		done
		[ -z "$pending" ] && return 0
		if [ "$(_lab_now_ms)" -ge "$deadline" ]; then
			_lab_err "not answering after ${LAB_TIMEOUT}s:$pending"
			return 1
		fi
		sleep 0.03
	done
}

# lab_procs DIR: pids of every process of this lab (any command line that
# mentions DIR/run/), one a line.
lab_procs() {
	local dir p
	dir=$(_lab_absdir "$1") || return 0
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] && continue
		case $(lab_cmdline "$p") in
		*"$dir/run/"*) lab_alive "$p" && echo "$p" ;;
		esac
	done
	return 0
}

# --- public: lifecycle ---------------------------------------------------------------

# lab_init DIR [TEMPLATE]: a new lab folder from a template folder holding
# lab.conf and zones/ (default: tests/lab, i.e. lab.conf and zones/*.zone).
lab_init() {
	local dir tpl
	dir=$1
	tpl=${2:-${LAB_HOME:-}}
	[ -n "$dir" ] && [ -n "$tpl" ] || {
		_lab_err "usage: lab_init DIR [TEMPLATE] (or set LAB_HOME)"
		return 1
	}
	[ -f "$tpl/lab.conf" ] && [ -d "$tpl/zones" ] || {
		_lab_err "$tpl: no lab.conf and zones/"
		return 1
	}
	mkdir -p "$dir/zones" || return 1
	cp "$tpl/lab.conf" "$dir/lab.conf" &&
		cp "$tpl"/zones/*.zone "$dir/zones/"
}

# _lab_veth_end DIR LINK a|b IFNAME: move one end of a veth into its
# namespace (a=NETNS, "-" for the lab's own), give it a_addr=ADDR/LEN,...
# and bring it up.
_lab_veth_end() {
	local dir n side ifn ns real aa
	dir=$1 n=$2 side=$3 ifn=$4
	ns=$(_lab_get "$dir" "$n" "$side" -)
	real=$(_lab_netns_real "$dir" "$ns")
	if [ -n "$real" ]; then
		ip link set "$ifn" netns "$real" || return 1
	fi
	for aa in $(_lab_get "$dir" "$n" "${side}_addr" | tr ',' ' '); do
		case $aa in */*) ;; *)
			_lab_err "$n: ${side}_addr $aa needs a prefix length (198.18.0.1/30)"
			return 1
			;;
		esac
		if _lab_is_ipv6 "$aa"; then
			_lab_in_ns "$dir" "$ns" ip -6 addr add "$aa" dev "$ifn" nodad || return 1
		else
			_lab_in_ns "$dir" "$ns" ip addr add "$aa" dev "$ifn" || return 1
		fi
	done
	_lab_in_ns "$dir" "$ns" ip link set "$ifn" up
}

# _lab_veth_routes DIR LINK a|b OTHER: the routes a_route=PREFIX,... (or
# b_route=) in that end's namespace, each via the other end's first address
# of the same family: a region reaches the lab's loopback addresses
# (198.18.0.0/24 on lo) through its link, and nothing else (no default).
_lab_veth_routes() {
	local dir n side other ns pfx gw aa
	dir=$1 n=$2 side=$3 other=$4
	ns=$(_lab_get "$dir" "$n" "$side" -)
	for pfx in $(_lab_get "$dir" "$n" "${side}_route" | tr ',' ' '); do
		case $pfx in default | 0.0.0.0/0 | ::/0)
			_lab_err "$n: ${side}_route $pfx: no default route in a lab"
			return 1
			;;
		esac
		gw=""
		for aa in $(_lab_get "$dir" "$n" "${other}_addr" | tr ',' ' '); do
			if { _lab_is_ipv6 "$pfx" && _lab_is_ipv6 "$aa"; } ||
				{ ! _lab_is_ipv6 "$pfx" && ! _lab_is_ipv6 "$aa"; }; then
				gw=${aa%/*}
				break
			fi
		done
		[ -n "$gw" ] || {
			_lab_err "$n: ${side}_route $pfx: ${other}_addr has no address of its family"
			return 1
		}
		_lab_in_ns "$dir" "$ns" ip route add "$pfx" via "$gw" || return 1
	done
}

# lab_start DIR: start every instance of DIR/lab.conf, wait until each one
# answers. On failure, stops what it started and returns 1.
lab_start() {
	local dir n i ifa ifb real x
	dir=$(_lab_absdir "${1:-}") || {
		_lab_err "lab_start: no folder ${1:-}"
		return 1
	}
	case $dir in *[[:space:]]*)
		_lab_err "lab folder path must not contain spaces: $dir"
		return 1
		;;
	esac
	[ -f "$dir/lab.conf" ] || {
		_lab_err "$dir/lab.conf missing"
		return 1
	}
	_lab_load "$dir" || return 1
	if ! lab_netns_ok; then
		_lab_err "refusing to start: this network namespace has a way out (default route or an interface other than lo). Use lab_netns_enter, 'lab.sh run', or unshare -n."
		return 1
	fi
	if [ -n "$(lab_procs "$dir")" ]; then
		_lab_err "$dir: lab already running (lab_stop first)"
		return 1
	fi
	_lab_lo_up || return 1
	mkdir -p "$dir/run" || return 1
	: >"$dir/run/netns.list"
	: >"$dir/run/veth.list"
	head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/run/labid"

	# Unknown kinds and duplicate names are errors, not surprises later.
	x=$(_lab_lines "$dir" | awk '
		$1 !~ /^(nsd|unbound|drop|netns|veth)$/ { print "unknown kind " $1 " on line: " $0; exit }
		seen[$2]++ { print "duplicate name " $2; exit }')
	[ -z "$x" ] || {
		_lab_err "$dir/lab.conf: $x"
		return 1
	}

	# Namespaces and links first: instances bind addresses that live there.
	if [ -n "$(_lab_names "$dir" netns)" ]; then
		_lab_netns_dir || return 1
	fi
	for n in $(_lab_names "$dir" netns); do
		real=$(_lab_netns_real "$dir" "$n")
		ip netns add "$real" || {
			lab_stop "$dir"
			return 1
		}
		echo "$real" >>"$dir/run/netns.list"
		ip -n "$real" link set lo up
	done
	i=0
	for n in $(_lab_names "$dir" veth); do
		ifa="vl${i}a" ifb="vl${i}b"
		i=$((i + 1))
		ip link add "$ifa" type veth peer name "$ifb" || {
			lab_stop "$dir"
			return 1
		}
		echo "$ifa" >>"$dir/run/veth.list"
		_lab_veth_end "$dir" "$n" a "$ifa" && _lab_veth_end "$dir" "$n" b "$ifb" &&
			_lab_veth_routes "$dir" "$n" a b && _lab_veth_routes "$dir" "$n" b a || {
			lab_stop "$dir"
			return 1
		}
	done

	# Every server, then wait until each answers: unbound needs no NSD to
	# start, so their start-ups overlap.
	for n in $(_lab_names "$dir"); do
		case $(_lab_kind "$dir" "$n") in
		nsd) _lab_start_nsd "$dir" "$n" ;;
		drop) _lab_start_drop "$dir" "$n" ;;
		unbound) _lab_start_unbound "$dir" "$n" ;;
		*) continue ;;
		esac || {
			lab_stop "$dir"
			return 1
		}
	done
	# shellcheck disable=SC2046
	_lab_wait_ready "$dir" $(_lab_names "$dir" nsd) $(_lab_names "$dir" unbound) || {
		lab_stop "$dir"
		return 1
	}
	_lab_write_env "$dir"
}

# DIR/run/lab.env: KEY=VALUE lines (no quoting needed: lists use commas) for
# C tests and shells: VANTAGE_LAB_DIR, VANTAGE_LAB_NSD / _UNBOUND / _DROP
# (instance names), and per instance VANTAGE_LAB_ADDR_<name> (first IPv4 or
# only address), VANTAGE_LAB_ADDR6_<name> (first IPv6, if any),
# VANTAGE_LAB_ADDRS_<name> (all), VANTAGE_LAB_PORT_<name>.
_lab_write_env() {
	local dir n s v4 v6 a k
	dir=$1
	{
		echo "VANTAGE_LAB_DIR=$dir"
		for k in nsd unbound drop; do
			echo "VANTAGE_LAB_$(echo "$k" | tr '[:lower:]' '[:upper:]')=$(_lab_names "$dir" "$k" | paste -sd, -)"
		done
		for n in $(_lab_names "$dir"); do
			case $(_lab_kind "$dir" "$n") in nsd | unbound | drop) ;; *) continue ;; esac
			s=$(_lab_sanitize "$n")
			v4="" v6=""
			for a in $(_lab_addrs "$dir" "$n"); do
				if _lab_is_ipv6 "$a"; then
					[ -z "$v6" ] && v6=$a
				else
					[ -z "$v4" ] && v4=$a
				fi
			done
			echo "VANTAGE_LAB_ADDR_$s=${v4:-$v6}"
			[ -n "$v6" ] && echo "VANTAGE_LAB_ADDR6_$s=$v6"
			echo "VANTAGE_LAB_ADDRS_$s=$(_lab_get "$dir" "$n" addr)"
			echo "VANTAGE_LAB_PORT_$s=$(_lab_get "$dir" "$n" port 53)"
			echo "VANTAGE_LAB_NETNS_$s=$(_lab_netns_real "$dir" "$(_lab_get "$dir" "$n" netns)")"
		done
	} >"$dir/run/lab.env"
}

# lab_stop_instance DIR NAME: stop one instance by its pid file.
lab_stop_instance() {
	local dir p rc
	dir=$(_lab_absdir "$1") || return 1
	_lab_load "$dir" || return 1
	rc=0
	if p=$(_lab_pid "$dir" "$2"); then
		lab_kill_wait "$p" || rc=1
	fi
	# NSD's children, should one outlive the main process.
	# shellcheck disable=SC2046
	lab_kill_wait $(lab_procs "$dir" | while read -r p; do
		case $(lab_cmdline "$p") in *"$dir/run/$2/"*) echo "$p" ;; esac
	done) || rc=1
	rm -f "$dir/run/$2/pid"
	return $rc
}

# lab_start_instance DIR NAME: start one instance (of a lab that is up) again.
lab_start_instance() {
	local dir
	dir=$(_lab_absdir "$1") || return 1
	_lab_load "$dir" || return 1
	case $(_lab_kind "$dir" "$2") in
	nsd) _lab_start_nsd "$dir" "$2" ;;
	unbound) _lab_start_unbound "$dir" "$2" ;;
	drop) _lab_start_drop "$dir" "$2" ;;
	*)
		_lab_err "$2: no such instance"
		return 1
		;;
	esac || return 1
	_lab_wait_ready "$dir" "$2"
}

# lab_restart DIR NAME: stop and start one instance. For unbound this empties
# its cache; for NSD it reloads every zone from DIR/zones afresh.
lab_restart() {
	lab_stop_instance "$1" "$2" && lab_start_instance "$1" "$2"
}

# lab_stop DIR: stop every lab process (by pid file, then whatever else has
# DIR/run/ on its command line), wait until they have exited, delete the
# lab's veths and namespaces. Safe to call twice, or on a half-started lab.
lab_stop() {
	local dir f p pids rc n
	dir=$(_lab_absdir "${1:-}") || return 0
	[ -d "$dir/run" ] || return 0
	rc=0
	pids=""
	for f in "$dir"/run/*/pid; do
		[ -f "$f" ] || continue
		n=${f%/pid}
		n=${n##*/}
		p=$(_lab_pid "$dir" "$n") && pids="$pids $p"
	done
	# shellcheck disable=SC2086
	lab_kill_wait $pids || rc=1
	# shellcheck disable=SC2046
	lab_kill_wait $(lab_procs "$dir") || rc=1
	rm -f "$dir"/run/*/pid
	if [ -f "$dir/run/veth.list" ]; then
		while read -r n; do
			ip link del "$n" 2>/dev/null
		done <"$dir/run/veth.list"
		: >"$dir/run/veth.list"
	fi
	if [ -f "$dir/run/netns.list" ]; then
		while read -r n; do
			ip netns del "$n" || rc=1
		done <"$dir/run/netns.list"
		: >"$dir/run/netns.list"
	fi
	return $rc
}

# lab_cleanup_on_exit DIR...: stop these labs when the shell exits, or on
# INT, TERM or HUP. Replaces the caller's EXIT/INT/TERM/HUP traps; a caller
# with traps of its own calls lab_stop from them instead.
_LAB_CLEANUP_DIRS=""
_lab_on_exit() {
	local d
	for d in $_LAB_CLEANUP_DIRS; do
		lab_stop "$d"
	done
	_LAB_CLEANUP_DIRS=""
}
lab_cleanup_on_exit() {
	local d
	for d in "$@"; do
		d=$(_lab_absdir "$d") || continue
		_LAB_CLEANUP_DIRS="$_LAB_CLEANUP_DIRS $d"
	done
	trap '_lab_on_exit' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# --- public: scenarios and queries ------------------------------------------------

# lab_addr DIR NAME [4|6]: first IPv4 (default) or IPv6 address of an
# instance (the only address when it has no address of that family).
lab_addr() {
	local dir a fam first
	dir=$(_lab_absdir "$1") || return 1
	[ "$dir" = "${_LAB_CONF_DIR:-}" ] || _lab_load "$dir" || return 1
	fam=${3:-4}
	first=""
	for a in $(_lab_addrs "$dir" "$2"); do
		[ -z "$first" ] && first=$a
		if _lab_is_ipv6 "$a"; then
			[ "$fam" = 6 ] && echo "$a" && return 0
		else
			[ "$fam" = 4 ] && echo "$a" && return 0
		fi
	done
	[ -n "$first" ] || {
		_lab_err "$2: no such instance or no addr="
		return 1
	}
	echo "$first"
}

# lab_dig DIR NAME DIG-ARGS...: dig at an instance (its first address and
# port) from inside the instance's namespace.
lab_dig() {
	local dir n
	dir=$(_lab_absdir "$1") || return 1
	_lab_load "$dir" || return 1
	n=$2
	shift 2
	_lab_in_ns "$dir" "$(_lab_get "$dir" "$n" netns)" \
		dig @"$(lab_addr "$dir" "$n")" -p "$(_lab_get "$dir" "$n" port 53)" "$@"
}

# lab_serial DIR NSD ZONE: the SOA serial NSD serves for ZONE now.
lab_serial() {
	lab_dig "$1" "$2" +norec +time=1 +tries=1 +short SOA "$3" | awk 'NF >= 7 { print $3; exit }'
}

# lab_zone_update DIR ZONE FILE [NSD...]: give NSD instances (default: every
# one serving ZONE) a new copy of ZONE from FILE (a path, or a name in
# DIR/zones), SIGHUP them and wait until each serves the new SOA serial.
# The new file must carry a serial different from the one served; to reload
# unchanged serials, use lab_restart.
lab_zone_update() {
	local dir z file serial n rd p deadline cur pending given
	dir=$(_lab_absdir "${1:-}") || {
		_lab_err "lab_zone_update: no folder ${1:-}"
		return 1
	}
	_lab_load "$dir" || return 1
	z=${2:-}
	file=${3:-}
	given=$file
	[ -n "$z" ] && [ -n "$file" ] || {
		_lab_err "usage: lab_zone_update DIR ZONE FILE [NSD...]"
		return 1
	}
	shift 3
	[ -f "$file" ] || file=$dir/zones/$file
	[ -f "$file" ] || {
		_lab_err "zone file $given not found"
		return 1
	}
	serial=$(_lab_zone_serial "$z" "$file")
	[ -n "$serial" ] || {
		nsd-checkzone "$z" "$file" >&2
		_lab_err "$file: not a loadable zone $z"
		return 1
	}
	if [ $# -eq 0 ]; then
		for n in $(_lab_names "$dir" nsd); do
			[ -f "$dir/run/$n/zones/$z.zone" ] && set -- "$@" "$n"
		done
	fi
	[ $# -gt 0 ] || {
		_lab_err "no nsd instance serves $z"
		return 1
	}
	for n in "$@"; do
		rd=$dir/run/$n
		[ -f "$rd/zones/$z.zone" ] || {
			_lab_err "$n does not serve $z"
			return 1
		}
		p=$(_lab_pid "$dir" "$n") || {
			_lab_err "$n is not running"
			return 1
		}
		cur=$(lab_serial "$dir" "$n" "$z")
		if [ "$cur" = "$serial" ]; then
			_lab_err "$n already serves $z serial $serial: a zone update must change the serial (or use lab_restart)"
			return 1
		fi
		cp "$file" "$rd/zones/$z.zone.new" &&
			mv -f "$rd/zones/$z.zone.new" "$rd/zones/$z.zone" || return 1
		kill -HUP "$p" || return 1
	done
	deadline=$(($(_lab_now_ms) + LAB_TIMEOUT * 1000))
	pending="$*"
	while :; do
		# shellcheck disable=SC2086
		set -- $pending
		pending=""
		for n in "$@"; do
			[ "$(lab_serial "$dir" "$n" "$z")" = "$serial" ] || pending="$pending $n"
		done
		[ -z "$pending" ] && return 0
		if [ "$(_lab_now_ms)" -ge "$deadline" ]; then
			_lab_err "$z serial $serial not served after ${LAB_TIMEOUT}s by:$pending"
			return 1
		fi
		sleep 0.02
	done
}

# lab_unbound_control DIR NAME ARGS...: unbound-control for a lab resolver
# (flush NAME, dump_cache, lookup NAME, ...), over a unix socket in its
# folder.
lab_unbound_control() {
	local dir n
	dir=$(_lab_absdir "$1") || return 1
	n=$2
	shift 2
	unbound-control -c "$dir/run/$n/unbound.conf" "$@"
}

# lab_status DIR: one line an instance: name, kind, state, pid, addresses.
lab_status() {
	local dir n k p st
	dir=$(_lab_absdir "$1") || return 1
	_lab_load "$dir" || return 1
	for n in $(_lab_names "$dir"); do
		k=$(_lab_kind "$dir" "$n")
		case $k in nsd | unbound | drop) ;; *) continue ;; esac
		if p=$(_lab_pid "$dir" "$n"); then st=running; else st=stopped p=-; fi
		printf '%-10s %-8s %-8s %-7s %s\n' "$n" "$k" "$st" "$p" "$(_lab_get "$dir" "$n" addr)"
	done
}

# --- command line ------------------------------------------------------------------

_lab_usage() {
	cat <<'EOF'
usage: lab.sh COMMAND [ARGS]
  init DIR [TEMPLATE]          new lab folder (lab.conf + zones/) from TEMPLATE
                               (default: the folder lab.sh is in)
  run DIR -- CMD [ARGS...]     in a fresh network (and PID) namespace: start the
                               lab, run CMD with DIR/run/lab.env in its
                               environment, stop the lab; exit with CMD's status
  shell DIR                    the same with an interactive shell
  start DIR | stop DIR         (inside a namespace that is already private)
  status DIR | procs DIR
  restart DIR NAME
  zone-update DIR ZONE FILE [NSD...]
  serial DIR NSD ZONE | addr DIR NAME [4|6]
  dig DIR NAME DIG-ARGS...     dig at an instance, from its namespace
  control DIR NAME ARGS...     unbound-control for a lab unbound
EOF
}

_lab_main() {
	local cmd dir rc
	cmd=${1:-help}
	[ $# -gt 0 ] && shift
	case $cmd in
	init)
		[ $# -ge 1 ] || {
			_lab_usage >&2
			return 2
		}
		lab_init "$1" "${2:-${LAB_HOME:-}}"
		;;
	run | shell)
		[ $# -ge 1 ] || {
			_lab_usage >&2
			return 2
		}
		lab_netns_enter "${LAB_HOME:?}/lab.sh" "$cmd" "$@" || return 1
		dir=$1
		shift
		[ "${1:-}" = "--" ] && shift
		if [ "$cmd" = shell ]; then
			set -- "${SHELL:-/bin/sh}" -i
		fi
		[ $# -gt 0 ] || {
			_lab_usage >&2
			return 2
		}
		lab_cleanup_on_exit "$dir"
		lab_start "$dir" || return 1
		set -a
		# shellcheck disable=SC1091
		. "$(_lab_absdir "$dir")/run/lab.env"
		set +a
		rc=0
		"$@" || rc=$?
		lab_stop "$dir" || [ "$rc" != 0 ] || rc=1
		return $rc
		;;
	start) lab_start "$@" ;;
	stop) lab_stop "$@" ;;
	status) lab_status "$@" ;;
	procs) lab_procs "$@" ;;
	restart) lab_restart "$@" ;;
	zone-update) lab_zone_update "$@" ;;
	serial) lab_serial "$@" ;;
	addr) lab_addr "$@" ;;
	dig) lab_dig "$@" ;;
	control) lab_unbound_control "$@" ;;
	help | -h | --help) _lab_usage ;;
	*)
		_lab_usage >&2
		return 2
		;;
	esac
}

if [ -z "${LAB_HOME:-}" ]; then
	# bash knows where a sourced file is; sh only when lab.sh is the program.
	# shellcheck disable=SC3028
	if [ -n "${BASH_SOURCE:-}" ]; then
		LAB_HOME=$(_lab_absdir "$(dirname "$BASH_SOURCE")")
	else
		case ${0##*/} in lab.sh) LAB_HOME=$(_lab_absdir "$(dirname "$0")") ;; esac
	fi
fi

case ${0##*/} in
lab.sh)
	_lab_main "$@"
	exit $?
	;;
esac

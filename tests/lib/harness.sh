# tests/lib/harness.sh - what the process-level test scripts share (sourced,
# POSIX sh): PASS/FAIL lines with counts, waiting for a condition, private
# copies of the programs, keys and an allow-list, a lab with a coordinator
# and agents (their configurations, starting them), what is left running.
# The lab helpers need tests/lab/lab.sh.

pass=0
fails=0

ok() {
	pass=$((pass + 1))
	echo "PASS  $*"
}

bad() {
	fails=$((fails + 1))
	echo "FAIL  $*"
}

# check NAME COMMAND...: a test that passes when the command does
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# wait_for SECONDS COMMAND...: until the command succeeds (polls every 0.1 s)
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# vt_private_bins DIR: copy the programs from $BIN into DIR/bin and point BIN
# there, so a rebuild while the test runs cannot swap them under it
vt_private_bins() {
	mkdir -p "$1/bin"
	cp "$BIN/vantage-agent" "$BIN/vantage-coord" "$BIN/vantagectl" "$1/bin/" || exit 1
	BIN="$1/bin"
}

# vt_keys DIR AGENT[:REGION]...: a coordinator key DIR/coord.key, a key per
# agent DIR/AGENT.key and the allow-list folder DIR/agents (region defaults
# to reg-AGENT)
vt_keys() {
	d=$1
	shift
	mkdir -p "$d/agents"
	"$BIN/vantagectl" keygen "$d/coord.key" >/dev/null || exit 1
	for spec in "$@"; do
		a=${spec%%:*}
		r=${spec#*:}
		[ "$r" = "$spec" ] && r="reg-$a"
		"$BIN/vantage-agent" keygen "$d/$a.key" >/dev/null || exit 1
		printf '[agent %s]\nregion = %s\npubkey = %s\n' "$a" "$r" "$(cat "$d/$a.key.pub")" \
			>"$d/agents/$a.conf"
	done
}

# vt_agent_conf DIR AGENT ENDPOINT [LINE...]: DIR/AGENT.conf for an agent
# whose key and allow-list entry vt_keys made in DIR, connecting to
# ENDPOINT; each LINE is written as is: those before the first section
# header to [agent] ("log_level = debug"), the rest after [coordinator]
# (more sections: "[resolvers]", "local = 127.0.20.1", ...)
vt_agent_conf() {
	d=$1 a=$2 ep=$3
	shift 3
	{
		printf '[agent]\nid = %s\nregion = %s\nkey = %s\nstate_dir = %s\n' "$a" \
			"$(sed -n 's/^region = //p' "$d/agents/$a.conf")" "$d/$a.key" "$d/state-$a"
		while [ $# -gt 0 ]; do
			case $1 in "["*) break ;; esac
			printf '%s\n' "$1"
			shift
		done
		printf '[coordinator]\nendpoint = %s\npubkey = %s\n' "$ep" "$(cat "$d/coord.key.pub")"
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$d/$a.conf"
}

# vt_coord_conf DIR LISTEN [LINE...]: DIR/coord.conf for a coordinator
# listening on LISTEN, with the key and allow-list vt_keys made in DIR, its
# control socket DIR/control.sock, its store DIR/vantage.db and a heartbeat
# of 1 s; each LINE is appended as is (more [coordinator] keys, then
# "[monitor NAME]", "name = good.test", ...)
vt_coord_conf() {
	d=$1 ep=$2
	shift 2
	{
		printf '[coordinator]\nlisten = %s\nkey = %s\nallowlist = %s\n' "$ep" "$d/coord.key" "$d/agents"
		printf 'control = ipc://%s\nstore = %s\nheartbeat = 1s\n' "$d/control.sock" "$d/vantage.db"
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$d/coord.conf"
}

# vt_coord_start DIR: the coordinator of DIR/coord.conf in the background
# (log DIR/coord.log, pid added to $pids); waits up to 5 s for its control
# socket. CTL is then the vantagectl command that talks to it.
vt_coord_start() {
	"$BIN/vantage-coord" -c "$1/coord.conf" 2>"$1/coord.log" &
	pids="$pids $!"
	CTL="$BIN/vantagectl -s ipc://$1/control.sock"
	wait_for 5 test -S "$1/control.sock"
}

# vt_agent_start DIR AGENT [CMD...]: the agent of DIR/AGENT.conf in the
# background (log DIR/AGENT.log, pid added to $pids), run by CMD when given
# (lab_host LAB NETNS RESOLV_CONF, ...)
vt_agent_start() {
	d=$1 a=$2
	shift 2
	"$@" "$BIN/vantage-agent" -c "$d/$a.conf" 2>"$d/$a.log" &
	pids="$pids $!"
}

# vt_agents_up N: the coordinator ($CTL) has N agents up
vt_agents_up() {
	[ "$($CTL agents --json | jq '[.agents[] | select(.state == "up")] | length')" = "$1" ]
}

# vt_lab NAME: a DNS lab and a work folder for a coordinator and agents on
# this machine (lab.sh sourced, lab_netns_enter done): $top, a new
# /tmp/vantage-NAME.XXXXXX; the lab $lab = $top/lab, its lab.conf read from
# standard input; the work folder $W = $top/w with private programs
# (vt_private_bins); an empty $pids and vt_cleanup trapped on EXIT, INT and
# TERM. Then it starts the lab and puts the coordinator's address 127.0.40.1
# on lo. Exits when the lab does not start.
vt_lab() {
	top=$(mktemp -d "/tmp/vantage-$1.XXXXXX") || exit 1
	lab="$top/lab"
	W="$top/w"
	mkdir -p "$lab" "$W/agents"
	vt_private_bins "$W"
	lab_init "$lab" >/dev/null
	cat >"$lab/lab.conf"
	pids=""
	trap vt_cleanup EXIT INT TERM
	lab_start "$lab" >/dev/null || exit 1
	ip addr add 127.0.40.1/32 dev lo 2>/dev/null
}

# vt_cleanup: vt_lab's trap: kill -9 what $pids names, stop the lab, and
# remove $top unless a check failed
vt_cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	lab_stop "$lab" >/dev/null 2>&1
	[ "$fails" = 0 ] && rm -rf "$top"
}

# vt_running PATTERN...: " PID:COMMAND-LINE" for each live process (not this
# shell, nor the subshell of a $(vt_running ...)) whose command line matches
# one of the shell PATTERNs (needs lab.sh)
vt_running() {
	read -r self _ </proc/self/stat
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] || [ "$p" = "$self" ] && continue
		c=$(lab_cmdline "$p")
		for pat in "$@"; do
			# shellcheck disable=SC2254 # a pattern, on purpose
			case $c in $pat)
				lab_alive "$p" && printf ' %s:%s' "$p" "$c"
				break
				;;
			esac
		done
	done
}

# tests/lib/harness.sh - what the process-level test scripts share (sourced,
# POSIX sh): PASS/FAIL lines with counts, waiting for a condition, private
# copies of the programs, keys and an allow-list.

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
# ENDPOINT; each LINE is appended as is (more sections: "[resolvers]",
# "local = 127.0.20.1", ...)
vt_agent_conf() {
	d=$1 a=$2 ep=$3
	shift 3
	{
		printf '[agent]\nid = %s\nregion = %s\nkey = %s\nstate_dir = %s\n' "$a" \
			"$(sed -n 's/^region = //p' "$d/agents/$a.conf")" "$d/$a.key" "$d/state-$a"
		printf '[coordinator]\nendpoint = %s\npubkey = %s\n' "$ep" "$(cat "$d/coord.key.pub")"
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$d/$a.conf"
}

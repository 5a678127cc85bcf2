#!/bin/sh
# tests/cli/run.sh - the programs' command lines: --help, --version, bad
# arguments, keygen, and make install into a DESTDIR.
# Needs VANTAGE_BIN (the folder holding the built programs).
set -u
BIN=${VANTAGE_BIN:?VANTAGE_BIN must name the folder of the built programs}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vantage-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
pass=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect STATUS PATTERN CMD...: exit status and a pattern in stdout+stderr
expect() {
	want=$1 pat=$2
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" != "$want" ]; then
		bad "$* exited $got, want $want; output: $out"
	elif ! printf '%s' "$out" | grep -q -- "$pat"; then
		bad "$* output lacks '$pat': $out"
	else
		ok
	fi
}

for p in vantage-agent vantage-coord vantagectl; do
	expect 0 "usage: $p" "$BIN/$p" --help
	expect 0 "^$p [0-9][0-9.]*" "$BIN/$p" --version
done
# daemons: 2 for usage errors; vantagectl: 3 (unknown), as monitoring plugins expect
expect 2 "usage: vantage-agent" "$BIN/vantage-agent" --no-such-option
expect 2 "usage: vantage-coord" "$BIN/vantage-coord" --no-such-option
expect 3 "usage: vantagectl" "$BIN/vantagectl" --no-such-option
expect 3 "usage: vantagectl" "$BIN/vantagectl"
expect 3 "unknown command 'frobnicate'" "$BIN/vantagectl" frobnicate
expect 0 "history NAME TYPE" "$BIN/vantagectl" --help
expect 2 "unknown command 'frobnicate'" "$BIN/vantage-agent" frobnicate

# keygen through both programs
for p in vantagectl vantage-agent; do
	k="$TMP/$p.key"
	expect 0 "public key: $k.pub" "$BIN/$p" keygen "$k"
	mode=$(stat -c %a "$k")
	[ "$mode" = 600 ] && ok || bad "$p keygen: secret key mode $mode, want 600"
	mode=$(stat -c %a "$k.pub")
	[ "$mode" = 644 ] && ok || bad "$p keygen: public key mode $mode, want 644"
	grep -q '^vantage-ed25519-secret [A-Za-z0-9+/=]*$' "$k" && ok || bad "$p keygen: secret key format"
	grep -q '^vantage-ed25519 [A-Za-z0-9+/=]\{44\}' "$k.pub" && ok || bad "$p keygen: public key format"
	before=$(cat "$k")
	expect 1 "$k" "$BIN/$p" keygen "$k"
	[ "$(cat "$k")" = "$before" ] && ok || bad "$p keygen overwrote an existing key without --force"
	expect 0 "public key" "$BIN/$p" keygen --force "$k"
	[ "$(cat "$k")" != "$before" ] && ok || bad "$p keygen --force did not write a new key"
	expect 2 "PATH is missing" "$BIN/$p" keygen
	expect 2 "more than one PATH" "$BIN/$p" keygen a b
	expect 1 "$TMP/no/such/dir/k" "$BIN/$p" keygen "$TMP/no/such/dir/k"
done
# two keys differ
"$BIN/vantagectl" keygen "$TMP/a.key" >/dev/null && "$BIN/vantagectl" keygen "$TMP/b.key" >/dev/null
[ "$(cat "$TMP/a.key.pub")" != "$(cat "$TMP/b.key.pub")" ] && ok || bad "two keygen runs gave the same key"


# -n checks a daemon's configuration: the example configs, with this run's keys
"$BIN/vantage-agent" keygen "$TMP/agent-n.key" >/dev/null
"$BIN/vantagectl" keygen "$TMP/coord-n.key" >/dev/null
cpub=$(cat "$TMP/coord-n.key.pub")
apub=$(cat "$TMP/agent-n.key.pub")
sed -e "s#^key = .*#key = $TMP/agent-n.key#" -e "s#^state_dir = .*#state_dir = $TMP/agent-state#" \
	-e "s#^pubkey = .*#pubkey = $cpub#" "$ROOT/deploy/agent.conf.example" >"$TMP/agent.conf"
sed -e "s#^pubkey = .*#pubkey = $apub#" "$ROOT/deploy/agents.conf.example" >"$TMP/agents.conf"
sed -e "s#^key = .*#key = $TMP/coord-n.key#" -e "s#^allowlist = .*#allowlist = $TMP/agents.conf#" \
	-e "s#^store = .*#store = $TMP/vantage.db#" "$ROOT/deploy/coord.conf.example" >"$TMP/coord.conf"
expect 0 "configuration OK" "$BIN/vantage-agent" -n -c "$TMP/agent.conf"
expect 0 "configuration OK" "$BIN/vantage-coord" -n -c "$TMP/coord.conf"
printf '[agent]\nid = x\nregion = y\nkey = %s\ncolour = blue\n' "$TMP/agent-n.key" >"$TMP/bad-agent.conf"
expect 1 "bad-agent.conf:5: \[agent\] colour: unknown key" "$BIN/vantage-agent" -n -c "$TMP/bad-agent.conf"
# [smtp] (the example's last section): each bad value named with its file,
# line, section and key
smtp_bad() {
	{ cat "$TMP/agent.conf"; printf '%s\n' "$1"; } >"$TMP/smtp-agent.conf"
	line=$(($(wc -l <"$TMP/agent.conf") + 1))
	expect 1 "smtp-agent.conf:$line: \[smtp\] $2" "$BIN/vantage-agent" -n -c "$TMP/smtp-agent.conf"
}
smtp_bad "helo = bad name" "helo: 'bad name' is not a host name"
smtp_bad "ca_file = /nonexistent/ca.pem" "ca_file: cannot read '/nonexistent/ca.pem'"
smtp_bad "expiry_days = 0" "expiry_days:"
smtp_bad "timeout = 10ms" "timeout:"
smtp_bad "tls = maybe" "tls:"
smtp_bad "mail_from = x@y" "mail_from: unknown key"
chmod 0644 "$TMP/agent-n.key"
expect 1 "agent-n.key: permissions 0644 are too open" "$BIN/vantage-agent" -n -c "$TMP/agent.conf"
chmod 0600 "$TMP/agent-n.key"
sed -e "s#^allowlist = .*#allowlist = $TMP/nowhere#" "$TMP/coord.conf" >"$TMP/coord-bad.conf"
expect 1 "allowlist: .*nowhere" "$BIN/vantage-coord" -n -c "$TMP/coord-bad.conf"
sed -e "s#^listen = .*#listen = tcp://*:99999#" "$TMP/coord.conf" >"$TMP/coord-bad.conf"
expect 1 "coord-bad.conf:[0-9]*: \[coordinator\] listen:" "$BIN/vantage-coord" -n -c "$TMP/coord-bad.conf"
expect 1 "cannot open" "$BIN/vantage-coord" -n -c "$TMP/none.conf"

# vantagectl without a coordinator: exit 3, naming the endpoint it tried
expect 3 "cannot reach the coordinator at ipc://$TMP/no.sock" "$BIN/vantagectl" -s "ipc://$TMP/no.sock" agents
expect 3 "cannot reach the coordinator at ipc://$TMP/no.sock" "$BIN/vantagectl" -s "ipc://$TMP/no.sock" check example.com
expect 3 "cannot reach the coordinator at tcp://127.0.0.1:9" "$BIN/vantagectl" -s "tcp://127.0.0.1:9" agents
expect 3 "NAME is missing" "$BIN/vantagectl" -s "ipc://$TMP/no.sock" check
expect 3 "unknown profile" "$BIN/vantagectl" -s "ipc://$TMP/no.sock" check x.test --profile web
expect 3 "control = ipc:///run/vantage/control.sock\|cannot reach the coordinator at ipc:///run/vantage/control.sock" "$BIN/vantagectl" -c "$TMP/coord.conf" agents

# make install honours PREFIX and DESTDIR
if make -s -C "$ROOT" install PREFIX=/opt/vt DESTDIR="$TMP/stage" >"$TMP/install.log" 2>&1; then
	for f in bin/vantagectl sbin/vantage-agent sbin/vantage-coord share/doc/vantage/README.md; do
		[ -f "$TMP/stage/opt/vt/$f" ] && ok || bad "make install: $f missing under DESTDIR/PREFIX"
	done
else
	bad "make install failed: $(cat "$TMP/install.log")"
fi

# make install puts the man pages under DESTDIR/PREFIX, and each formats without warnings
MAN=$TMP/stage/opt/vt/share/man
if command -v groff >/dev/null 2>&1; then
	fmt() { LC_ALL=C.UTF-8 groff -man -Tutf8 -z -ww "$1" 2>&1; }
elif command -v man >/dev/null 2>&1; then
	fmt() { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null; }
else
	fmt() { echo "neither groff nor man is installed"; }
fi
for page in man8/vantage-agent.8 man8/vantage-coord.8 man8/vantagectl.8 man5/vantage.conf.5; do
	if [ ! -f "$MAN/$page" ]; then
		bad "make install: share/man/$page missing under DESTDIR/PREFIX"
		continue
	fi
	warn=$(fmt "$MAN/$page")
	[ -z "$warn" ] && ok || bad "man page $page does not format cleanly: $warn"
done

echo "cli: $pass passed, $fails failed"
[ "$fails" = 0 ]

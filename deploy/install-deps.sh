#!/bin/sh
# Install every Debian 12 package that vantage's build, tests and demo need.
#
# Idempotent and fast when everything is present: apt-get update runs only
# when a package is missing. While apt-get runs, a temporary policy-rc.d
# keeps any service (nsd and unbound above all) from starting, and whatever
# stood at /usr/sbin/policy-rc.d before is put back afterwards. Services that
# a systemd machine enabled anyway are stopped, so nothing is left running.
set -eu

PACKAGES="
build-essential pkg-config clang clang-format libclang-rt-14-dev
libzmq3-dev libc-ares-dev libmsgpack-dev libsodium-dev libldns-dev
libsqlite3-dev sqlite3 libinih-dev libjansson-dev libpsl-dev publicsuffix
libcmocka-dev libssl-dev openssl
nsd unbound dnsutils dnsperf iproute2 procps jq groff-base
exim4-daemon-light nftables
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or with sudo) to install them" >&2
	exit 1
fi

echo "install-deps: installing:$missing" >&2

policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ] || [ -L "$policy" ]; then
	saved=$(mktemp /usr/sbin/policy-rc.d.vantage.XXXXXX)
	cp -a "$policy" "$saved"
fi
restore() {
	if [ -n "$saved" ]; then
		mv -f "$saved" "$policy"
	else
		rm -f "$policy"
	fi
}
trap restore EXIT INT TERM
printf '#!/bin/sh\n# vantage install-deps: start no service while installing\nexit 101\n' >"$policy"
chmod 0755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

# On a systemd machine the units may still have been enabled and started by
# something else; the lab runs its own instances, so none may stay up.
if [ -d /run/systemd/system ]; then
	for svc in nsd unbound exim4 exim4-base.timer; do
		systemctl stop "$svc" 2>/dev/null || true
		systemctl disable "$svc" 2>/dev/null || true
	done
fi

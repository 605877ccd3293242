#!/bin/sh
# tests/integration/exim-sub.sh DIR: a private Exim for the integration
# tests, from Debian's packages without installing them (Exim conflicts
# with Postfix as a package): `apt-get download` exim4-daemon-light,
# exim4-base and libidn12 into DIR once, unpack them with dpkg-deb -x, and
# create the system user Debian-exim the binary is built for. Prints two
# lines: EXIM=<binary> and LIBDIR=<directory for LD_LIBRARY_PATH>.
# Nothing is started here; nothing system-wide is installed.
set -eu
dir=${1:?usage: exim-sub.sh DIR}
mkdir -p "$dir/debs" "$dir/root"
cd "$dir/debs"
for p in exim4-daemon-light exim4-base libidn12; do
	ls ${p}_*.deb >/dev/null 2>&1 || timeout 120 apt-get download "$p" >/dev/null 2>&1 ||
		{ echo "exim-sub.sh: apt-get download $p failed" >&2; exit 1; }
done
if [ ! -x "$dir/root/usr/sbin/exim4" ]; then
	for d in *.deb; do dpkg-deb -x "$d" "$dir/root"; done
fi
if ! getent passwd Debian-exim >/dev/null; then
	adduser --system --group --no-create-home --home /nonexistent --quiet Debian-exim 2>/dev/null ||
		useradd --system --user-group --no-create-home --shell /usr/sbin/nologin Debian-exim
fi
echo "EXIM=$dir/root/usr/sbin/exim4"
echo "LIBDIR=$dir/root/usr/lib/x86_64-linux-gnu"

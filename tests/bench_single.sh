#!/bin/sh
# Benchmark (not a test): one mxprobe check against posttls-finger, openssl
# s_client and swaks, interleaved, against one private Postfix on loopback,
# then a submission check with every probe, then the same through a relay
# adding 50 ms of round-trip time (tests/integration/bench_single.py says
# how). Needs root (Postfix on port 25 of 127.0.B.N) and Debian's postfix,
# openssl, and for swaks the swaks and libnet-ssleay-perl packages.
#
#   tests/bench_single.sh [MXPROBE] [-n RUNS] [--baseline OLD_MXPROBE]
#   defaults: build/mxprobe, 15 runs
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	MXPROBE=$1
	shift
fi
: "${MXPROBE:=$root/build/mxprobe}"
export MXPROBE

py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/integration/bench_single.py" --mxprobe "$MXPROBE" "$@"

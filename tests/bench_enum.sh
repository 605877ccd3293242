#!/bin/sh
# Benchmark (not a test): mxprobe's enumeration (--probes
# versions,ciphers,groups,weaknesses) vs sslscan and testssl.sh against the
# servers of tests/integration/test_enum.py: wall time, TCP connections
# counted on the wire (tcpdump SYNs), suite-list agreement with sslscan.
# Needs root, postfix, tcpdump, sslscan; testssl.sh is optional and slow
# (minutes per server), so by default it runs against the stock Postfix only.
#
#   tests/bench_enum.sh [MXPROBE] [--testssl stock|all|none|NAME,...]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	MXPROBE=$1
	shift
fi
: "${MXPROBE:=$root/build/mxprobe}"
export MXPROBE
: "${MXTESTSRV:=$root/build/tests/testsrv/mxtestsrv}"
export MXTESTSRV

py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/integration/bench_enum.py" --mxprobe "$MXPROBE" "$@"

#!/bin/sh
# Benchmark (not a test): wall time and TCP connections of one default
# `mxprobe check` against a private Postfix on loopback, with a test PKI made
# on the fly.  Needs root (Postfix on port 25 of 127.0.B.N) and Debian's
# postfix; uses tcpdump to count SYNs on the wire when it is installed, else
# the Postfix log's "connect from" lines.
#
#   tests/bench.sh [MXPROBE] [-n RUNS]      defaults: build/mxprobe, 20 runs
#   MXPROBE=/tmp/b/mxprobe BENCH_RUNS=50 tests/bench.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	MXPROBE=$1
	shift
fi
: "${MXPROBE:=$root/build/mxprobe}"
export MXPROBE

# Debian's python3 has python3-jsonschema; a pyenv python on PATH may not.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/integration/bench.py" --mxprobe "$MXPROBE" "$@"

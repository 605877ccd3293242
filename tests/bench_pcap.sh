#!/bin/sh
# tests/bench_pcap.sh: throughput and peak memory of `mxprobe pcap` next to
# tshark on the same generated capture (not a timed test: it prints figures).
#
#   tests/bench_pcap.sh [MXPROBE] [PACKETS] [CONCURRENT]
#
# MXPROBE defaults to build/mxprobe (use a release build, not the sanitizer
# one); PACKETS to 1100000; CONCURRENT (sessions open at once) to 300. The
# capture (tests/bench_pcap_gen.py: interleaved SMTP/STARTTLS, SMTP AUTH in
# clear, POP3, IMAP/STARTTLS sessions; 1% retransmitted and 1% reordered
# segments) is written to a temporary directory and removed afterwards
# (BENCH_KEEP=1 keeps it). Each tool runs once under /usr/bin/time -v; the
# figures are wall-clock packets per second and the maximum resident set.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mx=${1:-$here/../build/mxprobe}
packets=${2:-1100000}
conc=${3:-300}
command -v tshark >/dev/null 2>&1 || { echo "bench_pcap.sh: tshark is needed (apt-get install tshark)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench_pcap.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
[ -x "$mx" ] || { echo "bench_pcap.sh: no mxprobe at $mx" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxbench-pcap.XXXXXX")
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
cap=$tmp/bench.pcap
python3 "$here/bench_pcap_gen.py" "$cap" "$packets" "$conc"
n=$("$mx" pcap --format json "$cap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["targets"][0]["wire"]["packets"])')
echo "capture: $cap, $n packets, $(du -m "$cap" | cut -f1) MiB"

# run TAG NAME CMD...: prints one line of figures
run() {
	tag=$1
	name=$2
	shift 2
	/usr/bin/time -v "$@" >"$tmp/out" 2>"$tmp/time" || true
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
	cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$tmp/time")
	secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	awk -v name="$name" -v n="$n" -v s="$secs" -v c="$cpu" -v r="$rss" 'BEGIN {
		printf "%-34s %8.2f s wall %8.2f s cpu %12.0f packets/s (cpu: %12.0f) %8.1f MiB peak RSS\n",
			name, s, c, n / (s > 0 ? s : 0.001), n / (c > 0 ? c : 0.001), r / 1024 }'
	echo "$tag $secs $cpu $rss" >>"$tmp/figures"
}

run mx "mxprobe pcap (text)" "$mx" pcap "$cap"
run mxjson "mxprobe pcap --format json" "$mx" pcap --format json "$cap"
run conv "tshark -r FILE -q -z conv,tcp" tshark -n -r "$cap" -q -z conv,tcp
run smtp "tshark -r FILE -Y smtp" tshark -n -r "$cap" -Y smtp
awk '{ w[NR] = $2; c[NR] = $3 } END {
	printf "mxprobe (text) vs tshark conv,tcp: %.1fx wall, %.1fx cpu; vs tshark -Y smtp: %.1fx wall, %.1fx cpu\n",
		w[3] / w[1], c[3] / c[1], w[4] / w[1], c[4] / c[1] }' "$tmp/figures"

#!/bin/sh
# tests/fuzz/run.sh: build the libFuzzer targets with clang (ASan + UBSan)
# in a temporary directory, run each for FUZZ_SECONDS (default 30) on a
# copy of its seed corpus, and report crashes. Exit 1 on a crash (or a
# fuzzer that would not run), 2 when the build failed.
#
#   FUZZ_SECONDS=120 tests/fuzz/run.sh              all targets
#   tests/fuzz/run.sh smtp_reply target             some of them
#   FUZZ_BUILD=/tmp/fz tests/fuzz/run.sh            reuse a build directory
#   FUZZ_JOBS=4                                     parallel fuzzing jobs per target
#   FUZZ_SEED=1                                     a fixed seed (tests/run.sh: the same path every run)
#   FUZZ_PARALLEL=2                                 targets fuzzed at once (tests/run.sh: one per core)
#
# A crash input is left in <build>/artifacts/<target>/; reproduce it with
# <build>/tests/fuzz/fuzz_<target> FILE, and commit it to
# tests/fuzz/corpus/<target>/ once understood (the ctest fuzz.<target> then
# replays it on every fuzz build).
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-1}
build=${FUZZ_BUILD:-}
if [ -z "$build" ]; then
	build=$(mktemp -d "${TMPDIR:-/tmp}/mxprobe-fuzz.XXXXXX") || exit 2
fi
mkdir -p "$build" || exit 2
build=$(cd "$build" && pwd) # the steps below change directory
# Every tests/fuzz/fuzz_NAME.c is a target unless some are named.
all=$(for f in "$here"/fuzz_*.c; do n=${f##*/fuzz_}; echo "${n%.c}"; done)
targets=${*:-$all}

cc=${CC:-clang}
case $cc in
*clang*) ;;
*) echo "run.sh: libFuzzer needs clang, CC is '$cc'" >&2; exit 2 ;;
esac
command -v "$cc" >/dev/null 2>&1 || { echo "run.sh: '$cc' not found" >&2; exit 2; }

echo "== configure and build in $build"
if ! CC=$cc cmake -S "$src" -B "$build" -DMXPROBE_FUZZ=ON -DMXPROBE_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1; then
	tail -n 30 "$build/configure.log" >&2
	echo "run.sh: configure failed (log: $build/configure.log)" >&2
	exit 2
fi
# The libFuzzer binaries alone: they replay the seeds too (-runs=0), so the
# gate links half as much (ctest's fuzz.<target> uses the _standalone ones).
build_targets=
for t in $targets; do
	build_targets="$build_targets fuzz_$t"
done
# shellcheck disable=SC2086
if ! cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target $build_targets \
	>"$build/build.log" 2>&1; then
	grep -E 'error|undefined' "$build/build.log" | head -n 30 >&2
	echo "run.sh: build failed (log: $build/build.log)" >&2
	exit 2
fi

# LeakSanitizer and UBSan reports are crashes too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target: replay its seeds, fuzz it, and leave "status line" in
# $build/result-<target> (status 0 ok, 1 crash).
run_target() {
	t=$1
	bin=$build/tests/fuzz/fuzz_$t
	seeds=$here/corpus/$t
	work=$build/corpus/$t
	art=$build/artifacts/$t
	cwd=$build/run/$t # libFuzzer's -jobs writes fuzz-N.log here
	mkdir -p "$work" "$art" "$cwd"
	rm -f "$cwd"/fuzz-[0-9]*.log
	[ -d "$seeds" ] && cp -R "$seeds/." "$work/"
	# the scenario parser also starts from every shipped scenario
	[ "$t" = scenario ] && cp "$src"/scenarios/*.scn "$work/"
	dict=
	[ -f "$here/corpus/dict/$t.dict" ] && dict="-dict=$here/corpus/dict/$t.dict"

	echo "== $t: replay the seed corpus"
	if ! (cd "$cwd" && "$bin" -runs=0 -artifact_prefix="$cwd/replay-" "$seeds") >"$build/replay-$t.log" 2>&1; then
		cat "$build/replay-$t.log" >&2
		printf '%s\n' "1 $t: seed corpus replay FAILED (log: $build/replay-$t.log)" >"$build/result-$t"
		return
	fi

	echo "== $t: fuzz for ${seconds}s"
	par=
	[ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
	# shellcheck disable=SC2086
	(cd "$cwd" && "$bin" -max_total_time="$seconds" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} $par -print_final_stats=1 \
		-max_len=8192 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art/" $dict \
		"$work" >"$build/fuzz-$t.log" 2>&1)
	rc=$?
	crashes=$(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' \) 2>/dev/null)
	if [ $rc -ne 0 ] || [ -n "$crashes" ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|    #[0-9] )' "$build/fuzz-$t.log" | head -n 25 >&2
		line="1 $t: CRASH (exit $rc), log $build/fuzz-$t.log $(ls "$cwd"/fuzz-[0-9]*.log 2>/dev/null | tr '\n' ' ')"
		for c in $crashes; do
			line="$line\n      $c"
		done
		printf '%s\n' "$line" >"$build/result-$t" # %b later turns \n into lines
	else
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$t.log" | \
			awk '{ s += $2 } END { print s + 0 }')
		printf '%s\n' "0 $t: ok, $runs runs, corpus $(ls "$work" | wc -l) inputs" >"$build/result-$t"
	fi
}

# FUZZ_PARALLEL targets at a time (tests/run.sh: one per core); each keeps
# its fixed seed, so the gate is as repeatable as one at a time.
parallel=${FUZZ_PARALLEL:-1}
running=0
for t in $targets; do
	rm -f "$build/result-$t"
	if [ "$parallel" -gt 1 ]; then
		run_target "$t" &
		running=$((running + 1))
		if [ "$running" -ge "$parallel" ]; then
			wait
			running=0
		fi
	else
		run_target "$t"
	fi
done
wait

status=0
summary=
for t in $targets; do
	if [ -f "$build/result-$t" ]; then
		read -r st line <"$build/result-$t"
		[ "$st" = 0 ] || status=1
		summary="$summary\n  $line"
	else
		status=1
		summary="$summary\n  $t: no result"
	fi
done

printf "== summary (build: %s)%b\n" "$build" "$summary"
exit $status

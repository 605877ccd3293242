#!/bin/sh
# Keeps docs/findings.md and the code in step: every finding id a probe can
# emit is in the catalogue, and every catalogued id is still emitted.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
code=$(mktemp) doc=$(mktemp)
trap 'rm -f "$code" "$doc"' EXIT
# Literal ids passed to probe_result_add, plus diag.<step> from the step ids.
grep -ho 'probe_result_add([^"]*"[a-z0-9.-]*"' probes/*.c src/mail/*.c | sed 's/.*"\(.*\)"/\1/' > "$code"
sed -n '/step_ids\[\]/,/};/p' src/report/model.c |
	grep -o '"[a-z-]*"' | tr -d '"' | grep -v -e '^none$' -e '^quit$' | sed 's/^/diag./' >> "$code"
# Ids chosen at run time (a ternary) are listed after "/* ids: */" comments;
# src/core/domain.c emits the domain-level ones (domain.*), src/policy/ the
# MTA-STS and TLS-RPT ones.
grep -ho '/\* ids: [^*]*\*/' probes/*.c src/core/domain.c src/core/pool.c src/policy/*.c 2>/dev/null | sed 's#/\* ids: ##; s# \*/##' | tr ' ' '\n' >> "$code" || true
# The scenario interpreter's own ids (src/scenario/), and the ids the shipped
# scenarios give their outcomes (then/else clauses, finding statements).
grep -ho '/\* ids: [^*]*\*/' src/scenario/*.c 2>/dev/null | sed 's#/\* ids: ##; s# \*/##' | tr ' ' '\n' >> "$code" || true
grep -hoE '(then|else) (pass|info|warn|fail|error) [a-z0-9.-]+|^finding (pass|info|warn|fail) [a-z0-9.-]+' scenarios/*.scn 2>/dev/null |
	awk '{ print $3 }' >> "$code" || true
# The wire checks (src/wire/) add their findings through probe_result_add
# and the analyzer's capped add_finding.
grep -hoE '(probe_result_add|add_finding)\([^"]*"wire\.[a-z0-9.-]*"' src/wire/*.c | sed 's/.*"\(.*\)"/\1/' >> "$code"
sort -u -o "$code" "$code"
grep -o '^| `[a-z0-9.-]*`' docs/findings.md | sed 's/^| `//; s/`$//' | sort -u > "$doc"
status=0
if ! diff -u "$doc" "$code" > /dev/null; then
	echo "docs/findings.md and the code disagree (- only in docs, + only in code):"
	diff -u "$doc" "$code" | sed -n '3,$p' | grep '^[-+]'
	status=1
fi
n=$(wc -l < "$code")
echo "findings catalogue: $n ids checked"
exit $status

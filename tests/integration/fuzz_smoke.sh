#!/usr/bin/env bash
# fuzz_smoke.sh - a short run of every libFuzzer target under `make check`:
# builds them with tests/fuzz/fuzz.mk (clang, ASan/UBSan) and runs each for
# FUZZ_SMOKE_SECONDS (default 4: a smoke test, `make fuzz` is the
# real run) from its seed corpus, in a scratch corpus
# directory. One "ok"/"not ok" line per fuzzer; a crash, leak, sanitizer
# report or broken invariant is a failure and its input is kept under the
# build-fuzz directory for reproduction.
# timeout: 600
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init

secs=${FUZZ_SMOKE_SECONDS:-4}
fb=$NIMBUS_TOP/build-fuzz
command -v clang >/dev/null || lab_fail "clang not installed (scripts/install-deps)"

if ! make -C "$NIMBUS_TOP" -f tests/fuzz/fuzz.mk FB="$fb" all \
	>"$LAB_DIR/build.log" 2>&1; then
	sed 's/^/# /' "$LAB_DIR/build.log" | tail -30
	lab_fail "fuzz targets build (make -f tests/fuzz/fuzz.mk)"
fi
ok "fuzz targets build"

n=0
for src in "$NIMBUS_TOP"/tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c); name=${name#fuzz_}
	n=$((n + 1))
	corpus=$LAB_DIR/corpus-$name
	mkdir -p "$corpus"
	seeds=()
	[ -d "$NIMBUS_TOP/tests/fuzz/corpus/$name" ] &&
		seeds=("$NIMBUS_TOP/tests/fuzz/corpus/$name")
	log=$LAB_DIR/fuzz-$name.log
	"$fb/fuzz_$name" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$fb/" "$corpus" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
		ok "fuzz_$name: $runs runs in ${secs}s, no finding"
	else
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" |
			head -20 | sed 's/^/# /'
		not_ok "fuzz_$name (exit $rc, see artifacts in $fb/)"
	fi
done
[ "$n" -gt 0 ] || not_ok "no fuzz targets found in tests/fuzz/"
exit $((LAB_FAILED > 0))

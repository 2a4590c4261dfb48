#!/bin/sh
# Builds the libFuzzer targets of the API's parsers with clang (ASan and UBSan) into BUILD/fuzz and
# runs each for SECONDS (default 30) from its seed corpus in tests/fuzz/corpus. Fails when one
# finds a crash, a leak or undefined behaviour.
# Usage: run.sh SOURCE-DIR BUILD-DIR [SECONDS]
set -eu
src=${1:?usage: run.sh SOURCE-DIR BUILD-DIR [SECONDS]}
out=$2/fuzz
seconds=${3:-30}
mkdir -p "$out"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -std=gnu11"
libs=$(pkg-config --cflags --libs json-c libxml-2.0 libcrypto libvirt)
common="$src/src/api/query.c $src/src/api/sigv4.c $src/src/api/shapes.c $src/src/util.c $src/src/error.c"
for t in query sigv4; do
	# shellcheck disable=SC2086
	clang $flags -I"$src/include" -I"$src/src" -o "$out/fuzz_$t" "$src/tests/fuzz/fuzz_$t.c" $common $libs
	mkdir -p "$out/corpus-$t"
	cp "$src/tests/fuzz/corpus/$t"/* "$out/corpus-$t/"
	mkdir -p "$out/artifacts-$t"
	rc=0
	"$out/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -detect_leaks=1 \
		-artifact_prefix="$out/artifacts-$t/" "$out/corpus-$t" > "$out/fuzz_$t.log" 2>&1 || rc=$?
	echo "fuzz_$t ($seconds s): $(grep -E '^stat::number_of_executed_units' "$out/fuzz_$t.log" | awk '{print $2}') runs," \
		"$(ls "$out/corpus-$t" | wc -l) inputs in the corpus, exit status $rc"
	if [ "$rc" -ne 0 ]; then
		grep -E "^(==|SUMMARY)" "$out/fuzz_$t.log" | head -n 20
		echo "artifacts: $(ls "$out/artifacts-$t")"
		exit 1
	fi
done

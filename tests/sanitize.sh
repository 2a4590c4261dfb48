#!/bin/sh
# The unit, driver and CLI/API tests again, built with AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer (EC2LITE_SANITIZE): configures and builds SOURCE-DIR into BUILD-DIR
# (incrementally after the first time), runs `ctest -L 'unit|driver|cli'` there and fails when a
# test fails or when any process left a sanitizer report.
#
# Reports go to files (log_path), one per process, not to stderr: the CLI's detached children
# (the port forwarder, the settling of a stop or reboot, image workers) have their stderr on
# /dev/null, so a report written there would be lost. Every error halts the process
# (UBSan's halt_on_error; ASan always does). Leaks are checked at exit() in every process, forked
# children included; util_detach's children end with _exit(), which LeakSanitizer does not see (a
# daemon's memory at its end is not a leak). No suppression is needed today (libvirt, libxml2,
# libguestfs and json-c leave nothing at exit that LSan reports); add one only for a library,
# never for our own code, in a file named here.
# JOBS (default 2) is how many builds and tests run at once: ctest gives 1, so that the run takes
# one of its two slots beside the guest tests, as any other test does.
# Usage: sanitize.sh SOURCE-DIR BUILD-DIR [JOBS]
set -eu
src=${1:?usage: sanitize.sh SOURCE-DIR BUILD-DIR [JOBS]}
build=${2:?usage: sanitize.sh SOURCE-DIR BUILD-DIR [JOBS]}
jobs=${3:-2}
cmake -S "$src" -B "$build" -DEC2LITE_WERROR=ON -DEC2LITE_SANITIZE=ON > /dev/null
cmake --build "$build" -j"$jobs" > "$build/build.log" 2>&1 || { tail -n 50 "$build/build.log"; exit 1; }
logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
rc=0
(cd "$build" && ctest -L 'unit|driver|cli' --no-tests=error --output-on-failure -j"$jobs") || rc=$?
# Detached children may still be ending (a forwarder whose state folder went): give them a moment.
sleep 1
for f in "$logs"/*; do
	[ -e "$f" ] || continue
	echo "sanitizer report ($f):"
	head -n 40 "$f"
	rc=1
done
exit "$rc"

#!/bin/sh
# After a failed `make test`: the failed checks of each failed test, from ctest's logs (the main
# run's and the sanitize run's), in a few lines at the very end of the output, where a reader of
# a long CI log (or of its tail) finds them: a test's FAIL lines with the lines its check printed
# after them, a Check suite's failing assertions, a Python traceback's last lines, a sanitizer's
# first report line.
# Usage: scripts/failed-checks.sh [BUILD-DIR]   (default build)
build=${1:-build}
for log in "$build/Testing/Temporary/LastTest.log" "$build/asan/Testing/Temporary/LastTest.log"; do
	[ -f "$log" ] || continue
	awk -v file="$log" '
	/^[0-9]+\/[0-9]+ Test: / { name = $3; n = 0; after = 0; next }
	/^Test Failed\./ || /^Test Passed\./ {
		if ($0 ~ /Failed/ && n > 0) {
			printf "== %s (%s)\n", name, file
			for (i = 1; i <= n && i <= 40; i++) print "   " buf[i]
			if (n > 40) printf "   ... %d more\n", n - 40
		}
		n = 0; after = 0; next
	}
	{
		keep = 0
		if ($0 ~ /^FAIL/ || $0 ~ /:[0-9]+:[EF]:/ || $0 ~ /(Error|Exception): / || $0 ~ /^ERROR/ ||
		    $0 ~ /SUMMARY: (Address|Undefined|Leak)/ || $0 ~ /runtime error:/) { keep = 1; after = 4 }
		else if (after > 0 && $0 ~ /^  /) { keep = 1; after-- }
		else after = 0
		if (keep) buf[++n] = $0
	}' "$log"
done

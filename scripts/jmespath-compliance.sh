#!/bin/sh
# Runs the official JMESPath compliance suite over ec2-lite's --query implementation
# (src/cli/jmespath.c) and prints cases, passed and failed per file. The suite is not part of this
# repository (its repository carries no licence); fetch it yourself, e.g.
#   git clone https://github.com/jmespath/jmespath.test /tmp/jmespath.test
#   scripts/jmespath-compliance.sh /tmp/jmespath.test
# DIR is the clone (DIR/tests/*.json) or the folder of its JSON files (DIR/*.json). Each case goes
# through tests/jmespath_eval (built with the tests, or named by $JMESPATH_EVAL); the comparison is
# tests/jmespath_diff.py's. Exits 1 if a case fails, 2 on bad usage.
set -eu
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 DIR   (a clone of github.com/jmespath/jmespath.test, or its tests folder)" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
eval_bin=${JMESPATH_EVAL:-$root/build/tests/jmespath_eval}
if [ ! -x "$eval_bin" ]; then
	echo "$0: no $eval_bin: build first (make -C build jmespath_eval) or set JMESPATH_EVAL" >&2
	exit 2
fi
exec /usr/bin/python3 "$root/tests/jmespath_diff.py" --eval "$eval_bin" --compliance "$1"

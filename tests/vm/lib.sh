# Shared by the real-VM tests (sourced): a state folder of their own (scripts/tmp-state.sh), or,
# for tests that set shared=1 and run under ctest, the folder with the AMIs built once per run
# (scripts/shared-state.sh); checks that count, and waits on real signals (the serial console,
# the aws-style waiters). Needs: $bin (the ec2-lite binary).
if [ "${shared:-0}" = 1 ] && [ -n "${EC2LITE_SHARED_STATE:-}" ]; then
	. "$(dirname "$0")/../../scripts/shared-state.sh"
else
	. "$(dirname "$0")/../../scripts/tmp-state.sh"
fi
export EC2_LITE_WAITER_DELAY=1 EC2_LITE_WAITER_MAX_ATTEMPTS=300
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
# check NAME COMMAND [ARG...]: the one simple command COMMAND (its output dropped) must succeed.
# check NAME 'CONDITION': a condition given as ONE string is evaluated whole, in a subshell, with
# this shell's variables and functions: check NAME '[ "$a" = x ] && [ "$b" = y ]' asserts both.
# Never write check NAME [ a ] && [ b ]: the shell hands check only [ a ], and b then decides
# nothing (tests/lint-tests.sh fails on that shape).
check() {
	name=$1
	shift
	if [ $# -eq 1 ]; then
		if (eval "$1") > /dev/null; then ok "$name"; else bad "$name"; fi
	elif "$@" > /dev/null; then ok "$name"; else bad "$name"; fi
}
# check_fails NAME CODE COMMAND...: COMMAND must fail with EC2 error CODE.
check_fails() {
	name=$1 code=$2
	shift 2
	out=$("$@" 2>&1)
	if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "($code)"; then ok "$name"; else
		bad "$name"; printf '  %s\n' "$out" >&2; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

console() { cat "$state/instances/$1/console.log" 2>/dev/null; }
# wait_console ID PATTERN SECONDS: waits for PATTERN on the instance's serial console.
wait_console() {
	i=0
	while [ $i -lt "$3" ]; do
		console "$1" | grep -aq -- "$2" && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "  no '$2' on the console of $1 after $3 s; its last lines:" >&2
	console "$1" | tail -n 5 | sed 's/^/  | /' >&2
	return 1
}
# console_line ID PREFIX: what follows PREFIX on the last console line that has it ("" if none).
console_line() { console "$1" | grep -a -- "$2" | tail -n 1 | sed "s/.*$2//" | tr -d '\r'; }
desc() { "$bin" describe-instances --instance-ids "$1" | jq -r ".Reservations[0].Instances[0].$2 // empty"; }
# http_code URL: the HTTP status, or 000 when nothing answers (refused).
http_code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$1"; }
# wait_http URL SECONDS [ID]: until the URL answers 200 (on failure, the console's last lines).
wait_http() {
	i=0
	while [ $i -lt "$2" ]; do
		[ "$(http_code "$1")" = 200 ] && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "  $1 did not answer 200 in $2 s" >&2
	[ -n "${3:-}" ] && console "$3" | tail -n 8 | sed 's/^/  | /' >&2
	return 1
}
state_of() { "$bin" describe-instances --instance-ids "$1" | jq -r '.Reservations[0].Instances[0].State.Name'; }

require_libvirtd() {
	if ! virsh -c qemu:///system version > /dev/null 2>&1; then
		echo "libvirtd is not reachable at qemu:///system: start virtlogd -d and libvirtd -d"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

# Shared by the real-VM tests (sourced): a state folder of their own under /tmp, cleanup of
# every instance, pool and file they made (on any exit), checks that count, and waits on real
# signals (the serial console, the aws-style waiters).
# Needs: $bin (the ec2-lite binary).
state=$(mktemp -d /tmp/ec2lite-vm-XXXXXX)
chmod 755 "$state" # libvirt's QEMU runs as libvirt-qemu and must reach the disks below it
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=qemu:///system
export EC2_LITE_WAITER_DELAY=1 EC2_LITE_WAITER_MAX_ATTEMPTS=300
passed=0
failed=0

cleanup() {
	ids=$("$bin" describe-instances --output json 2>/dev/null |
		jq -r '.Reservations[].Instances[] | select(.State.Name != "terminated") | .InstanceId')
	[ -n "$ids" ] && "$bin" terminate-instances --instance-ids $ids > /dev/null 2>&1
	pool=$(virsh -q pool-list --all --name | sed "s/ *$//" | grep -x "ec2-lite-[0-9a-f]*" | while read -r p; do
		virsh pool-dumpxml "$p" | grep -q "<path>$state/pool</path>" && echo "$p"; done)
	[ -n "$pool" ] && { virsh -q pool-destroy "$pool"; virsh -q pool-undefine "$pool"; } > /dev/null 2>&1
	rm -rf "$state"
}
trap cleanup EXIT
trap "exit 130" INT TERM HUP PIPE

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { name=$1; shift; if "$@" > /dev/null; then ok "$name"; else bad "$name"; fi; }
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
state_of() { "$bin" describe-instances --instance-ids "$1" | jq -r '.Reservations[0].Instances[0].State.Name'; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

require_libvirtd() {
	if ! virsh -c qemu:///system version > /dev/null 2>&1; then
		echo "libvirtd is not reachable at qemu:///system: start virtlogd -d and libvirtd -d"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

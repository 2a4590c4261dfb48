# Sourced by the VM tests and the benchmarks: a state folder of their own under /tmp, removed
# on any exit with every instance, libvirt pool and file made in it. Needs $bin (ec2-lite).
# Sets $state and $work (scratch files) and exports EC2_LITE_STATE_DIR and EC2_LITE_CONNECT.
state=$(mktemp -d /tmp/ec2lite-run-XXXXXX)
work=$state # scratch files of the test
chmod 755 "$state" # libvirt's QEMU runs as libvirt-qemu and must reach the disks below it
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=qemu:///system

tmp_state_cleanup() {
	ids=$("$bin" describe-instances --output json 2>/dev/null |
		jq -r '.Reservations[].Instances[] | select(.State.Name != "terminated") | .InstanceId')
	[ -n "$ids" ] && "$bin" terminate-instances --instance-ids $ids > /dev/null 2>&1
	# virsh pads --name output with spaces.
	for p in $(virsh -q pool-list --all --name | sed 's/ *$//' | grep -x 'ec2-lite-[0-9a-f]*'); do
		virsh pool-dumpxml "$p" 2> /dev/null | grep -q "<path>$state/pool</path>" &&
			{ virsh -q pool-destroy "$p"; virsh -q pool-undefine "$p"; } > /dev/null 2>&1
	done
	rm -rf "$state"
}
trap 'tmp_state_cleanup' EXIT
trap "exit 130" INT TERM HUP PIPE

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

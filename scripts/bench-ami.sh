#!/bin/sh
# Benchmark of the AMI issue, figures beside a floor measured in the same run:
#  - build-ami time for tiny (and debian-12 with --debian), fresh builds;
#  - run-instances to the user-data's output, for tiny (and debian-12), median of N, beside raw
#    qemu-system-x86_64 booting the same kernel/disk (a fresh overlay on the same base) with
#    the same seed, under the same accelerator (the floor ec2-lite should stay near).
# Usage: scripts/bench-ami.sh [--debian] [ROUNDS]   (after `make setup`; root, libvirtd)
set -eu
cd "$(dirname "$0")/.."
debian=false
[ "${1:-}" = --debian ] && { debian=true; shift; }
rounds=${1:-3}
bin=$PWD/build/ec2-lite
. scripts/bench-state.sh
trap 'pkill -f "qemu-system-x86_64 -name bench-floor" 2> /dev/null; state_cleanup' EXIT
accel=tcg
"$bin" doctor | grep -q "accelerator  *kvm" && accel=kvm

printf '#!/bin/sh\necho BENCH-USER-DATA-RAN\n' > "$work/ud.sh"

# bench RECIPE MARKER TIMEOUT
bench() {
	recipe=$1 marker=$2 limit=$3
	t=$(now)
	ami=$("$bin" build-ami --force "$recipe" 2> /dev/null | jq -r .ImageId)
	build=$(echo "$(now) - $t" | bc)
	ours="" floor=""
	r=0
	while [ $r -lt "$rounds" ]; do
		t=$(now)
		id=$("$bin" run-instances --image-id "$ami" --instance-type t2.micro --user-data "file://$work/ud.sh" |
			jq -r '.Instances[0].InstanceId')
		wait_for "$state/instances/$id/console.log" "$marker" "$limit"
		ours="$ours $(echo "$(now) - $t" | bc)"
		cp "$state/instances/$id/seed.iso" "$work/seed.iso"
		xml=$(virsh dumpxml "$id")
		"$bin" terminate-instances --instance-ids "$id" > /dev/null
		# The floor: the same files straight into QEMU.
		base=$(ls "$state/pool/$ami".*)
		qemu-img create -q -f qcow2 -F raw -b "$base" "$work/floor.qcow2"
		kernel=$(printf '%s' "$xml" | sed -n 's|.*<kernel>\(.*\)</kernel>.*|\1|p')
		initrd=$(printf '%s' "$xml" | sed -n 's|.*<initrd>\(.*\)</initrd>.*|\1|p')
		cmdline=$(printf '%s' "$xml" | sed -n 's|.*<cmdline>\(.*\)</cmdline>.*|\1|p')
		rm -f "$work/floor.log"
		t=$(now)
		if [ -n "$kernel" ]; then
			qemu-system-x86_64 -name bench-floor -machine pc,accel=$accel -m 1024 -display none \
				-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
				-drive "file=$work/floor.qcow2,format=qcow2,if=virtio" -cdrom "$work/seed.iso" \
				-serial "file:$work/floor.log" -monitor none > /dev/null 2>&1 &
		else
			qemu-system-x86_64 -name bench-floor -machine pc,accel=$accel -m 1024 -display none \
				-drive "file=$work/floor.qcow2,format=qcow2,if=virtio" -cdrom "$work/seed.iso" \
				-serial "file:$work/floor.log" -monitor none > /dev/null 2>&1 &
		fi
		qpid=$!
		wait_for "$work/floor.log" "$marker" "$limit"
		floor="$floor $(echo "$(now) - $t" | bc)"
		kill "$qpid"
		wait "$qpid" 2> /dev/null || true
		rm -f "$work/floor.qcow2"
		r=$((r + 1))
	done
	o=$(echo $ours | median)
	f=$(echo $floor | median)
	echo "$recipe ($accel): build-ami $build s; run-instances to user-data output, median of $rounds:"
	echo "  raw qemu-system-x86_64 (floor): $f s"
	echo "  ec2-lite run-instances:         $o s   ($(echo "scale=2; $o / $f" | bc)x the floor)"
}

bench tiny BENCH-USER-DATA-RAN 120
$debian && bench debian-12 BENCH-USER-DATA-RAN 400

#!/bin/sh
# Benchmark of the core issue, printing figures beside baselines measured in the same run:
#  1. run-instances until the domain runs, against `virsh define` + `virsh start` of the same
#     domain XML on a fresh overlay of the same AMI (the libvirt floor), real daemon, N rounds;
#  2. describe-instances with 100 instances on the test driver, against listing the domains and
#     reading their XML (tests/bench_describe.c).
# Usage: scripts/bench-core.sh [ROUNDS]   (after `make setup`; needs root and libvirtd)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
bin=$PWD/build/ec2-lite
. scripts/bench-state.sh
floor_cleanup() {
	for d in $(virsh -q list --all --name | sed 's/ *$//' | grep '^bench-floor-' || true); do
		virsh -q destroy "$d" > /dev/null 2>&1 || true
		virsh -q undefine "$d" > /dev/null 2>&1 || true
	done
	state_cleanup
}
trap floor_cleanup EXIT

sh scripts/make-busybox-image.sh "$work/image"
ami=$("$bin" register-image --name bench --disk "$work/image/disk.raw" --kernel "$work/image/vmlinuz" \
	--ramdisk "$work/image/initrd.img" --kernel-args "console=ttyS0 panic=-1" --output text)

ours="" floor=""
r=0
while [ $r -lt "$rounds" ]; do
	t=$(now)
	id=$("$bin" run-instances --image-id "$ami" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
	ours="$ours $(echo "$(now) - $t" | bc)"
	# The floor: the same XML, renamed, on a fresh overlay made the same way.
	virsh dumpxml --inactive "$id" > "$work/floor.xml"
	base=$(ls "$state/pool"/ami-*)
	qemu-img create -q -f qcow2 -F raw -b "$base" "$state/pool/floor.qcow2"
	sed -e "s|<name>$id</name>|<name>bench-floor-$r</name>|" -e '/<uuid>/d' \
		-e "s|$state/pool/$id-root.qcow2|$state/pool/floor.qcow2|" \
		-e "s|$state/instances/$id/console.log|$work/floor-console.log|" "$work/floor.xml" > "$work/floor2.xml"
	t=$(now)
	virsh -q define "$work/floor2.xml" > /dev/null
	virsh -q start "bench-floor-$r" > /dev/null
	floor="$floor $(echo "$(now) - $t" | bc)"
	virsh -q destroy "bench-floor-$r" > /dev/null
	virsh -q undefine "bench-floor-$r" > /dev/null
	rm -f "$state/pool/floor.qcow2"
	"$bin" terminate-instances --instance-ids "$id" > /dev/null
	r=$((r + 1))
done
o=$(echo $ours | tr ' ' '\n' | median)
f=$(echo $floor | tr ' ' '\n' | median)
echo "run-instances to domain running, qemu:///system, median of $rounds:"
echo "  libvirt floor (virsh define + virsh start): $f s"
echo "  ec2-lite run-instances:                     $o s"
echo "  ratio: $(echo "scale=2; $o / $f" | bc)x the floor"
echo
build/tests/bench_describe 100 20

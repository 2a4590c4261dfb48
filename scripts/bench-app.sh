#!/bin/sh
# Benchmark of the user-data issue: the Employee Directory (userdata/employee-directory.sh) on the
# debian-12 AMI, from the launch command until the app answers HTTP 200, three ways in the same
# run on the same disk and accelerator:
#  - ec2-lite run-instances (t2.micro, a group that opens port 80; through the public IP);
#  - virt-install --import --cloud-init user-data=... (what one would type with libvirt's tools);
#  - raw qemu-system-x86_64 with a cloud-localds seed (the floor).
# The other two reach the guest through QEMU user networking forwarded to a loopback port, as the
# network rule wants. Medians of ROUNDS runs.
# Usage: scripts/bench-app.sh [ROUNDS]   (after `make setup`; root, libvirtd; installs virtinst,
#        cloud-image-utils and genisoimage when missing)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
bin=$PWD/build/ec2-lite
app=$PWD/userdata/employee-directory.sh
for p in virtinst cloud-image-utils genisoimage; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" > /dev/null
done
. scripts/tmp-state.sh
cleanup() {
	virsh -q destroy bench-virtinst > /dev/null 2>&1 || true
	virsh -q undefine bench-virtinst --nvram > /dev/null 2>&1 || true
	pkill -f "qemu-system-x86_64 -name bench-floor" 2> /dev/null || true
	tmp_state_cleanup
}
trap cleanup EXIT
accel=tcg
"$bin" doctor | grep -q "accelerator  *kvm" && accel=kvm
virt=qemu
[ $accel = kvm ] && virt=kvm

# wait_200 URL SECONDS: until the URL answers 200; prints nothing, fails after SECONDS.
wait_200() {
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1")" = 200 ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "timed out waiting for $1" >&2
	return 1
}

t=$(now)
ami=$("$bin" build-ami debian-12 2> /dev/null | jq -r .ImageId)
echo "build-ami debian-12: $(since "$t") s"
base=$(ls "$state/pool/$ami".*)
sg=$("$bin" create-security-group --group-name bench-web --description bench | jq -r .GroupId)
"$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0 > /dev/null
printf 'instance-id: bench-floor\nlocal-hostname: bench\n' > "$state/meta-data"
cloud-localds "$state/seed.iso" "$app" "$state/meta-data"
nic="virtio-net-pci,netdev=bn0,bus=pci.0,addr=0x1f"

ours="" vi="" floor=""
r=0
while [ $r -lt "$rounds" ]; do
	# ec2-lite
	t=$(now)
	id=$("$bin" run-instances --image-id "$ami" --instance-type t2.micro --security-group-ids "$sg" \
		--user-data "file://$app" | jq -r '.Instances[0].InstanceId')
	ip=$("$bin" describe-instances --instance-ids "$id" | jq -r '.Reservations[0].Instances[0].PublicIpAddress')
	wait_200 "http://$ip/" 600
	ours="$ours $(since "$t")"
	"$bin" terminate-instances --instance-ids "$id" > /dev/null

	# virt-install --import with its own cloud-init seed
	qemu-img create -q -f qcow2 -F raw -b "$base" "$state/vi.qcow2"
	chmod 644 "$state/vi.qcow2"
	t=$(now)
	virt-install --connect qemu:///system --name bench-virtinst --virt-type $virt --memory 1024 \
		--vcpus 1 --import --disk "path=$state/vi.qcow2,format=qcow2,bus=virtio" \
		--osinfo detect=on,require=off --cloud-init "user-data=$app" --network none \
		--graphics none --noautoconsole \
		--qemu-commandline="-netdev user,id=bn0,restrict=on,hostfwd=tcp:127.0.0.1:18080-:80 -device $nic" \
		> /dev/null 2>&1
	wait_200 "http://127.0.0.1:18080/" 600
	vi="$vi $(since "$t")"
	virsh -q destroy bench-virtinst > /dev/null
	virsh -q undefine bench-virtinst > /dev/null
	rm -f "$state/vi.qcow2"

	# raw QEMU, the floor
	qemu-img create -q -f qcow2 -F raw -b "$base" "$state/floor.qcow2"
	t=$(now)
	qemu-system-x86_64 -name bench-floor -machine pc,accel=$accel -m 1024 -display none \
		-drive "file=$state/floor.qcow2,format=qcow2,if=virtio" -cdrom "$state/seed.iso" \
		-netdev user,id=bn0,restrict=on,hostfwd=tcp:127.0.0.1:18081-:80 -device "$nic" \
		-serial "file:$state/floor.log" -monitor none > /dev/null 2>&1 &
	qpid=$!
	wait_200 "http://127.0.0.1:18081/" 600
	floor="$floor $(since "$t")"
	kill "$qpid"
	wait "$qpid" 2> /dev/null || true
	rm -f "$state/floor.qcow2"
	r=$((r + 1))
done
o=$(echo $ours | median)
v=$(echo $vi | median)
f=$(echo $floor | median)
echo "Employee Directory on debian-12 ($accel), launch to HTTP 200, median of $rounds:"
echo "  raw qemu-system-x86_64 + cloud-localds seed (floor): $f s   (runs:$floor)"
echo "  virt-install --import --cloud-init:                  $v s   ($(echo "scale=2; $v / $f" | bc)x the floor; runs:$vi)"
echo "  ec2-lite run-instances:                              $o s   ($(echo "scale=2; $o / $f" | bc)x the floor; runs:$ours)"

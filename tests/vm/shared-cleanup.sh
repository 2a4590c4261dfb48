#!/bin/sh
# Fixture cleanup of the VM tests that share AMIs: every instance terminated, the AMIs, the
# libvirt pool and the folder $EC2LITE_SHARED_STATE removed.
# Usage: shared-cleanup.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: shared-cleanup.sh PATH-TO-ec2-lite}
state=${EC2LITE_SHARED_STATE:?}
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=qemu:///system
[ -d "$state" ] || exit 0
ids=$("$bin" describe-instances 2>/dev/null | jq -r '.Reservations[].Instances[] | select(.State.Name != "terminated") | .InstanceId')
[ -n "$ids" ] && "$bin" terminate-instances --instance-ids $ids > /dev/null 2>&1
for p in $(virsh -q pool-list --all --name | sed 's/ *$//' | grep -x 'ec2-lite-[0-9a-f]*'); do
	virsh pool-dumpxml "$p" 2> /dev/null | grep -q "<path>$state/" &&
		{ virsh -q pool-destroy "$p"; virsh -q pool-undefine "$p"; } > /dev/null 2>&1
done
# A test's own mounts under the folder (vm_golden's small disk, whose pool the loop above took),
# should the test have died before it undid them: rm -rf would stop at a busy one, and the next
# run (same name) would stack its mount on it.
for m in $(awk -v s="$state/" 'index($2, s) == 1 {print $2}' /proc/mounts | sort -r -u); do
	n=0
	while mountpoint -q "$m" && [ $n -lt 5 ]; do
		umount "$m" 2> /dev/null || umount -l "$m"
		n=$((n + 1))
	done
done
left=0
for d in $(virsh -q list --all --name | grep '^i-'); do
	virsh dumpxml "$d" 2> /dev/null | grep -q "$state/" && left=$((left + 1))
done
rm -rf "$state"
echo "shared state removed; its instance domains left in libvirt: $left"
[ "$left" -eq 0 ]

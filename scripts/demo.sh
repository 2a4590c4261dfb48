#!/bin/sh
# The README's main job: launch an instance, show it, terminate it, with the real daemon.
# The AMI is the small busybox guest of scripts/make-busybox-image.sh, registered once (the
# Quick Start AMIs built from amis/ recipes come with build-ami).
set -eu
cd "$(dirname "$0")/.."
bin=build/ec2-lite
export EC2_LITE_WAITER_DELAY=1

ami=$($bin describe-images --filters Name=name,Values=demo-busybox --output json | jq -r '.Images[0].ImageId // empty')
if [ -z "$ami" ]; then
	img=$(mktemp -d)
	trap 'rm -rf "$img"' EXIT
	echo "demo: building the demo AMI (busybox guest on Debian's kernel)"
	sh scripts/make-busybox-image.sh "$img"
	ami=$($bin register-image --name demo-busybox --description "ec2-lite demo: busybox on Debian's kernel" \
		--disk "$img/disk.raw" --kernel "$img/vmlinuz" --ramdisk "$img/initrd.img" \
		--kernel-args "console=ttyS0 panic=-1" --output text)
fi
echo "demo: AMI $ami"

echo "+ ec2-lite run-instances --image-id $ami --instance-type t2.micro"
id=$($bin run-instances --image-id "$ami" --instance-type t2.micro \
	--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=demo}]' |
	jq -r '.Instances[0].InstanceId')
trap '$bin terminate-instances --instance-ids "$id" > /dev/null 2>&1 || true; rm -rf "${img:-/nonexistent}"' EXIT
echo "+ ec2-lite wait instance-running --instance-ids $id"
$bin wait instance-running --instance-ids "$id"
echo "+ ec2-lite describe-instances --instance-ids $id"
$bin describe-instances --instance-ids "$id" |
	jq '.Reservations[0].Instances[0] | {InstanceId, ImageId, InstanceType, LaunchTime, State, Tags}'
echo "+ ec2-lite terminate-instances --instance-ids $id"
$bin terminate-instances --instance-ids "$id"
$bin wait instance-terminated --instance-ids "$id"
echo "demo: done; $id is terminated and its disk is gone"

#!/bin/sh
# Volumes and snapshots through `ec2-lite serve` (libvirt's test driver, no VM) with the Debian
# aws CLI: create-volume's types and defaults, describe-volumes with filters (an instance's root
# volume included), snapshots and a volume from one, and EC2's errors for bad input and wrong
# states, each changing nothing. (The test driver cannot hot-plug disks: attach and detach of a
# disk are check_volumes' and tests/vm/volumes.sh's.)
# Usage: volumes.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: volumes.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default EC2_LITE_MEMORY_OVERCOMMIT=100
log="$state/serve.log"
. "$here/lib.sh"
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name vol-ami --disk "$state/disk.raw" --output text)
start_server AKIDEC2LITETEST ec2-lite-test-secret
trap 'stop_server; rm -rf "$state"' EXIT
passed=0
failed=0

check() {
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s: got [%s], wanted [%s]\n' "$1" "$3" "$2"
	fi
}
# fails NAME CODE COMMAND...: the aws CLI exits 254 naming CODE.
fails() {
	name=$1 code=$2
	shift 2
	out=$(aws "$@" 2>&1)
	st=$?
	if [ $st -eq 254 ] && printf '%s\n' "$out" | grep -q "($code)"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s: exit %s, %s\n' "$name" "$st" "$out"
	fi
}
all() { aws describe-volumes | jq -c '[.Volumes[] | [.VolumeId, .State]] | sort'; }

zone=$(aws describe-availability-zones | jq -r '.AvailabilityZones[0].ZoneName')
v=$(aws create-volume --availability-zone "$zone" --size 10 --volume-type gp3 \
	--tag-specifications 'ResourceType=volume,Tags=[{Key=Name,Value=data}]')
vid=$(echo "$v" | jq -r .VolumeId)
check "create answers creating" "creating gp3 3000 125 10" \
	"$(echo "$v" | jq -r '[.State, .VolumeType, .Iops, .Throughput, .Size] | join(" ")')"
check "then available" "available" "$(aws describe-volumes --volume-ids "$vid" | jq -r '.Volumes[0].State')"
check "member order" '["Attachments","AvailabilityZone","CreateTime","Encrypted","Size","SnapshotId","State","VolumeId","Iops","Tags","VolumeType","MultiAttachEnabled","Throughput"]' \
	"$(aws describe-volumes --volume-ids "$vid" | jq -c '.Volumes[0] | keys_unsorted')"
check "tag filter" "$vid" "$(aws describe-volumes --filters Name=tag:Name,Values=data | jq -r '.Volumes[].VolumeId')"
i=$(aws run-instances --image-id "$ami" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
root=$(aws describe-instances --instance-ids "$i" | jq -r '.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId')
check "root is a volume" "in-use /dev/xvda $i" \
	"$(aws describe-volumes --filters Name=attachment.instance-id,Values="$i" | jq -r '.Volumes[0] | [.State, .Attachments[0].Device, .Attachments[0].InstanceId] | join(" ")')"
check "root by id" "$root" "$(aws describe-volumes --volume-ids "$root" | jq -r '.Volumes[0].VolumeId')"

before=$(all)
fails "bad type" InvalidParameterValue create-volume --availability-zone "$zone" --size 1 --volume-type gp9
fails "too large" InvalidParameterValue create-volume --availability-zone "$zone" --size 99999
fails "io1 needs iops" MissingParameter create-volume --availability-zone "$zone" --size 10 --volume-type io1
fails "bad zone" InvalidParameterValue create-volume --availability-zone nowhere-1a --size 1
fails "dry run" DryRunOperation create-volume --availability-zone "$zone" --size 1 --dry-run
fails "malformed" InvalidVolumeID.Malformed describe-volumes --volume-ids vol-x
fails "not found" InvalidVolume.NotFound describe-volumes --volume-ids vol-0123456789abcdef0
fails "delete root" VolumeInUse delete-volume --volume-id "$root"
fails "attach in use" VolumeInUse attach-volume --volume-id "$root" --instance-id "$i" --device /dev/sdf
fails "bad device" InvalidParameterValue attach-volume --volume-id "$vid" --instance-id "$i" --device /dev/foo
fails "root device" InvalidParameterValue attach-volume --volume-id "$vid" --instance-id "$i" --device /dev/xvda
fails "no instance" InvalidInstanceID.NotFound attach-volume --volume-id "$vid" --instance-id i-0123456789abcdef0 --device /dev/sdf
fails "detach available" IncorrectState detach-volume --volume-id "$vid"
fails "detach root" OperationNotPermitted detach-volume --volume-id "$root"
fails "delete dry run" DryRunOperation delete-volume --volume-id "$vid" --dry-run
check "nothing changed" "$before" "$(all)"

s=$(aws create-snapshot --volume-id "$vid" --description first)
sid=$(echo "$s" | jq -r .SnapshotId)
check "snapshot pending" "pending" "$(echo "$s" | jq -r .State)"
check "snapshot completed" "completed 100% 10 $vid" \
	"$(aws describe-snapshots --owner-ids self --snapshot-ids "$sid" | jq -r '.Snapshots[0] | [.State, .Progress, .VolumeSize, .VolumeId] | join(" ")')"
check "snapshot filter" "$sid" "$(aws describe-snapshots --filters Name=description,Values=first | jq -r '.Snapshots[].SnapshotId')"
fails "smaller than snapshot" InvalidParameterValue create-volume --availability-zone "$zone" --snapshot-id "$sid" --size 5
w=$(aws create-volume --availability-zone "$zone" --snapshot-id "$sid" | jq -r .VolumeId)
check "volume from snapshot" "$sid 10" "$(aws describe-volumes --volume-ids "$w" | jq -r '.Volumes[0] | [.SnapshotId, .Size] | join(" ")')"
aws delete-volume --volume-id "$vid" > /dev/null
check "snapshot outlives its volume" "$sid" "$(aws describe-snapshots --snapshot-ids "$sid" | jq -r '.Snapshots[].SnapshotId')"
c=$(aws copy-snapshot --source-snapshot-id "$sid" --source-region "$AWS_DEFAULT_REGION" | jq -r .SnapshotId)
check "copy" "completed" "$(aws describe-snapshots --snapshot-ids "$c" | jq -r '.Snapshots[0].State')"
aws delete-snapshot --snapshot-id "$sid" > /dev/null
fails "deleted snapshot" InvalidSnapshot.NotFound describe-snapshots --snapshot-ids "$sid"
aws delete-volume --volume-id "$w" > /dev/null
fails "deleted volume" InvalidVolume.NotFound describe-volumes --volume-ids "$w"

echo "volumes: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

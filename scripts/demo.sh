#!/bin/sh
# The README's main job: build the tiny AMI if it is not there, launch a t2.micro with a
# user-data script, wait until it runs, show the instance and its console, terminate it.
set -eu
cd "$(dirname "$0")/.."
bin=build/ec2-lite
export EC2_LITE_WAITER_DELAY=1

echo "+ ec2-lite build-ami tiny"
ami=$($bin build-ami tiny | jq -r .ImageId)
case "$ami" in ami-*) ;; *) echo "demo: build-ami tiny failed" >&2; exit 1 ;; esac
echo "+ ec2-lite run-instances --image-id $ami --instance-type t2.micro --user-data file://userdata/hello.sh"
id=$($bin run-instances --image-id "$ami" --instance-type t2.micro --user-data file://userdata/hello.sh \
	--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=demo}]' |
	jq -r '.Instances[0].InstanceId')
case "$id" in i-*) ;; *) echo "demo: run-instances failed" >&2; exit 1 ;; esac
trap '$bin terminate-instances --instance-ids "$id" > /dev/null 2>&1 || true' EXIT
echo "+ ec2-lite wait instance-running --instance-ids $id"
$bin wait instance-running --instance-ids "$id"
echo "+ ec2-lite describe-instances --instance-ids $id"
$bin describe-instances --instance-ids "$id" |
	jq '.Reservations[0].Instances[0] | {InstanceId, ImageId, InstanceType, LaunchTime, State, Tags}'
i=0
until $bin get-console-output --instance-id "$id" | jq -r '.Output // ""' | grep -q "user-data finished"; do
	i=$((i + 1))
	[ $i -lt 120 ] || { echo "demo: the user-data did not finish within 60 s" >&2; exit 1; }
	sleep 0.5
done
echo "+ ec2-lite get-console-output --instance-id $id   (the user-data's part)"
$bin get-console-output --instance-id "$id" | jq -r .Output | grep -a -A3 "user-data started"
echo "+ ec2-lite terminate-instances --instance-ids $id"
$bin terminate-instances --instance-ids "$id" | jq -c '.TerminatingInstances[0] | {InstanceId, CurrentState}'
$bin wait instance-terminated --instance-ids "$id"
trap - EXIT
echo "demo: done; $id is terminated and its disk is gone"

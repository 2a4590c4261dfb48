#!/bin/sh
# The README's main job, the course's demo: build the debian-12 AMI if it is not there, make a
# security group that lets HTTP and HTTPS in, launch a t2.micro with the Employee Directory's
# user-data, wait until its status checks pass and the app answers, and print its address.
# The instance keeps running for you to use; the last lines say how to end it.
set -eu
cd "$(dirname "$0")/.."
bin=build/ec2-lite
export EC2_LITE_WAITER_DELAY=2

say() { printf '+ %s\n' "$*"; }

say "ec2-lite build-ami debian-12   (a few minutes the first time, then a no-op)"
ami=$($bin build-ami debian-12 | jq -r .ImageId)
case "$ami" in ami-*) ;; *) echo "demo: build-ami debian-12 failed" >&2; exit 1 ;; esac

sg=$($bin describe-security-groups --filters Name=group-name,Values=employee-directory-web |
	jq -r '.SecurityGroups[0].GroupId // empty')
if [ -z "$sg" ]; then
	say "ec2-lite create-security-group --group-name employee-directory-web --description 'HTTP and HTTPS from anywhere'"
	sg=$($bin create-security-group --group-name employee-directory-web \
		--description "HTTP and HTTPS from anywhere" | jq -r .GroupId)
	for port in 80 443; do
		say "ec2-lite authorize-security-group-ingress --group-id $sg --protocol tcp --port $port --cidr 0.0.0.0/0"
		$bin authorize-security-group-ingress --group-id "$sg" --protocol tcp --port $port \
			--cidr 0.0.0.0/0 > /dev/null
	done
fi

say "ec2-lite run-instances --image-id $ami --instance-type t2.micro --security-group-ids $sg --user-data file://userdata/employee-directory.sh"
id=$($bin run-instances --image-id "$ami" --instance-type t2.micro --security-group-ids "$sg" \
	--user-data file://userdata/employee-directory.sh \
	--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=employee-directory}]' |
	jq -r '.Instances[0].InstanceId')
case "$id" in i-*) ;; *) echo "demo: run-instances failed" >&2; exit 1 ;; esac

say "ec2-lite wait instance-status-ok --instance-ids $id"
$bin wait instance-status-ok --instance-ids "$id"
$bin describe-instances --instance-ids "$id" |
	jq '.Reservations[0].Instances[0] | {InstanceId, InstanceType, State: .State.Name, PrivateIpAddress, PublicIpAddress}'
ip=$($bin describe-instances --instance-ids "$id" | jq -r '.Reservations[0].Instances[0].PublicIpAddress')
i=0
until curl -s -o /dev/null -m 5 "http://$ip/"; do
	i=$((i + 1))
	[ $i -lt 150 ] || { echo "demo: the app did not answer on http://$ip/ within 5 minutes" >&2; exit 1; }
	sleep 2
done
cat <<EOF

The Employee Directory runs on $id:

    http://$ip/

Open it in a browser on this machine. Afterwards:
    $bin stop-instances --instance-ids $id        (keeps its data; start-instances brings it back)
    $bin terminate-instances --instance-ids $id   (removes it and its disk)
EOF

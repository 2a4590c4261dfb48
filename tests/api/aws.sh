#!/bin/sh
# The EC2 API server driven by the real aws CLI (Debian's awscli, /usr/bin/aws) with signed
# requests, against real tiny guests (qemu:///system): the whole workflow (key pairs, security
# groups, run-instances with tags, hibernation, user-data and a client token, describe with
# filters and pagination, the waiters, reboot, stop/start, stop --hibernate, console output,
# status checks, tags, create-image, describe-images, terminate), and for each describing action
# the differential check: what `aws ec2 ACTION` prints through the server equals what
# `ec2-lite ACTION` prints for the same state (one model, two front ends). Then many clients at
# once: concurrent launches with one client token launch once; concurrent creates of one group
# make one.
# Usage: aws.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: aws.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/../vm/lib.sh"
require_libvirtd
run=$$ # tags and client tokens of this run (terminated instances stay described for an hour)
log="$work/serve.log"
. "$here/lib.sh"
start_server AKIDEC2LITETEST ec2-lite-test-secret
trap 'stop_server; shared_state_cleanup' EXIT
check "the server answers signed requests" aws describe-key-pairs

# same NAME ARGS...: `aws ec2 ARGS` and `ec2-lite ARGS` print the same JSON: everything the aws
# CLI shows (it drops what botocore's model of 2016-11-15 does not know) is the CLI's too.
same() {
	name=$1
	shift
	aws "$@" > "$work/a.json" 2> "$work/a.err"
	"$bin" "$@" > "$work/c.json" 2> "$work/c.err"
	if jq -e -n --slurpfile a "$work/a.json" --slurpfile c "$work/c.json" '
		def sub($x; $y): if ($x | type) == "object" then
				($y | type) == "object" and all($x | keys[]; . as $k | ($y | has($k)) and sub($x[$k]; $y[$k]))
			elif ($x | type) == "array" then
				($y | type) == "array" and ($x | length) == ($y | length) and
				all(range(0; $x | length); . as $i | sub($x[$i]; $y[$i]))
			else $x == $y end;
		($a | length) == 1 and ($c | length) == 1 and sub($a[0]; $c[0])' > /dev/null; then
		extra=$(jq -r -n --slurpfile a "$work/a.json" --slurpfile c "$work/c.json" '
			[($c[0] | paths | map(tostring) | join(".")) as $p | $p] - [($a[0] | paths | map(tostring) | join("."))]
			| map(gsub("\\.[0-9]+"; "[]")) | unique | join(" ")')
		ok "same through the API and the CLI: $name${extra:+ (only the CLI shows: $extra)}"
	else
		bad "same through the API and the CLI: $name"
		jq -S . "$work/a.json" > "$work/a.sorted" 2>&1 || cat "$work/a.err" > "$work/a.sorted"
		jq -S . "$work/c.json" > "$work/c.sorted" 2>&1 || cat "$work/c.err" > "$work/c.sorted"
		diff "$work/a.sorted" "$work/c.sorted" | head -n 20 | sed 's/^/  /' >&2
	fi
}

tiny=$("$bin" build-ami tiny | jq -r .ImageId)
same "describe-images --owners amazon" describe-images --owners amazon
same "describe-instance-types" describe-instance-types --instance-types t2.nano t3.micro

# Key pairs and security groups.
aws create-key-pair --key-name api-key | jq -r .KeyMaterial > "$work/api-key.pem"
check "create-key-pair" grep -q "BEGIN RSA PRIVATE KEY" "$work/api-key.pem"
ssh-keygen -q -t ed25519 -N "" -f "$work/mine"
check "import-key-pair (base64 on the wire)" aws import-key-pair --key-name mine --public-key-material "fileb://$work/mine.pub"
same "describe-key-pairs" describe-key-pairs
sg=$(aws create-security-group --group-name api-web --description "web via the API" | jq -r .GroupId)
check "create-security-group ($sg)" [ -n "$sg" ]
check "authorize-security-group-ingress" aws authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0
same "describe-security-groups" describe-security-groups --group-ids "$sg"

# Launch: pending at once, a reservation of two, tags, hibernation, user-data, a client token.
printf '#!/bin/sh\necho "api user-data on $(cat /var/lib/ec2-lite/instance-id)"\n' > "$work/ud.sh"
launch=$(aws run-instances --image-id "$tiny" --instance-type t2.nano --count 2 --key-name api-key \
	--security-group-ids "$sg" --hibernation-options Configured=true --client-token api-token-1-$run \
	--tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=api-$run},{Key=team,Value=web-$run}]" \
	--user-data "file://$work/ud.sh")
ids=$(printf '%s' "$launch" | jq -r '.Instances[].InstanceId' | tr '\n' ' ')
a=$(echo $ids | cut -d' ' -f1)
b=$(echo $ids | cut -d' ' -f2)
check "run-instances answers pending, two instances" [ "$(printf '%s' "$launch" | jq -r '[.Instances[].State.Name] | join(",")')" = "pending,pending" ]
again=$(aws run-instances --image-id "$tiny" --instance-type t2.nano --count 2 --client-token api-token-1-$run | jq -r '.Instances[].InstanceId' | tr '\n' ' ')
check "the same client token launches nothing new" [ "$again" = "$ids" ]
check "aws ec2 wait instance-running" aws wait instance-running --instance-ids $ids
check "the user-data arrived (base64 on the wire)" wait_console "$a" "api user-data on $a" 90
same "describe-instances" describe-instances --instance-ids $ids
same "describe-instances with filters" describe-instances --filters Name=tag:Name,Values=api-$run Name=instance-state-name,Values=running
check "filters: tag-key, instance-type, image-id" [ "$(aws describe-instances --filters Name=tag:team,Values=web-$run Name=tag-key,Values=team Name=instance-type,Values=t2.nano "Name=image-id,Values=$tiny" | jq '[.Reservations[].Instances[]] | length')" -eq 2 ]
check "filters that match nothing" [ "$(aws describe-instances --filters Name=instance-state-name,Values=stopped | jq '.Reservations | length')" -eq 0 ]
check "aws ec2 wait instance-status-ok" aws wait instance-status-ok --instance-ids $ids
same "describe-instance-status" describe-instance-status --instance-ids $ids
same "describe-instance-attribute userData" describe-instance-attribute --instance-id "$a" --attribute userData
console_via_api() { aws get-console-output --instance-id "$1" | jq -r .Output | grep -aq "$2"; }
check "get-console-output (base64 on the wire, decoded by the aws CLI)" console_via_api "$a" "ec2-lite tiny: ready"

# Pagination: the aws CLI follows NextToken (page by page), and hands out its own token.
check "describe-images one per page gives them all" [ "$(aws describe-images --page-size 1 | jq '.Images | length')" -eq "$("$bin" describe-images | jq '.Images | length')" ]
page=$(aws describe-images --owners amazon --max-items 1 --page-size 1)
check "--max-items 1: one image and a NextToken" [ "$(printf '%s' "$page" | jq -r '(.Images | length | tostring) + " " + (.NextToken != null | tostring)')" = "1 true" ]
check "describe-instances --page-size 5 gives both" [ "$(aws describe-instances --page-size 5 --filters Name=tag:Name,Values=api-$run | jq '[.Reservations[].Instances[]] | length')" -eq 2 ]

# Tags.
check "create-tags" aws create-tags --resources "$a" "$sg" --tags Key=env,Value=test
same "describe-tags" describe-tags --filters "Name=resource-id,Values=$a,$sg"
check "delete-tags" aws delete-tags --resources "$a" --tags Key=env
check "the tag is gone" [ "$(aws describe-tags --filters "Name=resource-id,Values=$a" Name=key,Values=env | jq '.Tags | length')" -eq 0 ]

# The lifecycle through the API.
check "reboot-instances" aws reboot-instances --instance-ids "$a"
check "the guest rebooted" sh -c "i=0; until [ \$(cat '$state/instances/$a/console.log' | grep -ac 'ec2-lite tiny: init started') -ge 2 ]; do sleep 1; i=\$((i + 1)); [ \$i -lt 120 ] || exit 1; done"
check "stop-instances --hibernate" aws stop-instances --instance-ids "$b" --hibernate
check "aws ec2 wait instance-stopped" aws wait instance-stopped --instance-ids "$b"
boots=$(console "$b" | grep -ac 'ec2-lite tiny: init started')
check "start-instances (resume)" aws start-instances --instance-ids "$b"
check "running again" aws wait instance-running --instance-ids "$b"
sleep 3
check "resumed, not booted again" [ "$(console "$b" | grep -ac 'ec2-lite tiny: init started')" -eq "$boots" ]
check "terminate one" aws terminate-instances --instance-ids "$b" # at most two guests at once
check "stop-instances" aws stop-instances --instance-ids "$a"
check "stopped" aws wait instance-stopped --instance-ids "$a"
same "describe-instances of a stopped one" describe-instances --instance-ids "$a"

# Golden image through the API.
ami=$(aws create-image --instance-id "$a" --name api-golden --description "made through the API" | jq -r .ImageId)
check "create-image ($ami)" '[ -n "$ami" ] && [ "$ami" != null ]'
check "aws ec2 wait image-available" aws wait image-available --image-ids "$ami"
same "describe-images of the new AMI" describe-images --image-ids "$ami"
check "start-instances" aws start-instances --instance-ids "$a"

# Many clients at once: one client token launches once, one group name is made once.
pids=""
for k in 1 2 3 4; do
	aws run-instances --image-id "$tiny" --instance-type t2.nano --client-token api-token-2-$run > "$work/par-$k.json" 2>&1 &
	pids="$pids $!"
done
for k in 1 2 3 4; do
	aws create-security-group --group-name api-race --description race > "$work/sg-$k.json" 2>&1 &
	pids="$pids $!"
done
for k in 1 2 3 4 5 6 7 8; do
	aws describe-instances > "$work/d-$k.json" 2>&1 &
	pids="$pids $!"
done
wait $pids
check "four concurrent launches with one token made one instance" [ "$(cat "$work"/par-*.json | jq -r '.Instances[].InstanceId' 2> /dev/null | sort -u | wc -l)" -eq 1 ]
check "and libvirt has just that one more" [ "$("$bin" describe-instances --filters Name=client-token,Values=api-token-2-$run | jq '[.Reservations[].Instances[]] | length')" -eq 1 ]
check "four concurrent creates of one group made one" '[ "$(grep -l "\"GroupId\"" "$work"/sg-*.json | wc -l)" -eq 1 ] && [ "$(grep -l InvalidGroup.Duplicate "$work"/sg-*.json | wc -l)" -eq 3 ]'
check "eight concurrent describes all answered" [ "$(cat "$work"/d-*.json | jq -s 'map(select(.Reservations)) | length')" -eq 8 ]

# Terminate all and clean up.
all=$("$bin" describe-instances --filters Name=instance-state-name,Values=pending,running,stopping,stopped | jq -r '.Reservations[].Instances[].InstanceId' | tr '\n' ' ')
check "terminate-instances" aws terminate-instances --instance-ids $all
check "aws ec2 wait instance-terminated" aws wait instance-terminated --instance-ids $all
same "describe-instances of terminated ones" describe-instances --instance-ids $ids
check "deregister-image" aws deregister-image --image-id "$ami"
check "delete-security-group" aws delete-security-group --group-id "$sg"
check "delete-key-pair" aws delete-key-pair --key-name api-key
check "the server logged no error of its own" sh -c "! grep -qi 'error' '$work/serve.log'"

finish

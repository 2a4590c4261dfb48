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

# What the aws CLI through the server and ec2-lite's CLI print must be the same JSON, both ways:
# every key path of one is in the other and every value equal, save for these known differences,
# each "ACTION PATH" ([] standing for any index). All are keys that only ec2-lite's CLI shows,
# because the aws CLI 2.9.19 (Debian's) parses the server's XML with botocore's model of EC2 as
# of its release, which drops what it does not know:
only_cli="
describe-images Images[].SourceInstanceId
describe-instances Reservations[].Instances[].CurrentInstanceBootMode
delete-security-group Return
delete-security-group GroupId
"
# - Image.SourceInstanceId (create-image's source) and Instance.CurrentInstanceBootMode came to
#   EC2 after that model.
# - DeleteSecurityGroup has no output at all in that model (today's EC2 answers Return and
#   GroupId, as ec2-lite does), so the aws CLI prints nothing.
# Nothing shows only through the aws CLI: that list is empty.
only_aws=""

# differ NAME ACTION: compares $work/a.json (the aws CLI's) with $work/c.json (ec2-lite's), as
# above; both commands must have succeeded ($work/a.rc, $work/c.rc).
differ() {
	name=$1 action=$2
	if [ "$(cat "$work/a.rc")/$(cat "$work/c.rc")" = 0/0 ] &&
		jq -e -n --slurpfile a "$work/a.json" --slurpfile c "$work/c.json" \
			--arg action "$action" --arg only_cli "$only_cli" --arg only_aws "$only_aws" '
		def pats($list): $list | split("\n") | map(split(" ") | select(.[0] == $action) | .[1]);
		def pstr: reduce .[] as $p (""; if ($p | type) == "number" then . + "[]"
			elif . == "" then $p else . + "." + $p end);
		def drop($pats): delpaths([paths | select(pstr as $s | any($pats[]; . == $s))]);
		($a | length) <= 1 and ($c | length) == 1 and
		(($a[0] // {}) | drop(pats($only_aws))) == ($c[0] | drop(pats($only_cli)))' > /dev/null; then
		allowed=$(jq -r -n --slurpfile a "$work/a.json" --slurpfile c "$work/c.json" '
			def pstr: reduce .[] as $p (""; if ($p | type) == "number" then . + "[]"
				elif . == "" then $p else . + "." + $p end);
			([$c[0] | paths | pstr] - [($a[0] // {}) | paths | pstr]) | unique | join(" ")')
		ok "same through the API and the CLI: $name${allowed:+ (only the CLI shows, as allowed: $allowed)}"
	else
		bad "same through the API and the CLI: $name (exit statuses $(cat "$work/a.rc") and $(cat "$work/c.rc"))"
		cat "$work/a.err" "$work/c.err" | head -n 5 | sed 's/^/  /' >&2
		jq -S . "$work/a.json" > "$work/a.sorted" 2>&1 || cat "$work/a.err" > "$work/a.sorted"
		jq -S . "$work/c.json" > "$work/c.sorted" 2>&1 || cat "$work/c.err" > "$work/c.sorted"
		diff "$work/a.sorted" "$work/c.sorted" | head -n 20 | sed 's/^/  /' >&2
	fi
}
# same NAME ACTION ARGS...: `aws ec2 ACTION ARGS` and `ec2-lite ACTION ARGS` print the same JSON.
same() {
	name=$1
	shift
	aws "$@" > "$work/a.json" 2> "$work/a.err"
	echo $? > "$work/a.rc"
	"$bin" "$@" > "$work/c.json" 2> "$work/c.err"
	echo $? > "$work/c.rc"
	differ "$name" "$1"
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
# The user-data leaves a ticker in RAM: resumed from hibernation it counts on; a new boot would not
# start it again (tiny runs user-data on the first boot only).
cat > "$work/ud.sh" <<'UD'
#!/bin/sh
echo "api user-data on $(cat /var/lib/ec2-lite/instance-id)"
( n=0; while :; do n=$((n + 1)); echo "api tick $n."; sleep 1; done ) &
UD
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
tick=$(console "$b" | sed -n 's/.*api tick \([0-9]*\)\..*/\1/p' | tail -n 1)
check "the ticker ran before hibernation (tick ${tick:-none})" '[ "${tick:-0}" -gt 0 ]'
check "start-instances (resume)" aws start-instances --instance-ids "$b"
check "running again" aws wait instance-running --instance-ids "$b"
check "resumed: the ticker in its RAM counts on" wait_console "$b" "api tick $((${tick:-0} + 2))\." 60
check "not booted again" '[ "$(console "$b" | grep -ac "ec2-lite tiny: init started")" -eq "$boots" ]'
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

# A long action does not hold up the others: ImportImage's inspection boots a libguestfs
# appliance (seconds to tens of seconds) on a connection of its own, outside the server's lock.
# Once the appliance runs, a DescribeInstances (signed by curl, which starts in milliseconds) is
# answered while the import still waits for its own answer. The disk holds no OS, so the import
# is refused in the end, with nothing registered.
mkdir -p "$state/import/api-bucket"
truncate -s 64M "$state/import/api-bucket/no-os.raw"
aws import-image --disk-containers Format=raw,Url=s3://api-bucket/no-os.raw > "$work/import.json" 2>&1 &
import=$!
# The server has children only while libguestfs works for it. Short ones come first (qemu-img
# for the disk's format, supermin, a qemu that libguestfs asks for its version); the appliance
# is a qemu-system child together with its recovery process (a fork of the server's thread,
# named as the thread is: MHD-connection), and lasts the whole inspection: then the import has
# reached it. (Any child at all was not enough: CI once saw the 1 s qemu-img, and the check
# after the loop found it gone.) Five minutes at most: a loaded machine (a full run beside
# other tests) took over one to get there.
appliance() {
	pgrep -P "$server" qemu-system > /dev/null && [ "$(pgrep -P "$server" | wc -l)" -ge 2 ]
}
i=0
until appliance || ! kill -0 "$import" 2> /dev/null || [ $i -ge 3000 ]; do
	sleep 0.1
	i=$((i + 1))
done
if appliance; then ok "the import's inspection runs"; else
	bad "the import's inspection runs"
	echo "  after $((i / 10)) s the import answered: $(cat "$work/import.json")" >&2
fi
curl -s -m 60 --aws-sigv4 "aws:amz:us-east-1:ec2" --user "$key_id:$secret" \
	-d "Action=DescribeInstances&Version=2016-11-15" "http://127.0.0.1:$port/" > "$work/during.xml"
check "a describe is answered while the import runs" kill -0 "$import"
check "and it is a whole answer" grep -q "</DescribeInstancesResponse>" "$work/during.xml"
wait "$import"
check "the import of a disk without an OS is refused" grep -q "ClientError\|error" "$work/import.json"
rm -rf "$state/import/api-bucket"

# Terminate all and clean up.
all=$("$bin" describe-instances --filters Name=instance-state-name,Values=pending,running,stopping,stopped | jq -r '.Reservations[].Instances[].InstanceId' | tr '\n' ' ')
check "terminate-instances" aws terminate-instances --instance-ids $all
check "aws ec2 wait instance-terminated" aws wait instance-terminated --instance-ids $all
same "describe-instances of terminated ones" describe-instances --instance-ids $ids
check "deregister-image" aws deregister-image --image-id "$ami"
check "delete-security-group" aws delete-security-group --group-id "$sg"
# The differential of a deletion: the race's group through the aws CLI, one more through ec2-lite.
race_sg=$(jq -r .GroupId "$(grep -l '"GroupId"' "$work"/sg-*.json | head -n 1)")
diff_sg=$("$bin" create-security-group --group-name api-diff --description "deleted by ec2-lite" | jq -r .GroupId)
aws delete-security-group --group-id "$race_sg" > "$work/a.json" 2> "$work/a.err"
echo $? > "$work/a.rc"
"$bin" delete-security-group --group-id "$diff_sg" > "$work/c.json" 2> "$work/c.err"
echo $? > "$work/c.rc"
differ "delete-security-group" delete-security-group
check "delete-key-pair" aws delete-key-pair --key-name api-key
check "the server logged no error of its own" sh -c "! grep -qi 'error' '$work/serve.log'"

finish

#!/bin/sh
# Instance attributes through `ec2-lite serve` (on libvirt's test driver, no VM) with the Debian
# aws CLI: each of modify-instance-attribute's forms as the aws CLI sends it (DisableApiStop.Value,
# UserData.Value in base64, Attribute and Value, GroupId.N), read back with
# describe-instance-attribute in the aws CLI's shape; protection refuses stop and terminate;
# get-password-data answers for a Linux instance.
# Usage: attrs.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: attrs.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default EC2_LITE_MEMORY_OVERCOMMIT=100
log="$state/serve.log"
. "$here/lib.sh"
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name attrs-ami --disk "$state/disk.raw" --output text)
start_server AKIDEC2LITETEST ec2-lite-test-secret
trap 'stop_server; rm -rf "$state"' EXIT
passed=0
failed=0

# check NAME WANT GOT
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
# attr ID NAME: describe-instance-attribute's answer, compact, without the InstanceId.
attr() { aws describe-instance-attribute --instance-id "$1" --attribute "$2" | jq -c 'del(.InstanceId)'; }

ids=$(aws run-instances --image-id "$ami" --instance-type t2.nano --count 2 --disable-api-termination | jq -r '.Instances[].InstanceId')
a=$(echo "$ids" | sed -n 1p)
b=$(echo "$ids" | sed -n 2p)
check "launched protected" '{"DisableApiTermination":{"Value":true}}' "$(attr "$a" disableApiTermination)"
fails "terminate protected" OperationNotPermitted terminate-instances --instance-ids "$b" "$a"
check "nothing terminated" "running running" "$(aws describe-instances --instance-ids "$a" "$b" | jq -r '[.Reservations[].Instances[].State.Name] | join(" ")')"
aws modify-instance-attribute --instance-id "$a" --no-disable-api-termination > /dev/null
check "--no-disable-api-termination" '{"DisableApiTermination":{"Value":false}}' "$(attr "$a" disableApiTermination)"
aws modify-instance-attribute --instance-id "$a" --disable-api-stop > /dev/null
check "--disable-api-stop" '{"DisableApiStop":{"Value":true}}' "$(attr "$a" disableApiStop)"
fails "stop protected" OperationNotPermitted stop-instances --instance-ids "$a"
aws modify-instance-attribute --instance-id "$a" --attribute disableApiStop --value false > /dev/null
check "--attribute --value" '{"DisableApiStop":{"Value":false}}' "$(attr "$a" disableApiStop)"
aws modify-instance-attribute --instance-id "$a" --no-source-dest-check > /dev/null
check "--no-source-dest-check" '{"SourceDestCheck":{"Value":false}}' "$(attr "$a" sourceDestCheck)"
aws modify-instance-attribute --instance-id "$a" --instance-initiated-shutdown-behavior Value=terminate > /dev/null
check "shutdown behaviour" '{"InstanceInitiatedShutdownBehavior":{"Value":"terminate"}}' "$(attr "$a" instanceInitiatedShutdownBehavior)"
sg=$(aws create-security-group --group-name web --description web | jq -r .GroupId)
aws modify-instance-attribute --instance-id "$a" --groups "$sg" > /dev/null
check "--groups" "[{\"GroupName\":\"web\",\"GroupId\":\"$sg\"}]" "$(aws describe-instance-attribute --instance-id "$a" --attribute groupSet | jq -c .Groups)"
check "kernel" '{"KernelId":{}}' "$(attr "$a" kernel)"
check "block devices" "attached true /dev/xvda" "$(aws describe-instance-attribute --instance-id "$a" --attribute blockDeviceMapping | jq -r '.BlockDeviceMappings[0] | "\(.Ebs.Status) \(.Ebs.DeleteOnTermination) \(.DeviceName)"')"
fails "unknown attribute" InvalidParameterValue describe-instance-attribute --instance-id "$a" --attribute nvmeSupport
fails "type while running" IncorrectInstanceState modify-instance-attribute --instance-id "$a" --instance-type Value=t2.small
aws stop-instances --instance-ids "$a" > /dev/null
aws modify-instance-attribute --instance-id "$a" --instance-type Value=t2.small > /dev/null
check "--instance-type" '{"InstanceType":{"Value":"t2.small"}}' "$(attr "$a" instanceType)"
check "described type" "t2.small" "$(aws describe-instances --instance-ids "$a" | jq -r '.Reservations[0].Instances[0].InstanceType')"
fails "unknown type" InvalidInstanceAttributeValue modify-instance-attribute --instance-id "$a" --instance-type Value=t9.huge
# The aws CLI 2 takes the blob in base64 (raw with --cli-binary-format raw-in-base64-out) and
# sends it in base64; the server decodes it; DescribeInstanceAttribute gives base64 again.
aws modify-instance-attribute --instance-id "$a" --user-data Value=aGVsbG8= > /dev/null
check "--user-data" "hello" "$(aws describe-instance-attribute --instance-id "$a" --attribute userData | jq -r .UserData.Value | base64 -d)"
aws --cli-binary-format raw-in-base64-out modify-instance-attribute --instance-id "$a" --user-data 'Value=#!/bin/sh' > /dev/null
check "--user-data raw" "#!/bin/sh" "$(aws describe-instance-attribute --instance-id "$a" --attribute userData | jq -r .UserData.Value | base64 -d)"
fails "dry run" DryRunOperation modify-instance-attribute --instance-id "$a" --instance-type Value=t2.medium --dry-run
check "dry run changed nothing" '{"InstanceType":{"Value":"t2.small"}}' "$(attr "$a" instanceType)"
fails "two attributes" InvalidParameterCombination modify-instance-attribute --instance-id "$a" --disable-api-stop --ena-support
check "password data" "$a " "$(aws get-password-data --instance-id "$a" | jq -r '"\(.InstanceId) \(.PasswordData)"')"
fails "password unknown" InvalidInstanceID.NotFound get-password-data --instance-id i-0123456789abcdef0
aws modify-instance-attribute --instance-id "$b" --no-disable-api-termination > /dev/null
aws terminate-instances --instance-ids "$a" "$b" > /dev/null
check "terminated" "terminated terminated" "$(aws describe-instances --instance-ids "$a" "$b" | jq -r '[.Reservations[].Instances[].State.Name] | join(" ")')"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

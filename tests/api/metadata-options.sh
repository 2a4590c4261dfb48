#!/bin/sh
# MetadataOptions and IAM instance profile associations through `ec2-lite serve` (on libvirt's
# test driver, no VM) with the Debian aws CLI: run-instances --metadata-options and
# --iam-instance-profile, modify-instance-metadata-options, associate-iam-instance-profile,
# describe-iam-instance-profile-associations, replace-iam-instance-profile-association and
# disassociate-iam-instance-profile as the aws CLI sends them and parses their answers; and
# ec2-lite's own CLI taking the same options. The profiles are written into the state folder's
# store as the IAM module lays them out (include/ec2lite/iam.h).
# Usage: metadata-options.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: metadata-options.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default EC2_LITE_MEMORY_OVERCOMMIT=100
log="$state/serve.log"
. "$here/lib.sh"
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name imds-ami --disk "$state/disk.raw" --output text)
v2ami=$("$bin" register-image --name imds-v2-ami --disk "$state/disk.raw" --imds-support v2.0 --output text)
web_arn="arn:aws:iam::123456789012:instance-profile/web"
ops_arn="arn:aws:iam::123456789012:instance-profile/ops/admin"
jq --arg web "$web_arn" --arg ops "$ops_arn" '.iam = {"roles": {"app": {"RoleName": "app", "RoleId": "AROA00000000000000AP1", "Arn": "arn:aws:iam::123456789012:role/app", "Path": "/", "Policies": {}}}, "instance_profiles": {"web": {"InstanceProfileName": "web", "InstanceProfileId": "AIPA00000000000000WB1", "Arn": $web, "Path": "/", "Roles": ["app"]}, "admin": {"InstanceProfileName": "admin", "InstanceProfileId": "AIPA00000000000000OP2", "Arn": $ops, "Path": "/ops/", "Roles": []}}}' \
	"$state/state.json" > "$state/state.new" && mv "$state/state.new" "$state/state.json"
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
# opts ID: the instance's MetadataOptions, compact.
opts() { aws describe-instances --instance-ids "$1" | jq -c '.Reservations[0].Instances[0].MetadataOptions'; }
# profile ID: the instance's IamInstanceProfile, compact ("null" without one).
profile() { aws describe-instances --instance-ids "$1" | jq -c '.Reservations[0].Instances[0].IamInstanceProfile'; }

defaults='{"State":"applied","HttpTokens":"optional","HttpPutResponseHopLimit":1,"HttpEndpoint":"enabled","HttpProtocolIpv6":"disabled","InstanceMetadataTags":"disabled"}'
a=$(aws run-instances --image-id "$ami" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
check "defaults" "$defaults" "$(opts "$a")"
check "no profile" "null" "$(profile "$a")"
b=$(aws run-instances --image-id "$ami" --instance-type t2.nano \
	--metadata-options HttpTokens=required,HttpPutResponseHopLimit=3,HttpEndpoint=enabled,InstanceMetadataTags=enabled \
	--iam-instance-profile Name=web | jq -r '.Instances[0].InstanceId')
check "launched with options" '{"State":"applied","HttpTokens":"required","HttpPutResponseHopLimit":3,"HttpEndpoint":"enabled","HttpProtocolIpv6":"disabled","InstanceMetadataTags":"enabled"}' "$(opts "$b")"
check "launched with a profile" "{\"Arn\":\"$web_arn\",\"Id\":\"AIPA00000000000000WB1\"}" "$(profile "$b")"
c=$(aws run-instances --image-id "$v2ami" --instance-type t2.nano --iam-instance-profile "Arn=$ops_arn" | jq -r '.Instances[0].InstanceId')
check "v2.0 AMI" "required 2" "$(opts "$c" | jq -r '"\(.HttpTokens) \(.HttpPutResponseHopLimit)"')"
check "profile by ARN" "AIPA00000000000000OP2" "$(profile "$c" | jq -r .Id)"
check "image ImdsSupport" "v2.0" "$(aws describe-images --image-ids "$v2ami" | jq -r '.Images[0].ImdsSupport')"
fails "unknown profile" InvalidParameterValue run-instances --image-id "$ami" --iam-instance-profile Name=nope
fails "bad tokens" InvalidParameterValue run-instances --image-id "$ami" --metadata-options HttpTokens=maybe

# ModifyInstanceMetadataOptions: running, stopped, refusals that change nothing.
check "modify answer" "$a required 1" "$(aws modify-instance-metadata-options --instance-id "$a" --http-tokens required | jq -r '"\(.InstanceId) \(.InstanceMetadataOptions.HttpTokens) \(.InstanceMetadataOptions.HttpPutResponseHopLimit)"')"
fails "hop limit 65" InvalidParameterValue modify-instance-metadata-options --instance-id "$a" --http-put-response-hop-limit 65 --http-tokens optional
fails "modify dry run" DryRunOperation modify-instance-metadata-options --instance-id "$a" --http-tokens optional --dry-run
check "unchanged" "required 1" "$(opts "$a" | jq -r '"\(.HttpTokens) \(.HttpPutResponseHopLimit)"')"
aws stop-instances --instance-ids "$a" > /dev/null
aws modify-instance-metadata-options --instance-id "$a" --http-put-response-hop-limit 2 --http-endpoint disabled --instance-metadata-tags enabled > /dev/null
check "modified stopped" '{"State":"applied","HttpTokens":"required","HttpPutResponseHopLimit":2,"HttpEndpoint":"disabled","HttpProtocolIpv6":"disabled","InstanceMetadataTags":"enabled"}' "$(opts "$a")"
fails "modify unknown" InvalidInstanceID.NotFound modify-instance-metadata-options --instance-id i-0123456789abcdef0 --http-tokens required

# Associations.
assoc=$(aws associate-iam-instance-profile --instance-id "$a" --iam-instance-profile Name=web)
check "associate answer" "$a associated $web_arn" "$(echo "$assoc" | jq -r '.IamInstanceProfileAssociation | "\(.InstanceId) \(.State) \(.IamInstanceProfile.Arn)"')"
id1=$(echo "$assoc" | jq -r .IamInstanceProfileAssociation.AssociationId)
fails "second association" IncorrectState associate-iam-instance-profile --instance-id "$a" --iam-instance-profile "Arn=$ops_arn"
check "described" "$id1 $a associated" "$(aws describe-iam-instance-profile-associations --association-ids "$id1" | jq -r '.IamInstanceProfileAssociations[] | "\(.AssociationId) \(.InstanceId) \(.State)"')"
check "all three" "3" "$(aws describe-iam-instance-profile-associations | jq '.IamInstanceProfileAssociations | length')"
check "filter instance-id" "$b" "$(aws describe-iam-instance-profile-associations --filters Name=instance-id,Values="$b" | jq -r '.IamInstanceProfileAssociations[].InstanceId')"
check "timestamp parsed" "true" "$(aws describe-iam-instance-profile-associations --association-ids "$id1" | jq '.IamInstanceProfileAssociations[0].Timestamp | test("^20[0-9][0-9]-")')"
fails "replace stopped" IncorrectState replace-iam-instance-profile-association --association-id "$id1" --iam-instance-profile Name=admin
aws start-instances --instance-ids "$a" > /dev/null
id2=$(aws replace-iam-instance-profile-association --association-id "$id1" --iam-instance-profile Name=admin | jq -r .IamInstanceProfileAssociation.AssociationId)
check "replaced" "AIPA00000000000000OP2" "$(profile "$a" | jq -r .Id)"
fails "old id gone" InvalidAssociationID.NotFound describe-iam-instance-profile-associations --association-ids "$id1"
check "disassociate answer" "$id2 disassociated" "$(aws disassociate-iam-instance-profile --association-id "$id2" | jq -r '.IamInstanceProfileAssociation | "\(.AssociationId) \(.State)"')"
check "no profile left" "null" "$(profile "$a")"
fails "disassociate again" InvalidAssociationID.NotFound disassociate-iam-instance-profile --association-id "$id2"

# ec2-lite's CLI takes the aws CLI's options (its own test-driver host: launch there).
d=$("$bin" run-instances --image-id "$ami" --metadata-options HttpTokens=required,HttpPutResponseHopLimit=4 --iam-instance-profile Name=web --query 'Instances[0].[InstanceId,MetadataOptions.HttpTokens,MetadataOptions.HttpPutResponseHopLimit,IamInstanceProfile.Id]' --output text)
check "ec2-lite run-instances" "required	4	AIPA00000000000000WB1" "$(echo "$d" | cut -f2-)"
check "ec2-lite modify" "InvalidInstanceID.NotFound" "$("$bin" modify-instance-metadata-options --instance-id i-0123456789abcdef0 --http-tokens optional 2>&1 | grep -o "InvalidInstanceID.NotFound")"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

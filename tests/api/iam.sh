#!/bin/sh
# IAM at the API endpoint and instance-role credentials (libvirt's test driver, no VM):
# tests/api/iam_roles.py drives `ec2-lite serve` with the aws CLI (aws iam ...) and boto3 —
# roles, instance profiles, inline policies; then the temporary credentials of an instance's
# role (issued locally by the hidden `ec2-lite iam issue-instance-credentials`) sign EC2 and STS
# requests, allowed or refused by the role's policies, until the instance is terminated.
# Usage: iam.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: iam.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
log="$state/serve.log"
. "$here/lib.sh"
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name iam-ami --disk "$state/disk.raw" --output text)
export EC2_LITE_MEMORY_OVERCOMMIT=100
start_server AKIDEC2LITEIAM iam-test-secret
trap 'stop_server; rm -rf "$state"' EXIT
/usr/bin/python3 "$here/iam_roles.py" "http://127.0.0.1:$port" "$key_id" "$secret" "$bin" "$ami" \
	"$state"

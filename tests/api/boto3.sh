#!/bin/sh
# The EC2 API server driven from boto3 (tests/api/boto3_workflow.py) with real tiny guests.
# Usage: boto3.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: boto3.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/../vm/lib.sh"
require_libvirtd
log="$work/serve.log"
. "$here/lib.sh"
start_server AKIDEC2LITEBOTO boto3-test-secret
trap 'stop_server; shared_state_cleanup' EXIT
tiny=$("$bin" build-ami tiny | jq -r .ImageId)
/usr/bin/python3 "$here/boto3_workflow.py" "http://127.0.0.1:$port" "$tiny" "$key_id" "$secret"

#!/bin/sh
# The EC2 API server driven from boto3 (tests/api/boto3_workflow.py) with real tiny guests.
# Usage: boto3.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: boto3.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/../vm/lib.sh"
require_libvirtd
port=$((20000 + $$ % 20000))
export EC2_LITE_ACCESS_KEYS="AKIDEC2LITEBOTO:boto3-test-secret"
"$bin" serve --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2> /dev/null; wait $server 2> /dev/null; shared_state_cleanup' EXIT
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/" || [ $i -ge 50 ]; do sleep 0.2; i=$((i + 1)); done
tiny=$("$bin" build-ami tiny | jq -r .ImageId)
/usr/bin/python3 "$here/boto3_workflow.py" "http://127.0.0.1:$port" "$tiny" AKIDEC2LITEBOTO boto3-test-secret

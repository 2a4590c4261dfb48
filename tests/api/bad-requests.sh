#!/bin/sh
# Bad requests to `ec2-lite serve` (on libvirt's test driver, no VM): tests/api/bad_requests.py signs
# them with botocore and checks EC2's error codes and HTTP statuses; afterwards nothing has
# changed (no instance, no group but the default, no key pair).
# Usage: bad-requests.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: requests.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
port=$((20000 + $$ % 20000))
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
export EC2_LITE_ACCESS_KEYS="AKIDEC2LITETEST:ec2-lite-test-secret"
"$bin" serve --listen "127.0.0.1:$port" > "$state/serve.log" 2>&1 &
server=$!
trap 'kill $server 2> /dev/null; wait $server 2> /dev/null; rm -rf "$state"' EXIT
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/" || [ $i -ge 50 ]; do sleep 0.2; i=$((i + 1)); done
/usr/bin/python3 "$here/bad_requests.py" "http://127.0.0.1:$port/" AKIDEC2LITETEST ec2-lite-test-secret
rc=$?
export AWS_ACCESS_KEY_ID=AKIDEC2LITETEST AWS_SECRET_ACCESS_KEY=ec2-lite-test-secret
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws() { /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" --output json ec2 "$@"; }
left="$(aws describe-instances | jq '.Reservations | length') $(aws describe-security-groups | jq '.SecurityGroups | length') $(aws describe-key-pairs | jq '.KeyPairs | length')"
if [ "$left" = "0 1 0" ]; then
	echo "ok   nothing changed: no instance, only the default group, no key pair"
else
	echo "FAIL something changed: instances, groups, key pairs = $left"
	rc=1
fi
exit $rc

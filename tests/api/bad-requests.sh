#!/bin/sh
# Bad requests to `ec2-lite serve` (on libvirt's test driver, no VM): tests/api/bad_requests.py signs
# them with botocore and checks EC2's error codes and HTTP statuses; afterwards nothing has
# changed (no instance, no group but the default, no key pair).
# Usage: bad-requests.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: bad-requests.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
log="$state/serve.log"
. "$here/lib.sh"
# An AMI for the DryRun cases (registered before the server starts: a client names no host path).
head -c 1048576 /dev/zero > "$state/disk.raw"
EC2_LITE_TEST_AMI=$("$bin" register-image --name dry-run-ami --disk "$state/disk.raw" --output text)
# (test:///default's own domain holds 8 GiB of the driver's 3: overcommit makes room for one)
export EC2_LITE_TEST_AMI EC2_LITE_MEMORY_OVERCOMMIT=4
start_server AKIDEC2LITETEST ec2-lite-test-secret
trap 'stop_server; rm -rf "$state"' EXIT
/usr/bin/python3 "$here/bad_requests.py" "http://127.0.0.1:$port/" "$key_id" "$secret"
rc=$?
# The aws CLI itself on a dry run: EC2's 412 DryRunOperation becomes its message and exit 254
# (with AWS_MAX_ATTEMPTS=1 it notes "reached max retries: 0" on every error; 412 is not retried).
out=$(aws run-instances --image-id "$EC2_LITE_TEST_AMI" --dry-run 2>&1)
st=$?
if [ $st -eq 254 ] && printf '%s\n' "$out" | grep -Eq "^An error occurred \(DryRunOperation\) when calling the RunInstances operation( \(reached max retries: 0\))?: Request would have succeeded, but DryRun flag is set$"; then
	echo "ok   aws run-instances --dry-run: exit 254, DryRunOperation"
else
	echo "FAIL aws run-instances --dry-run: exit $st, $out"
	rc=1
fi
left="$(aws describe-instances | jq '.Reservations | length') $(aws describe-security-groups | jq '.SecurityGroups | length') $(aws describe-key-pairs | jq '.KeyPairs | length')"
if [ "$left" = "0 1 0" ]; then
	echo "ok   nothing changed: no instance, only the default group, no key pair"
else
	echo "FAIL something changed: instances, groups, key pairs = $left"
	rc=1
fi
exit $rc

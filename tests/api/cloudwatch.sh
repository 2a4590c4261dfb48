#!/bin/sh
# CloudWatch at the API endpoint (libvirt's test driver, no VM): tests/api/cloudwatch_metrics.py
# drives `ec2-lite serve` with the aws CLI (aws cloudwatch get-metric-statistics, get-metric-data,
# list-metrics) and boto3: shapes, values, CloudWatch's errors, instance-role credentials. The test
# driver's domains have no statistics, so the samples are the test's own, handed to the server
# through EC2_LITE_TEST_METRICS (read on the test driver only); the sampler runs beside them
# (config.json's "metrics-interval": 1) and must add no values of its own.
# Usage: cloudwatch.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: cloudwatch.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default EC2_LITE_MEMORY_OVERCOMMIT=100
log="$state/serve.log"
. "$here/lib.sh"
trap 'stop_server; rm -rf "$state"' EXIT
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name cw-ami --disk "$state/disk.raw" --output text)
# The samples' instance: an id only (on the test driver the server's connection is a world of
# its own, where instances launched by another process do not exist).
iid=i-0123456789abcdef0
printf '{"metrics-interval": 1}\n' > "$state/config.json"
/usr/bin/python3 "$here/cloudwatch_metrics.py" samples "$iid" > "$state/samples.json" || exit 1
export EC2_LITE_TEST_METRICS="$state/samples.json"
# A bad interval is refused before anything starts.
if timeout 10 "$bin" serve --listen 127.0.0.1:1 --metrics-interval 3601 2> "$state/err"; then
	echo "FAIL serve --metrics-interval 3601 started"
	exit 1
fi
grep -q "3600 seconds, not 3601" "$state/err" || { cat "$state/err"; exit 1; }
echo "ok   serve --metrics-interval 3601 refused"
start_server AKIDEC2LITECW cw-test-secret
/usr/bin/python3 "$here/cloudwatch_metrics.py" test "http://127.0.0.1:$port" "$key_id" "$secret" \
	"$bin" "$iid" "$ami"

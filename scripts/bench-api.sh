#!/bin/sh
# Benchmark of the API issue: DescribeInstances with 100 instances through `ec2-lite serve` on
# loopback, requests per second and latency percentiles under wrk (4 connections, one signed
# request replayed: SigV4 holds for 15 minutes), beside, in the same run: the model's call in
# process (tests/bench_describe, the floor of any front end) and the aws CLI (one process per
# call, as a user runs it). The server runs on libvirt's test driver, where 100 instances cost
# nothing to keep.
# Usage: scripts/bench-api.sh [SECONDS]   (after `make setup`; installs wrk when missing)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-10}
bin=$PWD/build/ec2-lite
dpkg-query -W -f='${Status}' wrk 2> /dev/null | grep -q "install ok installed" ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk > /dev/null
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
export EC2_LITE_INSTANCE_LIMIT=200 EC2_LITE_MEMORY_OVERCOMMIT=40
log="$state/serve.log"
. tests/api/lib.sh
start_server AKIDBENCH bench-secret
trap 'stop_server; rm -rf "$state"' EXIT

head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name bench --disk "$state/disk.raw" --output text)
aws run-instances --image-id "$ami" --instance-type t2.nano --count 100 > /dev/null
n=$(aws describe-instances | jq '[.Reservations[].Instances[]] | length')
echo "instances described: $n"

# One signed request (botocore's signer), replayed by wrk.
/usr/bin/python3 - "$port" > "$state/wrk.lua" <<'PY'
import sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
body = "Action=DescribeInstances&Version=2016-11-15"
req = AWSRequest(method="POST", url="http://127.0.0.1:%s/" % sys.argv[1], data=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(Credentials("AKIDBENCH", "bench-secret"), "ec2", "us-east-1").add_auth(req)
print('wrk.method = "POST"')
print('wrk.body = "%s"' % body)
for k, v in req.headers.items():
    print('wrk.headers["%s"] = "%s"' % (k, v.decode() if isinstance(v, bytes) else v))
PY
curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/" > /dev/null
wrk -t 2 -c 4 -d "${seconds}s" --latency -s "$state/wrk.lua" "http://127.0.0.1:$port/" > "$state/wrk.out"
rps=$(awk '/Requests\/sec/ {print $2}' "$state/wrk.out")
p50=$(awk '$1 == "50%" {print $2}' "$state/wrk.out")
p99=$(awk '$1 == "99%" {print $2}' "$state/wrk.out")
non2xx=$(awk '/Non-2xx/ {print $5}' "$state/wrk.out")

# The aws CLI, a process per call.
t=$(date +%s.%N)
for k in 1 2 3 4 5; do aws describe-instances > /dev/null; done
cli=$(echo "($(date +%s.%N) - $t) / 5" | bc -l)
floor=$(build/tests/bench_describe 100 20 | awk '/DescribeInstances \(model call\)/ {print $(NF - 1)}')

echo "DescribeInstances of 100 instances on loopback ($(nproc) cores):"
echo "  ec2-lite serve under wrk (4 connections, ${seconds} s): $rps requests/s, p50 $p50, p99 $p99${non2xx:+, $non2xx non-2xx}"
echo "  the model's call in process (bench_describe, the floor): ${floor:-?} ms"
echo "  aws ec2 describe-instances (a process per call):          $(printf '%.0f' "$(echo "$cli * 1000" | bc -l)") ms"

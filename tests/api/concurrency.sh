#!/bin/sh
# Many clients of one `ec2-lite serve` at once, on libvirt's test driver (no VM):
# tests/api/concurrency.py runs writers (launch, tag, stop, start, terminate; create, authorize,
# revoke and delete security groups) beside readers (DescribeInstances, DescribeSecurityGroups,
# DescribeImages) and checks that each client reads its own acknowledged writes and that, at the
# end, no instance or group is lost or doubled.
# Usage: concurrency.sh PATH-TO-ec2-lite [SECONDS]
set -u
bin=${1:?usage: concurrency.sh PATH-TO-ec2-lite [SECONDS]}
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
# Room for every instance the writers launch (the test driver's host is small).
export EC2_LITE_INSTANCE_LIMIT=1000 EC2_LITE_MEMORY_OVERCOMMIT=1000
log="$state/serve.log"
. "$here/lib.sh"
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name concurrency --disk "$state/disk.raw" --output text)
start_server AKIDEC2LITECONC ec2-lite-conc-secret
trap 'stop_server; rm -rf "$state"' EXIT
/usr/bin/python3 "$here/concurrency.py" "http://127.0.0.1:$port/" "$key_id" "$secret" "$ami" "$seconds"
rc=$?
if ! kill -0 "$server" 2> /dev/null; then
	echo "FAIL the server is gone:"
	tail -n 20 "$log"
	rc=1
fi
exit $rc

#!/bin/sh
# Bad requests to `ec2-lite serve` (on libvirt's test driver, no VM): tests/api/bad_requests.py signs
# them with botocore and checks EC2's error codes and HTTP statuses; afterwards nothing has
# changed (no instance, no group but the default, no key pair, no image, no import task).
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
# --no-auth only on loopback: elsewhere anyone who reaches the port would drive the host. The
# address is TEST-NET-1 (on no interface): the refusal must come before any attempt to listen.
out=$(timeout 10 "$bin" serve --no-auth --listen "192.0.2.1:$port" 2>&1)
got=$?
if [ "$got" = 254 ] && printf '%s\n' "$out" | grep -q -- "--no-auth.*loopback"; then
	echo "ok   serve --no-auth refuses a listen address that is not loopback"
else
	echo "FAIL serve --no-auth on 192.0.2.1: exit $got, output: $out"
	rc=1
fi
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
left="$(aws describe-instances | jq '.Reservations | length') $(aws describe-security-groups | jq '.SecurityGroups | length') $(aws describe-key-pairs | jq '.KeyPairs | length') $(aws describe-images --owners self | jq '.Images | length') $(aws describe-import-image-tasks | jq '.ImportImageTasks | length') $(aws describe-addresses | jq '.Addresses | length')"
if [ "$left" = "0 1 0 1 0 0" ]; then
	echo "ok   nothing changed: no instance, only the default group, no key pair, only the dry-run AMI, no import, no Elastic IP"
else
	echo "FAIL something changed: instances, groups, key pairs, images, imports, addresses = $left"
	rc=1
fi
# The files ec2-lite writes are not world-readable (QEMU reaches disks, kernels and seeds
# through libvirt, which hands them to its user when a guest starts): an image with a kernel and
# an initrd, and an instance with user data, through the CLI on the test driver.
head -c 1048576 /dev/zero > "$state/disk.raw"
echo kernel > "$state/vmlinuz"
echo initrd > "$state/initrd"
ami=$("$bin" register-image --name modes --disk "$state/disk.raw" --kernel "$state/vmlinuz" \
	--ramdisk "$state/initrd" | jq -r .ImageId)
EC2_LITE_MEMORY_OVERCOMMIT=100 "$bin" run-instances --image-id "$ami" --count 1 --user-data secret > /dev/null
modes=$(cd "$state" && stat -c '%a %n' state.json state.lock pool/ami-*.raw kernels/ami-*/vmlinuz \
	kernels/ami-*/initrd.img instances/i-*/seed.iso instances/i-*/user-data | sed 's/\(ami\|i\)-[0-9a-f]*/\1/g' | sort -u | tr '\n' ' ')
want="400 pool/ami.raw 600 instances/i/seed.iso 600 instances/i/user-data 600 kernels/ami/initrd.img 600 kernels/ami/vmlinuz 600 state.json 600 state.lock "
if [ "$modes" = "$want" ]; then
	echo "ok   files ec2-lite writes are not world-readable: $modes"
else
	echo "FAIL file modes: $modes, not $want"
	rc=1
fi
exit $rc

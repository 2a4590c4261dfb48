#!/bin/sh
# Benchmark of the API issue: DescribeInstances with 100 instances through `ec2-lite serve` on
# loopback, requests per second and latency percentiles under wrk (4 connections, one signed
# request replayed: SigV4 holds for 15 minutes), beside, in the same run: the model's call in
# process (tests/bench_describe, the floor of any front end) and the aws CLI (one process per
# call, as a user runs it). The server runs on libvirt's test driver, where 100 instances cost
# nothing to keep. Three cases:
#   plain      DescribeInstances with no parameter (the answer the view renders once per change);
#   filtered   with a filter (instance-state-name=running): the model's answer over the view,
#              per request;
#   long       plain, while long actions run beside it without pause: a RunInstances of 8 then a
#              TerminateInstances of them, and a CopyImage of a 64 MiB AMI then its
#              DeregisterImage (what the test driver can do; CreateImage and ImportImage need
#              real guests).
# Then, on the same server, DescribeImages of 20 images and DescribeSecurityGroups of 21 groups
# (2 rules each, and the default group), plain, alone and while the long actions run.
# With --real (opt-in; root, libvirtd, KVM or TCG; boots guests): the same on qemu:///system with
# 20 tiny guests running, the plain describe under wrk while a CreateImage, an ImportImage and a
# RunInstances of 8 run (targets: >= 1000 describes/s, p99 < 50 ms). It builds the tiny AMI in a
# state folder of its own under /tmp and removes everything it made at the end.
# Usage: scripts/bench-api.sh [SECONDS] [--real]   (after `make setup`; installs wrk when missing)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-10}
real=${2:-}
bin=$PWD/build/ec2-lite
dpkg-query -W -f='${Status}' wrk 2> /dev/null | grep -q "install ok installed" ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk > /dev/null
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
export EC2_LITE_INSTANCE_LIMIT=200 EC2_LITE_MEMORY_OVERCOMMIT=40
log="$state/serve.log"
. tests/api/lib.sh
start_server AKIDBENCH bench-secret
long=""
trap 'touch "$state/stop"; [ -z "$long" ] || wait "$long"; stop_server; rm -rf "$state"' EXIT

# One signed request (botocore's signer), replayed by wrk: sign BODY > LUA-FILE.
sign() {
	/usr/bin/python3 - "$port" "$1" <<'PY'
import sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
body = sys.argv[2]
req = AWSRequest(method="POST", url="http://127.0.0.1:%s/" % sys.argv[1], data=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(Credentials("AKIDBENCH", "bench-secret"), "ec2", "us-east-1").add_auth(req)
print('wrk.method = "POST"')
print('wrk.body = "%s"' % body)
for k, v in req.headers.items():
    print('wrk.headers["%s"] = "%s"' % (k, v.decode() if isinstance(v, bytes) else v))
PY
}

# wrk for $seconds on LUA-FILE; one line: "N requests/s, p50 X, p99 Y[, K non-2xx]".
bench() {
	wrk -t 2 -c 4 -d "${seconds}s" --latency -s "$1" "http://127.0.0.1:$port/" > "$state/wrk.out"
	awk '/Requests\/sec/ {rps = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
	     /Non-2xx/ {bad = ", " $5 " non-2xx"}
	     END {printf "%s requests/s, p50 %s, p99 %s%s\n", rps, p50, p99, bad}' "$state/wrk.out"
}

# Long actions without pause until $state/stop appears, by botocore (one process, not one per
# call): long.py ENDPOINT test AMI BIG-AMI | real AMI INSTANCE-ID S3-URL. Prints what it did.
cat > "$state/long.py" <<'PY'
import os, sys, threading, time
import botocore.config, botocore.session
endpoint, mode, ami = sys.argv[1:4]
stop = os.path.join(os.environ["EC2_LITE_STATE_DIR"], "stop")
done, lock = {}, threading.Lock()

def client():
    cfg = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=1800)
    return botocore.session.get_session().create_client(
        "ec2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDBENCH",
        aws_secret_access_key="bench-secret", config=cfg)

def timed(name, fn):
    t = time.monotonic()
    out = fn()
    with lock:
        done.setdefault(name, []).append(time.monotonic() - t)
    return out

def launches(ec2, once):
    while not os.path.exists(stop):
        r = timed("RunInstances of 8", lambda: ec2.run_instances(
            ImageId=ami, InstanceType="t2.nano", MinCount=8, MaxCount=8))
        ids = [i["InstanceId"] for i in r["Instances"]]
        if once:
            return
        timed("TerminateInstances of 8", lambda: ec2.terminate_instances(InstanceIds=ids))

def copies(ec2, big):
    n = 0
    while not os.path.exists(stop):
        n += 1
        r = timed("CopyImage (64 MiB)", lambda: ec2.copy_image(
            SourceImageId=big, SourceRegion="us-east-1", Name="bench-copy-%d" % n))
        timed("DeregisterImage", lambda: ec2.deregister_image(ImageId=r["ImageId"]))

if mode == "test":
    work = [lambda: launches(client(), False), lambda: copies(client(), sys.argv[4])]
else:
    instance, url = sys.argv[4:6]
    work = [lambda: launches(client(), True),
            lambda: timed("CreateImage (answered; the copy goes on)", lambda: client().create_image(
                InstanceId=instance, Name="bench-golden", NoReboot=True)),
            lambda: timed("ImportImage", lambda: client().import_image(
                DiskContainers=[{"Format": "raw", "Url": url}]))]
threads = [threading.Thread(target=w) for w in work]
for t in threads:
    t.start()
for t in threads:
    t.join()
for name, times in sorted(done.items()):
    print("    %s: %d, %.0f ms each on average" % (name, len(times), 1000 * sum(times) / len(times)))
PY

head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name bench --disk "$state/disk.raw" --output text)
aws run-instances --image-id "$ami" --instance-type t2.nano --count 100 > /dev/null
n=$(aws describe-instances | jq '[.Reservations[].Instances[]] | length')
echo "instances described: $n"
# 19 copies of the AMI and 20 groups of 2 rules, through the server (one botocore process).
/usr/bin/python3 - "http://127.0.0.1:$port/" "$ami" <<'PY'
import sys
import botocore.session
ec2 = botocore.session.get_session().create_client(
    "ec2", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="AKIDBENCH",
    aws_secret_access_key="bench-secret")
for k in range(19):
    ec2.copy_image(SourceImageId=sys.argv[2], SourceRegion="us-east-1", Name="bench-image-%d" % k)
for k in range(20):
    gid = ec2.create_security_group(GroupName="bench-group-%d" % k, Description="bench")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
        for p in (22, 80)])
PY
ni=$(aws describe-images | jq '.Images | length')
ng=$(aws describe-security-groups | jq '.SecurityGroups | length')

sign "Action=DescribeInstances&Version=2016-11-15" > "$state/plain.lua"
sign "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1=running" > "$state/filtered.lua"
curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/" > /dev/null
sign "Action=DescribeImages&Version=2016-11-15" > "$state/images.lua"
sign "Action=DescribeSecurityGroups&Version=2016-11-15" > "$state/groups.lua"
plain=$(bench "$state/plain.lua")
filtered=$(bench "$state/filtered.lua")
images=$(bench "$state/images.lua")
groups=$(bench "$state/groups.lua")

# The same plain describe while long actions run.
head -c 67108864 /dev/urandom > "$state/big.raw"
big=$("$bin" register-image --name bench-big --disk "$state/big.raw" --output text)
/usr/bin/python3 "$state/long.py" "http://127.0.0.1:$port/" test "$ami" "$big" > "$state/long.out" 2>&1 &
long=$!
sleep 1
during=$(bench "$state/plain.lua")
during_images=$(bench "$state/images.lua")
touch "$state/stop"
wait "$long" || true
long=""

# The aws CLI, a process per call.
t=$(date +%s.%N)
for k in 1 2 3 4 5; do aws describe-instances > /dev/null; done
cli=$(echo "($(date +%s.%N) - $t) / 5" | bc -l)
floor=$(build/tests/bench_describe 100 20 | awk '/DescribeInstances \(model call\)/ {print $(NF - 1)}')

echo "DescribeInstances of 100 instances on loopback ($(nproc) cores), ec2-lite serve under wrk (4 connections, ${seconds} s):"
echo "  plain:                    $plain"
echo "  filtered (per request):   $filtered"
echo "  plain, long actions beside: $during"
cat "$state/long.out"
echo "  the model's call in process (bench_describe, the floor): ${floor:-?} ms"
echo "  aws ec2 describe-instances (a process per call):          $(printf '%.0f' "$(echo "$cli * 1000" | bc -l)") ms"
echo "DescribeImages of $ni images and DescribeSecurityGroups of $ng groups, the same server:"
echo "  images, plain:            $images"
echo "  groups, plain:            $groups"
echo "  images, plain, long actions beside: $during_images"

[ "$real" = --real ] || exit 0

# ---- Real guests (opt-in): qemu:///system, 20 tiny guests, long actions beside the describes.
stop_server
rm -f "$state/stop"
real_state=$(mktemp -d /tmp/ec2lite-bench-real-XXXXXX)
chmod 755 "$real_state" # libvirt's QEMU user reaches disks under it
export EC2_LITE_STATE_DIR="$real_state" EC2_LITE_CONNECT=qemu:///system
unset EC2_LITE_INSTANCE_LIMIT EC2_LITE_MEMORY_OVERCOMMIT
log="$real_state/serve.log"
cleanup_real() {
	touch "$state/stop"
	ids=$("$bin" describe-instances --filters Name=instance-state-name,Values=pending,running,stopping,stopped 2> /dev/null |
		jq -r '.Reservations[].Instances[].InstanceId' | tr '\n' ' ')
	[ -z "$ids" ] || "$bin" terminate-instances --instance-ids $ids > /dev/null 2>&1 || true
	stop_server
	for a in $("$bin" describe-images --owners self amazon 2> /dev/null | jq -r '.Images[].ImageId'); do
		"$bin" deregister-image --image-id "$a" > /dev/null 2>&1 || true
	done
	rm -rf "$real_state" "$state"
}
trap cleanup_real EXIT
tiny=$("$bin" build-ami tiny | jq -r .ImageId)
start_server AKIDBENCH bench-secret
aws run-instances --image-id "$tiny" --instance-type t2.nano --count 20 > /dev/null
aws wait instance-running --filters Name=image-id,Values="$tiny"
first=$(aws describe-instances --filters Name=instance-state-name,Values=running |
	jq -r '.Reservations[0].Instances[0].InstanceId')
mkdir -p "$real_state/import/bench"
cp "$real_state/pool/$tiny.raw" "$real_state/import/bench/tiny.raw"
chmod 600 "$real_state/import/bench/tiny.raw"
sign "Action=DescribeInstances&Version=2016-11-15" > "$state/plain.lua"
plain=$(bench "$state/plain.lua")
/usr/bin/python3 "$state/long.py" "http://127.0.0.1:$port/" real "$tiny" "$first" \
	s3://bench/tiny.raw > "$state/long.out" 2>&1 &
long=$!
sleep 2 # the launch and the import are under way
during=$(bench "$state/plain.lua")
wait "$long" || true
long=""
echo "DescribeInstances of 20 tiny guests on qemu:///system, under wrk (4 connections, ${seconds} s):"
echo "  plain:                                     $plain   (target >= 1000 requests/s)"
echo "  plain, CreateImage + ImportImage + RunInstances of 8 beside: $during   (target p99 < 50 ms)"
cat "$state/long.out"

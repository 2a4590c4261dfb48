#!/bin/sh
# The web console and monitoring on real guests (qemu:///system, the shared AMIs), with
# `ec2-lite serve` and access keys:
# - the course's demo click by click in headless Chromium (tests/console/demo.py --real): sign
#   in, the launch wizard (name, the debian-12 Quick Start AMI, t2.micro, no key pair, a new group
#   with HTTP and HTTPS and no SSH, userdata/employee-directory.sh uploaded), "2/2 checks
#   passed", the public IP's link opens the Employee Directory, stop, start (a new public IP in
#   the table), terminate;
# - monitoring: a tiny guest that idles, then spins once its tag Load says busy (read from IMDS):
#   its CPUUtilization, sampled by the server, rises in `aws cloudwatch get-metric-statistics`
#   and in the chart of the console's Monitoring tab.
# Usage: console.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: console.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd
log="$work/serve.log"
. "$here/../api/lib.sh"
start_server AKIDCONSOLETEST console-test-secret
if [ "${shared:-0}" = 1 ] && [ -n "${EC2LITE_SHARED_STATE:-}" ]; then cleanup=shared_state_cleanup; else cleanup=tmp_state_cleanup; fi
trap "stop_server; $cleanup" EXIT
endpoint="http://127.0.0.1:$port"
cw() { /usr/bin/aws --endpoint-url "$endpoint" --output json cloudwatch "$@"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# cpu ID EPOCH JQ: JQ over the 10-second averages of CPUUtilization from EPOCH on (a list).
cpu() {
	cw get-metric-statistics --namespace AWS/EC2 --metric-name CPUUtilization \
		--dimensions "Name=InstanceId,Value=$1" --start-time "$(iso "$2")" \
		--end-time "$(iso $(($(date +%s) + 60)))" --period 10 --statistics Average |
		jq "[.Datapoints[].Average] | $3"
}
# wait_cpu ID EPOCH SECONDS JQ: until JQ over those averages says true.
wait_cpu() {
	i=0
	while [ $i -lt "$3" ]; do
		[ "$(cpu "$1" "$2" "$4")" = true ] && return 0
		sleep 2
		i=$((i + 2))
	done
	echo "  CPUUtilization of $1 since $(iso "$2"): $(cpu "$1" "$2" "map(floor)")" >&2
	return 1
}

tiny=$("$bin" build-ami tiny | jq -r .ImageId)
debian=$("$bin" build-ami debian-12 | jq -r .ImageId)
check "the shared AMIs are there" '[ -n "$tiny" ] && [ -n "$debian" ] && [ "$debian" != null ]'

# --- Monitoring: the busy loop, started by a tag the guest reads from IMDS. ---
cat > "$work/busy.sh" <<'UD'
#!/bin/sh
(
	echo "EC2LITE-BUSY waiting"
	until [ "$(wget -q -O - http://169.254.169.254/latest/meta-data/tags/instance/Load)" = busy ]; do
		sleep 2
	done
	echo "EC2LITE-BUSY spinning"
	while :; do :; done
) &
UD
busy=$(aws run-instances --image-id "$tiny" --instance-type t2.nano --user-data "file://$work/busy.sh" \
	--metadata-options InstanceMetadataTags=enabled \
	--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=busy-loop}]' |
	jq -r '.Instances[0].InstanceId')
check "a tiny guest for the busy loop ($busy)" wait_console "$busy" "EC2LITE-BUSY waiting" 180
# Idle: three 10-second averages after the boot's last seconds; the lowest is the idle floor.
t0=$(($(date +%s) + 10))
check "the server samples it while it idles" wait_cpu "$busy" "$t0" 180 "length >= 3"
idle=$(cpu "$busy" "$t0" "min | floor")
check "idle, below 30 % ($idle)" [ "$idle" -lt 30 ]
check "tag it Load=busy" aws create-tags --resources "$busy" --tags Key=Load,Value=busy
check "the guest reads the tag and spins" wait_console "$busy" "EC2LITE-BUSY spinning" 120
t1=$(date +%s)
check "CPUUtilization rises above 60 % in get-metric-statistics" wait_cpu "$busy" "$t1" 180 "max > 60"
echo "  CPUUtilization: idle $idle %, busy $(cpu "$busy" "$t1" "max | floor") %"
check "GetMetricData answers the same metric" '[ "$(cw get-metric-data --start-time "$(iso "$t1")" --end-time "$(iso $(($(date +%s) + 60)))" --metric-data-queries "[{\"Id\":\"cpu\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"AWS/EC2\",\"MetricName\":\"CPUUtilization\",\"Dimensions\":[{\"Name\":\"InstanceId\",\"Value\":\"$busy\"}]},\"Period\":10,\"Stat\":\"Maximum\"}}]" | jq ".MetricDataResults[0].Values | max > 60")" = true ]'
check "DiskReadBytes saw the boot read its disk" '[ "$(cw get-metric-statistics --namespace AWS/EC2 --metric-name DiskReadBytes --dimensions "Name=InstanceId,Value=$busy" --start-time "$(iso $((t0 - 600)))" --end-time "$(iso $(($(date +%s) + 60)))" --period 3600 --statistics Sum | jq "[.Datapoints[].Sum] | add // 0 | floor")" -gt 0 ]'
check "list-metrics names the instance's CPU and disk metrics" [ "$(cw list-metrics --namespace AWS/EC2 --dimensions "Name=InstanceId,Value=$busy" | jq -r '[.Metrics[].MetricName] | sort | join(" ")')" = "CPUUtilization DiskReadBytes DiskWriteBytes" ]
# The same rise in the console's chart (averages per minute: the spinning minute's shows it).
chart=$(/usr/bin/python3 "$here/../console/cpu_chart.py" --url "$endpoint/console/" --key-id "$key_id" \
	--secret "$secret" --instance "$busy" --above 50 --timeout 180 2>&1)
echo "$chart" | sed 's/^/  /' >&2
check "the Monitoring tab's CPU chart rises above 50 %" 'printf "%s\n" "$chart" | grep -q "^ok "'

check "terminate the busy loop" aws terminate-instances --instance-ids "$busy"
"$bin" wait instance-terminated --instance-ids "$busy" > /dev/null

# --- The course's demo in the console, click by click, on debian-12. ---
demo=$(/usr/bin/python3 "$here/../console/demo.py" --url "$endpoint/console/" --key-id "$key_id" \
	--secret "$secret" --real --boot-timeout 900 2>&1)
echo "$demo" | sed 's/^/  /' >&2
check "the Employee Directory demo, click by click in the console, on a real guest" \
	'printf "%s\n" "$demo" | grep -q "^ok   the Employee Directory demo on a real guest"'
check "nothing of it is left running" [ "$("$bin" describe-instances --filters Name=instance-state-name,Values=pending,running,stopping,stopped | jq '[.Reservations[].Instances[]] | length')" -eq 0 ]
finish

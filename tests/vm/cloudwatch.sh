#!/bin/sh
# CloudWatch's CPUUtilization of a real guest (the tiny AMI, one vCPU) through `ec2-lite serve`:
# the guest idles, then runs a busy loop; the utilisation the aws CLI reads (get-metric-data,
# periods of 10 s) rises, and the disk metrics saw the boot read the root disk.
# Usage: cloudwatch.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: cloudwatch.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd
log="$work/cloudwatch-serve.log"
. "$here/../api/lib.sh"
start_server AKIDEC2LITECWVM cw-vm-secret
trap 'stop_server; shared_state_cleanup' EXIT
cw() { /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" --output json cloudwatch "$@"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

tiny=$("$bin" build-ami tiny | jq -r .ImageId)
check "tiny built" [ -n "$tiny" ]
cat > "$work/busy.sh" << 'UD'
#!/bin/sh
( sleep 40; echo "CW busy: loop starts"; while :; do :; done ) &
echo "CW idle: waiting"
UD
t0=$(date +%s)
id=$(aws run-instances --image-id "$tiny" --instance-type t2.nano --user-data "file://$work/busy.sh" |
	jq -r '.Instances[0].InstanceId')
check "the guest's user-data runs" wait_console "$id" "CW idle: waiting" 300
check "its busy loop starts" wait_console "$id" "CW busy: loop starts" 120
t_busy=$(date +%s)
sleep 40
t_end=$(date +%s)
q='[{"Id": "cpu", "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
 "Dimensions": [{"Name": "InstanceId", "Value": "'$id'"}]}, "Period": 10, "Stat": "Average"}}]'
cw get-metric-data --metric-data-queries "$q" --start-time "$(iso "$t0")" \
	--end-time "$(iso "$((t_end + 10))")" --scan-by TimestampAscending > "$work/cpu.json"
# The values of [from, to) (seconds since the epoch) and their mean.
window() {
	jq -r --argjson from "$1" --argjson to "$2" '.MetricDataResults[0] |
		[range(0; .Timestamps | length) as $i | {t: (.Timestamps[$i] | sub("\\+00:00$"; "Z") | fromdateiso8601),
		 v: .Values[$i]}] | map(select(.t >= $from and .t < $to) | .v) |
		if length == 0 then "none" else (add / length | floor) end' "$work/cpu.json"
}
idle=$(window "$((t_busy - 25))" "$((t_busy - 5))")
busy=$(window "$((t_busy + 10))" "$t_end")
echo "  CPUUtilization: idle $idle %, busy loop $busy % (periods of 10 s)"
check "CPU utilisation of a guest running a busy loop rises in get-metric-data" \
	'[ "$idle" != none ] && [ "$busy" != none ] && [ "$busy" -ge 30 ] && [ "$busy" -gt $((idle * 2)) ]'
cw get-metric-statistics --namespace AWS/EC2 --metric-name CPUUtilization \
	--dimensions "Name=InstanceId,Value=$id" --start-time "$(iso "$((t_busy + 10))")" \
	--end-time "$(iso "$t_end")" --period 60 --statistics Maximum > "$work/max.json"
check "get-metric-statistics: the busy loop's Maximum" \
	'[ "$(jq "[.Datapoints[].Maximum] | max // 0 | floor" "$work/max.json")" -ge 30 ]'
cw get-metric-statistics --namespace AWS/EC2 --metric-name DiskReadBytes \
	--dimensions "Name=InstanceId,Value=$id" --start-time "$(iso "$t0")" \
	--end-time "$(iso "$t_end")" --period 3600 --statistics Sum > "$work/read.json"
check "DiskReadBytes: the boot read the root disk" \
	'[ "$(jq "[.Datapoints[].Sum] | add // 0 | floor" "$work/read.json")" -gt 0 ]'
cw list-metrics --dimensions "Name=InstanceId,Value=$id" > "$work/list.json"
check "list-metrics: CPUUtilization, DiskReadBytes, DiskWriteBytes of the instance" \
	'[ "$(jq -r "[.Metrics[].MetricName] | sort | join(\",\")" "$work/list.json")" = CPUUtilization,DiskReadBytes,DiskWriteBytes ]'
check "terminate-instances" "$bin" terminate-instances --instance-ids "$id"
finish

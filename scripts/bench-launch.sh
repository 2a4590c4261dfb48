#!/bin/sh
# Parallel launches (issue 13): N `ec2-lite run-instances` of the tiny AMI started at once, against
# one alone, each timed to the command's answer (the instances defined and started; their boot
# is not waited for). The launch lock is held only for the capacity decision, so N at once should
# take about max(one alone, N x the define/start floor), where the floor is what define and start
# (virDomainCreate) took in the lone launch (EC2_LITE_TIMING's trace): libvirt starts domains side
# by side, but this host's cores are shared. Prints the figures and their ratios, medians of
# ROUNDS; with BASELINE (another ec2-lite binary, e.g. a build of an older commit) the same
# figures for it, measured in the same run, alternating.
# Usage: scripts/bench-launch.sh [N [ROUNDS [BASELINE]]]   (after `make setup`; root, libvirtd;
#        boots up to N tiny guests at once, all terminated before the next round)
set -eu
cd "$(dirname "$0")/.."
n=${1:-10}
rounds=${2:-3}
baseline=${3:-}
bin=$PWD/build/ec2-lite
. scripts/bench-state.sh
ratio() { echo "scale=2; $1 / $2" | bc; }
max() { echo "if ($1 > $2) $1 else $2" | bc; }

tiny=$("$bin" build-ami tiny 2> /dev/null | jq -r .ImageId)
printf '#!/bin/sh\necho BENCH-USER-DATA-RAN\n' > "$work/ud.sh"

# one BIN: one launch alone; prints its seconds (and leaves the trace in $work/one.trace)
one() {
	rm -f "$work/one.trace"
	t=$(now)
	id=$(EC2_LITE_TIMING=$work/one.trace "$1" run-instances --image-id "$tiny" --instance-type t2.nano \
		--user-data "file://$work/ud.sh" | jq -r '.Instances[0].InstanceId')
	since "$t"
	"$bin" terminate-instances --instance-ids "$id" > /dev/null
}
# many BIN: N launches at once; prints the seconds until the last one answered
many() {
	t=$(now)
	k=0
	while [ $k -lt "$n" ]; do
		"$1" run-instances --image-id "$tiny" --instance-type t2.nano --user-data "file://$work/ud.sh" \
			> "$work/many.$k.json" &
		k=$((k + 1))
	done
	wait
	since "$t"
	ids=$(cat "$work"/many.*.json | jq -r '.Instances[].InstanceId')
	[ "$(echo "$ids" | grep -c .)" = "$n" ] || echo "only $(echo "$ids" | grep -c .) of $n launched" >&2
	"$bin" terminate-instances --instance-ids $ids > /dev/null
	rm -f "$work"/many.*.json
}
# the define and start steps of the last lone launch's trace
floor_of_trace() { awk '$5 == "define" || $5 == "start" {s += $4} END {print s}' "$work/one.trace"; }

o="" m="" f="" bo="" bm=""
r=0
while [ $r -lt "$rounds" ]; do
	o="$o $(one "$bin")"
	f="$f $(floor_of_trace)"
	m="$m $(many "$bin")"
	if [ -n "$baseline" ]; then
		bo="$bo $(one "$baseline")"
		bm="$bm $(many "$baseline")"
	fi
	r=$((r + 1))
done
om=$(echo $o | median) mm=$(echo $m | median) fm=$(echo $f | median)
want=$(max "$om" "$(echo "$n * $fm" | bc)")
echo "Parallel launches on this machine ($(nproc) cores), tiny t2.nano, median of $rounds:"
echo "  one run-instances alone:            $om s   (runs:$o)"
echo "  its define+start (the floor):       $fm s   (runs:$f)"
echo "  $n run-instances at once:            $mm s   (runs:$m)"
echo "  $n at once / max(one, $n x floor):   $(ratio "$mm" "$want")   (max = $want s)"
echo "  $n at once / one alone:              $(ratio "$mm" "$om")   (serialised would be $n)"
if [ -n "$baseline" ]; then
	bom=$(echo $bo | median) bmm=$(echo $bm | median)
	echo "baseline $baseline:"
	echo "  one run-instances alone:            $bom s   (runs:$bo)"
	echo "  $n run-instances at once:            $bmm s   (runs:$bm)"
	echo "  $n at once / max(one, $n x floor):   $(ratio "$bmm" "$(max "$bom" "$(echo "$n * $fm" | bc)")")"
	echo "  $n at once / one alone:              $(ratio "$bmm" "$bom")"
fi

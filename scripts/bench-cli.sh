#!/bin/sh
# The CLI without a server (issue 13): `ec2-lite describe-instances` of N real running tiny guests
# on qemu:///system, against its floor in the same run: `virsh list --all` plus reading each
# domain's ec2-lite metadata (`virsh metadata`, all in one virsh process), which is what any
# describe has to learn from libvirt. Medians of ROUNDS runs of each, and their ratio (the target is <= 1.5x).
# Usage: scripts/bench-cli.sh [N] [ROUNDS]   (after `make setup`; root, libvirtd; boots N guests)
set -eu
cd "$(dirname "$0")/.."
n=${1:-20}
rounds=${2:-9}
bin=$PWD/build/ec2-lite
. scripts/bench-state.sh
ns=http://ec2-lite.org/xmlns/instance/1

ami=$("$bin" build-ami tiny 2> /dev/null | jq -r .ImageId)
printf '#!/bin/sh\necho BENCH-CLI-USER-DATA-RAN\n' > "$work/ud.sh"
ids=$("$bin" run-instances --image-id "$ami" --instance-type t2.nano --count "$n" \
	--user-data "file://$work/ud.sh" | jq -r '.Instances[].InstanceId')
for id in $ids; do
	wait_for "$state/instances/$id/console.log" BENCH-CLI-USER-DATA-RAN 300
done
running=$("$bin" describe-instances --filters Name=instance-state-name,Values=running |
	jq '[.Reservations[].Instances[]] | length')
echo "instances running: $running of $n"
[ "$running" -eq "$n" ] || { echo "not all $n are running" >&2; exit 1; }

# The floor in one virsh process (one connection, as ec2-lite has): the list, then each metadata.
floor_once() {
	cmds="list --all"
	for d in $(virsh -q list --all --name); do
		cmds="$cmds; metadata $d $ns"
	done
	virsh -q "$cmds" > /dev/null
}
ours_once() { "$bin" describe-instances > /dev/null; }
time_it() { t=$(now); "$@"; since "$t"; }

floor="" ours=""
i=0
while [ $i -lt "$rounds" ]; do
	floor="$floor $(time_it floor_once)"
	ours="$ours $(time_it ours_once)"
	i=$((i + 1))
done
f=$(echo "$floor" | median)
o=$(echo "$ours" | median)
echo "describe-instances, $n running instances, medians of $rounds:"
echo "  floor (virsh list --all + virsh metadata of each): $f s"
echo "  ec2-lite describe-instances (no server):           $o s"
echo "  ratio: $(echo "scale=2; $o / $f" | bc)x (target <= 1.5x)"

#!/bin/sh
# Benchmark of volumes and snapshots, each beside its floor in the same run:
#  - create-snapshot of a volume holding 256 MiB of data, against `qemu-img convert -O qcow2` of
#    the same file (what the snapshot's copy is, without the records);
#  - create-volume --snapshot-id, against `qemu-img create -b` of the same snapshot;
#  - hot-plug: attach-volume to a running tiny guest until the guest has formatted and marked
#    the new disk (its console line), and detach-volume until the volume is available.
# Usage: scripts/bench-volumes.sh   (after `make setup`; root, libvirtd)
set -eu
cd "$(dirname "$0")/.."
bin=$PWD/build/ec2-lite
. scripts/bench-state.sh
zone=us-east-1a

vid=$("$bin" create-volume --availability-zone $zone --size 1 | jq -r .VolumeId)
file="$state/pool/$vid.qcow2"
qemu-io -f qcow2 -c "write -P 0xab 0 256M" "$file" > /dev/null
echo "volume $vid: $(du -m "$file" | cut -f1) MiB of data"

t=$(now)
snap=$("$bin" create-snapshot --volume-id "$vid" | jq -r .SnapshotId)
echo "create-snapshot: $(since "$t") s"
t=$(now)
qemu-img convert -f qcow2 -O qcow2 "$file" "$state/floor.qcow2"
echo "  qemu-img convert of the same file: $(since "$t") s"
rm -f "$state/floor.qcow2"

t=$(now)
v2=$("$bin" create-volume --availability-zone $zone --snapshot-id "$snap" | jq -r .VolumeId)
echo "create-volume --snapshot-id: $(since "$t") s"
t=$(now)
qemu-img create -q -f qcow2 -b "$state/pool/$snap.qcow2" -F qcow2 "$state/floor.qcow2"
echo "  qemu-img create -b of the same snapshot: $(since "$t") s"
rm -f "$state/floor.qcow2"

# Hot-plug into a running tiny guest whose user-data formats each new disk.
tiny=$("$bin" build-ami tiny 2> /dev/null | jq -r .ImageId)
cat > "$state/ud.sh" <<'UD'
#!/bin/sh
modprobe ext4 2> /dev/null
(seen=" vda vdb "; echo "WATCH ready"; while :; do for d in /sys/block/vd*; do n=${d##*/}
case "$seen" in *" $n "*) continue ;; esac; seen="$seen$n "
mke2fs -q "/dev/$n" && echo "VOL $n formatted"; done; sleep 0.2; done) &
UD
id=$("$bin" run-instances --image-id "$tiny" --instance-type t2.nano --placement AvailabilityZone=$zone \
	--user-data "file://$state/ud.sh" | jq -r '.Instances[0].InstanceId')
until grep -aq "WATCH ready" "$state/instances/$id/console.log" 2> /dev/null; do sleep 0.2; done
v3=$("$bin" create-volume --availability-zone $zone --size 1 | jq -r .VolumeId)
t=$(now)
"$bin" attach-volume --volume-id "$v3" --instance-id "$id" --device /dev/sdf > /dev/null
echo "attach-volume answered: $(since "$t") s"
until grep -aq "VOL vd[a-z] formatted" "$state/instances/$id/console.log"; do sleep 0.1; done
echo "  the guest formatted the new disk: $(since "$t") s"
t=$(now)
"$bin" detach-volume --volume-id "$v3" > /dev/null
until [ "$("$bin" describe-volumes --volume-ids "$v3" | jq -r '.Volumes[0].State')" = available ]; do sleep 0.1; done
echo "detach-volume until available: $(since "$t") s"

"$bin" terminate-instances --instance-ids "$id" > /dev/null
for v in "$vid" "$v2" "$v3"; do "$bin" delete-volume --volume-id "$v" > /dev/null; done
"$bin" delete-snapshot --snapshot-id "$snap" > /dev/null

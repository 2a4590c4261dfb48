#!/bin/sh
# EBS volumes with real tiny guests (qemu:///system), at most two at once: a volume hot-plugged
# into a running guest is a new virtio disk (serial: the volume id without its dash) that the guest
# formats and marks with its instance id; detached and attached to another running guest, the mark
# is found there; a snapshot of it and a volume made from the snapshot carry the mark too, and
# stay whole when the first volume is deleted; a root volume with DeleteOnTermination false is an
# available volume after terminate, and a snapshot of it registered as an AMI boots and runs its
# user-data; every bad input or wrong state is EC2's error and changes
# nothing. Waits on the guests' console lines and on DescribeVolumes, never on a sleep.
# Usage: volumes.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: volumes.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd

tiny=$("$bin" build-ami tiny | jq -r .ImageId)
check "tiny built" [ -n "$tiny" ]

# The guest side: every second, a new /dev/vd? disk (vda is the root, vdb the seed) is mounted
# read-only and its marker printed, or, without a filesystem, formatted and marked with the
# instance id. A disk that went is forgotten ("VOL vdX gone"), so one attached again is looked at
# again. The guest names disks in the order they come (a new one takes the lowest free vdX), so
# before a disk goes back to the same guest the test waits for that guest to see it gone.
cat > "$work/ud.sh" <<'UD'
#!/bin/sh
modprobe ext4 2> /dev/null
mkdir -p /var/lib/ec2-lite/per-boot
cat > /var/lib/ec2-lite/volwatch <<'W'
#!/bin/sh
# One watcher per boot (the first boot starts it from the user-data and from per-boot/): /dev is
# made anew at every boot.
mkdir /dev/volwatch.lock 2> /dev/null || exit 0
id=$(wget -q -O - http://169.254.169.254/latest/meta-data/instance-id)
seen=" vda vdb "
echo "VOLWATCH ready $id"
while :; do
	for d in /sys/block/vd*; do
		n=${d##*/}
		case "$seen" in *" $n "*) continue ;; esac
		seen="$seen$n "
		echo "VOL $n serial $(cat "$d/serial" 2> /dev/null)"
		mkdir -p "/mnt/$n"
		if mount -o ro "/dev/$n" "/mnt/$n" 2> /dev/null; then
			echo "VOL $n found $(cat "/mnt/$n/marker")"
			umount "/mnt/$n"
		elif mke2fs -q "/dev/$n" && mount "/dev/$n" "/mnt/$n" && echo "$id" > "/mnt/$n/marker" &&
			sync && umount "/mnt/$n"; then
			echo "VOL $n wrote $id"
		else
			echo "VOL $n failed"
		fi
	done
	for n in $seen; do
		[ -e "/sys/block/$n" ] && continue
		seen=$(echo "$seen" | sed "s/ $n / /")
		echo "VOL $n gone"
	done
	sleep 1
done
W
chmod +x /var/lib/ec2-lite/volwatch
printf '#!/bin/sh\n/var/lib/ec2-lite/volwatch &\n' > /var/lib/ec2-lite/per-boot/volwatch
chmod +x /var/lib/ec2-lite/per-boot/volwatch
/var/lib/ec2-lite/volwatch &
UD

vol() { "$bin" describe-volumes --volume-ids "$1" | jq -r ".Volumes[0].$2 // empty"; }
# wait_volume ID STATE SECONDS: until DescribeVolumes says STATE.
wait_volume() {
	i=0
	while [ $i -lt "$3" ]; do
		[ "$(vol "$1" State)" = "$2" ] && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "  $1 is $(vol "$1" State), not $2, after $3 s" >&2
	return 1
}
# lines ID PATTERN: how many console lines of ID have PATTERN.
lines() { console "$1" | grep -ac -- "$2"; }
# wait_more ID PATTERN N SECONDS: until more than N console lines have PATTERN.
wait_more() {
	i=0
	while [ $i -lt "$4" ]; do
		[ "$(lines "$1" "$2")" -gt "$3" ] && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "  no new '$2' on the console of $1 after $4 s; its last lines:" >&2
	console "$1" | tail -n 8 | sed 's/^/  | /' >&2
	return 1
}
all() { "$bin" describe-volumes | jq -c '[.Volumes[] | [.VolumeId, .State, (.Attachments | map(.InstanceId + .Device + .State))]] | sort'; }
zone=us-east-1a

t=$(now)
a=$("$bin" run-instances --image-id "$tiny" --instance-type t2.nano --placement AvailabilityZone=$zone --user-data "file://$work/ud.sh" | jq -r '.Instances[0].InstanceId')
b=$("$bin" run-instances --image-id "$tiny" --instance-type t2.nano --placement AvailabilityZone=$zone --user-data "file://$work/ud.sh" | jq -r '.Instances[0].InstanceId')
check "A's watcher runs" wait_console "$a" "VOLWATCH ready $a" 180
check "B's watcher runs" wait_console "$b" "VOLWATCH ready $b" 180
echo "  two tiny guests up: $(since "$t") s"

check "each root is a volume in use at /dev/xvda" '[ "$(vol "$(desc "$a" "BlockDeviceMappings[0].Ebs.VolumeId")" "Attachments[0].Device")" = /dev/xvda ]'
v1=$("$bin" create-volume --availability-zone $zone --size 1 --volume-type gp3 | jq -r .VolumeId)
check "create-volume" wait_volume "$v1" available 30
serial="vol${v1#vol-}"

# Hot-plug into running A: A formats it and writes its id.
t=$(now)
check "attach to running A" "$bin" attach-volume --volume-id "$v1" --instance-id "$a" --device /dev/sdf
check "A sees a new disk with the volume's serial ($serial)" wait_console "$a" "serial $serial" 60
check "A wrote its marker" wait_console "$a" "VOL vd[a-z] wrote $a" 60
echo "  attach to the guest writing on it: $(since "$t") s"
check "in-use, attached to A" '[ "$(vol "$v1" State) $(vol "$v1" "Attachments[0].InstanceId") $(vol "$v1" "Attachments[0].State")" = "in-use $a attached" ]'
check "A's block device mappings show it" '[ "$(desc "$a" "BlockDeviceMappings[1].Ebs.VolumeId")" = "$v1" ]'

# The errors, each changing nothing.
far=$("$bin" create-volume --availability-zone us-east-1b --size 1 | jq -r .VolumeId)
spare=$("$bin" create-volume --availability-zone $zone --size 1 | jq -r .VolumeId)
before=$(all)
check_fails "attach an in-use volume" VolumeInUse "$bin" attach-volume --volume-id "$v1" --instance-id "$b" --device /dev/sdf
check_fails "delete an in-use volume" VolumeInUse "$bin" delete-volume --volume-id "$v1"
check_fails "attach across zones" InvalidVolume.ZoneMismatch "$bin" attach-volume --volume-id "$far" --instance-id "$a" --device /dev/sdg
check_fails "detach an available volume" IncorrectState "$bin" detach-volume --volume-id "$far"
check_fails "a bad device" InvalidParameterValue "$bin" attach-volume --volume-id "$spare" --instance-id "$a" --device /dev/hda
check_fails "a device in use" InvalidParameterValue "$bin" attach-volume --volume-id "$spare" --instance-id "$a" --device /dev/xvdf
check_fails "the root's device" InvalidParameterValue "$bin" attach-volume --volume-id "$spare" --instance-id "$a" --device /dev/xvda
check_fails "a size too large" InvalidParameterValue "$bin" create-volume --availability-zone $zone --size 20000
check_fails "an unknown volume" InvalidVolume.NotFound "$bin" attach-volume --volume-id vol-0123456789abcdef0 --instance-id "$a" --device /dev/sdg
check "nothing changed" '[ "$(all)" = "$before" ]'
check "delete the spare volumes" sh -c "'$bin' delete-volume --volume-id $far && '$bin' delete-volume --volume-id $spare"

t=$(now)
check "detach from A" "$bin" detach-volume --volume-id "$v1"
check "available once A let go" wait_volume "$v1" available 60
echo "  detach from a running guest: $(since "$t") s"
check "attach to running B" "$bin" attach-volume --volume-id "$v1" --instance-id "$b" --device /dev/sdg
check "B finds A's marker" wait_console "$b" "VOL vd[a-z] found $a" 60
n=$(lines "$b" "VOL vd[a-z] gone")
check "detach from B" "$bin" detach-volume --volume-id "$v1" --instance-id "$b"
check "available again" wait_volume "$v1" available 60
check "B sees it gone" wait_more "$b" "VOL vd[a-z] gone" "$n" 60

t=$(now)
snap=$("$bin" create-snapshot --volume-id "$v1" --description "A's marker" | jq -r .SnapshotId)
check "snapshot completed" '[ "$("$bin" describe-snapshots --snapshot-ids "$snap" | jq -r ".Snapshots[0].State")" = completed ]'
echo "  create-snapshot of 1 GiB: $(since "$t") s"
v2=$("$bin" create-volume --availability-zone $zone --snapshot-id "$snap" | jq -r .VolumeId)
check "volume from the snapshot" wait_volume "$v2" available 30
n=$(lines "$b" "VOL vd[a-z] found $a")
check "attach it to B" "$bin" attach-volume --volume-id "$v2" --instance-id "$b" --device /dev/sdh
check "B sees the copy's serial" wait_console "$b" "serial vol${v2#vol-}" 60
check "and finds A's marker on it" wait_more "$b" "VOL vd[a-z] found $a" "$n" 60
check "delete the first volume" "$bin" delete-volume --volume-id "$v1"
check "the snapshot stays" '[ "$("$bin" describe-snapshots --snapshot-ids "$snap" | jq -r ".Snapshots[0].State")" = completed ]'
n=$(lines "$b" "VOL vd[a-z] gone")
check "detach the copy" "$bin" detach-volume --volume-id "$v2"
check "available" wait_volume "$v2" available 60
check "B sees it gone" wait_more "$b" "VOL vd[a-z] gone" "$n" 60
n=$(lines "$b" "VOL vd[a-z] found $a")
check "attach it again" "$bin" attach-volume --volume-id "$v2" --instance-id "$b" --device /dev/sdh
check "still A's marker" wait_more "$b" "VOL vd[a-z] found $a" "$n" 60

# Stopped: attached for the next start; terminate: DeleteOnTermination.
root=$(desc "$a" "BlockDeviceMappings[0].Ebs.VolumeId")
check "root DeleteOnTermination false" "$bin" modify-instance-attribute --instance-id "$a" --block-device-mappings 'DeviceName=/dev/xvda,Ebs={DeleteOnTermination=false}'
check "terminate A" "$bin" terminate-instances --instance-ids "$a"
check "A terminated" "$bin" wait instance-terminated --instance-ids "$a"
check "A's root is an available volume" '[ "$(vol "$root" State)" = available ]'
check "terminate B" "$bin" terminate-instances --instance-ids "$b"
check "B terminated" "$bin" wait instance-terminated --instance-ids "$b"
check "B's attached volume is available (DeleteOnTermination false)" '[ "$(vol "$v2" State)" = available ]'

# EC2's AMI from a volume: a snapshot of A's kept root, registered, boots and runs its user-data.
rsnap=$("$bin" create-snapshot --volume-id "$root" | jq -r .SnapshotId)
check "snapshot of A's root" '[ "$("$bin" describe-snapshots --snapshot-ids "$rsnap" | jq -r ".Snapshots[0].State")" = completed ]'
t=$(now)
from=$("$bin" register-image --name "from-$rsnap" --root-device-name /dev/xvda --block-device-mappings "DeviceName=/dev/xvda,Ebs={SnapshotId=$rsnap}" | jq -r .ImageId)
check "register-image of the snapshot" '[ "$("$bin" describe-images --image-ids "$from" | jq -r ".Images[0].BlockDeviceMappings[0].Ebs.SnapshotId")" = "$rsnap" ]'
echo "  register-image of a snapshot: $(since "$t") s"
check_fails "the snapshot is in use by the AMI" InvalidSnapshot.InUse "$bin" delete-snapshot --snapshot-id "$rsnap"
printf '#!/bin/sh\necho "FROMSNAP user-data ran"\n' > "$work/ud2.sh"
c=$("$bin" run-instances --image-id "$from" --instance-type t2.nano --user-data "file://$work/ud2.sh" | jq -r '.Instances[0].InstanceId')
check "it boots and runs its user-data" wait_console "$c" "FROMSNAP user-data ran" 180
check "terminate it" "$bin" terminate-instances --instance-ids "$c"
check "terminated" "$bin" wait instance-terminated --instance-ids "$c"
check "deregister it" "$bin" deregister-image --image-id "$from"
check "clean up" sh -c "'$bin' delete-volume --volume-id $v2 && '$bin' delete-volume --volume-id $root && '$bin' delete-snapshot --snapshot-id $snap && '$bin' delete-snapshot --snapshot-id $rsnap"
finish

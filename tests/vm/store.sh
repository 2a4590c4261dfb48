#!/bin/sh
# The instance store with one real tiny guest (qemu:///system): a c5d.large's instance-store disk
# (1 x 50 GB, a sparse file on the host) is a virtio disk the guest finds by its serial
# AWS-INSTANCE-STORE-0; at every boot a per-boot script reads the marker the previous boot wrote
# on it, raw, and writes one of its own: the marker survives a reboot and is gone after a stop and
# start (a fresh disk), as EC2's instance store; nothing is left after terminate.
# c5d.large (2 vCPUs, 4 GiB) is the smallest type with instance storage: m5d.large's 8 GiB may
# not fit beside another guest on a 24 GiB host. Its 50 GB disk must fit in the state folder's
# free space (the capacity check counts its full size; the file itself stays sparse).
# Usage: store.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: store.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd

tiny=$("$bin" build-ami tiny | jq -r .ImageId)
check "tiny built" [ -n "$tiny" ]
check "describe-instance-types shows c5d.large's instance storage" \
	'[ "$("$bin" describe-instance-types --instance-types c5d.large | jq -c ".InstanceTypes[0].InstanceStorageInfo.Disks")" = "[{\"SizeInGB\":50,\"Count\":1,\"Type\":\"ssd\"}]" ]'

# The user-data leaves a per-boot script; boots are counted on the root disk (EBS: it keeps them).
cat > "$work/store-ud.sh" <<'UD'
#!/bin/sh
mkdir -p /var/lib/ec2-lite/per-boot
cat > /var/lib/ec2-lite/per-boot/store <<'EOF'
#!/bin/sh
n=$(($(cat /var/lib/ec2-lite/boots 2> /dev/null || echo 0) + 1))
echo "$n" > /var/lib/ec2-lite/boots
dev=""
for s in /sys/block/*/serial; do
	[ "$(cat "$s" 2> /dev/null)" = AWS-INSTANCE-STORE-0 ] && dev=/dev/$(basename "$(dirname "$s")")
done
if [ -z "$dev" ]; then
	echo "STORE boot $n: no instance-store disk"
	exit 0
fi
echo "STORE disk $dev: $(cat "/sys/block/${dev#/dev/}/size") sectors"
m=$(dd if="$dev" bs=512 count=1 2> /dev/null | tr -d '\000' | sed -n 's/^ec2lite-marker=//p')
if [ -n "$m" ]; then echo "STORE boot $n: marker $m"; else echo "STORE boot $n: fresh"; fi
printf 'ec2lite-marker=boot%s\n' "$n" | dd of="$dev" bs=512 count=1 conv=notrunc,sync,fsync 2> /dev/null
sync
echo "STORE boot $n: wrote boot$n"
EOF
chmod +x /var/lib/ec2-lite/per-boot/store
UD

id=$("$bin" run-instances --image-id "$tiny" --instance-type c5d.large --user-data "file://$work/store-ud.sh" |
	jq -r '.Instances[0].InstanceId')
check "run-instances c5d.large ($id)" '[ -n "$id" ] && [ "$id" != null ]'
img="$state/instances/$id/ephemeral0.img"
check "its disk is a 50 GB file on the host" '[ "$(stat -c %s "$img")" = 50000000000 ]'
check "a sparse one (under 64 MiB allocated)" '[ "$(stat -c %b "$img")" -lt 131072 ]'
check "the guest finds it by its serial, 50 GB" wait_console "$id" "STORE disk /dev/vd[a-z]*: 97656250 sectors" 300
check "first boot: the disk is fresh" wait_console "$id" "STORE boot 1: fresh" 60
check "first boot wrote its marker" wait_console "$id" "STORE boot 1: wrote boot1" 60

check "reboot-instances" "$bin" reboot-instances --instance-ids "$id"
check "after the reboot the marker is there" wait_console "$id" "STORE boot 2: marker boot1" 300
check "second boot wrote its marker" wait_console "$id" "STORE boot 2: wrote boot2" 60

check "stop-instances" "$bin" stop-instances --instance-ids "$id"
check "stopped" "$bin" wait instance-stopped --instance-ids "$id"
check "start-instances" "$bin" start-instances --instance-ids "$id"
check "after the stop and start the disk is fresh" wait_console "$id" "STORE boot 3: fresh" 300
check "and as big" '[ "$(stat -c %s "$img")" = 50000000000 ]'

check "terminate" "$bin" terminate-instances --instance-ids "$id"
check "terminated" "$bin" wait instance-terminated --instance-ids "$id"
check "the disk is gone with the instance's folder" '[ ! -e "$img" ] && [ ! -d "$state/instances/$id" ]'

finish

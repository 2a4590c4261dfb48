#!/bin/sh
# Benchmark of the golden-image issue, on a debian-12 instance serving the Employee Directory:
#  - create-image --no-reboot (running) and create-image with EC2's reboot, from the command until
#    the image is available, beside `qemu-img convert` of the same disk chain to one qcow2 in the
#    same run (the floor: the copy alone, no clean-up, no registration);
#  - the guest's downtime for each: the longest gap between two answers of the app, polled every
#    0.2 s, and for --no-reboot the time its filesystems were frozen (the image's tag).
# Usage: scripts/bench-image.sh   (after `make setup`; root, libvirtd)
set -eu
cd "$(dirname "$0")/.."
bin=$PWD/build/ec2-lite
. scripts/bench-state.sh
export EC2_LITE_WAITER_DELAY=1 EC2_LITE_WAITER_MAX_ATTEMPTS=1800

ami=$("$bin" build-ami debian-12 2> /dev/null | jq -r .ImageId)
sg=$("$bin" create-security-group --group-name bench-web --description bench | jq -r .GroupId)
"$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0 > /dev/null
id=$("$bin" run-instances --image-id "$ami" --instance-type t2.micro --security-group-ids "$sg" \
	--user-data file://userdata/employee-directory.sh | jq -r '.Instances[0].InstanceId')
ip() { "$bin" describe-instances --instance-ids "$id" | jq -r '.Reservations[0].Instances[0].PublicIpAddress'; }
until curl -s -o /dev/null -m 2 "http://$(ip)/"; do sleep 1; done
overlay="$state/pool/$id-root.qcow2"
echo "instance $id serves; its disk chain: $(qemu-img info -U --backing-chain "$overlay" | grep -c '^image:') files, $(du -m "$state/pool" | tail -n 1 | cut -f1) MiB in the pool"

# poll URL: one line per 0.2 s, "TIME CODE", until killed.
poll() { while :; do printf '%s %s\n' "$(date +%s.%N)" "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$1")"; sleep 0.2; done; }
# longest_gap FILE: the longest time between two 200 answers (the downtime seen by clients).
longest_gap() { awk '$2 == 200 { if (last) { g = $1 - last; if (g > max) max = g } last = $1 } END { printf "%.1f", max }' "$1"; }

t=$(now)
qemu-img convert -U -W -O qcow2 "$overlay" "$work/floor.qcow2"
floor=$(since "$t")
rm -f "$work/floor.qcow2"

poll "http://$(ip)/" > "$work/live.log" &
p=$!
t=$(now)
live=$("$bin" create-image --instance-id "$id" --name bench-live --no-reboot | jq -r .ImageId)
"$bin" wait image-available --image-ids "$live" > /dev/null
live_t=$(since "$t")
kill $p
frozen=$("$bin" describe-images --image-ids "$live" | jq -r '.Images[0].Tags[] | select(.Key == "ec2-lite:consistency") | .Value')

poll "http://$(ip)/" > "$work/reboot.log" &
p=$!
t=$(now)
rebooted=$("$bin" create-image --instance-id "$id" --name bench-reboot | jq -r .ImageId)
"$bin" wait image-available --image-ids "$rebooted" > /dev/null
reboot_t=$(since "$t")
# The reboot's downtime lasts until the app answers again on the instance.
until curl -s -o /dev/null -m 2 "http://$(ip)/"; do sleep 0.2; done
kill $p
printf '%s 200\n' "$(date +%s.%N)" >> "$work/reboot.log"

echo "create-image of debian-12 (t2.micro, TCG), one run each:"
echo "  qemu-img convert of the disk chain (floor):  $floor s"
echo "  create-image --no-reboot to available:       $live_t s  ($(echo "scale=2; $live_t / $floor" | bc)x the floor)"
echo "  create-image (reboot) to available:          $reboot_t s  ($(echo "scale=2; $reboot_t / $floor" | bc)x the floor)"
echo "guest downtime (longest gap between answers of the app, polled every 0.2 s):"
echo "  --no-reboot: $(longest_gap "$work/live.log") s   ($frozen)"
echo "  reboot:      $(longest_gap "$work/reboot.log") s"
echo "image sizes: $(du -m "$state/pool/$live.qcow2" | cut -f1) MiB (--no-reboot), $(du -m "$state/pool/$rebooted.qcow2" | cut -f1) MiB (reboot), disk chain $(du -mc "$overlay" "$state/pool/$ami".* | tail -n 1 | cut -f1) MiB"

#!/bin/sh
# Golden images with real tiny guests (qemu:///system): create-image of a stopped instance, of a
# running one with EC2's reboot and with --no-reboot; each source ends in the state it had, each
# image is pending then available, flattened (no backing file), registered as EC2 registers
# one, and boots as a new machine (its own user-data runs) with the files of the source;
# deregistering an image leaves its instances alone. Faults: a duplicate name, an instance in a
# wrong state, the source going away in the middle of a live copy, and a disk that fills up:
# each a clear error or a failed image with its reason, no partial file or catalog entry left
# behind, the source unharmed.
# Usage: golden.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: golden.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd
image() { "$bin" describe-images --image-ids "$1" | jq -r ".Images[0].$2 // empty"; }
boots() { console "$1" | grep -ac 'ec2-lite tiny: init started'; }
mine() { "$bin" describe-images --owners self | jq '.Images | length'; }
# partial_files: what is left of images in the making (there should be none).
partial_files() { ls "$state/pool" | grep -c 'partial' ; }

tiny=$("$bin" build-ami tiny | jq -r .ImageId)
check "tiny is there" '[ -n "$tiny" ] && [ "$tiny" != null ]'
token=golden-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
cat > "$work/source.sh" <<UD
#!/bin/sh
echo "$token" > /root/marker
echo "source user-data ran on \$(hostname)"
UD
cat > "$work/copy.sh" <<'UD'
#!/bin/sh
echo "copy user-data ran on $(hostname) as $(cat /var/lib/ec2-lite/instance-id), marker: $(cat /root/marker)"
UD
src=$("$bin" run-instances --image-id "$tiny" --instance-type t2.nano --user-data "file://$work/source.sh" | jq -r '.Instances[0].InstanceId')
check "the source configures itself" wait_console "$src" "source user-data ran on" 120
wait_console "$src" "ec2-lite tiny: ready" 60 > /dev/null

# --- running, --no-reboot: the guest keeps running ---
before=$(boots "$src")
t=$(now)
live=$("$bin" create-image --instance-id "$src" --name "live-$token" --no-reboot \
	--tag-specifications 'ResourceType=image,Tags=[{Key=team,Value=web}]' | jq -r .ImageId)
check "create-image --no-reboot answers with an image ($live)" '[ -n "$live" ] && [ "$live" != null ]'
check "wait image-exists" "$bin" wait image-exists --image-ids "$live"
check "wait image-available" "$bin" wait image-available --image-ids "$live"
echo "  create-image --no-reboot of tiny: $(since "$t") s"
check "the source kept running, no reboot" [ "$(state_of "$src")/$(boots "$src")" = "running/$before" ]
check "registered as EC2 does (machine, yours, its source, its tags)" [ "$("$bin" describe-images --owners self --image-ids "$live" | jq -r '.Images[0] | [.ImageType, .SourceInstanceId, (.Tags[] | select(.Key == "team") | .Value)] | join(" ")')" = "machine $src web" ]
check "flattened: no backing file" sh -c "! qemu-img info -U '$state/pool/$live.qcow2' | grep -q 'backing file'"

# --- running, EC2's reboot: shut down for the copy, running again after ---
before=$(boots "$src")
rebooted=$("$bin" create-image --instance-id "$src" --name "reboot-$token" | jq -r .ImageId)
check "create-image with reboot" "$bin" wait image-available --image-ids "$rebooted"
check "the source is running again" wait_console "$src" "user-data already ran" 120
check "after one more boot" [ "$(boots "$src")" -eq $((before + 1)) ]
check "and is described as running" [ "$(state_of "$src")" = running ]

# --- stopped: stays stopped ---
"$bin" stop-instances --instance-ids "$src" > /dev/null
"$bin" wait instance-stopped --instance-ids "$src" > /dev/null
# This one compressed (image-compress).
stopped=$(EC2_LITE_IMAGE_COMPRESS=1 "$bin" create-image --instance-id "$src" --name "stopped-$token" --description "from a stopped tiny" | jq -r .ImageId)
check_fails "start is refused while its image is made" IncorrectInstanceState "$bin" start-instances --instance-ids "$src"
check "create-image of the stopped instance" "$bin" wait image-available --image-ids "$stopped"
check "the source is still stopped" [ "$(state_of "$src")" = stopped ]
compressed() { qemu-img check -U --output=json "$state/pool/$1.qcow2" | jq '."compressed-clusters" // 0'; }
check "with image-compress its clusters are compressed ($(compressed "$stopped"))" '[ "$(compressed "$stopped")" -gt 0 ]'
check "without, none are ($(compressed "$rebooted"))" '[ "$(compressed "$rebooted")" -eq 0 ]'
check "and starts again afterwards" sh -c "'$bin' start-instances --instance-ids $src > /dev/null && '$bin' wait instance-running --instance-ids $src"

# --- each image boots as a new machine with the source's files ---
for ami in "$live" "$rebooted" "$stopped"; do
	c=$("$bin" run-instances --image-id "$ami" --instance-type t2.nano --user-data "file://$work/copy.sh" | jq -r '.Instances[0].InstanceId')
	check "an instance of $ami runs its own user-data, with the source's file" wait_console "$c" "copy user-data ran on .* as $c, marker: $token" 120
	"$bin" terminate-instances --instance-ids "$c" > /dev/null
done

# A deregistered image keeps its instances.
c=$("$bin" run-instances --image-id "$stopped" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
check "deregister an image in use" "$bin" deregister-image --image-id "$stopped"
check "its instance still runs" wait_console "$c" "ec2-lite tiny: ready" 120
check "and restarts" sh -c "'$bin' stop-instances --instance-ids $c > /dev/null && '$bin' wait instance-stopped --instance-ids $c && '$bin' start-instances --instance-ids $c > /dev/null && '$bin' wait instance-running --instance-ids $c"
"$bin" terminate-instances --instance-ids "$c" > /dev/null
check "the image's files go with its last instance" [ ! -e "$state/pool/$stopped.qcow2" ]

# --- faults ---
n=$(mine)
check_fails "a name in use" InvalidAMIName.Duplicate "$bin" create-image --instance-id "$src" --name "live-$token"
check_fails "a terminated instance" IncorrectInstanceState sh -c "'$bin' terminate-instances --instance-ids $c > /dev/null; '$bin' create-image --instance-id $c --name 'gone-$token'"
check "no catalog entry from either" [ "$(mine)" -eq "$n" ]

# The source goes away in the middle of a live copy (slowed to 1 MiB/s over 40 MB of new data).
cat > "$work/blob.sh" <<'UD'
#!/bin/sh
dd if=/dev/urandom of=/root/blob bs=1M count=40 2> /dev/null
sync
echo "blob written"
UD
victim=$("$bin" run-instances --image-id "$tiny" --instance-type t2.nano --user-data "file://$work/blob.sh" | jq -r '.Instances[0].InstanceId')
wait_console "$victim" "blob written" 120 > /dev/null

# A create-image worker that dies (a crash, a reboot of the host): its AMI is failed when next
# described, and its instance given back. The worker and what it started (libguestfs's appliance)
# carry a marker in their environment, by which they are found (and only they are killed). The
# victim is stopped for this one (a worker killed in a live copy is tests/vm/crash.sh's case).
"$bin" stop-instances --instance-ids "$victim" > /dev/null
"$bin" wait instance-stopped --instance-ids "$victim" > /dev/null
marker=golden-worker-$token
workers() { grep -lzx "EC2LITE_TEST_MARKER=$marker" /proc/[0-9]*/environ 2> /dev/null | cut -d/ -f3 | tr '\n' ' '; }
dead=$(EC2LITE_TEST_MARKER=$marker "$bin" create-image --instance-id "$victim" --name "dead-$token" | jq -r .ImageId)
check "the image is made by its worker ($(workers))" '[ -n "$(workers)" ] && [ "$(image "$dead" State)" = pending ]'
kill -9 $(workers) 2> /dev/null
check "the worker is killed" 'i=0; while [ -n "$(workers)" ]; do [ $i -lt 20 ] || exit 1; sleep 0.5; i=$((i + 1)); done'
EC2_LITE_WAITER_MAX_ATTEMPTS=120 "$bin" wait image-available --image-ids "$dead" > "$work/waiter.out" 2>&1
check "the AMI of a dead worker fails ($(image "$dead" StateReason.Message))" '[ "$(image "$dead" State)" = failed ]'
check "no file of it is left" sh -c "! ls '$state/pool' | grep -q '$dead'"
check "deregister it" "$bin" deregister-image --image-id "$dead"
check "its instance is given back: it starts" sh -c "'$bin' start-instances --instance-ids $victim > /dev/null && '$bin' wait instance-running --instance-ids $victim"
wait_console "$victim" "user-data already ran" 120 > /dev/null
doomed=$(EC2_LITE_IMAGE_COPY_BANDWIDTH=1 "$bin" create-image --instance-id "$victim" --name "doomed-$token" --no-reboot | jq -r .ImageId)
# The copy is under way once its partial copy is in the pool (a signal, not a sleep).
copying() { [ "$(image "$1" State)" = pending ] && [ -s "$state/pool/$1.partial.qcow2" ]; }
i=0
until copying "$doomed" || [ $i -ge 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the copy is under way (pending, its partial copy in the pool)" copying "$doomed"
check_fails "a second image of it meanwhile is refused" IncorrectInstanceState "$bin" create-image --instance-id "$victim" --name "again-$token"
"$bin" terminate-instances --instance-ids "$victim" > /dev/null
EC2_LITE_WAITER_MAX_ATTEMPTS=120 "$bin" wait image-available --image-ids "$doomed" > "$work/waiter.out" 2>&1
check "wait image-available fails as the aws CLI's does" grep -q "Waiter ImageAvailable failed: Waiter encountered a terminal failure state" "$work/waiter.out"
check "the image failed, saying why ($(image "$doomed" StateReason.Message))" sh -c "[ '$(image "$doomed" State)' = failed ] && '$bin' describe-images --image-ids $doomed | jq -r '.Images[0].StateReason.Message' | grep -q 'went away'"
check "no partial file is left" [ "$(partial_files)" -eq 0 ]
check "nor any file of it" sh -c "! ls '$state/pool' | grep -q '$doomed'"
check "deregister the failed image" "$bin" deregister-image --image-id "$doomed"

# The disk fills up: a state folder of its own on a 220 MiB tmpfs, a stopped instance whose disk
# holds 100 MB of new data; its image cannot fit.
fill="$work/fill"
mkdir -p "$fill"
mount -t tmpfs -o size=220m,mode=755 ec2lite-fill "$fill"
fill_cleanup() {
	ids=$(EC2_LITE_STATE_DIR="$fill" "$bin" describe-instances 2> /dev/null | jq -r '.Reservations[].Instances[] | select(.State.Name != "terminated") | .InstanceId')
	[ -n "$ids" ] && EC2_LITE_STATE_DIR="$fill" "$bin" terminate-instances --instance-ids $ids > /dev/null 2>&1 &&
		EC2_LITE_STATE_DIR="$fill" "$bin" wait instance-terminated --instance-ids $ids > /dev/null 2>&1
	for p in $(virsh -q pool-list --all --name | sed 's/ *$//' | grep -x 'ec2-lite-[0-9a-f]*'); do
		virsh pool-dumpxml "$p" 2> /dev/null | grep -q "<path>$fill/pool</path>" &&
			{ virsh -q pool-destroy "$p"; virsh -q pool-undefine "$p"; } > /dev/null 2>&1
	done
	# The terminated instance's detached helpers (its port forwarder, the settling of the stop)
	# may hold a file there for a moment: a mount left behind outlives the run (the next run's
	# folder has the same name) and stacks under the next one.
	i=0
	while mountpoint -q "$fill" && ! umount "$fill" 2> /dev/null && [ $i -lt 30 ]; do
		sleep 1
		i=$((i + 1))
	done
	if mountpoint -q "$fill"; then
		echo "  the small disk was still busy after 30 s: detached ($(fuser -m "$fill" 2>&1 | tr -s ' '))" >&2
		umount -l "$fill"
	fi
}
trap 'fill_cleanup; shared_state_cleanup' EXIT
k="$state/kernels/$tiny"
small=$(EC2_LITE_STATE_DIR="$fill" "$bin" register-image --name tiny-small --disk "$state/pool/$tiny.raw" \
	--kernel "$k/vmlinuz" --ramdisk "$k/initrd.img" --kernel-args "console=ttyS0 root=/dev/vda rw panic=-1" --output text)
sed 's/count=40/count=100/' "$work/blob.sh" > "$work/blob100.sh"
full=$(EC2_LITE_STATE_DIR="$fill" "$bin" run-instances --image-id "$small" --instance-type t2.nano --user-data "file://$work/blob100.sh" | jq -r '.Instances[0].InstanceId')
check "an instance on the small disk writes its data" 'state=$fill; wait_console "$full" "blob written" 300'
EC2_LITE_STATE_DIR="$fill" "$bin" stop-instances --instance-ids "$full" > /dev/null
EC2_LITE_STATE_DIR="$fill" "$bin" wait instance-stopped --instance-ids "$full" > /dev/null
echo "  the small disk: $(df -m --output=used,avail "$fill" | tail -n 1 | awk '{print $1 " MiB used, " $2 " MiB free"}')"
nofit=$(EC2_LITE_STATE_DIR="$fill" "$bin" create-image --instance-id "$full" --name no-room | jq -r .ImageId)
EC2_LITE_STATE_DIR="$fill" "$bin" wait image-available --image-ids "$nofit" > /dev/null 2>&1
reason=$(EC2_LITE_STATE_DIR="$fill" "$bin" describe-images --image-ids "$nofit" | jq -r '.Images[0] | .State + " " + .StateReason.Code + ": " + .StateReason.Message')
check "the image failed for want of space ($reason)" sh -c "echo '$reason' | grep -q '^failed Server.InsufficientStorage: No space left'"
check "no partial file is left on the full disk" sh -c "! ls '$fill/pool' | grep -q '$nofit'"
check "the source is still stopped" [ "$(EC2_LITE_STATE_DIR="$fill" "$bin" describe-instances --instance-ids "$full" | jq -r '.Reservations[0].Instances[0].State.Name')" = stopped ]
check "and starts" sh -c "EC2_LITE_STATE_DIR='$fill' '$bin' start-instances --instance-ids $full > /dev/null && EC2_LITE_STATE_DIR='$fill' '$bin' wait instance-running --instance-ids $full"
fill_cleanup

# build-ami --force: the rebuilt tiny takes over the name; an instance of the old one keeps working.
new_tiny=$("$bin" build-ami tiny --force | jq -r .ImageId)
check "build-ami --force makes a new tiny ($new_tiny)" '[ -n "$new_tiny" ] && [ "$new_tiny" != null ] && [ "$new_tiny" != "$tiny" ]'
check "which build-ami gives from now on" '[ "$("$bin" build-ami tiny | jq -r .ImageId)" = "$new_tiny" ]'
ready() { console "$1" | grep -ac 'ec2-lite tiny: ready'; }
before=$(ready "$src")
check "an instance of the old tiny stops" sh -c "'$bin' stop-instances --instance-ids $src > /dev/null && '$bin' wait instance-stopped --instance-ids $src"
check "and starts" sh -c "'$bin' start-instances --instance-ids $src > /dev/null && '$bin' wait instance-running --instance-ids $src"
check "and boots again from the old tiny's disk and kernel" \
	'i=0; until [ "$(ready "$src")" -gt "$before" ]; do [ $i -lt 120 ] || exit 1; sleep 1; i=$((i + 1)); done'
c=$("$bin" run-instances --image-id "$new_tiny" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
check "the new tiny boots" wait_console "$c" "ec2-lite tiny: ready" 120
"$bin" terminate-instances --instance-ids "$c" "$src" > /dev/null

finish

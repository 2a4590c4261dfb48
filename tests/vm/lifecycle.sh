#!/bin/sh
# The EC2 lifecycle with real guests under the real daemon (qemu:///system), through the CLI:
#   run -> running -> reboot -> stop -> start -> stop --hibernate -> start (RAM intact) ->
#   terminate, with nothing left behind; a guest that ignores ACPI is forced off after the stop
#   timeout and hard-reset after the reboot timeout; a guest that powers itself off becomes
#   stopped or terminated per its shutdown behaviour.
# The guest (scripts/make-busybox-image.sh) prints "booted boot=N token=T" on each boot, N counted
# on its disk and T kept in tmpfs, then "alive ..." every second. At most two guests run at once.
# Usage: lifecycle.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: lifecycle.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
require_libvirtd
token_of_boot() { console "$1" | sed -n "s/.*booted boot=$2 token=//p" | tail -n 1 | tr -d '\r'; }

img="$state/image"
sh "$here/../../scripts/make-busybox-image.sh" "$img"
reg() {
	"$bin" register-image --name "$1" --disk "$img/disk.raw" --kernel "$img/vmlinuz" \
		--ramdisk "$img/initrd.img" --kernel-args "console=ttyS0 panic=-1 $2" --output text
}
ami=$(reg lifecycle-test "")
ami_deaf=$(reg ignores-acpi "ec2lite.ignore_acpi")
ami_off=$(reg powers-off "ec2lite.poweroff_after=4")
check "three AMIs registered" '[ -n "$ami" ] && [ -n "$ami_deaf" ] && [ -n "$ami_off" ]'

# --- the whole lifecycle of one instance ---
t0=$(date +%s.%N)
run=$("$bin" run-instances --image-id "$ami" --instance-type t2.nano \
	--hibernation-options Configured=true \
	--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=lifecycle}]')
id=$(printf '%s' "$run" | jq -r '.Instances[0].InstanceId')
check "run-instances answers pending" [ "$(printf '%s' "$run" | jq -r '.Instances[0].State.Name')" = pending ]
check "wait instance-exists" "$bin" wait instance-exists --instance-ids "$id"
check "wait instance-running" "$bin" wait instance-running --instance-ids "$id"
check "guest boots (boot 1)" wait_console "$id" "booted boot=1 " 120
echo "  run-instances to first boot marker: $(echo "$(date +%s.%N) - $t0" | bc) s"
check "domain is defined with the instance id" virsh -q dominfo "$id"
check "wait system-status-ok" "$bin" wait system-status-ok --instance-ids "$id"
check "tag and accelerator shown" [ "$("$bin" describe-instances --filters Name=tag:Name,Values=lifecycle | jq -r '.Reservations[0].Instances[0].Tags | map(.Key) | join(",")')" = "Name,ec2-lite:accelerator,ec2-lite:kernel-entry" ]

check "reboot-instances" "$bin" reboot-instances --instance-ids "$id"
check "guest rebooted, disk kept (boot 2)" wait_console "$id" "booted boot=2 " 120
check "same instance, running" [ "$(state_of "$id")" = running ]

stop=$("$bin" stop-instances --instance-ids "$id")
check "stop answers stopping from running" [ "$(printf '%s' "$stop" | jq -r '.StoppingInstances[0] | .CurrentState.Name + "/" + .PreviousState.Name')" = stopping/running ]
check "wait instance-stopped" "$bin" wait instance-stopped --instance-ids "$id"
check "stopped with EC2's reason" [ "$("$bin" describe-instances --instance-ids "$id" | jq -r '.Reservations[0].Instances[0].StateReason.Code')" = Client.UserInitiatedShutdown ]
check "guest shut down through ACPI" wait_console "$id" "power button: shutting down" 5

start=$("$bin" start-instances --instance-ids "$id")
check "start answers pending from stopped" [ "$(printf '%s' "$start" | jq -r '.StartingInstances[0] | .CurrentState.Name + "/" + .PreviousState.Name')" = pending/stopped ]
check "wait instance-running after start" "$bin" wait instance-running --instance-ids "$id"
check "guest boots again (boot 3)" wait_console "$id" "booted boot=3 " 120
token=$(token_of_boot "$id" 3)

check "stop --hibernate" "$bin" stop-instances --hibernate --instance-ids "$id"
check "hibernated instance is stopped" [ "$(state_of "$id")" = stopped ]
check "RAM saved (managed save)" sh -c "virsh -q dominfo $id | grep -q 'Managed save: *yes'"
# Where libvirt's QEMU driver keeps it (qemu:///system): seen here, so that "no managed-save
# image left" below looks where it would be.
save=/var/lib/libvirt/qemu/save/$id.save
check "libvirt keeps the RAM in $save" '[ -s "$save" ]'
lines=$(console "$id" | wc -l)
check "start after hibernation" "$bin" start-instances --instance-ids "$id"
check "resumed guest still prints its tmpfs token" wait_console "$id" "alive boot=3 token=$token" 60
check "resumed, not rebooted (no boot 4)" sh -c "! cat '$state/instances/$id/console.log' | grep -q 'booted boot=4'"
check "console log kept across boots" [ "$(console "$id" | grep -c 'booted boot=')" -eq 3 ]

term=$("$bin" terminate-instances --instance-ids "$id")
check "terminate answers shutting-down" [ "$(printf '%s' "$term" | jq -r '.TerminatingInstances[0].CurrentState.Name')" = shutting-down ]
check "wait instance-terminated" "$bin" wait instance-terminated --instance-ids "$id"
check "no domain left" sh -c "! virsh -q dominfo $id > /dev/null 2>&1"
check "no overlay left" sh -c "! ls '$state/pool' | grep -q '^$id'"
check "no instance folder left" [ ! -e "$state/instances/$id" ]
check "no managed-save image left" '[ ! -e "$save" ]'
check "terminated stays visible" [ "$(state_of "$id")" = terminated ]
check "terminated cannot start" sh -c "'$bin' start-instances --instance-ids $id 2>&1 | grep -q IncorrectInstanceState"

# --- guests that ignore ACPI: forced off, hard reset ---
export EC2_LITE_STOP_TIMEOUT=6 EC2_LITE_REBOOT_TIMEOUT=6
deaf=$("$bin" run-instances --image-id "$ami_deaf" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
check "deaf guest boots" wait_console "$deaf" "booted boot=1 " 120
check "reboot a deaf guest" "$bin" reboot-instances --instance-ids "$deaf"
check "hard reset after the reboot timeout (boot 2)" wait_console "$deaf" "booted boot=2 " 120
alive=$(console "$deaf" | grep -ac 'alive boot=')
t=$(now)
check "stop a deaf guest answers stopping" '[ "$("$bin" stop-instances --instance-ids "$deaf" | jq -r ".StoppingInstances[0].CurrentState.Name")" = stopping ]'
check "the guest goes on living after the request (two more 'alive')" \
	'i=0; until [ "$(console "$deaf" | grep -ac "alive boot=")" -ge $((alive + 2)) ]; do
		[ $i -lt 60 ] || exit 1; sleep 1; i=$((i + 1)); done'
check "reconcile --wait finishes the stop" "$bin" reconcile --wait --instance-ids "$deaf"
check "forced off: stopped when reconcile returns" '[ "$(state_of "$deaf")" = stopped ]'
check "only after the stop timeout (6 s; took $(since "$t") s)" '[ "$(echo "$(since "$t") >= 6" | bc)" = 1 ]'
check "the deaf guest never shut itself down" sh -c "! cat '$state/instances/$deaf/console.log' | grep -q 'shutting down'"
check "stop --force of a stopped instance is a no-op" "$bin" stop-instances --force --instance-ids "$deaf"
"$bin" terminate-instances --instance-ids "$deaf" > /dev/null

# --- guests that power themselves off ---
keep=$("$bin" run-instances --image-id "$ami_off" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
gone=$("$bin" run-instances --image-id "$ami_off" --instance-type t2.nano \
	--instance-initiated-shutdown-behavior terminate | jq -r '.Instances[0].InstanceId')
check "guest-initiated shutdown: stop behaviour -> stopped" "$bin" wait instance-stopped --instance-ids "$keep"
check "with EC2's reason" [ "$("$bin" describe-instances --instance-ids "$keep" | jq -r '.Reservations[0].Instances[0].StateReason.Code')" = Client.InstanceInitiatedShutdown ]
check "guest-initiated shutdown: terminate behaviour -> terminated" "$bin" wait instance-terminated --instance-ids "$gone"
check "its domain is gone" sh -c "! virsh -q dominfo $gone > /dev/null 2>&1"
"$bin" terminate-instances --instance-ids "$keep" > /dev/null

check "no instance domains of this run left" sh -c "! virsh -q list --all --name | grep -qE '^($id|$deaf|$keep|$gone)\$'"
check "only the AMI bases left in the pool" [ "$(ls "$state/pool" | grep -vc '^ami-')" -eq 0 ]

finish

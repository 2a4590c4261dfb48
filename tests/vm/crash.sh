#!/bin/sh
# Crash tests with real guests: run-instances, terminate-instances and stop-instances killed with
# SIGKILL at several points, and a guest's QEMU killed on the host. After each, the next commands
# must converge: every instance is described as what it is (a running one has its public IP), and
# once terminated nothing is left: no domain, volume, instance folder, launch journal or port.
# The guest is the busybox one of the lifecycle test (boots in seconds). At most two guests run
# at once. The kill points are where the commands are cut, not proofs: what is checked afterwards
# is the state the next commands find.
# Usage: crash.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: crash.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
require_libvirtd

img="$state/image"
sh "$here/../../scripts/make-busybox-image.sh" "$img"
ami=$("$bin" register-image --name crash-test --disk "$img/disk.raw" --kernel "$img/vmlinuz" \
	--ramdisk "$img/initrd.img" --kernel-args "console=ttyS0 panic=-1" --output text)
check "AMI registered" [ -n "$ami" ]
pool=$(virsh -q pool-list --all --name | sed 's/ *$//' | while read -r p; do
	virsh pool-dumpxml "$p" 2> /dev/null | grep -q "<path>$state/pool</path>" && echo "$p"; done)

live_ids() { "$bin" describe-instances | jq -r '.Reservations[].Instances[] | select(.State.Name != "terminated") | .InstanceId' | sort; }
domains() { virsh -q list --all --name | sed 's/ *$//' | grep '^i-' | while read -r d; do
	virsh -q dumpxml "$d" 2> /dev/null | grep -q "$state/pool/" && echo "$d"; done | sort; }
volumes() { virsh -q vol-list "$pool" 2> /dev/null | awk '{print $1}' | sed -n 's/-root\.qcow2$//p' | sort; }
folders() { ls "$state/instances" 2> /dev/null | sort; }
journals() { ls "$state/launches" 2> /dev/null | grep -c '\.json$'; }

# converged WHAT: after a reconcile pass, what libvirt, the pool and the folders hold is exactly
# the live instances described, each running one has a public IP, and no launch journal is left.
converged() {
	"$bin" reconcile --wait > /dev/null 2>&1
	live=$(live_ids)
	if [ "$(domains)" != "$live" ] || [ "$(volumes)" != "$live" ] || [ "$(folders)" != "$live" ]; then
		echo "  $1: described [$live] domains [$(domains)] volumes [$(volumes)] folders [$(folders)]" >&2
		return 1
	fi
	if [ "$(journals)" != 0 ]; then echo "  $1: launch journals left" >&2; return 1; fi
	noip=$("$bin" describe-instances --filters Name=instance-state-name,Values=running |
		jq -r '.Reservations[].Instances[] | select(.PublicIpAddress == null) | .InstanceId')
	if [ -n "$noip" ]; then echo "  $1: running without a public IP: $noip" >&2; return 1; fi
	return 0
}
# all_gone: terminate what is live, then nothing of any instance is left.
all_gone() {
	ids=$(live_ids)
	[ -z "$ids" ] || "$bin" terminate-instances --instance-ids $ids > /dev/null || return 1
	converged "after terminate" && [ -z "$(live_ids)" ]
}
# kill_after SECONDS COMMAND...: starts COMMAND and kills it with SIGKILL after SECONDS (if it is
# still running then).
kill_after() {
	delay=$1
	shift
	"$@" > /dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	return 0
}

# --- a root volume that no instance owns (libvirtd went on making it after its launcher was
# killed, and finished after the launch's journal was undone): reconcile removes it ---
orphan=i-0123456789abcdef0
virsh -q vol-create-as "$pool" "$orphan-root.qcow2" 1M --format qcow2 > /dev/null
mkdir -p "$state/instances/$orphan"
check "an orphan root volume is there" [ "$(volumes)" = "$orphan" ]
check "an orphan root volume: reconcile removes it and its folder" converged "orphan volume"

# --- run-instances killed at several points of a launch of two ---
for delay in 0.05 0.15 0.3 0.5 0.8 1.2; do
	kill_after "$delay" "$bin" run-instances --image-id "$ami" --instance-type t2.nano --count 2
	check "run-instances killed after ${delay} s: converges" converged "run killed at $delay"
	check "run-instances killed after ${delay} s: terminate leaves nothing" all_gone
done

# --- terminate-instances killed: the instance ends terminated or stays as it was ---
for delay in 0.05 0.1 0.2 0.3 0.5; do
	id=$("$bin" run-instances --image-id "$ami" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
	"$bin" wait instance-running --instance-ids "$id" > /dev/null
	kill_after "$delay" "$bin" terminate-instances --instance-ids "$id"
	st=$(state_of "$id")
	check "terminate killed after ${delay} s: terminated or still running ($st)" \
		sh -c "[ '$st' = terminated ] || [ '$st' = running ]"
	check "terminate killed after ${delay} s: converges" converged "terminate killed at $delay"
	check "terminate killed after ${delay} s: terminate again leaves nothing" all_gone
done

# --- stop-instances killed: the next commands stop it for good ---
id=$("$bin" run-instances --image-id "$ami" --instance-type t2.nano | jq -r '.Instances[0].InstanceId')
"$bin" wait instance-running --instance-ids "$id" > /dev/null
check "tiny booted" wait_console "$id" "booted boot=1 " 120
for delay in 0.02 0.1 0.3; do
	kill_after "$delay" "$bin" stop-instances --instance-ids "$id"
	"$bin" stop-instances --instance-ids "$id" > /dev/null
	check "stop killed after ${delay} s: a second stop stops it" "$bin" wait instance-stopped --instance-ids "$id"
	check "stop killed after ${delay} s: converges" converged "stop killed at $delay"
	"$bin" start-instances --instance-ids "$id" > /dev/null
	"$bin" wait instance-running --instance-ids "$id" > /dev/null
done

# --- the create-image worker killed mid-copy: the image fails at once with nothing left, the
# instance is given back running, and the worker's children go with it ---
image_state() { "$bin" describe-images --image-ids "$1" | jq -r '.Images[0].State'; }
# wait_image_state AMI STATE SECONDS: the kernel lets go of a dead worker's lock at once; its
# children (qemu-img, libguestfs) die with it and let go within a moment.
wait_image_state() {
	i=0
	while [ $i -lt "$3" ]; do
		[ "$(image_state "$1")" = "$2" ] && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "  $1 is $(image_state "$1"), not $2, after $3 s" >&2
	return 1
}
img_id=$("$bin" create-image --instance-id "$id" --name crash-image --no-reboot | jq -r .ImageId)
check "create-image answers pending" [ "$(image_state "$img_id")" = pending ]
worker=$(pgrep -f "create-image --instance-id $id" | head -n 1)
check "its worker runs" [ -n "$worker" ]
sleep 1 # the kill point: the copy has begun
kill -9 $worker
check "worker killed: the image is failed" wait_image_state "$img_id" failed 10
check "worker killed: the instance is given back, running" "$bin" wait instance-running --instance-ids "$id"
check "worker killed: no partial copy left" sh -c "! ls '$state/pool' | grep -q '^$img_id'"
# no_process_names TEXT SECONDS: until no process names TEXT on its command line (a function, not
# sh -c, whose own command line would name it). libguestfs's appliance goes when its recovery
# process sees the worker gone (it looks every couple of seconds).
no_process_names() {
	i=0
	while pgrep -f "$1" > /dev/null; do
		if [ $i -ge "$2" ]; then
			echo "  still there after $2 s:" >&2
			pgrep -af "$1" | sed 's/^/  | /' >&2
			return 1
		fi
		sleep 1
		i=$((i + 1))
	done
}
check "worker killed: its children are gone" no_process_names "$img_id" 15
check "worker killed: no block job left on the instance" sh -c "! virsh -q blockjob '$id' vda 2>&1 | grep -qi 'copy\|mirror'"
check "worker killed: converges" converged "image worker killed"

# --- the guest's QEMU killed on the host: a server-side failure, not the guest's shutdown ---
check "running again" [ "$(state_of "$id")" = running ]
qpid=$(cat "/run/libvirt/qemu/$id.pid" 2> /dev/null)
check "QEMU's pid known" [ -n "$qpid" ]
kill -9 "$qpid"
check "QEMU killed: stopped" "$bin" wait instance-stopped --instance-ids "$id"
check "QEMU killed: Server.InternalError" [ "$(desc "$id" StateReason.Code)" = Server.InternalError ]
check "QEMU killed: converges" converged "qemu killed"
check "QEMU killed: starts again" "$bin" start-instances --instance-ids "$id"
check "QEMU killed: running again" "$bin" wait instance-running --instance-ids "$id"
check "nothing left at the end" all_gone
finish

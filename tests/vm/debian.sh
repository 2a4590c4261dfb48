#!/bin/sh
# The debian-12 AMI with a real guest (qemu:///system): built with debootstrap and libguestfs,
# booted through run-instances from its BIOS disk; cloud-init (NoCloud) runs the user-data (MIME
# multipart: a #cloud-config part and a #! part),
# grows the root filesystem into a larger root volume, and the guest reaches multi-user (asked
# through qemu-guest-agent); the base's checksum does not change.
# Usage: debian.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: debian.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd

# guest_exec ID PROGRAM ARG...: runs a program in the guest through qemu-guest-agent and prints
# its output.
guest_exec() {
	gid=$1 prog=$2
	shift 2
	args="[]"
	[ $# -gt 0 ] && args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	pid=$(virsh -q qemu-agent-command "$gid" "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"$prog\",\"arg\":$args,\"capture-output\":true}}" | jq .return.pid) || return 1
	i=0
	while [ $i -lt 30 ]; do
		st=$(virsh -q qemu-agent-command "$gid" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
		if [ "$(printf '%s' "$st" | jq .return.exited)" = true ]; then
			printf '%s' "$st" | jq -r '.return."out-data" // ""' | base64 -d
			return 0
		fi
		sleep 1
		i=$((i + 1))
	done
	return 1
}
# wait_agent ID SECONDS: the guest agent answers.
wait_agent() {
	i=0
	while [ $i -lt "$2" ]; do
		virsh -q qemu-agent-command "$1" '{"execute":"guest-ping"}' > /dev/null 2>&1 && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}

t=$(now)
ami=$("$bin" build-ami debian-12 | jq -r .ImageId)
echo "  build-ami debian-12: $(since "$t") s"
check "debian-12 built" [ -n "$ami" ] && [ "$ami" != null ]
base="$state/pool/$ami.raw"
sum_before=$(sha256sum "$base" | cut -d' ' -f1)

# MIME multipart user-data, as the aws CLI's users write it: a #cloud-config part and a #! part.
cat > "$work/ud.mime" <<'UD'
Content-Type: multipart/mixed; boundary="==EC2LITE=="
MIME-Version: 1.0

--==EC2LITE==
Content-Type: text/cloud-config; charset="us-ascii"

#cloud-config
write_files:
  - path: /root/written-by-cloud-config
    content: "cloud-config part ran\n"
runcmd:
  - [ sh, -c, "echo EC2LITE-DEBIAN cloud-config runcmd ran" ]

--==EC2LITE==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
echo "EC2LITE-DEBIAN user-data ran on $(hostname) as $(id -un)"
echo "EC2LITE-DEBIAN root size $(df -BG --output=size / | tail -n 1 | tr -d ' G')"
echo "EC2LITE-DEBIAN cloud-config file: $(cat /root/written-by-cloud-config)"
--==EC2LITE==--
UD
t=$(now)
id=$("$bin" run-instances --image-id "$ami" --instance-type t2.micro --user-data "file://$work/ud.mime" \
	--block-device-mappings 'DeviceName=/dev/xvda,Ebs={VolumeSize=4}' | jq -r '.Instances[0].InstanceId')
priv=$("$bin" describe-instances --instance-ids "$id" | jq -r '.Reservations[0].Instances[0].PrivateIpAddress')
check "the user-data runs, on a host named as EC2 names it" wait_console "$id" "EC2LITE-DEBIAN user-data ran on ip-$(echo "$priv" | tr . -) as root" 300
echo "  debian-12: run-instances to user-data output: $(since "$t") s"
check "the #cloud-config part of the MIME user-data ran (write_files)" wait_console "$id" "EC2LITE-DEBIAN cloud-config file: cloud-config part ran" 60
check "and its runcmd" wait_console "$id" "EC2LITE-DEBIAN cloud-config runcmd ran" 60
check "cloud-init finishes" wait_console "$id" "Cloud-init v. .* finished" 120
echo "  debian-12: run-instances to cloud-init finished: $(since "$t") s"
size=$(console "$id" | sed -n 's/.*EC2LITE-DEBIAN root size \([0-9]*\).*/\1/p' | tail -n 1 | tr -d '\r')
check "cloud-init grew the root filesystem to the 4 GiB volume (saw ${size:-?} G)" [ "${size:-0}" -ge 3 ]
check "the console has the kernel's boot messages" sh -c "'$bin' get-console-output --instance-id $id | jq -r .Output | grep -aq 'Linux version'"
check "the guest agent answers" wait_agent "$id" 120
check "wait instance-status-ok (through the guest agent)" "$bin" wait instance-status-ok --instance-ids "$id"
target=$(guest_exec "$id" /bin/systemctl is-active multi-user.target | tr -d '\n')
check "systemctl: multi-user.target is $target" [ "$target" = active ]
ci=$(guest_exec "$id" /usr/bin/cloud-init status | tr -d '\n')
check "cloud-init status: $ci" [ "$ci" = "status: done" ]
[ "$ci" = "status: done" ] || guest_exec "$id" /usr/bin/cloud-init status --long | sed 's/^/  | /' >&2
user=$(guest_exec "$id" /usr/bin/getent passwd admin | cut -d: -f1)
check "the default user admin exists" [ "$user" = admin ]
check "the base is unchanged (checksum)" [ "$(sha256sum "$base" | cut -d' ' -f1)" = "$sum_before" ]
written=$(qemu-img info -U --output json "$state/pool/$id-root.qcow2" | jq '."actual-size"')
check "the overlay holds what the guest wrote ($((written / 1048576)) MiB)" [ "$written" -gt 4194304 ]
check "terminate" "$bin" terminate-instances --instance-ids "$id"
check "terminated" "$bin" wait instance-terminated --instance-ids "$id"

finish

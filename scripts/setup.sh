#!/bin/sh
# Set-up shared by the README's commands and CI, on Debian 12 as root, with or without systemd:
# installs what ec2-lite needs from Debian's packages (only when something is missing), starts
# virtlogd and libvirtd when they are not running, and builds into build/.
set -eu
cd "$(dirname "$0")/.."

packages="gcc make cmake pkg-config libc6-dev
  libvirt-dev libvirt-daemon libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils libxml2-dev libjson-c-dev libguestfs-dev libisofs-dev libssl-dev liblzma-dev libzstd-dev zlib1g-dev check
  linux-image-amd64 busybox-static extlinux syslinux-common cpio e2fsprogs kmod tar jq bc
  curl openssh-client python3-flask python3-selenium chromium chromium-driver
  libmicrohttpd-dev uuid-dev awscli python3-boto3 python3-jmespath python3-libcloud clang libclang-rt-14-dev"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# The instance metadata service needs QEMU to start its relay for each guest connection, which
# libvirt's seccomp sandbox for QEMU forbids (docs/IMDS.md): turn that sandbox off, once, and
# have a running libvirtd read it again. Nothing else of qemu.conf is touched.
conf=/etc/libvirt/qemu.conf
if ! grep -Eq '^[[:space:]]*seccomp_sandbox[[:space:]]*=[[:space:]]*0[[:space:]]*$' "$conf"; then
	echo "setup: seccomp_sandbox = 0 in $conf (for the instance metadata service)"
	printf '\n# ec2-lite: QEMU starts the instance metadata relay (docs/IMDS.md)\nseccomp_sandbox = 0\n' >> "$conf"
	if command -v systemctl > /dev/null && systemctl is-active -q libvirtd 2> /dev/null; then
		systemctl restart libvirtd
	elif pgrep -x libvirtd > /dev/null; then
		echo "setup: restarting libvirtd"
		pkill -x libvirtd
		i=0
		while pgrep -x libvirtd > /dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fi
fi

# No systemd here: start the daemons ourselves (monolithic libvirtd, sockets in /run/libvirt).
if ! pgrep -x virtlogd > /dev/null; then
	echo "setup: starting virtlogd"
	virtlogd -d
fi
if ! pgrep -x libvirtd > /dev/null; then
	echo "setup: starting libvirtd"
	libvirtd -d
fi
i=0
until virsh -c qemu:///system version > /dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 60 ]; then
		echo "setup: libvirtd does not answer at qemu:///system" >&2
		exit 1
	fi
	sleep 0.5
done

cmake -S . -B build -DEC2LITE_WERROR=ON > /dev/null
cmake --build build -j"$(nproc)"

#!/bin/sh
# Builds the small guest that the real-VM tests and the demo boot: Debian's kernel, a busybox
# initramfs that is the whole system, and an ext4 data disk (made with mke2fs -d, so no loop
# mount and no libguestfs appliance). The guest
#   - counts its boots on the disk (proves the disk persists across reboot and stop/start),
#   - keeps a random token in tmpfs and prints it every second on the serial console
#     (proves RAM survives hibernation: a fresh boot would print a new token),
#   - powers off on the ACPI power button (so stop and ACPI reboot work), unless the kernel
#     command line says ec2lite.ignore_acpi (a guest that ignores stop and reboot requests),
#   - powers itself off N seconds after boot with ec2lite.poweroff_after=N.
# Usage: make-busybox-image.sh OUTDIR   (writes OUTDIR/vmlinuz OUTDIR/initrd.img OUTDIR/disk.raw)
set -eu
out=${1:?usage: make-busybox-image.sh OUTDIR}
kver=${KVER:-$(ls /lib/modules | sort -V | tail -n 1)}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

root=$work/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/mnt" "$root/lib/modules"
cp /bin/busybox "$root/bin/busybox"
mods=""
for m in virtio_pci virtio_blk ext4 button evdev; do
  for f in $(modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'); do
    b=$(basename "$f")
    case " $mods " in *" $b "*) continue ;; esac
    cp "$f" "$root/lib/modules/$b"
    mods="$mods $b"
  done
done

cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /tmp
for m in $mods; do insmod /lib/modules/\$m 2>/dev/null; done
i=0
while [ ! -b /dev/vda ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done
mount -t ext4 /dev/vda /mnt
n=\$(cat /mnt/boot-count 2>/dev/null || echo 0)
n=\$((n+1))
echo \$n > /mnt/boot-count
sync
head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' > /tmp/token
echo "EC2LITE-TEST booted boot=\$n token=\$(cat /tmp/token)"
off() {
  echo "EC2LITE-TEST \$1: shutting down"
  umount /mnt; sync
  poweroff -f
}
# The ACPI power button is an input device named "Power Button": any event on it powers off.
for e in /sys/class/input/event*; do
  if grep -q "Power Button" \$e/device/name 2>/dev/null; then pwr=/dev/input/\$(basename \$e); fi
done
if ! grep -q ec2lite.ignore_acpi /proc/cmdline; then
  ( head -c 24 \$pwr > /dev/null; off "power button" ) &
fi
after=\$(sed -n 's/.*ec2lite.poweroff_after=\\([0-9]*\\).*/\\1/p' /proc/cmdline)
if [ -n "\$after" ]; then
  ( sleep \$after; off "poweroff_after" ) &
fi
while true; do
  echo "EC2LITE-TEST alive boot=\$n token=\$(cat /tmp/token)"
  sleep 1
done
INIT
chmod 755 "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out/initrd.img"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
mkdir -p "$work/disk"
echo 0 > "$work/disk/boot-count"
rm -f "$out/disk.raw"
mke2fs -q -t ext4 -d "$work/disk" "$out/disk.raw" 64M > /dev/null

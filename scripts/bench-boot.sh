#!/bin/sh
# Boot benchmark (the microVM issue, and the user-data issue's launch to HTTP 200), in one go and
# side by side on this machine's accelerator, medians of ROUNDS runs:
#  tiny      raw qemu-system-x86_64 with tiny's own kernel, initramfs and disk (the floor), a bare
#            libvirt domain of the same files and nothing else (libvirt's own floor: no network,
#            guest agent, balloon, RNG or console log), and ec2-lite run-instances, each to the
#            user-data's output on the serial console; then QEMU's QMP round trip
#            (scripts/qmp-roundtrip.py), which sets the cost of libvirt's start;
#  debian-12 the Employee Directory (userdata/employee-directory.sh) to HTTP 200: ec2-lite
#            run-instances, virt-install --import --cloud-init user-data=... of the same disk
#            (booted the way that disk boots by itself: BIOS, extlinux, Debian's initramfs), and
#            raw QEMU with a cloud-localds seed (the floor, same kernel, PVH as ec2-lite);
#  the memory (RSS) of each kind of guest once booted, and ec2-lite's boot timelines, drawn into
#  docs/boot-timeline.png (python3-matplotlib);
#  where tiny's run-instances spends its time, step by step (EC2_LITE_TIMING's trace, medians).
# BENCH_BOOT_ONLY=tiny leaves debian-12 out (its AMI takes long to build), and the chart.
# virt-install and raw QEMU reach the guest through QEMU user networking forwarded to a loopback
# port, as the network rule wants.
# Usage: scripts/bench-boot.sh [ROUNDS]   (after `make setup`; root, libvirtd; installs
#        virtinst, cloud-image-utils, genisoimage and python3-matplotlib when missing)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
bin=$PWD/build/ec2-lite
app=$PWD/userdata/employee-directory.sh
for p in virtinst cloud-image-utils genisoimage python3-matplotlib; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" > /dev/null
done
. scripts/bench-state.sh
cleanup() {
	virsh -q destroy bench-libvirt > /dev/null 2>&1 || true
	virsh -q destroy bench-virtinst > /dev/null 2>&1 || true
	virsh -q undefine bench-virtinst > /dev/null 2>&1 || true
	pkill -f "qemu-system-x86_64 -name bench-floor" 2> /dev/null || true
	# virt-install defines a pool for each folder it puts disks in (ours, and its boot/ for the
	# cloud-init seed): the ones it made go too.
	for p in $(virsh -q pool-list --all --name | sed 's/ *$//'); do
		case " $pools_before " in *" $p "*) continue ;; esac
		case "$p" in ec2-lite-*) continue ;; esac # state_cleanup's
		virsh -q pool-destroy "$p" > /dev/null 2>&1
		virsh -q pool-undefine "$p" > /dev/null 2>&1
	done
	state_cleanup
}
pools_before=$(virsh -q pool-list --all --name | sed 's/ *$//' | tr '\n' ' ')
trap cleanup EXIT
accel=tcg
"$bin" doctor | grep -q "accelerator  *kvm" && accel=kvm
virt=qemu
[ $accel = kvm ] && virt=kvm
nic="virtio-net-pci,netdev=bn0,bus=pci.0,addr=0x1f"

# wait_200 URL SECONDS
wait_200() {
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1")" = 200 ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "timed out waiting for $1" >&2
	return 1
}
qemu_rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
domain_rss() { qemu_rss "$(cat "/run/libvirt/qemu/$1.pid")"; }
ratio() { echo "scale=2; $1 / $2" | bc; }

tiny=$("$bin" build-ami tiny 2> /dev/null | jq -r .ImageId)
only=${BENCH_BOOT_ONLY:-}
debian=""
[ "$only" = tiny ] || debian=$("$bin" build-ami debian-12 2> /dev/null | jq -r .ImageId)
sg=$("$bin" create-security-group --group-name bench-web --description bench | jq -r .GroupId)
"$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0 > /dev/null
printf '#!/bin/sh\necho BENCH-USER-DATA-RAN\n' > "$work/ud.sh"
printf 'instance-id: bench-floor\nlocal-hostname: bench\n' > "$work/meta-data"
cloud-localds "$work/tiny-seed.iso" "$work/ud.sh" "$work/meta-data"
chmod 644 "$work/tiny-seed.iso" # the bare libvirt domain's QEMU runs as libvirt-qemu
cloud-localds "$work/app-seed.iso" "$app" "$work/meta-data"
tk="$state/kernels/$tiny" dk="$state/kernels/$debian"
# The kernel command lines ec2-lite boots them with (the AMIs' own, kept in the store).
targs=$(jq -r --arg a "$tiny" '.images[$a].ec2lite.KernelArgs' "$state/state.json")
dargs=$(jq -r --arg a "$debian" '.images[$a].ec2lite.KernelArgs' "$state/state.json")
rm -f "$work/steps.trace"

t_floor="" t_lv="" t_lvstart="" t_ours="" d_ours="" d_vi="" d_floor=""
r=0
while [ $r -lt "$rounds" ]; do
	# tiny: raw QEMU, the floor
	qemu-img create -q -f qcow2 -F raw -b "$state/pool/$tiny.raw" "$work/floor.qcow2"
	rm -f "$work/floor.log"
	t=$(now)
	qemu-system-x86_64 -name bench-floor -machine pc,accel=$accel -m 512 -display none \
		-kernel "$tk/vmlinux" -initrd "$tk/initrd.img" -append "$targs" \
		-drive "file=$work/floor.qcow2,format=qcow2,if=virtio" \
		-drive "file=$work/tiny-seed.iso,format=raw,if=virtio,readonly=on" \
		-serial "file:$work/floor.log" -monitor none > /dev/null 2>&1 &
	q=$!
	wait_for "$work/floor.log" BENCH-USER-DATA-RAN 120
	t_floor="$t_floor $(since "$t")"
	tiny_floor_rss=$(qemu_rss $q)
	kill $q
	wait $q 2> /dev/null || true
	rm -f "$work/floor.qcow2"
	# tiny: a bare libvirt domain of the same files (transient: `virsh create`), libvirt's floor
	qemu-img create -q -f qcow2 -F raw -b "$state/pool/$tiny.raw" "$work/lv.qcow2"
	chmod 644 "$work/lv.qcow2"
	rm -f "$work/lv.log"
	cat > "$work/lv.xml" <<-EOF
		<domain type='$virt'><name>bench-libvirt</name><memory unit='MiB'>512</memory><vcpu>1</vcpu>
		<os><type arch='x86_64' machine='pc'>hvm</type><kernel>$tk/vmlinux</kernel>
		<initrd>$tk/initrd.img</initrd><cmdline>$targs</cmdline></os><features><acpi/><apic/></features>
		<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
		<source file='$work/lv.qcow2'/><target dev='vda' bus='virtio'/></disk>
		<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$work/tiny-seed.iso'/>
		<target dev='vdb' bus='virtio'/><readonly/></disk>
		<serial type='file'><source path='$work/lv.log'/></serial>
		<controller type='usb' model='none'/><memballoon model='none'/></devices></domain>
	EOF
	t=$(now)
	virsh -q create "$work/lv.xml" > /dev/null
	t_lvstart="$t_lvstart $(since "$t")"
	wait_for "$work/lv.log" BENCH-USER-DATA-RAN 120
	t_lv="$t_lv $(since "$t")"
	virsh -q destroy bench-libvirt > /dev/null
	rm -f "$work/lv.qcow2"
	# tiny: ec2-lite
	t=$(now)
	id=$(EC2_LITE_TIMING=$work/steps.trace "$bin" run-instances --image-id "$tiny" --instance-type t2.nano \
		--user-data "file://$work/ud.sh" | jq -r '.Instances[0].InstanceId')
	wait_for "$state/instances/$id/console.log" BENCH-USER-DATA-RAN 120
	t_ours="$t_ours $(since "$t")"
	sleep 2
	tiny_rss=$(domain_rss "$id")
	"$bin" describe-boot-timeline --instance-ids "$id" > "$work/tiny-timeline.json"
	"$bin" terminate-instances --instance-ids "$id" > /dev/null
	if [ "$only" = tiny ]; then
		r=$((r + 1))
		continue
	fi

	# debian-12: ec2-lite to HTTP 200
	t=$(now)
	id=$("$bin" run-instances --image-id "$debian" --instance-type t2.micro --security-group-ids "$sg" \
		--user-data "file://$app" | jq -r '.Instances[0].InstanceId')
	ip=$("$bin" describe-instances --instance-ids "$id" | jq -r '.Reservations[0].Instances[0].PublicIpAddress')
	wait_200 "http://$ip/" 900
	d_ours="$d_ours $(since "$t")"
	sleep 10
	debian_rss=$(domain_rss "$id")
	"$bin" describe-boot-timeline --instance-ids "$id" > "$work/debian-timeline.json"
	"$bin" terminate-instances --instance-ids "$id" > /dev/null
	# debian-12: virt-install --import of the same disk
	qemu-img create -q -f qcow2 -F raw -b "$state/pool/$debian.raw" "$work/vi.qcow2"
	chmod 644 "$work/vi.qcow2"
	t=$(now)
	virt-install --connect qemu:///system --name bench-virtinst --virt-type $virt --memory 1024 \
		--vcpus 1 --import --disk "path=$work/vi.qcow2,format=qcow2,bus=virtio" \
		--osinfo detect=on,require=off --cloud-init "user-data=$app" --network none \
		--graphics none --noautoconsole \
		--qemu-commandline="-netdev user,id=bn0,restrict=on,hostfwd=tcp:127.0.0.1:18080-:80 -device $nic" \
		> /dev/null 2>&1
	wait_200 "http://127.0.0.1:18080/" 900
	d_vi="$d_vi $(since "$t")"
	sleep 10
	vi_rss=$(domain_rss bench-virtinst)
	virsh -q destroy bench-virtinst > /dev/null
	virsh -q undefine bench-virtinst > /dev/null
	rm -f "$work/vi.qcow2"
	# debian-12: raw QEMU, the floor (ec2-lite's kernel and initramfs, PVH)
	qemu-img create -q -f qcow2 -F raw -b "$state/pool/$debian.raw" "$work/floor.qcow2"
	t=$(now)
	qemu-system-x86_64 -name bench-floor -machine pc,accel=$accel -m 1024 -display none \
		-kernel "$dk/vmlinux" -initrd "$dk/initrd.img" -append "$dargs" \
		-drive "file=$work/floor.qcow2,format=qcow2,if=virtio" \
		-drive "file=$work/app-seed.iso,format=raw,if=virtio,readonly=on" \
		-netdev user,id=bn0,restrict=on,hostfwd=tcp:127.0.0.1:18081-:80 -device "$nic" \
		-serial "file:$work/dfloor.log" -monitor none > /dev/null 2>&1 &
	q=$!
	wait_200 "http://127.0.0.1:18081/" 900
	d_floor="$d_floor $(since "$t")"
	sleep 10
	floor_rss=$(qemu_rss $q)
	kill $q
	wait $q 2> /dev/null || true
	rm -f "$work/floor.qcow2"
	r=$((r + 1))
done

tf=$(echo $t_floor | median) to=$(echo $t_ours | median)
tl=$(echo $t_lv | median) tls=$(echo $t_lvstart | median)
echo "Boot on this machine ($(nproc) cores, $accel), median of $rounds:"
echo "tiny, run-instances to the user-data's output:"
echo "  raw qemu-system-x86_64, same kernel/initramfs/disk (floor): $tf s   (runs:$t_floor)"
echo "  bare libvirt domain, same files, no other device:          $tl s   ($(ratio "$tl" "$tf")x the floor; runs:$t_lv)"
echo "    of which virsh create (libvirt starting QEMU):            $tls s   (runs:$t_lvstart)"
echo "  ec2-lite run-instances:                                    $to s   ($(ratio "$to" "$tf")x the floor, $(ratio "$to" "$tl")x libvirt's; runs:$t_ours)"
echo "  $(python3 scripts/qmp-roundtrip.py 400 "$accel")"
# The trace's lines: timing PID SINCE-START STEP-SECONDS STEP [ID]; the median of each step, of
# the run-instances processes only (those that connected): the detached children a launch leaves
# (the boot's watchers) inherit EC2_LITE_TIMING and write their own "exit" when they end.
echo "  where run-instances spends its time (EC2_LITE_TIMING, median s of each step, in order):"
awk 'NR == FNR { if ($5 == "connect") cli[$2] = 1; next } ($2 in cli) {print $5, $4}' \
	"$work/steps.trace" "$work/steps.trace" | awk '
	!($1 in n) { order[++k] = $1 }
	{ v[$1, ++n[$1]] = $2 }
	END {
		for (i = 1; i <= k; i++) {
			s = order[i]; c = n[s]
			for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++)
				if (v[s, b] < v[s, a]) { t = v[s, a]; v[s, a] = v[s, b]; v[s, b] = t }
			m = (c % 2) ? v[s, (c + 1) / 2] : (v[s, c / 2] + v[s, c / 2 + 1]) / 2
			total += m
			printf "    %-10s %6.3f\n", s, m
		}
		printf "    %-10s %6.3f\n", "total", total
	}'
if [ "$only" = tiny ]; then
	exit 0
fi
df=$(echo $d_floor | median) dv=$(echo $d_vi | median) do=$(echo $d_ours | median)
echo "debian-12, the Employee Directory to HTTP 200:"
echo "  raw qemu-system-x86_64 + cloud-localds seed (floor):       $df s   (runs:$d_floor)"
echo "  virt-install --import --cloud-init (the disk's own boot):  $dv s   ($(ratio "$dv" "$df")x the floor; runs:$d_vi)"
echo "  ec2-lite run-instances:                                    $do s   ($(ratio "$do" "$df")x the floor; runs:$d_ours)"
echo "memory of a booted guest (QEMU's RSS): tiny t2.nano $tiny_rss MiB (raw QEMU $tiny_floor_rss MiB);"
echo "  debian-12 t2.micro $debian_rss MiB (virt-install $vi_rss MiB, raw QEMU $floor_rss MiB)"
echo "ec2-lite's boot timelines (seconds from the start):"
jq -r '.BootTimelines[0].Phases[] | "  tiny       \(.Phase): \(.Seconds * 100 | round / 100)"' "$work/tiny-timeline.json"
jq -r '.BootTimelines[0].Phases[] | "  debian-12  \(.Phase): \(.Seconds * 100 | round / 100)"' "$work/debian-timeline.json"

/usr/bin/python3 - "$work/tiny-timeline.json" "$work/debian-timeline.json" "docs/boot-timeline.png" \
	"$tf" "$to" "$df" "$dv" "$do" "$accel" <<'PY'
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

tiny, debian, out = sys.argv[1:4]
tf, to, df, dv, do = map(float, sys.argv[4:9])
accel = sys.argv[9]
fig, axes = plt.subplots(2, 1, figsize=(11, 6.5), gridspec_kw={"height_ratios": [1, 1.4]})
colors = plt.cm.tab20.colors
for ax, path, title, bars in (
        (axes[0], tiny, "tiny: run-instances to user-data", [("raw QEMU (floor)", tf), ("ec2-lite", to)]),
        (axes[1], debian, "debian-12: run-instances to the Employee Directory's HTTP 200",
         [("raw QEMU (floor)", df), ("virt-install --import", dv), ("ec2-lite", do)])):
    phases = json.load(open(path))["BootTimelines"][0]["Phases"]
    y = len(bars)
    start = 0.0
    for i, p in enumerate(phases):
        ax.barh(y, p["Seconds"] - start, left=start, color=colors[i % 20], edgecolor="white")
        ax.text(p["Seconds"], y + 0.42 + (i % 2) * 0.25, p["Phase"], fontsize=7, ha="right")
        start = p["Seconds"]
    labels = ["%s: %.1f s" % b for b in bars] + ["ec2-lite's timeline"]
    for k, (name, secs) in enumerate(bars):
        ax.barh(k, secs, color="#888888" if name != "ec2-lite" else "#ff9900")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("seconds from the start (%s, median run)" % accel)
    ax.set_title(title, fontsize=10)
fig.tight_layout()
fig.savefig(out, dpi=110)
print("chart: " + out)
PY

#!/bin/sh
# Density (issue 7's figure): run-instances --count N of tiny t2.nano; all must reach their
# user-data; then host memory per idle guest: RSS and PSS of each QEMU process (PSS splits shared
# pages between the processes that share them, so none is charged twice) and the drop in the
# host's MemAvailable. A benchmark, not a test: it runs N guests at once.
# Usage: scripts/bench-density.sh [N]   (after `make setup`; root, libvirtd)
set -eu
cd "$(dirname "$0")/.."
n=${1:-8}
bin=$PWD/build/ec2-lite
. scripts/bench-state.sh
avail() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }

ami=$("$bin" build-ami tiny 2> /dev/null | jq -r .ImageId)
printf '#!/bin/sh\necho DENSITY-USER-DATA-RAN\n' > "$work/ud.sh"
before=$(avail)
t=$(now)
ids=$("$bin" run-instances --image-id "$ami" --instance-type t2.nano --count "$n" \
	--user-data "file://$work/ud.sh" | jq -r '.Instances[].InstanceId')
for id in $ids; do
	i=0
	until grep -aq DENSITY-USER-DATA-RAN "$state/instances/$id/console.log" 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 1200 ] || { echo "$id did not reach its user-data in 120 s" >&2; exit 1; }
		sleep 0.1
	done
done
echo "run-instances --count $n (tiny, t2.nano, $(nproc) cores): all $n reached user-data $(since "$t") s after run-instances"
sleep 10 # idle
rss=0 pss=0
for id in $ids; do
	pid=$(cat "/run/libvirt/qemu/$id.pid")
	rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")))
	pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")))
done
after=$(avail)
echo "per idle guest (512 MiB t2.nano): RSS $((rss / n / 1024)) MiB, PSS $((pss / n / 1024)) MiB;" \
	"host MemAvailable fell by $(((before - after) / n / 1024)) MiB per guest"

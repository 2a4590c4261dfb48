#!/bin/sh
# Other EC2 clients than the aws CLI drive `ec2-lite serve` on libvirt's test driver (no VM):
# boto3's resource API and STS (tests/api/resource_workflow.py), Apache Libcloud's EC2 driver with
# its SigV2 and 0-based lists (tests/api/libcloud_workflow.py), and the bad requests of the
# default account's actions (tests/api/bad_requests_account.py). Each runs against a server of its
# own, on a fresh state folder with a registered test AMI, so that none sees another's leftovers.
# Usage: workflows.sh PATH-TO-ec2-lite [resource|libcloud|bad-account]...
set -u
bin=${1:?usage: workflows.sh PATH-TO-ec2-lite [resource|libcloud|bad-account]...}
shift
here=$(cd "$(dirname "$0")" && pwd)
rc=0

# client NAME SCRIPT ARGS...: a fresh state folder and server; SCRIPT gets ARGS with @PORT@,
# @ENDPOINT@, @AMI@, @KEY@ and @SECRET@ replaced.
client() {
	name=$1 script=$2
	shift 2
	state=$(mktemp -d)
	export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
	# Room for the few instances on the test driver's small host.
	export EC2_LITE_INSTANCE_LIMIT=100 EC2_LITE_MEMORY_OVERCOMMIT=100
	log="$state/serve.log"
	head -c 1048576 /dev/zero > "$state/disk.raw"
	ami=$("$bin" register-image --name "$name-ami" --disk "$state/disk.raw" --output text)
	start_server AKIDEC2LITEFLOWS ec2-lite-flows-secret
	echo "# $name"
	args=""
	for a in "$@"; do
		a=$(printf '%s' "$a" | sed -e "s|@PORT@|$port|g" -e "s|@ENDPOINT@|http://127.0.0.1:$port/|g" \
			-e "s|@AMI@|$ami|g" -e "s|@KEY@|$key_id|g" -e "s|@SECRET@|$secret|g")
		args="$args $a"
	done
	# shellcheck disable=SC2086 # the arguments hold no blanks
	timeout 150 /usr/bin/python3 "$here/$script" $args
	got=$?
	if ! kill -0 "$server" 2> /dev/null; then
		echo "FAIL $name: the server is gone:"
		tail -n 20 "$log"
		got=1
	fi
	[ $got -eq 0 ] || rc=1
	stop_server
	server=""
	rm -rf "$state"
}

server=""
. "$here/lib.sh"
trap '[ -z "$server" ] || stop_server; rm -rf "${state:-/nonexistent}"' EXIT
trap 'exit 1' HUP INT PIPE TERM # (the EXIT trap then stops the server)
[ $# -gt 0 ] || set -- resource libcloud bad-account
for which in "$@"; do
	case $which in
	resource) client resource resource_workflow.py @ENDPOINT@ @AMI@ @KEY@ @SECRET@ ;;
	libcloud) client libcloud libcloud_workflow.py @PORT@ @AMI@ @KEY@ @SECRET@ ;;
	bad-account) client bad-account bad_requests_account.py @ENDPOINT@ @AMI@ @KEY@ @SECRET@ ;;
	*) echo "FAIL unknown client '$which'"; rc=1 ;;
	esac
done
exit $rc

#!/bin/sh
# The web console (src/console) in headless Chromium (Debian's chromium, chromium-driver and
# python3-selenium) against `ec2-lite serve` on libvirt's test driver, with an access key:
# tests/console/test_console.py drives the pages as a user does (console_driver.py).
# Usage: console.sh PATH-TO-ec2-lite [demo] [more arguments of the script]
# With "demo" it runs demo.py (the course's demo end to end; --screenshots DIR saves the main
# pages as PNGs) instead of test_console.py.
set -u
bin=${1:?usage: console.sh PATH-TO-ec2-lite [demo] [ARGS]}
shift
script=test_console.py
if [ "${1:-}" = demo ]; then
	script=demo.py
	shift
fi
here=$(cd "$(dirname "$0")" && pwd)
for need in /usr/bin/chromium /usr/bin/chromedriver; do
	if [ ! -x "$need" ]; then
		# Not a skip: the README's set-up installs them, and a missing browser would hide the
		# console from CI.
		echo "FAIL: $need is missing (make setup installs chromium chromium-driver python3-selenium)"
		exit 1
	fi
done
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
log="$state/serve.log"
. "$here/../api/lib.sh"
# A Quick Start AMI (owner amazon, as `ec2-lite build-ami debian-12` makes one) and one of yours,
# registered before the server starts (a client names no host path). The driver's domains are
# small: overcommit makes room for a few instances.
head -c 1048576 /dev/zero > "$state/disk.raw"
"$bin" register-image --name debian-12 --description "Debian 12 (bookworm) with systemd and python3-flask: ec2-lite's stand-in for Amazon Linux 2023." --disk "$state/disk.raw" > /dev/null
"$bin" register-image --name my-golden-image --description "An image of mine" --disk "$state/disk.raw" > /dev/null
jq '.images |= with_entries(if .value.Name == "debian-12" then .value.ImageOwnerAlias = "amazon" | .value.Public = true | .value.ImageLocation = "amazon/debian-12" else . end)' \
	"$state/state.json" > "$state/state.new" && mv "$state/state.new" "$state/state.json"
export EC2_LITE_MEMORY_OVERCOMMIT=100
start_server AKIDEC2LITECONSOLE ec2-lite-console-secret
trap 'stop_server; rm -rf "$state"' EXIT
/usr/bin/python3 "$here/$script" --url "http://127.0.0.1:$port/console/" --key-id "$key_id" \
	--secret "$secret" --userdata "$here/../../userdata/employee-directory.sh" "$@"
rc=$?
[ $rc -eq 0 ] || tail -n 20 "$log"
exit $rc

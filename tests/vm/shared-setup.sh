#!/bin/sh
# Fixture of the VM tests that share AMIs (ctest's vm_shared): builds tiny and debian-12 once
# per test run into $EC2LITE_SHARED_STATE, from a clean folder, so that every test after it boots
# the same, freshly built AMIs. The build itself is checked here.
# Usage: shared-setup.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: shared-setup.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/shared-cleanup.sh" "$bin" > /dev/null 2>&1 # what an interrupted run may have left
shared=1
. "$here/lib.sh"
trap - EXIT
require_libvirtd

t=$(now)
tiny=$("$bin" build-ami tiny | jq -r .ImageId)
check "tiny built ($(since "$t") s)" '[ -n "$tiny" ] && [ "$tiny" != null ]'
t=$(now)
debian=$("$bin" build-ami debian-12 | jq -r .ImageId)
check "debian-12 built ($(since "$t") s)" '[ -n "$debian" ] && [ "$debian" != null ]'
check "both available" [ "$("$bin" describe-images --owners amazon --filters Name=state,Values=available | jq '.Images | length')" -eq 2 ]
finish

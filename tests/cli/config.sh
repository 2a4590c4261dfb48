#!/bin/sh
# Settings precedence (README "Settings"): defaults, then <state-dir>/config.json, then the
# environment, then the command line, each layer seen in what the built binary does against
# libvirt's test:///default driver (no VM): the memory overcommit in the capacity error of a
# launch too large for the host, the libvirt URI and the data folder in doctor's report.
# Usage: config.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: config.sh PATH-TO-ec2-lite}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Only what each case sets: no setting from the caller's environment.
unset EC2_LITE_CONNECT EC2_LITE_DATA_DIR EC2_LITE_MEMORY_OVERCOMMIT EC2_LITE_ACCELERATOR
data=$(cd "$(dirname "$0")/../.." && pwd)
passed=0
failed=0

# expect NAME PATTERN -- COMMAND...: PATTERN (grep -E) in COMMAND's stdout+stderr.
expect() {
	name=$1 pattern=$2
	shift 3
	out=$("$@" 2>&1)
	if printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s: no /%s/ in:\n%s\n' "$name" "$pattern" "$out"
	fi
}

one="$dir/one"
two="$dir/two"
mkdir -p "$one" "$two"
head -c 1048576 /dev/zero > "$dir/disk.raw"
export EC2_LITE_STATE_DIR="$one" EC2_LITE_CONNECT=test:///default
ami=$("$bin" register-image --name config-ami --disk "$dir/disk.raw" --output text)
EC2_LITE_STATE_DIR="$two" "$bin" register-image --name config-ami --disk "$dir/disk.raw" --output text > "$dir/ami2"
ami2=$(cat "$dir/ami2")
big() { "$bin" "$@" run-instances --image-id "$ami" --instance-type m5.24xlarge; }

# memory-overcommit: default, config.json, environment.
expect "default overcommit 1.5" "x 1\.50 overcommit" -- big
echo '{"memory-overcommit": 2.5}' > "$one/config.json"
expect "config.json beats the default" "x 2\.50 overcommit" -- big
expect "the environment beats config.json" "x 3\.00 overcommit" -- env EC2_LITE_MEMORY_OVERCOMMIT=3 "$bin" run-instances --image-id "$ami" --instance-type m5.24xlarge

# The command line's --state-dir beats EC2_LITE_STATE_DIR, and brings its own config.json.
echo '{"memory-overcommit": 4}' > "$two/config.json"
expect "--state-dir beats the environment's, with its config.json" "x 4\.00 overcommit" -- \
	"$bin" --state-dir "$two" run-instances --image-id "$ami2" --instance-type m5.24xlarge

# connect: config.json, environment, command line.
unset EC2_LITE_CONNECT
echo '{"connect": "test:///default"}' > "$one/config.json"
expect "config.json's connect" "connected to test:///default" -- "$bin" doctor
echo '{"connect": "bogus:///from-config"}' > "$one/config.json"
expect "config.json's connect is used" "cannot connect to libvirt at 'bogus:///from-config'" -- "$bin" doctor
expect "the environment beats config.json" "connected to test:///default" -- env EC2_LITE_CONNECT=test:///default "$bin" doctor
expect "the environment's connect is used" "'bogus:///from-env'" -- env EC2_LITE_CONNECT=bogus:///from-env "$bin" doctor
expect "--connect beats the environment" "connected to test:///default" -- env EC2_LITE_CONNECT=bogus:///from-env "$bin" --connect test:///default doctor

# data-dir: default (the source tree for a build), config.json, environment.
echo '{"connect": "test:///default"}' > "$one/config.json"
expect "default data folder: the sources" "instance types from $data/instance-types" -- "$bin" doctor
echo '{"connect": "test:///default", "data-dir": "/nonexistent-from-config"}' > "$one/config.json"
expect "config.json's data-dir" "/nonexistent-from-config/instance-types" -- "$bin" doctor
expect "the environment beats config.json" "instance types from $data/instance-types" -- env EC2_LITE_DATA_DIR="$data" "$bin" doctor

# A config.json that is not JSON is an error, not a silent fall back to the defaults.
echo '{' > "$one/config.json"
expect "a broken config.json is an error" "cannot parse '$one/config.json'" -- "$bin" doctor

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

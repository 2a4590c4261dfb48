# Sourced by the VM tests that share the AMIs built once per test run (the ctest fixture
# vm_shared: tests/vm/shared-setup.sh builds them into $EC2LITE_SHARED_STATE, and
# tests/vm/shared-cleanup.sh removes it all). Tests run one at a time, so on exit a test leaves
# the folder as it found it: every instance it made terminated, and its security groups, key
# pairs, IAM roles and instance profiles and own AMIs gone; the built (amazon) AMIs stay for the
# next test. Needs $bin.
# Sets $state and $work (scratch files) and exports EC2_LITE_STATE_DIR and EC2_LITE_CONNECT.
state=$EC2LITE_SHARED_STATE
mkdir -p "$state"
chmod 755 "$state" # libvirt's QEMU runs as libvirt-qemu and must reach the disks below it
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=qemu:///system

shared_state_cleanup() {
	ids=$("$bin" describe-instances --output json 2>/dev/null |
		jq -r '.Reservations[].Instances[] | select(.State.Name != "terminated") | .InstanceId')
	[ -n "$ids" ] && "$bin" terminate-instances --instance-ids $ids > /dev/null 2>&1
	for ami in $("$bin" describe-images --owners self 2>/dev/null | jq -r '.Images[].ImageId'); do
		"$bin" deregister-image --image-id "$ami" > /dev/null 2>&1
	done
	for sg in $("$bin" describe-security-groups 2>/dev/null | jq -r '.SecurityGroups[] | select(.GroupName != "default") | .GroupId'); do
		"$bin" delete-security-group --group-id "$sg" > /dev/null 2>&1
	done
	for key in $("$bin" describe-key-pairs 2>/dev/null | jq -r '.KeyPairs[].KeyName'); do
		"$bin" delete-key-pair --key-name "$key" > /dev/null 2>&1
	done
	for p in $("$bin" iam list-instance-profiles 2>/dev/null | jq -r '.InstanceProfiles[].InstanceProfileName'); do
		for r in $("$bin" iam get-instance-profile --instance-profile-name "$p" | jq -r '.InstanceProfile.Roles[].RoleName'); do
			"$bin" iam remove-role-from-instance-profile --instance-profile-name "$p" --role-name "$r" > /dev/null 2>&1
		done
		"$bin" iam delete-instance-profile --instance-profile-name "$p" > /dev/null 2>&1
	done
	for r in $("$bin" iam list-roles 2>/dev/null | jq -r '.Roles[].RoleName'); do
		for pol in $("$bin" iam list-role-policies --role-name "$r" | jq -r '.PolicyNames[]'); do
			"$bin" iam delete-role-policy --role-name "$r" --policy-name "$pol" > /dev/null 2>&1
		done
		"$bin" iam delete-role --role-name "$r" > /dev/null 2>&1
	done
	rm -rf "$state/tmp"
}
trap 'shared_state_cleanup' EXIT
trap "exit 130" INT TERM HUP PIPE
work=$state/tmp # scratch files of the test
mkdir -p "$work"

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

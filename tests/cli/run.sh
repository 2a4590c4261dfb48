#!/bin/sh
# CLI tests: the built ec2-lite binary against libvirt's test:///default driver (no VM). The
# test driver starts empty on every connection, so each case is one invocation: help, argument
# parsing, output formats, and that every command answers bad input with EC2's error, the aws
# CLI's message form and exit status, and changes nothing.
# Usage: run.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: run.sh PATH-TO-ec2-lite}
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export EC2_LITE_STATE_DIR="$state"
export EC2_LITE_CONNECT=test:///default
passed=0
failed=0

# expect NAME STATUS PATTERN -- COMMAND...: runs COMMAND, wants exit STATUS and PATTERN (grep -E)
# in its stdout+stderr.
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" = "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s: exit %s (wanted %s), output:\n%s\n' "$name" "$got" "$want" "$out"
	fi
}

# Help is generated from the command table: every command is listed.
for c in run-instances describe-instances start-instances stop-instances reboot-instances \
	terminate-instances wait describe-instance-types register-image describe-images \
	deregister-image doctor reconcile build-ami import-image describe-import-image-tasks \
	describe-instance-attribute get-console-output create-security-group describe-security-groups \
	authorize-security-group-ingress revoke-security-group-ingress delete-security-group \
	create-key-pair import-key-pair describe-key-pairs delete-key-pair describe-instance-status \
	create-image copy-image create-tags delete-tags describe-tags describe-boot-timeline serve \
	describe-network-interfaces allocate-address associate-address disassociate-address \
	release-address describe-addresses modify-instance-attribute get-password-data; do
	expect "help lists $c" 0 "^  $c " -- "$bin" help
done
expect "no command" 252 "usage: ec2-lite" -- "$bin"
expect "unknown command" 252 "unknown command 'frobnicate'" -- "$bin" frobnicate
expect "command help" 0 "--instance-ids <value>" -- "$bin" stop-instances --help
expect "version" 0 "^ec2-lite [0-9]" -- "$bin" --version

# Argument parsing, with the aws CLI's exit status 252.
expect "missing required" 252 "required: --image-id" -- "$bin" run-instances
expect "unknown option" 252 "unknown option '--colour'" -- "$bin" describe-instances --colour red
expect "list needs a value" 252 "expected at least one value" -- "$bin" stop-instances --instance-ids
expect "bad integer count" 252 "expected N or MIN:MAX" -- "$bin" run-instances --image-id ami-12345678 --count x
expect "bad shorthand" 252 "Error parsing parameter" -- "$bin" describe-instances --filters 'Name=x,Values=[a'
expect "bad output" 252 "invalid choice: 'yaml'" -- "$bin" --output yaml describe-instances
expect "file:// missing" 252 "cannot open" -- "$bin" describe-instances --filters file:///nonexistent/f.json

# Output formats.
expect "json output" 0 '"DefaultVCpus": 1' -- "$bin" describe-instance-types --instance-types t2.micro
expect "json 4-space indent" 0 '^    "InstanceTypes": \[' -- "$bin" describe-instance-types --instance-types t2.micro
expect "text output" 0 "^MEMORYINFO	512$" -- "$bin" describe-instance-types --instance-types t2.nano --output text
expect "table output" 0 "DescribeInstanceTypes" -- "$bin" describe-instance-types --instance-types t2.nano --output table
expect "global option after command" 0 "^VCPUINFO	1	2	2$" -- "$bin" describe-instance-types --instance-types t3.micro --output text
expect "type filters" 0 '"c5.large"' -- "$bin" describe-instance-types --filters Name=vcpu-info.default-vcpus,Values=2 Name=memory-info.size-in-mib,Values=4096
# Instance storage: InstanceStorageInfo as the aws CLI prints it, and its filters.
expect "instance storage json" 0 '"TotalSizeInGB": 75,' -- "$bin" describe-instance-types --instance-types m5d.large
expect "instance storage text" 0 "^INSTANCESTORAGEINFO	required	required	475$" -- "$bin" describe-instance-types --instance-types i3.large --output text
expect "instance storage disks text" 0 "^DISKS	2	300	ssd$" -- "$bin" describe-instance-types --instance-types r5d.4xlarge --output text
expect "no InstanceStorageInfo without instance storage" 0 '^\[\]$' -- "$bin" describe-instance-types --instance-types m5.large --query 'InstanceTypes[?InstanceStorageInfo]' --output json
expect "instance storage filters" 0 "^c5d.large	50$" -- "$bin" describe-instance-types --filters Name=instance-storage-supported,Values=true Name=memory-info.size-in-mib,Values=4096 --query 'InstanceTypes[].[InstanceType,InstanceStorageInfo.TotalSizeInGB]' --output text
expect "disk size filter" 0 "^i3.large$" -- "$bin" describe-instance-types --filters Name=instance-storage-info.disk.size-in-gb,Values=475 --query 'InstanceTypes[].InstanceType' --output text
expect "disk count and NVMe filters" 0 "^m5d.16xlarge	m5d.24xlarge	c5d.24xlarge	r5d.16xlarge	r5d.24xlarge	i3.8xlarge	i3.16xlarge$" -- "$bin" describe-instance-types --filters Name=instance-storage-info.disk.count,Values=4,8 Name=instance-storage-info.nvme-support,Values=required --query 'InstanceTypes[].InstanceType' --output text
expect "empty describe" 0 '"Reservations": \[\]' -- "$bin" describe-instances
expect "doctor" 0 "accelerator +tcg" -- "$bin" doctor
# Every AMI recipe registers: its Description fits EC2's 255 characters.
here=$(cd "$(dirname "$0")" && pwd)
for r in "$here"/../../amis/*.json; do
	expect "recipe $(basename "$r"): Description of 255 characters at most" 0 '^ok$' -- \
		sh -c "[ \$(jq -r '.Description | length' '$r') -le 255 ] && echo ok"
done
expect "doctor json" 0 '"Name": "tcg"' -- "$bin" doctor --output json
# A corrupt store is a failed check, not "all is ok" (another state folder, not to harm this one).
corrupt=$(mktemp -d)
printf '{"Version": 1, "images": {' >"$corrupt/state.json"
EC2_LITE_STATE_DIR="$corrupt" expect "doctor sees a corrupt store" 1 "^FAIL +store +.*not valid JSON" -- "$bin" doctor
EC2_LITE_STATE_DIR="$corrupt" expect "doctor --fix leaves a corrupt store alone" 1 "^FAIL +store" -- "$bin" doctor --fix
expect "the corrupt store is as it was" 0 '^\{"Version": 1, "images": \{$' -- cat "$corrupt/state.json"
rm -rf "$corrupt"
expect "doctor's store check" 0 "^ok +store " -- "$bin" doctor

# EC2 errors: the aws CLI's form, exit status 254.
e="An error occurred"
expect "unknown type" 254 "$e \(InvalidParameterValue\) when calling the DescribeInstanceTypes operation: Invalid value 't9.huge' for InstanceType." -- "$bin" describe-instance-types --instance-types t9.huge
expect "bad filter" 254 "\(InvalidParameterValue\).*The filter 'colour' is invalid" -- "$bin" describe-instances --filters Name=colour,Values=red
for c in describe-instances start-instances stop-instances reboot-instances terminate-instances; do
	expect "$c malformed id" 254 "\(InvalidInstanceID.Malformed\).*Invalid id: \"i-xyz\"" -- "$bin" "$c" --instance-ids i-xyz
	expect "$c unknown id" 254 "\(InvalidInstanceID.NotFound\).*The instance ID 'i-0123456789abcdef0' does not exist" -- "$bin" "$c" --instance-ids i-0123456789abcdef0
done
expect "two unknown ids" 254 "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist" -- "$bin" terminate-instances --instance-ids i-0123456789abcdef0 i-0123456789abcdef1
expect "run malformed ami" 254 "\(InvalidAMIID.Malformed\) when calling the RunInstances operation" -- "$bin" run-instances --image-id bogus
expect "run unknown ami" 254 "\(InvalidAMIID.NotFound\).*The image id '\[ami-0123456789abcdef0\]' does not exist" -- "$bin" run-instances --image-id ami-0123456789abcdef0
expect "run unknown type" 254 "\(InvalidParameterValue\).*'q1.tiny' for InstanceType" -- "$bin" run-instances --image-id ami-0123456789abcdef0 --instance-type q1.tiny
expect "run zero count" 254 "\(InvalidParameterValue\).*Invalid count" -- "$bin" run-instances --image-id ami-0123456789abcdef0 --count 0
expect "run inverted count" 254 "\(InvalidParameterValue\).*Invalid count" -- "$bin" run-instances --image-id ami-0123456789abcdef0 --count 5:2
# The AMI catalog lives in the store, which outlasts a test-driver connection.
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name cli-ami --disk "$state/disk.raw" --output text)
expect "registered" 0 "^IMAGES.*$ami.*cli-ami" -- "$bin" describe-images --owners self --output text
expect "duplicate name" 254 "\(InvalidAMIName.Duplicate\).*AMI name cli-ami is already in use by AMI $ami" -- "$bin" register-image --name cli-ami --disk "$state/disk.raw"
expect "run oversize count" 254 "\(InstanceLimitExceeded\)" -- "$bin" run-instances --image-id "$ami" --count 40
expect "run beyond host memory" 254 "\(InsufficientInstanceCapacity\).*m5.24xlarge" -- "$bin" run-instances --image-id "$ami" --instance-type m5.24xlarge
expect "hibernation on metal" 254 "\(UnsupportedHibernationConfiguration\)" -- "$bin" run-instances --image-id "$ami" --instance-type m5.metal --hibernation-options Configured=true
expect "bad shutdown behaviour" 254 "\(InvalidParameterValue\).*InstanceInitiatedShutdownBehavior" -- "$bin" run-instances --image-id "$ami" --instance-initiated-shutdown-behavior explode
expect "deregister unknown" 254 "\(InvalidAMIID.NotFound\)" -- "$bin" deregister-image --image-id ami-0123456789abcdef0
expect "describe unknown image" 254 "\(InvalidAMIID.NotFound\)" -- "$bin" describe-images --image-ids ami-0123456789abcdef0
expect "register missing disk" 254 "\(InvalidParameterValue\).*cannot be opened" -- "$bin" register-image --name good-name --disk /nonexistent.img
expect "register short name" 254 "\(InvalidAMIName.Malformed\)" -- "$bin" register-image --name ab --disk /nonexistent.img
expect "build unknown recipe" 254 "\(InvalidParameterValue\).*no AMI recipe 'nonesuch'" -- "$bin" build-ami nonesuch
expect "build path recipe" 254 "Invalid recipe name" -- "$bin" build-ami ../etc/passwd
expect "build needs a recipe" 252 "<recipe> is required" -- "$bin" build-ami
expect "import non-file url" 254 "\(InvalidParameterValue\).*use file://PATH" -- "$bin" import-image --disk-containers Format=raw,Url=https://example.invalid/x.raw
expect "import bad format" 254 "\(InvalidParameterValue\).*use RAW or QCOW2" -- "$bin" import-image --disk-containers Format=vmdk,Url=file:///tmp/x.vmdk
expect "import missing file" 254 "\(InvalidParameterValue\).*is not a readable file" -- "$bin" import-image --disk-containers Format=raw,Url=file:///nonexistent.raw
expect "import needs containers" 252 "required: --disk-containers" -- "$bin" import-image
expect "no import tasks" 0 '"ImportImageTasks": \[\]' -- "$bin" describe-import-image-tasks
expect "console malformed id" 254 "\(InvalidInstanceID.Malformed\) when calling the GetConsoleOutput operation" -- "$bin" get-console-output --instance-id i-bad
expect "console unknown id" 254 "\(InvalidInstanceID.NotFound\)" -- "$bin" get-console-output --instance-id i-0123456789abcdef0
# modify-instance-attribute: each of the aws CLI's forms reaches the model (an unknown instance
# is the model's answer, after the attribute was read); exactly one attribute per call.
none=i-0123456789abcdef0
for form in "--instance-type Value=t3.small" "--disable-api-termination" \
	"--no-disable-api-termination" "--disable-api-stop" "--no-disable-api-stop" \
	"--attribute instanceType --value t3.small" "--groups sg-0123456789abcdef0" \
	"--user-data Value=hello" "--source-dest-check" "--no-source-dest-check" \
	"--instance-initiated-shutdown-behavior Value=terminate" "--ebs-optimized" "--ena-support"; do
	# shellcheck disable=SC2086 # the form is words
	expect "modify $form" 254 "\(InvalidInstanceID.NotFound\) when calling the ModifyInstanceAttribute operation: The instance ID '$none' does not exist" -- "$bin" modify-instance-attribute --instance-id $none $form
done
expect "run-instances --disable-api-termination" 254 "\(InvalidAMIID.NotFound\)" -- "$bin" run-instances --image-id ami-0123456789abcdef0 --disable-api-termination --no-disable-api-stop
expect "modify two attributes" 254 "\(InvalidParameterCombination\)" -- "$bin" modify-instance-attribute --instance-id $none --disable-api-stop --no-source-dest-check
expect "modify no attribute" 254 "\(InvalidParameterCombination\).*No attributes specified" -- "$bin" modify-instance-attribute --instance-id $none
expect "modify unknown attribute" 254 "\(InvalidParameterValue\).*Value \(bogus\) for parameter attribute is invalid" -- "$bin" modify-instance-attribute --instance-id $none --attribute bogus --value 1
expect "modify needs an id" 252 "required: --instance-id" -- "$bin" modify-instance-attribute --disable-api-stop
expect "modify type needs Value=" 252 "Error parsing parameter" -- "$bin" modify-instance-attribute --instance-id $none --instance-type 't3.small,'
expect "modify dry run" 254 "\(InvalidInstanceID.NotFound\)" -- "$bin" modify-instance-attribute --instance-id $none --disable-api-stop --dry-run
expect "describe unknown attribute" 254 "\(InvalidParameterValue\).*Value \(bogus\) for parameter attribute is invalid. Unknown attribute." -- "$bin" describe-instance-attribute --instance-id $none --attribute bogus
expect "password unknown id" 254 "\(InvalidInstanceID.NotFound\) when calling the GetPasswordData operation" -- "$bin" get-password-data --instance-id $none
expect "password needs an id" 252 "required: --instance-id" -- "$bin" get-password-data
expect "attribute unknown id" 254 "\(InvalidInstanceID.NotFound\)" -- "$bin" describe-instance-attribute --instance-id i-0123456789abcdef0 --attribute userData
expect "oversize user-data" 254 "\(InvalidParameterValue\).*User data is limited to 16384 bytes" -- sh -c "head -c 16385 /dev/zero > '$state/big'; '$bin' run-instances --image-id ami-0123456789abcdef0 --user-data 'file://$state/big'"
# Security groups (the store outlasts a test-driver connection, so these can span processes).
expect "default group exists" 0 '"GroupName": "default"' -- "$bin" describe-security-groups
sg=$("$bin" create-security-group --group-name web --description "HTTP and HTTPS" --output text)
expect "group created" 0 "^SECURITYGROUPS	HTTP and HTTPS	$sg	web	" -- "$bin" describe-security-groups --group-ids "$sg" --output text
expect "duplicate group name" 254 "\(InvalidGroup.Duplicate\).*The security group 'web' already exists" -- "$bin" create-security-group --group-name web --description again
expect "group name sg-" 254 "\(InvalidParameterValue\)" -- "$bin" create-security-group --group-name sg-x --description x
expect "authorize port 80" 0 '"CidrIpv4": "0.0.0.0/0"' -- "$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0
expect "authorize twice" 254 '\(InvalidPermission.Duplicate\).*"peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW"' -- "$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0
expect "authorize by shape" 0 '"Return": true' -- "$bin" authorize-security-group-ingress --group-name web --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}]'
expect "rules as IpPermissions" 0 '"FromPort": 443' -- "$bin" describe-security-groups --group-names web
expect "filter on port" 0 "^SECURITYGROUPS.*web" -- "$bin" describe-security-groups --filters Name=ip-permission.from-port,Values=80 --output text
expect "bad cidr" 254 "\(InvalidParameterValue\).*CIDR block 1.2.3/8 is malformed" -- "$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 22 --cidr 1.2.3/8
expect "bad port range" 254 "\(InvalidParameterValue\).*Invalid port range" -- "$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 90-80 --cidr 0.0.0.0/0
expect "bad protocol" 254 "\(InvalidParameterValue\).*Unknown protocol" -- "$bin" authorize-security-group-ingress --group-id "$sg" --protocol sctp --port 1 --cidr 0.0.0.0/0
expect "revoke port 80" 0 '"Return": true' -- "$bin" revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0
expect "revoke again" 254 "\(InvalidPermission.NotFound\)" -- "$bin" revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0
expect "unknown group" 254 "\(InvalidGroup.NotFound\).*'sg-0123456789abcdef0' does not exist" -- "$bin" describe-security-groups --group-ids sg-0123456789abcdef0
expect "malformed group" 254 "\(InvalidGroupId.Malformed\)" -- "$bin" delete-security-group --group-id sg-zz
expect "default cannot go" 254 "\(CannotDelete\)" -- "$bin" delete-security-group --group-name default
expect "run with an unknown group" 254 "\(InvalidGroup.NotFound\)" -- "$bin" run-instances --image-id "$ami" --security-group-ids sg-0123456789abcdef0
expect "delete group" 0 "\"GroupId\": \"$sg\"" -- "$bin" delete-security-group --group-id "$sg"
expect "deleted group is gone" 254 "\(InvalidGroup.NotFound\)" -- "$bin" delete-security-group --group-id "$sg"

# Key pairs: what create-key-pair hands out is a key ssh reads; imports keep EC2's fingerprints.
"$bin" create-key-pair --key-name rsa-key | jq -r .KeyMaterial > "$state/rsa-key"
"$bin" create-key-pair --key-name ed-key --key-type ed25519 | jq -r .KeyMaterial > "$state/ed-key"
chmod 600 "$state/rsa-key" "$state/ed-key"
expect "rsa key is PKCS#1 PEM" 0 "^-----BEGIN RSA PRIVATE KEY-----" -- cat "$state/rsa-key"
expect "ssh reads the rsa key" 0 "^ssh-rsa AAAA" -- ssh-keygen -y -f "$state/rsa-key"
expect "ssh reads the ed25519 key" 0 "^ssh-ed25519 AAAA" -- ssh-keygen -y -f "$state/ed-key"
ssh-keygen -y -f "$state/ed-key" > "$state/ed-key.pub"
fp=$(ssh-keygen -l -E sha256 -f "$state/ed-key.pub" | awk '{print $2}' | sed 's/^SHA256://')
# (base64 holds + and /: compared as strings, not as patterns)
expect "ed25519 fingerprint is ssh's SHA256" 0 "^same$" -- sh -c "[ \"\$('$bin' describe-key-pairs --key-names ed-key | jq -r '.KeyPairs[0].KeyFingerprint')\" = '$fp=' ] && echo same"
expect "public key matches" 0 "^same$" -- sh -c "[ \"\$('$bin' describe-key-pairs --key-names ed-key --include-public-key | jq -r '.KeyPairs[0].PublicKey' | cut -d' ' -f2)\" = '$(cut -d' ' -f2 "$state/ed-key.pub")' ] && echo same"
ssh-keygen -q -t rsa -b 2048 -N "" -f "$state/mine"
md5=$(ssh-keygen -e -m PKCS8 -f "$state/mine.pub" | openssl pkey -pubin -outform DER | openssl md5 -c | sed 's/.*= //')
expect "import keeps EC2's MD5 fingerprint" 0 "\"KeyFingerprint\": \"$md5\"" -- "$bin" import-key-pair --key-name mine --public-key-material "fileb://$state/mine.pub"
expect "duplicate key name" 254 "\(InvalidKeyPair.Duplicate\).*The keypair 'mine' already exists." -- "$bin" import-key-pair --key-name mine --public-key-material "fileb://$state/mine.pub"
expect "bad public key" 254 "\(InvalidKey.Format\)" -- "$bin" import-key-pair --key-name junk --public-key-material "ssh-rsa !!!"
expect "unknown key" 254 "\(InvalidKeyPair.NotFound\).*'nosuch'" -- "$bin" describe-key-pairs --key-names nosuch
expect "run with an unknown key" 254 "\(InvalidKeyPair.NotFound\)" -- "$bin" run-instances --image-id "$ami" --key-name nosuch
expect "delete key" 0 '"Return": true' -- "$bin" delete-key-pair --key-name mine
expect "deleting again is fine (EC2's rule)" 0 '"Return": true' -- "$bin" delete-key-pair --key-name mine
expect "three keys were made, two remain" 0 "^2$" -- sh -c "'$bin' describe-key-pairs | jq '.KeyPairs | length'"

# A forwarder table that is not one (its Forwards not an array) reads as empty: describe (which
# heals the forwarder) goes on.
odd=$(mktemp -d)
printf '{"Version": 4, "Forwards": {"Listen": "127.0.0.2"}}' > "$odd/forwarder.json"
expect "describe with an odd forwarder table" 0 '"Reservations"' -- \
	env EC2_LITE_STATE_DIR="$odd" "$bin" describe-instances
rm -rf "$odd"

# CreateImage's refusals (the work itself needs real guests: tests/vm/golden.sh).
expect "create-image needs a name" 252 "required: --name" -- "$bin" create-image --instance-id i-0123456789abcdef0
expect "create-image malformed id" 254 "\(InvalidInstanceID.Malformed\) when calling the CreateImage operation" -- "$bin" create-image --instance-id i-zz --name good-name
expect "create-image unknown id" 254 "\(InvalidInstanceID.NotFound\)" -- "$bin" create-image --instance-id i-0123456789abcdef0 --name good-name
expect "create-image short name" 254 "\(InvalidAMIName.Malformed\)" -- "$bin" create-image --instance-id i-0123456789abcdef0 --name ab
expect "create-image bad tag type" 254 "\(InvalidParameterValue\).*'instance' is not a valid taggable" -- "$bin" create-image --instance-id i-0123456789abcdef0 --name good-name --tag-specifications 'ResourceType=instance,Tags=[{Key=a,Value=b}]'
# CopyImage: a new AMI with the same disk; a name in use is refused.
copy=$("$bin" copy-image --source-image-id "$ami" --source-region us-east-1 --name cli-copy --output text)
expect "copy-image" 0 "^IMAGES.*$copy.*cli-copy.*available" -- "$bin" describe-images --image-ids "$copy" --output text
expect "copy-image name in use" 254 "\(InvalidAMIName.Duplicate\)" -- "$bin" copy-image --source-image-id "$ami" --source-region us-east-1 --name cli-copy
expect "copy-image other region" 254 "\(InvalidParameterValue\).*SourceRegion" -- "$bin" copy-image --source-image-id "$ami" --source-region eu-west-1 --name cli-copy2
expect "copy-image unknown" 254 "\(InvalidAMIID.NotFound\)" -- "$bin" copy-image --source-image-id ami-0123456789abcdef0 --source-region us-east-1 --name cli-copy2
page=$("$bin" describe-images --max-results 1)
expect "describe-images pages: one image and a NextToken" 0 "^1 true$" -- sh -c "printf '%s' '$page' | jq -r '(.Images | length | tostring) + \" \" + (.NextToken != null | tostring)'"
expect "the next page has the other" 0 "^1 false$" -- sh -c "'$bin' describe-images --max-results 1 --next-token \$(printf '%s' '$page' | jq -r .NextToken) | jq -r '(.Images | length | tostring) + \" \" + (.NextToken != null | tostring)'"
expect "deregister the copy" 0 "^$" -- "$bin" deregister-image --image-id "$copy"
EC2_LITE_WAITER_DELAY=1 EC2_LITE_WAITER_MAX_ATTEMPTS=2 \
	expect "image waiter" 0 "^$" -- "$bin" wait image-available --image-ids "$ami"
EC2_LITE_WAITER_DELAY=1 EC2_LITE_WAITER_MAX_ATTEMPTS=2 \
	expect "image waiter gives up" 255 "Waiter ImageAvailable failed: Max attempts exceeded" -- "$bin" wait image-available --image-ids ami-0123456789abcdef0
# Tags: on an AMI and a group (the test driver keeps no instance between processes).
expect "create-tags" 0 "^$" -- "$bin" create-tags --resources "$ami" --tags Key=team,Value=web Key=env,Value=test
expect "describe-tags" 0 '"ResourceType": "image"' -- "$bin" describe-tags --filters Name=key,Values=team
expect "tags shown on the AMI" 0 '"Key": "team"' -- "$bin" describe-images --image-ids "$ami"
expect "delete-tags" 0 "^$" -- "$bin" delete-tags --resources "$ami" --tags Key=team
expect "the tag is gone" 0 '"Tags": \[\]' -- "$bin" describe-tags --filters Name=key,Values=team
expect "system tags are not yours" 254 "\(InvalidParameterValue\).*reserved" -- "$bin" create-tags --resources "$ami" --tags Key=ec2-lite:x,Value=y
# Text that XML cannot carry (control characters, bytes that are not UTF-8) is refused as EC2
# refuses a bad value, before it reaches the store and every later response; lengths count
# characters, not bytes.
ctl=$(printf 'a\001b') esc=$(printf 'c\033x') notutf8=$(printf 'a\377b')
expect "tag key with a control character" 254 "\(InvalidParameterValue\).*Tag.Key" -- "$bin" create-tags --resources "$ami" --tags "Key=$ctl,Value=y"
expect "tag value with a control character" 254 "\(InvalidParameterValue\).*Tag.Value" -- "$bin" create-tags --resources "$ami" --tags "Key=k,Value=$esc"
expect "tag value not UTF-8" 254 "\(InvalidParameterValue\).*Tag.Value" -- "$bin" create-tags --resources "$ami" --tags "Key=k,Value=$notutf8"
expect "none of them was kept" 0 '"Tags": \[\]' -- "$bin" describe-tags --filters Name=key,Values=k
long=$(printf '%0256d' 0 | sed 's/0/é/g')
expect "a 256-character value of 2-byte characters" 0 "^$" -- "$bin" create-tags --resources "$ami" --tags "Key=k,Value=$long"
expect "a 257-character value" 254 "\(InvalidParameterValue\).*256" -- "$bin" create-tags --resources "$ami" --tags "Key=k,Value=${long}x"
expect "a 129-character key" 254 "\(InvalidParameterValue\).*128" -- "$bin" create-tags --resources "$ami" --tags "Key=$(printf '%0129d' 0),Value=v"
expect "delete the long tag" 0 "^$" -- "$bin" delete-tags --resources "$ami" --tags Key=k
expect "group description with a control character" 254 "\(InvalidParameterValue\).*GroupDescription" -- "$bin" create-security-group --group-name ctl-group --description "$ctl"
expect "the group was not made" 254 "\(InvalidGroup.NotFound\)" -- "$bin" describe-security-groups --group-names ctl-group
expect "rule description with a control character" 254 "\(InvalidParameterValue\).*Description" -- "$bin" authorize-security-group-ingress --group-name default --ip-permissions "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0,Description=$ctl}]"
expect "image description with a control character" 254 "\(InvalidParameterValue\).*Description" -- "$bin" register-image --name ctl-ami --disk "$state/disk.raw" --description "$ctl"
expect "copy description with a control character" 254 "\(InvalidParameterValue\).*Description" -- "$bin" copy-image --source-image-id "$ami" --source-region us-east-1 --name ctl-copy --description "$ctl"
expect "create-image description with a control character" 254 "\(InvalidParameterValue\).*Description" -- "$bin" create-image --instance-id i-0123456789abcdef0 --name good-name --description "$ctl"
expect "key name with a control character" 254 "\(InvalidParameterValue\).*KeyName" -- "$bin" create-key-pair --key-name "$ctl"
expect "an error message repeats no control character" 254 "\(InvalidID\).*'vpc-a\?b'" -- "$bin" create-tags --resources "vpc-$ctl" --tags Key=a,Value=b
expect "no image was made" 0 '"Images": \[\]' -- "$bin" describe-images --filters Name=name,Values=ctl-ami,ctl-copy
# file:// and fileb:// reads stop one byte past their limit: an endless file fails at once.
expect "user-data from an endless file" 254 "\(InvalidParameterValue\).*User data is limited to 16384 bytes" -- timeout 5 "$bin" run-instances --image-id "$ami" --user-data file:///dev/zero
expect "fileb user-data from an endless file" 254 "\(InvalidParameterValue\).*User data is limited" -- timeout 5 "$bin" run-instances --image-id "$ami" --user-data fileb:///dev/zero
expect "key material from an endless file" 252 "larger than 262144 bytes" -- timeout 5 "$bin" import-key-pair --key-name endless --public-key-material fileb:///dev/zero
expect "filters from an endless file" 252 "larger than" -- timeout 5 "$bin" describe-instances --filters file:///dev/zero
expect "tag an unknown AMI" 254 "\(InvalidAMIID.NotFound\)" -- "$bin" create-tags --resources ami-0123456789abcdef0 --tags Key=a,Value=b
expect "tag an unknown kind of id" 254 "\(InvalidID\)" -- "$bin" create-tags --resources snap-12345678 --tags Key=a,Value=b
expect "tag an unknown subnet" 254 "\(InvalidSubnetID.NotFound\)" -- "$bin" create-tags --resources subnet-12345678 --tags Key=a,Value=b
expect "a bad token" 254 "\(InvalidNextToken\)" -- "$bin" describe-images --max-results 1 --next-token bogus
expect "max-results out of bounds" 254 "\(InvalidParameterValue\).*maxResults" -- "$bin" describe-instances --max-results 2
expect "max-results with ids" 254 "\(InvalidParameterCombination\)" -- "$bin" describe-instances --max-results 5 --instance-ids i-0123456789abcdef0
# Filters EC2 documents, TagSpecifications on creates, paging on every describe that pages.
expect "documented instance filters" 0 '"Reservations": \[\]' -- "$bin" describe-instances --filters Name=subnet-id,Values=subnet-x Name=network-interface.mac-address,Values=0e:* Name=reservation-id,Values=r-*
expect "tagged group" 0 '"Value": "blue"' -- "$bin" create-security-group --group-name tagged --description tagged --tag-specifications 'ResourceType=security-group,Tags=[{Key=team,Value=blue}]'
expect "group by tag" 0 "^SECURITYGROUPS	tagged	" -- "$bin" describe-security-groups --filters Name=tag:team,Values=blue Name=egress.ip-permission.protocol,Values=-1 --output text
expect "group tags in describe-tags" 0 '"ResourceType": "security-group"' -- "$bin" describe-tags --filters Name=value,Values=blue
expect "group tag type" 254 "\(InvalidParameterValue\).*'key-pair' is not a valid taggable resource type for this operation." -- "$bin" create-security-group --group-name tagged2 --description t --tag-specifications 'ResourceType=key-pair,Tags=[{Key=a,Value=b}]'
expect "the mistagged group was not made" 254 "\(InvalidGroup.NotFound\)" -- "$bin" describe-security-groups --group-names tagged2
expect "tagged key pair" 0 '"Key": "env"' -- "$bin" create-key-pair --key-name tagged-key --key-type ed25519 --tag-specifications 'ResourceType=key-pair,Tags=[{Key=env,Value=prod}]'
expect "key pair by tag" 0 "^KEYPAIRS	.*tagged-key" -- "$bin" describe-key-pairs --filters Name=tag:env,Values=prod Name=key-name,Values=tagged-* --output text
expect "key pair filter on fingerprint" 0 '"KeyPairs": \[\]' -- "$bin" describe-key-pairs --filters Name=fingerprint,Values=00:00
for g in p1 p2 p3 p4; do "$bin" create-security-group --group-name "$g" --description p >/dev/null; done
expect "group pages" 0 "^5 true$" -- sh -c "'$bin' describe-security-groups --max-results 5 | jq -r '(.SecurityGroups | length | tostring) + \" \" + (.NextToken != null | tostring)'"
expect "group page out of bounds" 254 "\(InvalidParameterValue\).*maxResults" -- "$bin" describe-security-groups --max-results 4
expect "type pages" 0 '"NextToken"' -- "$bin" describe-instance-types --max-results 5
expect "type page out of bounds" 254 "\(InvalidParameterValue\).*between 5 and 100" -- "$bin" describe-instance-types --max-results 101
expect "status page token" 254 "\(InvalidNextToken\)" -- "$bin" describe-instance-status --next-token bogus
expect "status page with ids" 254 "\(InvalidParameterCombination\)" -- "$bin" describe-instance-status --max-results 5 --instance-ids i-0123456789abcdef0
expect "no timelines on the test driver" 0 '"BootTimelines": \[\]' -- "$bin" describe-boot-timeline
expect "serve needs a key" 254 "no access keys are configured" -- "$bin" serve --listen 127.0.0.1:1
expect "serve needs an address:port" 254 "ADDRESS:PORT" -- "$bin" serve --listen nowhere --no-auth
expect "deregister" 0 "^$" -- "$bin" deregister-image --image-id "$ami"
expect "deregistered is gone" 254 "\(InvalidAMIID.NotFound\)" -- "$bin" describe-images --image-ids "$ami"
expect "no statuses" 0 '"InstanceStatuses": \[\]' -- "$bin" describe-instance-status
expect "status unknown id" 254 "\(InvalidInstanceID.NotFound\) when calling the DescribeInstanceStatus operation" -- "$bin" describe-instance-status --instance-ids i-0123456789abcdef0
EC2_LITE_WAITER_DELAY=1 EC2_LITE_WAITER_MAX_ATTEMPTS=2 \
	expect "status waiter gives up" 255 "Waiter InstanceStatusOk failed: Max attempts exceeded" -- "$bin" wait instance-status-ok --instance-ids i-0123456789abcdef0
expect "wait unknown waiter" 252 "unknown waiter 'instance-happy'" -- "$bin" wait instance-happy --instance-ids i-0123456789abcdef0
expect "wait bad id" 254 "\(InvalidInstanceID.Malformed\)" -- "$bin" wait instance-running --instance-ids i-xyz
EC2_LITE_WAITER_DELAY=1 EC2_LITE_WAITER_MAX_ATTEMPTS=2 \
	expect "waiter gives up" 255 "Waiter InstanceRunning failed: Max attempts exceeded" -- "$bin" wait instance-running --instance-ids i-0123456789abcdef0

# DryRun (--dry-run, every EC2 command): the request is checked completely and answered with
# DryRunOperation, or with the error it would have had; nothing changes, ever. Instances live
# in a test-driver node file (re-read by every process), one running and one stopped, carrying
# this state folder's metadata; "unchanged" is every file of the state folder (name, type,
# size, mode, inode, time, content) before and after.
pool=$("$bin" doctor | sed -n "s/.*pool '\([^']*\)'.*/\1/p")
node="$state/node.xml"
cat > "$node" <<EOF
<node>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>i-0123456789abcdef0</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <metadata><ec2lite:instance xmlns:ec2lite="http://ec2-lite.org/xmlns/instance/1"><pool>$pool</pool><instance-type>t2.nano</instance-type><reservation-id>r-0123456789abcdef0</reservation-id><transition-reason>x</transition-reason></ec2lite:instance></metadata>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>i-0123456789abcdef1</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <metadata><ec2lite:instance xmlns:ec2lite="http://ec2-lite.org/xmlns/instance/1"><pool>$pool</pool><instance-type>t2.nano</instance-type><reservation-id>r-0123456789abcdef1</reservation-id><transition-reason>x</transition-reason></ec2lite:instance></metadata>
    <test:runstate>5</test:runstate>
  </domain>
</node>
EOF
on_node() { EC2_LITE_CONNECT="test://$node" "$bin" "$@"; }
snapshot() {
	(cd "$state" && find . -print0 | sort -z | xargs -0 stat -c '%n %F %s %a %i %y' &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
# dry NAME PATTERN -- COMMAND...: COMMAND exits 254 with PATTERN and the state folder is as it was.
dry() {
	dry_name=$1 dry_pattern=$2
	shift 2
	dry_before=$(snapshot)
	expect "$dry_name" 254 "$dry_pattern" "$@"
	if [ "$dry_before" = "$(snapshot)" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s changed the state folder:\n' "$dry_name"
		printf '%s\n' "$dry_before" | diff - "$(printf '%s\n' "$(snapshot)" > "$state.after" && echo "$state.after")"
		rm -f "$state.after"
	fi
}
dami=$("$bin" register-image --name dry-ami --disk "$state/disk.raw" --output text)
dsg=$("$bin" create-security-group --group-name dry-web --description "dry runs" --output text)
"$bin" authorize-security-group-ingress --group-id "$dsg" --protocol tcp --port 22 --cidr 0.0.0.0/0 > /dev/null
expect "the node's instances are seen" 0 "^running stopped$" -- sh -c "EC2_LITE_CONNECT='test://$node' '$bin' describe-instances --instance-ids i-0123456789abcdef0 i-0123456789abcdef1 | jq -r '[.Reservations[].Instances[].State.Name] | join(\" \")'"
expect "help shows --dry-run" 0 "^  --dry-run" -- "$bin" terminate-instances --help

# --query (JMESPath, applied to the response before any output format, as the aws CLI does):
# ec2-lite's output against the Debian aws CLI's own formatter and jmespath over the same JSON.
both="i-0123456789abcdef0 i-0123456789abcdef1"
on_node describe-instances --instance-ids $both > "$state/described.json"
aws_format="$(dirname "$0")/aws_format.py"
# query_same FORMAT QUERY: ec2-lite prints what the aws CLI prints.
query_same() {
	qs_want=$(/usr/bin/python3 "$aws_format" "$1" "$2" DescribeInstances < "$state/described.json" 2>&1)
	qs_status=$?
	qs_got=$(on_node describe-instances --instance-ids $both --output "$1" --query "$2" 2>&1)
	if [ "$qs_status" = 0 ] && [ "$qs_got" = "$qs_want" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL --query %s --output %s:\n%s\nwanted (aws CLI):\n%s\n' "$2" "$1" "$qs_got" "$qs_want"
	fi
}
if /usr/bin/python3 -c 'import jmespath, awscli.formatter' 2> /dev/null; then
	for q in 'Reservations[].Instances[].InstanceId' \
		'Reservations[].Instances[].[InstanceId, State.Name, InstanceType]' \
		'Reservations[].Instances[?State.Name==`running`].{Id: InstanceId, Type: InstanceType}[]' \
		'Reservations[*].Instances[*].[InstanceId, Monitoring.State]' \
		'length(Reservations[].Instances[])' 'Reservations[0].Instances[0].State' \
		'sort_by(Reservations[].Instances[], &InstanceId)[-1].Placement.AvailabilityZone' \
		'max_by(Reservations[].Instances[], &State.Code).InstanceId' \
		"join(', ', reverse(Reservations[].Instances[].InstanceId))" \
		'Reservations[].Instances[] | [::-1].{id: InstanceId, up: State.Code == `16`}' \
		'Reservations[].Instances[].Tags[?Key==`nothing`][]' 'nothing' \
		'Reservations[].Instances[].Placement | [0]' \
		'Reservations[].Instances[] | map(&to_string(AmiLaunchIndex), @)'; do
		query_same json "$q"
		query_same text "$q"
	done
else
	echo "skipped: the --query comparisons with the aws CLI (no /usr/bin/python3 with awscli)"
fi
expect "--query ids as text" 0 "^i-0123456789abcdef0	i-0123456789abcdef1$" -- on_node describe-instances --instance-ids $both --query 'Reservations[].Instances[].InstanceId' --output text
expect "--query before the command" 0 '^"running"$' -- on_node --query 'Reservations[0].Instances[0].State.Name' describe-instances --instance-ids $both
expect "--query, table" 0 "DescribeInstances" -- on_node describe-instances --instance-ids $both --query 'Reservations[0].Instances[0].State' --output table
expect "--query needs a value" 252 "argument --query: expected one value" -- "$bin" describe-instances --query
# A bad expression: the aws CLI's message (Python jmespath's words) and 252, before acting.
expect "--query bad expression" 252 '^Bad value for --query Reservations\[: Invalid jmespath expression: Incomplete expression:$' -- "$bin" describe-instances --query 'Reservations['
expect "--query bad expression caret" 252 '^              \^$' -- "$bin" describe-instances --query 'Reservations['
expect "--query unclosed literal" 252 '^Bad value for --query a.`x: Bad jmespath expression: Unclosed ` delimiter:$' -- "$bin" describe-instances --query 'a.`x'
expect "--query empty" 252 "^Bad value for --query : Invalid JMESPath expression: cannot be empty.$" -- "$bin" describe-instances --query ''
expect "--query unknown function" 252 "Unknown function: frob\(\)" -- "$bin" describe-instances --query 'frob(@)'
expect "--query wrong arity" 252 "Expected 1 argument for function length\(\), received 2" -- "$bin" describe-instances --query 'length(@, @)'
# A query that fails on the response (a function's argument of the wrong type) is the aws CLI's 255.
expect "--query type error" 255 "In function abs\(\), invalid type for value: .*received: \"string\"" -- on_node describe-instances --instance-ids $both --query 'abs(Reservations[0].ReservationId)'
# untouched NAME -- COMMAND...: COMMAND refuses its --query with 252 and the state folder is as
# it was.
untouched() {
	ut_name=$1
	shift 2
	ut_before=$(snapshot)
	expect "$ut_name" 252 "Bad value for --query" -- "$@"
	if [ "$ut_before" = "$(snapshot)" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s changed the state folder\n' "$ut_name"
	fi
}
untouched "bad --query does not launch" -- on_node run-instances --image-id "$dami" --query 'Instances[0'
untouched "bad --query does not stop" -- on_node stop-instances --instance-ids i-0123456789abcdef0 --query 'StoppingInstances[?'
expect "bad --query stopped nothing" 0 "^running$" -- on_node describe-instances --instance-ids i-0123456789abcdef0 --query 'Reservations[0].Instances[0].State.Name' --output text
ok="Request would have succeeded, but DryRun flag is set"
# (test:///default's own domain holds all its memory: launches are checked beside the node's)
dry "dry run-instances" "^An error occurred \(DryRunOperation\) when calling the RunInstances operation: $ok$" -- on_node run-instances --image-id "$dami" --dry-run
dry "dry run-instances, all options" "\(DryRunOperation\)" -- on_node run-instances --image-id "$dami" --count 1:3 --security-group-ids "$dsg" --key-name ed-key --client-token t1 --tag-specifications 'ResourceType=instance,Tags=[{Key=a,Value=b}]' --dry-run
dry "dry run-instances, the node full" "\(InsufficientInstanceCapacity\)" -- on_node run-instances --image-id "$dami" --count 5 --dry-run
dry "dry run-instances, too big" "\(InsufficientInstanceCapacity\).*m5.24xlarge" -- "$bin" run-instances --image-id "$dami" --instance-type m5.24xlarge --dry-run
dry "dry run-instances, over the limit" "\(InstanceLimitExceeded\)" -- "$bin" run-instances --image-id "$dami" --count 40 --dry-run
dry "dry run-instances, unknown AMI" "\(InvalidAMIID.NotFound\)" -- "$bin" run-instances --image-id ami-0123456789abcdef0 --dry-run
dry "dry run-instances, unknown key" "\(InvalidKeyPair.NotFound\)" -- "$bin" run-instances --image-id "$dami" --key-name nosuch --dry-run
dry "dry run-instances, unknown group" "\(InvalidGroup.NotFound\)" -- "$bin" run-instances --image-id "$dami" --security-group-ids sg-0123456789abcdef0 --dry-run
dry "dry start-instances" "\(DryRunOperation\) when calling the StartInstances operation: $ok" -- on_node start-instances --instance-ids i-0123456789abcdef1 --dry-run
dry "dry stop-instances" "\(DryRunOperation\) when calling the StopInstances operation: $ok" -- on_node stop-instances --instance-ids i-0123456789abcdef0 --dry-run
dry "dry stop-instances --force" "\(DryRunOperation\)" -- on_node stop-instances --instance-ids i-0123456789abcdef0 --force --dry-run
dry "dry stop-instances, no hibernation" "\(UnsupportedHibernationConfiguration\)" -- on_node stop-instances --instance-ids i-0123456789abcdef0 --hibernate --dry-run
dry "dry reboot-instances" "\(DryRunOperation\) when calling the RebootInstances operation: $ok" -- on_node reboot-instances --instance-ids i-0123456789abcdef0 --dry-run
dry "dry reboot-instances, stopped" "\(IncorrectInstanceState\)" -- on_node reboot-instances --instance-ids i-0123456789abcdef1 --dry-run
dry "dry terminate-instances" "\(DryRunOperation\) when calling the TerminateInstances operation: $ok" -- on_node terminate-instances --instance-ids i-0123456789abcdef0 i-0123456789abcdef1 --dry-run
dry "dry terminate-instances, one unknown" "\(InvalidInstanceID.NotFound\).*i-0123456789abcdef2" -- on_node terminate-instances --instance-ids i-0123456789abcdef0 i-0123456789abcdef2 --dry-run
dry "dry stop-instances, unknown" "\(InvalidInstanceID.NotFound\)" -- "$bin" stop-instances --instance-ids i-0123456789abcdef0 --dry-run
dry "dry create-image" "\(DryRunOperation\) when calling the CreateImage operation: $ok" -- on_node create-image --instance-id i-0123456789abcdef0 --name dry-image --dry-run
dry "dry create-image, name in use" "\(InvalidAMIName.Duplicate\)" -- on_node create-image --instance-id i-0123456789abcdef1 --name dry-ami --dry-run
dry "dry register-image" "\(DryRunOperation\) when calling the RegisterImage operation: $ok" -- "$bin" register-image --name dry-two --disk "$state/disk.raw" --dry-run
dry "dry register-image, name in use" "\(InvalidAMIName.Duplicate\)" -- "$bin" register-image --name dry-ami --disk "$state/disk.raw" --dry-run
dry "dry register-image, no disk" "\(InvalidParameterValue\).*cannot be opened" -- "$bin" register-image --name dry-two --disk /nonexistent.img --dry-run
dry "dry deregister-image" "\(DryRunOperation\) when calling the DeregisterImage operation: $ok" -- "$bin" deregister-image --image-id "$dami" --dry-run
dry "dry deregister-image, unknown" "\(InvalidAMIID.NotFound\)" -- "$bin" deregister-image --image-id ami-0123456789abcdef0 --dry-run
dry "dry copy-image" "\(DryRunOperation\) when calling the CopyImage operation: $ok" -- "$bin" copy-image --source-image-id "$dami" --source-region us-east-1 --name dry-copy --dry-run
dry "dry copy-image, name in use" "\(InvalidAMIName.Duplicate\)" -- "$bin" copy-image --source-image-id "$dami" --source-region us-east-1 --name dry-ami --dry-run
dry "dry import-image, no file" "\(InvalidParameterValue\).*is not a readable file" -- "$bin" import-image --disk-containers Format=raw,Url=file:///nonexistent.raw --dry-run
dry "dry create-security-group" "\(DryRunOperation\) when calling the CreateSecurityGroup operation: $ok" -- "$bin" create-security-group --group-name dry-db --description x --dry-run
dry "dry create-security-group, name in use" "\(InvalidGroup.Duplicate\)" -- "$bin" create-security-group --group-name dry-web --description x --dry-run
dry "dry authorize" "\(DryRunOperation\) when calling the AuthorizeSecurityGroupIngress operation: $ok" -- "$bin" authorize-security-group-ingress --group-id "$dsg" --protocol tcp --port 80 --cidr 0.0.0.0/0 --dry-run
dry "dry authorize, duplicate" "\(InvalidPermission.Duplicate\)" -- "$bin" authorize-security-group-ingress --group-id "$dsg" --protocol tcp --port 22 --cidr 0.0.0.0/0 --dry-run
dry "dry revoke" "\(DryRunOperation\) when calling the RevokeSecurityGroupIngress operation: $ok" -- "$bin" revoke-security-group-ingress --group-id "$dsg" --protocol tcp --port 22 --cidr 0.0.0.0/0 --dry-run
dry "dry revoke, no such rule" "\(InvalidPermission.NotFound\)" -- "$bin" revoke-security-group-ingress --group-id "$dsg" --protocol tcp --port 80 --cidr 0.0.0.0/0 --dry-run
dry "dry delete-security-group" "\(DryRunOperation\) when calling the DeleteSecurityGroup operation: $ok" -- "$bin" delete-security-group --group-id "$dsg" --dry-run
dry "dry delete-security-group, default" "\(CannotDelete\)" -- "$bin" delete-security-group --group-name default --dry-run
dry "dry create-key-pair" "\(DryRunOperation\) when calling the CreateKeyPair operation: $ok" -- "$bin" create-key-pair --key-name dry-key --dry-run
dry "dry create-key-pair, name in use" "\(InvalidKeyPair.Duplicate\)" -- "$bin" create-key-pair --key-name ed-key --key-type ed25519 --dry-run
dry "dry import-key-pair" "\(DryRunOperation\) when calling the ImportKeyPair operation: $ok" -- "$bin" import-key-pair --key-name dry-key --public-key-material "fileb://$state/mine.pub" --dry-run
dry "dry import-key-pair, bad key" "\(InvalidKey.Format\)" -- "$bin" import-key-pair --key-name dry-key --public-key-material "ssh-rsa !!!" --dry-run
dry "dry delete-key-pair" "\(DryRunOperation\) when calling the DeleteKeyPair operation: $ok" -- "$bin" delete-key-pair --key-name ed-key --dry-run
dry "dry create-tags" "\(DryRunOperation\) when calling the CreateTags operation: $ok" -- "$bin" create-tags --resources "$dami" "$dsg" --tags Key=a,Value=b --dry-run
dry "dry create-tags, an instance" "\(DryRunOperation\)" -- on_node create-tags --resources i-0123456789abcdef0 "$dami" --tags Key=a,Value=b --dry-run
dry "dry create-tags, unknown AMI" "\(InvalidAMIID.NotFound\)" -- "$bin" create-tags --resources ami-0123456789abcdef0 --tags Key=a,Value=b --dry-run
dry "dry delete-tags" "\(DryRunOperation\) when calling the DeleteTags operation: $ok" -- on_node delete-tags --resources i-0123456789abcdef0 "$dami" --dry-run
# Read-only actions answer DryRunOperation too, after their own checks.
dry "dry describe-instances" "\(DryRunOperation\) when calling the DescribeInstances operation: $ok" -- on_node describe-instances --dry-run
dry "dry describe-instances, bad filter" "\(InvalidParameterValue\).*colour" -- "$bin" describe-instances --filters Name=colour,Values=red --dry-run
dry "dry describe-images" "\(DryRunOperation\)" -- "$bin" describe-images --image-ids "$dami" --dry-run
dry "dry describe-images, unknown" "\(InvalidAMIID.NotFound\)" -- "$bin" describe-images --image-ids ami-0123456789abcdef0 --dry-run
dry "dry describe-security-groups" "\(DryRunOperation\)" -- "$bin" describe-security-groups --dry-run
dry "dry describe-key-pairs" "\(DryRunOperation\)" -- "$bin" describe-key-pairs --dry-run
dry "dry describe-tags" "\(DryRunOperation\)" -- "$bin" describe-tags --dry-run
dry "dry describe-instance-types" "\(DryRunOperation\)" -- "$bin" describe-instance-types --dry-run
dry "dry describe-instance-status" "\(DryRunOperation\)" -- on_node describe-instance-status --dry-run
dry "dry describe-instance-attribute" "\(DryRunOperation\)" -- on_node describe-instance-attribute --instance-id i-0123456789abcdef0 --attribute instanceType --dry-run
dry "dry get-console-output, unknown" "\(InvalidInstanceID.NotFound\)" -- "$bin" get-console-output --instance-id i-0123456789abcdef0 --dry-run
dry "dry describe-import-image-tasks" "\(DryRunOperation\)" -- "$bin" describe-import-image-tasks --dry-run
dry "dry describe-instances with --query" "\(DryRunOperation\) when calling the DescribeInstances operation: $ok" -- on_node describe-instances --dry-run --query 'Reservations[].Instances[].InstanceId' --output text
dry "dry stop-instances with --query" "\(DryRunOperation\)" -- on_node stop-instances --instance-ids i-0123456789abcdef0 --dry-run --query 'StoppingInstances[].InstanceId'
expect "--no-dry-run runs" 0 '"InstanceTypes"' -- "$bin" describe-instance-types --instance-types t2.nano --no-dry-run
expect "the dry runs left all as it was" 0 "^dry-ami 1 dry-web 1 ed-key$" -- sh -c "printf '%s %s %s %s %s\n' \"\$('$bin' describe-images --owners self | jq -r '[.Images[].Name] | join(\",\")')\" \"\$('$bin' describe-images --owners self | jq '.Images[0].Tags | length')\" \"\$('$bin' describe-security-groups --group-ids $dsg | jq -r '.SecurityGroups[0].GroupName')\" \"\$('$bin' describe-security-groups --group-ids $dsg | jq '.SecurityGroups[0].IpPermissions | length')\" \"\$('$bin' describe-key-pairs --key-names ed-key | jq -r '.KeyPairs[0].KeyName')\""

# The action has run when a query fails on its answer: the aws CLI's 255 all the same. (The test
# driver stops at once, so the background settling, which now passes the status on, is not run.)
expect "--query failing after stop-instances" 255 "In function abs\(\), invalid type" -- on_node stop-instances --instance-ids i-0123456789abcdef0 --force --query 'abs(StoppingInstances)'

# Elastic IPs and network interfaces (associations need instances: tests/check_address.c).
expect "no interfaces" 0 '"NetworkInterfaces": \[\]' -- "$bin" describe-network-interfaces
expect "unknown interface" 254 "\(InvalidNetworkInterfaceID.NotFound\).*The networkInterface ID 'eni-0123456789abcdef0' does not exist" -- "$bin" describe-network-interfaces --network-interface-ids eni-0123456789abcdef0
expect "interface filter" 0 '"NetworkInterfaces": \[\]' -- "$bin" describe-network-interfaces --filters Name=attachment.device-index,Values=0 --max-results 5
expect "bad interface filter" 254 "\(InvalidParameterValue\).*The filter 'colour' is invalid" -- "$bin" describe-network-interfaces --filters Name=colour,Values=red
eip=$("$bin" allocate-address --domain vpc --tag-specifications 'ResourceType=elastic-ip,Tags=[{Key=Name,Value=cli}]' | jq -r .AllocationId)
eip_ip=$("$bin" describe-addresses --allocation-ids "$eip" | jq -r '.Addresses[0].PublicIp')
expect "address allocated" 0 "^ADDRESSES	$eip	vpc	us-east-1	$eip_ip	amazon$" -- "$bin" describe-addresses --allocation-ids "$eip" --output text
expect "address by public ip" 0 "\"AllocationId\": \"$eip\"" -- "$bin" describe-addresses --public-ips "$eip_ip"
expect "address filter" 0 "\"AllocationId\": \"$eip\"" -- "$bin" describe-addresses --filters Name=tag:Name,Values=cli Name=domain,Values=vpc
expect "address filter misses" 0 '"Addresses": \[\]' -- "$bin" describe-addresses --filters Name=instance-id,Values=i-0123456789abcdef0
expect "create-tags on an Elastic IP" 0 '^$' -- "$bin" create-tags --resources "$eip" --tags Key=env,Value=test
expect "its tag in describe-addresses" 0 "\"AllocationId\": \"$eip\"" -- "$bin" describe-addresses --filters Name=tag:env,Values=test
expect "and in describe-tags, as an elastic-ip" 0 "^TAGS	env	$eip	elastic-ip	test$" -- "$bin" describe-tags --filters Name=resource-id,Values="$eip" Name=key,Values=env --output text
expect "delete-tags on an Elastic IP" 0 '"Addresses": \[\]' -- sh -c "'$bin' delete-tags --resources $eip --tags Key=env && '$bin' describe-addresses --filters Name=tag:env,Values=test"
expect "create-tags on an unknown Elastic IP" 254 "\(InvalidAllocationID.NotFound\).*The allocation ID 'eipalloc-0123456789abcdef0' does not exist" -- "$bin" create-tags --resources eipalloc-0123456789abcdef0 --tags Key=a,Value=b
expect "associate unknown instance" 254 "\(InvalidInstanceID.NotFound\) when calling the AssociateAddress operation: The instance ID 'i-0123456789abcdef0' does not exist" -- "$bin" associate-address --allocation-id "$eip" --instance-id i-0123456789abcdef0 --no-allow-reassociation
expect "associate foreign address" 254 "\(AuthFailure\).*The address '1.2.3.4' does not belong to you." -- "$bin" associate-address --public-ip 1.2.3.4 --instance-id i-0123456789abcdef0
expect "associate unknown allocation" 254 "\(InvalidAllocationID.NotFound\).*'eipalloc-0123456789abcdef0' does not exist" -- "$bin" associate-address --allocation-id eipalloc-0123456789abcdef0 --network-interface-id eni-0123456789abcdef0
expect "disassociate unknown" 254 "\(InvalidAssociationID.NotFound\).*The association ID 'eipassoc-0123456789abcdef0' does not exist" -- "$bin" disassociate-address --association-id eipassoc-0123456789abcdef0
expect "release unknown" 254 "\(InvalidAllocationID.NotFound\)" -- "$bin" release-address --allocation-id eipalloc-0123456789abcdef0
dry "dry allocate-address" "\(DryRunOperation\)" -- "$bin" allocate-address --dry-run
dry "dry release-address" "\(DryRunOperation\)" -- "$bin" release-address --allocation-id "$eip" --dry-run
dry "dry describe-addresses" "\(DryRunOperation\)" -- "$bin" describe-addresses --dry-run
dry "dry describe-network-interfaces" "\(DryRunOperation\)" -- "$bin" describe-network-interfaces --dry-run
for n in 2 3 4 5; do "$bin" allocate-address > /dev/null; done
expect "address limit" 254 "\(AddressLimitExceeded\).*The maximum number of addresses has been reached." -- "$bin" allocate-address
EC2_LITE_ADDRESS_LIMIT=6 expect "address limit setting" 0 '"Domain": "vpc"' -- "$bin" allocate-address
expect "release by public ip" 0 '^$' -- "$bin" release-address --public-ip "$eip_ip"
expect "released" 254 "\(AuthFailure\)" -- "$bin" release-address --public-ip "$eip_ip"
for a in $("$bin" describe-addresses | jq -r '.Addresses[].AllocationId'); do "$bin" release-address --allocation-id "$a"; done
expect "all released" 0 '"Addresses": \[\]' -- "$bin" describe-addresses
# The default VPC, zones, the region and the account (json shapes as the aws CLI prints them).
for c in describe-vpcs describe-subnets describe-internet-gateways describe-route-tables \
	describe-network-acls describe-availability-zones describe-regions describe-account-attributes; do
	expect "help lists $c" 0 "^  $c " -- "$bin" help
done
vpc=$("$bin" describe-vpcs | jq -r '.Vpcs[0].VpcId')
expect "describe-vpcs shape" 0 "^CidrBlock,DhcpOptionsId,State,VpcId,OwnerId,InstanceTenancy,CidrBlockAssociationSet,IsDefault 172.31.0.0/16 true associated$" -- sh -c "'$bin' describe-vpcs | jq -r '.Vpcs[0] | [(keys_unsorted | join(\",\")), .CidrBlock, .IsDefault, .CidrBlockAssociationSet[0].CidrBlockState.State] | join(\" \")'"
expect "describe-subnets: one per zone" 0 "^us-east-1a/use1-az1/172.31.0.0/20/4091 us-east-1b/use1-az2/172.31.16.0/20/4091 us-east-1c/use1-az3/172.31.32.0/20/4091$" -- sh -c "'$bin' describe-subnets | jq -r '[.Subnets[] | \"\(.AvailabilityZone)/\(.AvailabilityZoneId)/\(.CidrBlock)/\(.AvailableIpAddressCount)\"] | join(\" \")'"
expect "describe-subnets shape" 0 "^AvailabilityZone,AvailabilityZoneId,AvailableIpAddressCount,CidrBlock,DefaultForAz,MapPublicIpOnLaunch,MapCustomerOwnedIpOnLaunch,State,SubnetId,VpcId,OwnerId,AssignIpv6AddressOnCreation,Ipv6CidrBlockAssociationSet,SubnetArn,EnableDns64,Ipv6Native,PrivateDnsNameOptionsOnLaunch$" -- sh -c "'$bin' describe-subnets | jq -r '.Subnets[0] | keys_unsorted | join(\",\")'"
expect "describe-subnets filter" 0 "^172.31.16.0/20$" -- sh -c "'$bin' describe-subnets --filters Name=availability-zone,Values=us-east-1b Name=vpc-id,Values=$vpc | jq -r '.Subnets[].CidrBlock'"
expect "describe-subnets, unknown" 254 "^An error occurred \(InvalidSubnetID.NotFound\) when calling the DescribeSubnets operation: The subnet ID 'subnet-12345678' does not exist$" -- "$bin" describe-subnets --subnet-ids subnet-12345678
expect "describe-internet-gateways shape" 0 "^Attachments,InternetGatewayId,OwnerId,Tags available $vpc$" -- sh -c "'$bin' describe-internet-gateways | jq -r '.InternetGateways[0] | [(keys_unsorted | join(\",\")), .Attachments[0].State, .Attachments[0].VpcId] | join(\" \")'"
expect "describe-route-tables shape" 0 "^Associations,PropagatingVgws,RouteTableId,Routes,Tags,VpcId,OwnerId true 172.31.0.0/16>local,0.0.0.0/0>igw-[0-9a-f]{17}$" -- sh -c "'$bin' describe-route-tables | jq -r '.RouteTables[0] | [(keys_unsorted | join(\",\")), .Associations[0].Main, ([.Routes[] | \"\(.DestinationCidrBlock)>\(.GatewayId)\"] | join(\",\"))] | join(\" \")'"
expect "describe-network-acls shape" 0 "^Associations,Entries,IsDefault,NetworkAclId,Tags,VpcId,OwnerId 3 true/100/allow,true/32767/deny,false/100/allow,false/32767/deny$" -- sh -c "'$bin' describe-network-acls | jq -r '.NetworkAcls[0] | [(keys_unsorted | join(\",\")), (.Associations | length), ([.Entries[] | \"\(.Egress)/\(.RuleNumber)/\(.RuleAction)\"] | join(\",\"))] | join(\" \")'"
expect "describe-route-tables, unknown" 254 "\(InvalidRouteTableID.NotFound\).*'rtb-12345678' does not exist" -- "$bin" describe-route-tables --route-table-ids rtb-12345678
expect "describe-availability-zones" 0 "^AVAILABILITYZONES	us-east-1	us-east-1	opt-in-not-required	us-east-1	available	use1-az2	us-east-1b	availability-zone$" -- "$bin" describe-availability-zones --zone-names us-east-1b --output text
expect "describe-availability-zones shape" 0 "^State,OptInStatus,Messages,RegionName,ZoneName,ZoneId,GroupName,NetworkBorderGroup,ZoneType$" -- sh -c "'$bin' describe-availability-zones | jq -r '.AvailabilityZones[0] | keys_unsorted | join(\",\")'"
expect "describe-availability-zones, unknown" 254 "\(InvalidParameterValue\).*Invalid availability zone: \[us-east-1z\]" -- "$bin" describe-availability-zones --zone-names us-east-1z
expect "zones setting" 0 "^us-east-1a us-east-1d$" -- sh -c "EC2_LITE_ZONES=us-east-1a,us-east-1d '$bin' describe-availability-zones | jq -r '[.AvailabilityZones[].ZoneName] | join(\" \")'"
expect "zones setting without the default zone" 255 "availability-zone 'us-east-1b' is not one of the zones" -- sh -c "EC2_LITE_ZONES=us-east-1a '$bin' describe-regions --region-names us-east-1 2>&1; echo '{\"availability-zone\": \"us-east-1b\"}' > '$state/config.json'; EC2_LITE_ZONES=us-east-1a '$bin' describe-regions; st=\$?; rm -f '$state/config.json'; exit \$st"
expect "describe-regions" 0 '^    "Regions": \[$' -- "$bin" describe-regions
expect "describe-regions endpoint" 0 "^REGIONS	ec2.us-east-1.amazonaws.com	opt-in-not-required	us-east-1$" -- "$bin" describe-regions --region-names us-east-1 --output text
expect "describe-account-attributes" 0 "^max-instances=32 default-vpc=$vpc$" -- sh -c "'$bin' describe-account-attributes --attribute-names default-vpc max-instances | jq -r '[.AccountAttributes[] | \"\(.AttributeName)=\(.AttributeValues[0].AttributeValue)\"] | join(\" \")'"
expect "describe-account-attributes, unknown" 254 "\(InvalidParameterValue\)" -- "$bin" describe-account-attributes --attribute-names widgets
dry "dry describe-vpcs" "\(DryRunOperation\) when calling the DescribeVpcs operation: $ok" -- "$bin" describe-vpcs --dry-run
dry "dry describe-subnets, unknown" "\(InvalidSubnetID.NotFound\)" -- "$bin" describe-subnets --subnet-ids subnet-12345678 --dry-run
dry "run-instances, unknown subnet" "\(InvalidSubnetID.NotFound\) when calling the RunInstances operation: The subnet ID 'subnet-12345678' does not exist" -- "$bin" run-instances --image-id "$dami" --subnet-id subnet-12345678
dry "run-instances, unknown zone" "\(InvalidParameterValue\).*Invalid availability zone: \[us-east-1z\]" -- "$bin" run-instances --image-id "$dami" --placement AvailabilityZone=us-east-1z
subnet_b=$("$bin" describe-subnets --filters Name=availability-zone,Values=us-east-1b | jq -r '.Subnets[0].SubnetId')
dry "run-instances, subnet and zone disagree" "\(InvalidParameterCombination\)" -- "$bin" run-instances --image-id "$dami" --subnet-id "$subnet_b" --placement AvailabilityZone=us-east-1a
dry "run-instances, interface and subnet" "\(InvalidParameterCombination\)" -- "$bin" run-instances --image-id "$dami" --subnet-id "$subnet_b" --network-interfaces "DeviceIndex=0,SubnetId=$subnet_b"
dry "dry run-instances, interface" "\(DryRunOperation\)" -- on_node run-instances --image-id "$dami" --network-interfaces "DeviceIndex=0,SubnetId=$subnet_b,Groups=$dsg" --dry-run

# IAM: "ec2-lite iam NAME", as the aws CLI; its errors in the aws CLI's form, exit 254.
for c in "iam create-role" "iam get-role" "iam list-roles" "iam delete-role" "iam put-role-policy" \
	"iam get-role-policy" "iam list-role-policies" "iam delete-role-policy" \
	"iam create-instance-profile" "iam get-instance-profile" "iam list-instance-profiles" \
	"iam list-instance-profiles-for-role" "iam delete-instance-profile" \
	"iam add-role-to-instance-profile" "iam remove-role-from-instance-profile"; do
	expect "help lists $c" 0 "^  $c " -- "$bin" help
done
expect "iam test-only command hidden" 0 "^none$" -- sh -c "'$bin' help | grep -q issue-instance-credentials && echo listed || echo none"
expect "iam unknown command" 252 "unknown command 'iam frobnicate'" -- "$bin" iam frobnicate
expect "iam command help" 0 "--assume-role-policy-document <value> \(required\)" -- "$bin" iam create-role --help
expect "iam no dry run" 252 "unknown option '--dry-run'" -- "$bin" iam list-roles --dry-run
printf '{"Statement": []}' > "$state/trust.json"
expect "iam create-role" 0 '"RoleId": "AROA[A-Z0-9]{17}"' -- "$bin" iam create-role --role-name cli-role --assume-role-policy-document "file://$state/trust.json"
expect "iam get-role, the document as JSON" 0 '"Statement": \[\]' -- "$bin" iam get-role --role-name cli-role
expect "iam create-role twice" 254 "An error occurred \(EntityAlreadyExists\) when calling the CreateRole operation: Role with name cli-role already exists.$" -- "$bin" iam create-role --role-name cli-role --assume-role-policy-document "file://$state/trust.json"
expect "iam put-role-policy, not JSON" 254 "\(MalformedPolicyDocument\)" -- "$bin" iam put-role-policy --role-name cli-role --policy-name p --policy-document nope
expect "iam get-instance-profile, none" 254 "\(NoSuchEntity\) when calling the GetInstanceProfile operation: Instance Profile nope cannot be found.$" -- "$bin" iam get-instance-profile --instance-profile-name nope
expect "iam list-roles, text" 0 "^ROLES" -- "$bin" --output text iam list-roles
expect "iam delete-role" 0 "^$" -- "$bin" iam delete-role --role-name cli-role
expect "iam issue-instance-credentials" 0 '"AccessKeyId": "ASIA' -- "$bin" iam issue-instance-credentials --instance-id i-0123456789abcdef0 --role-name r

# A whole launch in one process is possible with the test driver only through the library
# (see check_lifecycle); here: nothing was left in the state folder by any of the above.
if ! jq -e '.terminated | length == 0' "$state/state.json" > /dev/null || ls "$state/pool" "$state/instances" 2> /dev/null | grep -q '^i-'; then
	failed=$((failed + 1)); echo "FAIL the errors above left instances in the store"
else
	passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

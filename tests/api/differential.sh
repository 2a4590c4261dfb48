#!/bin/sh
# The differential check of the default account's describing actions on libvirt's test driver (no
# VM): what `/usr/bin/aws ec2 ACTION --endpoint-url ...` prints through `ec2-lite serve` equals
# what `ec2-lite ACTION` prints for the same state (JSON compared as data, save for the known
# differences listed below, each with its reason); `aws sts get-caller-identity`; and --query
# parity: JMESPath expressions give the same bytes from `aws ec2 ...` and `ec2-lite ...`, in json
# and in text.
#
# The test driver's state lives in the process that opened it, so the server and each CLI command
# would each see a host of their own. Both therefore open one test-driver node file
# (test:///STATE/node.xml) holding two ec2-lite instances (one running, one stopped, in the
# default subnets of two zones, with protection and source/dest check set), and the comparison
# is made on that state and on what lives in the state folder (Elastic IPs and their
# associations, which each process's instances follow), not after launches or state changes made
# through one of them.
# Usage: differential.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: differential.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
work=$state/work
mkdir "$work"
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
export EC2_LITE_INSTANCE_LIMIT=100 EC2_LITE_MEMORY_OVERCOMMIT=100
log="$state/serve.log"
server=""
. "$here/lib.sh"
trap '[ -z "$server" ] || stop_server; [ -n "${DIFF_KEEP:-}" ] || rm -rf "$state"' EXIT
trap 'exit 1' HUP INT PIPE TERM # (the EXIT trap then stops the server)
passed=0
failed=0
ok() {
	passed=$((passed + 1))
	echo "ok   $*"
}
bad() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# Keys that only one side shows, "ACTION only_cli|only_aws PATH", or whose values may differ,
# "ACTION differs PATH" ([] for any index), each with its reason. The aws CLI 2.9.19 (Debian's) parses the server's XML with botocore 1.29's model of EC2,
# which drops what it does not know; ec2-lite's CLI prints its model's response as it is.
known="
describe-instances only_cli Reservations[].Instances[].CurrentInstanceBootMode
get-password-data differs Timestamp
"
# - Instance.CurrentInstanceBootMode came to EC2 after botocore 1.29's model (as in tests/api/aws.sh).
# - GetPasswordData's Timestamp of an instance without password data is the time of the request:
#   the aws CLI's call and ec2-lite's are made seconds apart.

# The aws CLI's start-up takes seconds on a loaded host: its commands are planned (ec2-lite's run at
# once), then run in one process by awsbatch.py (the same code as /usr/bin/aws), then compared.
planned=0
# plan KIND NAME ACTION FORMAT ARGS...: `aws --output FORMAT ARGS` for the batch, `ec2-lite --output
# FORMAT ARGS` now.
plan() {
	kind=$1 name=$2 action=$3 fmt=$4
	shift 4
	planned=$((planned + 1))
	jq -cn --arg url "http://127.0.0.1:$port" --arg fmt "$fmt" \
		'["--endpoint-url", $url, "--output", $fmt, "ec2"] + $ARGS.positional' --args -- "$@" >> "$work/plan"
	"$bin" --output "$fmt" "$@" > "$work/c$planned.out" 2> "$work/c$planned.err"
	echo $? > "$work/c$planned.rc"
	printf '%s %s %s\n' "$planned" "$kind $action" "$name" >> "$work/index"
}
# same NAME ARGS...: `aws ec2 ARGS` and `ec2-lite ARGS` succeed and print the same data.
same() {
	name=$1
	shift
	plan same "$name" "$1" json "$@"
}
# query NAME FORMAT QUERY ARGS...: `aws ec2 ARGS --query QUERY --output FORMAT` and ec2-lite's
# succeed and print the same bytes.
query() {
	name=$1 fmt=$2 q=$3
	shift 3
	plan query "--query $fmt: $name" "$1" "$fmt" "$@" --query "$q"
}
# compare: runs the planned aws commands and compares each with ec2-lite's.
compare() {
	mkdir -p "$work/a"
	/usr/bin/python3 "$here/awsbatch.py" "$work/plan" "$work/a"
	while read -r n kind action name; do
		arc=$(cat "$work/a/$n.rc") crc=$(cat "$work/c$n.rc")
		if [ "$arc" != 0 ] || [ "$crc" != 0 ]; then
			bad "$name (exit statuses $arc and $crc)"
			cat "$work/a/$n.err" "$work/c$n.err" | grep -v '^$' | head -n 4 | sed 's/^/  /'
		elif [ "$kind" = same ]; then
			if /usr/bin/python3 "$here/samejson.py" "$work/a/$n.out" "$work/c$n.out" "$action" "$known" > "$work/diff"; then
				ok "same through the API and the CLI: $name"
			else
				bad "same through the API and the CLI: $name"
				cat "$work/diff"
			fi
		elif [ -s "$work/a/$n.out" ] && cmp -s "$work/a/$n.out" "$work/c$n.out"; then
			ok "$name: $(head -c 60 "$work/a/$n.out" | tr '\n\t' '  ')"
		else
			bad "$name"
			diff "$work/a/$n.out" "$work/c$n.out" | head -n 10 | sed 's/^/  /'
		fi
	done < "$work/index"
}

# The shared state: an AMI, then the node file with two instances of this state folder's pool in
# the default subnets of two zones (the first and the last the model knows).
head -c 1048576 /dev/zero > "$state/disk.raw"
ami=$("$bin" register-image --name differential --disk "$state/disk.raw" --output text)
pool=$("$bin" doctor | sed -n "s/.*storage-pool.*pool '\([^']*\)'.*/\1/p")
zones=$("$bin" describe-availability-zones 2> /dev/null | jq -r '.AvailabilityZones[].ZoneName' 2> /dev/null)
za=$(printf '%s\n' "$zones" | head -n 1)
zb=$(printf '%s\n' "$zones" | tail -n 1)
subnet_of() {
	"$bin" describe-subnets --filters "Name=availability-zone,Values=$1" Name=default-for-az,Values=true \
		--output json 2> /dev/null | jq -r '.Subnets[0] | .SubnetId + " " + .VpcId + " " + .CidrBlock' 2> /dev/null
}
# shellcheck disable=SC2046 # three words: id, VPC, CIDR
set -- $(subnet_of "${za:-us-east-1a}")
sa=${1:-subnet-0123456789abcdef0} vpc=${2:-vpc-0123456789abcdef0} ca=${3:-172.31.0.0/20}
# shellcheck disable=SC2046
set -- $(subnet_of "${zb:-us-east-1a}")
sb=${1:-$sa} cb=${3:-$ca}
# An address of a subnet: its network address plus N.
ip_in() { /usr/bin/python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1])[int(sys.argv[2])])' "$1" "$2"; }
ia=i-0a1b2c3d4e5f60718 ib=i-0b1c2d3e4f5061728
# Elastic IPs live in the state folder: two allocated through a first server (on an empty test
# driver), before the node file is written, so that the running instance's metadata can name the
# first one as the server's association will (public-ip, eip-allocation-id). The caller's identity
# through STS at the same go.
start_server AKIDEC2LITEDIFF ec2-lite-diff-secret
mkdir "$work/first"
for a in '["ec2", "allocate-address", "--domain", "vpc"]' '["ec2", "allocate-address", "--domain", "vpc"]' \
	'["sts", "get-caller-identity"]'; do
	printf '%s\n' "$a" | jq -c --arg url "http://127.0.0.1:$port" '["--endpoint-url", $url, "--output", "json"] + .'
done > "$work/first/plan"
/usr/bin/python3 "$here/awsbatch.py" "$work/first/plan" "$work/first"
stop_server
server=""
if [ "$(cat "$work/first/1.rc")$(cat "$work/first/2.rc")" = 00 ]; then
	ok "aws ec2 allocate-address, twice"
else
	bad "aws ec2 allocate-address: $(cat "$work/first/1.err")"
fi
alloc=$(jq -r '.AllocationId // empty' "$work/first/1.out" 2> /dev/null)
eip=$(jq -r '.PublicIp // empty' "$work/first/1.out" 2> /dev/null)

domain() { # ID ZONE SUBNET PRIVATE-IP PUBLIC-IP RUNSTATE EXTRA-METADATA
	cat <<EOF
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>$1</name>
    <title>ec2-lite instance</title>
    <metadata>
      <ec2lite:instance xmlns:ec2lite="http://ec2-lite.org/xmlns/instance/1">
        <ec2lite:image-id>$ami</ec2lite:image-id>
        <ec2lite:instance-type>t2.micro</ec2lite:instance-type>
        <ec2lite:reservation-id>r-${1#i-}</ec2lite:reservation-id>
        <ec2lite:launch-time>2026-12-01T07:41:00.000Z</ec2lite:launch-time>
        <ec2lite:launch-index>0</ec2lite:launch-index>
        <ec2lite:hibernation-configured>false</ec2lite:hibernation-configured>
        <ec2lite:shutdown-behavior>stop</ec2lite:shutdown-behavior>
        <ec2lite:client-token></ec2lite:client-token>
        <ec2lite:root-volume-id>vol-${1#i-}</ec2lite:root-volume-id>
        <ec2lite:root-volume>$1-root.qcow2</ec2lite:root-volume>
        <ec2lite:pool>$pool</ec2lite:pool>
        <ec2lite:accelerator>tcg</ec2lite:accelerator>
        <ec2lite:kernel-entry></ec2lite:kernel-entry>
        <ec2lite:transition-reason></ec2lite:transition-reason>
        <ec2lite:state-reason></ec2lite:state-reason>
        <ec2lite:key-name></ec2lite:key-name>
        <ec2lite:console-offset>0</ec2lite:console-offset>
        <ec2lite:private-ip>$4</ec2lite:private-ip>
        <ec2lite:public-ip>$5</ec2lite:public-ip>
        <ec2lite:eni-id>eni-${1#i-}</ec2lite:eni-id>
        <ec2lite:vpc-id>$vpc</ec2lite:vpc-id>
        <ec2lite:subnet-id>$3</ec2lite:subnet-id>
        <ec2lite:availability-zone>$2</ec2lite:availability-zone>
        $7
        <ec2lite:security-groups/>
        <ec2lite:tags><ec2lite:tag key="Name">differential</ec2lite:tag></ec2lite:tags>
      </ec2lite:instance>
    </metadata>
    <memory unit="MiB">1024</memory>
    <vcpu placement="static">1</vcpu>
    <os><type arch="x86_64">hvm</type></os>
    <test:runstate>$6</test:runstate>
  </domain>
EOF
}
# The running instance has metadata options of its own and an IAM instance profile association.
imds_a='<ec2lite:http-tokens>required</ec2lite:http-tokens><ec2lite:http-put-response-hop-limit>2</ec2lite:http-put-response-hop-limit><ec2lite:instance-metadata-tags>enabled</ec2lite:instance-metadata-tags><ec2lite:iam-instance-profile id="AIPA0000000000000WEB1" association-id="iip-assoc-0123456789abcdef0" since="2026-12-01T07:41:00.000Z">arn:aws:iam::123456789012:instance-profile/web</ec2lite:iam-instance-profile>'
{
	echo "<node>"
	domain $ia "${za:-us-east-1a}" "$sa" "$(ip_in "$ca" 9)" "${eip:-127.77.0.9}" 1 \
		"<ec2lite:eip-allocation-id>$alloc</ec2lite:eip-allocation-id><ec2lite:disable-api-termination>true</ec2lite:disable-api-termination><ec2lite:source-dest-check>false</ec2lite:source-dest-check>$imds_a"
	domain $ib "${zb:-us-east-1a}" "$sb" "$(ip_in "$cb" 10)" "" 5 \
		"<ec2lite:disable-api-stop>true</ec2lite:disable-api-stop>"
	echo "</node>"
} > "$state/node.xml"
mkdir -p "$state/instances/$ia" "$state/instances/$ib"
printf '#!/bin/sh\necho differential\n' > "$state/instances/$ia/user-data"
export EC2_LITE_CONNECT="test://$state/node.xml"
start_server AKIDEC2LITEDIFF ec2-lite-diff-secret
n=$("$bin" describe-instances | jq -r '[.Reservations[].Instances[] | .InstanceId + ":" + .State.Name] | sort | join(" ")')
m=$(aws describe-instances | jq -r '[.Reservations[].Instances[] | .InstanceId + ":" + .State.Name] | sort | join(" ")')
if [ "$n" = "$ia:running $ib:stopped" ] && [ "$m" = "$n" ]; then
	ok "both see the node file's two instances: $n"
else
	bad "the node file's instances: ec2-lite describe-instances sees '$n', the server '$m'"
fi

# The first associated with the running instance through the server: the association lives in the
# state folder, the instance's side of it in the node file's metadata that both processes read.
mkdir "$work/second"
jq -cn --arg url "http://127.0.0.1:$port" --arg alloc "${alloc:-eipalloc-none}" --arg i "$ia" \
	'["--endpoint-url", $url, "--output", "json", "ec2", "associate-address", "--allocation-id", $alloc,
	  "--instance-id", $i]' > "$work/second/plan"
/usr/bin/python3 "$here/awsbatch.py" "$work/second/plan" "$work/second"
if [ "$(cat "$work/second/1.rc")" = 0 ]; then
	ok "aws ec2 associate-address: $(jq -r .AssociationId "$work/second/1.out")"
else
	bad "aws ec2 associate-address: $(cat "$work/second/1.err")"
fi
same "describe-instances" describe-instances
same "describe-instance-types with instance storage" describe-instance-types --instance-types m5d.large i3.large r5d.4xlarge
same "describe-vpcs" describe-vpcs
same "describe-vpcs --filters isDefault=true" describe-vpcs --filters Name=isDefault,Values=true
same "describe-subnets" describe-subnets
same "describe-subnets --filters availability-zone=${zb:-?}" describe-subnets --filters "Name=availability-zone,Values=${zb:-us-east-1a}"
same "describe-subnets --subnet-ids $sa" describe-subnets --subnet-ids "$sa"
same "describe-internet-gateways" describe-internet-gateways
same "describe-route-tables" describe-route-tables
same "describe-network-acls" describe-network-acls
same "describe-availability-zones" describe-availability-zones
same "describe-availability-zones --all-availability-zones" describe-availability-zones --all-availability-zones
same "describe-regions" describe-regions
same "describe-regions --all-regions" describe-regions --all-regions
same "describe-account-attributes" describe-account-attributes
same "describe-account-attributes --attribute-names default-vpc" describe-account-attributes --attribute-names default-vpc
same "describe-network-interfaces" describe-network-interfaces
same "describe-network-interfaces --filters attachment.instance-id" describe-network-interfaces --filters "Name=attachment.instance-id,Values=$ib"
# Every attribute of the running one; of the stopped one those that differ between them.
for attr in instanceType kernel ramdisk userData disableApiTermination instanceInitiatedShutdownBehavior \
	rootDeviceName blockDeviceMapping productCodes sourceDestCheck groupSet ebsOptimized \
	sriovNetSupport enaSupport enclaveOptions disableApiStop; do
	same "describe-instance-attribute $ia $attr" describe-instance-attribute --instance-id "$ia" --attribute "$attr"
done
for attr in userData disableApiTermination sourceDestCheck disableApiStop; do
	same "describe-instance-attribute $ib $attr" describe-instance-attribute --instance-id "$ib" --attribute "$attr"
done
same "get-password-data $ia" get-password-data --instance-id "$ia"
same "describe-iam-instance-profile-associations" describe-iam-instance-profile-associations
same "describe-iam-instance-profile-associations --filters instance-id" describe-iam-instance-profile-associations --filters "Name=instance-id,Values=$ia"
same "describe-iam-instance-profile-associations --association-ids" describe-iam-instance-profile-associations --association-ids iip-assoc-0123456789abcdef0
same "get-password-data $ib (stopped)" get-password-data --instance-id "$ib"
same "describe-addresses (two allocated, one associated)" describe-addresses
same "describe-addresses --filters domain=vpc" describe-addresses --filters Name=domain,Values=vpc
same "describe-addresses --filters instance-id" describe-addresses --filters "Name=instance-id,Values=$ia"

# STS: the caller is the account that owns the images.
owner=$("$bin" describe-images --image-ids "$ami" | jq -r '.Images[0].OwnerId')
who=$(cat "$work/first/3.out" "$work/first/3.err")
if [ "$(printf '%s' "$who" | jq -r .Account 2> /dev/null)" = "$owner" ] &&
	printf '%s' "$who" | jq -e --arg o "$owner" '(.Arn | startswith("arn:aws:") and contains(":" + $o + ":")) and (.UserId | length > 0)' > /dev/null 2>&1; then
	ok "aws sts get-caller-identity: account $owner, $(printf '%s' "$who" | jq -r .Arn)"
else
	bad "aws sts get-caller-identity: $who (the images' owner is $owner)"
fi

# --query: the same JMESPath, the same bytes, json and text.
for fmt in json text; do
	query "instance types" "$fmt" 'InstanceTypes[].InstanceType' describe-instance-types --instance-types t2.nano t3.micro
	query "instance storage, its members in the aws CLI's order" "$fmt" 'InstanceTypes[].InstanceStorageInfo' describe-instance-types --instance-types m5d.large i3.large m5.large
	query "instance storage supported" "$fmt" 'InstanceTypes[].[InstanceType, InstanceStorageSupported]' describe-instance-types --instance-types m5d.large m5.large
	query "the default VPC's CIDR" "$fmt" 'Vpcs[?IsDefault].CidrBlock | [0]' describe-vpcs
	query "default subnets by zone" "$fmt" 'sort_by(Subnets, &AvailabilityZone)[?DefaultForAz].[AvailabilityZone, SubnetId, CidrBlock]' describe-subnets
	query "how many zones" "$fmt" 'length(AvailabilityZones)' describe-availability-zones
	query "the default VPC attribute" "$fmt" 'AccountAttributes[?AttributeName==`default-vpc`].AttributeValues[0].AttributeValue' describe-account-attributes
	query "instances as objects" "$fmt" 'Reservations[].Instances[].{Id: InstanceId, Ip: PrivateIpAddress, State: State.Name, Zone: Placement.AvailabilityZone}' describe-instances
	query "interfaces' private IPs" "$fmt" 'NetworkInterfaces[].PrivateIpAddress' describe-network-interfaces
	query "a multiselect list with a filter projection" "$fmt" 'Regions[?starts_with(RegionName, `us-`)].[RegionName, Endpoint]' describe-regions
	query "addresses" "$fmt" 'Addresses[].[AllocationId, PublicIp, Domain]' describe-addresses
	query "an attribute's value" "$fmt" 'DisableApiTermination.Value' describe-instance-attribute --instance-id $ia --attribute disableApiTermination
done

compare
if ! kill -0 "$server" 2> /dev/null; then
	bad "the server is gone"
	tail -n 20 "$log"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

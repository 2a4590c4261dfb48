#!/bin/sh
# The course's demo end to end, on debian-12 (qemu:///system): a t2.micro launched with
# userdata/employee-directory.sh, a key pair and a group that opens HTTP and SSH serves the
# Employee Directory on its public IP; in headless Chromium (chromedriver) the page renders and an
# employee added with a photo through the form is listed with it after a reload; ssh with the
# created key runs a command in the guest; closing port 80 refuses the page and opening it brings
# it back; stop and start keep the employee (the disk persists, the app comes back by itself on a
# new public IP); after terminate nothing is left on disk or in libvirt.
# Then the course's reuse story: create-image --no-reboot of the configured instance while it
# serves (the app answers all through), an instance from the image beside its source (the suite
# runs at most two guests at once), serving the employee added before the image, with an
# instance id, machine-id, SSH host key, private and public IP of its own (not its source's),
# running its own user-data: MIME multipart, a #cloud-config part and a #! part, on a root
# volume cloud-init grows to 4 GiB. The debian-12
# AMI (debootstrap, cloud-init) is checked along the way: cloud-init done, multi-user reached,
# the guest agent, the kernel's messages on the console, its base never written.
# Usage: employee.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: employee.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd
app="$here/../../userdata/employee-directory.sh"
# browse MODE ...: tests/vm/browser.py; its steps shown (on stderr, which check leaves alone), its
# exit status kept.
browse() {
	out=$(/usr/bin/python3 "$here/browser.py" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/  /' >&2
	return $rc
}
guest_ssh() {
	ssh -i "$work/key.pem" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=20 -o LogLevel=ERROR "admin@$1" "$2"
}

ami=$("$bin" build-ami debian-12 | jq -r .ImageId)
check "debian-12 is there" '[ -n "$ami" ] && [ "$ami" != null ]'
base=$(ls "$state/pool/$ami".*)
sum_before=$(sha256sum "$base" | cut -d' ' -f1)
"$bin" create-key-pair --key-name directory-key | jq -r .KeyMaterial > "$work/key.pem"
chmod 600 "$work/key.pem"
check "create-key-pair gave a private key" grep -q "BEGIN RSA PRIVATE KEY" "$work/key.pem"
sg=$("$bin" create-security-group --group-name directory-web --description "HTTP, HTTPS and SSH" | jq -r .GroupId)
for port in 80 443 22; do
	"$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port $port --cidr 0.0.0.0/0 > /dev/null
done
check "the group opens 80, 443 and 22" [ "$("$bin" describe-security-groups --group-ids "$sg" | jq -c '[.SecurityGroups[0].IpPermissions[].FromPort] | sort')" = "[22,80,443]" ]

t=$(now)
id=$("$bin" run-instances --image-id "$ami" --instance-type t2.micro --key-name directory-key \
	--security-group-ids "$sg" --user-data "file://$app" \
	--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=employee-directory}]' |
	jq -r '.Instances[0].InstanceId')
ip=$(desc "$id" PublicIpAddress)
check "launched with a public IP ($ip)" [ -n "$ip" ]
check "the app answers on http://$ip/" wait_http "http://$ip/" 600 "$id"
echo "  debian-12: run-instances to HTTP 200 from the app: $(since "$t") s"
check "wait instance-status-ok" "$bin" wait instance-status-ok --instance-ids "$id"
check "the user-data is kept, base64 as EC2 gives it" [ "$("$bin" describe-instance-attribute --instance-id "$id" --attribute userData | jq -r .UserData.Value | base64 -d | sha256sum)" = "$(sha256sum < "$app")" ]
check "the user-data's output is on the console" sh -c "'$bin' get-console-output --instance-id $id | jq -r .Output | grep -aq 'employee-directory: installed'"
written=$(qemu-img info -U --output json "$state/pool/$id-root.qcow2" | jq '."actual-size"')
check "its overlay holds what the guest wrote ($((written / 1048576)) MiB), not the AMI" [ "$written" -gt 4194304 ]

/usr/bin/python3 "$here/browser.py" photo "$work/photo.png"
check "in Chromium: the directory renders, empty" browse empty "http://$ip/" "$work/empty.png"
check "in Chromium: an employee added with a photo is listed with it after a reload" \
	browse add "http://$ip/" "Ada Lovelace" "$work/photo.png" "$work/added.png"

check "ssh with the created key runs a command in the guest" [ "$(guest_ssh "$ip" 'cat /var/lib/cloud/data/instance-id')" = "$id" ]
check "the key is the default user's only key" [ "$(guest_ssh "$ip" 'wc -l < ~/.ssh/authorized_keys' | tr -d ' ')" = 1 ]
src_machine_id=$(guest_ssh "$ip" 'cat /etc/machine-id')
check "the source has a machine-id ($src_machine_id)" [ -n "$src_machine_id" ]

# --- The instance metadata service, from inside: IMDSv2 and v1 with curl, the options changed
# while it runs, the SDK's own fetchers, and a walk of the whole tree. ---
# imds V PATH: "BODY CODE" of a GET of http://169.254.169.254/PATH in the guest, with a session
# token (V=2) or without (V=1).
imds() {
	if [ "$1" = 2 ]; then
		guest_ssh "$ip" "t=\$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token); curl -s -w ' %{http_code}' -H \"X-aws-ec2-metadata-token: \$t\" http://169.254.169.254/$2"
	else
		guest_ssh "$ip" "curl -s -w ' %{http_code}' http://169.254.169.254/$2"
	fi
}
code() { imds "$1" "$2" | tail -n 1 | awk '{print $NF}'; } # the status after any body
check "IMDSv2: instance-id" [ "$(imds 2 latest/meta-data/instance-id)" = "$id 200" ]
check "IMDSv2: public-ipv4 is the public IP" [ "$(imds 2 latest/meta-data/public-ipv4)" = "$ip 200" ]
check "IMDSv2: local-ipv4 and placement are described's" [ "$(imds 2 latest/meta-data/local-ipv4) $(imds 2 latest/meta-data/placement/availability-zone)" = "$(desc "$id" PrivateIpAddress) 200 $(desc "$id" Placement.AvailabilityZone) 200" ]
doc=$(guest_ssh "$ip" "t=\$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token); curl -s -H \"X-aws-ec2-metadata-token: \$t\" http://169.254.169.254/latest/dynamic/instance-identity/document")
check "the identity document is the instance's" [ "$(printf '%s' "$doc" | jq -r '[.instanceId, .imageId, .instanceType, .privateIp, .availabilityZone, .region, .accountId] | join(" ")')" = "$id $ami t2.micro $(desc "$id" PrivateIpAddress) $(desc "$id" Placement.AvailabilityZone) us-east-1 $("$bin" describe-instances --instance-ids "$id" | jq -r '.Reservations[0].OwnerId')" ]
check "IMDSv1 answers while HttpTokens is optional" [ "$(imds 1 latest/meta-data/instance-id)" = "$id 200" ]
check "modify-instance-metadata-options: HttpTokens required, on the running instance" "$bin" modify-instance-metadata-options --instance-id "$id" --http-tokens required
check "described as required" [ "$(desc "$id" MetadataOptions.HttpTokens)" = required ]
check "required: IMDSv1 gets 401" [ "$(code 1 latest/meta-data/instance-id)" = 401 ]
check "required: IMDSv2 still answers" [ "$(imds 2 latest/meta-data/instance-id)" = "$id 200" ]
check "HttpEndpoint disabled" "$bin" modify-instance-metadata-options --instance-id "$id" --http-endpoint disabled
check "disabled: every request is refused (403)" '[ "$(code 2 latest/meta-data/instance-id)" = 403 ] && [ "$(code 1 latest/meta-data/)" = 403 ]'
check "enabled again, tokens optional" "$bin" modify-instance-metadata-options --instance-id "$id" --http-endpoint enabled --http-tokens optional
check "IMDSv1 answers again" [ "$(imds 1 latest/meta-data/instance-id)" = "$id 200" ]
check "the AMI's ec2-metadata says who it is" [ "$(guest_ssh "$ip" 'ec2-metadata -i -z')" = "$(printf 'instance-id: %s\nplacement: %s' "$id" "$(desc "$id" Placement.AvailabilityZone)")" ]
check "botocore's own fetchers: the region from IMDS" [ "$(guest_ssh "$ip" "python3 -c 'from botocore.utils import InstanceMetadataRegionFetcher as F; print(F().retrieve_region())'")" = us-east-1 ]
# A walk of the whole tree as a person does it with curl: every listed entry answers 200.
cat > "$work/walk.sh" <<'WALK'
t=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)
get() { curl -s -o "$2" -w '%{http_code}' -H "X-aws-ec2-metadata-token: $t" "http://169.254.169.254/latest/$1"; }
walk() {
	for e in $(cat "$2"); do
		case $e in
		*=*) e=${e%%=*}/ ;; # public-keys/: 0=NAME
		esac
		c=$(get "$1$e" /tmp/walk.$$)
		echo "$c $1$e"
		case $e in */) cp /tmp/walk.$$ /tmp/walk.$$.d.$(echo "$1$e" | tr / _); walk "$1$e" /tmp/walk.$$.d.$(echo "$1$e" | tr / _) ;; esac
	done
}
get meta-data/ /tmp/walk.top > /dev/null
walk meta-data/ /tmp/walk.top
rm -f /tmp/walk.*
WALK
guest_ssh "$ip" "sh -s" < "$work/walk.sh" > "$work/walk.out"
check "a curl walk of meta-data/ reaches $(wc -l < "$work/walk.out") paths, each 200" \
	'[ "$(wc -l < "$work/walk.out")" -ge 40 ] && ! grep -v "^200 " "$work/walk.out"'
check "the walk found the interface's subnet and the public key" \
	'grep -q "^200 meta-data/network/interfaces/macs/.*/subnet-id$" "$work/walk.out" && grep -q "^200 meta-data/public-keys/0/openssh-key$" "$work/walk.out"'

check "revoke HTTP" "$bin" revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0
check "the page is refused" [ "$(http_code "http://$ip/")" = 000 ]
check "authorize HTTP again" "$bin" authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 80 --cidr 0.0.0.0/0
check "the page is back at once" [ "$(http_code "http://$ip/")" = 200 ]

# UDP rules are EC2 state and open nothing here: under restrict=on libslirp drops every datagram
# the guest sends but DHCP and TFTP, so a UDP forward could never answer (README, Security
# groups). The rule is kept and described; no host socket is bound for it.
check "authorize UDP 5005" "$bin" authorize-security-group-ingress --group-id "$sg" --protocol udp --port 5005 --cidr 0.0.0.0/0
check "the UDP rule is described" '[ "$("$bin" describe-security-groups --group-ids "$sg" | jq "[.SecurityGroups[0].IpPermissions[] | select(.IpProtocol == \"udp\" and .FromPort == 5005)] | length")" = 1 ]'
check "TCP 80 still listens on the public IP" '[ -n "$(ss -Htln "src $ip:80")" ]'
check "no UDP socket is bound on the public IP for it" '[ -z "$(ss -Huln "src $ip")" ]'
check "revoke UDP 5005" "$bin" revoke-security-group-ingress --group-id "$sg" --protocol udp --port 5005 --cidr 0.0.0.0/0

check "stop" "$bin" stop-instances --instance-ids "$id"
check "stopped" "$bin" wait instance-stopped --instance-ids "$id"
check "start" "$bin" start-instances --instance-ids "$id"
ip2=$(desc "$id" PublicIpAddress)
check "the app comes back by itself on the new public IP ($ip2)" wait_http "http://$ip2/" 600 "$id"
check "in Chromium: after stop and start the employee and the photo are still there" \
	browse check "http://$ip2/" "Ada Lovelace" "$work/after-restart.png"
check "the user-data did not run again" [ "$("$bin" get-console-output --instance-id "$id" | jq -r .Output | grep -ac 'employee-directory: installed')" -eq 1 ]

# The golden image is one for EC2's cloud-init datasource: from now on the source's cloud-init
# reads only the instance metadata service, so the image's instances get no NoCloud seed and
# cloud-init takes their instance id, host name, key and user-data from IMDS.
check "the source's cloud-init is set to read only IMDS (datasource_list: Ec2)" \
	guest_ssh "$ip2" "echo 'datasource_list: [ Ec2, None ]' | sudo tee /etc/cloud/cloud.cfg.d/95_ec2.cfg > /dev/null"

# --- The golden image (the course's reuse story): an AMI of the configured instance, made while
# it serves; a server from it, beside its source, a machine of its own. (One copy, not two: two
# booting at once took 130 to 170 s on 2 cores, one about 50 s; the copy against its running
# source checks the same thing, that nothing of the source's identity is copied.) ---
poll() { while :; do printf '%s %s\n' "$(date +%s.%N)" "$(http_code "http://$ip2/")"; sleep 0.25; done; }
poll > "$work/poll.log" 2>&1 &
poller=$!
t=$(now)
golden=$("$bin" create-image --instance-id "$id" --name employee-directory-golden --no-reboot \
	--description "Employee Directory with Ada" | jq -r .ImageId)
check "create-image --no-reboot of the serving instance ($golden)" "$bin" wait image-available --image-ids "$golden"
echo "  debian-12: create-image --no-reboot to available: $(since "$t") s"
kill "$poller"
wait "$poller" 2> /dev/null
answered=$(grep -c ' 200$' "$work/poll.log")
missed=$(grep -vc ' 200$' "$work/poll.log")
check "the app answered all through the copy ($answered answers, $missed misses)" '[ "$missed" -eq 0 ] && [ "$answered" -gt 10 ]'
consistency=$("$bin" describe-images --image-ids "$golden" | jq -r '.Images[0].Tags[] | select(.Key == "ec2-lite:consistency") | .Value')
check "its filesystems were frozen for a moment only ($consistency)" sh -c "echo '$consistency' | grep -q 'frozen through the guest agent for [0-9]* ms'"
check "the source is still running" [ "$(desc "$id" State.Name)" = running ]
check "and still serves" [ "$(http_code "http://$ip2/")" = 200 ]
# identity ID PUBLIC-IP: the instance's id, private IP, public IP, machine-id and SSH host key,
# on one line of $work/identities.
identity() {
	printf '%s %s %s %s %s\n' "$1" "$(desc "$1" PrivateIpAddress)" "$2" \
		"$(guest_ssh "$2" 'cat /etc/machine-id')" \
		"$(guest_ssh "$2" 'cut -d" " -f2 /etc/ssh/ssh_host_ed25519_key.pub')" >> "$work/identities"
}
# The source's identity, against which the copy's is compared below; the source runs on until
# the copy's checks are done.
rm -f "$work/identities"
identity "$id" "$ip2"
# The copy gets user-data of its own, MIME multipart as the aws CLI's users write it (a
# #cloud-config part and a #! part), and a root volume larger than the image.
cat > "$work/ud.mime" <<'UD'
Content-Type: multipart/mixed; boundary="==EC2LITE=="
MIME-Version: 1.0

--==EC2LITE==
Content-Type: text/cloud-config; charset="us-ascii"

#cloud-config
write_files:
  - path: /root/written-by-cloud-config
    content: "cloud-config part ran\n"
runcmd:
  - [ sh, -c, "echo EC2LITE-COPY cloud-config runcmd ran" ]

--==EC2LITE==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
echo "EC2LITE-COPY user-data ran on $(hostname) as $(id -un)"
echo "EC2LITE-COPY root size $(df -BG --output=size / | tail -n 1 | tr -d ' G')"
echo "EC2LITE-COPY cloud-config file: $(cat /root/written-by-cloud-config)"
python3 - <<'PY'
import urllib.request
import boto3
from botocore.exceptions import ClientError
try:
    imds = "http://169.254.169.254/latest/"
    token = urllib.request.urlopen(urllib.request.Request(imds + "api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})).read().decode()
    iid = urllib.request.urlopen(urllib.request.Request(imds + "meta-data/instance-id", headers={"X-aws-ec2-metadata-token": token})).read().decode()
    ec2 = boto3.client("ec2")
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "TaggedBy", "Value": iid}])
    print("EC2LITE-COPY boto3 tagged", iid, flush=True)
    try:
        ec2.stop_instances(InstanceIds=[iid], DryRun=True)
        print("EC2LITE-COPY boto3 stop: allowed", flush=True)
    except ClientError as e:
        print("EC2LITE-COPY boto3 stop:", e.response["Error"]["Code"], flush=True)
    print("EC2LITE-COPY boto3 caller", boto3.client("sts").get_caller_identity()["Arn"], flush=True)
    c = boto3.Session().get_credentials().get_frozen_credentials()
    print("EC2LITE-COPY boto3 credentials", c.access_key, c.secret_key, c.token, flush=True)
except Exception as e:
    print("EC2LITE-COPY boto3 failed:", repr(e), flush=True)
PY
--==EC2LITE==--
UD
# The seed's "employee web app role": the copy's user-data reaches the EC2 API with boto3 and no
# keys, through the role's credentials from IMDS, with the policy's actions and no more. The API
# server runs for it (instances reach it at 169.254.169.254:8773).
log="$work/serve.log"
. "$here/../api/lib.sh"
start_server AKIDEMPLOYEETEST employee-test-secret
# The state folder's own clean-up (lib.sh) goes on after the server's.
if [ "${shared:-0}" = 1 ] && [ -n "${EC2LITE_SHARED_STATE:-}" ]; then cleanup=shared_state_cleanup; else cleanup=tmp_state_cleanup; fi
trap "stop_server; $cleanup" EXIT
cat > "$work/trust.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
JSON
cat > "$work/policy.json" <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:CreateTags"], "Resource": "*"}]}
JSON
check "create the employee web app role" "$bin" iam create-role --role-name employee-web-app-role --assume-role-policy-document "file://$work/trust.json"
check "its policy allows DescribeInstances and CreateTags" "$bin" iam put-role-policy --role-name employee-web-app-role --policy-name ec2-tags --policy-document "file://$work/policy.json"
check "an instance profile holds it" sh -c "'$bin' iam create-instance-profile --instance-profile-name employee-web-app > /dev/null && '$bin' iam add-role-to-instance-profile --instance-profile-name employee-web-app --role-name employee-web-app-role"
t=$(now)
copies=$("$bin" run-instances --image-id "$golden" --instance-type t2.micro --count 1 --key-name directory-key \
	--security-group-ids "$sg" --user-data "file://$work/ud.mime" --iam-instance-profile Name=employee-web-app \
	--block-device-mappings 'DeviceName=/dev/xvda,Ebs={VolumeSize=4}' | jq -r '.Instances[].InstanceId')
check "an instance from the golden image" [ "$(echo $copies | wc -w)" -eq 1 ]
for c in $copies; do
	cip=$(desc "$c" PublicIpAddress)
	check "$c serves the directory on $cip" wait_http "http://$cip/" 900 "$c"
	check "$c lists the employee added before the image" sh -c "curl -s http://$cip/ | grep -q 'Ada Lovelace'"
	check "$c is instance $c to cloud-init (its own per-instance run)" [ "$(curl -s "http://$cip/info" | jq -r .instance_id)" = "$c" ]
	check "$c ran its own user-data's #! part, on a host named as EC2 names it" wait_console "$c" "EC2LITE-COPY user-data ran on ip-$(desc "$c" PrivateIpAddress | tr . -) as root" 300
	check "$c ran its #cloud-config part (write_files, runcmd)" \
		'wait_console "$c" "EC2LITE-COPY cloud-config file: cloud-config part ran" 120 && wait_console "$c" "EC2LITE-COPY cloud-config runcmd ran" 120'
	check "$c has no NoCloud seed: its image's cloud-init reads IMDS" sh -c "! virsh -q domblklist $c | grep -q seed.iso"
	check "$c: cloud-init's datasource is EC2's" 'guest_ssh "$cip" "cloud-init status --wait --long" | grep -q DataSourceEc2'
	check "$c: cloud-init query says aws and the instance's id" [ "$(guest_ssh "$cip" "sudo cloud-init query -f '{{v1.cloud_name}} {{v1.instance_id}}'")" = "aws $c" ]
	check "$c: boto3 in its user-data tagged the instance itself, through its role" wait_console "$c" "EC2LITE-COPY boto3 tagged $c" 120
	check "$c: the tag is there" [ "$("$bin" describe-instances --instance-ids "$c" | jq -r '.Reservations[0].Instances[0].Tags[]? | select(.Key == "TaggedBy") | .Value')" = "$c" ]
	check "$c: an action the policy leaves out is UnauthorizedOperation" wait_console "$c" "EC2LITE-COPY boto3 stop: UnauthorizedOperation" 30
	check "$c: STS names the assumed role" wait_console "$c" "EC2LITE-COPY boto3 caller arn:aws:sts::[0-9]*:assumed-role/employee-web-app-role/$c" 30
	size=$(console "$c" | sed -n 's/.*EC2LITE-COPY root size \([0-9]*\).*/\1/p' | tail -n 1 | tr -d '\r')
	check "$c grew its root filesystem into the 4 GiB volume (saw ${size:-?} G)" [ "${size:-0}" -ge 3 ]
	identity "$c" "$cip"
done
echo "  the copy to HTTP 200: $(since "$t") s"
sed 's/^/  | /' "$work/identities"
for col in 2 3 4 5; do
	what=$(echo "private-IP public-IP machine-id host-key" | cut -d' ' -f$((col - 1)))
	check "the copy and its source each have their own $what" '[ "$(cut -d" " -f$col "$work/identities" | grep -c .)" -eq 2 ] &&
		[ "$(cut -d" " -f$col "$work/identities" | sort -u | wc -l)" -eq 2 ]'
done
check "the copy has not the machine-id the source had before the image" sh -c "! grep -v '^$id ' '$work/identities' | grep -q '$src_machine_id'"
first=$(echo $copies | cut -d' ' -f1)
fip=$(desc "$first" PublicIpAddress)
check "cloud-init says done" [ "$(guest_ssh "$fip" 'cloud-init status')" = "status: done" ]
# NetworkIn/NetworkOut, sampled by the server from the guest agent's interface counters (the
# pages and ssh sessions above went through the copy's NIC).
net_sum() {
	/usr/bin/aws --endpoint-url "http://127.0.0.1:$port" --output json cloudwatch get-metric-statistics \
		--namespace AWS/EC2 --metric-name "$1" --dimensions "Name=InstanceId,Value=$first" \
		--start-time "$(date -u -d '-30 min' +%Y-%m-%dT%H:%M:%SZ)" \
		--end-time "$(date -u -d '+5 min' +%Y-%m-%dT%H:%M:%SZ)" --period 60 --statistics Sum |
		jq '[.Datapoints[].Sum] | add // 0 | floor'
}
wait_net() {
	i=0
	until [ "$(net_sum "$1")" -gt 0 ] || [ $i -ge 60 ]; do
		sleep 2
		i=$((i + 1))
	done
	[ $i -lt 60 ]
}
check "CloudWatch's NetworkIn of $first counts the bytes it received" wait_net NetworkIn
check "and NetworkOut the bytes it sent ($(net_sum NetworkIn) in, $(net_sum NetworkOut) out)" wait_net NetworkOut
check "botocore's InstanceMetadataFetcher gets the role's credentials from IMDS" [ "$(guest_ssh "$fip" "python3 -c 'from botocore.utils import InstanceMetadataFetcher as F; c = F().retrieve_iam_role_credentials(); print(c[\"role_name\"], c[\"access_key\"][:4], bool(c[\"token\"]))'")" = "employee-web-app-role ASIA True" ]
check "multi-user.target is active" [ "$(guest_ssh "$fip" 'systemctl is-active multi-user.target')" = active ]
check "the guest agent answers" virsh -q qemu-agent-command "$first" '{"execute":"guest-ping"}'
check "the console has the kernel's boot messages" sh -c "'$bin' get-console-output --instance-id $first | jq -r .Output | grep -aq 'Linux version'"
check "the debian-12 AMI's base is unchanged (checksum)" [ "$(sha256sum "$base" | cut -d' ' -f1)" = "$sum_before" ]
# cred_call: DescribeInstances with those credentials, from the host through the server.
cred_call() {
	AWS_ACCESS_KEY_ID=$(echo "$creds" | cut -d' ' -f1) AWS_SECRET_ACCESS_KEY=$(echo "$creds" | cut -d' ' -f2) \
		AWS_SESSION_TOKEN=$(echo "$creds" | cut -d' ' -f3) /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" ec2 describe-instances 2>&1
}
creds=$(console "$first" | sed -n 's/.*EC2LITE-COPY boto3 credentials \(.*\)/\1/p' | tail -n 1 | tr -d '\r')
check "the role's credentials were printed by $first" [ "$(echo "$creds" | wc -w)" -eq 3 ]
check "while $first runs they are taken" 'cred_call | grep -q "\"Reservations\""'
"$bin" terminate-instances --instance-ids $copies "$id" > /dev/null
check "the copy and its source terminate" "$bin" wait instance-terminated --instance-ids $copies "$id"
check "after terminate the instance's credentials are refused" 'cred_call | grep -q "AuthFailure\|InvalidClientTokenId\|ExpiredToken"'
check "deregister the golden image" "$bin" deregister-image --image-id "$golden"
check "its disk is gone" [ ! -e "$state/pool/$golden.qcow2" ]

# After terminate (the source's, above) nothing of it is left on disk or in libvirt.
check "no domain is left" sh -c "! virsh -q dominfo $id > /dev/null 2>&1"
check "no root volume is left" [ ! -e "$state/pool/$id-root.qcow2" ]
check "no instance folder (seed, console, user-data)" [ ! -e "$state/instances/$id" ]
check "no forward is left" [ "$(jq '.Forwards | length' "$state/forwarder.json")" -eq 0 ]
check "no managed-save image" sh -c "! ls /var/lib/libvirt/qemu/save/$id.save > /dev/null 2>&1"
check "the instance is described as terminated, with its volume gone" [ "$(desc "$id" State.Name)/$(desc "$id" 'BlockDeviceMappings | length')" = terminated/0 ]
stop_server
trap "$cleanup" EXIT

finish

#!/bin/sh
# Networking and security groups with real tiny guests (qemu:///system), inside the network rule
# (the host reaches guests only over 127.0.0.0/8): each instance has a private IP of the default
# subnet and a public IP of its own on 127.77.0.0/16, both distinct; port 80 answers where the
# instance's group allows it and is refused where not; an authorize on a running instance opens
# the port at once and a revoke closes it at once; the guest has no route out; the public IP is
# released at stop and a new one given at start, an Elastic IP stays and its port follows it at
# once; a type changed while stopped is what the guest sees (vCPUs, memory) at its next boot;
# delete-security-group is refused while in use;
# the console keeps the guest's boot messages and the user-data's output; nothing is left after
# terminate (no domain, no forwarder, no port).
# Usage: network.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: network.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
shared=1
. "$here/lib.sh"
require_libvirtd
web="$here/../../userdata/web-server.sh"

tiny=$("$bin" build-ami tiny | jq -r .ImageId)
check "tiny built" [ -n "$tiny" ]
web_sg=$("$bin" create-security-group --group-name web --description "HTTP from anywhere" | jq -r .GroupId)
closed_sg=$("$bin" create-security-group --group-name closed --description "nothing open" | jq -r .GroupId)
check "allow HTTP in the web group" "$bin" authorize-security-group-ingress --group-id "$web_sg" --protocol tcp --port 80 --cidr 0.0.0.0/0

# A user-data that serves port 80 and says what the guest's network looks like.
cat > "$work/ud.sh" <<UD
#!/bin/sh
i=0
until ip -4 addr show eth0 | grep -q inet || [ \$i -ge 20 ]; do sleep 0.5; i=\$((i + 1)); done
echo "NET routes: \$(ip route | tr '\n' ';')"
# The metadata service, IMDSv1 as busybox's wget asks it; and at every boot, the public IP it says.
echo "IMDS instance-id: \$(wget -q -O - http://169.254.169.254/latest/meta-data/instance-id)"
echo "IMDS zone: \$(wget -q -O - http://169.254.169.254/latest/meta-data/placement/availability-zone)"
mkdir -p /var/lib/ec2-lite/per-boot
printf '#!/bin/sh\necho "IMDS public-ipv4: \$(wget -q -O - http://169.254.169.254/latest/meta-data/public-ipv4)"\n' > /var/lib/ec2-lite/per-boot/imds-ip
chmod +x /var/lib/ec2-lite/per-boot/imds-ip
nc -w 2 198.51.100.1 80 < /dev/null 2>&1 | sed 's/^/NET outbound: /'
$(sed 1d "$web")
httpd -p 8080 -h /var/www
i=0
until wget -q -O /dev/null http://127.0.0.1/ || [ \$i -ge 20 ]; do sleep 0.5; i=\$((i + 1)); done
[ \$i -lt 20 ] && echo "NET self: port 80 answers"
UD
t=$(now)
open_id=$("$bin" run-instances --image-id "$tiny" --instance-type t2.nano --security-group-ids "$web_sg" --user-data "file://$work/ud.sh" | jq -r '.Instances[0].InstanceId')
# The second one in another zone's default subnet (172.31.16.0/20): its QEMU network is that subnet.
closed_id=$("$bin" run-instances --image-id "$tiny" --instance-type t2.nano --placement AvailabilityZone=us-east-1b --security-group-ids "$closed_sg" --user-data "file://$work/ud.sh" | jq -r '.Instances[0].InstanceId')
open_ip=$(desc "$open_id" PublicIpAddress)
closed_ip=$(desc "$closed_id" PublicIpAddress)
open_priv=$(desc "$open_id" PrivateIpAddress)
closed_priv=$(desc "$closed_id" PrivateIpAddress)
check "public IPs on 127.77.0.0/16 ($open_ip, $closed_ip)" sh -c "echo '$open_ip $closed_ip' | grep -Eq '^127\.77\.[0-9]+\.[0-9]+ 127\.77\.[0-9]+\.[0-9]+$'"
check "public IPs distinct" [ "$open_ip" != "$closed_ip" ]
check "private IPs in their zones' subnets, 172.31.0.0/20 and 172.31.16.0/20 ($open_priv, $closed_priv)" sh -c "echo '$open_priv $closed_priv' | grep -Eq '^172\.31\.([0-9]|1[0-5])\.[0-9]+ 172\.31\.(1[6-9]|2[0-9]|3[01])\.[0-9]+$'"
check "the second is in us-east-1b's subnet" [ "$(desc "$closed_id" Placement.AvailabilityZone) $(desc "$closed_id" SubnetId)" = "us-east-1b $("$bin" describe-subnets --filters Name=availability-zone,Values=us-east-1b | jq -r '.Subnets[0].SubnetId')" ]
check "private IPs distinct" [ "$open_priv" != "$closed_priv" ]
check "the NIC and the private DNS name are described" [ "$(desc "$open_id" 'NetworkInterfaces[0].PrivateIpAddress') $(desc "$open_id" PrivateDnsName)" = "$open_priv ip-$(echo "$open_priv" | tr . -).ec2.internal" ]
check "the web server runs (allowed port 80)" wait_http "http://$open_ip/" 180 "$open_id"
echo "  tiny: run-instances to HTTP 200 through the port forwarder: $(since "$t") s"
check "the page names the instance" sh -c "curl -s http://$open_ip/ | grep -q 'Hello from $open_id'"
check "the guest got its private IP from DHCP" wait_console "$open_id" "src $open_priv" 30
# QEMU's network is 168.0.0.0/5, which holds 169.254.169.254 (docs/IMDS.md); router and DHCP are
# the subnet's.
check "so did the one in 172.31.16.0/20, on-link to the metadata service" wait_console "$closed_id" "168.0.0.0/5 dev eth0.*src $closed_priv" 60
check "IMDSv1 from tiny's user-data: each instance reads its own id" \
	'wait_console "$open_id" "IMDS instance-id: $open_id" 60 && wait_console "$closed_id" "IMDS instance-id: $closed_id" 60'
# The zone's line follows the id's: wait for it too (the guest may not have printed it yet).
check "and its own zone" \
	'wait_console "$open_id" "IMDS zone: us-east-1a" 60 && wait_console "$closed_id" "IMDS zone: us-east-1b" 60'
check "the first boot's public-ipv4 is the public IP" wait_console "$open_id" "IMDS public-ipv4: $open_ip" 60
check "the guest has no default route" sh -c "! '$bin' get-console-output --instance-id $open_id | jq -r .Output | grep -a 'NET routes' | grep -q default"
check "the guest cannot reach outside" sh -c "'$bin' get-console-output --instance-id $open_id | jq -r .Output | grep -a 'NET outbound' | grep -q unreachable"
served_by=$(curl -s "http://$open_ip/" | sed -n 's/.*Served by <b>\([^<]*\)<.*/\1/p')
check "its hostname is EC2's ($served_by)" [ "$served_by" = "ip-$(echo "$open_priv" | tr . -)" ]

# A port from 1024 up is QEMU's own host forward, not the forwarder's.
check "authorize 8080 in the web group" "$bin" authorize-security-group-ingress --group-id "$web_sg" --protocol tcp --port 8080 --cidr 0.0.0.0/0
check "port 8080 answers on the public IP" wait_http "http://$open_ip:8080/" 30 "$open_id"
check "the same page" sh -c "curl -s http://$open_ip:8080/ | grep -q 'Hello from $open_id'"
check "not through the forwarder (its table has port 80 only)" \
	'[ "$(jq -c "[.Forwards[]? | select(.Listen == \"$open_ip\") | .Port] | sort" "$state/forwarder.json")" = "[80]" ]'

# Any describe-instances starts the forwarder again should it have died.
fpid=$(jq -r '.Pid' "$state/forwarder-status.json")
check "the forwarder runs ($fpid)" kill -0 "$fpid"
kill -9 "$fpid"
check "killed, port 80 is refused" \
	'i=0; until [ "$(http_code "http://$open_ip/")" = 000 ]; do [ $i -lt 20 ] || exit 1; sleep 0.5; i=$((i + 1)); done'
check "while port 8080 answers still" '[ "$(http_code "http://$open_ip:8080/")" = 200 ]'
check "describe-instances" "$bin" describe-instances --instance-ids "$open_id"
check "starts it again: port 80 answers" wait_http "http://$open_ip/" 10 "$open_id"
npid=$(jq -r '.Pid' "$state/forwarder-status.json")
check "a new forwarder ($npid)" '[ "$npid" != "$fpid" ] && kill -0 "$npid"'

# get-console-output --latest: the last 64 KB, as always here.
check "get-console-output --latest gives the boot messages" sh -c "'$bin' get-console-output --instance-id $open_id --latest | jq -r .Output | grep -aq 'ec2-lite tiny: init started'"
check "the same output as without --latest" \
	'[ "$("$bin" get-console-output --instance-id "$open_id" --latest | jq -r .Output)" = "$("$bin" get-console-output --instance-id "$open_id" | jq -r .Output)" ]'

# The boot timeline of a real guest: each phase tiny's console shows (its kernel is quiet), in
# boot order, and port 80's first answer.
timeline() { "$bin" describe-boot-timeline --instance-ids "$open_id" | jq -c '.BootTimelines[0]'; }
check "describe-boot-timeline completes" \
	'i=0; until [ "$(timeline | jq -r .Complete)" = true ]; do [ $i -lt 60 ] || exit 1; sleep 1; i=$((i + 1)); done'
phases=$(timeline | jq -r '[.Phases[] | "\(.Phase)=\(.Seconds * 10 | floor / 10)"] | join(" ")')
check "with the phases of tiny's boot in order ($phases)" \
	'timeline | jq -e "[.Phases[] | {key: .Phase, value: .Seconds}] | from_entries as \$s |
		[\"init\", \"user-data\", \"user-data-done\", \"login\"] | map(\$s[.]) |
		all(. != null) and . == sort and .[0] >= 0 and \$s[\"port-80-answers\"] > \$s[\"user-data\"]"'

# The closed group: refused until allowed, at once both ways. Refused counts only once the
# guest serves port 80 (it answered the guest's own request), or a guest that never serves
# would pass.
check "the closed group's guest serves port 80 (inside)" wait_console "$closed_id" "NET self: port 80 answers" 120
check "a port the group does not allow is refused, though the guest serves it" \
	'wait_console "$closed_id" "NET self: port 80 answers" 1 && [ "$(http_code "http://$closed_ip/")" = 000 ]'
check "nor is a port the guest serves but the group does not allow (8080)" [ "$(http_code "http://$closed_ip:8080/")" = 000 ]
check "authorize on the running instance" "$bin" authorize-security-group-ingress --group-id "$closed_sg" --protocol tcp --port 80 --cidr 127.0.0.1/32
check "opens the port at once" [ "$(http_code "http://$closed_ip/")" = 200 ]
check "revoke" "$bin" revoke-security-group-ingress --group-id "$closed_sg" --protocol tcp --port 80 --cidr 127.0.0.1/32
check "closes it at once" [ "$(http_code "http://$closed_ip/")" = 000 ]
check "a rule for other addresses does not open it" "$bin" authorize-security-group-ingress --group-id "$closed_sg" --protocol tcp --port 80 --cidr 203.0.113.0/24
check "(the host's clients come from 127.0.0.1)" [ "$(http_code "http://$closed_ip/")" = 000 ]
check_fails "delete-security-group while in use" DependencyViolation "$bin" delete-security-group --group-id "$closed_sg"

# The console: the guest's boot messages and the user-data's output.
out=$("$bin" get-console-output --instance-id "$open_id" | jq -r .Output)
check "console output has the guest's boot messages" sh -c "printf '%s' \"\$1\" | grep -aq 'ec2-lite tiny: init started'" - "$out"
check "console output has the user-data's output" sh -c "printf '%s' \"\$1\" | grep -aq 'web-server: serving /var/www on port 80'" - "$out"

# Stop releases the public IP, start gives a new one (EC2's rule); the private IP stays.
"$bin" terminate-instances --instance-ids "$closed_id" > /dev/null
check "stop" "$bin" stop-instances --instance-ids "$open_id"
check "stopped" "$bin" wait instance-stopped --instance-ids "$open_id"
check "a stopped instance has no public IP" [ -z "$(desc "$open_id" PublicIpAddress)" ]
check "but keeps its private IP" [ "$(desc "$open_id" PrivateIpAddress)" = "$open_priv" ]
check "and its old address is closed" [ "$(http_code "http://$open_ip/")" = 000 ]
check "start" "$bin" start-instances --instance-ids "$open_id"
new_ip=$(desc "$open_id" PublicIpAddress)
check "a running instance has a public IP again ($new_ip)" sh -c "echo '$new_ip' | grep -Eq '^127\.77\.'"
check "the private IP is the same after start" [ "$(desc "$open_id" PrivateIpAddress)" = "$open_priv" ]
check "the guest boots again" wait_console "$open_id" "user-data already ran" 60
check "the port forwarder runs while port 80 is open" [ -n "$(jq -r '.Forwards[]? | select(.Listen == "'"$new_ip"'") | .Port' "$state/forwarder.json")" ]

# An Elastic IP: ports follow its association at once; it stays with the instance across a stop
# and start (a plain public IP does not, above); a type change while stopped is what the guest
# sees at the next boot.
eip_json=$("$bin" allocate-address --domain vpc)
eip=$(printf '%s' "$eip_json" | jq -r .PublicIp)
alloc=$(printf '%s' "$eip_json" | jq -r .AllocationId)
check "allocate-address gives an address on 127.77.0.0/16 ($eip)" sh -c "echo '$eip' | grep -Eq '^127\.77\.'"
check "the web server serves again after the start (a per-boot script)" wait_http "http://$new_ip/" 60 "$open_id"
check "associate-address" "$bin" associate-address --allocation-id "$alloc" --instance-id "$open_id"
check "the instance's public IP is the Elastic IP" [ "$(desc "$open_id" PublicIpAddress)" = "$eip" ]
check "port 80 answers on the Elastic IP at once" [ "$(http_code "http://$eip/")" = 200 ]
check "and no more on the address it had" [ "$(http_code "http://$new_ip/")" = 000 ]
check_fails "a running instance's type cannot change" IncorrectInstanceState "$bin" modify-instance-attribute --instance-id "$open_id" --instance-type Value=t3.micro
check "stop" "$bin" stop-instances --instance-ids "$open_id"
check "stopped" "$bin" wait instance-stopped --instance-ids "$open_id"
check "a stopped instance keeps its Elastic IP" [ "$(desc "$open_id" PublicIpAddress)" = "$eip" ]
check "modify-instance-attribute --instance-type t3.micro (2 vCPUs, 1 GiB) while stopped" \
	"$bin" modify-instance-attribute --instance-id "$open_id" --instance-type Value=t3.micro
check "described as t3.micro" [ "$(desc "$open_id" InstanceType)" = t3.micro ]
check "start" "$bin" start-instances --instance-ids "$open_id"
check "the Elastic IP is the instance's after the start" [ "$(desc "$open_id" PublicIpAddress)" = "$eip" ]
check "the guest sees 2 vCPUs" wait_console "$open_id" "ec2-lite tiny: hardware: 2 vCPUs" 60
mem=$("$bin" get-console-output --instance-id "$open_id" | jq -r .Output | sed -n 's/.*tiny: hardware: 2 vCPUs, \([0-9]*\) kB memory.*/\1/p' | tail -1)
check "and about 1 GiB of memory ($mem kB; t2.nano had 512 MiB)" [ "${mem:-0}" -gt 700000 ]
check "port 80 answers on the Elastic IP after the stop and start" wait_http "http://$eip/" 60 "$open_id"
check "IMDS's public-ipv4 is the Elastic IP after the start" wait_console "$open_id" "IMDS public-ipv4: $eip" 60
check "disassociate-address" "$bin" disassociate-address --public-ip "$eip"
check "the Elastic IP is closed once disassociated" [ "$(http_code "http://$eip/")" = 000 ]
check "release-address" "$bin" release-address --allocation-id "$alloc"

# Terminate: nothing left (domain, the forwarder's table, the forwarder itself).
check "terminate" "$bin" terminate-instances --instance-ids "$open_id"
check "terminated" "$bin" wait instance-terminated --instance-ids "$open_id"
check "no domain is left" sh -c "! virsh -q dominfo $open_id > /dev/null 2>&1"
check "the forwarder's table is empty" [ "$(jq '.Forwards | length' "$state/forwarder.json")" -eq 0 ]
i=0
while [ -n "$(jq -r '.Pid' "$state/forwarder-status.json")" ] && kill -0 "$(jq -r '.Pid' "$state/forwarder-status.json")" 2> /dev/null && [ $i -lt 20 ]; do
	sleep 0.5
	i=$((i + 1))
done
check "and the forwarder has exited" sh -c "! kill -0 $(jq -r '.Pid' "$state/forwarder-status.json") 2> /dev/null"
check "the groups can go now" sh -c "'$bin' delete-security-group --group-id $closed_sg > /dev/null && '$bin' delete-security-group --group-id $web_sg > /dev/null"

finish

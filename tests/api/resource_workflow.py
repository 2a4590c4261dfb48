"""The EC2 API server driven through boto3's resource API (Debian's python3-boto3) and STS's
GetCallerIdentity, on libvirt's test driver (no guest boots): the default VPC and its default
subnets, one per zone; create_instances into a chosen subnet; the instance's vpc, subnet and
network interface; an Elastic IP allocated, associated (the instance's public IP), kept over
stop/start, disassociated and released; modify_attribute/describe_attribute (instance type while
stopped, API termination and stop protection, source/dest check); the password data; paginated
and filtered describes. Values are checked, not only that calls return. Prints one line per step
("ok ..." or "FAIL ...") and exits 1 when a step failed; a step whose call raises fails and the
workflow goes on where it can.

Usage: resource_workflow.py ENDPOINT AMI-ID ACCESS-KEY SECRET
"""
import ipaddress
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

import steps
from steps import guarded, step

endpoint, ami, key_id, secret = sys.argv[1:5]


def error_code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                region_name="us-east-1")
cfg = botocore.config.Config(retries={"max_attempts": 1})
ec2 = session.resource("ec2", endpoint_url=endpoint, config=cfg)
client = ec2.meta.client
sts = session.client("sts", endpoint_url=endpoint, config=cfg)
fast = {"Delay": 1, "MaxAttempts": 120}
S = {}  # what the sections share: vpc, zones, subnets, instance, eip, ...


@guarded("sts get_caller_identity")
def caller():
    who = sts.get_caller_identity()
    owner = client.describe_images(ImageIds=[ami])["Images"][0]["OwnerId"]
    S["account"] = who.get("Account")
    step("sts get_caller_identity: the account is the images' owner (%s)" % owner,
         who.get("Account") == owner, who)
    step("sts get_caller_identity: an ARN of that account and a user id",
         who.get("Arn", "").startswith("arn:aws:") and (":%s:" % owner) in who.get("Arn", "")
         and bool(who.get("UserId")), who)


@guarded("vpcs.filter(isDefault=true)")
def is_default():
    # 'isDefault' is the name EC2's own examples use (the aws CLI's, boto3's); botocore documents
    # 'is-default'. EC2 takes both.
    vpcs = list(ec2.vpcs.filter(Filters=[{"Name": "isDefault", "Values": ["true"]}]))
    step("vpcs.filter(isDefault=true) gives one VPC, the default", len(vpcs) == 1 and vpcs[0].is_default,
         vpcs)


@guarded("the default VPC")
def default_vpc():
    vpcs = list(ec2.vpcs.filter(Filters=[{"Name": "is-default", "Values": ["true"]}]))
    step("vpcs.filter(is-default=true) gives one VPC", len(vpcs) == 1, vpcs)
    vpc = vpcs[0]
    S["vpc"] = vpc
    step("the default VPC: is_default, 172.31.0.0/16, available",
         vpc.is_default is True and vpc.cidr_block == "172.31.0.0/16" and vpc.state == "available",
         (vpc.is_default, vpc.cidr_block, vpc.state))
    step("vpcs.filter(is-default=false) gives none",
         list(ec2.vpcs.filter(Filters=[{"Name": "is-default", "Values": ["false"]}])) == [])
    attrs = client.describe_account_attributes()["AccountAttributes"]
    values = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in attrs}
    step("describe_account_attributes: default-vpc is the default VPC",
         values.get("default-vpc") == [vpc.id], values)
    step("describe_account_attributes: supported-platforms is VPC only",
         values.get("supported-platforms") == ["VPC"], values)
    one = client.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    step("describe_account_attributes(AttributeNames=[default-vpc]) gives that one",
         [a["AttributeName"] for a in one] == ["default-vpc"], one)


@guarded("zones and subnets")
def zones():
    azs = client.describe_availability_zones()["AvailabilityZones"]
    names = [z["ZoneName"] for z in azs]
    S["zones"] = names
    step("describe_availability_zones: zones of us-east-1, available (%s)" % " ".join(names),
         len(azs) >= 1 and all(z["RegionName"] == "us-east-1" and z["State"] == "available"
                               and z["ZoneName"].startswith("us-east-1") and z.get("ZoneId")
                               for z in azs), azs)
    regions = client.describe_regions()["Regions"]
    step("describe_regions has us-east-1", "us-east-1" in [r["RegionName"] for r in regions], regions)
    vpc = S["vpc"]
    net = ipaddress.ip_network(vpc.cidr_block)
    subnets = {}
    for zone in names:
        found = list(ec2.subnets.filter(Filters=[{"Name": "availability-zone", "Values": [zone]}]))
        defaults = [s for s in found if s.default_for_az]
        ok = len(defaults) == 1 and all(s.availability_zone == zone for s in found)
        step("subnets.filter(availability-zone=%s): its one default subnet" % zone, ok,
             [(s.id, s.availability_zone, s.default_for_az) for s in found])
        if ok:
            s = defaults[0]
            subnets[zone] = s
            cidr = ipaddress.ip_network(s.cidr_block)
            step("%s: in the default VPC, a /20 inside 172.31.0.0/16, public IPs on launch" % s.id,
                 s.vpc_id == vpc.id and cidr.subnet_of(net) and cidr.prefixlen == 20
                 and s.map_public_ip_on_launch is True and s.state == "available",
                 (s.vpc_id, s.cidr_block, s.map_public_ip_on_launch, s.state))
            # A VPC keeps five addresses of every subnet; nothing runs yet.
            step("%s: all %d of its addresses but five are available" % (s.id, cidr.num_addresses),
                 s.available_ip_address_count == cidr.num_addresses - 5, s.available_ip_address_count)
    cidrs = [ipaddress.ip_network(s.cidr_block) for s in subnets.values()]
    step("the default subnets do not overlap",
         all(not a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:]), cidrs)
    S["subnets"] = subnets
    every = list(vpc.subnets.all())
    step("vpc.subnets.all() are the default subnets",
         sorted(s.id for s in every) == sorted(s.id for s in subnets.values()), every)
    pages = list(client.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5}))
    ids = [s["SubnetId"] for p in pages for s in p["Subnets"]]
    step("describe_subnets, 5 a page (%d pages): each subnet once" % len(pages),
         sorted(ids) == sorted(s.id for s in subnets.values()) and
         (len(pages) > 1) == (len(ids) > 5), ids)
    first = client.describe_subnets(MaxResults=5)
    step("describe_subnets(MaxResults=5): five and a NextToken when there are more",
         len(first["Subnets"]) == min(5, len(ids)) and ("NextToken" in first) == (len(ids) > 5), first)
    by_default = client.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]},
                                                  {"Name": "vpc-id", "Values": [vpc.id]}])["Subnets"]
    step("describe_subnets filters default-for-az and vpc-id",
         sorted(s["SubnetId"] for s in by_default) == sorted(ids), by_default)


@guarded("tags on the default VPC and a subnet")
def vpc_tags():
    vpc = S["vpc"]
    subnet = S["subnets"][S["zones"][0]]
    vpc.create_tags(Tags=[{"Key": "env", "Value": "dev"}])
    subnet.create_tags(Tags=[{"Key": "tier", "Value": "web"}])
    vpc.reload()
    subnet.reload()
    step("vpc.create_tags and subnet.create_tags show on them",
         {"Key": "env", "Value": "dev"} in (vpc.tags or []) and
         {"Key": "tier", "Value": "web"} in (subnet.tags or []), (vpc.tags, subnet.tags))
    step("vpcs.filter(tag:env=dev)", [v.id for v in ec2.vpcs.filter(
        Filters=[{"Name": "tag:env", "Values": ["dev"]}])] == [vpc.id])
    step("subnets.filter(tag-key=tier)", [x.id for x in ec2.subnets.filter(
        Filters=[{"Name": "tag-key", "Values": ["tier"]}])] == [subnet.id])
    tags = client.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc.id, subnet.id]}])["Tags"]
    step("describe_tags: their resource types vpc and subnet",
         sorted((t["ResourceType"], t["Key"]) for t in tags) == [("subnet", "tier"), ("vpc", "env")], tags)
    client.delete_tags(Resources=[vpc.id, subnet.id])
    vpc.reload()
    subnet.reload()
    step("delete_tags", not vpc.tags and not subnet.tags, (vpc.tags, subnet.tags))


@guarded("create_instances into a subnet")
def launch():
    zone = S["zones"][-1]  # the last zone: not the one a launch without a subnet would pick
    subnet = S["subnets"][zone]
    S["subnet"] = subnet
    S["free"] = subnet.available_ip_address_count
    made = ec2.create_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t2.micro",
                                SubnetId=subnet.id, TagSpecifications=[{
                                    "ResourceType": "instance",
                                    "Tags": [{"Key": "Name", "Value": "resource"}]}])
    step("create_instances gives one Instance", len(made) == 1, made)
    inst = made[0]
    S["inst"] = inst
    inst.wait_until_running(WaiterConfig=fast)
    inst.reload()
    step("running", inst.state["Name"] == "running", inst.state)
    step("its subnet is the one asked for, the default subnet of %s" % zone,
         inst.subnet_id == subnet.id and inst.subnet.id == subnet.id and inst.subnet.default_for_az,
         inst.subnet_id)
    step("placed in that subnet's zone", inst.placement["AvailabilityZone"] == zone, inst.placement)
    step("instance.vpc is the default VPC", inst.vpc_id == S["vpc"].id and inst.vpc.is_default,
         inst.vpc_id)
    ip = inst.private_ip_address
    step("its private IP %s lies in %s" % (ip, subnet.cidr_block),
         ip is not None and ipaddress.ip_address(ip) in ipaddress.ip_network(subnet.cidr_block))
    step("a public IP (the subnet maps one on launch)", bool(inst.public_ip_address),
         inst.public_ip_address)
    S["auto_ip"] = inst.public_ip_address
    step("TagSpecifications: the Name tag", {"Key": "Name", "Value": "resource"} in (inst.tags or []),
         inst.tags)
    subnet.reload()
    step("the subnet has one address less available", subnet.available_ip_address_count == S["free"] - 1,
         (S["free"], subnet.available_ip_address_count))


@guarded("the instance's network interface")
def eni():
    inst = S["inst"]
    enis = list(inst.network_interfaces)
    step("instance.network_interfaces: one", len(enis) == 1, enis)
    e = enis[0]
    e.load()
    S["eni"] = e
    step("%s: in-use, in the instance's subnet, VPC and zone" % e.id,
         e.id.startswith("eni-") and e.status == "in-use" and e.subnet_id == inst.subnet_id and
         e.vpc_id == inst.vpc_id and e.availability_zone == inst.placement["AvailabilityZone"],
         (e.status, e.subnet_id, e.vpc_id, e.availability_zone))
    step("its private IP is the instance's", e.private_ip_address == inst.private_ip_address,
         e.private_ip_address)
    step("attached to the instance at device index 0",
         e.attachment.get("InstanceId") == inst.id and e.attachment.get("DeviceIndex") == 0 and
         e.attachment.get("Status") == "attached", e.attachment)
    step("its MAC address is the instance's",
         e.mac_address == inst.network_interfaces_attribute[0].get("MacAddress"), e.mac_address)
    got = client.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [inst.id]}])["NetworkInterfaces"]
    step("describe_network_interfaces filter attachment.instance-id",
         [n["NetworkInterfaceId"] for n in got] == [e.id], got)
    got = client.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [inst.subnet_id]}])["NetworkInterfaces"]
    step("describe_network_interfaces filter subnet-id", [n["NetworkInterfaceId"] for n in got] == [e.id],
         got)


@guarded("an Elastic IP")
def eip():
    inst = S["inst"]
    a = client.allocate_address(Domain="vpc")
    S["alloc"], S["eip"] = a.get("AllocationId"), a.get("PublicIp")
    step("allocate_address(Domain=vpc): an allocation id and a public IP",
         a.get("AllocationId", "").startswith("eipalloc-") and a.get("Domain") == "vpc" and
         bool(a.get("PublicIp")), a)
    addr = ec2.VpcAddress(S["alloc"])
    addr.load()
    step("VpcAddress loads: not associated", addr.public_ip == S["eip"] and addr.association_id is None
         and addr.instance_id in (None, ""), addr.meta.data)
    step("ec2.vpc_addresses has it", S["alloc"] in [x.allocation_id for x in ec2.vpc_addresses.all()])
    r = addr.associate(InstanceId=inst.id)
    S["assoc"] = r.get("AssociationId")
    step("associate: an association id", (r.get("AssociationId") or "").startswith("eipassoc-"), r)
    inst.reload()
    step("the EIP is the instance's PublicIpAddress", inst.public_ip_address == S["eip"],
         inst.public_ip_address)
    got = client.describe_addresses(AllocationIds=[S["alloc"]])["Addresses"][0]
    step("describe_addresses: the instance, its interface, its private IP, the association id",
         got.get("InstanceId") == inst.id and got.get("AssociationId") == S["assoc"] and
         got.get("NetworkInterfaceId") == S["eni"].id and
         got.get("PrivateIpAddress") == inst.private_ip_address and got.get("Domain") == "vpc", got)
    by_ip = client.describe_addresses(PublicIps=[S["eip"]])["Addresses"]
    step("describe_addresses(PublicIps=[eip])", [x["AllocationId"] for x in by_ip] == [S["alloc"]], by_ip)
    by_inst = client.describe_addresses(Filters=[{"Name": "instance-id", "Values": [inst.id]}])["Addresses"]
    step("describe_addresses filter instance-id", [x["AllocationId"] for x in by_inst] == [S["alloc"]],
         by_inst)
    S["eni"].reload()
    assoc = S["eni"].association_attribute or {}
    step("the interface's Association is the EIP",
         assoc.get("PublicIp") == S["eip"] and assoc.get("AllocationId") == S["alloc"] and
         assoc.get("AssociationId") == S["assoc"], assoc)
    addr.reload()
    step("address.association is the NetworkInterfaceAssociation of the EIP (loaded by filter)",
         addr.association is not None and addr.association.id == S["assoc"] and
         addr.association.public_ip == S["eip"], addr.meta.data)


@guarded("an Elastic IP with TagSpecifications")
def eip_tags():
    a = client.allocate_address(Domain="vpc", TagSpecifications=[{
        "ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "tagged"}]}])
    got = client.describe_addresses(Filters=[{"Name": "tag:Name", "Values": ["tagged"]}])["Addresses"]
    step("allocate_address with TagSpecifications: found by tag:Name, with its tags",
         [x["AllocationId"] for x in got] == [a["AllocationId"]] and
         got[0].get("Tags") == [{"Key": "Name", "Value": "tagged"}], got)
    ec2.VpcAddress(a["AllocationId"]).release()
    step("and released", client.describe_addresses(
        Filters=[{"Name": "tag:Name", "Values": ["tagged"]}])["Addresses"] == [])


@guarded("modify_attribute and describe_attribute")
def attributes():
    inst = S["inst"]
    step("modify_attribute(InstanceType) of a running instance: IncorrectInstanceState",
         error_code(inst.modify_attribute, InstanceType={"Value": "t2.small"}) == "IncorrectInstanceState")
    inst.modify_attribute(DisableApiTermination={"Value": True})
    got = inst.describe_attribute(Attribute="disableApiTermination")
    step("disableApiTermination true", got.get("DisableApiTermination", {}).get("Value") is True and
         got.get("InstanceId") == inst.id, got)
    step("terminate with disableApiTermination: OperationNotPermitted",
         error_code(inst.terminate) == "OperationNotPermitted")
    inst.reload()
    step("and it still runs", inst.state["Name"] == "running", inst.state)
    inst.modify_attribute(Attribute="disableApiTermination", Value="false")
    step("disableApiTermination false again (Attribute and Value)",
         inst.describe_attribute(Attribute="disableApiTermination")["DisableApiTermination"]["Value"] is False)
    inst.modify_attribute(DisableApiStop={"Value": True})
    step("disableApiStop true",
         inst.describe_attribute(Attribute="disableApiStop").get("DisableApiStop", {}).get("Value") is True)
    step("stop with disableApiStop: OperationNotPermitted", error_code(inst.stop) == "OperationNotPermitted")
    inst.modify_attribute(DisableApiStop={"Value": False})
    got = inst.describe_attribute(Attribute="sourceDestCheck")
    step("sourceDestCheck true at launch", got.get("SourceDestCheck", {}).get("Value") is True, got)
    inst.modify_attribute(SourceDestCheck={"Value": False})
    inst.reload()
    step("sourceDestCheck false: describe_attribute and the instance",
         inst.describe_attribute(Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is False
         and inst.source_dest_check is False, inst.source_dest_check)
    S["eni"].reload()
    step("and its network interface", S["eni"].source_dest_check is False, S["eni"].source_dest_check)
    got = inst.describe_attribute(Attribute="instanceInitiatedShutdownBehavior")
    step("instanceInitiatedShutdownBehavior stop",
         got.get("InstanceInitiatedShutdownBehavior", {}).get("Value") == "stop", got)
    got = inst.describe_attribute(Attribute="groupSet")
    step("groupSet: the default group", [g.get("GroupName") for g in got.get("Groups", [])] == ["default"], got)
    pw = inst.password_data()
    step("password_data: empty for Linux, with the instance id and a timestamp",
         pw.get("InstanceId") == inst.id and pw.get("PasswordData") == "" and "Timestamp" in pw, pw)


@guarded("stop, modify the type, start")
def stop_start():
    inst = S["inst"]
    inst.stop()
    inst.wait_until_stopped(WaiterConfig=fast)
    inst.reload()
    if S.get("assoc"):  # (else the Elastic IP section failed already)
        got = client.describe_addresses(AllocationIds=[S["alloc"]])["Addresses"][0]
        step("stopped: the EIP stays associated", got.get("InstanceId") == inst.id and
             got.get("AssociationId") == S["assoc"], got)
        step("stopped: the EIP is still its PublicIpAddress", inst.public_ip_address == S["eip"],
             inst.public_ip_address)
    try:  # (the start below goes on without it)
        inst.modify_attribute(InstanceType={"Value": "t2.small"})
        got = inst.describe_attribute(Attribute="instanceType")
        step("modify_attribute(InstanceType) while stopped shows in describe_attribute",
             got.get("InstanceType", {}).get("Value") == "t2.small", got)
        inst.reload()
        step("and in the instance", inst.instance_type == "t2.small", inst.instance_type)
        S["type"] = "t2.small"
    except ClientError as e:
        step("modify_attribute(InstanceType) while stopped: %s" % e.response["Error"]["Code"], False, e)
    inst.start()
    inst.wait_until_running(WaiterConfig=fast)
    inst.reload()
    if S.get("type"):
        step("started: t2.small", inst.instance_type == "t2.small", inst.instance_type)
    if not S.get("assoc"):
        return
    step("started: the EIP is still its PublicIpAddress", inst.public_ip_address == S["eip"],
         inst.public_ip_address)
    got = client.describe_addresses(AllocationIds=[S["alloc"]])["Addresses"][0]
    step("started: same association", got.get("AssociationId") == S["assoc"] and
         got.get("InstanceId") == inst.id, got)


@guarded("disassociate and release")
def release():
    inst = S["inst"]
    addr = ec2.VpcAddress(S["alloc"])
    addr.load()
    addr.association.delete()
    addr.reload()
    step("association.delete(): the address is free", addr.association_id is None and
         addr.instance_id in (None, ""), addr.meta.data)
    inst.reload()
    step("the instance's public IP is no longer the EIP", inst.public_ip_address != S["eip"],
         inst.public_ip_address)
    S["eni"].reload()
    step("nor its interface's", (S["eni"].association_attribute or {}).get("PublicIp") != S["eip"],
         S["eni"].association_attribute)
    addr.release()
    step("release: gone from vpc_addresses",
         S["alloc"] not in [x.allocation_id for x in ec2.vpc_addresses.all()])
    step("VpcAddress of a released allocation: InvalidAllocationID.NotFound",
         error_code(client.describe_addresses, AllocationIds=[S["alloc"]]) == "InvalidAllocationID.NotFound")


@guarded("terminate")
def terminate():
    inst = S["inst"]
    inst.terminate()
    inst.wait_until_terminated(WaiterConfig=fast)
    step("terminated", True)
    S["subnet"].reload()
    step("its address is available again in the subnet",
         S["subnet"].available_ip_address_count == S["free"], S["subnet"].available_ip_address_count)
    got = client.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [inst.id]}])["NetworkInterfaces"]
    step("its network interface is gone", got == [], got)


steps.finish()

"""Bad requests to the default account's actions (VPCs, subnets, zones, network interfaces, Elastic
IPs, instance attributes, password data) through botocore, on libvirt's test driver: each gets EC2's
error code (and a DryRun its 412 DryRunOperation), and afterwards nothing has changed: the
addresses and their associations, the instances' states and attributes, the subnets'
AvailableIpAddressCount. Prints one line per case and exits 1 when one failed.

Usage: bad_requests_account.py ENDPOINT AMI-ID ACCESS-KEY SECRET
"""
import sys
import traceback

import boto3
import botocore.config
from botocore.exceptions import ClientError

import steps
from steps import step

endpoint, ami, key_id, secret = sys.argv[1:5]
ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=key_id, aws_secret_access_key=secret,
                   config=botocore.config.Config(retries={"max_attempts": 1},
                                                 parameter_validation=False))
NOSUCH = "0123456789abcdef0"


def answer(fn, **kw):
    """(HTTP status, error code, message) of the call, or (200, None, None)."""
    try:
        fn(**kw)
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"],
                e.response["Error"].get("Message", ""))
    return (200, None, None)


def expect(name, fn, code, message="", status=None, **kw):
    try:
        got = answer(fn, **kw)
    except Exception as e:  # noqa: BLE001 -- a client-side failure is this case's FAIL
        return step("%s: raised %s" % (name, type(e).__name__), False, e)
    ok = got[1] == code and message in (got[2] or "") and (status is None or got[0] == status)
    return step("%s: %s %s" % (name, code, message) if ok else name, ok, got)


def dry(name, fn, **kw):
    expect("dry " + name, fn, "DryRunOperation", "Request would have succeeded, but DryRun flag is set",
           412, DryRun=True, **kw)


def part(fn):
    """fn's value, or the error it raised (a part that cannot be read is compared as its error)."""
    try:
        return fn()
    except ClientError as e:
        return "error " + e.response["Error"]["Code"]


def state():
    """Everything the bad requests must leave as it was."""
    def addrs():
        return sorted((a.get("AllocationId"), a.get("PublicIp"), a.get("AssociationId"), a.get("InstanceId"))
                      for a in ec2.describe_addresses()["Addresses"])

    def attrs(iid):
        out = []
        for a in ("disableApiTermination", "disableApiStop", "sourceDestCheck",
                  "instanceInitiatedShutdownBehavior", "instanceType"):
            got = part(lambda: ec2.describe_instance_attribute(InstanceId=iid, Attribute=a))
            out.append(got if isinstance(got, str) else
                       [v for k, v in got.items() if k not in ("InstanceId", "ResponseMetadata")])
        return out

    def insts():
        return sorted((i["InstanceId"], i["InstanceType"], i["State"]["Name"], i.get("PublicIpAddress"),
                       attrs(i["InstanceId"]))
                      for r in ec2.describe_instances()["Reservations"] for i in r["Instances"])

    def subnets():
        return sorted((s["SubnetId"], s["AvailableIpAddressCount"]) for s in ec2.describe_subnets()["Subnets"])

    def enis():
        return sorted((n["NetworkInterfaceId"], n.get("Association", {}).get("PublicIp"), n["Status"])
                      for n in ec2.describe_network_interfaces()["NetworkInterfaces"])
    return {"addresses": part(addrs), "instances": part(insts), "subnets": part(subnets), "enis": part(enis)}


def same_as(before, when):
    try:
        after = state()
    except Exception as e:  # noqa: BLE001
        return step("the state %s: raised %s" % (when, type(e).__name__), False, e)
    for k in before:
        step("nothing changed %s: %s" % (when, k), after[k] == before[k],
             {"before": before[k], "after": after[k]})


# What the cases work on: a running instance holding an Elastic IP, a stopped one, a free address.
# The instances and the addresses are made apart, so that the cases of one work without the other.
try:
    run = [ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t2.micro")["Instances"][0][
        "InstanceId"] for _ in range(2)]
    ec2.get_waiter("instance_running").wait(InstanceIds=run, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    running, stopped = run
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[stopped], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    ready = True
except Exception as e:  # noqa: BLE001 -- without the fixture only the cases that need none run
    step("the instances' fixture (a running and a stopped instance): raised %s" % type(e).__name__, False, e)
    traceback.print_exc(limit=2, file=sys.stdout)
    ready = False
    running = stopped = "i-" + NOSUCH
try:
    held = ec2.allocate_address(Domain="vpc")
    free = ec2.allocate_address(Domain="vpc")
    eips = True
    if ready:
        assoc = ec2.associate_address(AllocationId=held["AllocationId"], InstanceId=running)["AssociationId"]
        eni = ec2.describe_instances(InstanceIds=[running])["Reservations"][0]["Instances"][0][
            "NetworkInterfaces"][0]["NetworkInterfaceId"]
except Exception as e:  # noqa: BLE001
    step("the addresses' fixture (two Elastic IPs, one associated): raised %s" % type(e).__name__, False, e)
    traceback.print_exc(limit=2, file=sys.stdout)
    eips = False
before = state()

# Not found.
expect("describe_subnets of an unknown subnet", ec2.describe_subnets, "InvalidSubnetID.NotFound",
       "The subnet ID 'subnet-%s' does not exist" % NOSUCH, 400, SubnetIds=["subnet-" + NOSUCH])
expect("run_instances into an unknown subnet", ec2.run_instances, "InvalidSubnetID.NotFound",
       "subnet-" + NOSUCH, 400, ImageId=ami, MinCount=1, MaxCount=1, SubnetId="subnet-" + NOSUCH)
expect("describe_vpcs of an unknown VPC", ec2.describe_vpcs, "InvalidVpcID.NotFound",
       "The vpc ID 'vpc-%s' does not exist" % NOSUCH, 400, VpcIds=["vpc-" + NOSUCH])
expect("describe_addresses of an unknown allocation", ec2.describe_addresses,
       "InvalidAllocationID.NotFound", "eipalloc-" + NOSUCH, 400, AllocationIds=["eipalloc-" + NOSUCH])
expect("release_address of an unknown allocation", ec2.release_address, "InvalidAllocationID.NotFound",
       "eipalloc-" + NOSUCH, 400, AllocationId="eipalloc-" + NOSUCH)
expect("describe_network_interfaces of an unknown interface", ec2.describe_network_interfaces,
       "InvalidNetworkInterfaceID.NotFound", "eni-" + NOSUCH, 400, NetworkInterfaceIds=["eni-" + NOSUCH])
expect("disassociate_address of an unknown association", ec2.disassociate_address,
       "InvalidAssociationID.NotFound", "eipassoc-" + NOSUCH, 400, AssociationId="eipassoc-" + NOSUCH)
expect("describe_instance_attribute of an unknown instance", ec2.describe_instance_attribute,
       "InvalidInstanceID.NotFound", "i-" + NOSUCH, 400, InstanceId="i-" + NOSUCH, Attribute="instanceType")
expect("get_password_data of an unknown instance", ec2.get_password_data, "InvalidInstanceID.NotFound",
       "i-" + NOSUCH, 400, InstanceId="i-" + NOSUCH)
expect("modify_instance_attribute of an unknown instance", ec2.modify_instance_attribute,
       "InvalidInstanceID.NotFound", "i-" + NOSUCH, 400, InstanceId="i-" + NOSUCH,
       DisableApiTermination={"Value": True})
# EC2 answers AuthFailure for a public IP that is not the account's.
expect("associate_address of a foreign public IP", ec2.associate_address, "AuthFailure", "",
       None, PublicIp="198.51.100.7", InstanceId=running)
expect("disassociate_address of a foreign public IP", ec2.disassociate_address, "AuthFailure", "",
       None, PublicIp="198.51.100.7")
expect("release_address of a foreign public IP", ec2.release_address, "AuthFailure", "",
       None, PublicIp="198.51.100.7")

# Bad values.
for action, fn in (("describe_vpcs", ec2.describe_vpcs), ("describe_subnets", ec2.describe_subnets),
                   ("describe_internet_gateways", ec2.describe_internet_gateways),
                   ("describe_route_tables", ec2.describe_route_tables),
                   ("describe_network_acls", ec2.describe_network_acls),
                   ("describe_availability_zones", ec2.describe_availability_zones),
                   ("describe_regions", ec2.describe_regions),
                   ("describe_network_interfaces", ec2.describe_network_interfaces),
                   ("describe_addresses", ec2.describe_addresses)):
    expect("%s with an unknown filter" % action, fn, "InvalidParameterValue",
           "The filter 'colour' is invalid", 400, Filters=[{"Name": "colour", "Values": ["red"]}])
expect("describe_availability_zones of an unknown zone", ec2.describe_availability_zones,
       "InvalidParameterValue", "us-east-1z", 400, ZoneNames=["us-east-1z"])
expect("run_instances in an unknown zone", ec2.run_instances, "InvalidParameterValue", "us-east-1z", 400,
       ImageId=ami, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "us-east-1z"})
expect("describe_account_attributes of an unknown attribute", ec2.describe_account_attributes,
       "InvalidParameterValue", "", 400, AttributeNames=["colour"])

# The instances' attributes.
expect("describe_instance_attribute of an unknown attribute", ec2.describe_instance_attribute,
       "InvalidParameterValue", "colour", 400, InstanceId=running, Attribute="colour")
expect("modify_instance_attribute of an unknown attribute", ec2.modify_instance_attribute,
       "InvalidParameterValue", "colour", 400, InstanceId=running, Attribute="colour", Value="x")
expect("modify_instance_attribute InstanceType of a running instance", ec2.modify_instance_attribute,
       "IncorrectInstanceState", running, 400, InstanceId=running, InstanceType={"Value": "t2.small"})
expect("modify_instance_attribute to an unknown type", ec2.modify_instance_attribute,
       "InvalidInstanceAttributeValue", "Value (t9.huge) for parameter instanceType is invalid", 400,
       InstanceId=stopped, InstanceType={"Value": "t9.huge"})
expect("modify_instance_attribute with two attributes at once", ec2.modify_instance_attribute,
       "InvalidParameterCombination", "", 400, InstanceId=stopped, InstanceType={"Value": "t2.small"},
       DisableApiTermination={"Value": True})
expect("modify_instance_attribute with no attribute", ec2.modify_instance_attribute,
       "InvalidParameterCombination", "No attributes specified", 400, InstanceId=stopped)
# The addresses.
if eips:
    expect("associate_address to an unknown instance", ec2.associate_address, "InvalidInstanceID.NotFound",
           "i-" + NOSUCH, 400, AllocationId=free["AllocationId"], InstanceId="i-" + NOSUCH)
    expect("associate_address to an unknown interface", ec2.associate_address,
           "InvalidNetworkInterfaceID.NotFound", "eni-" + NOSUCH, 400, AllocationId=free["AllocationId"],
           NetworkInterfaceId="eni-" + NOSUCH)
expect("associate_address of an unknown allocation", ec2.associate_address,
       "InvalidAllocationID.NotFound", "eipalloc-" + NOSUCH, 400, AllocationId="eipalloc-" + NOSUCH,
       InstanceId=running)
if eips and ready:
    expect("associate_address of an associated address, no reassociation", ec2.associate_address,
           "Resource.AlreadyAssociated", "", 400, AllocationId=held["AllocationId"], InstanceId=stopped,
           AllowReassociation=False)
    expect("release_address of an associated address", ec2.release_address, "InvalidIPAddress.InUse",
           "", 400, AllocationId=held["AllocationId"])
    # (last: where it is taken, the instance's address of before is disassociated)
    expect("associate_address with both an instance and an interface", ec2.associate_address,
           "InvalidParameterCombination", "", 400, AllocationId=free["AllocationId"], InstanceId=running,
           NetworkInterfaceId=eni)
same_as(before, "after the not-found and bad-value cases")
if eips and ready:
    # Where a case above acted, the fixture is put back, so that the cases below test what they name.
    try:
        now = ec2.describe_addresses(AllocationIds=[held["AllocationId"]])["Addresses"][0]
        if now.get("InstanceId") != running:
            assoc = ec2.associate_address(AllocationId=held["AllocationId"], InstanceId=running)["AssociationId"]
        if ec2.describe_addresses(AllocationIds=[free["AllocationId"]])["Addresses"][0].get("AssociationId"):
            ec2.disassociate_address(AssociationId=ec2.describe_addresses(
                AllocationIds=[free["AllocationId"]])["Addresses"][0]["AssociationId"])
    except ClientError as e:
        step("put the addresses' fixture back: %s" % e.response["Error"]["Code"], False)
    before = state()
    # DryRun of the address actions: 412 where it would succeed, the error it would have had
    # otherwise; never acting.
    dry("associate_address", ec2.associate_address, AllocationId=free["AllocationId"], InstanceId=stopped)
    dry("disassociate_address", ec2.disassociate_address, AssociationId=assoc)
    dry("release_address", ec2.release_address, AllocationId=free["AllocationId"])
    expect("dry release_address of an associated address", ec2.release_address, "InvalidIPAddress.InUse",
           "", 400, AllocationId=held["AllocationId"], DryRun=True)
    same_as(before, "after the address actions' dry runs")

# Protection: terminate and stop refused, and the instance stays as it was.
if ready:
    try:
        ec2.modify_instance_attribute(InstanceId=running, DisableApiTermination={"Value": True})
        ec2.modify_instance_attribute(InstanceId=running, DisableApiStop={"Value": True})
    except ClientError as e:
        step("protect the running instance: %s" % e.response["Error"]["Code"], False)
    before = state()
expect("terminate with disableApiTermination", ec2.terminate_instances, "OperationNotPermitted",
       running, 400, InstanceIds=[running])
expect("stop with disableApiStop", ec2.stop_instances, "OperationNotPermitted", running, 400,
       InstanceIds=[running])
expect("dry terminate with disableApiTermination", ec2.terminate_instances, "OperationNotPermitted",
       running, 400, InstanceIds=[running], DryRun=True)

# DryRun of each new action: 412 where it would succeed, the error it would have had otherwise;
# never acting.
dry("allocate_address", ec2.allocate_address, Domain="vpc")
dry("modify_instance_attribute InstanceType (stopped)", ec2.modify_instance_attribute,
    InstanceId=stopped, InstanceType={"Value": "t2.small"})
dry("modify_instance_attribute disableApiTermination", ec2.modify_instance_attribute,
    InstanceId=running, DisableApiTermination={"Value": False})
dry("modify_instance_attribute sourceDestCheck", ec2.modify_instance_attribute,
    InstanceId=running, SourceDestCheck={"Value": False})
dry("describe_instance_attribute", ec2.describe_instance_attribute, InstanceId=running,
    Attribute="instanceType")
dry("get_password_data", ec2.get_password_data, InstanceId=running)
expect("dry modify_instance_attribute InstanceType (running)", ec2.modify_instance_attribute,
       "IncorrectInstanceState", "", 400, InstanceId=running, InstanceType={"Value": "t2.small"},
       DryRun=True)
for action, fn in (("describe_vpcs", ec2.describe_vpcs), ("describe_subnets", ec2.describe_subnets),
                   ("describe_internet_gateways", ec2.describe_internet_gateways),
                   ("describe_route_tables", ec2.describe_route_tables),
                   ("describe_network_acls", ec2.describe_network_acls),
                   ("describe_availability_zones", ec2.describe_availability_zones),
                   ("describe_regions", ec2.describe_regions),
                   ("describe_account_attributes", ec2.describe_account_attributes),
                   ("describe_network_interfaces", ec2.describe_network_interfaces),
                   ("describe_addresses", ec2.describe_addresses)):
    dry(action, fn)

same_as(before, "after the protected and dry-run cases")
if ready:
    try:
        ec2.modify_instance_attribute(InstanceId=running, DisableApiTermination={"Value": False})
        ec2.modify_instance_attribute(InstanceId=running, DisableApiStop={"Value": False})
        ec2.terminate_instances(InstanceIds=run)
        step("unprotected, both terminate", True)
    except Exception as e:  # noqa: BLE001
        step("unprotect and terminate: raised %s" % type(e).__name__, False, e)
steps.finish()

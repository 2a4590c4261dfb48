"""The EC2 API server driven from boto3 (Debian's python3-boto3), signed requests, real guests:
key pair, security group, run_instances with tags and a client token, the waiters, a paginator,
filters, reboot, stop/start, create_image and its waiter, tags, errors as botocore's
ClientError with EC2's codes, terminate. Prints one line per step ("ok ..." or "FAIL ...") and
exits 1 when a step failed.

Usage: boto3_workflow.py ENDPOINT AMI-ID ACCESS-KEY SECRET
"""
import base64
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError, WaiterError

endpoint, ami, key_id, secret = sys.argv[1:5]
failed = 0


def step(name, cond):
    global failed
    print(("ok   " if cond else "FAIL ") + name, flush=True)
    failed += 0 if cond else 1


def error_code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=key_id, aws_secret_access_key=secret,
                   config=botocore.config.Config(retries={"max_attempts": 1}))
fast = {"Delay": 1, "MaxAttempts": 600}

key = ec2.create_key_pair(KeyName="boto3-key")
step("create_key_pair gives a private key", "PRIVATE KEY" in key["KeyMaterial"])
sg = ec2.create_security_group(GroupName="boto3-web", Description="boto3")["GroupId"]
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
    "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
perms = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"]
step("a rule through IpPermissions", perms[0]["FromPort"] == 8080)

resv = ec2.run_instances(ImageId=ami, InstanceType="t2.nano", MinCount=1, MaxCount=1,
                         KeyName="boto3-key", SecurityGroupIds=[sg], ClientToken="boto3-1",
                         UserData="#!/bin/sh\necho boto3 was here\n",
                         TagSpecifications=[{"ResourceType": "instance",
                                             "Tags": [{"Key": "Name", "Value": "boto3"}]}])
iid = resv["Instances"][0]["InstanceId"]
step("run_instances answers pending", resv["Instances"][0]["State"]["Name"] == "pending")
again = ec2.run_instances(ImageId=ami, InstanceType="t2.nano", MinCount=1, MaxCount=1,
                          ClientToken="boto3-1")
step("the client token makes it idempotent", again["Instances"][0]["InstanceId"] == iid)
ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=fast)
step("waiter instance_running", True)
inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
step("a public IP on the loopback range", inst.get("PublicIpAddress", "").startswith("127.77."))
step("a private IP in the default subnet", inst.get("PrivateIpAddress", "").startswith("172.31."))
step("its tags", {"Key": "Name", "Value": "boto3"} in inst["Tags"])
ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
step("its user-data, base64", base64.b64decode(ud) == b"#!/bin/sh\necho boto3 was here\n")
pages = list(ec2.get_paginator("describe_instances").paginate(
    Filters=[{"Name": "tag:Name", "Values": ["boto3"]}], PaginationConfig={"PageSize": 5}))
step("a paginator over describe_instances (%d page)" % len(pages),
     [i["InstanceId"] for p in pages for r in p["Reservations"] for i in r["Instances"]].count(iid) == 1)
found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["boto3"]},
                                        {"Name": "instance-state-name", "Values": ["running"]}])
step("filters", [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]] == [iid])
ec2.get_waiter("instance_status_ok").wait(InstanceIds=[iid], WaiterConfig=fast)
step("waiter instance_status_ok", True)
step("get_console_output, decoded", "boto3 was here" in ec2.get_console_output(InstanceId=iid)["Output"])

ec2.reboot_instances(InstanceIds=[iid])
step("reboot_instances", True)
ec2.stop_instances(InstanceIds=[iid])
ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=fast)
step("stop_instances and waiter instance_stopped", True)
image = ec2.create_image(InstanceId=iid, Name="boto3-golden")["ImageId"]
ec2.get_waiter("image_available").wait(ImageIds=[image], WaiterConfig=fast)
step("create_image and waiter image_available", True)
step("the image is ours", ec2.describe_images(Owners=["self"], ImageIds=[image])["Images"][0]["State"] == "available")
ec2.start_instances(InstanceIds=[iid])
ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=fast)
step("start_instances", True)

ec2.create_tags(Resources=[iid, image], Tags=[{"Key": "stage", "Value": "test"}])
tags = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["stage"]}])["Tags"]
step("create_tags on an instance and an image", sorted(t["ResourceId"] for t in tags) == sorted([iid, image]))

step("an unknown instance is InvalidInstanceID.NotFound",
     error_code(ec2.stop_instances, InstanceIds=["i-0123456789abcdef0"]) == "InvalidInstanceID.NotFound")
step("a malformed one is InvalidInstanceID.Malformed",
     error_code(ec2.describe_instances, InstanceIds=["i-zz"]) == "InvalidInstanceID.Malformed")
step("a group in use is DependencyViolation",
     error_code(ec2.delete_security_group, GroupId=sg) == "DependencyViolation")
bad = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=key_id, aws_secret_access_key="not-the-secret",
                   config=botocore.config.Config(retries={"max_attempts": 1}))
step("a wrong secret is SignatureDoesNotMatch",
     error_code(bad.describe_instances) == "SignatureDoesNotMatch")

ec2.terminate_instances(InstanceIds=[iid])
ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=fast)
step("terminate_instances and waiter instance_terminated", True)
ec2.deregister_image(ImageId=image)
ec2.delete_security_group(GroupId=sg)
ec2.delete_key_pair(KeyName="boto3-key")
step("clean up", "boto3-key" not in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]])
try:
    ec2.get_waiter("image_available").wait(ImageIds=[image], WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    step("a deregistered image is not available", False)
except WaiterError:
    step("a deregistered image is not available", True)

print("%d failed" % failed)
sys.exit(1 if failed else 0)

"""Apache Libcloud's EC2 driver (Signature Version 2 by default in us-east-1; ResourceId.0 and
Tag.0.Key in CreateTags) and boto3's STS client against ec2-lite serve. Prints one line per case
and exits 1 when one failed.

Usage: clients.py PORT ACCESS-KEY SECRET
"""
import sys

import boto3
from libcloud.compute.drivers.ec2 import EC2NodeDriver

port, key_id, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
failed = 0


def check(name, got, want):
    global failed
    ok = got == want
    print(("ok   " if ok else "FAIL ") + "%s: %r%s" % (name, got, "" if ok else ", not %r" % (want,)),
          flush=True)
    failed += 0 if ok else 1


d = EC2NodeDriver(key_id, secret, secure=False, host="127.0.0.1", port=port)
check("libcloud signs with SigV2", d.connection.signature_version, "2")
check("libcloud list_key_pairs", d.list_key_pairs(), [])
check("libcloud list_nodes", d.list_nodes(), [])
check("libcloud ex_list_security_groups", d.ex_list_security_groups(), ["default"])
key = d.create_key_pair("libcloud-key")
check("libcloud create_key_pair", key.name, "libcloud-key")
check("libcloud list_key_pairs after", [k.name for k in d.list_key_pairs()], ["libcloud-key"])
group = d.ex_create_security_group("libcloud-group", "made by libcloud")
# CreateTags as libcloud numbers it, from 0: both tags on the group.
node = type("Resource", (), {"id": group["group_id"]})()
check("libcloud ex_create_tags (ResourceId.0, Tag.0.Key)", d.ex_create_tags(node, {"a": "1", "b": "2"}), True)
tags = sorted((t["Key"], t["Value"]) for t in boto3.client(
    "ec2", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
    aws_access_key_id=key_id, aws_secret_access_key=secret).describe_tags()["Tags"])
check("the tags libcloud made", tags, [("a", "1"), ("b", "2")])
check("libcloud ex_delete_tags", d.ex_delete_tags(node, {"a": "1"}), True)
check("libcloud delete_key_pair", d.delete_key_pair(key), True)
bad = EC2NodeDriver(key_id, "wrong", secure=False, host="127.0.0.1", port=port)
try:
    bad.list_nodes()
    check("libcloud with a wrong secret", "served", "refused")
except Exception as e:  # libcloud raises its own error types
    check("libcloud with a wrong secret", "SignatureDoesNotMatch" in str(e), True)

sts = boto3.client("sts", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                   aws_access_key_id=key_id, aws_secret_access_key=secret)
ident = sts.get_caller_identity()
check("boto3 sts get_caller_identity", (ident["Account"], ident["Arn"], ident["UserId"]),
      ("123456789012", "arn:aws:iam::123456789012:root", "123456789012"))
bob = boto3.client("sts", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                   aws_access_key_id="AKIDEC2LITEBOB", aws_secret_access_key="bob-secret")
check("boto3 sts, a key with a user", bob.get_caller_identity()["Arn"], "arn:aws:iam::123456789012:user/bob")
try:
    boto3.client("sts", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                 aws_access_key_id="AKIDNOBODY", aws_secret_access_key="x").get_caller_identity()
    check("boto3 sts, an unknown key", "served", "InvalidClientTokenId")
except Exception as e:
    check("boto3 sts, an unknown key", getattr(e, "response", {}).get("Error", {}).get("Code"),
          "InvalidClientTokenId")
print("%d failed" % failed)
sys.exit(1 if failed else 0)

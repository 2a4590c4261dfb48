#!/usr/bin/python3
"""Writes src/api/shapes.c: for each EC2 action the API server serves, the shapes of its request
and response as botocore's EC2 model (API version 2016-11-15) describes them: each member's name
(the model's and the aws CLI's JSON key), its name in a Query request (InstanceId.1 for
InstanceIds: the member's queryName or capitalised locationName) and its element in the XML
response (instancesSet for Instances: its locationName). The server parses requests and writes
responses by these tables, so both follow EC2's wire format member by member.

The model comes with Debian's awscli (its own botocore) or python3-botocore, the newer of the two.
The output is committed; run this again only to serve more actions:
    scripts/gen-api-shapes.py > src/api/shapes.c
"""
import json
import sys

# The newest model at hand: the aws CLI's own copy of botocore is usually newer than boto3's.
MODELS = ["/usr/lib/python3/dist-packages/awscli/botocore/data/ec2/2016-11-15/service-2.json",
          "/usr/lib/python3/dist-packages/botocore/data/ec2/2016-11-15/service-2.json"]

# The EC2 actions ec2-lite serves (its CLI has each of them).
ACTIONS = """
RunInstances DescribeInstances StartInstances StopInstances RebootInstances TerminateInstances
DescribeInstanceAttribute GetConsoleOutput DescribeInstanceStatus DescribeInstanceTypes
RegisterImage DescribeImages DeregisterImage CreateImage CopyImage ImportImage
DescribeImportImageTasks CreateSecurityGroup DescribeSecurityGroups
AuthorizeSecurityGroupIngress RevokeSecurityGroupIngress DeleteSecurityGroup CreateKeyPair
ImportKeyPair DescribeKeyPairs DeleteKeyPair CreateTags DeleteTags DescribeTags
DescribeVpcs DescribeSubnets DescribeInternetGateways DescribeRouteTables DescribeNetworkAcls
DescribeAvailabilityZones DescribeRegions DescribeAccountAttributes DescribeNetworkInterfaces
AllocateAddress AssociateAddress DisassociateAddress ReleaseAddress DescribeAddresses
ModifyInstanceAttribute GetPasswordData
ModifyInstanceMetadataOptions AssociateIamInstanceProfile DescribeIamInstanceProfileAssociations
DisassociateIamInstanceProfile ReplaceIamInstanceProfileAssociation
CreateVolume DescribeVolumes DeleteVolume AttachVolume DetachVolume ModifyVolume
DescribeVolumeStatus CreateSnapshot DescribeSnapshots DeleteSnapshot CopySnapshot
""".split()

# ec2-lite's own actions, not EC2's (README "The web console"): their operations and shapes,
# written here as botocore writes its model, served and authorized (ec2:ACTION) like EC2's.
OWN_OPERATIONS = {
    "DescribeBootTimeline": {"input": {"shape": "DescribeBootTimelineRequest"},
                             "output": {"shape": "DescribeBootTimelineResult"}},
}
OWN_SHAPES = {
    "DescribeBootTimelineRequest": {"type": "structure", "members": {
        "InstanceIds": {"shape": "InstanceIdStringList", "locationName": "InstanceId"},
        "DryRun": {"shape": "Boolean", "locationName": "dryRun"}}},
    "DescribeBootTimelineResult": {"type": "structure", "members": {
        "BootTimelines": {"shape": "BootTimelineList", "locationName": "bootTimelineSet"}}},
    "BootTimelineList": {"type": "list", "member": {"shape": "BootTimeline", "locationName": "item"}},
    "BootTimeline": {"type": "structure", "members": {
        "InstanceId": {"shape": "String", "locationName": "instanceId"},
        "StartedAt": {"shape": "String", "locationName": "startedAt"},
        "Phases": {"shape": "BootPhaseList", "locationName": "phaseSet"},
        "Complete": {"shape": "Boolean", "locationName": "complete"}}},
    "BootPhaseList": {"type": "list", "member": {"shape": "BootPhase", "locationName": "item"}},
    "BootPhase": {"type": "structure", "members": {
        "Phase": {"shape": "String", "locationName": "phase"},
        "Seconds": {"shape": "Double", "locationName": "seconds"}}},
}

# ec2-lite's own request members beside EC2's (RegisterImage takes a local disk here).
EXTRA_INPUT = {
    "RegisterImageRequest": ["DiskPath", "KernelPath", "RamdiskPath", "KernelArgs", "KernelEntry"],
}

KINDS = {"string": "API_STRING", "integer": "API_INTEGER", "long": "API_INTEGER",
         "boolean": "API_BOOLEAN", "blob": "API_BLOB", "timestamp": "API_TIMESTAMP",
         "double": "API_DOUBLE", "float": "API_DOUBLE", "structure": "API_STRUCT",
         "list": "API_LIST"}


def main():
    models = []
    for path in MODELS:
        try:
            models.append(json.load(open(path)))
        except OSError:
            pass
    model = max(models, key=lambda m: len(m["operations"]))
    shapes, ops = model["shapes"], model["operations"]
    for name in OWN_SHAPES:
        assert name not in shapes, name
    shapes.update(OWN_SHAPES)
    ops.update(OWN_OPERATIONS)
    order, index = [], {}

    def visit(name):
        if name in index or shapes[name]["type"] != "structure":
            return
        index[name] = len(order)
        order.append(name)
        for m in shapes[name]["members"].values():
            t = shapes[m["shape"]]
            if t["type"] == "structure":
                visit(m["shape"])
            elif t["type"] == "list":
                visit(t["member"]["shape"])

    actions = []
    for a in ACTIONS + list(OWN_OPERATIONS):
        op = ops[a]
        inp = op.get("input", {}).get("shape")
        out = op.get("output", {}).get("shape")
        for s in (inp, out):
            if s:
                visit(s)
        actions.append((a, inp, out))

    def c(s):
        return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')

    w = sys.stdout.write
    w("/* Generated by scripts/gen-api-shapes.py from botocore's EC2 model (API version\n"
      " * 2016-11-15): the request and response shapes of the actions the API server serves.\n"
      " * Do not edit; run the script again to serve more actions. */\n")
    w('#include "api.h"\n\n')
    for name in order:
        members = shapes[name]["members"]
        w("static const struct api_member m_%s[] = {\n" % name)
        for mname, m in members.items():
            t = shapes[m["shape"]]
            loc = m.get("locationName")
            query = m.get("queryName") or (loc[0].upper() + loc[1:] if loc else mname)
            xml = loc or mname
            kind = KINDS[t["type"]]
            elem, sub = "API_STRING", -1
            if t["type"] == "structure":
                sub = index[m["shape"]]
            elif t["type"] == "list":
                et = shapes[t["member"]["shape"]]
                elem = KINDS[et["type"]]
                if et["type"] == "structure":
                    sub = index[t["member"]["shape"]]
            w("\t{ %s, %s, %s, %s, %s, %d },\n" % (c(mname), c(query), c(xml), kind, elem, sub))
        for extra in EXTRA_INPUT.get(name, []):
            w("\t{ %s, %s, %s, API_STRING, API_STRING, -1 }, /* ec2-lite's */\n"
              % (c(extra), c(extra), c(extra[0].lower() + extra[1:])))
        w("};\n\n")
    w("const struct api_shape api_shapes[] = {\n")
    for name in order:
        n = len(shapes[name]["members"]) + len(EXTRA_INPUT.get(name, []))
        w("\t{ %s, m_%s, %d },\n" % (c(name), name, n))
    w("};\n\n")
    w("const struct api_action api_actions[] = {\n")
    for a, inp, out in actions:
        w("\t{ %s, %d, %d },\n" % (c(a), index[inp] if inp else -1, index[out] if out else -1))
    w("\t{ NULL, -1, -1 },\n};\n")


main()

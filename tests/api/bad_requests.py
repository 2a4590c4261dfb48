"""Bad requests to the EC2 API server, signed by botocore's own SigV4 signer (an implementation
independent of the server's): each gets EC2's error code and HTTP status, and changes nothing.
Prints one line per case and exits 1 when one failed.

Usage: bad_requests.py ENDPOINT ACCESS-KEY SECRET
"""
import datetime
import os
import socket
import sys
import urllib.parse
import urllib.error
import urllib.request
from unittest import mock
from xml.etree import ElementTree

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, key_id, secret = sys.argv[1:4]
failed = 0


def send(body, creds=(key_id, secret), when=None, region="us-east-1", method="POST",
         sign=True, content_type="application/x-www-form-urlencoded; charset=utf-8"):
    """The status and (code, message) or root tag of the answer to body."""
    url = endpoint if method == "POST" else endpoint + "?" + body
    req = AWSRequest(method=method, url=url, data=body if method == "POST" else None,
                     headers={"Content-Type": content_type})
    if sign:
        signer = SigV4Auth(Credentials(*creds), "ec2", region)
        if when:
            with mock.patch("botocore.auth.datetime") as dt:
                dt.datetime.utcnow.return_value = when
                dt.datetime.strptime = datetime.datetime.strptime
                signer.add_auth(req)
        else:
            signer.add_auth(req)
    prepared = req.prepare()
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    r = urllib.request.Request(prepared.url, data=data, method=method,
                               headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, ElementTree.fromstring(resp.read()).tag
    except urllib.error.HTTPError as e:
        doc = ElementTree.fromstring(e.read())
        return e.code, (doc.findtext("Errors/Error/Code"), doc.findtext("Errors/Error/Message"))


def expect(name, got, status, code, message=""):
    """got must be the error code with HTTP status, its message holding message."""
    global failed
    ok = got[0] == status and isinstance(got[1], tuple) and got[1][0] == code and message in got[1][1]
    print(("ok   " if ok else "FAIL ") + "%s: %s %s" % (name, got[0], got[1]), flush=True)
    failed += 0 if ok else 1


V = "&Version=2016-11-15"
expect("unknown action", send("Action=LaunchRocket" + V), 400, "InvalidAction")
expect("no action", send("Version=2016-11-15"), 400, "MissingAction")
expect("wrong version", send("Action=DescribeInstances&Version=2099-01-01"), 400, "NoSuchVersion")
expect("no version", send("Action=DescribeInstances"), 400, "MissingParameter")
expect("unknown parameter", send("Action=DescribeInstances" + V + "&Colour=red"), 400, "UnknownParameter")
expect("list without an index", send("Action=StopInstances" + V + "&InstanceId=i-0123456789abcdef0"),
       400, "InvalidQueryParameter")
expect("list index 0", send("Action=StopInstances" + V + "&InstanceId.0=i-0123456789abcdef0"),
       400, "InvalidQueryParameter")
expect("list index not a number", send("Action=DescribeInstances" + V + "&Filter.x.Name=a"),
       400, "InvalidQueryParameter")
expect("a structure given a value", send("Action=RunInstances" + V + "&ImageId=ami-12345678&MinCount=1"
                                         "&MaxCount=1&HibernationOptions=yes"), 400, "InvalidQueryParameter")
expect("bad %-escape", send("Action=DescribeInstances" + V + "&x=%zz"), 404, "MalformedQueryString")
expect("missing parameter", send("Action=RunInstances" + V + "&MinCount=1&MaxCount=1"), 400, "MissingParameter")
expect("missing instance ids", send("Action=StopInstances" + V), 400, "MissingParameter")
expect("malformed id", send("Action=TerminateInstances" + V + "&InstanceId.1=i-xyz"), 400,
       "InvalidInstanceID.Malformed")
expect("user-data not base64", send("Action=RunInstances" + V + "&ImageId=ami-12345678&MinCount=1"
                                    "&MaxCount=1&UserData=***"), 400, "InvalidParameterValue")
expect("oversize body", send("Action=DescribeInstances" + V + "&Filter.1.Name=x&Filter.1.Value.1="
                             + "a" * 300000), 413, "RequestEntityTooLarge")


def oversize_raw(chunked):
    """Sends a 10 MiB body (with its Content-Length, or chunked) as fast as the server takes it.
    The server must answer RequestEntityTooLarge or close the connection once 256 KiB are passed,
    not read (or buffer) the rest: returns (bytes of the body it took, first line of the answer)."""
    host, port = urllib.parse.urlsplit(endpoint).netloc.split(":")
    total = 10 * 1024 * 1024
    s = socket.create_connection((host, int(port)), timeout=20)
    head = "POST / HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/x-www-form-urlencoded\r\n" % (host, port)
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "Content-Length: %d\r\n\r\n" % total
    s.sendall(head.encode())
    sent, piece = 0, b"a" * 65536
    s.settimeout(0.5)
    answer = b""
    try:
        while sent < total:
            try:
                r = s.recv(4096)
                if not r:
                    break
                answer += r
                break
            except socket.timeout:
                pass
            s.settimeout(20)
            s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
            s.settimeout(0.01)
        if sent >= total:
            s.settimeout(20)
            s.sendall(b"0\r\n\r\n" if chunked else b"")
            answer += s.recv(4096)
    except OSError:
        pass
    s.close()
    return sent, answer.split(b"\r\n")[0].decode(errors="replace")


def expect_cut(name, got, answer):
    global failed
    sent, line = got
    ok = sent < 2 * 1024 * 1024 and (answer is None or line.startswith(answer))
    print(("ok   " if ok else "FAIL ") + "%s: the server took %d bytes of 10 MiB, answered '%s'"
          % (name, sent, line), flush=True)
    failed += 0 if ok else 1


expect_cut("10 MiB body with its Content-Length: answered at once", oversize_raw(False),
           "HTTP/1.1 413")
# A chunked body has no length to answer from before it is read; past the limit the server
# closes the connection (libmicrohttpd cannot answer while it reads a body).
expect_cut("10 MiB chunked body: cut off", oversize_raw(True), None)
# A client never names a host path: ec2-lite's own RegisterImage members are unknown to it, and
# ImportImage reads only objects of the import folder (s3://BUCKET/KEY), never file://.
expect("RegisterImage with a host path", send("Action=RegisterImage" + V + "&Name=shadow&DiskPath=/etc/shadow"),
       400, "UnknownParameter")
expect("RegisterImage with a kernel path", send("Action=RegisterImage" + V + "&Name=xyz&KernelPath=/etc/shadow"),
       400, "UnknownParameter")
expect("RegisterImage without a disk", send("Action=RegisterImage" + V + "&Name=xyz"), 400,
       "InvalidParameterValue")
DC = "&DiskContainer.1.Format=RAW&DiskContainer.1.Url="
expect("ImportImage from file://", send("Action=ImportImage" + V + DC + "file:///etc/shadow"), 400,
       "InvalidParameterValue", "use s3://BUCKET/KEY")
expect("ImportImage from s3:// with ..", send("Action=ImportImage" + V + DC + "s3://bucket/../../etc/shadow"),
       400, "InvalidParameterValue", "not an S3 object")
expect("ImportImage from s3:// with an absolute key", send("Action=ImportImage" + V + DC + "s3://bucket//etc/shadow"),
       400, "InvalidParameterValue", "not an S3 object")
expect("ImportImage from a bucket named ..", send("Action=ImportImage" + V + DC + "s3://../etc/shadow"),
       400, "InvalidParameterValue", "not an S3 object")
expect("ImportImage of an object not in the import folder", send("Action=ImportImage" + V + DC + "s3://bucket/disk.raw"),
       400, "InvalidParameterValue", "does not exist in the import folder")
expect("bad signature", send("Action=DescribeInstances" + V, creds=(key_id, "wrong")), 403,
       "SignatureDoesNotMatch")
expect("unknown access key", send("Action=DescribeInstances" + V, creds=("AKIDNOBODY", secret)), 401,
       "AuthFailure")
expect("unsigned", send("Action=DescribeInstances" + V, sign=False), 403, "MissingAuthenticationToken")
expect("expired date (20 minutes old)",
       send("Action=DescribeInstances" + V, when=datetime.datetime.utcnow() - datetime.timedelta(minutes=20)),
       400, "RequestExpired")
expect("date from the future (20 minutes)",
       send("Action=DescribeInstances" + V, when=datetime.datetime.utcnow() + datetime.timedelta(minutes=20)),
       400, "RequestExpired")
expect("another region", send("Action=DescribeInstances" + V, region="eu-west-1"), 401, "AuthFailure")
expect("a bad request with a good signature via GET", send("Action=StopInstances" + V, method="GET"),
       400, "MissingParameter")
got = send("Action=DescribeInstances" + V, method="GET")
ok = got == (200, "{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeInstancesResponse")
print(("ok   " if ok else "FAIL ") + "a signed GET is served: %s %s" % got, flush=True)
failed += 0 if ok else 1


def dry_run_cases():
    """DryRun=true: HTTP 412 DryRunOperation where the request would have succeeded, else the error
    it would have had; nothing changes (bad-requests.sh counts instances, groups, key pairs)."""
    global failed
    ami = os.environ["EC2_LITE_TEST_AMI"]
    dry = "&DryRun=true"
    run = "Action=RunInstances" + V + "&MinCount=1&MaxCount=1&InstanceType=t2.nano"
    got = send(run + "&ImageId=" + ami + dry)
    expect("dry RunInstances", got, 412, "DryRunOperation")
    ok = got[1][1] == "Request would have succeeded, but DryRun flag is set"
    print(("ok   " if ok else "FAIL ") + "dry run message: %s" % (got[1],), flush=True)
    failed += 0 if ok else 1
    expect("dry RunInstances, unknown AMI", send(run + "&ImageId=ami-0123456789abcdef0" + dry), 400,
           "InvalidAMIID.NotFound")
    expect("dry RunInstances, too big", send("Action=RunInstances" + V + "&MinCount=1&MaxCount=1"
                                             "&InstanceType=m5.24xlarge&ImageId=" + ami + dry),
           400, "InsufficientInstanceCapacity")
    expect("dry TerminateInstances, unknown id",
           send("Action=TerminateInstances" + V + "&InstanceId.1=i-0123456789abcdef0" + dry), 400,
           "InvalidInstanceID.NotFound")
    expect("dry CreateSecurityGroup", send("Action=CreateSecurityGroup" + V + "&GroupName=dry"
                                           "&GroupDescription=d" + dry), 412, "DryRunOperation")
    expect("dry CreateKeyPair", send("Action=CreateKeyPair" + V + "&KeyName=dry" + dry), 412,
           "DryRunOperation")
    expect("dry DescribeInstances", send("Action=DescribeInstances" + V + dry), 412, "DryRunOperation")
    expect("DryRun not a boolean", send("Action=DescribeInstances" + V + "&DryRun=maybe"), 400,
           "InvalidParameterValue")
    got = send("Action=DescribeInstances" + V + "&DryRun=false")
    ok = got == (200, "{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeInstancesResponse")
    print(("ok   " if ok else "FAIL ") + "DryRun=false is an ordinary request: %s %s" % got, flush=True)
    failed += 0 if ok else 1


def vpc_cases():
    """The default VPC's actions over the wire: unknown ids, zones and filters, and RunInstances
    into a subnet or zone that is not one (the Query names: SubnetId.N, Placement.AvailabilityZone,
    NetworkInterface.N.SubnetId)."""
    global failed
    ami = os.environ["EC2_LITE_TEST_AMI"]
    run = "Action=RunInstances" + V + "&MinCount=1&MaxCount=1&InstanceType=t2.nano&ImageId=" + ami
    expect("DescribeSubnets, unknown", send("Action=DescribeSubnets" + V + "&SubnetId.1=subnet-12345678"),
           400, "InvalidSubnetID.NotFound", "The subnet ID 'subnet-12345678' does not exist")
    expect("DescribeVpcs, unknown", send("Action=DescribeVpcs" + V + "&VpcId.1=vpc-12345678"), 400,
           "InvalidVpcID.NotFound")
    expect("DescribeInternetGateways, unknown", send("Action=DescribeInternetGateways" + V +
                                                     "&InternetGatewayId.1=igw-12345678"), 400,
           "InvalidInternetGatewayID.NotFound")
    expect("DescribeRouteTables, unknown", send("Action=DescribeRouteTables" + V +
                                                "&RouteTableId.1=rtb-12345678"), 400,
           "InvalidRouteTableID.NotFound")
    expect("DescribeNetworkAcls, unknown", send("Action=DescribeNetworkAcls" + V +
                                                "&NetworkAclId.1=acl-12345678"), 400,
           "InvalidNetworkAclID.NotFound")
    expect("DescribeSubnets, bad filter", send("Action=DescribeSubnets" + V + "&Filter.1.Name=colour"
                                               "&Filter.1.Value.1=red"), 400, "InvalidParameterValue")
    expect("DescribeAvailabilityZones, unknown", send("Action=DescribeAvailabilityZones" + V +
                                                      "&ZoneName.1=us-east-1z"), 400,
           "InvalidParameterValue", "Invalid availability zone: [us-east-1z]")
    expect("DescribeAccountAttributes, unknown", send("Action=DescribeAccountAttributes" + V +
                                                      "&AttributeName.1=widgets"), 400,
           "InvalidParameterValue")
    expect("dry DescribeSubnets", send("Action=DescribeSubnets" + V + "&DryRun=true"), 412,
           "DryRunOperation")
    expect("RunInstances, unknown subnet", send(run + "&SubnetId=subnet-12345678"), 400,
           "InvalidSubnetID.NotFound")
    expect("RunInstances, interface's unknown subnet",
           send(run + "&NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.SubnetId=subnet-12345678"),
           400, "InvalidSubnetID.NotFound")
    expect("RunInstances, unknown zone", send(run + "&Placement.AvailabilityZone=us-east-1z"), 400,
           "InvalidParameterValue", "Invalid availability zone: [us-east-1z]")
    for action in ("DescribeVpcs", "DescribeSubnets", "DescribeInternetGateways", "DescribeRouteTables",
                   "DescribeNetworkAcls", "DescribeAvailabilityZones", "DescribeRegions",
                   "DescribeAccountAttributes"):
        got = send("Action=" + action + V)
        ok = got == (200, "{http://ec2.amazonaws.com/doc/2016-11-15/}" + action + "Response")
        print(("ok   " if ok else "FAIL ") + "%s is served: %s %s" % (action, got[0], got[1]), flush=True)
        failed += 0 if ok else 1


vpc_cases()
dry_run_cases()
# Nothing above changed anything: no instance, no group besides the default.
got = send("Action=DescribeInstances" + V)
ok = got[0] == 200
print(("ok   " if ok else "FAIL ") + "the server still answers", flush=True)
failed += 0 if ok else 1
print("%d failed" % failed)
sys.exit(1 if failed else 0)

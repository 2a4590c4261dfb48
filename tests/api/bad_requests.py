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
         sign=True, content_type="application/x-www-form-urlencoded; charset=utf-8", service="ec2"):
    """The status and (code, message) or root tag of the answer to body."""
    url = endpoint if method == "POST" else endpoint + "?" + body
    req = AWSRequest(method=method, url=url, data=body if method == "POST" else None,
                     headers={"Content-Type": content_type})
    if sign:
        signer = SigV4Auth(Credentials(*creds), service, region)
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
# A list of one without an index, and indexes from 0, are taken as EC2 takes them (libcloud
# sends ResourceId.0 and Tag.0.Key): the id is looked up, not refused as malformed.
expect("list without an index", send("Action=StopInstances" + V + "&InstanceId=i-0123456789abcdef0"),
       400, "InvalidInstanceID.NotFound", "i-0123456789abcdef0")
expect("list index 0", send("Action=StopInstances" + V + "&InstanceId.0=i-0123456789abcdef0"),
       400, "InvalidInstanceID.NotFound", "i-0123456789abcdef0")
expect("list numbered from 0 and unnumbered, both items kept",
       send("Action=TerminateInstances" + V + "&InstanceId.0=i-0123456789abcdef0&InstanceId=i-00000000000000001"),
       400, "InvalidInstanceID.NotFound", "i-00000000000000001, i-0123456789abcdef0")
expect("list index too big", send("Action=StopInstances" + V + "&InstanceId.4294967297=i-0123456789abcdef0"),
       400, "InvalidQueryParameter")
expect("list index negative", send("Action=StopInstances" + V + "&InstanceId.-1=i-0123456789abcdef0"),
       400, "InvalidQueryParameter")
got = send("Action=DescribeInstances" + V + "&Filter.0.Name=instance-state-name&Filter.0.Value.0=running"
           "&Filter.Name=tag:Name&Filter.Value=x")
ok = got == (200, "{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeInstancesResponse")
print(("ok   " if ok else "FAIL ") + "filters numbered from 0 and unnumbered: %s %s" % got, flush=True)
failed += 0 if ok else 1
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
# Filters EC2 does not document, pages out of bounds or forged, tags on a type the create does
# not make: EC2's errors (sent raw: botocore checks some of these before sending).
expect("undocumented instance filter", send("Action=DescribeInstances" + V + "&Filter.1.Name=elastic-ip"
                                            "&Filter.1.Value.1=x"), 400, "InvalidParameterValue",
       "The filter 'elastic-ip' is invalid")
expect("status page too small", send("Action=DescribeInstanceStatus" + V + "&MaxResults=4"), 400,
       "InvalidParameterValue", "maxResults")
expect("group page token forged", send("Action=DescribeSecurityGroups" + V + "&NextToken=bogus"), 400,
       "InvalidNextToken")
expect("type page too large", send("Action=DescribeInstanceTypes" + V + "&MaxResults=101"), 400,
       "InvalidParameterValue", "between 5 and 100")
expect("group tagged as an instance", send("Action=CreateSecurityGroup" + V + "&GroupName=t&GroupDescription=t"
                                           "&TagSpecification.1.ResourceType=instance"
                                           "&TagSpecification.1.Tag.1.Key=a&TagSpecification.1.Tag.1.Value=b"),
       400, "InvalidParameterValue", "'instance' is not a valid taggable resource type for this operation.")
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


# ---------- Signature Version 2, signed here (AWS's documented algorithm) and by botocore ----------

def send_v2(params, method="GET", creds=(key_id, secret), sig_method="HmacSHA256", when=None,
            expires=None, tamper=None, signed_as=None):
    """Signs params with SigV2 (Timestamp when, or Expires expires) and sends them; tamper(params)
    changes them after signing. The status and (code, message) or root tag of the answer."""
    import base64
    import hashlib
    import hmac
    split = urllib.parse.urlsplit(endpoint)
    params = dict(params, AWSAccessKeyId=creds[0], SignatureVersion="2", SignatureMethod=sig_method)
    if expires:
        params["Expires"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        params["Timestamp"] = (when or datetime.datetime.utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")
    qs = "&".join(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(params[k], safe="-_~")
                  for k in sorted(params))
    to_sign = "\n".join((signed_as or method, split.netloc.lower(), split.path or "/", qs))
    digest = hashlib.sha1 if sig_method == "HmacSHA1" else hashlib.sha256
    params["Signature"] = base64.b64encode(hmac.new(creds[1].encode(), to_sign.encode(), digest).digest()).decode()
    if tamper:
        tamper(params)
    data = urllib.parse.urlencode(params)
    url = endpoint + ("?" + data if method == "GET" else "")
    r = urllib.request.Request(url, data=data.encode() if method == "POST" else None, method=method,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, ElementTree.fromstring(resp.read()).tag
    except urllib.error.HTTPError as e:
        doc = ElementTree.fromstring(e.read())
        return e.code, (doc.findtext("Errors/Error/Code"), doc.findtext("Errors/Error/Message"))


def expect_ok(name, got, tag):
    global failed
    ok = got == (200, "{http://ec2.amazonaws.com/doc/2016-11-15/}" + tag)
    print(("ok   " if ok else "FAIL ") + "%s: %s %s" % (name, got[0], got[1]), flush=True)
    failed += 0 if ok else 1


DK = {"Action": "DescribeKeyPairs", "Version": "2016-11-15"}
expect_ok("SigV2 GET, HmacSHA256", send_v2(DK), "DescribeKeyPairsResponse")
expect_ok("SigV2 POST, HmacSHA1", send_v2(DK, method="POST", sig_method="HmacSHA1"), "DescribeKeyPairsResponse")
expect_ok("SigV2 with Expires", send_v2(DK, expires=datetime.datetime.utcnow() + datetime.timedelta(minutes=5)),
          "DescribeKeyPairsResponse")
expect_ok("SigV2 with escapes and a list from 0",
          send_v2({"Action": "DescribeInstances", "Version": "2016-11-15", "Filter.0.Name": "tag:Name",
                   "Filter.0.Value.0": "a b~*/\u00e9+", "Filter.1.Name": "instance-state-name",
                   "Filter.1.Value": "running"}), "DescribeInstancesResponse")
expect("SigV2 wrong signature", send_v2(DK, creds=(key_id, "wrong")), 403, "SignatureDoesNotMatch")
expect("SigV2 a parameter changed after signing",
       send_v2(DK, tamper=lambda p: p.update(KeyName="x")), 403, "SignatureDoesNotMatch")
expect("SigV2 SignatureMethod changed after signing",
       send_v2(DK, tamper=lambda p: p.update(SignatureMethod="HmacSHA1")), 403, "SignatureDoesNotMatch")
expect("SigV2 signed as GET, sent as POST", send_v2(DK, method="POST", signed_as="GET"), 403,
       "SignatureDoesNotMatch")
expect("SigV2 unknown key", send_v2(DK, creds=("AKIDNOBODY", secret)), 401, "AuthFailure")
expect("SigV2 expired timestamp (20 minutes old)",
       send_v2(DK, when=datetime.datetime.utcnow() - datetime.timedelta(minutes=20)), 400, "RequestExpired")
expect("SigV2 Expires past", send_v2(DK, expires=datetime.datetime.utcnow() - datetime.timedelta(minutes=1)),
       400, "RequestExpired")
expect("SigV2 unknown method", send_v2(DK, sig_method="HmacMD5"), 400, "InvalidParameterValue")
expect("SigV2 without Signature", send_v2(DK, tamper=lambda p: p.pop("Signature")), 400, "MissingParameter")
expect("SigV2 without a time", send_v2(DK, tamper=lambda p: p.pop("Timestamp")), 400, "MissingParameter")
expect("SigV2 version 1", send_v2(DK, tamper=lambda p: p.update(SignatureVersion="1")), 400,
       "InvalidParameterValue")


def botocore_v2():
    """botocore's own SigV2 signer (an implementation independent of the server's and of send_v2)."""
    from botocore.auth import SigV2Auth
    req = AWSRequest(method="POST", url=endpoint, data={"Action": "DescribeSecurityGroups", "Version": "2016-11-15"})
    SigV2Auth(Credentials(key_id, secret)).add_auth(req)
    body = urllib.parse.urlencode(req.data).encode()
    r = urllib.request.Request(endpoint, data=body, method="POST",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, ElementTree.fromstring(resp.read()).tag
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:200]


expect_ok("SigV2 by botocore's SigV2Auth", botocore_v2(), "DescribeSecurityGroupsResponse")

# ---------- STS at the same endpoint ----------
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def send_sts(body, service="sts", creds=(key_id, secret)):
    """body signed with SigV4 for service: (status, (Type, Code) of STS's error or the Arn)."""
    req = AWSRequest(method="POST", url=endpoint, data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(*creds), service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body.encode(), method="POST",
                               headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            doc = ElementTree.fromstring(resp.read())
            return resp.status, doc.findtext(STS_NS + "GetCallerIdentityResult/" + STS_NS + "Arn")
    except urllib.error.HTTPError as e:
        doc = ElementTree.fromstring(e.read())
        return e.code, (doc.findtext(STS_NS + "Error/" + STS_NS + "Type"),
                        doc.findtext(STS_NS + "Error/" + STS_NS + "Code"))


GCI = "Action=GetCallerIdentity&Version=2011-06-15"


def expect_sts(name, got, want):
    global failed
    ok = got == want
    print(("ok   " if ok else "FAIL ") + "%s: %s %s" % (name, got[0], got[1]), flush=True)
    failed += 0 if ok else 1


expect_sts("STS GetCallerIdentity", send_sts(GCI), (200, "arn:aws:iam::000000000000:root"))
expect_sts("STS with the ec2 scope", send_sts(GCI, service="ec2"), (403, ("Sender", "SignatureDoesNotMatch")))
expect_sts("STS unknown key", send_sts(GCI, creds=("AKIDNOBODY", secret)), (403, ("Sender", "InvalidClientTokenId")))
expect_sts("STS wrong secret", send_sts(GCI, creds=(key_id, "wrong")), (403, ("Sender", "SignatureDoesNotMatch")))
expect_sts("STS action not served", send_sts("Action=AssumeRole&Version=2011-06-15&RoleArn=x"),
           (400, ("Sender", "InvalidAction")))
expect_sts("STS wrong version", send_sts("Action=GetCallerIdentity&Version=2016-11-15"),
           (400, ("Sender", "InvalidAction")))
expect("an EC2 action with the sts scope", send("Action=DescribeInstances" + V, service="sts"), 401, "AuthFailure")


expect("unknown network interface", send("Action=DescribeNetworkInterfaces" + V +
                                         "&NetworkInterfaceId.1=eni-0123456789abcdef0"), 400,
       "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-0123456789abcdef0' does not exist")
expect("network interface filter", send("Action=DescribeNetworkInterfaces" + V +
                                        "&Filter.1.Name=colour&Filter.1.Value.1=red"), 400,
       "InvalidParameterValue")
expect("associate an unknown allocation", send("Action=AssociateAddress" + V +
                                               "&AllocationId=eipalloc-0123456789abcdef0"
                                               "&InstanceId=i-0123456789abcdef0"), 400,
       "InvalidAllocationID.NotFound")
expect("release a foreign address", send("Action=ReleaseAddress" + V + "&PublicIp=1.2.3.4"), 401,
       "AuthFailure", "The address '1.2.3.4' does not belong to you.")
expect("disassociate an unknown association", send("Action=DisassociateAddress" + V +
                                                   "&AssociationId=eipassoc-0123456789abcdef0"),
       400, "InvalidAssociationID.NotFound")
expect("allocate in an unknown domain", send("Action=AllocateAddress" + V + "&Domain=mars"), 400,
       "InvalidParameterValue")


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
    expect("dry AllocateAddress", send("Action=AllocateAddress" + V + dry), 412, "DryRunOperation")
    expect("dry DescribeAddresses", send("Action=DescribeAddresses" + V + dry), 412, "DryRunOperation")
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
# No Elastic IP was allocated by any of the above.
got = send("Action=DescribeAddresses" + V)
ok = got == (200, "{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeAddressesResponse")
print(("ok   " if ok else "FAIL ") + "DescribeAddresses answers: %s %s" % got, flush=True)
failed += 0 if ok else 1
# Nothing above changed anything: no instance, no group besides the default.
got = send("Action=DescribeInstances" + V)
ok = got[0] == 200
print(("ok   " if ok else "FAIL ") + "the server still answers", flush=True)
failed += 0 if ok else 1
print("%d failed" % failed)
sys.exit(1 if failed else 0)

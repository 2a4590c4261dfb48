"""IAM through `ec2-lite serve`, and the credentials of an instance's role. Prints one line per
step ("ok ..." or "FAIL ...") and exits 1 when a step failed.

Usage: iam_roles.py ENDPOINT ACCESS-KEY SECRET PATH-TO-ec2-lite AMI-ID STATE-DIR
"""
import json
import os
import subprocess
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

endpoint, key_id, secret, binary, ami, state = sys.argv[1:7]
failed = 0
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def step(name, cond, detail=""):
    global failed
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": %s" % (detail,)), flush=True)
    failed += 0 if cond else 1


def aws(*args, check=True):
    """`aws iam ...` through the server: (exit status, parsed JSON or stderr)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "--output", "json", "iam"] +
                       list(args), capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return p.returncode, p.stderr
    return 0, json.loads(p.stdout) if p.stdout.strip() else None


def local(*args):
    """`ec2-lite ...` on the same state folder (IAM lives in the store: both front ends see it)."""
    p = subprocess.run([binary] + list(args), capture_output=True, text=True)
    return p.returncode, json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else p.stderr


def code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], \
            e.response["Error"]["Message"]
    return None


cfg = botocore.config.Config(retries={"max_attempts": 1})


def client(service, creds):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=cfg,
                        **creds)


owner = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
trust_path = os.path.join(state, "trust.json")
with open(trust_path, "w") as f:
    json.dump(TRUST, f)

# ---- IAM through the aws CLI ----
rc, out = aws("create-role", "--role-name", "web", "--assume-role-policy-document",
              "file://" + trust_path)
step("aws iam create-role", rc == 0 and out["Role"]["RoleId"].startswith("AROA") and
     out["Role"]["AssumeRolePolicyDocument"] == TRUST and out["Role"]["Path"] == "/", out)
role_id = out["Role"]["RoleId"] if rc == 0 else ""
rc, out = aws("get-role", "--role-name", "web")
step("aws iam get-role: the trust policy as a JSON object", rc == 0 and
     out["Role"]["AssumeRolePolicyDocument"] == TRUST and out["Role"]["MaxSessionDuration"] == 3600
     and list(out["Role"])[:6] == ["Path", "RoleName", "RoleId", "Arn", "CreateDate",
                                  "AssumeRolePolicyDocument"], out)
lrc, lout = local("iam", "get-role", "--role-name", "web")
step("ec2-lite iam get-role prints what aws iam get-role prints", lrc == 0 and lout == out,
     (lout, out))
rc, out = aws("create-role", "--role-name", "web", "--assume-role-policy-document",
              "file://" + trust_path)
step("aws iam create-role again: EntityAlreadyExists, exit 254",
     rc == 254 and "(EntityAlreadyExists)" in out and "Role with name web already exists." in out,
     out)
rc, out = aws("create-role", "--role-name", "bad", "--assume-role-policy-document", "{nope")
step("aws iam create-role, not JSON: MalformedPolicyDocument", rc == 254 and
     "(MalformedPolicyDocument)" in out, out)
# The rest through boto3 (each aws CLI run costs a second of Python start-up).
iam = client("iam", owner)
got = code(iam.get_role, RoleName="nope")
step("get-role of no role: NoSuchEntity 404",
     got == ("NoSuchEntity", 404, "The role with name nope cannot be found."), got)
iam.create_role(RoleName="ro", AssumeRolePolicyDocument=json.dumps(TRUST))

web_policy = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:CreateTags"], "Resource": "*"}]}
ro_policy = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*"}]}
rc, out = aws("put-role-policy", "--role-name", "web", "--policy-name", "p",
              "--policy-document", json.dumps(web_policy))
step("aws iam put-role-policy", rc == 0 and out is None, out)
iam.put_role_policy(RoleName="ro", PolicyName="p", PolicyDocument=json.dumps(ro_policy))
out = iam.get_role_policy(RoleName="web", PolicyName="p")
step("get-role-policy: the document as a JSON object", out["PolicyDocument"] == web_policy and
     out["RoleName"] == "web" and out["PolicyName"] == "p", out)
out = iam.list_role_policies(RoleName="web")
step("list-role-policies", out["PolicyNames"] == ["p"] and out["IsTruncated"] is False, out)

rc, out = aws("create-instance-profile", "--instance-profile-name", "web-profile")
step("aws iam create-instance-profile", rc == 0 and
     out["InstanceProfile"]["InstanceProfileId"].startswith("AIPA") and
     out["InstanceProfile"]["Roles"] == [] and
     out["InstanceProfile"]["Arn"].endswith(":instance-profile/web-profile"), out)
rc, out = aws("add-role-to-instance-profile", "--instance-profile-name", "web-profile",
              "--role-name", "web")
step("aws iam add-role-to-instance-profile", rc == 0, out)
got = code(iam.add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="ro")
step("a second role: LimitExceeded 409", got and got[:2] == ("LimitExceeded", 409), got)
rc, out = aws("get-instance-profile", "--instance-profile-name", "web-profile")
step("aws iam get-instance-profile: its role", rc == 0 and
     [r["RoleName"] for r in out["InstanceProfile"]["Roles"]] == ["web"] and
     out["InstanceProfile"]["Roles"][0]["AssumeRolePolicyDocument"] == TRUST, out)
rc, out = aws("list-instance-profiles")
step("aws iam list-instance-profiles", rc == 0 and
     [p["InstanceProfileName"] for p in out["InstanceProfiles"]] == ["web-profile"], out)
lrc, lout = local("iam", "list-instance-profiles")
step("ec2-lite iam list-instance-profiles prints the same", lrc == 0 and lout == out, (lout, out))
out = iam.list_instance_profiles_for_role(RoleName="web")
step("list-instance-profiles-for-role",
     [p["InstanceProfileName"] for p in out["InstanceProfiles"]] == ["web-profile"], out)
got = code(iam.delete_role, RoleName="web")
step("delete-role of a role in a profile: DeleteConflict 409",
     got and got[:2] == ("DeleteConflict", 409), got)
out = iam.list_roles()
step("list-roles", [r["RoleName"] for r in out["Roles"]] == ["ro", "web"], out)

# ---- an instance's role credentials ----
ec2 = client("ec2", owner)
iid = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def creds_for(role):
    rc, c = local("iam", "issue-instance-credentials", "--instance-id", iid, "--role-name", role)
    assert rc == 0, c
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["Token"]}


web = creds_for("web")
ro = creds_for("ro")
step("instance credentials: an ASIA key id", web["aws_access_key_id"].startswith("ASIA"))
w_ec2 = client("ec2", web)
r = w_ec2.describe_instances()
step("role web: DescribeInstances works",
     [i["InstanceId"] for res in r["Reservations"] for i in res["Instances"]] == [iid])
step("role web: CreateTags allowed", code(w_ec2.create_tags, Resources=[iid],
                                          Tags=[{"Key": "k", "Value": "v"}]) is None)
got = code(w_ec2.run_instances, ImageId=ami, MinCount=1, MaxCount=1)
step("role web: RunInstances refused, UnauthorizedOperation 403",
     got and got[:2] == ("UnauthorizedOperation", 403) and
     got[2].startswith("You are not authorized to perform this operation. User: "
                       "arn:aws:sts::") and
     (":assumed-role/web/%s is not authorized to perform: ec2:RunInstances" % iid) in got[2], got)
r_ec2 = client("ec2", ro)
got = code(r_ec2.create_tags, Resources=[iid], Tags=[{"Key": "k2", "Value": "v"}])
step("role ro: CreateTags denied (Deny beats Allow), UnauthorizedOperation",
     got and got[:2] == ("UnauthorizedOperation", 403), got)
step("role ro: DescribeImages allowed", code(r_ec2.describe_images, Owners=["self"]) is None)
got = code(r_ec2.describe_instances, DryRun=True)
step("role ro: DryRun of an allowed action is DryRunOperation", got and got[0] == "DryRunOperation",
     got)
who = client("sts", web).get_caller_identity()
step("STS GetCallerIdentity: the assumed role and the instance",
     who["Arn"].endswith(":assumed-role/web/%s" % iid) and who["Arn"].startswith("arn:aws:sts::")
     and who["UserId"] == "%s:%s" % (role_id, iid), who)
got = code(client("iam", web).list_roles)
step("role web: IAM ListRoles refused, AccessDenied 403", got and got[:2] == ("AccessDenied", 403),
     got)
forged = dict(web, aws_session_token=ro["aws_session_token"])
got = code(client("ec2", forged).describe_instances)
step("another key's token: AuthFailure", got and got[0] == "AuthFailure", got)
nosession = dict(web)
del nosession["aws_session_token"]
got = code(client("ec2", nosession).describe_instances)
step("no session token: AuthFailure", got and got[0] == "AuthFailure", got)
wrong = dict(web, aws_secret_access_key="x" * 40)
got = code(client("ec2", wrong).describe_instances)
step("the wrong secret: SignatureDoesNotMatch", got and got[0] == "SignatureDoesNotMatch", got)

# Giving an instance a role passes the role (iam:PassRole): ec2:* alone must not let a role hand
# its own instance a stronger one, whose credentials IMDS would then serve.
got = code(r_ec2.associate_iam_instance_profile, InstanceId=iid,
           IamInstanceProfile={"Name": "web-profile"})
step("role ro (ec2:*, no iam:PassRole): AssociateIamInstanceProfile refused, "
     "UnauthorizedOperation", got and got[:2] == ("UnauthorizedOperation", 403) and
     "is not authorized to perform: iam:PassRole on resource: arn:aws:iam::" in got[2] and
     got[2].split()[-1] != "" and ":role/web " in got[2], got)
got = code(r_ec2.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
           IamInstanceProfile={"Name": "web-profile"})
step("role ro: RunInstances with a profile refused (iam:PassRole)",
     got and got[:2] == ("UnauthorizedOperation", 403) and "iam:PassRole" in got[2], got)
step("role ro: RunInstances without a profile allowed",
     code(r_ec2.run_instances, ImageId=ami, MinCount=1, MaxCount=1) is None)
step("the association was not made", ec2.describe_iam_instance_profile_associations()[
     "IamInstanceProfileAssociations"] == [])

ec2.terminate_instances(InstanceIds=[iid])
got = code(w_ec2.describe_instances)
step("after TerminateInstances the credentials fail: AuthFailure",
     got and got[:2] == ("AuthFailure", 401), got)
step("the owner's keys still work", code(ec2.describe_instances) is None)

# ---- clean-up through the API ----
iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="web")
iam.delete_instance_profile(InstanceProfileName="web-profile")
iam.delete_role_policy(RoleName="web", PolicyName="p")
iam.delete_role(RoleName="web")
out = iam.list_roles()
step("remove-role-from-instance-profile, delete-instance-profile, delete-role-policy, "
     "delete-role", [r["RoleName"] for r in out["Roles"]] == ["ro"], out)
sys.exit(1 if failed else 0)

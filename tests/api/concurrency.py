"""Many clients of one `ec2-lite serve` at once (tests/api/concurrency.sh starts it on libvirt's
test driver): writers launch, tag, stop, start and terminate instances, group writers create,
authorize, revoke and delete security groups, while readers describe instances, groups and images.
Checks, for every client:
  - read-your-writes: after each acknowledged write, the same client's next DescribeInstances shows
    it (its new instances, their state after a stop, start or terminate, their new tags), and its
    next DescribeSecurityGroups its groups (a new one, its rules after an authorize or a revoke, a
    deleted one gone);
  - every DescribeInstances lists each instance once, every DescribeSecurityGroups each group
    once, every DescribeImages the AMI once;
  - at the end nothing is lost or doubled: the live instances the server describes are exactly
    those the clients launched and did not terminate, its terminated ones exactly the others; its
    groups exactly the default one and those the clients created and did not delete, each with
    the rules its client left it.
Prints one line per failure (and a summary) and exits 1 when anything failed.

Usage: concurrency.py ENDPOINT ACCESS-KEY SECRET AMI [SECONDS] [WRITERS] [READERS]
                      [GROUP-WRITERS]
"""
import random
import sys
import threading
import time

import botocore.config
import botocore.session

endpoint, key_id, secret, ami = sys.argv[1:5]
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 20
writers = int(sys.argv[6]) if len(sys.argv) > 6 else 6
readers = int(sys.argv[7]) if len(sys.argv) > 7 else 2
group_writers = int(sys.argv[8]) if len(sys.argv) > 8 else 2

lock = threading.Lock()
failures = []
launched = {}      # instance id -> writer index
terminated = set()
groups = {}        # group id -> the ports of its rules (tcp, one port each) as its writer left them
deleted = set()
counts = {"describes": 0, "writes": 0}
deadline = time.monotonic() + seconds
ALIVE = {"pending", "running", "stopping", "stopped"}


def fail(who, what):
    with lock:
        failures.append("%s: %s" % (who, what))
        print("FAIL %s: %s" % (who, what), flush=True)


def client():
    cfg = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=120,
                                 connect_timeout=10, max_pool_connections=2)
    return botocore.session.get_session().create_client(
        "ec2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=cfg)


def describe(ec2, who, **kw):
    """Every instance of the answer by id (each must be there once; none nobody launched)."""
    seen = {}
    resp = ec2.describe_instances(**kw)
    with lock:
        counts["describes"] += 1
        known = set(launched)
    for r in resp["Reservations"]:
        for i in r["Instances"]:
            iid = i["InstanceId"]
            if iid in seen:
                fail(who, "%s described twice in one answer" % iid)
            seen[iid] = i
    # An instance launched by a call not yet answered may show up: only ids nobody asked for are
    # wrong, and those are checked at the end (every instance is known by then).
    return seen, known


def wrote():
    with lock:
        counts["writes"] += 1


def check(who, seen, ids, states, what, tag=None):
    for iid in ids:
        i = seen.get(iid)
        if i is None:
            fail(who, "%s: %s missing from the next describe" % (what, iid))
        elif i["State"]["Name"] not in states:
            fail(who, "%s: %s is %s in the next describe, not one of %s"
                 % (what, iid, i["State"]["Name"], sorted(states)))
        elif tag and {"Key": tag[0], "Value": tag[1]} not in i.get("Tags", []):
            fail(who, "%s: %s has no tag %s=%s in the next describe" % (what, iid, *tag))


def writer(n):
    who = "writer %d" % n
    ec2 = client()
    rng = random.Random(n)
    mine = []  # live instances of this writer
    rounds = 0
    try:
        while time.monotonic() < deadline:
            rounds += 1
            count = rng.choice((1, 2))
            resp = ec2.run_instances(ImageId=ami, InstanceType="t2.nano", MinCount=count,
                                     MaxCount=count)
            ids = [i["InstanceId"] for i in resp["Instances"]]
            with lock:
                for iid in ids:
                    if iid in launched:
                        fail(who, "RunInstances answered %s, launched before" % iid)
                    launched[iid] = n
                counts["writes"] += 1
            mine += ids
            seen, _ = describe(ec2, who)
            check(who, seen, ids, {"pending", "running"}, "RunInstances")

            iid = rng.choice(mine)
            value = "w%d-r%d" % (n, rounds)
            ec2.create_tags(Resources=[iid], Tags=[{"Key": "round", "Value": value}])
            wrote()
            seen, _ = describe(ec2, who, InstanceIds=[iid])
            check(who, seen, [iid], ALIVE, "CreateTags", ("round", value))

            ec2.stop_instances(InstanceIds=[iid])
            wrote()
            seen, _ = describe(ec2, who)
            check(who, seen, [iid], {"stopping", "stopped"}, "StopInstances")

            ec2.start_instances(InstanceIds=[iid])
            wrote()
            seen, _ = describe(ec2, who, Filters=[{"Name": "instance-id", "Values": [iid]}])
            check(who, seen, [iid], {"pending", "running"}, "StartInstances")

            if len(mine) > 2:
                gone = rng.sample(mine, 2)
                ec2.terminate_instances(InstanceIds=gone)
                with lock:
                    terminated.update(gone)
                    counts["writes"] += 1
                mine = [i for i in mine if i not in gone]
                seen, _ = describe(ec2, who)
                check(who, seen, gone, {"shutting-down", "terminated"}, "TerminateInstances")
    except Exception as e:  # an error answer or a dropped connection
        fail(who, "round %d: %s: %s" % (rounds, type(e).__name__, e))


def describe_groups(ec2, who, **kw):
    """Every group of the answer by id (each must be there once)."""
    seen = {}
    resp = ec2.describe_security_groups(**kw)
    with lock:
        counts["describes"] += 1
    for g in resp["SecurityGroups"]:
        if g["GroupId"] in seen:
            fail(who, "%s described twice in one answer" % g["GroupId"])
        seen[g["GroupId"]] = g
    return seen


def ports(group):
    return {p["FromPort"] for p in group["IpPermissions"] if p["IpProtocol"] == "tcp"}


def check_group(who, seen, gid, want, what):
    g = seen.get(gid)
    if g is None:
        fail(who, "%s: %s missing from the next describe" % (what, gid))
    elif ports(g) != want:
        fail(who, "%s: %s has the ports %s in the next describe, not %s"
             % (what, gid, sorted(ports(g)), sorted(want)))


def group_writer(n):
    who = "group writer %d" % n
    ec2 = client()
    rng = random.Random(1000 + n)
    mine = {}  # this writer's live groups: id -> ports
    rounds = 0

    def wrote_group(gid):
        with lock:
            groups[gid] = set(mine[gid])
            counts["writes"] += 1

    try:
        while time.monotonic() < deadline:
            rounds += 1
            gid = ec2.create_security_group(GroupName="conc-%d-%d" % (n, rounds),
                                            Description="concurrency")["GroupId"]
            with lock:
                if gid in groups:
                    fail(who, "CreateSecurityGroup answered %s, made before" % gid)
            mine[gid] = set()
            wrote_group(gid)
            check_group(who, describe_groups(ec2, who, GroupIds=[gid]), gid, set(),
                        "CreateSecurityGroup")

            gid = rng.choice(sorted(mine))
            port = rng.choice([p for p in range(1, 65536, 997) if p not in mine[gid]])
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
            mine[gid].add(port)
            wrote_group(gid)
            check_group(who, describe_groups(ec2, who), gid, mine[gid],
                        "AuthorizeSecurityGroupIngress")

            if len(mine[gid]) > 1 and rng.random() < 0.5:
                port = rng.choice(sorted(mine[gid]))
                ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                     "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
                mine[gid].discard(port)
                wrote_group(gid)
                seen = describe_groups(ec2, who, Filters=[{"Name": "group-id", "Values": [gid]}])
                check_group(who, seen, gid, mine[gid], "RevokeSecurityGroupIngress")

            if len(mine) > 2:
                gone = rng.choice(sorted(mine))
                ec2.delete_security_group(GroupId=gone)
                del mine[gone]
                with lock:
                    deleted.add(gone)
                    counts["writes"] += 1
                if gone in describe_groups(ec2, who):
                    fail(who, "DeleteSecurityGroup: %s still in the next describe" % gone)
    except Exception as e:  # an error answer or a dropped connection
        fail(who, "round %d: %s: %s" % (rounds, type(e).__name__, e))


def reader(n):
    who = "reader %d" % n
    ec2 = client()
    try:
        while time.monotonic() < deadline:
            describe(ec2, who)
    except Exception as e:
        fail(who, "%s: %s" % (type(e).__name__, e))


def group_reader():
    who = "group reader"
    ec2 = client()
    try:
        while time.monotonic() < deadline:
            describe_groups(ec2, who)
            images = [i["ImageId"] for i in ec2.describe_images()["Images"]]
            with lock:
                counts["describes"] += 1
            if images.count(ami) != 1:
                fail(who, "DescribeImages lists %s %d times" % (ami, images.count(ami)))
    except Exception as e:
        fail(who, "%s: %s" % (type(e).__name__, e))


threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
threads += [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
threads += [threading.Thread(target=group_writer, args=(n,)) for n in range(group_writers)]
threads += [threading.Thread(target=group_reader)] if group_writers else []
start = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - start

# The end: exactly what was launched, once each, live or terminated as the clients left it.
seen, _ = describe(client(), "final")
live = {i for i, d in seen.items() if d["State"]["Name"] in ALIVE}
dead = {i for i, d in seen.items() if d["State"]["Name"] not in ALIVE}
want_live = set(launched) - terminated
for iid in sorted(want_live - live):
    fail("final", "%s was launched and not terminated, but is %s" % (
        iid, seen[iid]["State"]["Name"] if iid in seen else "not described"))
for iid in sorted(live - want_live):
    fail("final", "%s is described %s, but %s" % (
        iid, seen[iid]["State"]["Name"],
        "was terminated" if iid in terminated else "nobody launched it"))
for iid in sorted(terminated - dead):
    fail("final", "%s was terminated, but is %s" % (iid, "described live" if iid in seen else "gone"))
for iid in sorted(dead - terminated):
    fail("final", "%s is described terminated, but nobody terminated it" % iid)
# The groups: the default one and exactly what was created and not deleted, with its rules.
seen = describe_groups(client(), "final")
named = {g["GroupName"] for g in seen.values()}
if "default" not in named:
    fail("final", "the default group is not described")
live = {gid for gid, g in seen.items() if g["GroupName"] != "default"}
want_live = set(groups) - deleted
for gid in sorted(want_live - live):
    fail("final", "group %s was created and not deleted, but is not described" % gid)
for gid in sorted(live - want_live):
    fail("final", "group %s is described, but %s" % (
        gid, "was deleted" if gid in deleted else "nobody created it"))
for gid in sorted(want_live & live):
    if ports(seen[gid]) != groups[gid]:
        fail("final", "group %s has the ports %s, not %s" % (
            gid, sorted(ports(seen[gid])), sorted(groups[gid])))
clients = writers + readers + group_writers + (1 if group_writers else 0)
print("%d clients, %.1f s: %d instances launched, %d terminated, %d groups created, %d deleted, "
      "%d writes, %d describes, %d failures" % (
          clients, elapsed, len(launched), len(terminated), len(groups), len(deleted),
          counts["writes"], counts["describes"], len(failures)), flush=True)
sys.exit(1 if failures else 0)

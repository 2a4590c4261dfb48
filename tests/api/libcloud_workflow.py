"""The EC2 API server driven by Apache Libcloud's EC2 driver (Debian's python3-libcloud 3.4.1) with
its defaults: signature version 2 in us-east-1, GET requests, 0-based and unnumbered Query lists
(ResourceId.0, Tag.0.Key, KeyName), on libvirt's test driver (no guest boots): locations, sizes,
images, a key pair imported and read back, create_node with its Name tag, tags, an Elastic IP
allocated, associated (in the node's public_ips), disassociated and released (by public IP, and by
allocation id with domain 'vpc'), destroy_node; a wrong secret is refused. Prints one line per step
("ok ..." or "FAIL ...") and exits 1 when a step failed.

Usage: libcloud_workflow.py PORT AMI-ID ACCESS-KEY SECRET
"""
import os
import subprocess
import sys
import tempfile
import time

from libcloud.common.types import InvalidCredsError
from libcloud.compute.drivers.ec2 import EC2NodeDriver
from libcloud.compute.types import KeyPairDoesNotExistError, NodeState

import steps
from steps import step


def guarded(name):
    return steps.guarded(name, limit=3)

port, ami, key_id, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
S = {}


def driver_with(the_secret):
    return EC2NodeDriver(key_id, the_secret, secure=False, host="127.0.0.1", port=port)


drv = driver_with(secret)


def node_now(node_id):
    nodes = drv.list_nodes(ex_node_ids=[node_id])
    return nodes[0] if len(nodes) == 1 else None


def wait_state(node_id, state, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        n = node_now(node_id)
        if n is not None and n.state == state:
            return n
        time.sleep(0.5)
    return node_now(node_id)


@guarded("the driver")
def driver():
    step("libcloud's EC2 driver signs with signature version 2 in us-east-1",
         drv.signature_version == "2" and drv.region_name == "us-east-1",
         (drv.signature_version, drv.region_name))
    bad = driver_with("not-the-secret")
    try:
        bad.list_nodes()
        step("a wrong secret is refused (InvalidCredsError)", False, "it was served")
    except InvalidCredsError:
        step("a wrong secret is refused (InvalidCredsError)", True)


@guarded("list_locations")
def locations():
    locs = drv.list_locations()
    names = [l.name for l in locs]
    S["locations"] = locs
    step("list_locations: the zones of us-east-1 (%s)" % " ".join(names),
         len(locs) >= 1 and all(n.startswith("us-east-1") for n in names) and
         all(l.availability_zone.region_name == "us-east-1" and l.availability_zone.zone_state == "available"
             for l in locs), names)


@guarded("list_sizes")
def sizes():
    found = {s.id: s for s in drv.list_sizes()}
    S["size"] = found.get("t2.micro")
    step("list_sizes (libcloud's own table) has t2.micro with 1 GiB", S["size"] is not None and
         S["size"].ram == 1024, S["size"])


@guarded("list_images")
def images():
    imgs = drv.list_images(ex_image_ids=[ami])
    step("list_images(ex_image_ids=[ami]): that image", [i.id for i in imgs] == [ami], imgs)
    S["image"] = imgs[0]


@guarded("key pairs")
def key_pairs():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f",
                        os.path.join(d, "k")], check=True)
        with open(os.path.join(d, "k.pub")) as f:
            pub = f.read()
    made = drv.import_key_pair_from_string("libcloud-key", pub)
    step("import_key_pair_from_string: its name and a fingerprint",
         made.name == "libcloud-key" and bool(made.fingerprint), (made.name, made.fingerprint))
    got = drv.get_key_pair("libcloud-key")  # DescribeKeyPairs with KeyName unnumbered
    step("get_key_pair (KeyName unnumbered) reads it back", got.name == "libcloud-key" and
         got.fingerprint == made.fingerprint, (got.name, got.fingerprint))
    try:
        drv.get_key_pair("no-such-key")
        step("get_key_pair of an unknown name: KeyPairDoesNotExistError", False, "found")
    except KeyPairDoesNotExistError:
        step("get_key_pair of an unknown name: KeyPairDoesNotExistError", True)


@guarded("create_node")
def create():
    node = drv.create_node(name="libcloud-node", size=S["size"], image=S["image"],
                           ex_keyname="libcloud-key", ex_metadata={"team": "lc"})
    S["node"] = node.id
    step("create_node: an instance id, pending or running", node.id.startswith("i-") and
         node.state in (NodeState.PENDING, NodeState.RUNNING), (node.id, node.state))
    n = wait_state(node.id, NodeState.RUNNING)
    step("list_nodes sees it running", n is not None and n.state == NodeState.RUNNING,
         n and n.state)
    step("its name from the Name tag (TagSpecification.1)", n.name == "libcloud-node" and
         n.extra.get("tags", {}).get("team") == "lc", (n.name, n.extra.get("tags")))
    step("its type, key and image", n.extra.get("instance_type") == "t2.micro" and
         n.extra.get("key_name") == "libcloud-key" and n.extra.get("image_id") == ami,
         (n.extra.get("instance_type"), n.extra.get("key_name"), n.extra.get("image_id")))
    zones = [l.name for l in S.get("locations", [])]
    step("in a default subnet of the default VPC, in a zone list_locations gave",
         (n.extra.get("subnet_id") or "").startswith("subnet-") and
         (n.extra.get("vpc_id") or "").startswith("vpc-") and n.extra.get("availability") in zones,
         (n.extra.get("subnet_id"), n.extra.get("vpc_id"), n.extra.get("availability")))
    step("a private IP in 172.31.0.0/16 and a public IP",
         len(n.private_ips) == 1 and n.private_ips[0].startswith("172.31.") and len(n.public_ips) == 1,
         (n.private_ips, n.public_ips))
    S["auto_ip"] = n.public_ips[0] if n.public_ips else None


@guarded("ex_create_tags")
def tags():
    node = node_now(S["node"])
    step("ex_create_tags (ResourceId.0, Tag.0.Key)", drv.ex_create_tags(node, {"stage": "test"}) is True)
    n = node_now(S["node"])
    step("the tag shows on the node", n.extra.get("tags", {}).get("stage") == "test" and
         n.name == "libcloud-node", n.extra.get("tags"))


@guarded("an Elastic IP by public IP")
def eip_classic_style():
    node = node_now(S["node"])
    eip = drv.ex_allocate_address()  # no Domain: a VPC address all the same (no EC2-Classic)
    step("ex_allocate_address: an address", bool(eip.ip), eip.__dict__)
    assoc = drv.ex_associate_address_with_node(node, eip)  # by PublicIp
    step("ex_associate_address_with_node (by PublicIp): an association id",
         (assoc or "").startswith("eipassoc-"), assoc)
    every = {a.ip: a for a in drv.ex_describe_all_addresses()}
    step("ex_describe_all_addresses: associated with the node",
         eip.ip in every and every[eip.ip].instance_id == node.id, every.get(eip.ip).__dict__
         if eip.ip in every else list(every))
    step("ex_describe_all_addresses(only_associated=True) has it",
         eip.ip in [a.ip for a in drv.ex_describe_all_addresses(only_associated=True)])
    n = node_now(S["node"])
    step("list_nodes: the EIP is in the node's public_ips", eip.ip in n.public_ips, n.public_ips)
    step("ex_describe_addresses_for_node (filter instance-id)",
         drv.ex_describe_addresses_for_node(n) == [eip.ip], drv.ex_describe_addresses_for_node(n))
    step("ex_disassociate_address (by PublicIp)", drv.ex_disassociate_address(eip) is True)
    step("no longer associated", eip.ip not in [a.ip for a in drv.ex_describe_all_addresses(only_associated=True)])
    n = node_now(S["node"])
    step("nor in the node's public_ips", eip.ip not in n.public_ips, n.public_ips)
    step("ex_release_address (by PublicIp)", drv.ex_release_address(eip) is True)
    step("released: gone", eip.ip not in [a.ip for a in drv.ex_describe_all_addresses()])


@guarded("an Elastic IP by allocation id")
def eip_vpc_style():
    node = node_now(S["node"])
    eip = drv.ex_allocate_address(domain="vpc")
    alloc = eip.extra.get("allocation_id") or ""
    step("ex_allocate_address(domain='vpc'): an allocation id, domain vpc",
         alloc.startswith("eipalloc-") and eip.domain == "vpc", eip.__dict__)
    assoc = drv.ex_associate_address_with_node(node, eip, domain="vpc")  # by AllocationId
    step("ex_associate_address_with_node(domain='vpc'): an association id",
         (assoc or "").startswith("eipassoc-"), assoc)
    mine = [a for a in drv.ex_describe_all_addresses() if a.ip == eip.ip]
    step("described with that association id", len(mine) == 1 and
         mine[0].extra.get("association_id") == assoc and mine[0].instance_id == node.id,
         [m.__dict__ for m in mine])
    n = node_now(S["node"])
    step("the node's public_ips has it", eip.ip in n.public_ips, n.public_ips)
    step("ex_disassociate_address(domain='vpc') by association id",
         drv.ex_disassociate_address(mine[0], domain="vpc") is True)
    step("ex_release_address(domain='vpc') by allocation id",
         drv.ex_release_address(eip, domain="vpc") is True)
    step("released: gone", eip.ip not in [a.ip for a in drv.ex_describe_all_addresses()])


@guarded("destroy_node")
def destroy():
    node = node_now(S["node"])
    step("destroy_node", drv.destroy_node(node) is True)
    n = wait_state(S["node"], NodeState.TERMINATED)
    step("terminated", n is not None and n.state == NodeState.TERMINATED, n and n.state)
    drv.delete_key_pair(drv.get_key_pair("libcloud-key"))
    step("delete_key_pair", "libcloud-key" not in [k.name for k in drv.list_key_pairs()])


steps.finish()

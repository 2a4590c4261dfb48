/* Elastic IPs and network interfaces (src/model/address.c, src/model/eni.c), in-process against
 * libvirt's test:///default driver: AllocateAddress, AssociateAddress, DisassociateAddress,
 * ReleaseAddress and DescribeAddresses with EC2's errors, the Elastic IP kept over stop and start,
 * reassociation, termination, and DescribeNetworkInterfaces with each of its filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/net.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

typedef json_object *(*action_fn)(struct ec2_ctx *, json_object *, struct ec2_error *);

/* Calls an action that must succeed. */
static json_object *ok(action_fn fn, json_object *req)
{
	return test_ok(&ctx, fn, req);
}

/* Calls an action that must fail with code (and message, when not NULL). */
static void fails(action_fn fn, json_object *req, const char *code, const char *message)
{
	ck_assert(test_fails(&ctx, fn, req, code, message)[0] != '\0');
}

/* A string of o at path, copied to a static buffer of its own per call site (rotating). */
static const char *str(json_object *o, const char *path)
{
	static char bufs[16][128];
	static int next;
	json_object *v = json_path(o, path);
	char *b = bufs[next++ % 16];

	if (!v)
		return NULL;
	snprintf(b, 128, "%s", json_object_get_string(v));
	return b;
}

static json_object *item(json_object *o, const char *key, size_t i)
{
	json_object *a = json_path(o, key);

	ck_assert_msg(a && json_object_array_length(a) > i, "no %s[%zu] in %s", key, i,
		      json_object_to_json_string(o));
	return json_object_array_get_idx(a, i);
}

static size_t count(json_object *o, const char *key)
{
	json_object *a = json_path(o, key);

	ck_assert_msg(a != NULL, "no %s", key);
	return json_object_array_length(a);
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "eip-ami", ami);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

static void run(int n, char ids[][32])
{
	json_object *r = ok(ec2_run_instances,
			    J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": %d, "
			      "\"MaxCount\": %d}", ami, n, n));
	int i;

	for (i = 0; i < n; i++)
		snprintf(ids[i], 32, "%s", str(item(r, "Instances", (size_t)i), "InstanceId"));
	json_object_put(r);
}

/* The instance's description (new reference). */
static json_object *instance(const char *id)
{
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	json_object *i = json_object_get(item(item(r, "Reservations", 0), "Instances", 0));

	json_object_put(r);
	return i;
}

/* The instance's PublicIpAddress as DescribeInstances shows it, "" for none. */
static const char *public_ip(const char *id)
{
	static char ip[4][32];
	static int next;
	json_object *i = instance(id);
	char *b = ip[next++ % 4];

	snprintf(b, 32, "%s", str(i, "PublicIpAddress") ? str(i, "PublicIpAddress") : "");
	json_object_put(i);
	return b;
}

static const char *eni_of(const char *id)
{
	static char eni[4][32];
	static int next;
	json_object *i = instance(id);
	char *b = eni[next++ % 4];

	snprintf(b, 32, "%s", str(item(i, "NetworkInterfaces", 0), "NetworkInterfaceId"));
	json_object_put(i);
	return b;
}

static void allocate(char alloc[32], char ip[16])
{
	json_object *r = ok(ec2_allocate_address, J("{\"Domain\": \"vpc\"}"));

	snprintf(alloc, 32, "%s", str(r, "AllocationId"));
	snprintf(ip, 16, "%s", str(r, "PublicIp"));
	json_object_put(r);
}

static json_object *address(const char *alloc)
{
	json_object *r = ok(ec2_describe_addresses, J("{\"AllocationIds\": [\"%s\"]}", alloc));
	json_object *a = json_object_get(item(r, "Addresses", 0));

	json_object_put(r);
	return a;
}

static void stop(const char *id)
{
	json_object_put(ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"], \"Force\": true}", id)));
}

static void start(const char *id)
{
	json_object_put(ok(ec2_start_instances, J("{\"InstanceIds\": [\"%s\"]}", id)));
}

START_TEST(allocate_associate_release_round_trip)
{
	char ids[1][32], alloc[32], ip[16], assoc[32], auto_ip[32];
	json_object *r, *a, *i, *n, *want;
	const char *eni;

	run(1, ids);
	snprintf(auto_ip, sizeof(auto_ip), "%s", public_ip(ids[0]));
	ck_assert_msg(strncmp(auto_ip, "127.77.", 7) == 0, "automatic public IP %s", auto_ip);

	r = ok(ec2_allocate_address, J("{\"TagSpecifications\": [{\"ResourceType\": \"elastic-ip\", "
				       "\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}]}"));
	want = J("{\"PublicIp\": \"%s\", \"AllocationId\": \"%s\", \"PublicIpv4Pool\": \"amazon\", "
		 "\"NetworkBorderGroup\": \"%s\", \"Domain\": \"vpc\"}", str(r, "PublicIp"),
		 str(r, "AllocationId"), cfg.region);
	ck_assert_str_eq(json_object_to_json_string(r), json_object_to_json_string(want));
	json_object_put(want);
	snprintf(alloc, sizeof(alloc), "%s", str(r, "AllocationId"));
	snprintf(ip, sizeof(ip), "%s", str(r, "PublicIp"));
	json_object_put(r);
	ck_assert(strncmp(alloc, "eipalloc-", 9) == 0);
	ck_assert_msg(strncmp(ip, "127.77.", 7) == 0 && strcmp(ip, auto_ip) != 0, "EIP %s", ip);

	a = address(alloc);
	ck_assert_ptr_null(json_path(a, "InstanceId"));
	ck_assert_ptr_null(json_path(a, "AssociationId"));
	ck_assert_str_eq(str(a, "PublicIp"), ip);
	ck_assert_str_eq(str(a, "Domain"), "vpc");
	ck_assert_str_eq(str(item(a, "Tags", 0), "Value"), "web");
	json_object_put(a);

	r = ok(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc,
					ids[0]));
	snprintf(assoc, sizeof(assoc), "%s", str(r, "AssociationId"));
	ck_assert_int_eq(json_object_object_length(r), 1);
	json_object_put(r);
	ck_assert(strncmp(assoc, "eipassoc-", 9) == 0);

	/* The instance's public IP is the Elastic IP, its owner the account. */
	i = instance(ids[0]);
	ck_assert_str_eq(str(i, "PublicIpAddress"), ip);
	n = item(i, "NetworkInterfaces", 0);
	ck_assert_str_eq(str(n, "Association.PublicIp"), ip);
	ck_assert_str_eq(str(n, "Association.IpOwnerId"), cfg.owner_id);
	ck_assert_ptr_null(json_path(n, "Association.AllocationId")); /* not in an instance's */
	ck_assert_str_eq(str(item(n, "PrivateIpAddresses", 0), "Association.IpOwnerId"), cfg.owner_id);
	json_object_put(i);
	eni = eni_of(ids[0]);

	a = address(alloc);
	ck_assert_str_eq(str(a, "InstanceId"), ids[0]);
	ck_assert_str_eq(str(a, "AssociationId"), assoc);
	ck_assert_str_eq(str(a, "NetworkInterfaceId"), eni);
	ck_assert_str_eq(str(a, "NetworkInterfaceOwnerId"), cfg.owner_id);
	ck_assert(strncmp(str(a, "PrivateIpAddress"), "172.31.", 7) == 0);
	json_object_put(a);

	r = ok(ec2_describe_network_interfaces, J("{\"NetworkInterfaceIds\": [\"%s\"]}", eni));
	n = item(r, "NetworkInterfaces", 0);
	ck_assert_str_eq(str(n, "Association.AllocationId"), alloc);
	ck_assert_str_eq(str(n, "Association.AssociationId"), assoc);
	ck_assert_str_eq(str(n, "Association.IpOwnerId"), cfg.owner_id);
	ck_assert_str_eq(str(n, "Association.PublicIp"), ip);
	json_object_put(r);

	/* The errors of an associated address. */
	fails(ec2_release_address, J("{\"AllocationId\": \"%s\"}", alloc), "InvalidIPAddress.InUse",
	      NULL);
	fails(ec2_release_address, J("{\"PublicIp\": \"%s\"}", ip), "InvalidIPAddress.InUse", NULL);

	/* Disassociation: a running instance gets a new automatic public IP. */
	fails(ec2_disassociate_address, J("{\"AssociationId\": \"eipassoc-0123456789abcdef0\"}"),
	      "InvalidAssociationID.NotFound",
	      "The association ID 'eipassoc-0123456789abcdef0' does not exist");
	fails(ec2_disassociate_address, J("{\"PublicIp\": \"1.2.3.4\"}"), "AuthFailure",
	      "The address '1.2.3.4' does not belong to you.");
	json_object_put(ok(ec2_disassociate_address, J("{\"AssociationId\": \"%s\"}", assoc)));
	ck_assert_msg(strncmp(public_ip(ids[0]), "127.77.", 7) == 0 &&
		      strcmp(public_ip(ids[0]), ip) != 0, "public IP after %s", public_ip(ids[0]));
	i = instance(ids[0]);
	ck_assert_str_eq(str(item(i, "NetworkInterfaces", 0), "Association.IpOwnerId"), "amazon");
	json_object_put(i);
	a = address(alloc);
	ck_assert_ptr_null(json_path(a, "InstanceId"));
	ck_assert_ptr_null(json_path(a, "AssociationId"));
	json_object_put(a);
	fails(ec2_disassociate_address, J("{\"AssociationId\": \"%s\"}", assoc),
	      "InvalidAssociationID.NotFound", NULL);

	/* By public IP, both ways. */
	json_object_put(ok(ec2_associate_address,
			   J("{\"PublicIp\": \"%s\", \"InstanceId\": \"%s\"}", ip, ids[0])));
	ck_assert_str_eq(public_ip(ids[0]), ip);
	json_object_put(ok(ec2_disassociate_address, J("{\"PublicIp\": \"%s\"}", ip)));
	ck_assert_str_ne(public_ip(ids[0]), ip);

	/* Release, by allocation id; then it is gone. */
	fails(ec2_release_address, J("{\"AllocationId\": \"eipalloc-0123456789abcdef0\"}"),
	      "InvalidAllocationID.NotFound",
	      "The allocation ID 'eipalloc-0123456789abcdef0' does not exist");
	fails(ec2_release_address, J("{\"PublicIp\": \"1.2.3.4\"}"), "AuthFailure",
	      "The address '1.2.3.4' does not belong to you.");
	json_object_put(ok(ec2_release_address, J("{\"AllocationId\": \"%s\"}", alloc)));
	r = ok(ec2_describe_addresses, J("{}"));
	ck_assert_int_eq(count(r, "Addresses"), 0);
	json_object_put(r);
	fails(ec2_describe_addresses, J("{\"AllocationIds\": [\"%s\"]}", alloc),
	      "InvalidAllocationID.NotFound", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc,
				       ids[0]), "InvalidAllocationID.NotFound", NULL);

	/* Released by public IP too. */
	allocate(alloc, ip);
	json_object_put(ok(ec2_release_address, J("{\"PublicIp\": \"%s\"}", ip)));
	fails(ec2_release_address, J("{\"PublicIp\": \"%s\"}", ip), "AuthFailure", NULL);
}
END_TEST

START_TEST(errors_of_each_action)
{
	char ids[1][32], alloc[32], ip[16];
	int i;

	run(1, ids);
	allocate(alloc, ip);
	fails(ec2_associate_address, J("{\"InstanceId\": \"%s\"}", ids[0]), "MissingParameter", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\"}", alloc), "MissingParameter", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"eipalloc-zz\", \"InstanceId\": \"%s\"}",
				       ids[0]), "InvalidAllocationID.Malformed", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"eipalloc-0123456789abcdef0\", "
				       "\"InstanceId\": \"%s\"}", ids[0]),
	      "InvalidAllocationID.NotFound", NULL);
	fails(ec2_associate_address, J("{\"PublicIp\": \"1.2.3.4\", \"InstanceId\": \"%s\"}", ids[0]),
	      "AuthFailure", "The address '1.2.3.4' does not belong to you.");
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": "
				       "\"i-0123456789abcdef0\"}", alloc),
	      "InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist");
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"i-x\"}", alloc),
	      "InvalidInstanceID.Malformed", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"NetworkInterfaceId\": "
				       "\"eni-0123456789abcdef0\"}", alloc),
	      "InvalidNetworkInterfaceID.NotFound", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\", "
				       "\"PrivateIpAddress\": \"10.9.9.9\"}", alloc, ids[0]),
	      "InvalidParameterValue", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\", "
				       "\"AllowReassociation\": \"maybe\"}", alloc, ids[0]),
	      "InvalidParameterValue", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\", "
				       "\"DryRun\": true}", alloc, ids[0]), "DryRunOperation", NULL);
	fails(ec2_disassociate_address, J("{}"), "MissingParameter", NULL);
	fails(ec2_release_address, J("{}"), "MissingParameter", NULL);
	fails(ec2_release_address, J("{\"AllocationId\": \"%s\", \"DryRun\": true}", alloc),
	      "DryRunOperation", NULL);
	fails(ec2_allocate_address, J("{\"Domain\": \"mars\"}"), "InvalidParameterValue", NULL);
	fails(ec2_allocate_address, J("{\"DryRun\": true}"), "DryRunOperation", NULL);
	fails(ec2_allocate_address, J("{\"TagSpecifications\": [{\"ResourceType\": \"instance\", "
				      "\"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}]}"),
	      "InvalidParameterValue", NULL);
	fails(ec2_describe_addresses, J("{\"PublicIps\": [\"1.2.3.4\"]}"), "InvalidAddress.NotFound",
	      NULL);
	fails(ec2_describe_addresses, J("{\"AllocationIds\": [\"eipalloc-zz\"]}"),
	      "InvalidAllocationID.Malformed", NULL);
	fails(ec2_describe_addresses, J("{\"Filters\": [{\"Name\": \"colour\", \"Values\": [\"r\"]}]}"),
	      "InvalidParameterValue", NULL);
	/* The limit: 5 by default, a setting. */
	for (i = 1; i < 5; i++)
		allocate(alloc, ip);
	fails(ec2_allocate_address, J("{}"), "AddressLimitExceeded",
	      "The maximum number of addresses has been reached.");
	cfg.address_limit = 6;
	allocate(alloc, ip);
	fails(ec2_allocate_address, J("{}"), "AddressLimitExceeded", NULL);
}
END_TEST

/* A snapshot of what the calls can change: the addresses and the instance's public IP. */
static char *snapshot(const char *id)
{
	json_object *r = ok(ec2_describe_addresses, J("{}"));
	char *s = util_strdupf("%s %s", json_object_to_json_string(r), public_ip(id));

	json_object_put(r);
	return s;
}

START_TEST(bad_input_changes_nothing)
{
	char ids[2][32], alloc[32], ip[16], other[32], oip[16];
	char *before, *after;
	struct ec2_error err = { 0 };
	json_object *req;

	run(2, ids);
	allocate(alloc, ip);
	allocate(other, oip);
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc, ids[0])));
	before = snapshot(ids[0]);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\", "
				       "\"AllowReassociation\": false}", alloc, ids[1]),
	      "Resource.AlreadyAssociated", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\", "
				       "\"DryRun\": true}", other, ids[0]), "DryRunOperation", NULL);
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": "
				       "\"i-0123456789abcdef0\"}", other), "InvalidInstanceID.NotFound",
	      NULL);
	fails(ec2_disassociate_address, J("{\"PublicIp\": \"%s\", \"DryRun\": true}", ip),
	      "DryRunOperation", NULL);
	fails(ec2_disassociate_address, J("{\"AssociationId\": \"eipassoc-0123456789abcdef0\"}"),
	      "InvalidAssociationID.NotFound", NULL);
	fails(ec2_release_address, J("{\"AllocationId\": \"%s\"}", alloc), "InvalidIPAddress.InUse",
	      NULL);
	fails(ec2_release_address, J("{\"AllocationId\": \"%s\", \"DryRun\": true}", other),
	      "DryRunOperation", NULL);
	fails(ec2_allocate_address, J("{\"DryRun\": true}"), "DryRunOperation", NULL);
	fails(ec2_allocate_address, J("{\"Domain\": \"mars\"}"), "InvalidParameterValue", NULL);
	/* A store that cannot be written fails the call, and leaves all as it was. */
	store_fail_commit(ctx.store, 1);
	req = J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", other, ids[0]);
	ck_assert_ptr_null(ec2_associate_address(&ctx, req, &err));
	json_object_put(req);
	store_fail_commit(ctx.store, 0);
	after = snapshot(ids[0]);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}
END_TEST

START_TEST(elastic_ip_kept_over_stop_and_start)
{
	char ids[1][32], alloc[32], ip[16];
	json_object *i, *r;
	struct ec2_error err = { 0 };

	run(1, ids);
	allocate(alloc, ip);
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc, ids[0])));
	stop(ids[0]);
	ck_assert_int_eq(net_sync(&ctx, &err), 0); /* a pass drops stopped instances' public IPs */
	i = instance(ids[0]);
	ck_assert_str_eq(str(i, "State.Name"), "stopped");
	ck_assert_str_eq(str(i, "PublicIpAddress"), ip);
	ck_assert_str_eq(str(item(i, "NetworkInterfaces", 0), "Association.PublicIp"), ip);
	ck_assert_str_eq(str(item(i, "NetworkInterfaces", 0), "Association.IpOwnerId"), cfg.owner_id);
	json_object_put(i);
	/* A stopped instance's ENI is listed, with its Elastic IP. */
	r = ok(ec2_describe_network_interfaces,
	       J("{\"Filters\": [{\"Name\": \"attachment.instance-id\", \"Values\": [\"%s\"]}]}",
		 ids[0]));
	ck_assert_int_eq(count(r, "NetworkInterfaces"), 1);
	ck_assert_str_eq(str(item(r, "NetworkInterfaces", 0), "Association.PublicIp"), ip);
	ck_assert_str_eq(str(item(r, "NetworkInterfaces", 0), "Status"), "in-use");
	json_object_put(r);
	start(ids[0]);
	ck_assert_str_eq(public_ip(ids[0]), ip);
	/* Disassociated while stopped: no public IP until it starts, then an automatic one. */
	stop(ids[0]);
	json_object_put(ok(ec2_disassociate_address, J("{\"PublicIp\": \"%s\"}", ip)));
	ck_assert_str_eq(public_ip(ids[0]), "");
	ck_assert_int_eq(net_sync(&ctx, &err), 0);
	ck_assert_str_eq(public_ip(ids[0]), "");
	start(ids[0]);
	ck_assert_msg(strncmp(public_ip(ids[0]), "127.77.", 7) == 0 &&
		      strcmp(public_ip(ids[0]), ip) != 0, "after start: %s", public_ip(ids[0]));
	/* Associated while stopped: shown at once. */
	stop(ids[0]);
	json_object_put(ok(ec2_associate_address,
			   J("{\"PublicIp\": \"%s\", \"InstanceId\": \"%s\"}", ip, ids[0])));
	ck_assert_str_eq(public_ip(ids[0]), ip);
	start(ids[0]);
	ck_assert_str_eq(public_ip(ids[0]), ip);
}
END_TEST

/* A metadata write of another action that read the domain before an association (a lost update)
 * is undone by the next net_sync pass: the store's addresses are the truth. */
START_TEST(metadata_follows_the_store)
{
	char ids[1][32], alloc[32], ip[16];
	struct ec2_error err = { 0 };
	struct ec2_meta m;
	virDomainPtr dom;

	run(1, ids);
	allocate(alloc, ip);
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc, ids[0])));
	dom = virDomainLookupByName(ctx.conn, ids[0]);
	ck_assert_ptr_nonnull(dom);
	ck_assert_int_eq(ec2_meta_load(dom, &m), 0);
	snprintf(m.public_ip, sizeof(m.public_ip), "127.77.0.9");
	m.eip_allocation_id[0] = '\0';
	ck_assert_int_eq(ec2_meta_save(dom, &m, &err), 0);
	ck_assert_str_eq(public_ip(ids[0]), "127.77.0.9");
	ck_assert_int_eq(net_sync(&ctx, &err), 0);
	ck_assert_str_eq(public_ip(ids[0]), ip);
	/* And the other way: metadata that names an Elastic IP the store does not associate. */
	json_object_put(ok(ec2_disassociate_address, J("{\"PublicIp\": \"%s\"}", ip)));
	ec2_meta_clear(&m);
	ck_assert_int_eq(ec2_meta_load(dom, &m), 0);
	snprintf(m.public_ip, sizeof(m.public_ip), "%s", ip);
	snprintf(m.eip_allocation_id, sizeof(m.eip_allocation_id), "%s", alloc);
	ck_assert_int_eq(ec2_meta_save(dom, &m, &err), 0);
	ck_assert_int_eq(net_sync(&ctx, &err), 0);
	ck_assert_msg(strncmp(public_ip(ids[0]), "127.77.", 7) == 0 &&
		      strcmp(public_ip(ids[0]), ip) != 0, "after the pass: %s", public_ip(ids[0]));
	ec2_meta_clear(&m);
	virDomainFree(dom);
}
END_TEST

START_TEST(reassociation)
{
	char ids[2][32], e1[32], ip1[16], e2[32], ip2[16];
	json_object *a;

	run(2, ids);
	allocate(e1, ip1);
	allocate(e2, ip2);
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", e1, ids[0])));
	/* AllowReassociation false refuses a move; the address stays where it was. */
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\", "
				       "\"AllowReassociation\": false}", e1, ids[1]),
	      "Resource.AlreadyAssociated", NULL);
	ck_assert_str_eq(public_ip(ids[0]), ip1);
	/* The same instance again is no move. */
	json_object_put(ok(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": "
						    "\"%s\", \"AllowReassociation\": false}", e1,
						    ids[0])));
	ck_assert_str_eq(public_ip(ids[0]), ip1);
	/* Otherwise it moves (an EC2-VPC account's rule); the first instance, running, gets a new
	 * automatic public IP. */
	json_object_put(ok(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": "
						    "\"%s\", \"AllowReassociation\": true}", e1,
						    ids[1])));
	ck_assert_str_eq(public_ip(ids[1]), ip1);
	ck_assert_msg(strncmp(public_ip(ids[0]), "127.77.", 7) == 0 &&
		      strcmp(public_ip(ids[0]), ip1) != 0, "first instance: %s", public_ip(ids[0]));
	/* A second Elastic IP replaces the first, which stays allocated. */
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"NetworkInterfaceId\": \"%s\"}", e2,
			     eni_of(ids[1]))));
	ck_assert_str_eq(public_ip(ids[1]), ip2);
	a = address(e1);
	ck_assert_ptr_null(json_path(a, "InstanceId"));
	json_object_put(a);
	a = address(e2);
	ck_assert_str_eq(str(a, "InstanceId"), ids[1]);
	ck_assert_str_eq(str(a, "NetworkInterfaceId"), eni_of(ids[1]));
	json_object_put(a);
	/* Instance and interface must agree. */
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\", "
				       "\"NetworkInterfaceId\": \"%s\"}", e1, ids[0], eni_of(ids[1])),
	      "InvalidParameterCombination", NULL);
}
END_TEST

START_TEST(terminate_disassociates)
{
	char ids[1][32], alloc[32], ip[16];
	json_object *a, *r;

	run(1, ids);
	allocate(alloc, ip);
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc, ids[0])));
	json_object_put(ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0])));
	a = address(alloc);
	ck_assert_ptr_null(json_path(a, "InstanceId"));
	ck_assert_ptr_null(json_path(a, "AssociationId"));
	ck_assert_str_eq(str(a, "PublicIp"), ip);
	json_object_put(a);
	ck_assert_str_eq(public_ip(ids[0]), "");
	fails(ec2_associate_address, J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc,
				       ids[0]), "IncorrectInstanceState", NULL);
	r = ok(ec2_describe_network_interfaces, J("{}"));
	ck_assert_int_eq(count(r, "NetworkInterfaces"), 0);
	json_object_put(r);
	json_object_put(ok(ec2_release_address, J("{\"AllocationId\": \"%s\"}", alloc)));
}
END_TEST

/* Which of the interfaces a filter selects: true when the ENI eni is in the answer, with n set
 * to the answer's size. */
static bool selects(const char *name, const char *value, const char *eni, size_t *n)
{
	json_object *r = ok(ec2_describe_network_interfaces,
			    J("{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"%s\"]}]}", name, value));
	size_t i;
	bool found = false;

	*n = count(r, "NetworkInterfaces");
	for (i = 0; i < *n; i++)
		found |= strcmp(str(item(r, "NetworkInterfaces", i), "NetworkInterfaceId"), eni) == 0;
	json_object_put(r);
	return found;
}

START_TEST(network_interface_filters)
{
	static const struct {
		const char *name;
		const char *path;  /* where the matching value is in the ENI, or NULL: value */
		const char *value; /* a value that matches (path NULL) */
		const char *miss;  /* one that matches no interface */
	} cases[] = {
		{ "addresses.private-ip-address", "PrivateIpAddress", NULL, "10.0.0.1" },
		{ "addresses.primary", NULL, "true", "false" },
		{ "addresses.association.public-ip", "Association.PublicIp", NULL, "1.2.3.4" },
		{ "addresses.association.owner-id", NULL, "000000000000", "111111111111" },
		{ "association.public-ip", "Association.PublicIp", NULL, "1.2.3.4" },
		{ "association.ip-owner-id", NULL, "000000000000", "amaz0n" },
		{ "association.allocation-id", "Association.AllocationId", NULL,
		  "eipalloc-0123456789abcdef0" },
		{ "association.association-id", "Association.AssociationId", NULL,
		  "eipassoc-0123456789abcdef0" },
		{ "association.public-dns-name", NULL, "", "ec2-1-2-3-4.compute-1.amazonaws.com" },
		{ "attachment.instance-id", "Attachment.InstanceId", NULL, "i-0123456789abcdef0" },
		{ "attachment.instance-owner-id", NULL, "000000000000", "111111111111" },
		{ "attachment.device-index", NULL, "0", "1" },
		{ "attachment.status", NULL, "attached", "detached" },
		{ "attachment.attachment-id", "Attachment.AttachmentId", NULL,
		  "eni-attach-0123456789abcdef0" },
		{ "attachment.attach-time", "Attachment.AttachTime", NULL, "1999-*" },
		{ "attachment.delete-on-termination", NULL, "true", "false" },
		{ "availability-zone", NULL, "us-east-1a", "us-east-1f" },
		{ "description", NULL, "", "something" },
		{ "group-id", "Groups.0.GroupId", NULL, "sg-0123456789abcdef0" },
		{ "group-name", NULL, "default", "web" },
		{ "interface-type", NULL, "interface", "efa" },
		{ "mac-address", "MacAddress", NULL, "0e:00:00:00:00:00" },
		{ "network-interface-id", "NetworkInterfaceId", NULL, "eni-0123456789abcdef0" },
		{ "owner-id", NULL, "000000000000", "111111111111" },
		{ "private-ip-address", "PrivateIpAddress", NULL, "10.0.0.1" },
		{ "private-dns-name", "PrivateDnsName", NULL, "ip-10-0-0-1.ec2.internal" },
		{ "requester-managed", NULL, "false", "true" },
		{ "source-dest-check", NULL, "true", "false" },
		{ "status", NULL, "in-use", "available" },
		{ "subnet-id", "SubnetId", NULL, "subnet-0123456789abcdef0" },
		{ "vpc-id", "VpcId", NULL, "vpc-0123456789abcdef0" },
		{ "ipv6-addresses.ipv6-address", NULL, NULL, "*" },
		{ "requester-id", NULL, NULL, "*" },
		{ "tag:Name", NULL, NULL, "*" },
		{ "tag-key", NULL, NULL, "*" },
	};
	char ids[2][32], alloc[32], ip[16], value[128];
	json_object *r, *eni, *inst, *ni;
	const char *id;
	size_t i, n;

	run(2, ids);
	stop(ids[1]); /* listed too */
	allocate(alloc, ip);
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc, ids[0])));
	r = ok(ec2_describe_network_interfaces, J("{}"));
	ck_assert_int_eq(count(r, "NetworkInterfaces"), 2);
	json_object_put(r);
	r = ok(ec2_describe_network_interfaces, J("{\"NetworkInterfaceIds\": [\"%s\"]}",
						  eni_of(ids[0])));
	eni = json_object_get(item(r, "NetworkInterfaces", 0));
	json_object_put(r);
	id = eni_of(ids[0]);

	/* The shape: EC2's members, in the order the aws CLI prints them. */
	{
		static const char *const keys[] = { "Association", "Attachment", "AvailabilityZone",
			"Description", "Groups", "InterfaceType", "Ipv6Addresses", "MacAddress",
			"NetworkInterfaceId", "OwnerId", "PrivateDnsName", "PrivateIpAddress",
			"PrivateIpAddresses", "RequesterManaged", "SourceDestCheck", "Status",
			"SubnetId", "TagSet", "VpcId", NULL };
		size_t k = 0;

		json_object_object_foreach(eni, key, val) {
			(void)val;
			ck_assert_ptr_nonnull(keys[k]);
			ck_assert_str_eq(key, keys[k]);
			k++;
		}
		ck_assert_ptr_null(keys[k]);
		ck_assert_str_eq(str(eni, "Attachment.InstanceId"), ids[0]);
		ck_assert_str_eq(str(eni, "Attachment.InstanceOwnerId"), cfg.owner_id);
		ck_assert_str_eq(str(eni, "Attachment.NetworkCardIndex"), "0");
	}
	/* The instance's NetworkInterfaces[0] says the same where the shapes overlap. */
	inst = instance(ids[0]);
	ni = item(inst, "NetworkInterfaces", 0);
	{
		json_object_object_foreach(ni, key, val) {
			json_object *other = json_path(eni, key);

			ck_assert_msg(other != NULL, "%s missing", key);
			if (strcmp(key, "Association") == 0 || strcmp(key, "Attachment") == 0 ||
			    strcmp(key, "PrivateIpAddresses") == 0)
				continue;
			ck_assert_msg(json_object_equal(val, other), "%s differs", key);
		}
	}
	ck_assert_str_eq(str(ni, "Association.PublicIp"), str(eni, "Association.PublicIp"));
	ck_assert_str_eq(str(ni, "Attachment.AttachmentId"), str(eni, "Attachment.AttachmentId"));
	json_object_put(inst);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].path) {
			const char *p = cases[i].path;
			json_object *v;

			if (strcmp(p, "Groups.0.GroupId") == 0)
				v = json_path(item(eni, "Groups", 0), "GroupId");
			else
				v = json_path(eni, p);
			ck_assert_msg(v != NULL, "%s: no %s", cases[i].name, p);
			snprintf(value, sizeof(value), "%s", json_object_get_string(v));
		} else if (cases[i].value) {
			snprintf(value, sizeof(value), "%s", cases[i].value);
		} else {
			value[0] = '\0';
		}
		if (cases[i].path || cases[i].value)
			ck_assert_msg(selects(cases[i].name, value, id, &n), "%s=%s does not select %s",
				      cases[i].name, value, id);
		ck_assert_msg(!selects(cases[i].name, cases[i].miss, id, &n) && n == 0,
			      "%s=%s selects %zu", cases[i].name, cases[i].miss, n);
	}
	/* The stopped instance's interface has no public IP: association filters leave it out. */
	ck_assert(selects("attachment.instance-id", ids[1], eni_of(ids[1]), &n) && n == 1);
	ck_assert(!selects("association.public-ip", "*", eni_of(ids[1]), &n) && n == 1);
	json_object_put(eni);

	/* Ids and pages. */
	fails(ec2_describe_network_interfaces, J("{\"NetworkInterfaceIds\": "
						 "[\"eni-0123456789abcdef0\"]}"),
	      "InvalidNetworkInterfaceID.NotFound",
	      "The networkInterface ID 'eni-0123456789abcdef0' does not exist");
	fails(ec2_describe_network_interfaces, J("{\"NetworkInterfaceIds\": [\"eni-x\"]}"),
	      "InvalidNetworkInterfaceID.Malformed", NULL);
	fails(ec2_describe_network_interfaces, J("{\"Filters\": [{\"Name\": \"colour\", "
						 "\"Values\": [\"red\"]}]}"),
	      "InvalidParameterValue", NULL);
	fails(ec2_describe_network_interfaces, J("{\"MaxResults\": 2}"), "InvalidParameterValue",
	      NULL);
	r = ok(ec2_describe_network_interfaces, J("{\"MaxResults\": 5}"));
	ck_assert_int_eq(count(r, "NetworkInterfaces"), 2);
	ck_assert_ptr_null(json_path(r, "NextToken"));
	json_object_put(r);
}
END_TEST

static bool has_alloc(json_object *r, const char *alloc)
{
	size_t i;
	bool found = false;

	for (i = 0; i < count(r, "Addresses"); i++)
		found |= strcmp(str(item(r, "Addresses", i), "AllocationId"), alloc) == 0;
	return found;
}

START_TEST(address_filters)
{
	static const char *const names[] = { "allocation-id", "association-id", "domain",
		"instance-id", "network-interface-id", "network-interface-owner-id",
		"private-ip-address", "public-ip", "public-ipv4-pool", "network-border-group" };
	static const char *const paths[] = { "AllocationId", "AssociationId", "Domain", "InstanceId",
		"NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress", "PublicIp",
		"PublicIpv4Pool", "NetworkBorderGroup" };
	char ids[1][32], alloc[32], ip[16], other[32], oip[16];
	json_object *a, *r;
	size_t i;

	run(1, ids);
	allocate(other, oip);
	r = ok(ec2_allocate_address, J("{\"TagSpecifications\": [{\"ResourceType\": \"elastic-ip\", "
				       "\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}]}"));
	snprintf(alloc, sizeof(alloc), "%s", str(r, "AllocationId"));
	snprintf(ip, sizeof(ip), "%s", str(r, "PublicIp"));
	json_object_put(r);
	json_object_put(ok(ec2_associate_address,
			   J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}", alloc, ids[0])));
	a = address(alloc);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = ok(ec2_describe_addresses,
		       J("{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"%s\"]}]}", names[i],
			 str(a, paths[i])));
		ck_assert_msg(has_alloc(r, alloc), "%s does not select it", names[i]);
		json_object_put(r);
		r = ok(ec2_describe_addresses,
		       J("{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"nothing\"]}]}", names[i]));
		ck_assert_msg(count(r, "Addresses") == 0, "%s=nothing selects", names[i]);
		json_object_put(r);
	}
	json_object_put(a);
	r = ok(ec2_describe_addresses, J("{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": "
					 "[\"web\"]}]}"));
	ck_assert_int_eq(count(r, "Addresses"), 1);
	json_object_put(r);
	r = ok(ec2_describe_addresses, J("{\"Filters\": [{\"Name\": \"tag-key\", \"Values\": "
					 "[\"Owner\"]}]}"));
	ck_assert_int_eq(count(r, "Addresses"), 0);
	json_object_put(r);
	r = ok(ec2_describe_addresses, J("{\"PublicIps\": [\"%s\"]}", oip));
	ck_assert_int_eq(count(r, "Addresses"), 1);
	ck_assert_str_eq(str(item(r, "Addresses", 0), "AllocationId"), other);
	json_object_put(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("address");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, allocate_associate_release_round_trip);
	tcase_add_test(tc, errors_of_each_action);
	tcase_add_test(tc, bad_input_changes_nothing);
	tcase_add_test(tc, elastic_ip_kept_over_stop_and_start);
	tcase_add_test(tc, reassociation);
	tcase_add_test(tc, metadata_follows_the_store);
	tcase_add_test(tc, terminate_disassociates);
	tcase_add_test(tc, network_interface_filters);
	tcase_add_test(tc, address_filters);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}

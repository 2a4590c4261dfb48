/* Network interfaces: see include/ec2lite/eni.h. */
#include "ec2lite/eni.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/net.h"
#include "ec2lite/util.h"

static const struct filter_field eni_filters[] = {
	{ "addresses.private-ip-address", "PrivateIpAddresses.PrivateIpAddress" },
	{ "addresses.primary", "PrivateIpAddresses.Primary" },
	{ "addresses.association.public-ip", "PrivateIpAddresses.Association.PublicIp" },
	{ "addresses.association.owner-id", "PrivateIpAddresses.Association.IpOwnerId" },
	{ "association.association-id", "Association.AssociationId" },
	{ "association.allocation-id", "Association.AllocationId" },
	{ "association.ip-owner-id", "Association.IpOwnerId" },
	{ "association.public-ip", "Association.PublicIp" },
	{ "association.public-dns-name", "Association.PublicDnsName" },
	{ "attachment.attachment-id", "Attachment.AttachmentId" },
	{ "attachment.attach-time", "Attachment.AttachTime" },
	{ "attachment.delete-on-termination", "Attachment.DeleteOnTermination" },
	{ "attachment.device-index", "Attachment.DeviceIndex" },
	{ "attachment.instance-id", "Attachment.InstanceId" },
	{ "attachment.instance-owner-id", "Attachment.InstanceOwnerId" },
	{ "attachment.status", "Attachment.Status" },
	{ "availability-zone", "AvailabilityZone" },
	{ "description", "Description" },
	{ "group-id", "Groups.GroupId" },
	{ "group-name", "Groups.GroupName" },
	{ "ipv6-addresses.ipv6-address", "Ipv6Addresses.Ipv6Address" },
	{ "interface-type", "InterfaceType" },
	{ "mac-address", "MacAddress" },
	{ "network-interface-id", "NetworkInterfaceId" },
	{ "owner-id", "OwnerId" },
	{ "private-ip-address", "PrivateIpAddress" },
	{ "private-dns-name", "PrivateDnsName" },
	{ "requester-id", "RequesterId" },
	{ "requester-managed", "RequesterManaged" },
	{ "source-dest-check", "SourceDestCheck" },
	{ "status", "Status" },
	{ "subnet-id", "SubnetId" },
	{ "vpc-id", "VpcId" },
	{ NULL, NULL },
};

void eni_private_dns_name(struct ec2_ctx *ctx, const char *ip, char *out, size_t size)
{
	char host[32];

	net_hostname(ip, host, sizeof(host));
	if (strcmp(ctx->cfg->region, "us-east-1") == 0)
		snprintf(out, size, "%s.ec2.internal", host);
	else
		snprintf(out, size, "%s.%s.compute.internal", host, ctx->cfg->region);
}

json_object *eni_groups_json(const struct ec2_meta *m)
{
	json_object *a = json_object_new_array(), *e;
	size_t i;

	for (i = 0; m->groups && i < json_object_array_length(m->groups); i++) {
		json_object *g = json_object_array_get_idx(m->groups, i);

		/* EC2 lists GroupName before GroupId here. */
		e = json_object_new_object();
		json_add_str(e, "GroupName", req_string(g, "GroupName"));
		json_add_str(e, "GroupId", req_string(g, "GroupId"));
		json_object_array_add(a, e);
	}
	return a;
}

/* The public IP's association: an instance's (InstanceNetworkInterfaceAssociation) or an ENI's
 * (NetworkInterfaceAssociation, which names an Elastic IP's allocation and association). */
static json_object *association(struct ec2_ctx *ctx, const struct ec2_meta *m, const char *public_ip,
				const char *association_id, bool full)
{
	json_object *o = json_object_new_object();
	bool eip = m->eip_allocation_id[0] != '\0';

	if (full && eip) {
		json_add_str(o, "AllocationId", m->eip_allocation_id);
		if (association_id)
			json_add_str(o, "AssociationId", association_id);
	}
	json_add_str(o, "IpOwnerId", eip ? ctx->cfg->owner_id : "amazon");
	json_add_str(o, "PublicDnsName", "");
	json_add_str(o, "PublicIp", public_ip);
	return o;
}

json_object *eni_json(struct ec2_ctx *ctx, const char *id, const struct ec2_meta *m,
		      const char *public_ip, const char *association_id, bool full)
{
	json_object *e = json_object_new_object(), *x, *a;
	char mac[18], attach[EC2_ID_MAX + 8], dns[96];

	net_mac(m->private_ip, mac);
	eni_private_dns_name(ctx, m->private_ip, dns, sizeof(dns));
	if (public_ip)
		json_object_object_add(e, "Association",
				       association(ctx, m, public_ip, association_id, full));
	x = json_object_new_object();
	json_add_str(x, "AttachTime", m->launch_time);
	snprintf(attach, sizeof(attach), "eni-attach-%s", m->eni_id[0] ? m->eni_id + 4 : "");
	json_add_str(x, "AttachmentId", attach);
	json_add_bool(x, "DeleteOnTermination", true);
	json_add_int(x, "DeviceIndex", 0);
	if (full) {
		json_add_int(x, "NetworkCardIndex", 0);
		json_add_str(x, "InstanceId", id);
		json_add_str(x, "InstanceOwnerId", ctx->cfg->owner_id);
		json_add_str(x, "Status", "attached");
	} else {
		json_add_str(x, "Status", "attached");
		json_add_int(x, "NetworkCardIndex", 0);
	}
	json_object_object_add(e, "Attachment", x);
	if (full)
		json_add_str(e, "AvailabilityZone", m->availability_zone[0] ? m->availability_zone
								      : ctx->cfg->availability_zone);
	json_add_str(e, "Description", "");
	json_object_object_add(e, "Groups", eni_groups_json(m));
	if (full)
		json_add_str(e, "InterfaceType", "interface");
	json_object_object_add(e, "Ipv6Addresses", json_object_new_array());
	json_add_str(e, "MacAddress", mac);
	json_add_str(e, "NetworkInterfaceId", m->eni_id);
	json_add_str(e, "OwnerId", ctx->cfg->owner_id);
	json_add_str(e, "PrivateDnsName", dns);
	json_add_str(e, "PrivateIpAddress", m->private_ip);
	a = json_object_new_array();
	x = json_object_new_object();
	if (public_ip)
		json_object_object_add(x, "Association",
				       association(ctx, m, public_ip, association_id, full));
	json_add_bool(x, "Primary", true);
	json_add_str(x, "PrivateDnsName", dns);
	json_add_str(x, "PrivateIpAddress", m->private_ip);
	json_object_array_add(a, x);
	json_object_object_add(e, "PrivateIpAddresses", a);
	if (full)
		json_add_bool(e, "RequesterManaged", false);
	json_add_bool(e, "SourceDestCheck", !m->source_dest_check_off);
	json_add_str(e, "Status", "in-use");
	json_add_str(e, "SubnetId", m->subnet_id);
	if (full)
		json_object_object_add(e, "TagSet", json_object_new_array());
	json_add_str(e, "VpcId", m->vpc_id);
	if (!full)
		json_add_str(e, "InterfaceType", "interface");
	return e;
}

static int by_eni_id(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	return strcmp(req_str0(*x, "NetworkInterfaceId"), req_str0(*y, "NetworkInterfaceId"));
}

/* The association id of Elastic IP alloc in the store snapshot root, or NULL. */
static const char *association_of(json_object *root, const char *alloc)
{
	json_object *addresses, *a;

	if (!alloc[0] || !json_object_object_get_ex(root, "addresses", &addresses) ||
	    !json_object_object_get_ex(addresses, alloc, &a))
		return NULL;
	return req_string(a, "AssociationId");
}

json_object *ec2_describe_network_interfaces(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *ids = req_list(req, "NetworkInterfaceIds");
	json_object *root = NULL, *all = NULL, *list = NULL, *resp = NULL, *terminated;
	struct ec2_dom *doms = NULL;
	size_t n = 0, i;

	if (filter_validate(filters, eni_filters, err) < 0 ||
	    ec2_ids_check(ids, "eni", "InvalidNetworkInterfaceID.Malformed", err) < 0)
		return NULL;
	if (!(root = store_read(ctx->store, err)) || ec2_doms_list(ctx, 0, &doms, &n, err) < 0)
		goto out;
	terminated = store_section(root, "terminated");
	all = json_object_new_array();
	for (i = 0; i < n; i++) {
		const struct ec2_meta *m = &doms[i].meta;
		const char *id = virDomainGetName(doms[i].dom);
		bool eip = m->eip_allocation_id[0] != '\0';
		const char *public_ip;

		/* Instances launched without a network have none; a terminated one (its teardown
		 * cut short) has lost its own. */
		if (!id || !m->private_ip[0] || !m->eni_id[0] ||
		    json_object_object_get_ex(terminated, id, NULL))
			continue;
		public_ip = m->public_ip[0] && (eip || virDomainIsActive(doms[i].dom) == 1) ?
			    m->public_ip : NULL;
		json_object_array_add(all, eni_json(ctx, id, m, public_ip,
						    eip ? association_of(root, m->eip_allocation_id)
							: NULL, true));
	}
	json_object_array_sort(all, by_eni_id);
	for (i = 0; ids && i < json_object_array_length(ids); i++) {
		const char *want = json_object_get_string(json_object_array_get_idx(ids, i));
		size_t j;
		bool found = false;

		for (j = 0; j < json_object_array_length(all) && !found; j++)
			found = strcmp(req_str0(json_object_array_get_idx(all, j), "NetworkInterfaceId"),
				       want) == 0;
		if (!found) {
			ec2_error_set(err, "InvalidNetworkInterfaceID.NotFound",
				      "The networkInterface ID '%s' does not exist", want);
			goto out;
		}
	}
	list = json_object_new_array();
	for (i = 0; i < json_object_array_length(all); i++) {
		json_object *e = json_object_array_get_idx(all, i);

		if ((!ids || json_strlist_wants(ids, req_str0(e, "NetworkInterfaceId"))) &&
		    filter_match(e, filters, eni_filters))
			json_object_array_add(list, json_object_get(e));
	}
	resp = json_object_new_object();
	if (req_page_into(req, 5, 1000, list, resp, "NetworkInterfaces", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
out:
	ec2_doms_free(doms, n);
	json_object_put(root);
	json_object_put(all);
	json_object_put(list);
	return resp;
}

/* The model's context and storage pool: see include/ec2lite/ec2.h. */
#include "ec2lite/ec2.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/domxml.h"
#include "ec2lite/ids.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/tags.h"
#include "ec2lite/timeline.h"
#include "ec2lite/util.h"

/* The default state folder owns the pool "ec2-lite"; any other folder (a test's, say) gets a pool
 * of its own, named from a hash of its path, so that two state folders never share instances. */
static void pool_name_for(const char *state_dir, char *out, size_t size)
{
	unsigned long h = 5381;
	const char *p;

	if (strcmp(state_dir, "/var/lib/ec2-lite") == 0) {
		snprintf(out, size, "ec2-lite");
		return;
	}
	for (p = state_dir; *p; p++)
		h = h * 33 + (unsigned char)*p;
	snprintf(out, size, "ec2-lite-%08lx", h & 0xffffffffUL);
}

static bool event_loop_registered;

/* Wakes the event loop twice a second, so that a wait that runs it also gets to check its
 * deadlines. */
static void tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

int ec2_ctx_open(struct ec2_ctx *ctx, const struct ec2_config *cfg, unsigned flags,
		 struct ec2_error *err)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->image_job_fd = -1;
	ctx->test.fail_launch_index = -1;
	ctx->cfg = cfg;
	pool_name_for(cfg->state_dir, ctx->pool_name, sizeof(ctx->pool_name));
	ctx->pool_dir = util_strdupf("%s/pool", cfg->state_dir);
	ctx->instances_dir = util_strdupf("%s/instances", cfg->state_dir);
	ctx->kernels_dir = util_strdupf("%s/kernels", cfg->state_dir);
	ctx->types = type_table_load(cfg->data_dir, err);
	if (!ctx->types)
		goto fail;
	ctx->store = store_open(cfg->state_dir, err);
	if (!ctx->store)
		goto fail;
	/* Domain events (reboots) need libvirt's event loop registered before connecting. */
	if ((flags & EC2_CTX_EVENTS) && !event_loop_registered) {
		virEventRegisterDefaultImpl();
		virEventAddTimeout(500, tick, NULL, NULL);
		event_loop_registered = true;
	}
	ctx->events = event_loop_registered;
	ctx->conn = ec2_conn_open(cfg->connect_uri, err);
	if (!ctx->conn)
		goto fail;
	ec2_accel_detect(cfg, ctx->conn, &ctx->accel);
	return 0;
fail:
	ec2_ctx_close(ctx);
	return -1;
}

void ec2_ctx_close(struct ec2_ctx *ctx)
{
	if (ctx->store && ctx->image_job_fd >= 0)
		close(ctx->image_job_fd);
	if (ctx->conn)
		ec2_reboot_watches_clear(ctx);
	if (ctx->conn)
		virConnectClose(ctx->conn);
	store_close(ctx->store);
	type_table_free(ctx->types);
	free(ctx->pool_dir);
	free(ctx->instances_dir);
	free(ctx->kernels_dir);
	memset(ctx, 0, sizeof(*ctx));
}

/* The target path of a pool (caller frees), or NULL. */
static char *pool_path(virStoragePoolPtr pool)
{
	char *xml = virStoragePoolGetXMLDesc(pool, 0), *path = NULL;
	xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET) : NULL;
	xmlNodePtr n, t;

	for (n = doc ? xmlDocGetRootElement(doc)->children : NULL; n && !path; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || xmlStrcmp(n->name, BAD_CAST "target") != 0)
			continue;
		for (t = n->children; t && !path; t = t->next) {
			if (t->type == XML_ELEMENT_NODE && xmlStrcmp(t->name, BAD_CAST "path") == 0) {
				xmlChar *text = xmlNodeGetContent(t);

				path = text ? strdup((const char *)text) : NULL;
				xmlFree(text);
			}
		}
	}
	xmlFreeDoc(doc);
	free(xml);
	return path;
}

int ec2_stale_pools(struct ec2_ctx *ctx, bool remove, json_object **stale, struct ec2_error *err)
{
	virStoragePoolPtr *pools = NULL;
	int n = virConnectListAllStoragePools(ctx->conn, &pools, 0), i;

	*stale = NULL;
	if (n < 0) {
		ec2_error_set_libvirt(err, "cannot list the storage pools");
		return -1;
	}
	*stale = json_object_new_array();
	for (i = 0; i < n; i++) {
		const char *name = virStoragePoolGetName(pools[i]);
		char *path = NULL;

		if (strncmp(name, "ec2-lite-", 9) == 0 && strcmp(name, ctx->pool_name) != 0 &&
		    (path = pool_path(pools[i])) && !util_file_exists(path)) {
			char *what = util_strdupf("%s (%s)", name, path);

			json_object_array_add(*stale, json_object_new_string(what));
			free(what);
			if (remove) {
				if (virStoragePoolIsActive(pools[i]) == 1)
					virStoragePoolDestroy(pools[i]);
				virStoragePoolUndefine(pools[i]);
			}
		}
		free(path);
		virStoragePoolFree(pools[i]);
	}
	free(pools);
	return 0;
}

virStoragePoolPtr ec2_pool(struct ec2_ctx *ctx, struct ec2_error *err)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name);
	char *xml = NULL;

	/* Also when libvirt still knows the pool: its folder may have been removed under it.
	 * libvirt runs QEMU as an unprivileged user, so the folders must be traversable. */
	if (util_mkdir_p(ctx->pool_dir, 0755, err) < 0) {
		if (pool)
			virStoragePoolFree(pool);
		return NULL;
	}
	if (!pool) {
		xml = domxml_pool(ctx->pool_name, ctx->pool_dir, err);
		if (!xml)
			return NULL;
		pool = virStoragePoolDefineXML(ctx->conn, xml, 0);
		free(xml);
		if (!pool) {
			ec2_error_set_libvirt(err, "cannot define the storage pool '%s'", ctx->pool_name);
			return NULL;
		}
		virStoragePoolSetAutostart(pool, 1);
	}
	if (virStoragePoolIsActive(pool) != 1 && virStoragePoolCreate(pool, 0) < 0) {
		ec2_error_set_libvirt(err, "cannot start the storage pool '%s'", ctx->pool_name);
		virStoragePoolFree(pool);
		return NULL;
	}
	return pool;
}

json_object *ec2_describe_instance_types(struct ec2_ctx *ctx, json_object *req,
					 struct ec2_error *err)
{
	return type_describe_many(ctx->types, req, err);
}

int ec2_meta_load(virDomainPtr dom, struct ec2_meta *m)
{
	char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, EC2_META_NS,
					 VIR_DOMAIN_AFFECT_CONFIG);
	int rc;

	memset(m, 0, sizeof(*m));
	if (!xml)
		return -1;
	rc = ec2_meta_from_xml(xml, m, NULL);
	free(xml);
	/* Instances from before volumes may have no vol- id for their root: one made of the
	 * instance id's digits, the same on every read. */
	if (rc == 0 && !m->root_volume_id[0] && strncmp(virDomainGetName(dom), "i-", 2) == 0)
		snprintf(m->root_volume_id, sizeof(m->root_volume_id), "vol-%s",
			 virDomainGetName(dom) + 2);
	return rc;
}

int ec2_meta_save(virDomainPtr dom, const struct ec2_meta *m, struct ec2_error *err)
{
	char *xml = ec2_meta_to_xml(m, err);
	unsigned flags = VIR_DOMAIN_AFFECT_CONFIG;
	int rc;

	if (!xml)
		return -1;
	if (virDomainIsActive(dom) == 1)
		flags |= VIR_DOMAIN_AFFECT_LIVE;
	rc = virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, EC2_META_PREFIX,
				  EC2_META_NS, flags);
	free(xml);
	if (rc < 0)
		ec2_error_set_libvirt(err, "cannot update the metadata of '%s'",
				      virDomainGetName(dom));
	return rc;
}

int ec2_doms_list(struct ec2_ctx *ctx, unsigned flags, struct ec2_dom **out, size_t *count,
		  struct ec2_error *err)
{
	virDomainPtr *doms = NULL;
	unsigned lf = VIR_CONNECT_LIST_DOMAINS_PERSISTENT |
		      ((flags & EC2_DOMS_ACTIVE) ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : 0);
	int n = virConnectListAllDomains(ctx->conn, &doms, lf), i;
	struct ec2_dom *v;
	size_t k = 0;

	if (n < 0) {
		ec2_error_set_libvirt(err, "cannot list libvirt domains");
		return -1;
	}
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		abort();
	for (i = 0; i < n; i++) {
		if (!ec2_id_valid("i", virDomainGetName(doms[i])) ||
		    ec2_meta_load(doms[i], &v[k].meta) < 0 ||
		    (!(flags & EC2_DOMS_ALL_POOLS) && strcmp(v[k].meta.pool, ctx->pool_name) != 0)) {
			ec2_meta_clear(&v[k].meta);
			virDomainFree(doms[i]);
			continue;
		}
		v[k++].dom = doms[i];
	}
	free(doms);
	*out = v;
	*count = k;
	return 0;
}

void ec2_doms_free(struct ec2_dom *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].dom)
			virDomainFree(v[i].dom);
		ec2_meta_clear(&v[i].meta);
	}
	free(v);
}

bool ec2_dry_run(json_object *req, struct ec2_error *err)
{
	bool dry = false;

	if (req_bool(req, "DryRun", &dry, err) < 0)
		return true;
	if (dry)
		ec2_error_set(err, EC2_ERR_DRY_RUN, EC2_DRY_RUN_MESSAGE);
	return dry;
}

/* A read-only action changes nothing, so its dry run is the action itself, its answer replaced
 * by DryRunOperation: every check it makes is made (malformed ids, unknown ones, bad filters). */
static json_object *read_only(ec2_action_fn fn, struct ec2_ctx *ctx, json_object *req,
			      struct ec2_error *err)
{
	json_object *resp;
	bool dry = false;

	if (req_bool(req, "DryRun", &dry, err) < 0)
		return NULL;
	resp = fn(ctx, req, err);
	if (resp && dry) {
		json_object_put(resp);
		ec2_dry_run(req, err);
		return NULL;
	}
	return resp;
}

#define READ_ONLY(fn)                                                                      \
	static json_object *read_only_##fn(struct ec2_ctx *ctx, json_object *req,          \
					   struct ec2_error *err)                          \
	{                                                                                  \
		return read_only(fn, ctx, req, err);                                       \
	}
READ_ONLY(ec2_describe_instances)
READ_ONLY(ec2_describe_instance_attribute)
READ_ONLY(ec2_get_console_output)
READ_ONLY(ec2_describe_instance_status)
READ_ONLY(ec2_describe_instance_types)
READ_ONLY(ec2_describe_images)
READ_ONLY(ec2_describe_import_image_tasks)
READ_ONLY(ec2_describe_security_groups)
READ_ONLY(ec2_describe_key_pairs)
READ_ONLY(ec2_describe_tags)
READ_ONLY(ec2_describe_network_interfaces)
READ_ONLY(ec2_describe_addresses)
READ_ONLY(ec2_describe_vpcs)
READ_ONLY(ec2_describe_subnets)
READ_ONLY(ec2_describe_internet_gateways)
READ_ONLY(ec2_describe_route_tables)
READ_ONLY(ec2_describe_network_acls)
READ_ONLY(ec2_describe_availability_zones)
READ_ONLY(ec2_describe_regions)
READ_ONLY(ec2_describe_account_attributes)
READ_ONLY(ec2_get_password_data)
READ_ONLY(ec2_describe_iam_instance_profile_associations)
READ_ONLY(ec2_describe_volumes)
READ_ONLY(ec2_describe_volume_status)
READ_ONLY(ec2_describe_snapshots)
READ_ONLY(ec2_describe_boot_timeline)

/* Mutating actions honour DryRun themselves, at their own dry-run point (ec2_dry_run). */
static const struct {
	const char *action;
	ec2_action_fn fn;
} actions[] = {
	{ "RunInstances", ec2_run_instances },
	{ "DescribeInstances", read_only_ec2_describe_instances },
	{ "StartInstances", ec2_start_instances },
	{ "StopInstances", ec2_stop_instances },
	{ "RebootInstances", ec2_reboot_instances },
	{ "TerminateInstances", ec2_terminate_instances },
	{ "DescribeInstanceAttribute", read_only_ec2_describe_instance_attribute },
	{ "GetConsoleOutput", read_only_ec2_get_console_output },
	{ "DescribeInstanceStatus", read_only_ec2_describe_instance_status },
	{ "DescribeInstanceTypes", read_only_ec2_describe_instance_types },
	{ "RegisterImage", ec2_register_image },
	{ "DescribeImages", read_only_ec2_describe_images },
	{ "DeregisterImage", ec2_deregister_image },
	{ "CreateImage", ec2_create_image },
	{ "CopyImage", ec2_copy_image },
	{ "ImportImage", ec2_import_image },
	{ "DescribeImportImageTasks", read_only_ec2_describe_import_image_tasks },
	{ "CreateSecurityGroup", ec2_create_security_group },
	{ "DescribeSecurityGroups", read_only_ec2_describe_security_groups },
	{ "AuthorizeSecurityGroupIngress", ec2_authorize_security_group_ingress },
	{ "RevokeSecurityGroupIngress", ec2_revoke_security_group_ingress },
	{ "DeleteSecurityGroup", ec2_delete_security_group },
	{ "CreateKeyPair", ec2_create_key_pair },
	{ "ImportKeyPair", ec2_import_key_pair },
	{ "DescribeKeyPairs", read_only_ec2_describe_key_pairs },
	{ "DeleteKeyPair", ec2_delete_key_pair },
	{ "CreateTags", ec2_create_tags },
	{ "DeleteTags", ec2_delete_tags },
	{ "DescribeTags", read_only_ec2_describe_tags },
	{ "DescribeNetworkInterfaces", read_only_ec2_describe_network_interfaces },
	{ "AllocateAddress", ec2_allocate_address },
	{ "AssociateAddress", ec2_associate_address },
	{ "DisassociateAddress", ec2_disassociate_address },
	{ "ReleaseAddress", ec2_release_address },
	{ "DescribeAddresses", read_only_ec2_describe_addresses },
	{ "DescribeVpcs", read_only_ec2_describe_vpcs },
	{ "DescribeSubnets", read_only_ec2_describe_subnets },
	{ "DescribeInternetGateways", read_only_ec2_describe_internet_gateways },
	{ "DescribeRouteTables", read_only_ec2_describe_route_tables },
	{ "DescribeNetworkAcls", read_only_ec2_describe_network_acls },
	{ "DescribeAvailabilityZones", read_only_ec2_describe_availability_zones },
	{ "DescribeRegions", read_only_ec2_describe_regions },
	{ "DescribeAccountAttributes", read_only_ec2_describe_account_attributes },
	{ "ModifyInstanceAttribute", ec2_modify_instance_attribute },
	{ "GetPasswordData", read_only_ec2_get_password_data },
	{ "ModifyInstanceMetadataOptions", ec2_modify_instance_metadata_options },
	{ "AssociateIamInstanceProfile", ec2_associate_iam_instance_profile },
	{ "DescribeIamInstanceProfileAssociations",
	  read_only_ec2_describe_iam_instance_profile_associations },
	{ "DisassociateIamInstanceProfile", ec2_disassociate_iam_instance_profile },
	{ "ReplaceIamInstanceProfileAssociation", ec2_replace_iam_instance_profile_association },
	{ "CreateVolume", ec2_create_volume },
	{ "DescribeVolumes", read_only_ec2_describe_volumes },
	{ "DeleteVolume", ec2_delete_volume },
	{ "AttachVolume", ec2_attach_volume },
	{ "DetachVolume", ec2_detach_volume },
	{ "ModifyVolume", ec2_modify_volume },
	{ "DescribeVolumeStatus", read_only_ec2_describe_volume_status },
	{ "CreateSnapshot", ec2_create_snapshot },
	{ "DescribeSnapshots", read_only_ec2_describe_snapshots },
	{ "DeleteSnapshot", ec2_delete_snapshot },
	{ "CopySnapshot", ec2_copy_snapshot },
	/* ec2-lite's own, not EC2's (its shapes: scripts/gen-api-shapes.py's OWN_SHAPES). */
	{ "DescribeBootTimeline", read_only_ec2_describe_boot_timeline },
};

ec2_action_fn ec2_action(const char *action)
{
	size_t i;

	for (i = 0; action && i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].action, action) == 0)
			return actions[i].fn;
	return NULL;
}

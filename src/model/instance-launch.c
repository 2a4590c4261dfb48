/* Instances, RunInstances: the launch as data flowing through (docs/ARCHITECTURE.md, "Launch as
 * data flowing through"): the request checked, the launch lock, ClientToken, the limit and
 * capacity, then per instance an overlay volume, an instance folder, a domain defined and started,
 * each named in the launch's journal first; a failure undoes every instance of the launch. Also
 * the boot timeline's watcher, which StartInstances and RebootInstances start too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2lite/filter.h"
#include "ec2lite/image.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/journal.h"
#include "ec2lite/launchtime.h"
#include "ec2lite/reserve.h"
#include "ec2lite/net.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/seed.h"
#include "ec2lite/tags.h"
#include "ec2lite/timeline.h"
#include "ec2lite/util.h"
#include "ec2lite/vpc.h"
#include "ec2lite/volume.h"

#include "instance-internal.h"

/* The wall clock with its fraction (boot timelines). */
double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct launch_params {
	const char *image_id;
	json_object *image;
	const struct instance_type *type;
	const char *reservation_id;
	const char *client_token;
	bool hibernation;
	bool disable_api_termination;
	bool disable_api_stop;
	const char *shutdown_behavior;
	json_object *tags;
	const char *user_data;
	size_t user_data_len;
	unsigned long long root_bytes; /* the root volume's size; 0: the AMI's */
	bool root_keep;                /* its DeleteOnTermination is false */
	json_object *extra;            /* new EBS volumes per instance (volume_launch_specs) */
	json_object *groups;           /* [{"GroupId","GroupName"}] */
	const char *key_name;
	json_object *public_keys;      /* OpenSSH public key lines for the seed, or NULL */
	struct vpc_subnet subnet;      /* where the instances go (vpc.h) */
	virStoragePoolPtr pool;
	struct ec2_meta imds;          /* only its MetadataOptions members: what each instance gets */
	char iam_arn[256];             /* IamInstanceProfile's Arn and Id, or "" */
	char iam_id[32];
};

struct created {
	char id[EC2_ID_MAX];
	char volume[64];
	char private_ip[16];
	virDomainPtr dom;
	double started_at; /* wall clock, when its QEMU runs */
};

/* Creates and starts one instance (c->id and c->volume given); on failure leaves c with what must
 * be undone. */
static int launch_one(struct ec2_ctx *ctx, const struct launch_params *lp, int index,
		      struct created *c, struct ec2_error *err)
{
	struct ec2_meta m;
	struct domspec spec;
	json_object *priv;
	virStorageVolPtr vol = NULL;
	char *volxml = NULL, *volpath = NULL, *dir = NULL, *log = NULL, *xml = NULL;
	char *seed = NULL, *meta = NULL, *udpath = NULL, *netdev = NULL, *nic = NULL, *mdpath = NULL;
	char *guestfwd = NULL;
	char *store[TYPE_STORE_DISKS_MAX] = { NULL };
	char hostname[32], uuid[37];
	int nstore;
	/* An image whose cloud-init reads only IMDS gets no seed (golden.c's sysprep says so). */
	const char *seed_kind = image_private(lp->image, "Seed");
	bool no_seed = seed_kind && strcmp(seed_kind, "none") == 0;
	long long vsize = 0;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	memset(&spec, 0, sizeof(spec));
	/* c->id, c->volume and c->private_ip were chosen before the launch began (its journal
	 * names them). */
	if (ec2_id_new("vol", m.root_volume_id, err) < 0 || ec2_id_new("eni", m.eni_id, err) < 0)
		goto out;
	snprintf(m.private_ip, sizeof(m.private_ip), "%s", c->private_ip);
	net_hostname(m.private_ip, hostname, sizeof(hostname));
	guestfwd = imds_net_guestfwd(ctx->cfg, c->id);
	net_qemu_args(m.private_ip, guestfwd, &netdev, &nic);
	json_object_object_get_ex(lp->image, "ec2lite", &priv);
	req_int(priv, "VirtualSize", &vsize, NULL);
	if (lp->root_bytes > (unsigned long long)vsize)
		vsize = (long long)lp->root_bytes;
	volxml = domxml_volume(c->volume, (unsigned long long)vsize, image_private(lp->image, "Base"),
			       image_private(lp->image, "Format"), err);
	if (!volxml)
		goto out;
	vol = virStorageVolCreateXML(lp->pool, volxml, 0);
	if (!vol) {
		ec2_error_set_libvirt(err, "cannot create the root volume of '%s'", c->id);
		c->volume[0] = '\0';
		goto out;
	}
	launchtime_step("volume", c->id);
	volpath = virStorageVolGetPath(vol);
	dir = instance_dir(ctx, c->id);
	if (util_mkdir_p(dir, 0755, err) < 0)
		goto out;
	log = util_strdupf("%s/console.log", dir);
	seed = util_strdupf("%s/seed.iso", dir);
	udpath = util_strdupf("%s/user-data", dir);
	meta = seed_meta_data(c->id, hostname, lp->public_keys);
	mdpath = util_strdupf("%s/meta-data", dir);
	/* The user-data is kept beside the seed for DescribeInstanceAttribute, the meta-data for
	 * the seed that ModifyInstanceAttribute's new user data makes again. */
	if ((!no_seed && seed_write(seed, lp->user_data, lp->user_data_len, meta, err) < 0) ||
	    util_write_file_atomic(udpath, lp->user_data ? lp->user_data : "", lp->user_data_len,
				   0600, err) < 0 ||
	    util_write_file_atomic(mdpath, meta, strlen(meta), 0600, err) < 0)
		goto out;
	launchtime_step("seed", c->id);
	/* The instance store: empty sparse disks, in the folder that goes if the launch fails. */
	nstore = ephemeral_make(ctx, c->id, lp->type, store, err);
	if (nstore < 0)
		goto out;

	snprintf(m.image_id, sizeof(m.image_id), "%s", lp->image_id);
	snprintf(m.instance_type, sizeof(m.instance_type), "%s", lp->type->name);
	snprintf(m.reservation_id, sizeof(m.reservation_id), "%s", lp->reservation_id);
	util_iso8601(time(NULL), m.launch_time, sizeof(m.launch_time));
	m.launch_index = index;
	m.hibernation = lp->hibernation;
	m.root_keep = lp->root_keep;
	m.disable_api_termination = lp->disable_api_termination;
	m.disable_api_stop = lp->disable_api_stop;
	snprintf(m.shutdown_behavior, sizeof(m.shutdown_behavior), "%s", lp->shutdown_behavior);
	snprintf(m.client_token, sizeof(m.client_token), "%s", lp->client_token ? lp->client_token : "");
	snprintf(m.root_volume, sizeof(m.root_volume), "%s", c->volume);
	snprintf(m.pool, sizeof(m.pool), "%s", ctx->pool_name);
	snprintf(m.accelerator, sizeof(m.accelerator), "%s", ec2_accel_name(ctx->accel.accel));
	snprintf(m.kernel_entry, sizeof(m.kernel_entry), "%s",
		 image_private(lp->image, "KernelEntry") ? image_private(lp->image, "KernelEntry") :
		 (image_private(lp->image, "Kernel") ? "bzImage" : "bios"));
	m.tags = json_object_get(lp->tags);
	m.groups = json_object_get(lp->groups);
	snprintf(m.key_name, sizeof(m.key_name), "%s", lp->key_name ? lp->key_name : "");
	snprintf(m.vpc_id, sizeof(m.vpc_id), "%s", lp->subnet.vpc_id);
	snprintf(m.subnet_id, sizeof(m.subnet_id), "%s", lp->subnet.subnet_id);
	snprintf(m.availability_zone, sizeof(m.availability_zone), "%s", lp->subnet.zone);
	m.http_tokens_required = lp->imds.http_tokens_required;
	m.http_hop_limit = lp->imds.http_hop_limit;
	m.http_endpoint_off = lp->imds.http_endpoint_off;
	m.metadata_tags = lp->imds.metadata_tags;
	if (lp->iam_arn[0]) {
		if (ec2_id_new("iip-assoc", m.iam_assoc_id, err) < 0)
			goto out;
		snprintf(m.iam_profile_arn, sizeof(m.iam_profile_arn), "%s", lp->iam_arn);
		snprintf(m.iam_profile_id, sizeof(m.iam_profile_id), "%s", lp->iam_id);
		snprintf(m.iam_assoc_time, sizeof(m.iam_assoc_time), "%s", m.launch_time);
	}

	/* New EBS volumes of its block device mappings, listed in its metadata: attached to its
	 * definition once it is defined. */
	if (volume_launch_make(ctx, c->id, lp->extra, lp->subnet.zone, &m, err) < 0)
		goto out;
	spec.name = c->id;
	spec.accel = ctx->accel.accel;
	spec.vcpus = (unsigned)lp->type->vcpus;
	spec.memory_mib = lp->type->memory_mib;
	spec.tb_cache_mib = type_tb_cache_mib(lp->type->memory_mib);
	spec.disk_path = volpath;
	spec.disk_format = "qcow2";
	spec.kernel = image_private(lp->image, "Vmlinux") ? image_private(lp->image, "Vmlinux")
						       : image_private(lp->image, "Kernel");
	spec.initrd = image_private(lp->image, "Initrd");
	spec.cmdline = image_private(lp->image, "KernelArgs");
	spec.console_log = log;
	spec.seed = no_seed ? NULL : seed;
	spec.netdev = netdev;
	spec.nic = nic;
	spec.meta = &m;
	spec.ephemeral = (const char *const *)store;
	spec.ephemeral_count = nstore;
	domxml_ec2_uuid(uuid);
	spec.uuid = uuid;
	xml = domxml_build(&spec, err);
	if (!xml)
		goto out;
	c->dom = virDomainDefineXML(ctx->conn, xml);
	if (!c->dom) {
		ec2_error_set_libvirt(err, "cannot define the domain of '%s'", c->id);
		goto out;
	}
	if (volume_launch_attach(ctx, c->id, c->dom, &m, err) < 0)
		goto out;
	launchtime_step("define", c->id);
	if (index == ctx->test.fail_launch_index) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "injected launch failure");
		goto out;
	}
	/* The metadata service: should it not start now, the next reconcile pass starts it. */
	if (guestfwd)
		imds_daemon_ensure(ctx->cfg, NULL);
	if (virDomainCreate(c->dom) < 0) {
		ec2_error_start_failure(err, c->id, NULL);
		goto out;
	}
	c->started_at = wall_now();
	/* The store is written only when the launch made volumes: not on every launch's path. */
	if (m.volumes && json_object_array_length(m.volumes) > 0)
		volume_launch_done(ctx, c->id);
	launchtime_step("start", c->id);
	rc = 0;
out:
	ec2_meta_clear(&m);
	if (vol)
		virStorageVolFree(vol);
	free(volxml);
	free(volpath);
	free(dir);
	free(log);
	free(xml);
	free(seed);
	free(meta);
	free(udpath);
	free(mdpath);
	free(netdev);
	free(nic);
	free(guestfwd);
	ephemeral_paths_free(store);
	return rc;
}

/* Starts the boot timeline's watcher of instance id, started at started_at: it follows the
 * console from this boot's offset and probes the TCP ports its groups open on its public IP. */
void watch_boot(struct ec2_ctx *ctx, const char *id, double started_at)
{
	struct inst in;
	json_object *root, *ports, *tcp = json_object_new_array();
	size_t i;

	if (load_live(ctx, id, &in) != 1) {
		json_object_put(tcp);
		return;
	}
	root = store_read(ctx->store, NULL);
	ports = root ? net_open_ports(root, in.meta.groups) : NULL;
	for (i = 0; ports && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);

		if (strcmp(req_str0(p, "Protocol"), "tcp") == 0)
			json_object_array_add(tcp, json_object_get(json_object_object_get(p, "Port")));
	}
	timeline_watch(ctx, id, started_at, in.meta.console_offset, in.meta.public_ip, tcp);
	json_object_put(ports);
	json_object_put(root);
	json_object_put(tcp);
	inst_clear(&in);
}

/* BlockDeviceMappings: the root device (/dev/xvda) may be made larger than the AMI; the guest
 * grows its filesystem into it on boot, as cloud images do. */
static int root_volume_size(json_object *req, json_object *image, unsigned long long *bytes,
			    bool *keep, struct ec2_error *err)
{
	json_object *maps = req_list(req, "BlockDeviceMappings");
	size_t i, n = maps ? json_object_array_length(maps) : 0;
	long long ami_gib = 1;

	*bytes = 0;
	if (json_path(image, "BlockDeviceMappings")) {
		json_object *bdm = json_object_array_get_idx(json_path(image, "BlockDeviceMappings"), 0);

		req_int(json_path(bdm, "Ebs"), "VolumeSize", &ami_gib, NULL);
	}
	for (i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(maps, i), *ebs = NULL;
		const char *dev = req_string(m, "DeviceName");
		long long gib = 0;

		if (dev && strcmp(dev, "/dev/xvda") != 0 && json_object_object_get_ex(m, "Ebs", NULL))
			continue; /* a new EBS volume: volume_launch_specs */
		if (!dev || strcmp(dev, "/dev/xvda") != 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Only the root device /dev/xvda can be mapped here, not '%s'",
				      dev ? dev : "");
			return -1;
		}
		json_object_object_get_ex(m, "Ebs", &ebs);
		if (req_int(ebs, "VolumeSize", &gib, err) < 0)
			return -1;
		{
			bool del = true;

			/* false: the root stays after terminate as an available volume (volume.h) */
			if (req_bool(ebs, "DeleteOnTermination", &del, err) < 0)
				return -1;
			*keep = !del;
		}
		if (gib == 0)
			continue;
		if (gib > 16384) {
			ec2_error_set(err, "InvalidBlockDeviceMapping",
				      "Volume of size %lldGB exceeds the 16384GB limit", gib);
			return -1;
		}
		if (gib < ami_gib) {
			ec2_error_set(err, "InvalidBlockDeviceMapping",
				      "Volume of size %lldGB is smaller than snapshot '%s', expect size "
				      ">= %lldGB", gib, json_object_get_string(json_path(
					      json_object_array_get_idx(json_path(image, "BlockDeviceMappings"),
									0), "Ebs.SnapshotId")), ami_gib);
			return -1;
		}
		*bytes = (unsigned long long)gib << 30;
	}
	return 0;
}

/* Where the instances go: SubnetId, or NetworkInterfaces[0] (DeviceIndex 0, the one interface an
 * instance has here: its SubnetId and Groups), and Placement.AvailabilityZone; neither: the
 * default zone's subnet. *groups gets the security group ids the request names (borrowed from
 * req; NULL: the default group). */
static int launch_subnet(struct ec2_ctx *ctx, json_object *req, struct vpc_subnet *subnet,
			 json_object **groups, struct ec2_error *err)
{
	json_object *nics = req_list(req, "NetworkInterfaces"), *placement = NULL;
	const char *subnet_id = req_string(req, "SubnetId"), *zone = NULL;

	*groups = req_list(req, "SecurityGroupIds");
	if (json_object_object_get_ex(req, "Placement", &placement))
		zone = req_string(placement, "AvailabilityZone");
	if (zone && !*zone)
		zone = NULL; /* as the aws CLI's AvailabilityZone= : none named */
	if (nics && json_object_array_length(nics) > 0) {
		json_object *nic = json_object_array_get_idx(nics, 0);
		long long index = -1;

		if (subnet_id || *groups) {
			ec2_error_set(err, "InvalidParameterCombination",
				      "Network interfaces and an instance-level %s may not be specified "
				      "on the same request", subnet_id ? "subnet ID" : "security groups");
			return -1;
		}
		if (req_int(nic, "DeviceIndex", &index, err) < 0)
			return -1;
		if (json_object_array_length(nics) > 1 || index != 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "An instance has one network interface here: NetworkInterfaces "
				      "takes one, with DeviceIndex 0");
			return -1;
		}
		subnet_id = req_string(nic, "SubnetId");
		*groups = req_list(nic, "Groups");
	}
	return vpc_subnet_choose(ctx, subnet_id, zone, subnet, err);
}

/* One pass over this folder's instances for a launch: how many are live (the instance limit),
 * and, for a ClientToken, the reservation a retried RunInstances must return instead of
 * launching again (NULL when there is none). */
static json_object *scan_for_launch(struct ec2_ctx *ctx, const char *token, int *live)
{
	struct inst *v = NULL;
	size_t n = 0, i;
	json_object *resp = NULL, *instances = NULL;
	long undefined = 0;

	reserve_pending(ctx, &undefined, NULL); /* launches under way, before the listing */
	*live = (int)undefined;
	if (list_all(ctx, &v, &n, NULL) < 0)
		return NULL;
	qsort(v, n, sizeof(*v), by_launch);
	for (i = 0; i < n; i++) {
		if (!v[i].dom)
			continue;
		(*live)++;
		if (!token || !*token || strcmp(v[i].meta.client_token, token) != 0)
			continue;
		if (!resp) {
			resp = reservation_obj(ctx, v[i].meta.reservation_id);
			json_object_object_get_ex(resp, "Instances", &instances);
		}
		json_object_array_add(instances, instance_json(ctx, &v[i], v[i].state));
	}
	insts_free(v, n);
	return resp;
}

json_object *ec2_run_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct launch_params lp;
	const char *type_name = req_string(req, "InstanceType");
	json_object *hib = NULL, *resp = NULL, *instances;
	long long min = 1, max = 1;
	long count;
	struct created *made = NULL;
	char (*ips)[16] = NULL;
	struct journal journal = { .lock_fd = -1 };
	json_object *planned, *fields;
	char rid[EC2_ID_MAX];
	int lock = -1, live;
	long i;

	memset(&lp, 0, sizeof(lp));
	lp.image_id = req_string(req, "ImageId");
	lp.client_token = req_string(req, "ClientToken");
	lp.shutdown_behavior = req_string(req, "InstanceInitiatedShutdownBehavior");
	if (!lp.image_id) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter ImageId");
		return NULL;
	}
	if (!ec2_id_valid("ami", lp.image_id)) {
		ec2_error_set(err, EC2_ERR_AMI_MALFORMED, "Invalid id: \"%s\" (expecting \"ami-...\")",
			      lp.image_id);
		return NULL;
	}
	if (req_int(req, "MinCount", &min, err) < 0 || req_int(req, "MaxCount", &max, err) < 0)
		return NULL;
	if (min < 1 || max < 1 || min > max) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid count: MinCount (%lld) and MaxCount (%lld) must be at least 1 "
			      "and MinCount may not exceed MaxCount", min, max);
		return NULL;
	}
	if (!lp.shutdown_behavior)
		lp.shutdown_behavior = "stop";
	if (strcmp(lp.shutdown_behavior, "stop") != 0 &&
	    strcmp(lp.shutdown_behavior, "terminate") != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for InstanceInitiatedShutdownBehavior. It must be "
			      "stop or terminate.", lp.shutdown_behavior);
		return NULL;
	}
	if (req_bool(req, "DisableApiTermination", &lp.disable_api_termination, err) < 0 ||
	    req_bool(req, "DisableApiStop", &lp.disable_api_stop, err) < 0)
		return NULL;
	if (json_object_object_get_ex(req, "HibernationOptions", &hib) &&
	    req_bool(hib, "Configured", &lp.hibernation, err) < 0)
		return NULL;
	lp.type = type_lookup(ctx->types, type_name ? type_name : "t2.micro", err);
	if (!lp.type)
		return NULL;
	if (lp.hibernation && !lp.type->hibernation_supported) {
		ec2_error_set(err, EC2_ERR_HIBERNATION_UNSUPPORTED,
			      "Hibernation is not supported for the instance type %s", lp.type->name);
		return NULL;
	}
	lp.user_data = req_string(req, "UserData");
	lp.user_data_len = lp.user_data ? (size_t)json_object_get_string_len(
					      json_object_object_get(req, "UserData")) : 0;
	if (lp.user_data_len > EC2_USER_DATA_MAX) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "User data is limited to %d bytes (this is %zu)", EC2_USER_DATA_MAX,
			      lp.user_data_len);
		return NULL;
	}
	{
		static const char *const also[] = { "volume", "network-interface", NULL };

		lp.tags = tag_specs(req, "instance", also, err);
		if (!lp.tags)
			return NULL;
	}
	lp.image = ec2_image_get(ctx, lp.image_id, err);
	if (!lp.image)
		goto out;
	if (strcmp(req_string(lp.image, "State"), "available") != 0) {
		ec2_error_set(err, EC2_ERR_AMI_UNAVAILABLE, "The image id '[%s]' is not available",
			      lp.image_id);
		goto out;
	}
	if (root_volume_size(req, lp.image, &lp.root_bytes, &lp.root_keep, err) < 0 ||
	    !(lp.extra = volume_launch_specs(ctx, req, lp.subnet.zone, err)))
		goto out;
	/* EC2's defaults, or an IMDSv2-only AMI's, then what the request asks. */
	lp.imds.http_hop_limit = 1;
	if (strcmp(req_str0(lp.image, "ImdsSupport"), "v2.0") == 0) {
		lp.imds.http_tokens_required = true;
		lp.imds.http_hop_limit = 2;
	}
	if (metaopts_apply(json_object_object_get(req, "MetadataOptions"), &lp.imds, err) < 0)
		goto out;
	if (json_object_object_get_ex(req, "IamInstanceProfile", NULL) &&
	    iam_assoc_resolve(ctx, json_object_object_get(req, "IamInstanceProfile"), lp.iam_arn,
			      lp.iam_id, err) < 0)
		goto out;
	{
		json_object *group_ids;

		if (launch_subnet(ctx, req, &lp.subnet, &group_ids, err) < 0)
			goto out;
		lp.groups = secgroup_resolve(ctx, group_ids, err);
		if (!lp.groups)
			goto out;
	}
	lp.key_name = req_string(req, "KeyName");
	if (lp.key_name) {
		char *line = keypair_public_key(ctx, lp.key_name, err);

		if (!line)
			goto out;
		lp.public_keys = json_object_new_array();
		json_object_array_add(lp.public_keys, json_object_new_string(line));
		free(line);
	}

	/* A dry run changes nothing, so it has nothing to serialise: it takes no lock (nor makes
	 * its file). */
	launchtime_step("validate", NULL);
again:
	if (!ec2_dry_run(req, NULL) && (lock = store_lock(ctx->store, "launch", err)) < 0)
		goto out;
	launchtime_step("lock", NULL);
	resp = scan_for_launch(ctx, lp.client_token, &live);
	launchtime_step("scan", NULL);
	if (resp) {
		/* A retry answers with the first launch; as a dry run, it would have succeeded. */
		if (ec2_dry_run(req, err)) {
			json_object_put(resp);
			resp = NULL;
		}
		goto out;
	}
	if (lp.client_token && *lp.client_token &&
	    journal_busy(ctx->cfg->state_dir, "ClientToken", lp.client_token)) {
		/* The first launch of this token is under way: its answer is this one's. */
		store_unlock(lock);
		lock = -1;
		util_sleep_ms(100);
		goto again;
	}
	if (live + min > ctx->cfg->instance_limit) {
		ec2_error_set(err, EC2_ERR_INSTANCE_LIMIT,
			      "You have requested more instances (%lld) than your current instance "
			      "limit of %d allows (%d are in use)", live + min,
			      ctx->cfg->instance_limit, live);
		goto out;
	}
	if (live + max > ctx->cfg->instance_limit)
		max = ctx->cfg->instance_limit - live;
	count = (long)max;
	if (fits(ctx, lp.type, (long)min, &count, err) < 0 ||
	    ephemeral_fits(ctx, lp.type, (long)min, &count, err) < 0)
		goto out;
	launchtime_step("capacity", NULL);
	if (ec2_dry_run(req, err))
		goto out;
	lp.pool = ec2_pool(ctx, err);
	if (!lp.pool)
		goto out;
	if (ec2_id_new("r", rid, err) < 0)
		goto out;
	lp.reservation_id = rid;

	made = calloc((size_t)count, sizeof(*made));
	ips = calloc((size_t)count, sizeof(*ips));
	if (!made || !ips)
		abort();
	/* The private IPs are chosen under the lock (a launch under way holds its own in its
	 * journal), all at once. */
	if (net_private_ips_new(ctx, lp.subnet.cidr, (size_t)count, ips, err) < 0)
		goto out;
	/* The ids first, written to the launch's journal before anything is made: should this
	 * process die mid-launch, the next reconcile finishes or undoes what it lists. */
	planned = json_object_new_array();
	for (i = 0; i < count; i++) {
		json_object *e = json_object_new_object();

		if (ec2_id_new("i", made[i].id, err) < 0) {
			json_object_put(e);
			json_object_put(planned);
			memset(made, 0, (size_t)count * sizeof(*made));
			goto out;
		}
		snprintf(made[i].volume, sizeof(made[i].volume), "%s-root.qcow2", made[i].id);
		json_add_str(e, "InstanceId", made[i].id);
		json_add_str(e, "Volume", made[i].volume);
		json_object_array_add(planned, e);
		snprintf(made[i].private_ip, sizeof(made[i].private_ip), "%s", ips[i]);
		json_add_str(e, "PrivateIp", made[i].private_ip);
		json_add_int(e, "MemoryMiB", lp.type->memory_mib);
	}
	fields = json_object_new_object();
	json_add_int(fields, "MinCount", (long)min);
	json_add_str(fields, "ClientToken", lp.client_token ? lp.client_token : "");
	json_object_object_add(fields, "Instances", planned);
	i = journal_begin_with(ctx->cfg->state_dir, rid, fields, &journal, err);
	json_object_put(fields);
	if (i < 0) {
		memset(made, 0, (size_t)count * sizeof(*made));
		goto out;
	}
	/* The journal is this launch's reservation (reserve_pending): the next launch may decide. */
	store_unlock(lock);
	lock = -1;
	launchtime_step("journal", rid);
	for (i = 0; i < count; i++) {
		if (launch_one(ctx, &lp, (int)i, &made[i], err) < 0) {
			long k;

			/* Undo the whole launch: a failed RunInstances leaves nothing behind. */
			journal_mark_undo(&journal, NULL);
			for (k = i; k >= 0; k--)
				if (made[k].id[0])
					destroy_resources(ctx, made[k].id, made[k].dom, made[k].volume,
							  NULL);
			goto out;
		}
	}
	/* Public IPs and the security groups' forwards. A launch does not fail over them: the
	 * instances run, and the next change of their groups tries again. */
	if (ctx->test.launch_hold_ms > 0)
		util_sleep_ms((unsigned)ctx->test.launch_hold_ms);
	net_sync_since(ctx, util_monotonic(), NULL);
	launchtime_step("net_sync", NULL);
	for (i = 0; i < count; i++)
		watch_boot(ctx, made[i].id, made[i].started_at);
	launchtime_step("watchers", NULL);
	resp = reservation_obj(ctx, rid);
	json_object_object_get_ex(resp, "Instances", &instances);
	for (i = 0; i < count; i++) {
		struct inst in;

		if (load_live(ctx, made[i].id, &in) == 1) {
			json_object_array_add(instances, instance_json(ctx, &in, EC2_PENDING));
			inst_clear(&in);
		}
	}
	launchtime_step("describe", NULL);
out:
	journal_end(&journal);
	if (made) {
		for (i = 0; i < count; i++)
			if (made[i].dom)
				virDomainFree(made[i].dom);
		free(made);
	}
	free(ips);
	store_unlock(lock);
	json_object_put(lp.image);
	json_object_put(lp.tags);
	json_object_put(lp.groups);
	json_object_put(lp.public_keys);
	json_object_put(lp.extra);
	if (lp.pool)
		virStoragePoolFree(lp.pool);
	return resp;
}

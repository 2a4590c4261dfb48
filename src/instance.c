/* Instances: EC2's state machine over libvirt domains.
 *
 * An instance is a persistent libvirt domain named by its instance id, with its EC2 facts in the
 * domain's ec2-lite metadata. Its EC2 state is derived from libvirt's each time it is asked for:
 *   domain running                       -> running (16), or stopping (64) while a stop is pending
 *   domain shut off (or managed-saved)   -> stopped (80)
 *   no domain, record in the store       -> terminated (48), for an hour
 * RunInstances and StartInstances answer pending (0) and TerminateInstances shutting-down (32), as
 * EC2 does; those states last only as long as the call. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "ec2lite/domxml.h"
#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/image.h"
#include "ec2lite/journal.h"
#include "ec2lite/launchtime.h"
#include "ec2lite/net.h"
#include "ec2lite/portfwd.h"
#include "ec2lite/reserve.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/seed.h"
#include "ec2lite/tags.h"
#include "ec2lite/timeline.h"
#include "ec2lite/util.h"

int ec2_test_fail_launch_index = -1;
int ec2_test_launch_hold_ms;

/* The wall clock with its fraction (boot timelines). */
static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


/* One ACPI reboot asked for and not yet seen. Each watch is allocated on its own: its address is
 * the opaque pointer libvirt hands back to reboot_event, so it must not move when another watch
 * is added. In `serve` libvirt's event thread calls reboot_event without the model lock, so
 * `seen` is atomic, and the watch is reference-counted: one reference for ctx->reboots, one for
 * libvirt's registration, dropped by libvirt (reboot_watch_unref as the registration's free
 * callback) only once no dispatch of the event can still be running. */
struct ec2_reboot_watch {
	char id[EC2_ID_MAX];
	virDomainPtr dom;
	int callback;
	double deadline; /* util_monotonic() time of the hard reset */
	atomic_bool seen;
	atomic_int refs;
};

void (*ec2_test_reboot_registered)(virConnectDomainEventGenericCallback cb, void *opaque);

struct inst {
	char id[EC2_ID_MAX];
	virDomainPtr dom;        /* NULL when terminated */
	struct ec2_meta meta;
	enum ec2_state state;
	json_object *terminated; /* the store's record, for a terminated instance */
};

static void inst_clear(struct inst *in)
{
	if (in->dom)
		virDomainFree(in->dom);
	ec2_meta_clear(&in->meta);
	json_object_put(in->terminated);
	memset(in, 0, sizeof(*in));
}

static void insts_free(struct inst *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		inst_clear(&v[i]);
	free(v);
}

static enum ec2_state derive_state(struct inst *in)
{
	int st = VIR_DOMAIN_NOSTATE, reason = 0;

	if (!in->dom)
		return EC2_TERMINATED;
	if (virDomainGetState(in->dom, &st, &reason, 0) < 0)
		return EC2_STOPPED;
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return strcmp(in->meta.pending_op, "stop") == 0 ? EC2_STOPPING : EC2_RUNNING;
	case VIR_DOMAIN_SHUTDOWN:
		return strcmp(in->meta.pending_op, "image-reboot") == 0 ? EC2_RUNNING : EC2_STOPPING;
	default:
		/* CreateImage's reboot: shut down while its disk is copied, running to EC2. */
		return strcmp(in->meta.pending_op, "image-reboot") == 0 ? EC2_RUNNING : EC2_STOPPED;
	}
}

/* Loads the live instance id if it is one of this state folder's; 1 found, 0 not, -1 error. */
static int load_live(struct ec2_ctx *ctx, const char *id, struct inst *in)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->id, sizeof(in->id), "%s", id);
	in->dom = virDomainLookupByName(ctx->conn, id);
	if (!in->dom)
		return 0;
	if (ec2_meta_load(in->dom, &in->meta) < 0 || strcmp(in->meta.pool, ctx->pool_name) != 0) {
		inst_clear(in);
		return 0;
	}
	in->state = derive_state(in);
	return 1;
}

static int destroy_resources(struct ec2_ctx *ctx, const char *id, virDomainPtr dom,
			     const char *volume, struct ec2_error *err);

/* Every instance of this state folder, live and recently terminated. */
static int list_all(struct ec2_ctx *ctx, struct inst **out, size_t *count, struct ec2_error *err)
{
	struct ec2_dom *doms = NULL;
	size_t n = 0, i, k = 0;
	json_object *root, *term;
	struct inst *v;

	if (ec2_doms_list(ctx, 0, &doms, &n, err) < 0)
		return -1;
	root = store_read(ctx->store, err);
	if (!root) {
		ec2_doms_free(doms, n);
		return -1;
	}
	term = store_section(root, "terminated");
	v = calloc(n + (size_t)json_object_object_length(term) + 1, sizeof(*v));
	if (!v)
		abort();
	for (i = 0; i < n; i++) {
		struct inst *in;

		if (json_object_object_get_ex(term, virDomainGetName(doms[i].dom), NULL)) {
			/* Terminated, but the process that did it died before the domain was gone:
			 * finish the teardown; the record describes it. */
			destroy_resources(ctx, virDomainGetName(doms[i].dom), doms[i].dom,
					  doms[i].meta.root_volume, NULL);
			ctx->net_stale = true;
			virDomainFree(doms[i].dom);
			ec2_meta_clear(&doms[i].meta);
			continue;
		}
		in = &v[k++];
		snprintf(in->id, sizeof(in->id), "%s", virDomainGetName(doms[i].dom));
		in->dom = doms[i].dom;
		in->meta = doms[i].meta; /* taken over: the array's copies are not freed */
		in->state = derive_state(in);
	}
	free(doms);
	json_object_object_foreach(term, id, entry) {
		struct inst *in = &v[k++];

		snprintf(in->id, sizeof(in->id), "%s", id);
		in->state = EC2_TERMINATED;
		in->terminated = json_object_get(entry);
	}
	json_object_put(root);
	*out = v;
	*count = k;
	return 0;
}

/* Resolves InstanceIds: all must be well formed and exist (live or terminated), else nothing is
 * done (EC2's all-or-nothing rule). */
static int resolve(struct ec2_ctx *ctx, json_object *ids, bool required, struct inst **out,
		   size_t *count, struct ec2_error *err)
{
	struct inst *all = NULL, *v;
	size_t nall = 0, n = ids ? json_object_array_length(ids) : 0, i, j, k = 0;
	char missing[800] = "";
	int nmissing = 0;

	if (required && n == 0) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter InstanceId");
		return -1;
	}
	if (ec2_ids_check(ids, "i", EC2_ERR_INSTANCE_MALFORMED, err) < 0)
		return -1;
	if (list_all(ctx, &all, &nall, err) < 0)
		return -1;
	if (n == 0) {
		*out = all;
		*count = nall;
		return 0;
	}
	v = calloc(n, sizeof(*v));
	if (!v)
		abort();
	for (i = 0; i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		bool dup = false;

		for (j = 0; j < k; j++)
			dup = dup || strcmp(v[j].id, id) == 0;
		if (dup)
			continue;
		for (j = 0; j < nall; j++)
			if (all[j].id[0] && strcmp(all[j].id, id) == 0)
				break;
		if (j == nall) {
			size_t len = strlen(missing);

			snprintf(missing + len, sizeof(missing) - len, "%s%s", nmissing ? ", " : "", id);
			nmissing++;
			continue;
		}
		v[k++] = all[j];
		memset(&all[j], 0, sizeof(all[j]));
	}
	insts_free(all, nall);
	if (nmissing) {
		insts_free(v, k);
		if (nmissing == 1)
			ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND,
				      "The instance ID '%s' does not exist", missing);
		else
			ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND,
				      "The instance IDs '%s' do not exist", missing);
		return -1;
	}
	*out = v;
	*count = k;
	return 0;
}

static json_object *state_obj(enum ec2_state s)
{
	json_object *o = json_object_new_object();

	json_add_int(o, "Code", s);
	json_add_str(o, "Name", ec2_state_name(s));
	return o;
}

static const char *reason_message(const char *code)
{
	static const struct {
		const char *code, *message;
	} table[] = {
		{ "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown" },
		{ "Client.UserInitiatedHibernate", "Client.UserInitiatedHibernate: User initiated hibernate" },
		{ "Client.InstanceInitiatedShutdown",
		  "Client.InstanceInitiatedShutdown: Instance initiated shutdown" },
		{ "Server.ScheduledStop", "Server.ScheduledStop: Stopped due to scheduled retirement" },
		{ "Server.InternalError", "Server.InternalError: Internal error" },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].code, code) == 0)
			return table[i].message;
	return code;
}

static void user_reason(struct ec2_meta *m, const char *code)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S GMT", &tm);
	snprintf(m->transition_reason, sizeof(m->transition_reason), "User initiated (%s)", now);
	snprintf(m->state_reason, sizeof(m->state_reason), "%s", code);
}

/* EC2's private DNS names: ip-172-31-5-9.ec2.internal in us-east-1, REGION.compute.internal
 * elsewhere. */
static void private_dns_name(struct ec2_ctx *ctx, const char *ip, char *out, size_t size)
{
	char host[32];

	net_hostname(ip, host, sizeof(host));
	if (strcmp(ctx->cfg->region, "us-east-1") == 0)
		snprintf(out, size, "%s.ec2.internal", host);
	else
		snprintf(out, size, "%s.%s.compute.internal", host, ctx->cfg->region);
}

static json_object *groups_json(const struct ec2_meta *m)
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

/* The instance's one network interface, as EC2 describes an instance's primary ENI. */
static json_object *network_interfaces(struct ec2_ctx *ctx, const struct ec2_meta *m,
				       const char *dns, const char *public_ip)
{
	json_object *list = json_object_new_array(), *e = json_object_new_object(), *x, *a, *assoc = NULL;
	char mac[18], attach[EC2_ID_MAX + 8];

	net_mac(m->private_ip, mac);
	if (public_ip) {
		assoc = json_object_new_object();
		json_add_str(assoc, "IpOwnerId", "amazon");
		json_add_str(assoc, "PublicDnsName", "");
		json_add_str(assoc, "PublicIp", public_ip);
		json_object_object_add(e, "Association", json_object_get(assoc));
	}
	x = json_object_new_object();
	json_add_str(x, "AttachTime", m->launch_time);
	snprintf(attach, sizeof(attach), "eni-attach-%s", m->eni_id + 4);
	json_add_str(x, "AttachmentId", attach);
	json_add_bool(x, "DeleteOnTermination", true);
	json_add_int(x, "DeviceIndex", 0);
	json_add_str(x, "Status", "attached");
	json_add_int(x, "NetworkCardIndex", 0);
	json_object_object_add(e, "Attachment", x);
	json_add_str(e, "Description", "");
	json_object_object_add(e, "Groups", groups_json(m));
	json_object_object_add(e, "Ipv6Addresses", json_object_new_array());
	json_add_str(e, "MacAddress", mac);
	json_add_str(e, "NetworkInterfaceId", m->eni_id);
	json_add_str(e, "OwnerId", ctx->cfg->owner_id);
	json_add_str(e, "PrivateDnsName", dns);
	json_add_str(e, "PrivateIpAddress", m->private_ip);
	a = json_object_new_array();
	x = json_object_new_object();
	if (assoc)
		json_object_object_add(x, "Association", assoc);
	json_add_bool(x, "Primary", true);
	json_add_str(x, "PrivateDnsName", dns);
	json_add_str(x, "PrivateIpAddress", m->private_ip);
	json_object_array_add(a, x);
	json_object_object_add(e, "PrivateIpAddresses", a);
	json_add_bool(e, "SourceDestCheck", true);
	json_add_str(e, "Status", "in-use");
	json_add_str(e, "SubnetId", m->subnet_id);
	json_add_str(e, "VpcId", m->vpc_id);
	json_add_str(e, "InterfaceType", "interface");
	json_object_array_add(list, e);
	return list;
}

/* EC2's Instance object, in the member order the aws CLI prints. */
static json_object *instance_json(struct ec2_ctx *ctx, const struct inst *in, enum ec2_state state)
{
	const struct ec2_meta *m = &in->meta;
	const struct instance_type *t = type_lookup(ctx->types, m->instance_type, NULL);
	json_object *o = json_object_new_object(), *x, *a, *e;
	const char *public_ip;
	char dns[96];
	bool net;
	size_t i;

	if (in->terminated && json_object_object_get_ex(in->terminated, "Instance", &x)) {
		json_object_put(o);
		o = NULL; /* json_object_deep_copy wants an empty destination */
		json_object_deep_copy(x, &o, NULL);
		return o;
	}
	json_add_int(o, "AmiLaunchIndex", m->launch_index);
	json_add_str(o, "ImageId", m->image_id);
	json_add_str(o, "InstanceId", in->id);
	json_add_str(o, "InstanceType", m->instance_type);
	if (m->key_name[0])
		json_add_str(o, "KeyName", m->key_name);
	json_add_str(o, "LaunchTime", m->launch_time);
	x = json_object_new_object();
	json_add_str(x, "State", "disabled");
	json_object_object_add(o, "Monitoring", x);
	x = json_object_new_object();
	json_add_str(x, "AvailabilityZone", ctx->cfg->availability_zone);
	json_add_str(x, "GroupName", "");
	json_add_str(x, "Tenancy", "default");
	json_object_object_add(o, "Placement", x);
	net = m->private_ip[0] && state != EC2_TERMINATED && state != EC2_SHUTTING_DOWN;
	public_ip = net && m->public_ip[0] && (state == EC2_RUNNING || state == EC2_PENDING ||
					       state == EC2_STOPPING) ? m->public_ip : NULL;
	if (net)
		private_dns_name(ctx, m->private_ip, dns, sizeof(dns));
	json_add_str(o, "PrivateDnsName", net ? dns : "");
	if (net)
		json_add_str(o, "PrivateIpAddress", m->private_ip);
	json_object_object_add(o, "ProductCodes", json_object_new_array());
	json_add_str(o, "PublicDnsName", "");
	if (public_ip)
		json_add_str(o, "PublicIpAddress", public_ip);
	json_object_object_add(o, "State", state_obj(state));
	json_add_str(o, "StateTransitionReason", state == EC2_RUNNING || state == EC2_PENDING ?
		     "" : m->transition_reason);
	if (net) {
		json_add_str(o, "SubnetId", m->subnet_id);
		json_add_str(o, "VpcId", m->vpc_id);
	}
	json_add_str(o, "Architecture", "x86_64");
	a = json_object_new_array();
	if (state != EC2_TERMINATED) {
		e = json_object_new_object();
		json_add_str(e, "DeviceName", "/dev/xvda");
		x = json_object_new_object();
		json_add_str(x, "AttachTime", m->launch_time);
		json_add_bool(x, "DeleteOnTermination", true);
		json_add_str(x, "Status", "attached");
		json_add_str(x, "VolumeId", m->root_volume_id);
		json_object_object_add(e, "Ebs", x);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "BlockDeviceMappings", a);
	json_add_str(o, "ClientToken", m->client_token);
	json_add_bool(o, "EbsOptimized", false);
	json_add_bool(o, "EnaSupport", true);
	json_add_str(o, "Hypervisor", "xen");
	json_object_object_add(o, "NetworkInterfaces", net ? network_interfaces(ctx, m, dns, public_ip)
							   : json_object_new_array());
	json_add_str(o, "RootDeviceName", "/dev/xvda");
	json_add_str(o, "RootDeviceType", "ebs");
	json_object_object_add(o, "SecurityGroups", groups_json(m));
	json_add_bool(o, "SourceDestCheck", true);
	if (state == EC2_STOPPED || state == EC2_STOPPING || state == EC2_TERMINATED ||
	    state == EC2_SHUTTING_DOWN) {
		const char *code = m->state_reason[0] ? m->state_reason : "Client.UserInitiatedShutdown";

		x = json_object_new_object();
		json_add_str(x, "Code", code);
		json_add_str(x, "Message", reason_message(code));
		json_object_object_add(o, "StateReason", x);
	}
	/* The user's tags, then ec2-lite's own read-only ones (like EC2's aws: tags): which
	 * accelerator runs the instance. */
	a = json_object_new_array();
	for (i = 0; m->tags && i < json_object_array_length(m->tags); i++)
		json_object_array_add(a, json_object_get(json_object_array_get_idx(m->tags, i)));
	e = json_object_new_object();
	json_add_str(e, "Key", "ec2-lite:accelerator");
	json_add_str(e, "Value", m->accelerator);
	json_object_array_add(a, e);
	e = json_object_new_object();
	json_add_str(e, "Key", "ec2-lite:kernel-entry");
	json_add_str(e, "Value", m->kernel_entry[0] ? m->kernel_entry : "bios");
	json_object_array_add(a, e);
	json_object_object_add(o, "Tags", a);
	json_add_str(o, "VirtualizationType", "hvm");
	x = json_object_new_object();
	json_add_int(x, "CoreCount", t ? t->vcpus / t->threads_per_core : 1);
	json_add_int(x, "ThreadsPerCore", t ? t->threads_per_core : 1);
	json_object_object_add(o, "CpuOptions", x);
	x = json_object_new_object();
	json_add_str(x, "CapacityReservationPreference", "open");
	json_object_object_add(o, "CapacityReservationSpecification", x);
	x = json_object_new_object();
	json_add_bool(x, "Configured", m->hibernation);
	json_object_object_add(o, "HibernationOptions", x);
	x = json_object_new_object();
	json_add_str(x, "State", "applied");
	json_add_str(x, "HttpTokens", "optional");
	json_add_int(x, "HttpPutResponseHopLimit", 1);
	json_add_str(x, "HttpEndpoint", "disabled");
	json_add_str(x, "HttpProtocolIpv6", "disabled");
	json_add_str(x, "InstanceMetadataTags", "disabled");
	json_object_object_add(o, "MetadataOptions", x);
	x = json_object_new_object();
	json_add_bool(x, "Enabled", false);
	json_object_object_add(o, "EnclaveOptions", x);
	json_add_str(o, "PlatformDetails", "Linux/UNIX");
	json_add_str(o, "UsageOperation", "RunInstances");
	json_add_str(o, "UsageOperationUpdateTime", m->launch_time);
	x = json_object_new_object();
	json_add_str(x, "AutoRecovery", "default");
	json_object_object_add(o, "MaintenanceOptions", x);
	json_add_str(o, "CurrentInstanceBootMode", "legacy-bios");
	return o;
}

static json_object *change_obj(const char *id, enum ec2_state cur, enum ec2_state prev)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "CurrentState", state_obj(cur));
	json_add_str(o, "InstanceId", id);
	json_object_object_add(o, "PreviousState", state_obj(prev));
	return o;
}

static char *instance_dir(struct ec2_ctx *ctx, const char *id)
{
	return util_strdupf("%s/%s", ctx->instances_dir, id);
}

/* The console log's size now: where the next boot's output will start. */
static long long console_size(struct ec2_ctx *ctx, const char *id)
{
	char *path = util_strdupf("%s/%s/console.log", ctx->instances_dir, id);
	struct stat st;
	long long size = stat(path, &st) == 0 ? (long long)st.st_size : 0;

	free(path);
	return size;
}

/* After a failed libvirt call of a teardown: whether what it was to remove is gone already (another
 * process, or a describe's pass, finished the same teardown meanwhile), which is no failure. */
static bool already_gone(void)
{
	int code = virGetLastErrorCode();

	return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OPERATION_INVALID ||
	       code == VIR_ERR_NO_STORAGE_VOL;
}

/* Removes everything a live instance has: domain (and managed-save image), root overlay,
 * per-instance folder. Carries on past failures so that as much as possible is gone. The domain's
 * definition goes last: until then the instance is still found, so that a process killed midway
 * leaves something for the next one to finish (see list_all). */
static int destroy_resources(struct ec2_ctx *ctx, const char *id, virDomainPtr dom,
			     const char *volume, struct ec2_error *err)
{
	virStoragePoolPtr pool;
	char *dir = instance_dir(ctx, id);
	int rc = 0;

	if (dom && virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0 && !already_gone()) {
		ec2_error_set_libvirt(err, "cannot stop the domain of '%s'", id);
		rc = -1;
	}
	if (volume && volume[0] && (pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name))) {
		virStorageVolPtr vol = virStorageVolLookupByName(pool, volume);

		if (vol) {
			if (virStorageVolDelete(vol, 0) < 0 && !already_gone()) {
				ec2_error_set_libvirt(err, "cannot remove the volume '%s'", volume);
				rc = -1;
			}
			virStorageVolFree(vol);
		}
		virStoragePoolFree(pool);
	}
	if (util_rm_rf(dir, err) < 0)
		rc = -1;
	free(dir);
	if (dom && virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
					  VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0 && !already_gone()) {
		ec2_error_set_libvirt(err, "cannot remove the domain of '%s'", id);
		rc = -1;
	}
	return rc;
}

struct term_record {
	const char *id;
	json_object *entry;
};

static int add_terminated(json_object *root, void *opaque, struct ec2_error *err)
{
	struct term_record *r = opaque;

	(void)err;
	json_object_object_add(store_section(root, "terminated"), r->id, json_object_get(r->entry));
	return 0;
}

/* Terminates one live instance: its description is kept in the store for an hour. The record is
 * written first: once it is there the termination is decided, and a process killed while tearing
 * the instance down leaves a domain with a terminated record, which the next list_all finishes. */
static int terminate_one(struct ec2_ctx *ctx, struct inst *in, const char *reason,
			 struct ec2_error *err)
{
	struct term_record r = { .id = in->id };
	json_object *desc;
	int rc;

	user_reason(&in->meta, reason);
	desc = instance_json(ctx, in, EC2_TERMINATED);
	r.entry = json_object_new_object();
	json_object_object_add(r.entry, "Instance", desc);
	json_add_str(r.entry, "ReservationId", in->meta.reservation_id);
	json_add_str(r.entry, "OwnerId", ctx->cfg->owner_id);
	json_add_int(r.entry, "TerminatedAt", (int64_t)store_now());
	rc = store_update(ctx->store, add_terminated, &r, err);
	json_object_put(r.entry);
	if (rc < 0)
		return -1; /* nothing was done */
	rc = destroy_resources(ctx, in->id, in->dom, in->meta.root_volume, err);
	ctx->net_stale = true; /* the forwarder lets go of its ports */
	virDomainFree(in->dom);
	in->dom = NULL;
	in->state = EC2_TERMINATED;
	return rc;
}

/* After instances stopped or went: their public IPs and forwards go too. */
static void net_settle(struct ec2_ctx *ctx)
{
	if (ctx->net_stale) {
		ctx->net_stale = false;
		net_sync(ctx, NULL);
	}
}

/* An instance whose image is being made (pending_op "image..."): when that work is over or its
 * worker is gone (ec2_image_job_alive), the instance is given back in the state it had. */
static void settle_image_op(struct ec2_ctx *ctx, struct inst *in)
{
	if (ec2_image_job_alive(ctx, in->meta.pending_image))
		return;
	if (strcmp(in->meta.pending_op, "image-reboot") == 0 && virDomainIsActive(in->dom) != 1)
		virDomainCreate(in->dom);
	/* A live copy's worker that died leaves its block job mirroring into a file that is gone. */
	if (strcmp(in->meta.pending_op, "image-live") == 0 && virDomainIsActive(in->dom) == 1)
		virDomainBlockJobAbort(in->dom, "vda", 0);
	in->meta.pending_op[0] = '\0';
	in->meta.pending_image[0] = '\0';
	in->meta.pending_since = 0;
	ec2_meta_save(in->dom, &in->meta, NULL);
	in->state = derive_state(in);
	ctx->net_stale = true;
}

/* True when libvirt says the domain's VM process ended without the guest shutting down (killed
 * or crashed), rather than by a guest power-off. */
static bool qemu_died(virDomainPtr dom)
{
	int st = 0, reason = 0;

	return virDomainGetState(dom, &st, &reason, 0) == 0 && st == VIR_DOMAIN_SHUTOFF &&
	       (reason == VIR_DOMAIN_SHUTOFF_CRASHED || reason == VIR_DOMAIN_SHUTOFF_FAILED);
}

/* One reconcile step for a live instance (see ec2_reconcile). */
static void settle(struct ec2_ctx *ctx, struct inst *in)
{
	time_t now = time(NULL);

	if (!in->dom)
		return;
	if (strncmp(in->meta.pending_op, "image", 5) == 0) {
		settle_image_op(ctx, in);
		return;
	}
	if (in->state == EC2_STOPPING && strcmp(in->meta.pending_op, "stop") == 0 &&
	    now - in->meta.pending_since >= ctx->cfg->stop_timeout) {
		/* The guest ignored the ACPI shutdown: power it off, as EC2 does. */
		virDomainDestroy(in->dom);
		in->state = derive_state(in);
	}
	if (in->state == EC2_RUNNING && in->meta.private_ip[0] && !in->meta.public_ip[0])
		ctx->net_stale = true; /* a launch or start cut short before its network was made */
	if (in->state != EC2_STOPPED)
		return;
	if (in->meta.public_ip[0])
		ctx->net_stale = true; /* its public IP and forwards go (net_sync) */
	if (in->meta.pending_op[0]) {
		in->meta.pending_op[0] = '\0';
		in->meta.pending_since = 0;
		ec2_meta_save(in->dom, &in->meta, NULL);
	} else if (!in->meta.transition_reason[0] &&
		   journal_busy(ctx->cfg->state_dir, "InstanceId", in->id)) {
		/* A launch or start of it is under way (its journal lists it): a domain defined but
		 * not started yet, or a stopped one about to start, is not a guest that shut itself
		 * down. The next pass decides. */
		return;
	} else if (!in->meta.transition_reason[0] && qemu_died(in->dom)) {
		/* The VM process died (killed on the host, crashed): EC2's side failed, not the
		 * guest's. */
		user_reason(&in->meta, "Server.InternalError");
		snprintf(in->meta.transition_reason, sizeof(in->meta.transition_reason),
			 "Server.InternalError: Internal error");
		ec2_meta_save(in->dom, &in->meta, NULL);
	} else if (!in->meta.transition_reason[0]) {
		/* Nobody asked for this stop: the guest powered itself off. */
		if (strcmp(in->meta.shutdown_behavior, "terminate") == 0) {
			terminate_one(ctx, in, "Client.InstanceInitiatedShutdown", NULL);
			return;
		}
		user_reason(&in->meta, "Client.InstanceInitiatedShutdown");
		snprintf(in->meta.transition_reason, sizeof(in->meta.transition_reason),
			 "Client.InstanceInitiatedShutdown: Instance initiated shutdown");
		ec2_meta_save(in->dom, &in->meta, NULL);
	}
}

static void reboot_event(virConnectPtr conn, virDomainPtr dom, void *opaque)
{
	struct ec2_reboot_watch *w = opaque;

	(void)conn;
	(void)dom;
	atomic_store(&w->seen, true);
}

static void reboot_watch_unref(void *opaque)
{
	struct ec2_reboot_watch *w = opaque;

	if (atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	if (w->dom)
		virDomainFree(w->dom);
	free(w);
}

bool ec2_has_watches(const struct ec2_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nreboots; i++)
		if (!atomic_load(&ctx->reboots[i]->seen))
			return true;
	return false;
}

void ec2_reboot_watches_clear(struct ec2_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nreboots; i++) {
		/* libvirt drops its reference through reboot_watch_unref, at once or, when the
		 * event is being dispatched in another thread, after that dispatch. */
		if (ctx->reboots[i]->callback >= 0)
			virConnectDomainEventDeregisterAny(ctx->conn, ctx->reboots[i]->callback);
		reboot_watch_unref(ctx->reboots[i]);
	}
	free(ctx->reboots);
	ctx->reboots = NULL;
	ctx->nreboots = 0;
}

/* A launch whose process died (see journal.h): when at least its MinCount instances were defined,
 * each defined domain is started (its definition is whole: metadata, disk, seed) and an instance
 * that has no domain yet loses its volume and folder; with fewer, or when the launcher was
 * undoing, everything goes, as a failed RunInstances leaves nothing. */
static void recover_launch(void *opaque, json_object *journal)
{
	struct ec2_ctx *ctx = opaque;
	json_object *list = json_path(journal, "Instances");
	json_object *undo = json_path(journal, "Undo");
	size_t i, n = list ? json_object_array_length(list) : 0;
	long long min = 1, defined = 0;
	bool finish, start = json_object_get_boolean(json_path(journal, "Start"));

	req_int(journal, "MinCount", &min, NULL);
	for (i = 0; i < n; i++) {
		struct inst in;
		const char *id = req_str0(json_object_array_get_idx(list, i), "InstanceId");

		if (!ec2_id_valid("i", id))
			continue;
		defined += load_live(ctx, id, &in) == 1;
		inst_clear(&in);
	}
	finish = !json_object_get_boolean(undo) && defined >= min;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *id = req_str0(e, "InstanceId"), *volume = req_str0(e, "Volume");
		char want[64];
		struct inst in;

		/* A damaged journal names nothing of anybody else's. */
		snprintf(want, sizeof(want), "%s-root.qcow2", id);
		if (!ec2_id_valid("i", id) || (volume[0] && strcmp(volume, want) != 0))
			continue;
		if (load_live(ctx, id, &in) == 1 && (finish || start)) {
			if (virDomainIsActive(in.dom) != 1)
				virDomainCreate(in.dom);
			ctx->net_stale = true;
		} else if (!start) { /* a StartInstances made nothing to undo */
			destroy_resources(ctx, id, in.dom, volume, NULL);
		}
		inst_clear(&in);
	}
}

int ec2_reconcile(struct ec2_ctx *ctx, json_object *req, bool wait, struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds");
	bool pending;

	journal_recover(ctx->cfg->state_dir, recover_launch, ctx);

	for (;;) {
		struct inst *v = NULL;
		size_t n = 0, i;

		pending = false;
		if (list_all(ctx, &v, &n, err) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			if (!v[i].dom || !json_strlist_wants(ids, v[i].id))
				continue;
			settle(ctx, &v[i]);
			if (v[i].state == EC2_STOPPING)
				pending = true;
		}
		insts_free(v, n);
		for (i = 0; i < ctx->nreboots; i++) {
			struct ec2_reboot_watch *w = ctx->reboots[i];

			if (atomic_load(&w->seen))
				continue;
			if (util_monotonic() >= w->deadline) {
				/* The guest ignored the ACPI reboot: reset it, as EC2 does. */
				virDomainReset(w->dom, 0);
				atomic_store(&w->seen, true);
			} else {
				pending = true;
			}
		}
		if (!wait || !pending)
			break;
		/* With events, waiting runs the loop (the tick ends each turn within 500 ms): reboot
		 * events arrive and keepalives are answered. */
		if (!ctx->events || virEventRunDefaultImpl() < 0)
			util_sleep_ms(500);
	}
	if (!ec2_has_watches(ctx))
		ec2_reboot_watches_clear(ctx);
	net_settle(ctx);
	portfwd_heal(ctx->cfg->state_dir);
	return pending ? 1 : 0;
}

static const struct filter_field instance_filters[] = {
	{ "instance-id", "InstanceId" },
	{ "instance-type", "InstanceType" },
	{ "image-id", "ImageId" },
	{ "instance-state-name", "State.Name" },
	{ "instance-state-code", "State.Code" },
	{ "launch-index", "AmiLaunchIndex" },
	{ "launch-time", "LaunchTime" },
	{ "architecture", "Architecture" },
	{ "availability-zone", "Placement.AvailabilityZone" },
	{ "hibernation-options.configured", "HibernationOptions.Configured" },
	{ "client-token", "ClientToken" },
	{ "root-device-type", "RootDeviceType" },
	{ "root-device-name", "RootDeviceName" },
	{ "virtualization-type", "VirtualizationType" },
	{ "hypervisor", "Hypervisor" },
	{ "state-reason-code", "StateReason.Code" },
	{ "block-device-mapping.volume-id", "BlockDeviceMappings.Ebs.VolumeId" },
	{ "key-name", "KeyName" },
	{ "instance.group-id", "SecurityGroups.GroupId" },
	{ "instance.group-name", "SecurityGroups.GroupName" },
	{ NULL, NULL },
};

static const char *inst_reservation(const struct inst *in)
{
	return in->terminated ? req_string(in->terminated, "ReservationId") : in->meta.reservation_id;
}

static int by_launch(const void *a, const void *b)
{
	const struct inst *x = a, *y = b;
	int c = strcmp(inst_reservation(x) ? inst_reservation(x) : "",
		       inst_reservation(y) ? inst_reservation(y) : "");

	return c ? c : x->meta.launch_index - y->meta.launch_index;
}

static json_object *reservation_obj(struct ec2_ctx *ctx, const char *rid)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "Groups", json_object_new_array());
	json_object_object_add(r, "Instances", json_object_new_array());
	json_add_str(r, "OwnerId", ctx->cfg->owner_id);
	json_add_str(r, "ReservationId", rid);
	return r;
}

json_object *ec2_describe_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds");
	json_object *filters = req_list(req, "Filters");
	json_object *list, *resp, *cur = NULL, *matched;
	struct inst *v = NULL;
	size_t n = 0, i, first, count;
	const char *cur_rid = NULL;
	char *next = NULL;

	if (filter_validate(filters, instance_filters, err) < 0 ||
	    ec2_ids_check(ids, "i", EC2_ERR_INSTANCE_MALFORMED, err) < 0)
		return NULL;
	if (ids && json_object_object_get_ex(req, "MaxResults", NULL)) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "The parameter instancesSet cannot be "
			      "used with the parameter maxResults");
		return NULL;
	}
	if (ec2_reconcile(ctx, NULL, false, err) < 0)
		return NULL;
	if (resolve(ctx, ids, false, &v, &n, err) < 0)
		return NULL;
	qsort(v, n, sizeof(*v), by_launch);
	/* Filters first, then the page (MaxResults counts instances), then reservations. */
	matched = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *o = instance_json(ctx, &v[i], v[i].state), *pair;

		if (!filter_match(o, filters, instance_filters)) {
			json_object_put(o);
			continue;
		}
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string(inst_reservation(&v[i]) ?
								  inst_reservation(&v[i]) : ""));
		json_object_array_add(pair, o);
		json_object_array_add(matched, pair);
	}
	insts_free(v, n);
	if (req_page(req, 5, 1000, json_object_array_length(matched), &first, &count, &next,
		     err) < 0) {
		json_object_put(matched);
		return NULL;
	}
	list = json_object_new_array();
	for (i = first; i < first + count; i++) {
		json_object *pair = json_object_array_get_idx(matched, i), *instances;
		const char *rid = json_object_get_string(json_object_array_get_idx(pair, 0));

		if (!cur || strcmp(cur_rid, rid) != 0) {
			cur = reservation_obj(ctx, rid);
			json_object_array_add(list, cur);
			cur_rid = req_string(cur, "ReservationId");
		}
		json_object_object_get_ex(cur, "Instances", &instances);
		json_object_array_add(instances, json_object_get(json_object_array_get_idx(pair, 1)));
	}
	json_object_put(matched);
	resp = json_object_new_object();
	json_object_object_add(resp, "Reservations", list);
	if (next)
		json_add_str(resp, "NextToken", next);
	free(next);
	return resp;
}

/* The host's memory in KiB. virNodeGetInfo reports one NUMA cell's view on some hosts (5.6 of
 * 24 GiB was seen), so the memory statistics' total comes first. */
static unsigned long long host_memory_kib(virConnectPtr conn)
{
	virNodeMemoryStatsPtr stats = NULL;
	virNodeInfo node;
	int n = 0, i;
	unsigned long long total = 0;

	if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) == 0 && n > 0) {
		stats = calloc((size_t)n, sizeof(*stats));
		if (!stats)
			abort();
		if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) == 0)
			for (i = 0; i < n; i++)
				if (strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_TOTAL) == 0)
					total = stats[i].value;
		free(stats);
	}
	if (total == 0 && virNodeGetInfo(conn, &node) == 0)
		total = node.memory;
	return total;
}

/* Memory that running guests on this host already hold, and what the host can give. */
static int capacity(struct ec2_ctx *ctx, long *free_mib, long *used_mib, long *host_mib,
		    struct ec2_error *err)
{
	unsigned long long host = host_memory_kib(ctx->conn);
	virDomainPtr *doms = NULL;
	int n, i;
	long used = 0;

	if (host == 0) {
		ec2_error_set_libvirt(err, "cannot read the host's memory size");
		return -1;
	}
	reserve_pending(ctx, NULL, &used); /* launches under way, before the listing */
	n = virConnectListAllDomains(ctx->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	for (i = 0; i < n; i++) {
		used += (long)(virDomainGetMaxMemory(doms[i]) / 1024);
		virDomainFree(doms[i]);
	}
	free(doms);
	*host_mib = (long)(host / 1024);
	*used_mib = used;
	*free_mib = (long)((double)*host_mib * ctx->cfg->memory_overcommit) - used;
	return 0;
}

static int fits(struct ec2_ctx *ctx, const struct instance_type *t, long min, long *max,
		struct ec2_error *err)
{
	long free_mib, used, host, room;

	if (capacity(ctx, &free_mib, &used, &host, err) < 0)
		return -1;
	room = free_mib > 0 ? free_mib / t->memory_mib : 0;
	if (room < min) {
		ec2_error_set(err, EC2_ERR_INSUFFICIENT_CAPACITY,
			      "We currently do not have sufficient %s capacity in the Availability "
			      "Zone you requested (%s). This host gives guests %ld MiB (%ld MiB "
			      "x %.2f overcommit), %ld MiB are in use, and %ld instance(s) of %ld "
			      "MiB were asked for.", t->name, ctx->cfg->availability_zone,
			      (long)((double)host * ctx->cfg->memory_overcommit), host,
			      ctx->cfg->memory_overcommit, used, min, t->memory_mib);
		return -1;
	}
	if (*max > room)
		*max = room;
	return 0;
}

struct launch_params {
	const char *image_id;
	json_object *image;
	const struct instance_type *type;
	const char *reservation_id;
	const char *client_token;
	bool hibernation;
	const char *shutdown_behavior;
	json_object *tags;
	const char *user_data;
	size_t user_data_len;
	unsigned long long root_bytes; /* the root volume's size; 0: the AMI's */
	json_object *groups;           /* [{"GroupId","GroupName"}] */
	const char *key_name;
	json_object *public_keys;      /* OpenSSH public key lines for the seed, or NULL */
	char vpc_id[EC2_ID_MAX];
	char subnet_id[EC2_ID_MAX];
	virStoragePoolPtr pool;
};

struct created {
	char id[EC2_ID_MAX];
	char volume[64];
	char private_ip[16];
	virDomainPtr dom;
	double started_at; /* wall clock, when its QEMU runs */
};

/* Whether made[i]'s private IP is one of made[0..i-1]'s. */
static bool ip_planned(const struct created *made, long i)
{
	long k;

	for (k = 0; k < i; k++)
		if (strcmp(made[k].private_ip, made[i].private_ip) == 0)
			return true;
	return false;
}

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
	char *seed = NULL, *meta = NULL, *udpath = NULL, *netdev = NULL, *nic = NULL;
	char hostname[32];
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
	net_qemu_args(m.private_ip, &netdev, &nic);
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
	/* The user-data is kept beside the seed for DescribeInstanceAttribute. */
	if (seed_write(seed, lp->user_data, lp->user_data_len, meta, err) < 0 ||
	    util_write_file_atomic(udpath, lp->user_data ? lp->user_data : "", lp->user_data_len,
				   0600, err) < 0)
		goto out;
	launchtime_step("seed", c->id);

	snprintf(m.image_id, sizeof(m.image_id), "%s", lp->image_id);
	snprintf(m.instance_type, sizeof(m.instance_type), "%s", lp->type->name);
	snprintf(m.reservation_id, sizeof(m.reservation_id), "%s", lp->reservation_id);
	util_iso8601(time(NULL), m.launch_time, sizeof(m.launch_time));
	m.launch_index = index;
	m.hibernation = lp->hibernation;
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
	snprintf(m.vpc_id, sizeof(m.vpc_id), "%s", lp->vpc_id);
	snprintf(m.subnet_id, sizeof(m.subnet_id), "%s", lp->subnet_id);

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
	spec.seed = seed;
	spec.netdev = netdev;
	spec.nic = nic;
	spec.meta = &m;
	xml = domxml_build(&spec, err);
	if (!xml)
		goto out;
	c->dom = virDomainDefineXML(ctx->conn, xml);
	if (!c->dom) {
		ec2_error_set_libvirt(err, "cannot define the domain of '%s'", c->id);
		goto out;
	}
	launchtime_step("define", c->id);
	if (index == ec2_test_fail_launch_index) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "injected launch failure");
		goto out;
	}
	if (virDomainCreate(c->dom) < 0) {
		ec2_error_start_failure(err, c->id, NULL);
		goto out;
	}
	c->started_at = wall_now();
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
	free(netdev);
	free(nic);
	return rc;
}

/* Starts the boot timeline's watcher of instance id, started at started_at: it follows the
 * console from this boot's offset and probes the TCP ports its groups open on its public IP. */
static void watch_boot(struct ec2_ctx *ctx, const char *id, double started_at)
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
			    struct ec2_error *err)
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

		if (!dev || strcmp(dev, "/dev/xvda") != 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Only the root device /dev/xvda can be mapped here, not '%s'",
				      dev ? dev : "");
			return -1;
		}
		json_object_object_get_ex(m, "Ebs", &ebs);
		if (req_int(ebs, "VolumeSize", &gib, err) < 0)
			return -1;
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
		static const char *const also[] = { "volume", NULL };

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
	if (root_volume_size(req, lp.image, &lp.root_bytes, err) < 0)
		goto out;
	lp.groups = secgroup_resolve(ctx, req_list(req, "SecurityGroupIds"), lp.vpc_id, lp.subnet_id,
				     err);
	if (!lp.groups)
		goto out;
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
	if (fits(ctx, lp.type, (long)min, &count, err) < 0)
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
	if (!made)
		abort();
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
		/* Chosen under the lock, and unlike this launch's others (not in its journal yet). */
		do {
			if (net_private_ip_new(ctx, made[i].private_ip, err) < 0) {
				json_object_put(planned);
				memset(made, 0, (size_t)count * sizeof(*made));
				goto out;
			}
		} while (ip_planned(made, i));
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
	if (ec2_test_launch_hold_ms > 0)
		util_sleep_ms((unsigned)ec2_test_launch_hold_ms);
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
	store_unlock(lock);
	json_object_put(lp.image);
	json_object_put(lp.tags);
	json_object_put(lp.groups);
	json_object_put(lp.public_keys);
	if (lp.pool)
		virStoragePoolFree(lp.pool);
	return resp;
}

static json_object *changes_response(const char *key, json_object *list)
{
	json_object *resp = json_object_new_object();

	json_object_object_add(resp, key, list);
	return resp;
}

json_object *ec2_start_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct inst *v = NULL;
	size_t n = 0, i;
	json_object *list = NULL;
	long need = 0;
	int lock = -1;
	bool started = false;
	json_object *started_ids = json_object_new_array(); /* [id, time, id, time...] */
	json_object *fields = json_object_new_object(), *starting = json_object_new_array();
	struct journal journal = { .lock_fd = -1 };
	char rid[EC2_ID_MAX];

	if (!ec2_dry_run(req, NULL) && (lock = store_lock(ctx->store, "launch", err)) < 0)
		goto out;
	if (resolve(ctx, req_list(req, "InstanceIds"), true, &v, &n, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		settle(ctx, &v[i]);
		if (v[i].state == EC2_STOPPED) {
			const struct instance_type *t = type_lookup(ctx->types, v[i].meta.instance_type,
								    NULL);
			json_object *e = json_object_new_object();

			need += t ? t->memory_mib : 0;
			json_add_str(e, "InstanceId", v[i].id);
			json_add_int(e, "MemoryMiB", t ? t->memory_mib : 0);
			json_object_array_add(starting, e);
		} else if (v[i].state != EC2_RUNNING && v[i].state != EC2_PENDING) {
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "The instance '%s' is not in a "
				      "state from which it can be started.", v[i].id);
			goto out;
		}
		if (strcmp(v[i].meta.pending_op, "image") == 0 ||
		    strcmp(v[i].meta.pending_op, "image-reboot") == 0) {
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "The instance '%s' cannot be "
				      "started while an image of it is made (%s).", v[i].id,
				      v[i].meta.pending_image);
			goto out;
		}
	}
	if (need) {
		long free_mib, used, host;

		if (capacity(ctx, &free_mib, &used, &host, err) < 0)
			goto out;
		if (need > free_mib) {
			ec2_error_set(err, EC2_ERR_INSUFFICIENT_CAPACITY,
				      "We currently do not have sufficient capacity to start these "
				      "instances: they need %ld MiB and %ld MiB are free", need,
				      free_mib > 0 ? free_mib : 0);
			goto out;
		}
	}
	if (ec2_dry_run(req, err))
		goto out;
	/* As a launch: the journal is the reservation, and the start goes on beside others. */
	json_add_bool(fields, "Start", true);
	json_object_object_add(fields, "Instances", json_object_get(starting));
	if (json_object_array_length(starting) > 0 && (ec2_id_new("r", rid, err) < 0 ||
		     journal_begin_with(ctx->cfg->state_dir, rid, fields, &journal, err) < 0))
		goto out;
	store_unlock(lock);
	lock = -1;
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		enum ec2_state prev = v[i].state;

		if (prev == EC2_STOPPED) {
			v[i].meta.pending_op[0] = '\0';
			v[i].meta.transition_reason[0] = '\0';
			v[i].meta.state_reason[0] = '\0';
			util_iso8601(time(NULL), v[i].meta.launch_time, sizeof(v[i].meta.launch_time));
			v[i].meta.console_offset = console_size(ctx, v[i].id);
			v[i].meta.public_ip[0] = '\0'; /* a new one comes with the start */
			if (ec2_meta_save(v[i].dom, &v[i].meta, err) < 0) {
				json_object_put(list);
				list = NULL;
				goto out;
			}
			if (virDomainCreate(v[i].dom) < 0) {
				ec2_error_start_failure(err, v[i].id, NULL);
				json_object_put(list);
				list = NULL;
				goto out;
			}
			started = true;
			json_object_array_add(started_ids, json_object_new_string(v[i].id));
			json_object_array_add(started_ids, json_object_new_double(wall_now()));
			json_object_array_add(list, change_obj(v[i].id, EC2_PENDING, prev));
		} else {
			json_object_array_add(list, change_obj(v[i].id, prev, prev));
		}
	}
out:
	journal_end(&journal);
	json_object_put(fields);
	json_object_put(starting);
	store_unlock(lock);
	insts_free(v, n);
	if (started)
		net_sync_since(ctx, util_monotonic(), NULL); /* new public IPs, the new QEMUs' forwards */
	for (i = 0; i + 1 < json_object_array_length(started_ids); i += 2)
		watch_boot(ctx, json_object_get_string(json_object_array_get_idx(started_ids, i)),
			   json_object_get_double(json_object_array_get_idx(started_ids, i + 1)));
	json_object_put(started_ids);
	return list ? changes_response("StartingInstances", list) : NULL;
}

json_object *ec2_stop_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct inst *v = NULL;
	size_t n = 0, i;
	json_object *list = NULL;
	bool force = false, hibernate = false;

	if (req_bool(req, "Force", &force, err) < 0 || req_bool(req, "Hibernate", &hibernate, err) < 0)
		return NULL;
	if (resolve(ctx, req_list(req, "InstanceIds"), true, &v, &n, err) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		settle(ctx, &v[i]);
		if (v[i].state == EC2_TERMINATED || v[i].state == EC2_SHUTTING_DOWN) {
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "This instance '%s' is not in a "
				      "state from which it can be stopped.", v[i].id);
			goto out;
		}
		if (strcmp(v[i].meta.pending_op, "image-reboot") == 0) {
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "The instance '%s' is rebooting "
				      "for an image of it (%s); try again when it is done.", v[i].id,
				      v[i].meta.pending_image);
			goto out;
		}
		if (hibernate && !v[i].meta.hibernation) {
			ec2_error_set(err, EC2_ERR_HIBERNATION_UNSUPPORTED,
				      "The instance can't be hibernated because it was not configured "
				      "at launch for hibernation: %s", v[i].id);
			goto out;
		}
	}
	if (ec2_dry_run(req, err))
		goto out;
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct inst *in = &v[i];
		enum ec2_state prev = in->state, cur = prev;
		int rc = 0;

		if (prev == EC2_RUNNING || prev == EC2_PENDING) {
			cur = EC2_STOPPING;
			timeline_forget(ctx, in->id);
			if (hibernate) {
				/* RAM goes to disk (libvirt managed save); the next start resumes it. */
				user_reason(&in->meta, "Client.UserInitiatedHibernate");
				rc = ec2_meta_save(in->dom, &in->meta, err);
				if (rc == 0 && (rc = virDomainManagedSave(in->dom, 0)) < 0)
					ec2_error_set_libvirt(err, "cannot hibernate '%s'", in->id);
			} else {
				user_reason(&in->meta, "Client.UserInitiatedShutdown");
				snprintf(in->meta.pending_op, sizeof(in->meta.pending_op), "stop");
				in->meta.pending_since = (long long)time(NULL);
				rc = ec2_meta_save(in->dom, &in->meta, err);
				if (rc == 0 && force)
					rc = virDomainDestroy(in->dom);
				else if (rc == 0)
					/* libvirt's default: the guest agent where one answers, else
					 * the ACPI power button. */
					rc = virDomainShutdown(in->dom);
				if (rc < 0)
					ec2_error_set_libvirt(err, "cannot stop '%s'", in->id);
			}
		} else if (prev == EC2_STOPPING && force) {
			if ((rc = virDomainDestroy(in->dom)) < 0)
				ec2_error_set_libvirt(err, "cannot stop '%s'", in->id);
		}
		if (rc < 0) {
			json_object_put(list);
			list = NULL;
			goto out;
		}
		settle(ctx, in);
		json_object_array_add(list, change_obj(in->id, cur, prev));
	}
out:
	insts_free(v, n);
	return list ? changes_response("StoppingInstances", list) : NULL;
}

json_object *ec2_reboot_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct inst *v = NULL;
	size_t n = 0, i;
	json_object *resp = NULL;

	if (resolve(ctx, req_list(req, "InstanceIds"), true, &v, &n, err) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		settle(ctx, &v[i]);
		if (v[i].state != EC2_RUNNING || strcmp(v[i].meta.pending_op, "image-reboot") == 0) {
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE,
				      "The instance '%s' is not in a state from which it can be "
				      "rebooted.", v[i].id);
			goto out;
		}
	}
	if (ec2_dry_run(req, err))
		goto out;
	for (i = 0; i < n; i++) {
		struct ec2_reboot_watch *w, **grown;

		w = calloc(1, sizeof(*w));
		grown = realloc(ctx->reboots, (ctx->nreboots + 1) * sizeof(*ctx->reboots));
		if (grown)
			ctx->reboots = grown;
		if (!w || !grown) {
			free(w);
			ec2_error_set(err, EC2_ERR_INTERNAL, "out of memory");
			goto out;
		}
		ctx->reboots[ctx->nreboots++] = w;
		atomic_init(&w->seen, false);
		atomic_init(&w->refs, 1);
		snprintf(w->id, sizeof(w->id), "%s", v[i].id);
		w->dom = v[i].dom;
		virDomainRef(w->dom);
		w->deadline = util_monotonic() + ctx->cfg->reboot_timeout;
		v[i].meta.console_offset = console_size(ctx, v[i].id);
		ec2_meta_save(v[i].dom, &v[i].meta, NULL);
		/* Subscribe before asking, so the reset cannot slip past unseen. */
		w->callback = !ctx->events ? -1 : virConnectDomainEventRegisterAny(ctx->conn, w->dom,
							       VIR_DOMAIN_EVENT_ID_REBOOT,
							       VIR_DOMAIN_EVENT_CALLBACK(reboot_event),
							       w, reboot_watch_unref);
		/* libvirt's reference: its free callback runs only after deregistration, which is
		 * ours to do, so counting it after the registration cannot race. */
		if (w->callback >= 0) {
			atomic_fetch_add(&w->refs, 1);
			if (ec2_test_reboot_registered)
				ec2_test_reboot_registered(VIR_DOMAIN_EVENT_CALLBACK(reboot_event), w);
		}
		watch_boot(ctx, v[i].id, wall_now());
		/* libvirt's default: the guest agent where one answers, else ACPI. */
		if (virDomainReboot(v[i].dom, 0) < 0) {
			/* Neither works: fall back to a hard reset at once. */
			if (virDomainReset(v[i].dom, 0) < 0) {
				ec2_error_set_libvirt(err, "cannot reboot '%s'", v[i].id);
				goto out;
			}
			atomic_store(&w->seen, true);
		}
		/* Without the event there is no telling when the guest rebooted, so no deadline
		 * can be enforced: the ACPI request stands on its own. */
		if (w->callback < 0)
			atomic_store(&w->seen, true);
	}
	resp = json_object_new_object();
out:
	insts_free(v, n);
	if (!ec2_has_watches(ctx))
		ec2_reboot_watches_clear(ctx);
	return resp;
}

json_object *ec2_terminate_instances(struct ec2_ctx *ctx, json_object *req,
				     struct ec2_error *err)
{
	struct inst *v = NULL;
	size_t n = 0, i;
	json_object *list;
	int rc = 0;

	if (resolve(ctx, req_list(req, "InstanceIds"), true, &v, &n, err) < 0)
		return NULL;
	if (ec2_dry_run(req, err)) {
		insts_free(v, n);
		return NULL;
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		enum ec2_state prev = v[i].state;

		if (prev == EC2_TERMINATED) {
			json_object_array_add(list, change_obj(v[i].id, EC2_TERMINATED, prev));
			continue;
		}
		if (terminate_one(ctx, &v[i], "Client.UserInitiatedShutdown", err) < 0)
			rc = -1;
		json_object_array_add(list, change_obj(v[i].id, EC2_SHUTTING_DOWN, prev));
	}
	insts_free(v, n);
	ec2_image_collect(ctx);
	net_settle(ctx);
	if (rc < 0) {
		json_object_put(list);
		return NULL;
	}
	return changes_response("TerminatingInstances", list);
}

int ec2_instance_get(struct ec2_ctx *ctx, const char *id, virDomainPtr *dom, struct ec2_meta *m,
		     enum ec2_state *state, struct ec2_error *err)
{
	json_object *ids = json_object_new_array();
	struct inst *v = NULL;
	size_t n = 0;
	int rc = -1;

	json_object_array_add(ids, json_object_new_string(id));
	if (resolve(ctx, ids, true, &v, &n, err) < 0)
		goto out;
	if (!v[0].dom) {
		ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "The instance '%s' is terminated", id);
		goto out;
	}
	settle(ctx, &v[0]);
	if (!v[0].dom) {
		ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "The instance '%s' is terminated", id);
		goto out;
	}
	*dom = v[0].dom;
	virDomainRef(*dom);
	*m = v[0].meta;
	memset(&v[0].meta, 0, sizeof(v[0].meta)); /* handed over */
	*state = v[0].state;
	rc = 0;
out:
	insts_free(v, n);
	json_object_put(ids);
	net_settle(ctx);
	return rc;
}

/* DescribeInstanceAttribute for the attributes an instance here has. */
json_object *ec2_describe_instance_attribute(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err)
{
	const char *attr = req_string(req, "Attribute");
	const char *id = req_string(req, "InstanceId");
	json_object *ids, *resp = NULL, *val;
	struct inst *v = NULL;
	size_t n = 0;

	if (!attr || !id) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER, "The request must contain the parameter %s",
			      !id ? "InstanceId" : "Attribute");
		return NULL;
	}
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(id));
	if (resolve(ctx, ids, true, &v, &n, err) < 0)
		goto out;
	if (!v[0].dom) {
		ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND, "The instance ID '%s' does not exist", id);
		goto out;
	}
	resp = json_object_new_object();
	val = json_object_new_object();
	if (strcmp(attr, "userData") == 0) {
		char *path = util_strdupf("%s/%s/user-data", ctx->instances_dir, id), *b64;
		size_t len = 0;
		char *data = util_read_file(path, &len, NULL);

		free(path);
		if (data && len) {
			b64 = util_base64(data, len);
			json_add_str(val, "Value", b64);
			free(b64);
		}
		free(data);
		json_add_str(resp, "InstanceId", id);
		json_object_object_add(resp, "UserData", val);
	} else if (strcmp(attr, "instanceType") == 0) {
		json_add_str(val, "Value", v[0].meta.instance_type);
		json_add_str(resp, "InstanceId", id);
		json_object_object_add(resp, "InstanceType", val);
	} else if (strcmp(attr, "instanceInitiatedShutdownBehavior") == 0) {
		json_add_str(val, "Value", v[0].meta.shutdown_behavior);
		json_add_str(resp, "InstanceId", id);
		json_object_object_add(resp, "InstanceInitiatedShutdownBehavior", val);
	} else if (strcmp(attr, "rootDeviceName") == 0) {
		json_add_str(val, "Value", "/dev/xvda");
		json_add_str(resp, "InstanceId", id);
		json_object_object_add(resp, "RootDeviceName", val);
	} else if (strcmp(attr, "disableApiTermination") == 0 || strcmp(attr, "disableApiStop") == 0) {
		json_add_bool(val, "Value", false);
		json_object_object_add(resp, strcmp(attr, "disableApiStop") == 0 ? "DisableApiStop" :
				       "DisableApiTermination", val);
		json_add_str(resp, "InstanceId", id);
	} else {
		json_object_put(val);
		json_object_put(resp);
		resp = NULL;
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr);
	}
out:
	insts_free(v, n);
	json_object_put(ids);
	return resp;
}

/* GetConsoleOutput: the serial console log, kept across reboots and stops. EC2 gives the last
 * 64 KB; so does this. Output is the text itself (the aws CLI prints it decoded); a front end
 * that speaks EC2's wire format base64-encodes it. */
json_object *ec2_get_console_output(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	enum { LAST = 64 * 1024 };
	const char *id = req_string(req, "InstanceId");
	json_object *ids, *resp = NULL;
	struct inst *v = NULL;
	size_t n = 0, len = 0;
	char *path, *text, now[32];

	if (!id) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter InstanceId");
		return NULL;
	}
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(id));
	if (resolve(ctx, ids, true, &v, &n, err) < 0)
		goto out;
	path = util_strdupf("%s/%s/console.log", ctx->instances_dir, id);
	text = v[0].dom ? util_read_file(path, &len, NULL) : NULL;
	free(path);
	resp = json_object_new_object();
	json_add_str(resp, "InstanceId", id);
	if (text && len) {
		const char *start = len > LAST ? text + len - LAST : text;

		json_object_object_add(resp, "Output", json_object_new_string_len(
						       start, (int)(len - (size_t)(start - text))));
	}
	util_iso8601(time(NULL), now, sizeof(now));
	json_add_str(resp, "Timestamp", now);
	free(text);
out:
	insts_free(v, n);
	json_object_put(ids);
	return resp;
}

/* DescribeInstanceStatus. SystemStatus: the VM process runs and its QEMU monitor answers.
 * InstanceStatus (reachability): the guest agent answers, or the guest has said on its console,
 * since its last start or reboot, that it is up (tiny's "ready", cloud-init's "finished", a login
 * prompt); initializing until then, impaired after ten minutes without. */
static const char *const ready_markers[] = { "ec2-lite tiny: ready", "Cloud-init v. ", " login: ",
					     NULL };

static bool console_says_ready(struct ec2_ctx *ctx, const struct inst *in)
{
	char *path = util_strdupf("%s/%s/console.log", ctx->instances_dir, in->id);
	size_t len = 0, i;
	char *text = util_read_file(path, &len, NULL);
	bool ready = false;

	free(path);
	if (text && (long long)len > in->meta.console_offset) {
		const char *since = text + in->meta.console_offset;
		size_t n = len - (size_t)in->meta.console_offset;

		for (i = 0; ready_markers[i] && !ready; i++) {
			const char *hit = memmem(since, n, ready_markers[i], strlen(ready_markers[i]));

			/* cloud-init's line counts once it says finished. */
			ready = hit && (strcmp(ready_markers[i], "Cloud-init v. ") != 0 ||
					memmem(hit, n - (size_t)(hit - since), " finished at ", 13));
		}
	}
	free(text);
	return ready;
}

static json_object *status_obj(const char *status, const char *detail, const char *since)
{
	json_object *o = json_object_new_object(), *details = json_object_new_array(), *d;

	d = json_object_new_object();
	if (since)
		json_add_str(d, "ImpairedSince", since);
	json_add_str(d, "Name", "reachability");
	json_add_str(d, "Status", detail);
	json_object_array_add(details, d);
	json_object_object_add(o, "Details", details);
	json_add_str(o, "Status", status);
	return o;
}

static const struct filter_field status_filters[] = {
	{ "instance-state-name", "InstanceState.Name" },
	{ "instance-state-code", "InstanceState.Code" },
	{ "instance-status.status", "InstanceStatus.Status" },
	{ "instance-status.reachability", "InstanceStatus.Details.Status" },
	{ "system-status.status", "SystemStatus.Status" },
	{ "system-status.reachability", "SystemStatus.Details.Status" },
	{ "availability-zone", "AvailabilityZone" },
	{ NULL, NULL },
};

json_object *ec2_describe_instance_status(struct ec2_ctx *ctx, json_object *req,
					  struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds"), *filters = req_list(req, "Filters");
	json_object *list, *resp;
	struct inst *v = NULL;
	size_t n = 0, i;
	bool all = false;

	if (req_bool(req, "IncludeAllInstances", &all, err) < 0 ||
	    filter_validate(filters, status_filters, err) < 0 ||
	    ec2_reconcile(ctx, NULL, false, err) < 0 || resolve(ctx, ids, false, &v, &n, err) < 0)
		return NULL;
	qsort(v, n, sizeof(*v), by_launch);
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct inst *in = &v[i];
		json_object *o;

		if (in->state == EC2_TERMINATED || (!all && in->state != EC2_RUNNING))
			continue;
		o = json_object_new_object();
		json_add_str(o, "AvailabilityZone", ctx->cfg->availability_zone);
		json_add_str(o, "InstanceId", in->id);
		json_object_object_add(o, "InstanceState", state_obj(in->state));
		if (in->state != EC2_RUNNING) {
			json_object *na = json_object_new_object();

			json_add_str(na, "Status", "not-applicable");
			json_object_object_add(o, "InstanceStatus", na);
			json_object_object_add(o, "SystemStatus", json_object_get(na));
		} else {
			/* Calls that do not taint the domain (qemu-monitor-command would): the
			 * control interface's state says the monitor answers, and GetTime goes
			 * through the guest agent. */
			virDomainControlInfo ctl;
			long long secs;
			unsigned int nsecs;
			bool system_ok = ec2_conn_is_test(ctx->conn) ||
					 (virDomainGetControlInfo(in->dom, &ctl, 0) == 0 &&
					  (ctl.state == VIR_DOMAIN_CONTROL_OK ||
					   ctl.state == VIR_DOMAIN_CONTROL_JOB));
			bool up = virDomainGetTime(in->dom, &secs, &nsecs, 0) == 0 ||
				  console_says_ready(ctx, in);
			time_t started = util_parse_iso8601(in->meta.launch_time);
			bool late = started != (time_t)-1 && time(NULL) - started > 600;

			json_object_object_add(o, "InstanceStatus",
					       up ? status_obj("ok", "passed", NULL) :
					       late ? status_obj("impaired", "failed", in->meta.launch_time) :
						      status_obj("initializing", "initializing", NULL));
			json_object_object_add(o, "SystemStatus",
					       system_ok ? status_obj("ok", "passed", NULL) :
							   status_obj("impaired", "failed", NULL));
		}
		if (filter_match(o, filters, status_filters))
			json_object_array_add(list, o);
		else
			json_object_put(o);
	}
	insts_free(v, n);
	resp = json_object_new_object();
	json_object_object_add(resp, "InstanceStatuses", list);
	return resp;
}

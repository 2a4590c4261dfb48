/* EBS volumes and snapshots (src/model/volume.c, snapshot.c), in-process against libvirt's
 * test:///default driver. The test driver has no virDomainAttach/DetachDeviceFlags, so
 * ctx.test.device_change stands in for them (it edits the domain's definition as libvirt would);
 * everything else (the pool's volumes, their copies, the metadata) is libvirt's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

typedef json_object *(*action_fn)(struct ec2_ctx *, json_object *, struct ec2_error *);

static json_object *ok(action_fn fn, json_object *req)
{
	return test_ok(&ctx, fn, req);
}

static void fails(action_fn fn, json_object *req, const char *code, const char *message)
{
	ck_assert(test_fails(&ctx, fn, req, code, message)[0] != '\0');
}

static const char *str(json_object *o, const char *path)
{
	static char bufs[16][160];
	static int next;
	json_object *v = json_path(o, path);
	char *b = bufs[next++ % 16];

	if (!v)
		return NULL;
	snprintf(b, 160, "%s", json_object_get_string(v));
	return b;
}

static json_object *item(json_object *o, const char *key, size_t i)
{
	json_object *a = json_path(o, key);

	ck_assert_msg(a && json_object_array_length(a) > i, "no %s[%zu] in %s", key, i,
		      json_object_to_json_string(o));
	return json_object_array_get_idx(a, i);
}

/* libvirt's attach and detach, on the definition (the test driver's live XML stays as it is). */
static int device_change(virDomainPtr dom, const char *xml, bool attach, unsigned flags)
{
	char *def = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE), *out = NULL, *at;
	const char *s = strstr(xml, "<serial>"), *e = s ? strstr(s, "</serial>") : NULL;
	char serial[64];
	virDomainPtr d;
	int rc = -1;

	(void)flags;
	if (!def || !s || !e)
		goto done;
	snprintf(serial, sizeof(serial), "%.*s", (int)(e - s + 9), s);
	if (attach) {
		if (strstr(def, serial) || !(at = strstr(def, "</devices>")))
			goto done;
		out = util_strdupf("%.*s%s%s", (int)(at - def), def, xml, at);
	} else {
		char *sp = strstr(def, serial), *start, *end;

		if (!sp)
			goto done;
		for (start = sp; start > def && strncmp(start, "<disk", 5) != 0; start--)
			;
		end = strstr(sp, "</disk>");
		if (!end)
			goto done;
		out = util_strdupf("%.*s%s", (int)(start - def), def, end + 7);
	}
	d = virDomainDefineXML(virDomainGetConnect(dom), out);
	if (d) {
		virDomainFree(d);
		rc = 0;
	}
done:
	free(def);
	free(out);
	return rc;
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "vol-ami", ami);
	ctx.test.device_change = device_change;
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

static void run(char id[32], const char *extra)
{
	json_object *r = ok(ec2_run_instances,
			    J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": 1, "
			      "\"MaxCount\": 1%s}", ami, extra ? extra : ""));

	snprintf(id, 32, "%s", str(item(r, "Instances", 0), "InstanceId"));
	json_object_put(r);
}

static void stop(const char *id)
{
	json_object_put(ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"], \"Force\": true}", id)));
}

static void create(char vid[32], const char *args)
{
	json_object *r = ok(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\"%s}",
						 cfg.availability_zone, args));

	ck_assert_str_eq(str(r, "State"), "creating");
	snprintf(vid, 32, "%s", str(r, "VolumeId"));
	json_object_put(r);
}

/* DescribeVolumes of one volume (new reference). */
static json_object *volume(const char *vid)
{
	json_object *r = ok(ec2_describe_volumes, J("{\"VolumeIds\": [\"%s\"]}", vid));
	json_object *v = json_object_get(item(r, "Volumes", 0));

	json_object_put(r);
	return v;
}

static const char *state_of(const char *vid)
{
	static char s[4][32];
	static int next;
	json_object *v = volume(vid);
	char *b = s[next++ % 4];

	snprintf(b, 32, "%s", str(v, "State"));
	json_object_put(v);
	return b;
}

static size_t volume_count(void)
{
	json_object *r = ok(ec2_describe_volumes, J("{}"));
	size_t n = json_object_array_length(json_path(r, "Volumes"));

	json_object_put(r);
	return n;
}

static size_t filtered(const char *name, const char *value)
{
	json_object *r = ok(ec2_describe_volumes, J("{\"Filters\": [{\"Name\": \"%s\", \"Values\": "
						    "[\"%s\"]}]}", name, value));
	size_t n = json_object_array_length(json_path(r, "Volumes"));

	json_object_put(r);
	return n;
}

/* Whether the pool has a volume named name. */
static bool pool_has(const char *name)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx.conn, ctx.pool_name);
	virStorageVolPtr vol = pool ? virStorageVolLookupByName(pool, name) : NULL;

	if (vol)
		virStorageVolFree(vol);
	if (pool)
		virStoragePoolFree(pool);
	return vol != NULL;
}

/* Whether the domain's definition has the volume's disk (serial: the id without its dash). */
static bool dom_has(const char *iid, const char *vid)
{
	virDomainPtr d = virDomainLookupByName(ctx.conn, iid);
	char *xml = d ? virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE) : NULL, serial[64];
	bool has;

	snprintf(serial, sizeof(serial), "<serial>vol%s</serial>", vid + 4);
	has = xml && strstr(xml, serial);
	free(xml);
	if (d)
		virDomainFree(d);
	return has;
}

/* The root volume id of instance iid, from its BlockDeviceMappings. */
static const char *root_of(const char *iid)
{
	static char b[32];
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", iid));
	json_object *in = item(item(r, "Reservations", 0), "Instances", 0);

	snprintf(b, sizeof(b), "%s", str(item(in, "BlockDeviceMappings", 0), "Ebs.VolumeId"));
	json_object_put(r);
	return b;
}

/* The instance's BlockDeviceMappings as JSON text. */
static const char *mappings_of(const char *iid)
{
	static char b[2048];
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", iid));
	json_object *in = item(item(r, "Reservations", 0), "Instances", 0);

	snprintf(b, sizeof(b), "%s", json_object_to_json_string(json_path(in, "BlockDeviceMappings")));
	json_object_put(r);
	return b;
}

START_TEST(create_describe_delete)
{
	char vid[32], io[32], iid[32], name[64];
	const char *root;
	json_object *v;

	create(vid, ", \"Size\": 10, \"VolumeType\": \"gp3\", \"TagSpecifications\": [{"
		    "\"ResourceType\": \"volume\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"data\"}]}]");
	v = volume(vid);
	ck_assert_str_eq(str(v, "State"), "available");
	ck_assert_str_eq(str(v, "Size"), "10");
	ck_assert_str_eq(str(v, "Iops"), "3000");
	ck_assert_str_eq(str(v, "Throughput"), "125");
	ck_assert_str_eq(str(v, "VolumeType"), "gp3");
	ck_assert_str_eq(str(v, "AvailabilityZone"), cfg.availability_zone);
	ck_assert_int_eq(json_object_array_length(json_path(v, "Attachments")), 0);
	json_object_put(v);
	snprintf(name, sizeof(name), "%s.qcow2", vid);
	ck_assert(pool_has(name));
	create(io, ", \"Size\": 100, \"VolumeType\": \"io1\", \"Iops\": 5000");
	ck_assert_str_eq(state_of(io), "available");
	v = volume(io);
	ck_assert_str_eq(str(v, "Iops"), "5000");
	json_object_put(v);
	/* gp2's iops follow the size; the default type is gp2 */
	{
		char g[32];

		create(g, ", \"Size\": 50");
		v = volume(g);
		ck_assert_str_eq(str(v, "VolumeType"), "gp2");
		ck_assert_str_eq(str(v, "Iops"), "150");
		ck_assert(str(v, "Throughput") == NULL);
		json_object_put(v);
		json_object_put(ok(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", g)));
	}
	/* an instance's root disk is a volume too, in use at /dev/xvda */
	run(iid, NULL);
	ck_assert_int_eq(volume_count(), 3);
	ck_assert_int_eq(filtered("attachment.instance-id", iid), 1);
	ck_assert_int_eq(filtered("attachment.device", "/dev/xvda"), 1);
	ck_assert_int_eq(filtered("status", "in-use"), 1);
	ck_assert_int_eq(filtered("status", "available"), 2);
	ck_assert_int_eq(filtered("volume-type", "io1"), 1);
	ck_assert_int_eq(filtered("size", "10"), 1);
	ck_assert_int_eq(filtered("tag:Name", "data"), 1);
	ck_assert_int_eq(filtered("tag-key", "Name"), 1);
	ck_assert_int_eq(filtered("volume-id", vid), 1);
	ck_assert_int_eq(filtered("availability-zone", cfg.availability_zone), 3);
	ck_assert_int_eq(filtered("encrypted", "false"), 3);
	ck_assert_int_eq(filtered("snapshot-id", "snap-*"), 0);
	fails(ec2_describe_volumes, J("{\"Filters\": [{\"Name\": \"bogus\", \"Values\": [\"x\"]}]}"),
	      "InvalidParameterValue", NULL);
	root = root_of(iid);
	ck_assert_int_eq(strncmp(root, "vol-", 4), 0);
	v = volume(root);
	ck_assert_str_eq(str(v, "State"), "in-use");
	ck_assert_str_eq(str(item(v, "Attachments", 0), "InstanceId"), iid);
	ck_assert_str_eq(str(item(v, "Attachments", 0), "Device"), "/dev/xvda");
	ck_assert_str_eq(str(item(v, "Attachments", 0), "DeleteOnTermination"), "true");
	json_object_put(v);
	fails(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", root), "VolumeInUse", NULL);
	json_object_put(ok(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", vid)));
	ck_assert(!pool_has(name));
	fails(ec2_describe_volumes, J("{\"VolumeIds\": [\"%s\"]}", vid), "InvalidVolume.NotFound",
	      NULL);
	fails(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", vid), "InvalidVolume.NotFound", NULL);
	ck_assert_int_eq(volume_count(), 2);
}
END_TEST

START_TEST(create_errors_change_nothing)
{
	const char *z = cfg.availability_zone;

	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\"}", z), "MissingParameter",
	      "The request must contain the parameter size or snapshotId");
	fails(ec2_create_volume, J("{\"Size\": 1}"), "MissingParameter", NULL);
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"mars-1a\", \"Size\": 1}"),
	      "InvalidParameterValue", "Invalid availability zone: [mars-1a]");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 1, \"VolumeType\": "
				   "\"gp9\"}", z), "InvalidParameterValue", "Value (gp9) for parameter "
	      "volumeType is invalid. Valid values: standard | io1 | io2 | gp2 | sc1 | st1 | gp3");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 0}", z),
	      "InvalidParameterValue", "Volume of 0GiB is too small; minimum is 1GiB.");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 20000}", z),
	      "InvalidParameterValue", "Volume of 20000GiB is too large; maximum is 16384GiB.");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 100, \"VolumeType\": "
				   "\"st1\"}", z), "InvalidParameterValue",
	      "Volume of 100GiB is too small; minimum is 125GiB.");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 10, \"VolumeType\": "
				   "\"io1\"}", z), "MissingParameter",
	      "The request must contain the parameter iops");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 10, \"Iops\": 300}", z),
	      "InvalidParameterCombination", "The parameter iops is not supported for gp2 volumes.");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 10, \"VolumeType\": "
				   "\"io1\", \"Iops\": 1000}", z), "InvalidParameterValue",
	      "Iops to volume size ratio of 100.000000 is too high; maximum is 50.000000.");
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 10, \"VolumeType\": "
				   "\"gp3\", \"Throughput\": 2000}", z), "InvalidParameterValue", NULL);
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 10, \"Throughput\": "
				   "200}", z), "InvalidParameterCombination", NULL);
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 10, \"SnapshotId\": "
				   "\"snap-0123456789abcdef0\"}", z), "InvalidSnapshot.NotFound",
	      "The snapshot 'snap-0123456789abcdef0' does not exist.");
	/* the test driver's pool has 100 GiB */
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 16000}", z),
	      "InsufficientVolumeCapacity", NULL);
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 1, \"DryRun\": true}",
				   z), "DryRunOperation", NULL);
	fails(ec2_describe_volumes, J("{\"VolumeIds\": [\"vol-x\"]}"), "InvalidVolumeID.Malformed",
	      NULL);
	fails(ec2_describe_volumes, J("{\"VolumeIds\": [\"vol-0123456789abcdef0\"]}"),
	      "InvalidVolume.NotFound", "The volume 'vol-0123456789abcdef0' does not exist.");
	ck_assert_int_eq(volume_count(), 0);
}
END_TEST

START_TEST(attach_detach_running_and_stopped)
{
	char a[32], vid[32], v2[32], far[32];
	json_object *r, *v;

	ec2_config_set_zones(&cfg, "us-east-1a,us-east-1b");
	run(a, NULL);
	create(vid, ", \"Size\": 2");
	create(v2, ", \"Size\": 2");
	json_object_put(ok(ec2_create_volume, J("{\"AvailabilityZone\": \"us-east-1b\", \"Size\": 1}")));
	{
		json_object *f = ok(ec2_describe_volumes, J("{\"Filters\": [{\"Name\": "
			"\"availability-zone\", \"Values\": [\"us-east-1b\"]}]}"));

		snprintf(far, sizeof(far), "%s", str(item(f, "Volumes", 0), "VolumeId"));
		json_object_put(f);
	}
	/* errors first: each changes nothing */
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/foo\"}", vid, a), "InvalidParameterValue",
	      "Value (/dev/foo) for parameter device is invalid. /dev/foo is not a valid EBS device "
	      "name.");
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/xvda\"}", vid, a), "InvalidParameterValue", NULL);
	/* sdq..sdz: their targets (vdq..vdz) hold the instance store's disks (vds..vdz). */
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/sds\"}", vid, a), "InvalidParameterValue", NULL);
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/sdf\"}", far, a), "InvalidVolume.ZoneMismatch", NULL);
	fails(ec2_attach_volume, J("{\"VolumeId\": \"vol-0123456789abcdef0\", \"InstanceId\": \"%s\", "
				   "\"Device\": \"/dev/sdf\"}", a), "InvalidVolume.NotFound", NULL);
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"i-0123456789abcdef0\", "
				   "\"Device\": \"/dev/sdf\"}", vid), "InvalidInstanceID.NotFound", NULL);
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/sdf\", \"DryRun\": true}", vid, a), "DryRunOperation", NULL);
	fails(ec2_detach_volume, J("{\"VolumeId\": \"%s\"}", vid), "IncorrectState",
	      NULL);
	ck_assert_str_eq(state_of(vid), "available");
	ck_assert(!dom_has(a, vid));

	/* running: hot-plugged */
	r = ok(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				    "\"/dev/sdf\"}", vid, a));
	ck_assert_str_eq(str(r, "State"), "attaching");
	ck_assert_str_eq(str(r, "Device"), "/dev/sdf");
	json_object_put(r);
	ck_assert(dom_has(a, vid));
	v = volume(vid);
	ck_assert_str_eq(str(v, "State"), "in-use");
	ck_assert_str_eq(str(item(v, "Attachments", 0), "State"), "attached");
	ck_assert_str_eq(str(item(v, "Attachments", 0), "InstanceId"), a);
	ck_assert_str_eq(str(item(v, "Attachments", 0), "DeleteOnTermination"), "false");
	json_object_put(v);
	ck_assert(strstr(mappings_of(a), "dev\\/sdf\""));
	ck_assert(strstr(mappings_of(a), "\"DeleteOnTermination\": false, \"Status\": \"attached\""));
	ck_assert_int_eq(filtered("attachment.status", "attached"), 2);
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/sdg\"}", vid, a), "VolumeInUse",
	      NULL);
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/xvdf\"}", v2, a), "InvalidParameterValue",
	      "Invalid value '/dev/xvdf' for unixDevice. Attachment point /dev/xvdf is already in use");
	fails(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", vid), "VolumeInUse", NULL);
	fails(ec2_detach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"i-0123456789abcdef0\"}",
				   vid), "InvalidAttachment.NotFound", NULL);
	r = ok(ec2_detach_volume, J("{\"VolumeId\": \"%s\"}", vid));
	ck_assert_str_eq(str(r, "State"), "detaching");
	json_object_put(r);
	ck_assert_str_eq(state_of(vid), "available");
	ck_assert(!dom_has(a, vid));
	fails(ec2_detach_volume, J("{\"VolumeId\": \"%s\"}", vid), "IncorrectState",
	      NULL);

	/* stopped: in its definition for the next start */
	stop(a);
	json_object_put(ok(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", "
						"\"Device\": \"xvdg\"}", v2, a)));
	ck_assert(dom_has(a, v2));
	ck_assert_str_eq(state_of(v2), "in-use");
	json_object_put(ok(ec2_detach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\"}",
						v2, a)));
	ck_assert(!dom_has(a, v2));
	ck_assert_str_eq(state_of(v2), "available");
}
END_TEST

START_TEST(killed_changes_converge)
{
	char a[32], vid[32];
	int before;

	run(a, NULL);
	create(vid, ", \"Size\": 1");
	before = (int)volume_count();
	ctx.test.volume_crash = true;
	/* a create killed after libvirt made the file: undone */
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"Size\": 1}",
				   cfg.availability_zone), "InternalError", NULL);
	/* an attach killed before libvirt attached: the instance lists it, its XML has no disk */
	fails(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", \"Device\": "
				   "\"/dev/sdf\"}", vid, a), "InternalError", NULL);
	ctx.test.volume_crash = false;
	ck_assert_int_eq(volume_count(), before);
	ck_assert_str_eq(state_of(vid), "available");
	{
		/* no pool volume but the instance's root and vid */
		virStoragePoolPtr pool = virStoragePoolLookupByName(ctx.conn, ctx.pool_name);

		virStoragePoolRefresh(pool, 0);
		ck_assert_int_eq(virStoragePoolNumOfVolumes(pool), 2);
		virStoragePoolFree(pool);
	}
	/* an attach done but for its last metadata write: attached, as the XML says */
	json_object_put(ok(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", "
						"\"Device\": \"/dev/sdf\"}", vid, a)));
	/* a detach killed after its first step: finished from the XML */
	ctx.test.volume_crash = true;
	fails(ec2_detach_volume, J("{\"VolumeId\": \"%s\"}", vid), "InternalError", NULL);
	ctx.test.volume_crash = false;
	ck_assert(dom_has(a, vid));
	ck_assert_str_eq(state_of(vid), "available");
	ck_assert(!dom_has(a, vid));
	/* a delete killed after it was decided: finished */
	ctx.test.volume_crash = true;
	fails(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", vid), "InternalError", NULL);
	ctx.test.volume_crash = false;
	fails(ec2_describe_volumes, J("{\"VolumeIds\": [\"%s\"]}", vid), "InvalidVolume.NotFound",
	      NULL);
}
END_TEST

START_TEST(terminate_keeps_or_deletes)
{
	char a[32], keep[32], gone[32], root[32];

	run(a, NULL);
	snprintf(root, sizeof(root), "%s", root_of(a));
	create(keep, ", \"Size\": 1");
	create(gone, ", \"Size\": 1");
	json_object_put(ok(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", "
						"\"Device\": \"/dev/sdf\"}", keep, a)));
	json_object_put(ok(ec2_attach_volume, J("{\"VolumeId\": \"%s\", \"InstanceId\": \"%s\", "
						"\"Device\": \"/dev/sdg\"}", gone, a)));
	json_object_put(ok(ec2_modify_instance_attribute, J("{\"InstanceId\": \"%s\", "
		"\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdg\", \"Ebs\": "
		"{\"DeleteOnTermination\": true}}]}", a)));
	json_object_put(ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", a)));
	ck_assert_str_eq(state_of(keep), "available");
	fails(ec2_describe_volumes, J("{\"VolumeIds\": [\"%s\"]}", gone), "InvalidVolume.NotFound",
	      NULL);
	fails(ec2_describe_volumes, J("{\"VolumeIds\": [\"%s\"]}", root), "InvalidVolume.NotFound",
	      NULL);
}
END_TEST

START_TEST(root_delete_on_termination_false)
{
	char a[32], root[32], name[64];
	json_object *v;

	run(a, ", \"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/xvda\", \"Ebs\": "
	       "{\"DeleteOnTermination\": false}}]");
	snprintf(root, sizeof(root), "%s", root_of(a));
	v = volume(root);
	ck_assert_str_eq(str(item(v, "Attachments", 0), "DeleteOnTermination"), "false");
	json_object_put(v);
	json_object_put(ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", a)));
	v = volume(root);
	ck_assert_str_eq(str(v, "State"), "available");
	ck_assert_int_eq(json_object_array_length(json_path(v, "Attachments")), 0);
	json_object_put(v);
	snprintf(name, sizeof(name), "%s-root.qcow2", a);
	ck_assert(pool_has(name));
	/* the AMI's base stays while the volume sits on it */
	json_object_put(ok(ec2_deregister_image, J("{\"ImageId\": \"%s\"}", ami)));
	{
		json_object *root_store = store_read(ctx.store, NULL);

		ck_assert(json_path(root_store, "images") &&
			  json_object_object_get_ex(json_path(root_store, "images"), ami, NULL));
		json_object_put(root_store);
	}
	json_object_put(ok(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", root)));
	ck_assert(!pool_has(name));
}
END_TEST

START_TEST(snapshots)
{
	char vid[32], sid[32], from[32], copy[32];
	json_object *r, *v;

	create(vid, ", \"Size\": 3, \"VolumeType\": \"gp3\"");
	r = ok(ec2_create_snapshot, J("{\"VolumeId\": \"%s\", \"Description\": \"first\"}", vid));
	ck_assert_str_eq(str(r, "State"), "pending");
	snprintf(sid, sizeof(sid), "%s", str(r, "SnapshotId"));
	json_object_put(r);
	r = ok(ec2_describe_snapshots, J("{\"OwnerIds\": [\"self\"]}"));
	ck_assert_int_eq(json_object_array_length(json_path(r, "Snapshots")), 1);
	ck_assert_str_eq(str(item(r, "Snapshots", 0), "State"), "completed");
	ck_assert_str_eq(str(item(r, "Snapshots", 0), "Progress"), "100%");
	ck_assert_str_eq(str(item(r, "Snapshots", 0), "VolumeSize"), "3");
	ck_assert_str_eq(str(item(r, "Snapshots", 0), "VolumeId"), vid);
	ck_assert_str_eq(str(item(r, "Snapshots", 0), "Description"), "first");
	json_object_put(r);
	r = ok(ec2_describe_snapshots, J("{\"Filters\": [{\"Name\": \"volume-id\", \"Values\": "
					 "[\"%s\"]}, {\"Name\": \"status\", \"Values\": "
					 "[\"completed\"]}]}", vid));
	ck_assert_int_eq(json_object_array_length(json_path(r, "Snapshots")), 1);
	json_object_put(r);
	r = ok(ec2_describe_snapshots, J("{\"OwnerIds\": [\"123456789999\"]}"));
	ck_assert_int_eq(json_object_array_length(json_path(r, "Snapshots")), 0);
	json_object_put(r);

	/* a volume from it: its size at least the snapshot's */
	fails(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", \"SnapshotId\": \"%s\", "
				   "\"Size\": 2}", cfg.availability_zone, sid), "InvalidParameterValue",
	      NULL);
	{
		json_object *c = ok(ec2_create_volume, J("{\"AvailabilityZone\": \"%s\", "
							 "\"SnapshotId\": \"%s\"}",
							 cfg.availability_zone, sid));

		snprintf(from, sizeof(from), "%s", str(c, "VolumeId"));
		json_object_put(c);
	}
	v = volume(from);
	ck_assert_str_eq(str(v, "SnapshotId"), sid);
	ck_assert_str_eq(str(v, "Size"), "3");
	json_object_put(v);
	ck_assert_int_eq(filtered("snapshot-id", sid), 1);

	/* independent of its volume */
	json_object_put(ok(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", vid)));
	r = ok(ec2_describe_snapshots, J("{\"SnapshotIds\": [\"%s\"]}", sid));
	ck_assert_int_eq(json_object_array_length(json_path(r, "Snapshots")), 1);
	json_object_put(r);

	r = ok(ec2_copy_snapshot, J("{\"SourceSnapshotId\": \"%s\", \"SourceRegion\": \"%s\"}", sid,
				    cfg.region));
	snprintf(copy, sizeof(copy), "%s", str(r, "SnapshotId"));
	json_object_put(r);
	ck_assert_str_ne(copy, sid);

	/* deleted while a volume sits on it: hidden, its file kept until the volume goes */
	json_object_put(ok(ec2_delete_snapshot, J("{\"SnapshotId\": \"%s\"}", sid)));
	fails(ec2_describe_snapshots, J("{\"SnapshotIds\": [\"%s\"]}", sid), "InvalidSnapshot.NotFound",
	      NULL);
	fails(ec2_delete_snapshot, J("{\"SnapshotId\": \"%s\"}", sid), "InvalidSnapshot.NotFound",
	      NULL);
	{
		char name[64];

		snprintf(name, sizeof(name), "%s.qcow2", sid);
		ck_assert(pool_has(name));
		json_object_put(ok(ec2_delete_volume, J("{\"VolumeId\": \"%s\"}", from)));
		ck_assert(!pool_has(name));
	}
	fails(ec2_create_snapshot, J("{\"VolumeId\": \"vol-0123456789abcdef0\"}"),
	      "InvalidVolume.NotFound", NULL);
	fails(ec2_describe_snapshots, J("{\"SnapshotIds\": [\"snap-x\"]}"),
	      "InvalidSnapshotID.Malformed", NULL);
}
END_TEST

START_TEST(run_instances_new_volumes)
{
	char a[32], sdf[32], sdg[32];
	const char *bdm = ", \"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdf\", \"Ebs\": "
			  "{\"VolumeSize\": 2, \"VolumeType\": \"gp3\"}}, {\"DeviceName\": "
			  "\"/dev/sdg\", \"Ebs\": {\"VolumeSize\": 1, \"DeleteOnTermination\": false}}]";
	json_object *r;

	/* a launch that fails leaves none of them */
	ctx.test.fail_launch_index = 0;
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", "
				   "\"MinCount\": 1, \"MaxCount\": 1%s}", ami, bdm), "InternalError", NULL);
	ctx.test.fail_launch_index = -1;
	ck_assert_int_eq(volume_count(), 0);
	{
		virStoragePoolPtr pool = virStoragePoolLookupByName(ctx.conn, ctx.pool_name);

		ck_assert_int_eq(virStoragePoolNumOfVolumes(pool), 0);
		virStoragePoolFree(pool);
	}
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdb\", \"Ebs\": "
				   "{\"VolumeSize\": 1}}]}", ami), "InvalidParameterValue", NULL);
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/sdf\", \"Ebs\": "
				   "{\"VolumeSize\": 10, \"VolumeType\": \"io1\"}}]}", ami),
	      "MissingParameter", NULL);

	run(a, bdm);
	r = ok(ec2_describe_volumes, J("{\"Filters\": [{\"Name\": \"attachment.device\", "
				       "\"Values\": [\"/dev/sdf\"]}]}"));
	snprintf(sdf, sizeof(sdf), "%s", str(item(r, "Volumes", 0), "VolumeId"));
	ck_assert_str_eq(str(item(r, "Volumes", 0), "State"), "in-use");
	ck_assert_str_eq(str(item(r, "Volumes", 0), "VolumeType"), "gp3");
	ck_assert_str_eq(str(item(item(r, "Volumes", 0), "Attachments", 0), "InstanceId"), a);
	ck_assert_str_eq(str(item(item(r, "Volumes", 0), "Attachments", 0), "DeleteOnTermination"),
			 "true");
	json_object_put(r);
	r = ok(ec2_describe_volumes, J("{\"Filters\": [{\"Name\": \"attachment.device\", "
				       "\"Values\": [\"/dev/sdg\"]}]}"));
	snprintf(sdg, sizeof(sdg), "%s", str(item(r, "Volumes", 0), "VolumeId"));
	json_object_put(r);
	ck_assert(dom_has(a, sdf));
	ck_assert(dom_has(a, sdg));
	json_object_put(ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", a)));
	fails(ec2_describe_volumes, J("{\"VolumeIds\": [\"%s\"]}", sdf), "InvalidVolume.NotFound",
	      NULL);
	ck_assert_str_eq(state_of(sdg), "available");
}
END_TEST

START_TEST(register_image_from_snapshot)
{
	char vid[32], sid[32], img[32], *path;
	json_object *r;
	FILE *f;

	create(vid, ", \"Size\": 1");
	r = ok(ec2_create_snapshot, J("{\"VolumeId\": \"%s\"}", vid));
	snprintf(sid, sizeof(sid), "%s", str(r, "SnapshotId"));
	json_object_put(r);
	/* the test driver's volumes have no files: the snapshot's data, as a raw disk */
	path = util_strdupf("%s/%s.qcow2", ctx.pool_dir, sid);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	ck_assert_int_eq(fseek(f, (1 << 20) - 1, SEEK_SET), 0);
	fputc(0, f);
	fclose(f);
	free(path);
	fails(ec2_register_image, J("{\"Name\": \"from-snap\", \"RootDeviceName\": \"/dev/xvda\", "
				    "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/xvda\", \"Ebs\": "
				    "{\"SnapshotId\": \"snap-0123456789abcdef0\"}}]}"),
	      "InvalidSnapshot.NotFound", NULL);
	r = ok(ec2_register_image, J("{\"Name\": \"from-snap\", \"RootDeviceName\": \"/dev/xvda\", "
				     "\"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/xvda\", \"Ebs\": "
				     "{\"SnapshotId\": \"%s\"}}]}", sid));
	snprintf(img, sizeof(img), "%s", str(r, "ImageId"));
	json_object_put(r);
	r = ok(ec2_describe_images, J("{\"ImageIds\": [\"%s\"]}", img));
	ck_assert_str_eq(str(item(item(r, "Images", 0), "BlockDeviceMappings", 0), "Ebs.SnapshotId"),
			 sid);
	ck_assert_str_eq(str(item(r, "Images", 0), "State"), "available");
	json_object_put(r);
	fails(ec2_delete_snapshot, J("{\"SnapshotId\": \"%s\"}", sid), "InvalidSnapshot.InUse", NULL);
	json_object_put(ok(ec2_deregister_image, J("{\"ImageId\": \"%s\"}", img)));
	json_object_put(ok(ec2_delete_snapshot, J("{\"SnapshotId\": \"%s\"}", sid)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("volumes");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_describe_delete);
	tcase_add_test(tc, create_errors_change_nothing);
	tcase_add_test(tc, attach_detach_running_and_stopped);
	tcase_add_test(tc, killed_changes_converge);
	tcase_add_test(tc, terminate_keeps_or_deletes);
	tcase_add_test(tc, root_delete_on_termination_false);
	tcase_add_test(tc, snapshots);
	tcase_add_test(tc, run_instances_new_volumes);
	tcase_add_test(tc, register_image_from_snapshot);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}

/* EC2's Filters, paging and TagSpecifications across the describes and creates served, in-process
 * against libvirt's test:///default driver. Each filter name a describe claims is asked once with
 * a value that matches the resource under test and once with one that does not (tables below);
 * DescribeInstances', DescribeImages' and DescribeSecurityGroups' answers are also asked of the API
 * server's view, which must say the same.
 * Pages together are the whole list, each item once; bad MaxResults and NextToken are refused. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/view.h"
#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/util.h"
#include "testutil.h"

typedef json_object *(*action_fn)(struct ec2_ctx *, json_object *, struct ec2_error *);

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *dir;
static char ami[32];

static json_object *ok(action_fn fn, json_object *req)
{
	struct ec2_error err = { 0 };
	json_object *resp;

	pthread_mutex_lock(&lock);
	resp = fn(&ctx, req, &err);
	pthread_mutex_unlock(&lock);
	ck_assert_msg(resp != NULL, "%s: %s: %s", json_object_to_json_string(req), err.code,
		      err.message);
	json_object_put(req);
	return resp;
}

static void fails(action_fn fn, json_object *req, const char *code, const char *message)
{
	struct ec2_error err = { 0 };
	json_object *resp;

	pthread_mutex_lock(&lock);
	resp = fn(&ctx, req, &err);
	pthread_mutex_unlock(&lock);
	ck_assert_msg(resp == NULL, "%s: expected %s", json_object_to_json_string(req), code);
	ck_assert_str_eq(err.code, code);
	if (message)
		ck_assert_str_eq(err.message, message);
	json_object_put(req);
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "filters-ami", ami);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

/* The value at a dotted path in which numbers index arrays ("NetworkInterfaces.0.MacAddress"). */
static const char *at(json_object *o, const char *path)
{
	char *copy = strdup(path), *save = NULL, *part;
	static char buf[256];

	for (part = strtok_r(copy, ".", &save); part && o; part = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(part));
		else if (!json_object_object_get_ex(o, part, &o))
			o = NULL;
	}
	free(copy);
	ck_assert_msg(o != NULL, "no %s", path);
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(o));
	return buf;
}

/* A request with one filter (name: values...) and the members of extra (JSON text or NULL). */
static json_object *filtered(const char *extra, const char *name, const char *v1, const char *v2)
{
	json_object *req = extra ? J("%s", extra) : json_object_new_object();
	json_object *filters = json_object_new_array(), *f = json_object_new_object();
	json_object *values = json_object_new_array();

	json_add_str(f, "Name", name);
	json_object_array_add(values, json_object_new_string(v1));
	if (v2)
		json_object_array_add(values, json_object_new_string(v2));
	json_object_object_add(f, "Values", values);
	json_object_array_add(filters, f);
	json_object_object_add(req, "Filters", filters);
	return req;
}

/* Whether resp (its text) names id. */
static bool names(json_object *resp, const char *id)
{
	char *quoted = util_strdupf("\"%s\"", id);
	bool yes = strstr(json_object_to_json_string_ext(resp, JSON_C_TO_STRING_NOSLASHESCAPE),
			  quoted) != NULL;

	free(quoted);
	return yes;
}

/* One filter of a table: a value the resource under test matches (literal, or "@path": the
 * value at path in the resource as described; NULL: EC2 documents it on an attribute no
 * resource here carries, so no value matches) and one it does not. */
struct frow {
	const char *name, *match, *nomatch;
};

/* A describe under test: the action, the list in its answer, the resource (described) and its
 * id, members every request carries, and the view that must agree (for the describes it serves:
 * DescribeInstances, DescribeImages, DescribeSecurityGroups, told by their lists). */
struct subject {
	action_fn fn;
	const char *list;
	json_object *item;
	const char *id;
	const char *extra;
	struct api_view *view;
};

static size_t list_len(json_object *resp, const char *list)
{
	json_object *l;

	ck_assert(json_object_object_get_ex(resp, list, &l));
	return json_object_array_length(l);
}

/* The view's answer to action's req is the model's, text for text. */
static void view_agrees(struct api_view *view, const char *action, json_object *req,
			json_object *model)
{
	struct ec2_error err = { 0 };
	json_object *v = api_view_describe(view, action, req, &err);

	ck_assert_msg(v != NULL, "view: %s: %s", err.code, err.message);
	ck_assert_str_eq(json_object_to_json_string(model), json_object_to_json_string(v));
	json_object_put(v);
}

static json_object *ask(const struct subject *s, json_object *req)
{
	json_object *resp;

	json_object_get(req);
	resp = ok(s->fn, req);
	if (s->view)
		view_agrees(s->view, strcmp(s->list, "Reservations") == 0 ? "DescribeInstances" :
				     strcmp(s->list, "Images") == 0 ? "DescribeImages" :
				     "DescribeSecurityGroups", req, resp);
	json_object_put(req);
	return resp;
}

static void check_table(const struct subject *s, const struct frow *rows)
{
	const struct frow *r;

	for (r = rows; r->name; r++) {
		json_object *resp;
		char *value;

		if (r->match) {
			value = strdup(r->match[0] == '@' ? at(s->item, r->match + 1) : r->match);
			resp = ask(s, filtered(s->extra, r->name, value, NULL));
			ck_assert_msg(names(resp, s->id), "%s=%s does not match %s", r->name, value,
				      s->id);
			json_object_put(resp);
			/* Values are OR'd: a non-matching one beside it changes nothing. */
			resp = ask(s, filtered(s->extra, r->name, r->nomatch, value));
			ck_assert_msg(names(resp, s->id), "%s=[%s, %s] does not match %s", r->name,
				      r->nomatch, value, s->id);
			json_object_put(resp);
			free(value);
		}
		resp = ask(s, filtered(s->extra, r->name, r->nomatch, NULL));
		ck_assert_msg(list_len(resp, s->list) == 0, "%s=%s matches: %s", r->name, r->nomatch,
			      json_object_to_json_string(resp));
		json_object_put(resp);
	}
}

/* Every name botocore documents for DescribeInstancesRequest.Filters. */
static const struct frow instance_rows[] = {
	{ "affinity", NULL, "default" },
	{ "architecture", "x86_64", "arm64" },
	{ "availability-zone", "@Placement.AvailabilityZone", "xx-west-9z" },
	{ "block-device-mapping.attach-time", "@BlockDeviceMappings.0.Ebs.AttachTime", "2001-*" },
	{ "block-device-mapping.delete-on-termination", "true", "false" },
	{ "block-device-mapping.device-name", "/dev/xvda", "/dev/sdz" },
	{ "block-device-mapping.status", "attached", "detached" },
	{ "block-device-mapping.volume-id", "@BlockDeviceMappings.0.Ebs.VolumeId", "vol-0" },
	{ "capacity-reservation-id", NULL, "cr-*" },
	{ "client-token", "filters-token", "other-token" },
	{ "dns-name", "@PublicDnsName", "ec2-*" },
	{ "group-id", "@SecurityGroups.0.GroupId", "sg-00000000" },
	{ "group-name", "default", "web" },
	{ "hibernation-options.configured", "false", "true" },
	{ "host-id", NULL, "h-*" },
	{ "hypervisor", "xen", "ovm" },
	{ "iam-instance-profile.arn", NULL, "arn:*" },
	{ "image-id", "@ImageId", "ami-00000000" },
	{ "instance-id", "@InstanceId", "i-00000000" },
	{ "instance-lifecycle", NULL, "spot" },
	{ "instance-state-code", "16", "80" },
	{ "instance-state-name", "running", "stopped" },
	{ "instance-type", "t2.nano", "m5.large" },
	{ "instance.group-id", "@SecurityGroups.0.GroupId", "sg-00000000" },
	{ "instance.group-name", "def*", "web" },
	{ "ip-address", "@PublicIpAddress", "203.0.113.1" },
	{ "kernel-id", NULL, "aki-*" },
	{ "key-name", NULL, "mykey" },
	{ "launch-index", "0", "7" },
	{ "launch-time", "@LaunchTime", "2001-01-01T00:00:00.000Z" },
	{ "metadata-options.http-tokens", "optional", "required" },
	{ "metadata-options.http-put-response-hop-limit", "1", "64" },
	{ "metadata-options.http-endpoint", "enabled", "disabled" },
	{ "metadata-options.instance-metadata-tags", "disabled", "enabled" },
	{ "monitoring-state", "disabled", "enabled" },
	{ "network-interface.addresses.private-ip-address", "@PrivateIpAddress", "10.9.9.9" },
	{ "network-interface.addresses.primary", "true", "false" },
	{ "network-interface.addresses.association.public-ip", "@PublicIpAddress", "203.0.113.1" },
	{ "network-interface.addresses.association.ip-owner-id", "amazon", "123456789012" },
	{ "network-interface.association.public-ip", "@PublicIpAddress", "203.0.113.1" },
	{ "network-interface.association.ip-owner-id", "amazon", "123456789012" },
	{ "network-interface.association.allocation-id", NULL, "eipalloc-*" },
	{ "network-interface.association.association-id", NULL, "eipassoc-*" },
	{ "network-interface.attachment.attachment-id",
	  "@NetworkInterfaces.0.Attachment.AttachmentId", "eni-attach-0" },
	{ "network-interface.attachment.instance-id", "@InstanceId", "i-00000000" },
	{ "network-interface.attachment.instance-owner-id", "000000000000", "123456789012" },
	{ "network-interface.attachment.device-index", "0", "1" },
	{ "network-interface.attachment.status", "attached", "detaching" },
	{ "network-interface.attachment.attach-time", "@NetworkInterfaces.0.Attachment.AttachTime",
	  "2001-*" },
	{ "network-interface.attachment.delete-on-termination", "true", "false" },
	{ "network-interface.availability-zone", "@Placement.AvailabilityZone", "xx-west-9z" },
	{ "network-interface.description", "", "primary" },
	{ "network-interface.group-id", "@SecurityGroups.0.GroupId", "sg-00000000" },
	{ "network-interface.group-name", "default", "web" },
	{ "network-interface.ipv6-addresses.ipv6-address", NULL, "2001:db8::1" },
	{ "network-interface.mac-address", "@NetworkInterfaces.0.MacAddress", "00:00:00:00:00:00" },
	{ "network-interface.network-interface-id", "@NetworkInterfaces.0.NetworkInterfaceId",
	  "eni-00000000" },
	{ "network-interface.owner-id", "000000000000", "123456789012" },
	{ "network-interface.private-dns-name", "@PrivateDnsName", "ip-10-9-9-9.ec2.internal" },
	{ "network-interface.requester-id", NULL, "AIDA*" },
	{ "network-interface.requester-managed", NULL, "true" },
	{ "network-interface.status", "in-use", "available" },
	{ "network-interface.source-dest-check", "true", "false" },
	{ "network-interface.subnet-id", "@SubnetId", "subnet-00000000" },
	{ "network-interface.vpc-id", "@VpcId", "vpc-00000000" },
	{ "outpost-arn", NULL, "arn:*" },
	{ "owner-id", "000000000000", "123456789012" },
	{ "placement-group-name", "", "my-cluster" },
	{ "placement-partition-number", NULL, "1" },
	{ "platform", NULL, "windows" },
	{ "private-dns-name", "@PrivateDnsName", "ip-10-9-9-9.ec2.internal" },
	{ "private-ip-address", "@PrivateIpAddress", "10.9.9.9" },
	{ "product-code", NULL, "abc*" },
	{ "product-code.type", NULL, "devpay" },
	{ "ramdisk-id", NULL, "ari-*" },
	{ "reason", "", "User initiated*" },
	{ "requester-id", NULL, "AIDA*" },
	{ "reservation-id", "@!ReservationId", "r-00000000" },
	{ "root-device-name", "/dev/xvda", "/dev/sda1" },
	{ "root-device-type", "ebs", "instance-store" },
	{ "source-dest-check", "true", "false" },
	{ "spot-instance-request-id", NULL, "sir-*" },
	{ "state-reason-code", NULL, "Client.UserInitiatedShutdown" },
	{ "state-reason-message", NULL, "*shutdown*" },
	{ "subnet-id", "@SubnetId", "subnet-00000000" },
	{ "tag:Name", "web", "db" },
	{ "tag-key", "Name", "Team" },
	{ "tag-value", "w?b", "db" },
	{ "tenancy", "default", "dedicated" },
	{ "virtualization-type", "hvm", "paravirtual" },
	{ "vpc-id", "@VpcId", "vpc-00000000" },
	{ NULL, NULL, NULL },
};

/* Launches count t2.nano instances with extra request members; the first's description. */
static json_object *launch(int count, const char *extra)
{
	json_object *r = ok(ec2_run_instances,
			    J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": %d, "
			      "\"MaxCount\": %d %s}", ami, count, count, extra ? extra : ""));
	json_object *d = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}",
						      at(r, "Instances.0.InstanceId")));

	json_object_put(r);
	return d;
}

START_TEST(every_instance_filter)
{
	struct ec2_error err = { 0 };
	struct frow rows[sizeof(instance_rows) / sizeof(*instance_rows)];
	json_object *d = launch(1, ", \"ClientToken\": \"filters-token\", \"TagSpecifications\": "
				"[{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"Name\", "
				"\"Value\": \"web\"}]}, {\"ResourceType\": \"network-interface\", "
				"\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web-eni\"}]}]"), *other, *r;
	struct subject s = { ec2_describe_instances, "Reservations", NULL, NULL, NULL, NULL };
	char id[32], rid[32];
	size_t i;

	snprintf(id, sizeof(id), "%s", at(d, "Reservations.0.Instances.0.InstanceId"));
	snprintf(rid, sizeof(rid), "%s", at(d, "Reservations.0.ReservationId"));
	other = launch(1, NULL); /* never matches a value below that "web" matches */
	json_object_put(other);
	r = ok(ec2_describe_instances, J("{}")); /* the reconcile pass, before the view loads */
	json_object_put(r);
	s.view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(s.view != NULL, "%s", err.message);
	s.item = json_object_array_get_idx(json_path(json_object_array_get_idx(
		json_path(d, "Reservations"), 0), "Instances"), 0);
	s.id = id;
	/* The reservation's id is not in the Instance: "@!" reads it from the reservation. */
	memcpy(rows, instance_rows, sizeof(rows));
	for (i = 0; rows[i].name; i++)
		if (rows[i].match && strcmp(rows[i].match, "@!ReservationId") == 0)
			rows[i].match = rid;
	/* A filter that names something the instance has must not be satisfied by the other. */
	s.extra = NULL;
	check_table(&s, rows);

	/* Filters are AND'd: one that matches and one that does not, nothing. */
	r = ask(&s, J("{\"Filters\": [{\"Name\": \"instance-id\", \"Values\": [\"%s\"]}, "
		      "{\"Name\": \"instance-type\", \"Values\": [\"m5.large\"]}]}", id));
	ck_assert_uint_eq(list_len(r, "Reservations"), 0);
	json_object_put(r);
	r = ask(&s, J("{\"Filters\": [{\"Name\": \"subnet-id\", \"Values\": [\"subnet-*\"]}, "
		      "{\"Name\": \"tag:Name\", \"Values\": [\"web\"]}]}"));
	ck_assert_uint_eq(list_len(r, "Reservations"), 1);
	ck_assert(names(r, id));
	json_object_put(r);
	/* EC2's wildcards have no bracket classes, and a backslash escapes. */
	r = ask(&s, J("{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"[w]eb\"]}]}"));
	ck_assert_uint_eq(list_len(r, "Reservations"), 0);
	json_object_put(r);
	r = ask(&s, J("{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"w\\\\eb\"]}]}"));
	ck_assert_uint_eq(list_len(r, "Reservations"), 1);
	json_object_put(r);
	/* Names EC2 does not document stay invalid. */
	fails(ec2_describe_instances, J("{\"Filters\": [{\"Name\": \"elastic-ip\", \"Values\": "
		"[\"x\"]}]}"), "InvalidParameterValue", "The filter 'elastic-ip' is invalid");
	api_view_free(s.view);
	json_object_put(d);
}
END_TEST

/* Pages of resp's list, asked with MaxResults page until no NextToken: every item once. */
static void pages_cover(action_fn fn, const char *extra, const char *list, const char *idkey,
			long page, size_t want)
{
	json_object *seen = json_object_new_object();
	char *token = NULL;
	size_t total = 0, rounds = 0;

	do {
		json_object *resp, *l, *tok;
		size_t i;

		resp = ok(fn, token ? J("{\"MaxResults\": %ld, \"NextToken\": \"%s\" %s}", page, token,
					extra ? extra : "")
				    : J("{\"MaxResults\": %ld %s}", page, extra ? extra : ""));
		free(token);
		token = NULL;
		ck_assert(json_object_object_get_ex(resp, list, &l));
		ck_assert_uint_le(json_object_array_length(l), (size_t)page);
		for (i = 0; i < json_object_array_length(l); i++) {
			const char *id = at(json_object_array_get_idx(l, i), idkey);

			ck_assert_msg(!json_object_object_get_ex(seen, id, NULL), "%s twice", id);
			json_object_object_add(seen, id, NULL);
			total++;
		}
		if (json_object_object_get_ex(resp, "NextToken", &tok))
			token = strdup(json_object_get_string(tok));
		json_object_put(resp);
		ck_assert_uint_lt(++rounds, 100);
	} while (token);
	ck_assert_uint_eq(total, want);
	json_object_put(seen);
}

/* MaxResults out of [min, max] and a forged NextToken are refused. */
static void bad_pages(action_fn fn, long min, long max)
{
	fails(fn, J("{\"MaxResults\": %ld}", min - 1), "InvalidParameterValue", NULL);
	fails(fn, J("{\"MaxResults\": %ld}", max + 1), "InvalidParameterValue", NULL);
	fails(fn, J("{\"NextToken\": \"bm90LWEtdG9rZW4=\"}"), "InvalidNextToken", NULL);
	fails(fn, J("{\"NextToken\": \"%%%%\"}"), "InvalidNextToken", NULL);
}

static const struct frow status_rows[] = {
	{ "availability-zone", "@AvailabilityZone", "xx-west-9z" },
	{ "event.code", NULL, "system-reboot" },
	{ "event.description", NULL, "*" },
	{ "event.instance-event-id", NULL, "instance-event-*" },
	{ "event.not-after", NULL, "*" },
	{ "event.not-before", NULL, "*" },
	{ "event.not-before-deadline", NULL, "*" },
	{ "instance-state-code", "16", "80" },
	{ "instance-state-name", "running", "stopped" },
	{ "instance-status.reachability", "passed", "failed" },
	{ "instance-status.status", "ok", "impaired" },
	{ "system-status.reachability", "passed", "failed" },
	{ "system-status.status", "ok", "impaired" },
	{ NULL, NULL, NULL },
};

START_TEST(instance_status_filters_and_pages)
{
	json_object *d = launch(6, NULL), *st;
	struct subject s = { ec2_describe_instance_status, "InstanceStatuses", NULL, NULL, NULL,
			     NULL };
	char id[32];

	snprintf(id, sizeof(id), "%s", at(d, "Reservations.0.Instances.0.InstanceId"));
	st = ok(ec2_describe_instance_status, J("{\"InstanceIds\": [\"%s\"]}", id));
	s.item = json_object_array_get_idx(json_path(st, "InstanceStatuses"), 0);
	s.id = id;
	s.extra = util_strdupf("{\"InstanceIds\": [\"%s\"]}", id);
	check_table(&s, status_rows);
	free((char *)s.extra);
	pages_cover(ec2_describe_instance_status, NULL, "InstanceStatuses", "InstanceId", 5, 6);
	pages_cover(ec2_describe_instance_status, ", \"IncludeAllInstances\": true",
		    "InstanceStatuses", "InstanceId", 5, 6);
	bad_pages(ec2_describe_instance_status, 5, 1000);
	fails(ec2_describe_instance_status, J("{\"InstanceIds\": [\"%s\"], \"MaxResults\": 5}", id),
	      "InvalidParameterCombination", NULL);
	fails(ec2_describe_instance_status, J("{\"Filters\": [{\"Name\": \"tag-key\", \"Values\": "
		"[\"x\"]}]}"), "InvalidParameterValue", "The filter 'tag-key' is invalid");
	json_object_put(st);
	json_object_put(d);
}
END_TEST

START_TEST(instance_pages)
{
	json_object *d = launch(7, NULL);
	struct ec2_error err = { 0 };
	struct api_view *view;
	json_object *first, *req, *tok;

	json_object_put(d);
	d = ok(ec2_describe_instances, J("{}"));
	json_object_put(d);
	/* Instances are paged (not reservations): 7 in one reservation over pages of 5. */
	first = ok(ec2_describe_instances, J("{\"MaxResults\": 5}"));
	ck_assert_uint_eq(json_object_array_length(json_path(json_object_array_get_idx(
		json_path(first, "Reservations"), 0), "Instances")), 5);
	ck_assert(json_object_object_get_ex(first, "NextToken", &tok));
	view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(view != NULL, "%s", err.message);
	req = J("{\"MaxResults\": 5, \"NextToken\": \"%s\"}", json_object_get_string(tok));
	d = ok(ec2_describe_instances, json_object_get(req));
	view_agrees(view, "DescribeInstances", req, d);
	ck_assert_uint_eq(json_object_array_length(json_path(json_object_array_get_idx(
		json_path(d, "Reservations"), 0), "Instances")), 2);
	ck_assert(!json_object_object_get_ex(d, "NextToken", NULL));
	json_object_put(req);
	json_object_put(d);
	json_object_put(first);
	api_view_free(view);
	bad_pages(ec2_describe_instances, 5, 1000);
}
END_TEST

static const struct frow image_rows[] = {
	{ "architecture", "x86_64", "arm64" },
	{ "block-device-mapping.delete-on-termination", "true", "false" },
	{ "block-device-mapping.device-name", "/dev/xvda", "/dev/sdb" },
	{ "block-device-mapping.snapshot-id", "@BlockDeviceMappings.0.Ebs.SnapshotId", "snap-0" },
	{ "block-device-mapping.volume-size", "@BlockDeviceMappings.0.Ebs.VolumeSize", "999" },
	{ "block-device-mapping.volume-type", "gp2", "io1" },
	{ "block-device-mapping.encrypted", "false", "true" },
	{ "creation-date", "@CreationDate", "2001-*" },
	{ "description", NULL, "nothing like it" },
	{ "ena-support", "true", "false" },
	{ "hypervisor", "xen", "ovm" },
	{ "image-id", "@ImageId", "ami-00000000" },
	{ "image-type", "machine", "kernel" },
	{ "is-public", "false", "true" },
	{ "kernel-id", NULL, "aki-*" },
	{ "manifest-location", "*/filters-ami", "*/other" },
	{ "name", "filters-*", "other" },
	{ "owner-alias", NULL, "amazon" },
	{ "owner-id", "000000000000", "123456789012" },
	{ "platform", NULL, "windows" },
	{ "product-code", NULL, "*" },
	{ "product-code.type", NULL, "marketplace" },
	{ "ramdisk-id", NULL, "ari-*" },
	{ "root-device-name", "/dev/xvda", "/dev/sda1" },
	{ "root-device-type", "ebs", "instance-store" },
	{ "state", "available", "failed" },
	{ "state-reason-code", NULL, "*" },
	{ "state-reason-message", NULL, "*" },
	{ "sriov-net-support", "simple", "none" },
	{ "tag-key", "ec2-lite:kernel-entry", "Name" },
	{ "virtualization-type", "hvm", "paravirtual" },
	{ NULL, NULL, NULL },
};

START_TEST(image_filters)
{
	json_object *d = ok(ec2_describe_images, J("{\"ImageIds\": [\"%s\"]}", ami));
	struct subject s = { ec2_describe_images, "Images", NULL, ami, NULL, NULL };
	struct ec2_error err = { 0 };

	s.view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(s.view != NULL, "%s", err.message);
	s.item = json_object_array_get_idx(json_path(d, "Images"), 0);
	check_table(&s, image_rows);
	api_view_free(s.view);
	s.view = NULL;
	json_object_put(d);
	/* Import tasks (none here: an import needs libguestfs): their one filter, their pages. */
	d = ok(ec2_describe_import_image_tasks, J("{\"Filters\": [{\"Name\": \"task-state\", "
						  "\"Values\": [\"completed\"]}], \"MaxResults\": 1}"));
	ck_assert_uint_eq(list_len(d, "ImportImageTasks"), 0);
	json_object_put(d);
	bad_pages(ec2_describe_import_image_tasks, 1, 1000);
	bad_pages(ec2_describe_images, 1, 1000);
}
END_TEST

static const struct frow group_rows[] = {
	{ "description", "web servers", "db servers" },
	{ "egress.ip-permission.cidr", "0.0.0.0/0", "10.0.0.0/8" },
	{ "egress.ip-permission.from-port", NULL, "22" },
	{ "egress.ip-permission.group-id", NULL, "sg-*" },
	{ "egress.ip-permission.group-name", NULL, "*" },
	{ "egress.ip-permission.ipv6-cidr", NULL, "::/0" },
	{ "egress.ip-permission.prefix-list-id", NULL, "pl-*" },
	{ "egress.ip-permission.protocol", "-1", "tcp" },
	{ "egress.ip-permission.to-port", NULL, "22" },
	{ "egress.ip-permission.user-id", NULL, "*" },
	{ "group-id", "@GroupId", "sg-00000000" },
	{ "group-name", "web", "db" },
	{ "ip-permission.cidr", "198.51.100.0/24", "10.0.0.0/8" },
	{ "ip-permission.from-port", "22", "80" },
	{ "ip-permission.group-id", NULL, "sg-*" },
	{ "ip-permission.group-name", NULL, "*" },
	{ "ip-permission.ipv6-cidr", NULL, "::/0" },
	{ "ip-permission.prefix-list-id", NULL, "pl-*" },
	{ "ip-permission.protocol", "tcp", "udp" },
	{ "ip-permission.to-port", "22", "80" },
	{ "ip-permission.user-id", NULL, "*" },
	{ "owner-id", "000000000000", "123456789012" },
	{ "tag:team", "blue", "red" },
	{ "tag-key", "team", "owner" },
	{ "tag-value", "bl*", "red" },
	{ "vpc-id", "@VpcId", "vpc-00000000" },
	{ NULL, NULL, NULL },
};

START_TEST(security_group_filters_pages_and_tags)
{
	json_object *r = ok(ec2_create_security_group,
			    J("{\"GroupName\": \"web\", \"Description\": \"web servers\", "
			      "\"TagSpecifications\": [{\"ResourceType\": \"security-group\", "
			      "\"Tags\": [{\"Key\": \"team\", \"Value\": \"blue\"}]}]}"));
	struct subject s = { ec2_describe_security_groups, "SecurityGroups", NULL, NULL, NULL, NULL };
	struct ec2_error err = { 0 };
	char gid[32];
	json_object *d;
	int i;

	snprintf(gid, sizeof(gid), "%s", at(r, "GroupId"));
	ck_assert_str_eq(at(r, "Tags.0.Value"), "blue");
	json_object_put(r);
	r = ok(ec2_authorize_security_group_ingress,
	       J("{\"GroupId\": \"%s\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": "
		 "22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"198.51.100.0/24\"}]}]}", gid));
	json_object_put(r);
	d = ok(ec2_describe_security_groups, J("{\"GroupIds\": [\"%s\"]}", gid));
	s.item = json_object_array_get_idx(json_path(d, "SecurityGroups"), 0);
	s.id = gid;
	ck_assert_str_eq(at(s.item, "Tags.0.Key"), "team");
	s.view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(s.view != NULL, "%s", err.message);
	check_table(&s, group_rows);
	api_view_free(s.view);
	s.view = NULL;
	json_object_put(d);
	/* The tags are the resource's: DescribeTags lists them. */
	r = ok(ec2_describe_tags, J("{\"Filters\": [{\"Name\": \"resource-id\", \"Values\": "
				    "[\"%s\"]}]}", gid));
	ck_assert_str_eq(at(r, "Tags.0.ResourceType"), "security-group");
	ck_assert_str_eq(at(r, "Tags.0.Value"), "blue");
	json_object_put(r);
	/* A type CreateSecurityGroup does not tag: refused, and nothing is made. */
	fails(ec2_create_security_group,
	      J("{\"GroupName\": \"db\", \"Description\": \"db\", \"TagSpecifications\": "
		"[{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}]}"),
	      "InvalidParameterValue",
	      "'instance' is not a valid taggable resource type for this operation.");
	fails(ec2_describe_security_groups, J("{\"GroupNames\": [\"db\"]}"), "InvalidGroup.NotFound",
	      NULL);
	for (i = 0; i < 10; i++) {
		r = ok(ec2_create_security_group, J("{\"GroupName\": \"g%d\", \"Description\": \"g\"}",
						    i));
		json_object_put(r);
	}
	/* default, web and ten more */
	pages_cover(ec2_describe_security_groups, NULL, "SecurityGroups", "GroupId", 5, 12);
	bad_pages(ec2_describe_security_groups, 5, 1000);
	fails(ec2_describe_security_groups, J("{\"GroupIds\": [\"%s\"], \"MaxResults\": 5}", gid),
	      "InvalidParameterCombination", NULL);
}
END_TEST

static const struct frow key_rows[] = {
	{ "key-pair-id", "@KeyPairId", "key-00000000" },
	{ "fingerprint", "@KeyFingerprint", "00:11" },
	{ "key-name", "ops*", "dev" },
	{ "tag:env", "prod", "test" },
	{ "tag-key", "env", "team" },
	{ "tag-value", "prod", "test" },
	{ NULL, NULL, NULL },
};

START_TEST(key_pair_filters_and_tags)
{
	json_object *r = ok(ec2_create_key_pair,
			    J("{\"KeyName\": \"ops\", \"KeyType\": \"ed25519\", \"TagSpecifications\": "
			      "[{\"ResourceType\": \"key-pair\", \"Tags\": [{\"Key\": \"env\", "
			      "\"Value\": \"prod\"}]}]}"));
	struct subject s = { ec2_describe_key_pairs, "KeyPairs", NULL, NULL, NULL, NULL };
	char id[32];
	json_object *d;

	snprintf(id, sizeof(id), "%s", at(r, "KeyPairId"));
	ck_assert_str_eq(at(r, "Tags.0.Key"), "env");
	json_object_put(r);
	r = ok(ec2_create_key_pair, J("{\"KeyName\": \"dev2\", \"KeyType\": \"ed25519\"}"));
	json_object_put(r);
	d = ok(ec2_describe_key_pairs, J("{\"KeyPairIds\": [\"%s\"]}", id));
	ck_assert_uint_eq(list_len(d, "KeyPairs"), 1);
	s.item = json_object_array_get_idx(json_path(d, "KeyPairs"), 0);
	s.id = id;
	ck_assert_str_eq(at(s.item, "Tags.0.Value"), "prod");
	check_table(&s, key_rows);
	json_object_put(d);
	r = ok(ec2_describe_tags, J("{\"Filters\": [{\"Name\": \"resource-type\", \"Values\": "
				    "[\"key-pair\"]}]}"));
	ck_assert_uint_eq(list_len(r, "Tags"), 1);
	ck_assert_str_eq(at(r, "Tags.0.ResourceId"), id);
	json_object_put(r);
	/* CreateTags and DeleteTags know key pairs by id. */
	r = ok(ec2_create_tags, J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"team\", "
				  "\"Value\": \"ops\"}]}", id));
	json_object_put(r);
	d = ok(ec2_describe_key_pairs, J("{\"Filters\": [{\"Name\": \"tag:team\", \"Values\": "
					 "[\"ops\"]}]}"));
	ck_assert_uint_eq(list_len(d, "KeyPairs"), 1);
	json_object_put(d);
	fails(ec2_create_tags, J("{\"Resources\": [\"key-0123456789abcdef0\"], \"Tags\": "
				 "[{\"Key\": \"a\", \"Value\": \"b\"}]}"), "InvalidKeyPair.NotFound",
	      NULL);
	fails(ec2_describe_key_pairs, J("{\"KeyPairIds\": [\"key-0123456789abcdef0\"]}"),
	      "InvalidKeyPair.NotFound", NULL);
	fails(ec2_create_key_pair, J("{\"KeyName\": \"x\", \"TagSpecifications\": [{\"ResourceType\": "
				     "\"image\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}]}"),
	      "InvalidParameterValue",
	      "'image' is not a valid taggable resource type for this operation.");
	fails(ec2_describe_key_pairs, J("{\"KeyNames\": [\"x\"]}"), "InvalidKeyPair.NotFound", NULL);
	fails(ec2_describe_key_pairs, J("{\"Filters\": [{\"Name\": \"key-type\", \"Values\": "
		"[\"rsa\"]}]}"), "InvalidParameterValue", "The filter 'key-type' is invalid");
}
END_TEST

static const struct frow tag_rows[] = {
	{ "key", "Name", "Team" },
	{ "value", "w*", "db" },
	{ "resource-id", "@ResourceId", "i-00000000" },
	{ "resource-type", "instance", "image" },
	{ NULL, NULL, NULL },
};

START_TEST(tag_filters_and_pages)
{
	json_object *d = launch(1, ", \"TagSpecifications\": [{\"ResourceType\": \"instance\", "
				"\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}]"), *t;
	struct subject s = { ec2_describe_tags, "Tags", NULL, NULL, NULL, NULL };
	char id[32];
	int i;

	snprintf(id, sizeof(id), "%s", at(d, "Reservations.0.Instances.0.InstanceId"));
	t = ok(ec2_describe_tags, J("{}"));
	ck_assert_uint_eq(list_len(t, "Tags"), 1);
	s.item = json_object_array_get_idx(json_path(t, "Tags"), 0);
	s.id = id;
	check_table(&s, tag_rows);
	for (i = 0; i < 11; i++) {
		json_object *r = ok(ec2_create_tags, J("{\"Resources\": [\"%s\"], \"Tags\": "
						       "[{\"Key\": \"k%d\", \"Value\": \"v\"}]}", id, i));

		json_object_put(r);
	}
	pages_cover(ec2_describe_tags, NULL, "Tags", "Key", 5, 12);
	fails(ec2_describe_tags, J("{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": "
		"[\"web\"]}]}"), "InvalidParameterValue", "The filter 'tag:Name' is invalid");
	bad_pages(ec2_describe_tags, 5, 1000);
	json_object_put(t);
	json_object_put(d);
}
END_TEST

static const struct frow type_rows[] = {
	{ "auto-recovery-supported", "true", "false" },
	{ "bare-metal", "false", "true" },
	{ "burstable-performance-supported", "true", "false" },
	{ "current-generation", "true", "false" },
	{ "ebs-info.ebs-optimized-support", "unsupported", "default" },
	{ "ebs-info.encryption-support", "supported", "unsupported" },
	{ "ebs-info.nvme-support", "unsupported", "required" },
	{ "free-tier-eligible", "false", "true" },
	{ "hibernation-supported", "true", "false" },
	{ "hypervisor", "xen", "nitro" },
	{ "instance-storage-supported", "false", "true" },
	{ "instance-storage-info.disk.count", NULL, "1" },
	{ "instance-storage-info.disk.size-in-gb", NULL, "*" },
	{ "instance-storage-info.disk.type", NULL, "ssd" },
	{ "instance-storage-info.encryption-support", NULL, "required" },
	{ "instance-storage-info.nvme-support", NULL, "required" },
	{ "instance-storage-info.total-size-in-gb", NULL, "*" },
	{ "instance-type", "t2.na*", "t3.*" },
	{ "memory-info.size-in-mib", "512", "1024" },
	{ "network-info.ena-support", "unsupported", "required" },
	{ "network-info.maximum-network-interfaces", "2", "8" },
	{ "network-info.network-performance", "Low", "High" },
	{ "processor-info.supported-architecture", "x86_64", "arm64" },
	{ "processor-info.sustained-clock-speed-in-ghz", "2.3", "3.1" },
	{ "supported-boot-mode", "uefi", "none" },
	{ "supported-root-device-type", "ebs", "instance-store" },
	{ "supported-usage-class", "spot", "capacity-block" },
	{ "supported-virtualization-type", "hvm", "paravirtual" },
	{ "vcpu-info.default-cores", "1", "64" },
	{ "vcpu-info.default-threads-per-core", "1", "4" },
	{ "vcpu-info.default-vcpus", "1", "96" },
	{ "vcpu-info.valid-cores", "1", "64" },
	{ "vcpu-info.valid-threads-per-core", "1", "4" },
	{ NULL, NULL, NULL },
};

START_TEST(instance_type_filters_and_pages)
{
	json_object *d = ok(ec2_describe_instance_types, J("{\"InstanceTypes\": [\"t2.nano\"]}")), *all;
	struct subject s = { ec2_describe_instance_types, "InstanceTypes", NULL, "t2.nano",
			     "{\"InstanceTypes\": [\"t2.nano\"]}", NULL };

	s.item = json_object_array_get_idx(json_path(d, "InstanceTypes"), 0);
	check_table(&s, type_rows);
	all = ok(ec2_describe_instance_types, J("{}"));
	pages_cover(ec2_describe_instance_types, NULL, "InstanceTypes", "InstanceType", 5,
		    list_len(all, "InstanceTypes"));
	bad_pages(ec2_describe_instance_types, 5, 100);
	/* Types carry no tags: EC2 documents no tag filter for them. */
	fails(ec2_describe_instance_types, J("{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": "
		"[\"x\"]}]}"), "InvalidParameterValue", "The filter 'tag:Name' is invalid");
	json_object_put(all);
	json_object_put(d);
}
END_TEST

START_TEST(filter_wildcards)
{
	ck_assert(filter_wildcard("*", ""));
	ck_assert(filter_wildcard("a*c", "abbbc"));
	ck_assert(filter_wildcard("a?c", "abc"));
	ck_assert(!filter_wildcard("a?c", "ac"));
	ck_assert(filter_wildcard("[a]", "[a]"));
	ck_assert(!filter_wildcard("[a]", "a"));
	ck_assert(filter_wildcard("a\\*", "a*"));
	ck_assert(!filter_wildcard("a\\*", "ab"));
	ck_assert(filter_wildcard("*\\?", "what?"));
	ck_assert(!filter_wildcard("abc", "abcd"));
	ck_assert(filter_wildcard("*b*", "abc"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("filters");
	TCase *tc = tcase_create("filters");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_instance_filter);
	tcase_add_test(tc, instance_status_filters_and_pages);
	tcase_add_test(tc, instance_pages);
	tcase_add_test(tc, image_filters);
	tcase_add_test(tc, security_group_filters_pages_and_tags);
	tcase_add_test(tc, key_pair_filters_and_tags);
	tcase_add_test(tc, tag_filters_and_pages);
	tcase_add_test(tc, instance_type_filters_and_pages);
	tcase_add_test(tc, filter_wildcards);
	suite_add_tcase(s, tc);
	return test_run(s);
}

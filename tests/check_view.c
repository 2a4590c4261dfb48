/* The API server's view of instances, images and security groups (src/api/view.c), in-process
 * against libvirt's test:///default driver: for the same state it answers DescribeInstances,
 * DescribeImages and DescribeSecurityGroups as the model does, to the byte (JSON and EC2's XML;
 * filters, ids, owners, names, pages, DryRun, errors); the server's own writes are in it before
 * they are answered; domain events reload what changed behind its back and a resync the store's
 * changes by other processes; and it never reads libvirt or the store per request (a change
 * nobody reported stays out until the next reload). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/view.h"
#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/image.h"
#include "ec2lite/imagejob.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *dir;
static char ami[32];

/* Calls an action (by its EC2 name) that must succeed; with view, as the server does: the view
 * learns of the write before the answer. */
static json_object *call(struct api_view *view, const char *action, json_object *req)
{
	struct ec2_error err = { 0 };
	json_object *resp;

	pthread_mutex_lock(&lock);
	resp = ec2_action(action)(&ctx, req, &err);
	if (view)
		api_view_written(view, action, req, resp);
	pthread_mutex_unlock(&lock);
	ck_assert_msg(resp != NULL, "%s: %s: %s", action, err.code, err.message);
	json_object_put(req);
	return resp;
}

static const char *str(json_object *o, const char *path)
{
	json_object *v = json_path(o, path);

	return v ? json_object_get_string(v) : NULL;
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "view-ami", ami);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

/* Launches count instances (extra: more request members) and writes their ids into ids. */
static void run(struct api_view *view, int count, const char *extra, char ids[][32])
{
	json_object *r = call(view, "RunInstances",
			      J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": %d, "
				"\"MaxCount\": %d %s}", ami, count, count, extra ? extra : ""));
	json_object *list = json_path(r, "Instances");
	int i;

	for (i = 0; i < count; i++)
		snprintf(ids[i], 32, "%s", str(json_object_array_get_idx(list, (size_t)i), "InstanceId"));
	json_object_put(r);
}

static char *text(json_object *o)
{
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The view's answer to req (action's) is the model's: the same JSON text, the same XML (twice:
 * the second time from a copy of the snapshot that the first answer read), or the same error.
 * Returns the model's answer (NULL: it failed), for a caller that follows its NextToken. */
static json_object *same_answer_of(struct api_view *view, const char *action, const char *reqtext)
{
	const struct api_action *a = api_action_find(action);
	const char *rid = "12345678-90ab-4cde-8f01-23456789abcd";
	struct ec2_error em = { 0 }, ev = { 0 };
	json_object *req = json_tokener_parse(reqtext), *m, *v;
	char *mt, *vt, *mx = NULL, *vx;
	size_t ml = 0, vl = 0;
	int round;

	ck_assert_msg(req != NULL, "bad test JSON: %s", reqtext);
	pthread_mutex_lock(&lock);
	m = ec2_action(action)(&ctx, req, &em);
	pthread_mutex_unlock(&lock);
	v = api_view_describe(view, action, req, &ev);
	ck_assert_msg((m == NULL) == (v == NULL), "%s %s: model %s, view %s", action, reqtext,
		      m ? "answers" : em.code, v ? "answers" : ev.code);
	if (!m) {
		ck_assert_str_eq(em.code, ev.code);
		ck_assert_str_eq(em.message, ev.message);
	} else {
		mt = text(m);
		vt = text(v);
		ck_assert_msg(strcmp(mt, vt) == 0, "%s %s:\nmodel %s\nview %s", action, reqtext, mt,
			      vt);
		free(mt);
		free(vt);
		mx = api_response_xml(a, m, rid, &ml);
	}
	for (round = 0; round < 2; round++) {
		memset(&ev, 0, sizeof(ev));
		vx = api_view_describe_xml(view, a, req, rid, &vl, &ev);
		ck_assert_msg((mx == NULL) == (vx == NULL), "%s %s: XML: model %s, view %s", action,
			      reqtext, mx ? "answers" : em.code, vx ? "answers" : ev.code);
		if (mx) {
			ck_assert_uint_eq(ml, vl);
			ck_assert_str_eq(mx, vx);
		} else {
			ck_assert_str_eq(em.code, ev.code);
			ck_assert_str_eq(em.message, ev.message);
		}
		free(vx);
	}
	free(mx);
	json_object_put(v);
	json_object_put(req);
	return m;
}

static void same_answer(struct api_view *view, const char *reqtext)
{
	json_object_put(same_answer_of(view, "DescribeInstances", reqtext));
}

/* Requests whose answers must agree: everything, by id, filters, pages, DryRun, errors. */
static void same_answers(struct api_view *view, char ids[][32], int n)
{
	char *q;
	int i;

	same_answer(view, "{}");
	same_answer(view, "{\"DryRun\": true}");
	same_answer(view, "{\"DryRun\": \"maybe\"}");
	same_answer(view, "{\"MaxResults\": 5}");
	same_answer(view, "{\"MaxResults\": 2}");
	same_answer(view, "{\"MaxResults\": 1001}");
	same_answer(view, "{\"NextToken\": \"bogus\"}");
	same_answer(view, "{\"Filters\": [{\"Name\": \"instance-state-name\", \"Values\": "
		    "[\"stopped\", \"terminated\"]}]}");
	same_answer(view, "{\"Filters\": [{\"Name\": \"instance-state-code\", \"Values\": [\"16\"]}]}");
	same_answer(view, "{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"web*\"]}]}");
	same_answer(view, "{\"Filters\": [{\"Name\": \"tag-key\", \"Values\": [\"team\"]}]}");
	same_answer(view, "{\"Filters\": [{\"Name\": \"no-such-filter\", \"Values\": [\"x\"]}]}");
	same_answer(view, "{\"InstanceIds\": [\"i-nonsense\"]}");
	same_answer(view, "{\"InstanceIds\": [\"i-0123456789abcdef0\", \"i-0123456789abcdef1\"]}");
	for (i = 0; i < n; i++) {
		q = util_strdupf("{\"InstanceIds\": [\"%s\", \"%s\", \"%s\"]}", ids[i], ids[(i + 1) % n],
				 ids[i]);
		same_answer(view, q);
		free(q);
		q = util_strdupf("{\"InstanceIds\": [\"%s\"], \"MaxResults\": 5}", ids[i]);
		same_answer(view, q);
		free(q);
		q = util_strdupf("{\"InstanceIds\": [\"%s\", \"i-0123456789abcdef0\"]}", ids[i]);
		same_answer(view, q);
		free(q);
	}
}

START_TEST(view_answers_as_the_model)
{
	char web[3][32], db[3][32], all[6][32];
	struct ec2_error err = { 0 };
	struct api_view *view;
	json_object *r;
	int i;

	run(NULL, 3, ", \"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": "
	    "[{\"Key\": \"Name\", \"Value\": \"web\"}]}]", web);
	run(NULL, 3, NULL, db);
	r = call(NULL, "StopInstances", J("{\"InstanceIds\": [\"%s\"]}", web[1]));
	json_object_put(r);
	/* Two terminated in one reservation: their order must not depend on the listing's. */
	r = call(NULL, "TerminateInstances", J("{\"InstanceIds\": [\"%s\", \"%s\"]}", db[2], db[0]));
	json_object_put(r);
	r = call(NULL, "CreateTags", J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"team\", "
				       "\"Value\": \"data\"}]}", db[1]));
	json_object_put(r);
	for (i = 0; i < 3; i++) {
		memcpy(all[i], web[i], 32);
		memcpy(all[3 + i], db[i], 32);
	}
	/* The model's describe makes a reconcile pass first: one before the view is loaded. */
	r = call(NULL, "DescribeInstances", J("{}"));
	json_object_put(r);
	view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(view != NULL, "%s", err.message);
	same_answers(view, all, 6);
	api_view_free(view);
}
END_TEST

START_TEST(writes_are_in_the_view_before_their_answer)
{
	char a[2][32], b[1][32], all[3][32];
	struct ec2_error err = { 0 };
	struct api_view *view = api_view_new(&ctx, &lock, &err);
	json_object *r, *req;
	unsigned long g;

	ck_assert_msg(view != NULL, "%s", err.message);
	same_answers(view, NULL, 0);
	run(view, 2, NULL, a);
	memcpy(all[0], a[0], 32);
	memcpy(all[1], a[1], 32);
	same_answers(view, all, 2);
	r = call(view, "StopInstances", J("{\"InstanceIds\": [\"%s\"]}", a[0]));
	json_object_put(r);
	same_answers(view, all, 2);
	r = call(view, "CreateTags", J("{\"Resources\": [\"%s\", \"%s\"], \"Tags\": [{\"Key\": \"Name\", "
				       "\"Value\": \"web-1\"}]}", a[0], ami));
	json_object_put(r);
	same_answers(view, all, 2);
	r = call(view, "StartInstances", J("{\"InstanceIds\": [\"%s\"]}", a[0]));
	json_object_put(r);
	same_answers(view, all, 2);
	r = call(view, "TerminateInstances", J("{\"InstanceIds\": [\"%s\"]}", a[1]));
	json_object_put(r);
	same_answers(view, all, 2);
	/* A read changes nothing: no new snapshot. */
	g = api_view_generation(view);
	r = call(view, "DescribeInstances", J("{}"));
	json_object_put(r);
	ck_assert_uint_eq(api_view_generation(view), g);
	/* A launch the view was not told of stays out of it: it reads no domain per request. */
	run(NULL, 1, NULL, b);
	req = json_object_new_object();
	r = api_view_describe(view, "DescribeInstances", req, &err);
	ck_assert_ptr_null(strstr(json_object_to_json_string(r), b[0]));
	json_object_put(r);
	json_object_put(req);
	memcpy(all[2], b[0], 32);
	/* Told of it (as a domain event does), it reloads it. */
	r = call(view, "CreateTags", J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"k\", "
				       "\"Value\": \"v\"}]}", b[0]));
	json_object_put(r);
	same_answers(view, all, 3);
	api_view_free(view);
}
END_TEST

/* An Elastic IP that moves changes an instance the request does not name: the view has both. */
START_TEST(elastic_ip_moves_are_in_the_view)
{
	char a[2][32], alloc[32], ip[16];
	struct ec2_error err = { 0 };
	struct api_view *view = api_view_new(&ctx, &lock, &err);
	json_object *r;

	ck_assert_msg(view != NULL, "%s", err.message);
	run(view, 2, NULL, a);
	r = call(view, "AllocateAddress", J("{}"));
	snprintf(alloc, sizeof(alloc), "%s", str(r, "AllocationId"));
	snprintf(ip, sizeof(ip), "%s", str(r, "PublicIp"));
	json_object_put(r);
	r = call(view, "AssociateAddress", J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}",
					     alloc, a[0]));
	json_object_put(r);
	same_answers(view, a, 2);
	r = call(view, "AssociateAddress", J("{\"AllocationId\": \"%s\", \"InstanceId\": \"%s\"}",
					     alloc, a[1]));
	json_object_put(r);
	same_answers(view, a, 2);
	r = call(view, "DisassociateAddress", J("{\"PublicIp\": \"%s\"}", ip));
	json_object_put(r);
	same_answers(view, a, 2);
	api_view_free(view);
}
END_TEST

static atomic_int loop_stop;

static void *event_loop(void *opaque)
{
	(void)opaque;
	while (!loop_stop)
		virEventRunDefaultImpl();
	return NULL;
}

/* Whether the view says instance id is in state (waiting up to 1.5 s, less than a reload's
 * period: only an event can bring it so soon). */
static bool view_says(struct api_view *view, const char *id, const char *want)
{
	struct ec2_error err = { 0 };
	double until = util_monotonic() + 1.5;
	bool seen = false;

	while (!seen && util_monotonic() < until) {
		json_object *req = J("{\"InstanceIds\": [\"%s\"]}", id);
		json_object *r = api_view_describe(view, "DescribeInstances", req, &err);

		json_object *res, *inst;

		ck_assert_ptr_nonnull(r);
		res = json_object_array_get_idx(json_path(r, "Reservations"), 0);
		inst = json_object_array_get_idx(json_path(res, "Instances"), 0);
		seen = inst && strcmp(str(inst, "State.Name"), want) == 0;
		json_object_put(r);
		json_object_put(req);
		if (!seen)
			util_sleep_ms(20);
	}
	return seen;
}

START_TEST(events_reload_what_changed_behind_its_back)
{
	char a[1][32];
	struct ec2_error err = { 0 };
	struct api_view *view;
	virDomainPtr dom;
	pthread_t loop;

	run(NULL, 1, NULL, a);
	view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(view != NULL, "%s", err.message);
	loop_stop = 0;
	ck_assert_int_eq(pthread_create(&loop, NULL, event_loop, NULL), 0);
	api_view_start(view);
	ck_assert(view_says(view, a[0], "running"));
	/* The guest powers itself off: libvirt's lifecycle event, nobody's write. */
	pthread_mutex_lock(&lock);
	dom = virDomainLookupByName(ctx.conn, a[0]);
	ck_assert_int_eq(virDomainShutdown(dom), 0);
	virDomainFree(dom);
	pthread_mutex_unlock(&lock);
	ck_assert_msg(view_says(view, a[0], "stopped"), "no lifecycle event reloaded %s", a[0]);
	api_view_stop(view);
	loop_stop = 1;
	pthread_join(loop, NULL);
	api_view_free(view);
}
END_TEST

/* Whether the view describes instance id at all (its plain answer names it). */
static bool view_has(struct api_view *view, const char *id)
{
	struct ec2_error err = { 0 };
	json_object *req = json_object_new_object();
	json_object *r = api_view_describe(view, "DescribeInstances", req, &err);
	bool has;

	ck_assert_ptr_nonnull(r);
	has = strstr(json_object_to_json_string(r), id) != NULL;
	json_object_put(r);
	json_object_put(req);
	return has;
}

/* libvirt failing (its connection gone) is not the instance gone: a reload that cannot read an
 * instance keeps what the view had. A zeroed object is no connection to libvirt, which answers
 * VIR_ERR_INVALID_CONN for it, as it answers an error for a connection that dropped. */
START_TEST(libvirt_failing_keeps_the_view)
{
	static char no_conn[4096];
	char a[1][32];
	struct ec2_error err = { 0 };
	struct api_view *view;
	virConnectPtr conn;
	json_object *req;

	run(NULL, 1, NULL, a);
	view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(view != NULL, "%s", err.message);
	ck_assert(view_has(view, a[0]));
	pthread_mutex_lock(&lock);
	conn = ctx.conn;
	ctx.conn = (virConnectPtr)no_conn;
	/* A write that failed (no answer) still reloads what it named. */
	req = J("{\"InstanceIds\": [\"%s\"]}", a[0]);
	api_view_written(view, "StopInstances", req, NULL);
	json_object_put(req);
	ctx.conn = conn;
	pthread_mutex_unlock(&lock);
	ck_assert_msg(view_has(view, a[0]), "a libvirt error dropped %s from the view", a[0]);
	api_view_free(view);
}
END_TEST

/* A write whose reload failed (libvirt failing just then) is answered all the same: the view
 * reloads everything at once after it, not a whole period later. */
START_TEST(a_failed_reload_after_a_write_is_retried_at_once)
{
	static char no_conn[4096];
	char b[1][32];
	struct ec2_error err = { 0 };
	struct api_view *view;
	virConnectPtr conn;
	json_object *req, *resp;
	double until;
	bool seen = false;

	view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(view != NULL, "%s", err.message);
	api_view_start(view);
	run(NULL, 1, NULL, b); /* the view is not told of it */
	pthread_mutex_lock(&lock);
	conn = ctx.conn;
	ctx.conn = (virConnectPtr)no_conn;
	req = J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}",
		b[0]);
	resp = json_object_new_object(); /* the write succeeded */
	api_view_written(view, "CreateTags", req, resp);
	json_object_put(resp);
	json_object_put(req);
	ctx.conn = conn;
	pthread_mutex_unlock(&lock);
	/* Well within VIEW_RESYNC_MS: only the retry can bring it. */
	for (until = util_monotonic() + 1.0; !seen && util_monotonic() < until; util_sleep_ms(20))
		seen = view_has(view, b[0]);
	ck_assert_msg(seen, "the failed reload after a write was not retried");
	api_view_free(view);
}
END_TEST

/* Every page of action's answer by pages of page, each token followed as a client follows it. */
static void same_pages(struct api_view *view, const char *action, int page)
{
	char *token = NULL, *q;
	json_object *m, *t;

	do {
		q = token ? util_strdupf("{\"MaxResults\": %d, \"NextToken\": \"%s\"}", page, token)
			  : util_strdupf("{\"MaxResults\": %d}", page);
		m = same_answer_of(view, action, q);
		ck_assert_msg(m != NULL, "%s %s failed", action, q);
		free(q);
		free(token);
		token = json_object_object_get_ex(m, "NextToken", &t) ?
			strdup(json_object_get_string(t)) : NULL;
		json_object_put(m);
	} while (token);
}

static void same_image(struct api_view *view, const char *fmt, ...)
{
	va_list ap;
	char *q;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&q, fmt, ap), 0);
	va_end(ap);
	json_object_put(same_answer_of(view, "DescribeImages", q));
	free(q);
}

static void same_group(struct api_view *view, const char *fmt, ...)
{
	va_list ap;
	char *q;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&q, fmt, ap), 0);
	va_end(ap);
	json_object_put(same_answer_of(view, "DescribeSecurityGroups", q));
	free(q);
}

/* DescribeImages' requests whose answers must agree: all, owners, filters, pages, DryRun, errors,
 * and by each of ids (n of them; deregistered ones among them are not found). */
static void same_image_answers(struct api_view *view, char ids[][32], int n)
{
	int i;

	same_image(view, "{}");
	same_image(view, "{\"DryRun\": true}");
	same_image(view, "{\"DryRun\": \"maybe\"}");
	same_image(view, "{\"Owners\": [\"self\"]}");
	same_image(view, "{\"Owners\": [\"amazon\"]}");
	same_image(view, "{\"Owners\": [\"%s\"]}", cfg.owner_id);
	same_image(view, "{\"Owners\": [\"self\", \"amazon\"], \"DryRun\": true}");
	same_image(view, "{\"Owners\": [\"123456789012\"]}");
	same_image(view, "{\"Filters\": [{\"Name\": \"name\", \"Values\": [\"copy-*\"]}]}");
	same_image(view, "{\"Filters\": [{\"Name\": \"state\", \"Values\": [\"pending\", \"failed\"]}]}");
	same_image(view, "{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"web\"]}]}");
	same_image(view, "{\"Filters\": [{\"Name\": \"tag-key\", \"Values\": [\"ec2-lite:*\"]}]}");
	same_image(view, "{\"Filters\": [{\"Name\": \"is-public\", \"Values\": [\"true\"]}]}");
	same_image(view, "{\"Filters\": [{\"Name\": \"no-such-filter\", \"Values\": [\"x\"]}]}");
	same_image(view, "{\"ImageIds\": [\"ami-nonsense\"]}");
	same_image(view, "{\"ImageIds\": [\"ami-0123456789abcdef0\"]}");
	same_image(view, "{\"MaxResults\": 0}");
	same_image(view, "{\"MaxResults\": 1001}");
	same_image(view, "{\"NextToken\": \"bogus\"}");
	same_pages(view, "DescribeImages", 2);
	for (i = 0; i < n; i++) {
		same_image(view, "{\"ImageIds\": [\"%s\", \"%s\", \"%s\"]}", ids[i], ids[(i + 1) % n],
			   ids[i]);
		same_image(view, "{\"ImageIds\": [\"%s\"], \"MaxResults\": 5}", ids[i]);
		same_image(view, "{\"ImageIds\": [\"%s\", \"ami-0123456789abcdef0\"]}", ids[i]);
		same_image(view, "{\"ImageIds\": [\"%s\"], \"Owners\": [\"amazon\"]}", ids[i]);
	}
}

/* DescribeSecurityGroups' requests whose answers must agree: all, names, filters, pages, DryRun,
 * errors, and by each of ids (n of them) and names. */
static void same_group_answers(struct api_view *view, char ids[][32], char names[][32], int n)
{
	int i;

	same_group(view, "{}");
	same_group(view, "{\"DryRun\": true}");
	same_group(view, "{\"GroupNames\": [\"default\"]}");
	same_group(view, "{\"GroupNames\": [\"nope\"]}");
	same_group(view, "{\"GroupIds\": [\"sg-nonsense\"]}");
	same_group(view, "{\"GroupIds\": [\"sg-0123456789abcdef0\"]}");
	same_group(view, "{\"Filters\": [{\"Name\": \"group-name\", \"Values\": [\"w*\"]}]}");
	same_group(view, "{\"Filters\": [{\"Name\": \"ip-permission.from-port\", \"Values\": "
		   "[\"22\"]}]}");
	same_group(view, "{\"Filters\": [{\"Name\": \"ip-permission.cidr\", \"Values\": "
		   "[\"10.0.0.0/8\"]}, {\"Name\": \"ip-permission.protocol\", \"Values\": [\"tcp\"]}]}");
	same_group(view, "{\"Filters\": [{\"Name\": \"egress.ip-permission.cidr\", \"Values\": "
		   "[\"0.0.0.0/0\"]}]}");
	same_group(view, "{\"Filters\": [{\"Name\": \"tag:team\", \"Values\": [\"data\"]}]}");
	same_group(view, "{\"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"vpc-*\"]}]}");
	same_group(view, "{\"Filters\": [{\"Name\": \"no-such-filter\", \"Values\": [\"x\"]}]}");
	same_group(view, "{\"MaxResults\": 4}");
	same_group(view, "{\"NextToken\": \"bogus\"}");
	same_pages(view, "DescribeSecurityGroups", 5);
	for (i = 0; i < n; i++) {
		same_group(view, "{\"GroupIds\": [\"%s\", \"%s\", \"%s\"]}", ids[i], ids[(i + 1) % n],
			   ids[i]);
		same_group(view, "{\"GroupIds\": [\"%s\"], \"GroupNames\": [\"default\"]}", ids[i]);
		same_group(view, "{\"GroupIds\": [\"%s\"], \"MaxResults\": 5}", ids[i]);
		same_group(view, "{\"GroupNames\": [\"%s\"], \"MaxResults\": 5}", names[i]);
		same_group(view, "{\"GroupNames\": [\"%s\", \"default\"]}", names[i]);
	}
}

/* A new image copied from the fixture's AMI (through view, when not NULL) into id. */
static void copy_image(struct api_view *view, const char *name, char id[32])
{
	json_object *r = call(view, "CopyImage", J("{\"SourceImageId\": \"%s\", \"Name\": \"%s\", "
						   "\"Description\": \"a copy\"}", ami, name));

	snprintf(id, 32, "%s", str(r, "ImageId"));
	json_object_put(r);
}

/* A new group (through view, when not NULL) named name into id. */
static void create_group(struct api_view *view, const char *name, char id[32])
{
	json_object *r = call(view, "CreateSecurityGroup",
			      J("{\"GroupName\": \"%s\", \"Description\": \"the %s group\", "
				"\"TagSpecifications\": [{\"ResourceType\": \"security-group\", "
				"\"Tags\": [{\"Key\": \"Name\", \"Value\": \"%s\"}]}]}", name, name,
				name));

	snprintf(id, 32, "%s", str(r, "GroupId"));
	json_object_put(r);
}

/* A pending image whose job is claimed, as CreateImage's is while its worker works, into id;
 * returns the claim: closing it is the worker dying. */
static int pending_image(const char *name, char id[32])
{
	struct ec2_error err = { 0 };
	struct image_source src = { .name = name, .id = id };
	char got[EC2_ID_MAX];
	int claim;

	ck_assert_int_eq(ec2_id_new("ami", id, &err), 0);
	pthread_mutex_lock(&lock);
	claim = ec2_image_job_claim(&ctx, id, &err);
	ck_assert_msg(claim >= 0, "%s", err.message);
	ck_assert_msg(image_reserve(&ctx, &src, 0, NULL, got, &err) == 0, "%s", err.message);
	pthread_mutex_unlock(&lock);
	ck_assert_str_eq(got, id);
	return claim;
}

/* The fixture's AMI, two copies (one tagged), a deregistered one, a Quick Start one (owner
 * alias amazon) and a pending one (its claim in *claim); four groups besides the default one,
 * with rules and tags. ids and gids get the images' and groups' ids, names the groups' names. */
static void make_images_and_groups(char ids[6][32], int *claim, char gids[4][32],
				   char names[4][32])
{
	struct ec2_error err = { 0 };
	char *disk = util_strdupf("%s/disk.raw", dir);
	struct image_source quick = { .name = "quick-start", .owner_alias = "amazon", .disk = disk };
	json_object *r;
	int i;

	memcpy(ids[0], ami, 32);
	copy_image(NULL, "copy-one", ids[1]);
	copy_image(NULL, "copy-two", ids[2]);
	copy_image(NULL, "copy-gone", ids[3]);
	r = call(NULL, "CreateTags", J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"Name\", "
				       "\"Value\": \"web\"}]}", ids[1]));
	json_object_put(r);
	r = call(NULL, "DeregisterImage", J("{\"ImageId\": \"%s\"}", ids[3]));
	json_object_put(r);
	pthread_mutex_lock(&lock);
	r = image_add(&ctx, &quick, &err);
	pthread_mutex_unlock(&lock);
	ck_assert_msg(r != NULL, "%s", err.message);
	snprintf(ids[4], 32, "%s", str(r, "ImageId"));
	json_object_put(r);
	free(disk);
	*claim = pending_image("in-the-works", ids[5]);

	for (i = 0; i < 4; i++) {
		snprintf(names[i], 32, "%s", (const char *[]){ "web", "db", "ops", "cache" }[i]);
		create_group(NULL, names[i], gids[i]);
	}
	r = call(NULL, "AuthorizeSecurityGroupIngress",
		 J("{\"GroupId\": \"%s\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": "
		   "22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\", \"Description\": "
		   "\"ssh\"}]}, {\"IpProtocol\": \"tcp\", \"FromPort\": 80, \"ToPort\": 80, "
		   "\"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}]}", gids[0]));
	json_object_put(r);
	r = call(NULL, "AuthorizeSecurityGroupIngress",
		 J("{\"GroupName\": \"db\", \"IpProtocol\": \"icmp\", \"FromPort\": -1, \"ToPort\": -1, "
		   "\"CidrIp\": \"172.31.0.0/16\"}"));
	json_object_put(r);
	r = call(NULL, "CreateTags", J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"team\", "
				       "\"Value\": \"data\"}]}", gids[1]));
	json_object_put(r);
}

START_TEST(images_and_groups_answer_as_the_model)
{
	char ids[6][32], gids[4][32], names[4][32];
	struct ec2_error err = { 0 };
	struct api_view *view;
	int claim;

	make_images_and_groups(ids, &claim, gids, names);
	view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(view != NULL, "%s", err.message);
	same_image_answers(view, ids, 6);
	same_group_answers(view, gids, names, 4);
	api_view_free(view);
	close(claim);
}
END_TEST

START_TEST(image_and_group_writes_are_in_the_view_before_their_answer)
{
	char ids[3][32], gids[2][32], names[2][32] = { "web", "db" };
	struct ec2_error err = { 0 };
	struct api_view *view = api_view_new(&ctx, &lock, &err);
	json_object *r;
	unsigned long g;

	ck_assert_msg(view != NULL, "%s", err.message);
	memcpy(ids[0], ami, 32);
	same_image_answers(view, ids, 1);
	same_group_answers(view, NULL, NULL, 0);
	copy_image(view, "copy-one", ids[1]);
	same_image_answers(view, ids, 2);
	copy_image(view, "copy-two", ids[2]);
	r = call(view, "CreateTags", J("{\"Resources\": [\"%s\", \"%s\"], \"Tags\": [{\"Key\": "
				       "\"Name\", \"Value\": \"web\"}]}", ids[1], ids[2]));
	json_object_put(r);
	same_image_answers(view, ids, 3);
	r = call(view, "DeleteTags", J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"Name\"}]}",
				       ids[2]));
	json_object_put(r);
	same_image_answers(view, ids, 3);
	r = call(view, "DeregisterImage", J("{\"ImageId\": \"%s\"}", ids[1]));
	json_object_put(r);
	same_image_answers(view, ids, 3);

	create_group(view, names[0], gids[0]);
	same_group_answers(view, gids, names, 1);
	create_group(view, names[1], gids[1]);
	same_group_answers(view, gids, names, 2);
	r = call(view, "AuthorizeSecurityGroupIngress",
		 J("{\"GroupId\": \"%s\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": "
		   "22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]}]}", gids[0]));
	json_object_put(r);
	same_group_answers(view, gids, names, 2);
	r = call(view, "CreateTags", J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"team\", "
				       "\"Value\": \"data\"}]}", gids[1]));
	json_object_put(r);
	same_group_answers(view, gids, names, 2);
	r = call(view, "RevokeSecurityGroupIngress",
		 J("{\"GroupId\": \"%s\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": "
		   "22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]}]}", gids[0]));
	json_object_put(r);
	same_group_answers(view, gids, names, 2);
	r = call(view, "DeleteSecurityGroup", J("{\"GroupId\": \"%s\"}", gids[1]));
	json_object_put(r);
	same_group_answers(view, gids, names, 2);

	/* Reads, and a write that changes none of the three, publish nothing. */
	g = api_view_generation(view);
	r = call(view, "DescribeImages", J("{}"));
	json_object_put(r);
	r = call(view, "DescribeSecurityGroups", J("{}"));
	json_object_put(r);
	r = call(view, "CreateKeyPair", J("{\"KeyName\": \"nothing-else\"}"));
	json_object_put(r);
	ck_assert_uint_eq(api_view_generation(view), g);
	api_view_free(view);
}
END_TEST

/* Whether action's plain answer from the view names id. */
static bool view_names(struct api_view *view, const char *action, const char *id)
{
	struct ec2_error err = { 0 };
	json_object *req = json_object_new_object();
	json_object *r = api_view_describe(view, action, req, &err);
	bool has;

	ck_assert_msg(r != NULL, "%s: %s: %s", action, err.code, err.message);
	has = strstr(json_object_to_json_string(r), id) != NULL;
	json_object_put(r);
	json_object_put(req);
	return has;
}

/* The State of image id in the view's answer. */
static char *view_image_state(struct api_view *view, const char *id)
{
	struct ec2_error err = { 0 };
	json_object *req = J("{\"ImageIds\": [\"%s\"]}", id);
	json_object *r = api_view_describe(view, "DescribeImages", req, &err);
	char *state;

	ck_assert_msg(r != NULL, "DescribeImages: %s: %s", err.code, err.message);
	state = strdup(str(json_object_array_get_idx(json_path(r, "Images"), 0), "State"));
	json_object_put(r);
	json_object_put(req);
	return state;
}

/* What another process changes in the store (the CLI beside the server) and an image job that
 * dies are not in the view until a resync; after it they are, as the model has them. */
START_TEST(store_changes_behind_its_back_show_after_a_resync)
{
	char ids[3][32], gids[2][32], names[2][32] = { "behind", "later" }, *state;
	struct ec2_error err = { 0 };
	struct api_view *view;
	int claim = pending_image("in-the-works", ids[1]);

	memcpy(ids[0], ami, 32);
	view = api_view_new(&ctx, &lock, &err);
	ck_assert_msg(view != NULL, "%s", err.message);
	create_group(NULL, names[0], gids[0]);
	copy_image(NULL, "copy-behind", ids[2]);
	close(claim); /* the job's worker dies */
	ck_assert(!view_names(view, "DescribeSecurityGroups", gids[0]));
	ck_assert(!view_names(view, "DescribeImages", ids[2]));
	state = view_image_state(view, ids[1]);
	ck_assert_str_eq(state, "pending");
	free(state);
	api_view_resync(view);
	/* The view's own load failed the image (the model has not read it since). */
	state = view_image_state(view, ids[1]);
	ck_assert_str_eq(state, "failed");
	free(state);
	same_image_answers(view, ids, 3);
	same_group_answers(view, gids, names, 1);
	/* The refresher does it on its own, at its period. */
	api_view_start(view);
	create_group(NULL, names[1], gids[1]);
	while (!view_names(view, "DescribeSecurityGroups", gids[1]))
		util_sleep_ms(50);
	same_group_answers(view, gids, names, 2);
	api_view_free(view);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, view_answers_as_the_model);
	tcase_add_test(tc, writes_are_in_the_view_before_their_answer);
	tcase_add_test(tc, elastic_ip_moves_are_in_the_view);
	tcase_add_test(tc, events_reload_what_changed_behind_its_back);
	tcase_add_test(tc, libvirt_failing_keeps_the_view);
	tcase_add_test(tc, a_failed_reload_after_a_write_is_retried_at_once);
	tcase_add_test(tc, images_and_groups_answer_as_the_model);
	tcase_add_test(tc, image_and_group_writes_are_in_the_view_before_their_answer);
	tcase_add_test(tc, store_changes_behind_its_back_show_after_a_resync);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}

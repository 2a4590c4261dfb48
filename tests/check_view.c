/* The API server's view of instances (src/api/view.c), in-process against libvirt's
 * test:///default driver: for the same state it answers DescribeInstances as the model does, to
 * the byte (JSON and EC2's XML; filters, ids, pages, DryRun, errors); the server's own writes are
 * in it before they are answered; domain events reload what changed behind its back; and it never
 * reads libvirt per request (a change nobody reported stays out until the next reload). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/view.h"
#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
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

/* The view's answer to req is the model's: the same JSON text, the same XML (twice: the second
 * time from a copy of the snapshot that the first answer read), or the same error. */
static void same_answer(struct api_view *view, const char *reqtext)
{
	const struct api_action *a = api_action_find("DescribeInstances");
	const char *rid = "12345678-90ab-4cde-8f01-23456789abcd";
	struct ec2_error em = { 0 }, ev = { 0 };
	json_object *req = json_tokener_parse(reqtext), *m, *v;
	char *mt, *vt, *mx = NULL, *vx;
	size_t ml = 0, vl = 0;
	int round;

	ck_assert_msg(req != NULL, "bad test JSON: %s", reqtext);
	pthread_mutex_lock(&lock);
	m = ec2_action("DescribeInstances")(&ctx, req, &em);
	pthread_mutex_unlock(&lock);
	v = api_view_describe_instances(view, req, &ev);
	ck_assert_msg((m == NULL) == (v == NULL), "%s: model %s, view %s", reqtext,
		      m ? "answers" : em.code, v ? "answers" : ev.code);
	if (!m) {
		ck_assert_str_eq(em.code, ev.code);
		ck_assert_str_eq(em.message, ev.message);
	} else {
		mt = text(m);
		vt = text(v);
		ck_assert_msg(strcmp(mt, vt) == 0, "%s:\nmodel %s\nview %s", reqtext, mt, vt);
		free(mt);
		free(vt);
		mx = api_response_xml(a, m, rid, &ml);
	}
	for (round = 0; round < 2; round++) {
		memset(&ev, 0, sizeof(ev));
		vx = api_view_describe_instances_xml(view, a, req, rid, &vl, &ev);
		ck_assert_msg((mx == NULL) == (vx == NULL), "%s: XML: model %s, view %s", reqtext,
			      mx ? "answers" : em.code, vx ? "answers" : ev.code);
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
	json_object_put(m);
	json_object_put(v);
	json_object_put(req);
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
	r = api_view_describe_instances(view, req, &err);
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
		json_object *r = api_view_describe_instances(view, req, &err);

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
	json_object *r = api_view_describe_instances(view, req, &err);
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
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}

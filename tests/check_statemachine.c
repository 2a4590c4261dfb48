/* The instance state machine (src/model/lifecycle.c): every cell of its tables, twice.
 *
 * 1. As text: the tables printed cell by cell must equal tests/data/lifecycle/table.txt, the
 *    reviewed statement of what may happen in which state (a change to the state machine is a
 *    change to that file, in the same commit; EC2LITE_UPDATE_GOLDEN=1 rewrites it); plus the
 *    rules every cell obeys.
 * 2. Against the model: on libvirt's test driver, an instance is put in each condition the test
 *    driver can hold (all but "stopping, image", which needs a guest in the middle of its
 *    shutdown), and every action is asked of it with DryRun, which checks the state and stops
 *    before the first change: a refused cell must answer IncorrectInstanceState with the table's
 *    message, any other cell DryRunOperation. The state DescribeInstances gives must be the
 *    condition's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/lifecycle.h"
#include "ec2lite/util.h"
#include "testutil.h"

/* ---- 1. the tables as text ---- */

static const char *effect_name(enum ec2_effect e)
{
	return e == EC2_DO ? "do" : e == EC2_KEEP ? "keep" : "refuse";
}

static char *print_tables(void)
{
	static const char *const vm_names[EC2_VM_COUNT] = { "gone", "active", "shutdown", "off" };
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int vm, op, c, v;

	fprintf(f, "# libvirt, op -> condition (state); reconcile step\n");
	for (vm = 0; vm < EC2_VM_COUNT; vm++)
		for (op = 0; op < EC2_OP_COUNT; op++) {
			enum ec2_cond cond = ec2_cond_of(vm, op);

			fprintf(f, "%s, %s -> %s (%s); %s\n", vm_names[vm],
				op == EC2_OP_NONE ? "none" : ec2_op_name(op), ec2_cond_name(cond),
				ec2_state_name(ec2_cond_state(cond)),
				ec2_settle_name(ec2_settle_of(vm, op)));
		}
	fprintf(f, "# condition: action -> effect (state) [message]\n");
	for (c = 0; c < EC2_COND_COUNT; c++)
		for (v = 0; v < EC2_VERB_COUNT; v++) {
			const struct ec2_transition *t = ec2_transition(c, v);

			fprintf(f, "%s: %s -> %s (%s)", ec2_cond_name(c), ec2_verb_name(v),
				effect_name(t->effect), ec2_state_name(t->next));
			if (t->message)
				fprintf(f, " [%s]", t->message);
			fputc('\n', f);
		}
	fclose(f);
	return buf;
}

START_TEST(tables_are_the_reviewed_ones)
{
	char *got = print_tables();

	test_golden("lifecycle/table.txt", got);
	free(got);
}
END_TEST

START_TEST(every_cell_obeys_the_rules)
{
	int vm, op, c, v;

	for (vm = 0; vm < EC2_VM_COUNT; vm++)
		for (op = 0; op < EC2_OP_COUNT; op++) {
			enum ec2_cond cond = ec2_cond_of(vm, op);
			enum ec2_settle s = ec2_settle_of(vm, op);

			/* No domain is terminated, whatever its metadata said, and nothing is left
			 * to finish; every image op is finished by its job. */
			ck_assert_int_eq(vm == EC2_VM_GONE, cond == EC2_COND_TERMINATED);
			if (vm == EC2_VM_GONE)
				ck_assert_int_eq(s, EC2_SETTLE_NONE);
			else if (op == EC2_OP_IMAGE || op == EC2_OP_IMAGE_LIVE ||
				 op == EC2_OP_IMAGE_REBOOT)
				ck_assert_int_eq(s, EC2_SETTLE_IMAGE_JOB);
			/* An asked-for stop is stopping until libvirt says off. */
			if (op == EC2_OP_STOP && vm != EC2_VM_GONE)
				ck_assert_int_eq(ec2_cond_state(cond),
						 vm == EC2_VM_OFF ? EC2_STOPPED : EC2_STOPPING);
		}
	for (c = 0; c < EC2_COND_COUNT; c++)
		for (v = 0; v < EC2_VERB_COUNT; v++) {
			const struct ec2_transition *t = ec2_transition(c, v);
			const char *name = ec2_cond_name(c);

			if (t->effect == EC2_REFUSE) {
				ck_assert_ptr_nonnull(t->message);
				ck_assert_ptr_nonnull(strstr(t->message, "{id}"));
				/* Only a condition with an image under way names it. */
				if (strstr(t->message, "{image}"))
					ck_assert_ptr_nonnull(strstr(name, "image"));
			} else {
				ck_assert_ptr_null(t->message);
			}
			if (t->effect != EC2_DO)
				ck_assert_int_eq(t->next, ec2_cond_state(c));
			/* Terminate is never refused; it is nothing to do only when done. */
			if (v == EC2_VERB_TERMINATE)
				ck_assert_int_eq(t->effect, c == EC2_COND_TERMINATED ? EC2_KEEP : EC2_DO);
			/* Nothing but terminate changes a terminated instance. */
			if (c == EC2_COND_TERMINATED && v != EC2_VERB_TERMINATE)
				ck_assert_int_eq(t->effect, EC2_REFUSE);
		}
}
END_TEST

START_TEST(op_names_round_trip)
{
	int op;

	for (op = 0; op < EC2_OP_COUNT; op++)
		ck_assert_int_eq(ec2_op_parse(ec2_op_name(op)), op);
	ck_assert_int_eq(ec2_op_parse("reboot"), EC2_OP_NONE);
	ck_assert_int_eq(ec2_op_parse(NULL), EC2_OP_NONE);
	ck_assert_int_eq(ec2_vm_of(VIR_DOMAIN_RUNNING), EC2_VM_ACTIVE);
	ck_assert_int_eq(ec2_vm_of(VIR_DOMAIN_PAUSED), EC2_VM_ACTIVE);
	ck_assert_int_eq(ec2_vm_of(VIR_DOMAIN_SHUTDOWN), EC2_VM_SHUTDOWN);
	ck_assert_int_eq(ec2_vm_of(VIR_DOMAIN_SHUTOFF), EC2_VM_OFF);
	ck_assert_int_eq(ec2_vm_of(VIR_DOMAIN_CRASHED), EC2_VM_OFF);
	ck_assert_int_eq(ec2_vm_of(-1), EC2_VM_OFF);
}
END_TEST

START_TEST(refusals_name_the_instance_and_image)
{
	struct ec2_error err = { 0 };

	ck_assert_int_eq(ec2_transition_check(ec2_transition(EC2_COND_RUNNING, EC2_VERB_STOP),
					      "i-1", NULL, &err), 0);
	ck_assert_str_eq(err.code, "");
	ck_assert_int_eq(ec2_transition_check(ec2_transition(EC2_COND_STOPPED_IMAGE,
							     EC2_VERB_START), "i-1", "ami-2", &err),
			 -1);
	ck_assert_str_eq(err.code, "IncorrectInstanceState");
	ck_assert_str_eq(err.message,
			 "The instance 'i-1' cannot be started while an image of it is made (ami-2).");
}
END_TEST

/* ---- 2. the tables against the model, on the test driver ---- */

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

static json_object *ok(ec2_action_fn fn, json_object *req)
{
	struct ec2_error err = { 0 };
	json_object *resp = fn(&ctx, req, &err);

	ck_assert_msg(resp != NULL, "%s: %s", err.code, err.message);
	json_object_put(req);
	return resp;
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, 0, "test-ami", ami);
	cfg.stop_timeout = 3600; /* a stop under way stays under way while the walk asks */
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

/* A new running instance (hibernation configured, so that Hibernate reaches the state check). */
static void launch(char *id)
{
	json_object *r = ok(ec2_run_instances,
			    J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": 1, "
			      "\"MaxCount\": 1, \"HibernationOptions\": {\"Configured\": true}}", ami));

	json_object *list = json_path(r, "Instances");

	snprintf(id, 32, "%s", json_object_get_string(json_path(json_object_array_get_idx(list, 0),
								  "InstanceId")));
	json_object_put(r);
}

/* Writes op into the instance's metadata, as StopInstances does. */
static void set_op(const char *id, enum ec2_op op)
{
	virDomainPtr dom = virDomainLookupByName(ctx.conn, id);
	struct ec2_meta m;

	ck_assert_ptr_nonnull(dom);
	ck_assert_int_eq(ec2_meta_load(dom, &m), 0);
	m.pending_op = op;
	m.pending_since = (long long)time(NULL);
	ck_assert_int_eq(ec2_meta_save(dom, &m, NULL), 0);
	ec2_meta_clear(&m);
	virDomainFree(dom);
}

/* CreateImage of id (with a reboot or without), its job kept alive by its claim (*job) as a
 * worker would; the image's id goes to image. */
static void create_image(const char *id, bool no_reboot, int *job, char *image)
{
	json_object *r = ok(ec2_create_image, J("{\"InstanceId\": \"%s\", \"Name\": \"walk-%s\", "
						 "\"NoReboot\": %s}", id, id,
						 no_reboot ? "true" : "false"));

	snprintf(image, 32, "%s", json_object_get_string(json_path(r, "ImageId")));
	json_object_put(r);
	*job = ec2_image_job_take(&ctx);
	ck_assert_int_ge(*job, 0);
}

static void power_off(const char *id)
{
	virDomainPtr dom = virDomainLookupByName(ctx.conn, id);

	ck_assert_ptr_nonnull(dom);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	virDomainFree(dom);
}

/* Puts a new instance in condition c; *job is the claim that keeps its image job alive, or -1,
 * and image the image being made of it. */
static void make(enum ec2_cond c, char *id, int *job, char *image)
{
	json_object *r;

	*job = -1;
	image[0] = '\0';
	launch(id);
	switch (c) {
	case EC2_COND_RUNNING:
		break;
	case EC2_COND_RUNNING_IMAGE_LIVE:
		create_image(id, true, job, image);
		break;
	case EC2_COND_RUNNING_IMAGE_REBOOT:
		create_image(id, false, job, image);
		power_off(id); /* as the worker does, to copy the disk */
		break;
	case EC2_COND_STOPPING:
		set_op(id, EC2_OP_STOP);
		break;
	case EC2_COND_STOPPED:
	case EC2_COND_STOPPED_IMAGE:
		r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"], \"Force\": true}", id));
		json_object_put(r);
		if (c == EC2_COND_STOPPED_IMAGE)
			create_image(id, false, job, image);
		break;
	case EC2_COND_TERMINATED:
		r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
		json_object_put(r);
		break;
	default:
		ck_abort_msg("the test driver cannot hold %s", ec2_cond_name(c));
	}
}

/* The action of verb on id, as a dry run. */
static json_object *ask(enum ec2_verb v, const char *id, struct ec2_error *err)
{
	static const struct {
		const char *action, *extra;
	} how[EC2_VERB_COUNT] = {
		[EC2_VERB_START] = { "StartInstances", "" },
		[EC2_VERB_STOP] = { "StopInstances", "" },
		[EC2_VERB_STOP_FORCE] = { "StopInstances", ", \"Force\": true" },
		[EC2_VERB_HIBERNATE] = { "StopInstances", ", \"Hibernate\": true" },
		[EC2_VERB_REBOOT] = { "RebootInstances", "" },
		[EC2_VERB_TERMINATE] = { "TerminateInstances", "" },
		[EC2_VERB_CREATE_IMAGE] = { "CreateImage", "" },
	};
	json_object *req, *resp;

	if (v == EC2_VERB_CREATE_IMAGE)
		req = J("{\"InstanceId\": \"%s\", \"Name\": \"walk\", \"DryRun\": true}", id);
	else
		req = J("{\"InstanceIds\": [\"%s\"], \"DryRun\": true %s}", id, how[v].extra);
	resp = ec2_action(how[v].action)(&ctx, req, err);
	json_object_put(req);
	return resp;
}

static const char *described_state(const char *id)
{
	static char name[32];
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	json_object *res = json_object_array_get_idx(json_path(r, "Reservations"), 0);
	json_object *in = json_object_array_get_idx(json_path(res, "Instances"), 0);

	snprintf(name, sizeof(name), "%s", json_object_get_string(json_path(in, "State.Name")));
	json_object_put(r);
	return name;
}

START_TEST(every_reachable_cell_is_what_the_model_does)
{
	enum ec2_cond c = (enum ec2_cond)_i;
	char id[32], image[32];
	int job, v;

	if (c == EC2_COND_STOPPING_IMAGE) {
		/* Needs a guest mid-shutdown, which the test driver has not: the text table and the
		 * rules cover this row, and the walk says that it left it out. */
		fprintf(stderr, "check_statemachine: the model walk leaves out '%s' (no guest "
			"mid-shutdown on the test driver)\n", ec2_cond_name(c));
		return;
	}
	make(c, id, &job, image);
	ck_assert_msg(strcmp(described_state(id), ec2_state_name(ec2_cond_state(c))) == 0,
		      "%s: described as %s", ec2_cond_name(c), described_state(id));
	for (v = 0; v < EC2_VERB_COUNT; v++) {
		const struct ec2_transition *t = ec2_transition(c, v);
		struct ec2_error err = { 0 }, want = { 0 };
		json_object *resp = ask(v, id, &err);

		ck_assert_msg(resp == NULL, "%s: %s answered", ec2_cond_name(c), ec2_verb_name(v));
		if (t->effect == EC2_REFUSE) {
			ec2_transition_check(t, id, image, &want);
			ck_assert_msg(strcmp(err.code, want.code) == 0 &&
					      strcmp(err.message, want.message) == 0,
				      "%s: %s: got %s '%s', the table says %s '%s'", ec2_cond_name(c),
				      ec2_verb_name(v), err.code, err.message, want.code,
				      want.message);
		} else {
			ck_assert_msg(strcmp(err.code, EC2_ERR_DRY_RUN) == 0,
				      "%s: %s: got %s '%s', the table says it may", ec2_cond_name(c),
				      ec2_verb_name(v), err.code, err.message);
		}
	}
	/* The walk changed nothing. */
	ck_assert_str_eq(described_state(id), ec2_state_name(ec2_cond_state(c)));
	if (job >= 0)
		close(job);
}
END_TEST

/* The state an action's answer gives (CurrentState.Name of its one instance), or for
 * RebootInstances, which answers none, the state described after it. */
static const char *answered_state(enum ec2_verb v, const char *id, json_object *resp)
{
	static char name[32];
	json_object *list = NULL, *one;

	if (v == EC2_VERB_REBOOT)
		return described_state(id);
	json_object_object_foreach(resp, key, val)
	{
		(void)key;
		list = val;
	}
	one = json_object_array_get_idx(list, 0);
	snprintf(name, sizeof(name), "%s",
		 json_object_get_string(json_path(one, "CurrentState.Name")));
	return name;
}

/* Every cell that acts or keeps, done for real on a fresh instance in its condition (the
 * conditions without an image job; CreateImage's own state is its image's, walked above): the
 * answer gives the table's state. */
START_TEST(every_action_answers_the_state_of_its_cell)
{
	static const enum ec2_cond conds[] = { EC2_COND_RUNNING, EC2_COND_STOPPING, EC2_COND_STOPPED,
					       EC2_COND_TERMINATED };
	enum ec2_cond c = conds[_i];
	int v;

	for (v = 0; v < EC2_VERB_COUNT; v++) {
		const struct ec2_transition *t = ec2_transition(c, v);
		static const char *const actions[EC2_VERB_COUNT] = {
			"StartInstances", "StopInstances", "StopInstances", "StopInstances",
			"RebootInstances", "TerminateInstances", "CreateImage",
		};
		static const char *const extra[EC2_VERB_COUNT] = {
			"", "", ", \"Force\": true", ", \"Hibernate\": true", "", "", "",
		};
		struct ec2_error err = { 0 };
		char id[32], image[32];
		json_object *req, *resp;
		int job;

		if (t->effect == EC2_REFUSE || v == EC2_VERB_CREATE_IMAGE)
			continue;
		make(c, id, &job, image);
		req = J("{\"InstanceIds\": [\"%s\"] %s}", id, extra[v]);
		resp = ec2_action(actions[v])(&ctx, req, &err);
		json_object_put(req);
		ck_assert_msg(resp != NULL, "%s: %s: %s %s", ec2_cond_name(c), ec2_verb_name(v),
			      err.code, err.message);
		ck_assert_msg(strcmp(answered_state(v, id, resp), ec2_state_name(t->next)) == 0,
			      "%s: %s answered %s, the table says %s", ec2_cond_name(c),
			      ec2_verb_name(v), answered_state(v, id, resp),
			      ec2_state_name(t->next));
		json_object_put(resp);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("statemachine");
	TCase *tc = tcase_create("tables");
	TCase *model = tcase_create("model");

	tcase_add_test(tc, tables_are_the_reviewed_ones);
	tcase_add_test(tc, every_cell_obeys_the_rules);
	tcase_add_test(tc, op_names_round_trip);
	tcase_add_test(tc, refusals_name_the_instance_and_image);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(model, setup, teardown);
	tcase_add_loop_test(model, every_reachable_cell_is_what_the_model_does, 0, EC2_COND_COUNT);
	tcase_add_loop_test(model, every_action_answers_the_state_of_its_cell, 0, 4);
	tcase_set_timeout(model, 60);
	suite_add_tcase(s, model);
	return test_run(s) ? 1 : 0;
}

/* Instances, the actions that change an instance's state: Start, Stop, Reboot and
 * TerminateInstances. Each answers at once, as EC2 does; what EC2 finishes in the background is
 * finished by ec2_reconcile (instance-reconcile.c). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2lite/imdsnet.h"
#include "ec2lite/journal.h"
#include "ec2lite/launchtime.h"
#include "ec2lite/net.h"
#include "ec2lite/timeline.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

static json_object *changes_response(const char *key, json_object *list)
{
	json_object *resp = json_object_new_object();

	json_object_object_add(resp, key, list);
	return resp;
}

/* The instance store of a stopped instance made empty before it starts: EC2 erases it at every
 * stop, and at hibernation too ("When you hibernate an instance, the data on any instance store
 * volumes is lost", the hibernation limitations; the instance-store data persistence table says
 * the same). So a hibernated instance gets its RAM back and empty instance-store disks: a guest
 * that had a filesystem mounted on one finds it gone, as on EC2, where the disks are empty at
 * resume. */
static int ephemeral_fresh(struct ec2_ctx *ctx, const struct inst *in, struct ec2_error *err)
{
	const struct instance_type *type = type_lookup(ctx->types, in->meta.instance_type, NULL);
	char *store[TYPE_STORE_DISKS_MAX];

	if (!type)
		return 0;
	if (ephemeral_make(ctx, in->id, type, store, err) < 0)
		return -1;
	ephemeral_paths_free(store);
	return 0;
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
	char why[512];
	json_object *fields = json_object_new_object(), *starting = json_object_new_array();
	struct journal journal = { .lock_fd = -1 };
	char rid[EC2_ID_MAX];

	if (!ec2_dry_run(req, NULL) && (lock = store_lock(ctx->store, "launch", err)) < 0)
		goto out;
	if (resolve(ctx, req_list(req, "InstanceIds"), true, &v, &n, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct ec2_transition *t;

		settle(ctx, &v[i]);
		t = ec2_transition(cond_of(&v[i]), EC2_VERB_START);
		if (ec2_transition_check(t, v[i].id, v[i].meta.pending_image, err) < 0)
			goto out;
		if (t->effect == EC2_DO) {
			const struct instance_type *type = type_lookup(ctx->types,
								       v[i].meta.instance_type, NULL);
			json_object *e = json_object_new_object();

			need += type ? type->memory_mib : 0;
			json_add_str(e, "InstanceId", v[i].id);
			json_add_int(e, "MemoryMiB", type ? type->memory_mib : 0);
			json_object_array_add(starting, e);
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
		const struct ec2_transition *t = ec2_transition(cond_of(&v[i]), EC2_VERB_START);

		if (t->effect == EC2_DO) {
			v[i].meta.pending_op = EC2_OP_NONE;
			v[i].meta.transition_reason[0] = '\0';
			v[i].meta.state_reason[0] = '\0';
			util_iso8601(time(NULL), v[i].meta.launch_time, sizeof(v[i].meta.launch_time));
			v[i].meta.console_offset = console_size(ctx, v[i].id);
			/* A new one comes with the start; an Elastic IP stays. */
			if (!v[i].meta.eip_allocation_id[0])
				v[i].meta.public_ip[0] = '\0';
			if (ec2_meta_save(v[i].dom, &v[i].meta, err) < 0) {
				json_object_put(list);
				list = NULL;
				goto out;
			}
			if (imds_net_available(ctx->cfg, why, sizeof(why)))
				imds_daemon_ensure(ctx->cfg, NULL); /* else reconcile's pass does */
			if (ephemeral_fresh(ctx, &v[i], err) < 0) {
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
			json_object_array_add(list, change_obj(v[i].id, t->next, prev));
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
	enum ec2_verb verb;

	if (req_bool(req, "Force", &force, err) < 0 || req_bool(req, "Hibernate", &hibernate, err) < 0)
		return NULL;
	verb = hibernate ? EC2_VERB_HIBERNATE : force ? EC2_VERB_STOP_FORCE : EC2_VERB_STOP;
	if (resolve(ctx, req_list(req, "InstanceIds"), true, &v, &n, err) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct ec2_transition *t;

		settle(ctx, &v[i]);
		t = ec2_transition(cond_of(&v[i]), verb);
		if (ec2_transition_check(t, v[i].id, v[i].meta.pending_image, err) < 0 ||
		    (t->effect == EC2_DO && attrs_protected(&v[i], verb, err) < 0))
			goto out;
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
		const struct ec2_transition *t = ec2_transition(cond_of(in), verb);
		int rc = 0;

		if (t->effect == EC2_DO && prev != EC2_STOPPING) {
			cur = t->next;
			timeline_forget(ctx, in->id);
			if (hibernate) {
				/* RAM goes to disk (libvirt managed save); the next start resumes it. */
				user_reason(&in->meta, "Client.UserInitiatedHibernate");
				rc = ec2_meta_save(in->dom, &in->meta, err);
				if (rc == 0 && (rc = virDomainManagedSave(in->dom, 0)) < 0)
					ec2_error_set_libvirt(err, "cannot hibernate '%s'", in->id);
			} else {
				user_reason(&in->meta, "Client.UserInitiatedShutdown");
				in->meta.pending_op = EC2_OP_STOP;
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
		} else if (t->effect == EC2_DO) { /* stopping: --force powers it off now */
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
		if (ec2_transition_check(ec2_transition(cond_of(&v[i]), EC2_VERB_REBOOT), v[i].id,
					 v[i].meta.pending_image, err) < 0)
			goto out;
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
			if (ctx->test.reboot_registered)
				ctx->test.reboot_registered(VIR_DOMAIN_EVENT_CALLBACK(reboot_event), w);
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
	/* Termination protection refuses the whole call before anything is terminated. */
	for (i = 0; i < n; i++) {
		if (ec2_transition(cond_of(&v[i]), EC2_VERB_TERMINATE)->effect == EC2_DO &&
		    attrs_protected(&v[i], EC2_VERB_TERMINATE, err) < 0) {
			insts_free(v, n);
			return NULL;
		}
	}
	if (ec2_dry_run(req, err)) {
		insts_free(v, n);
		return NULL;
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		enum ec2_state prev = v[i].state;
		const struct ec2_transition *t = ec2_transition(cond_of(&v[i]), EC2_VERB_TERMINATE);

		if (t->effect != EC2_DO) {
			json_object_array_add(list, change_obj(v[i].id, t->next, prev));
			continue;
		}
		if (terminate_one(ctx, &v[i], "Client.UserInitiatedShutdown", err) < 0)
			rc = -1;
		json_object_array_add(list, change_obj(v[i].id, t->next, prev));
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

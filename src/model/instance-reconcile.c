/* Instances, reconcile: the transitions EC2 finishes in the background (a stop the guest ignores,
 * an ACPI reboot it ignores, a guest that powered itself off, an image job that ended, a launch
 * whose process died), driven to their end one step at a time by ec2_reconcile; and the reboot
 * watches that RebootInstances leaves for it. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "ec2lite/filter.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/journal.h"
#include "ec2lite/launchtime.h"
#include "ec2lite/reserve.h"
#include "ec2lite/net.h"
#include "ec2lite/portfwd.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

/* After instances stopped or went: their public IPs and forwards go too. */
void net_settle(struct ec2_ctx *ctx)
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
	if (in->meta.pending_op == EC2_OP_IMAGE_REBOOT && virDomainIsActive(in->dom) != 1)
		virDomainCreate(in->dom);
	/* A live copy's worker that died leaves its block job mirroring into a file that is gone. */
	if (in->meta.pending_op == EC2_OP_IMAGE_LIVE && virDomainIsActive(in->dom) == 1)
		virDomainBlockJobAbort(in->dom, "vda", 0);
	in->meta.pending_op = EC2_OP_NONE;
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
void settle(struct ec2_ctx *ctx, struct inst *in)
{
	time_t now = time(NULL);

	/* What is left to finish is the state machine's reconcile step (lifecycle.c, table 3). */
	switch (ec2_settle_of(vm_of(in), in->meta.pending_op)) {
	case EC2_SETTLE_NONE:
		return;
	case EC2_SETTLE_IMAGE_JOB:
		settle_image_op(ctx, in);
		return;
	case EC2_SETTLE_NETWORK:
		if (in->meta.private_ip[0] && !in->meta.public_ip[0])
			ctx->net_stale = true; /* a launch or start cut short before its network */
		return;
	case EC2_SETTLE_STOP_WAIT:
		if (now - in->meta.pending_since < ctx->cfg->stop_timeout)
			return;
		/* The guest ignored the ACPI shutdown: power it off, as EC2 does. */
		virDomainDestroy(in->dom);
		in->state = derive_state(in);
		if (ec2_settle_of(vm_of(in), in->meta.pending_op) != EC2_SETTLE_STOPPED)
			return;
		break;
	case EC2_SETTLE_STOPPED:
	case EC2_SETTLE_COUNT:
		break;
	}
	if (in->meta.public_ip[0])
		ctx->net_stale = true; /* its public IP and forwards go (net_sync) */
	if (in->meta.pending_op == EC2_OP_STOP) {
		in->meta.pending_op = EC2_OP_NONE;
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

void reboot_event(virConnectPtr conn, virDomainPtr dom, void *opaque)
{
	struct ec2_reboot_watch *w = opaque;

	(void)conn;
	(void)dom;
	atomic_store(&w->seen, true);
}

void reboot_watch_unref(void *opaque)
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
static int recover_launch(void *opaque, json_object *journal)
{
	struct ec2_ctx *ctx = opaque;
	json_object *list = json_path(journal, "Instances");
	json_object *undo = json_path(journal, "Undo");
	size_t i, n = list ? json_object_array_length(list) : 0;
	long long min = 1, defined = 0;
	bool finish, start = json_object_get_boolean(json_path(journal, "Start"));
	int rc = 0;

	req_int(journal, "MinCount", &min, NULL);
	for (i = 0; i < n; i++) {
		struct inst in;
		const char *id = req_str0(json_object_array_get_idx(list, i), "InstanceId");

		int found;

		if (!ec2_id_valid("i", id))
			continue;
		found = load_live(ctx, id, &in);
		inst_clear(&in);
		if (found < 0)
			return -1; /* libvirt cannot say what was defined: decide on a later pass */
		defined += found == 1;
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
		} else if (!start && destroy_resources(ctx, id, in.dom, volume, NULL) < 0) {
			/* (a StartInstances made nothing to undo) Something is left: the journal stays
			 * and names it to the next pass. */
			rc = -1;
		}
		inst_clear(&in);
	}
	return rc;
}

/* Root volumes that no instance owns: no domain, and no launch at work lists them. A launcher
 * killed inside its volume-creation call leaves libvirtd making the volume, and it can appear
 * after the launch's journal was recovered; such a volume (and its instance folder) goes here.
 * A launch writes its journal before it makes a volume and defines the domain before it lets go
 * of the journal, so no volume of a launch is ever taken for an orphan. */
static void sweep_orphan_volumes(struct ec2_ctx *ctx)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name);
	virStorageVolPtr *vols = NULL;
	int n, i;

	if (!pool)
		return;
	n = virStoragePoolListAllVolumes(pool, &vols, 0);
	for (i = 0; i < n; i++) {
		const char *name = virStorageVolGetName(vols[i]);
		const char *end = name ? strstr(name, "-root.qcow2") : NULL;
		virDomainPtr dom;
		char id[32];

		if (end && end[11] == '\0' && (size_t)(end - name) < sizeof(id)) {
			snprintf(id, sizeof(id), "%.*s", (int)(end - name), name);
			if (!ec2_id_valid("i", id))
				goto next;
			dom = virDomainLookupByName(ctx->conn, id);
			if (dom)
				virDomainFree(dom);
			else if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN &&
				 !journal_busy(ctx->cfg->state_dir, "InstanceId", id))
				destroy_resources(ctx, id, NULL, name, NULL);
		}
next:
		virStorageVolFree(vols[i]);
	}
	free(vols);
	virStoragePoolFree(pool);
}

/* Starts the metadata service again when instances run (live: the pass saw one pending or
 * running) and it does not (it crashed, or ended at the moment one started). */
static void imds_heal(struct ec2_ctx *ctx, bool live)
{
	char why[512];

	if (live && !imds_daemon_running(ctx->cfg->state_dir) &&
	    imds_net_available(ctx->cfg, why, sizeof(why)))
		imds_daemon_ensure(ctx->cfg, NULL);
}

int ec2_reconcile(struct ec2_ctx *ctx, json_object *req, bool wait, struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds");
	bool pending, live = false;

	/* After a dead launch, and on an explicit reconcile: the volumes it may have left. */
	if (journal_recover(ctx->cfg->state_dir, recover_launch, ctx) > 0 || wait)
		sweep_orphan_volumes(ctx);

	for (;;) {
		struct inst *v = NULL;
		size_t n = 0, i;

		pending = false;
		if (list_all(ctx, &v, &n, err) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			live |= v[i].state == EC2_RUNNING || v[i].state == EC2_PENDING;
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
	imds_heal(ctx, live);
	return pending ? 1 : 0;
}

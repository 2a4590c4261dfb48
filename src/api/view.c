/* The API server's view of instances, images and security groups: see view.h.
 *
 * Each kind has snapshots of its own. An instances snapshot is an array of entries sorted by
 * instance id, each entry one instance's description ({"ReservationId", "Instance"}) with a
 * reference count of its own, so that the next snapshot shares what did not change. An images or
 * groups snapshot is what the model's first half gave, whole (a store read: the catalog, the
 * groups), replaced whole when a reload finds it changed. json-c counts references without
 * atomics and caches strings in the objects it reads (json_object_get_string of a number), so a
 * published description is never handed to json-c's readers; json_object_deep_copy and
 * json_object_equal only read it, and the entry's or snapshot's own count, an atomic, decides
 * when it goes. A reader answers from a replica instead: a deep copy of the whole snapshot that
 * it checks out of the snapshot's pool, uses alone (filters and the XML writer may cache strings
 * in it, the answer takes references to it), and gives back once its answer is freed; a copy
 * costs about as much as rendering the answer, so a snapshot keeps a few (VIEW_SPARES). The
 * answer to the plain request (no parameter), the one clients poll with, is rendered by the
 * writer before it publishes the snapshot: readers copy it and put their request id in. The
 * pointers to the current snapshots are swapped under a mutex that readers hold for the time it
 * takes to count one more reference. */
#include "view.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2lite/ids.h"
#include "ec2lite/image.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/util.h"

#define VIEW_SPARES 8

/* What the view keeps: a snapshot of each, answering one describe. */
enum view_kind { VIEW_INSTANCES, VIEW_IMAGES, VIEW_GROUPS, VIEW_KINDS };

static const struct {
	const char *action;
	/* The model's first half (NULL for instances: they are loaded by id and merged). */
	json_object *(*load)(struct ec2_ctx *ctx, struct ec2_error *err);
	/* Its second half: the answer from a replica. */
	json_object *(*from)(struct ec2_ctx *ctx, json_object *req, json_object *described,
			     struct ec2_error *err);
} kinds[VIEW_KINDS] = {
	[VIEW_INSTANCES] = { "DescribeInstances", NULL, ec2_describe_instances_from },
	[VIEW_IMAGES] = { "DescribeImages", ec2_images_described, ec2_describe_images_from },
	[VIEW_GROUPS] = { "DescribeSecurityGroups", ec2_security_groups_described,
			  ec2_describe_security_groups_from },
};

struct view_entry {
	atomic_int refs;
	char id[EC2_ID_MAX];
	json_object *described; /* only read once published (see above) */
};

struct view_snap {
	atomic_int refs;
	enum view_kind kind;
	struct view_entry **v; /* instances: sorted by id */
	size_t n;
	json_object *loaded;   /* images, groups: the model's first half (only read once published) */
	/* The plain request's answer, rendered before the snapshot is published; NULL when it
	 * could not be (then readers render it as any other). Never changes once published. */
	char *xml;
	size_t xml_len, rid_at;
	pthread_mutex_t spares_lock;
	json_object *spares[VIEW_SPARES]; /* replicas nobody uses */
	size_t nspares;
};

struct api_view {
	struct ec2_ctx *ctx;
	pthread_mutex_t *ctx_lock;
	pthread_mutex_t lock; /* cur; and the refresher's work: dirty, stopping */
	pthread_cond_t wake;
	struct view_snap *cur[VIEW_KINDS];
	unsigned long generation;
	json_object *dirty;   /* ids to reload (an array), from domain events */
	bool resync;          /* reload everything now: a write's reload failed */
	bool stopping, running;
	pthread_t thread;
	int callbacks[2];
};

/* A request id of the length of every other, rendered into the memo and replaced per request. */
static const char memo_rid[] = "00000000-0000-4000-8000-000000000000";

static void entry_put(struct view_entry *e)
{
	if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
		json_object_put(e->described);
		free(e);
	}
}

static void snap_put(struct view_snap *s)
{
	size_t i;

	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (i = 0; i < s->n; i++)
		entry_put(s->v[i]);
	for (i = 0; i < s->nspares; i++)
		json_object_put(s->spares[i]);
	json_object_put(s->loaded);
	free(s->v);
	free(s->xml);
	pthread_mutex_destroy(&s->spares_lock);
	free(s);
}

static struct view_snap *snap_new(enum view_kind kind)
{
	struct view_snap *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	atomic_init(&s->refs, 1);
	s->kind = kind;
	pthread_mutex_init(&s->spares_lock, NULL);
	return s;
}

static struct view_snap *snap_get(struct api_view *v, enum view_kind kind)
{
	struct view_snap *s;

	pthread_mutex_lock(&v->lock);
	s = v->cur[kind];
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&v->lock);
	return s;
}

/* Makes s the current snapshot of its kind. The caller holds ctx_lock. */
static void publish(struct api_view *v, struct view_snap *s)
{
	struct view_snap *old;

	pthread_mutex_lock(&v->lock);
	old = v->cur[s->kind];
	v->cur[s->kind] = s;
	v->generation++;
	pthread_mutex_unlock(&v->lock);
	snap_put(old);
}

static int by_id(const void *a, const void *b)
{
	return strcmp((*(struct view_entry *const *)a)->id, (*(struct view_entry *const *)b)->id);
}

static struct view_entry *snap_find(const struct view_snap *s, const char *id)
{
	struct view_entry key, *k = &key, **hit;

	snprintf(key.id, sizeof(key.id), "%s", id);
	hit = s->n ? bsearch(&k, s->v, s->n, sizeof(*s->v), by_id) : NULL;
	return hit ? *hit : NULL;
}

/* The snapshot after reloading the instances named in ids (NULL: all) from fresh (their
 * descriptions, as ec2_instances_described gives them: an id it left out is gone). Entries that
 * did not change are shared with old; NULL when nothing changed at all. */
static struct view_snap *snap_merge(const struct view_snap *old, json_object *ids,
				    json_object *fresh)
{
	size_t nf = json_object_array_length(fresh), i, k = 0;
	struct view_snap *s = snap_new(VIEW_INSTANCES);
	bool changed = false;

	s->v = calloc(old->n + nf + 1, sizeof(*s->v));
	if (!s->v)
		abort();
	for (i = 0; ids && i < old->n; i++) {
		if (json_strlist_wants(ids, old->v[i]->id))
			continue;
		atomic_fetch_add(&old->v[i]->refs, 1);
		s->v[k++] = old->v[i];
	}
	for (i = 0; i < nf; i++) {
		json_object *d = json_object_array_get_idx(fresh, i);
		const char *id = ec2_described_id(d);
		struct view_entry *was = snap_find(old, id), *e;
		size_t j;

		for (j = 0; j < k && strcmp(s->v[j]->id, id) != 0; j++)
			;
		if (j < k || !ec2_id_valid("i", id))
			continue; /* named twice */
		if (was && json_object_equal(was->described, d)) {
			atomic_fetch_add(&was->refs, 1);
			s->v[k++] = was;
			continue;
		}
		e = calloc(1, sizeof(*e));
		if (!e)
			abort();
		atomic_init(&e->refs, 1);
		snprintf(e->id, sizeof(e->id), "%s", id);
		e->described = json_object_get(d);
		s->v[k++] = e;
		changed = true;
	}
	s->n = k;
	qsort(s->v, s->n, sizeof(*s->v), by_id);
	changed = changed || s->n != old->n;
	for (i = 0; !changed && i < s->n; i++)
		changed = s->v[i] != old->v[i];
	if (!changed) {
		snap_put(s);
		return NULL;
	}
	return s;
}

static void memo_render(struct api_view *v, struct view_snap *s);

/* Reloads the instances named in ids (NULL: all) and publishes the result. The caller holds
 * ctx_lock: every writer reads libvirt under it, so snapshots are published in the order of what
 * they saw. */
static int refresh(struct api_view *v, json_object *ids, struct ec2_error *err)
{
	json_object *fresh = ec2_instances_described(v->ctx, ids, err);
	struct view_snap *s;

	if (!fresh)
		return -1;
	/* Only writers replace cur, and they hold ctx_lock: reading it here needs no reference. */
	s = snap_merge(v->cur[VIEW_INSTANCES], ids, fresh);
	json_object_put(fresh);
	if (!s)
		return 0;
	memo_render(v, s);
	publish(v, s);
	return 0;
}

/* Reloads the images or the groups (kind) and publishes them when they changed. The caller holds
 * ctx_lock, as for refresh. */
static int reload(struct api_view *v, enum view_kind kind, struct ec2_error *err)
{
	json_object *fresh = kinds[kind].load(v->ctx, err);
	struct view_snap *s;

	if (!fresh)
		return -1;
	/* json_object_equal only reads the published object (see the top). */
	if (v->cur[kind] && json_object_equal(v->cur[kind]->loaded, fresh)) {
		json_object_put(fresh);
		return 0;
	}
	s = snap_new(kind);
	s->loaded = fresh;
	memo_render(v, s);
	publish(v, s);
	return 0;
}

/* Everything anew: what the refresher does every VIEW_RESYNC_MS. The caller holds ctx_lock. Each
 * kind is reloaded even when another fails (libvirt down leaves the store readable). */
static int resync(struct api_view *v, struct ec2_error *err)
{
	int rc = refresh(v, NULL, err);

	if (reload(v, VIEW_IMAGES, rc < 0 ? NULL : err) < 0)
		rc = -1;
	if (reload(v, VIEW_GROUPS, rc < 0 ? NULL : err) < 0)
		rc = -1;
	return rc;
}

static void mark(struct api_view *v, const char *id)
{
	if (!ec2_id_valid("i", id))
		return;
	pthread_mutex_lock(&v->lock);
	if (!v->dirty)
		v->dirty = json_object_new_array();
	if (!json_strlist_wants(v->dirty, id) || json_object_array_length(v->dirty) == 0)
		json_object_array_add(v->dirty, json_object_new_string(id));
	pthread_cond_signal(&v->wake);
	pthread_mutex_unlock(&v->lock);
}

void api_view_mark(struct api_view *v, const char *id)
{
	mark(v, id);
}

void api_view_resync(struct api_view *v)
{
	pthread_mutex_lock(v->ctx_lock);
	resync(v, NULL);
	pthread_mutex_unlock(v->ctx_lock);
}

/* libvirt's event loop thread: only marks, the refresher reloads. */
static void on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	(void)conn, (void)event, (void)detail;
	mark(opaque, virDomainGetName(dom));
}

static void on_metadata(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri,
			void *opaque)
{
	(void)conn, (void)type, (void)nsuri;
	mark(opaque, virDomainGetName(dom));
}

static void monotonic_abs(struct timespec *ts, double at)
{
	ts->tv_sec = (time_t)at;
	ts->tv_nsec = (long)((at - (double)ts->tv_sec) * 1e9);
}

/* The refresher: reloads what events marked, at once, and everything every VIEW_RESYNC_MS. */
static void *refresher(void *opaque)
{
	struct api_view *v = opaque;
	double next = util_monotonic() + VIEW_RESYNC_MS / 1000.0;
	struct timespec ts;

	pthread_mutex_lock(&v->lock);
	while (!v->stopping) {
		json_object *ids;
		bool all;

		monotonic_abs(&ts, next);
		while (!v->stopping && !v->dirty && !v->resync && util_monotonic() < next)
			if (pthread_cond_timedwait(&v->wake, &v->lock, &ts) == ETIMEDOUT)
				break;
		if (v->stopping)
			break;
		all = v->resync || util_monotonic() >= next;
		v->resync = false;
		ids = v->dirty;
		v->dirty = NULL;
		pthread_mutex_unlock(&v->lock);
		pthread_mutex_lock(v->ctx_lock);
		if (all)
			resync(v, NULL); /* failed: the next round tries again */
		else
			refresh(v, ids, NULL);
		pthread_mutex_unlock(v->ctx_lock);
		json_object_put(ids);
		if (all)
			next = util_monotonic() + VIEW_RESYNC_MS / 1000.0;
		pthread_mutex_lock(&v->lock);
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

struct api_view *api_view_new(struct ec2_ctx *ctx, pthread_mutex_t *ctx_lock,
			      struct ec2_error *err)
{
	struct api_view *v = calloc(1, sizeof(*v));
	pthread_condattr_t ca;
	int rc;

	if (!v)
		abort();
	v->ctx = ctx;
	v->ctx_lock = ctx_lock;
	v->callbacks[0] = v->callbacks[1] = -1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* util_monotonic's clock */
	pthread_cond_init(&v->wake, &ca);
	pthread_condattr_destroy(&ca);
	/* Empty at first: what an empty state folder shows, until the first load. */
	v->cur[VIEW_INSTANCES] = snap_new(VIEW_INSTANCES);
	memo_render(v, v->cur[VIEW_INSTANCES]);
	pthread_mutex_lock(ctx_lock);
	rc = resync(v, err);
	pthread_mutex_unlock(ctx_lock);
	if (rc < 0) {
		api_view_free(v);
		return NULL;
	}
	v->generation = 1;
	return v;
}

void api_view_start(struct api_view *v)
{
	if (v->ctx->events) {
		v->callbacks[0] = virConnectDomainEventRegisterAny(
			v->ctx->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
			VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), v, NULL);
		v->callbacks[1] = virConnectDomainEventRegisterAny(
			v->ctx->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
			VIR_DOMAIN_EVENT_CALLBACK(on_metadata), v, NULL);
	}
	v->stopping = false;
	v->running = pthread_create(&v->thread, NULL, refresher, v) == 0;
}

void api_view_stop(struct api_view *v)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (v->callbacks[i] >= 0) {
			virConnectDomainEventDeregisterAny(v->ctx->conn, v->callbacks[i]);
			v->callbacks[i] = -1;
		}
	if (v->running) {
		pthread_mutex_lock(&v->lock);
		v->stopping = true;
		pthread_cond_signal(&v->wake);
		pthread_mutex_unlock(&v->lock);
		pthread_join(v->thread, NULL);
		v->running = false;
	}
}

void api_view_free(struct api_view *v)
{
	size_t i;

	if (!v)
		return;
	api_view_stop(v);
	for (i = 0; i < VIEW_KINDS; i++)
		snap_put(v->cur[i]);
	json_object_put(v->dirty);
	pthread_cond_destroy(&v->wake);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* A deep copy of s's descriptions, for one reader at a time (see the top). */
static json_object *replica_new(const struct view_snap *s)
{
	json_object *r;
	size_t i;

	if (s->kind != VIEW_INSTANCES) {
		r = NULL;
		if (json_object_deep_copy(s->loaded, &r, NULL) < 0)
			abort();
		return r;
	}
	r = json_object_new_array_ext((int)s->n);
	for (i = 0; i < s->n; i++) {
		json_object *copy = NULL;

		if (json_object_deep_copy(s->v[i]->described, &copy, NULL) < 0)
			abort();
		json_object_array_add(r, copy);
	}
	return r;
}

static json_object *replica_take(struct view_snap *s)
{
	json_object *r = NULL;

	pthread_mutex_lock(&s->spares_lock);
	if (s->nspares)
		r = s->spares[--s->nspares];
	pthread_mutex_unlock(&s->spares_lock);
	return r ? r : replica_new(s);
}

/* Back into the pool, once no answer holds references to it any more. */
static void replica_give(struct view_snap *s, json_object *r)
{
	pthread_mutex_lock(&s->spares_lock);
	if (s->nspares < VIEW_SPARES) {
		s->spares[s->nspares++] = r;
		r = NULL;
	}
	pthread_mutex_unlock(&s->spares_lock);
	json_object_put(r);
}

/* Kind's describe over descriptions that are the caller's alone: ec2_action's read-only wrapper
 * (DryRun checked first, answered last) around the model's answer. */
static json_object *describe(struct api_view *v, enum view_kind kind, json_object *described,
			     json_object *req, struct ec2_error *err)
{
	json_object *resp;
	bool dry = false;

	if (req_bool(req, "DryRun", &dry, err) < 0)
		return NULL;
	resp = kinds[kind].from(v->ctx, req, described, err);
	if (resp && dry) {
		json_object_put(resp);
		ec2_dry_run(req, err);
		return NULL;
	}
	return resp;
}

/* The XML answer to req over snapshot s, with request id rid; NULL with err. */
static char *render(struct api_view *v, struct view_snap *s, const struct api_action *a,
		    json_object *req, const char *rid, size_t *len, struct ec2_error *err)
{
	json_object *r = replica_take(s), *resp = describe(v, s->kind, r, req, err);
	char *xml = resp ? api_response_xml(a, resp, rid, len) : NULL;

	json_object_put(resp);
	replica_give(s, r);
	return xml;
}

/* The writer renders the plain answer of s before publishing it (a failure leaves it to readers). */
static void memo_render(struct api_view *v, struct view_snap *s)
{
	json_object *plain = json_object_new_object();
	char *at;

	s->xml = render(v, s, api_action_find(kinds[s->kind].action), plain, memo_rid, &s->xml_len,
			NULL);
	at = s->xml ? strstr(s->xml, memo_rid) : NULL;
	if (at) {
		s->rid_at = (size_t)(at - s->xml);
	} else {
		free(s->xml);
		s->xml = NULL;
	}
	json_object_put(plain);
}

/* The kind whose describe action is, or VIEW_KINDS. */
static enum view_kind kind_of(const char *action)
{
	enum view_kind k;

	for (k = 0; k < VIEW_KINDS && strcmp(kinds[k].action, action) != 0; k++)
		;
	return k;
}

bool api_view_serves(const char *action)
{
	return action && kind_of(action) < VIEW_KINDS;
}

/* The kind whose describe action is; VIEW_KINDS, with err, when the view does not answer it. */
static enum view_kind served(const char *action, struct ec2_error *err)
{
	enum view_kind k = action ? kind_of(action) : VIEW_KINDS;

	if (k == VIEW_KINDS)
		ec2_error_set(err, "InvalidAction", "The view does not answer %s",
			      action ? action : "");
	return k;
}

json_object *api_view_describe(struct api_view *v, const char *action, json_object *req,
			       struct ec2_error *err)
{
	enum view_kind k = served(action, err);
	struct view_snap *s;
	json_object *mine, *resp;

	if (k == VIEW_KINDS)
		return NULL;
	s = snap_get(v, k);
	mine = replica_new(s);
	snap_put(s);
	resp = describe(v, k, mine, req, err);
	json_object_put(mine);
	return resp;
}

char *api_view_describe_xml(struct api_view *v, const struct api_action *a, json_object *req,
			    const char *request_id, size_t *len, struct ec2_error *err)
{
	enum view_kind k = served(a->name, err);
	struct view_snap *s;
	char *out;

	if (k == VIEW_KINDS)
		return NULL;
	s = snap_get(v, k);
	if (s->xml && json_object_object_length(req) == 0 &&
	    strlen(request_id) == sizeof(memo_rid) - 1) {
		out = malloc(s->xml_len + 1);
		if (!out)
			abort();
		memcpy(out, s->xml, s->xml_len + 1);
		memcpy(out + s->rid_at, request_id, sizeof(memo_rid) - 1);
		*len = s->xml_len;
	} else {
		out = render(v, s, a, req, request_id, len, err);
	}
	snap_put(s);
	return out;
}

/* Instance ids in list[i][key] (key NULL: list[i] itself) into set. */
static void add_ids(json_object *set, json_object *list, const char *key)
{
	size_t i;

	for (i = 0; list && json_object_is_type(list, json_type_array) &&
		    i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *id = key ? req_string(e, key) : json_object_get_string(e);

		if (id && ec2_id_valid("i", id) && !(json_object_array_length(set) &&
						      json_strlist_wants(set, id)))
			json_object_array_add(set, json_object_new_string(id));
	}
}

/* Whether a write of action (by its EC2 name) with req may change the images or the groups.
 * Only the actions known to change neither are left out (an instance's state, addresses, key
 * pairs, volumes and snapshots, IAM associations, and tags of other resources): anything else
 * may, as a RunInstances writes the default group on its first use, and a reload that finds
 * nothing new publishes nothing. */
static bool store_may_change(const char *action, json_object *req, enum view_kind kind)
{
	static const char *const neither[] = {
		"StartInstances", "StopInstances", "RebootInstances", "TerminateInstances",
		"ModifyInstanceMetadataOptions", "GetPasswordData", "AllocateAddress",
		"AssociateAddress", "DisassociateAddress", "ReleaseAddress", "CreateKeyPair",
		"ImportKeyPair", "DeleteKeyPair", "AssociateIamInstanceProfile",
		"DisassociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation",
		"CreateVolume", "DeleteVolume", "AttachVolume", "DetachVolume", "ModifyVolume",
		"CreateSnapshot", "DeleteSnapshot", "CopySnapshot", NULL
	};
	json_object *resources = req_list(req, "Resources");
	const char *prefix = kind == VIEW_IMAGES ? "ami-" : "sg-";
	size_t i;

	if (strcmp(action, "CreateTags") == 0 || strcmp(action, "DeleteTags") == 0) {
		for (i = 0; resources && json_object_is_type(resources, json_type_array) &&
			    i < json_object_array_length(resources); i++) {
			const char *id = json_object_get_string(json_object_array_get_idx(resources, i));

			if (id && strncmp(id, prefix, strlen(prefix)) == 0)
				return true;
		}
		return false;
	}
	for (i = 0; neither[i]; i++)
		if (strcmp(neither[i], action) == 0)
			return false;
	return true;
}

void api_view_written(struct api_view *v, const char *action, json_object *req, json_object *resp)
{
	static const char *const changes[] = { "StartingInstances", "StoppingInstances",
					       "TerminatingInstances", NULL };
	json_object *ids, *one;
	size_t i;
	int rc = 0;

	if (strncmp(action, "Describe", 8) == 0 || strcmp(action, "GetConsoleOutput") == 0)
		return;
	ids = json_object_new_array();
	add_ids(ids, req_list(req, "InstanceIds"), NULL);
	add_ids(ids, req_list(req, "Resources"), NULL); /* CreateTags, DeleteTags */
	if (req_string(req, "InstanceId")) {            /* CreateImage */
		one = json_object_new_array();
		json_object_array_add(one, json_object_new_string(req_string(req, "InstanceId")));
		add_ids(ids, one, NULL);
		json_object_put(one);
	}
	if (resp) {
		json_object *list;

		if (json_object_object_get_ex(resp, "Instances", &list)) /* RunInstances */
			add_ids(ids, list, "InstanceId");
		for (i = 0; changes[i]; i++)
			if (json_object_object_get_ex(resp, changes[i], &list))
				add_ids(ids, list, "InstanceId");
	}
	/* AssociateAddress may take the address from an instance it does not name: all are read. */
	if (resp && strcmp(action, "AssociateAddress") == 0)
		rc = refresh(v, NULL, NULL);
	else if (json_object_array_length(ids) > 0)
		rc = refresh(v, ids, NULL);
	else if (resp)
		rc = refresh(v, NULL, NULL);
	json_object_put(ids);
	/* Whether or not it succeeded: a write that failed half-way may have changed the store. */
	if (store_may_change(action, req, VIEW_IMAGES) && reload(v, VIEW_IMAGES, NULL) < 0)
		rc = -1;
	if (store_may_change(action, req, VIEW_GROUPS) && reload(v, VIEW_GROUPS, NULL) < 0)
		rc = -1;
	if (rc < 0) {
		/* The write is answered all the same: the refresher reloads everything as soon as it
		 * can get the lock, rather than at its next period. (It does not ask again when that
		 * fails too, so a libvirt that stays down costs one reload per period.) */
		pthread_mutex_lock(&v->lock);
		v->resync = true;
		pthread_cond_signal(&v->wake);
		pthread_mutex_unlock(&v->lock);
	}
}

unsigned long api_view_generation(struct api_view *v)
{
	unsigned long g;

	pthread_mutex_lock(&v->lock);
	g = v->generation;
	pthread_mutex_unlock(&v->lock);
	return g;
}

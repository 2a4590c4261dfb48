/* Instances, loading: an instance's record from libvirt (its domain and the ec2-lite metadata in
 * it) or from the store (a terminated one), its EC2 state derived from libvirt's, every instance
 * of this state folder, InstanceIds resolved, and the instance folder's paths. See
 * instance-internal.h for the state machine these records feed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libvirt/virterror.h>

#include "ec2lite/util.h"

#include "instance-internal.h"

void inst_clear(struct inst *in)
{
	if (in->dom)
		virDomainFree(in->dom);
	ec2_meta_clear(&in->meta);
	json_object_put(in->terminated);
	memset(in, 0, sizeof(*in));
}

void insts_free(struct inst *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		inst_clear(&v[i]);
	free(v);
}

/* What libvirt says of the instance's domain, for the state machine (lifecycle.h). */
enum ec2_vm vm_of(struct inst *in)
{
	int st = -1;

	if (!in->dom)
		return EC2_VM_GONE;
	if (virDomainGetState(in->dom, &st, NULL, 0) < 0)
		st = -1;
	return ec2_vm_of(st);
}

/* The instance's condition: what may happen to it (the transition table's row). */
enum ec2_cond cond_of(struct inst *in)
{
	return ec2_cond_of(vm_of(in), in->meta.pending_op);
}

enum ec2_state derive_state(struct inst *in)
{
	return ec2_cond_state(cond_of(in));
}

/* Loads the live instance id if it is one of this state folder's; 1 found, 0 not, -1 error. */
int load_live(struct ec2_ctx *ctx, const char *id, struct inst *in)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->id, sizeof(in->id), "%s", id);
	in->dom = virDomainLookupByName(ctx->conn, id);
	if (!in->dom) {
		int code = virGetLastErrorCode();

		/* No such domain, or libvirt could not say (its connection gone): not the same. */
		return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OK ? 0 : -1;
	}
	if (ec2_meta_load(in->dom, &in->meta) < 0 || strcmp(in->meta.pool, ctx->pool_name) != 0) {
		inst_clear(in);
		return 0;
	}
	in->state = derive_state(in);
	return 1;
}

/* Every instance of this state folder, live and recently terminated. */
int list_all(struct ec2_ctx *ctx, struct inst **out, size_t *count, struct ec2_error *err)
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
					  doms[i].meta.root_keep ? NULL : doms[i].meta.root_volume,
					  NULL);
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

int resolve_one(struct ec2_ctx *ctx, json_object *req, struct inst **out, size_t *count,
		struct ec2_error *err)
{
	const char *id = req_string(req, "InstanceId");
	json_object *ids = json_object_new_array();
	int rc;

	*out = NULL;
	*count = 0;
	if (id)
		json_object_array_add(ids, json_object_new_string(id));
	rc = resolve(ctx, ids, true, out, count, err);
	json_object_put(ids);
	return rc;
}

void missing_add(struct missing_ids *m, const char *id)
{
	size_t len = strlen(m->text);

	snprintf(m->text + len, sizeof(m->text) - len, "%s%s", m->n ? ", " : "", id);
	m->n++;
}

int missing_fail(const struct missing_ids *m, struct ec2_error *err)
{
	if (m->n == 1)
		ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND, "The instance ID '%s' does not exist",
			      m->text);
	else if (m->n > 1)
		ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND, "The instance IDs '%s' do not exist",
			      m->text);
	return m->n ? -1 : 0;
}

/* Resolves InstanceIds: all must be well formed and exist (live or terminated), else nothing is
 * done (EC2's all-or-nothing rule). */
int resolve(struct ec2_ctx *ctx, json_object *ids, bool required, struct inst **out,
		   size_t *count, struct ec2_error *err)
{
	struct inst *all = NULL, *v;
	size_t nall = 0, n = ids ? json_object_array_length(ids) : 0, i, j, k = 0;
	struct missing_ids missing = { "", 0 };

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
			missing_add(&missing, id);
			continue;
		}
		v[k++] = all[j];
		memset(&all[j], 0, sizeof(all[j]));
	}
	insts_free(all, nall);
	if (missing_fail(&missing, err) < 0) {
		insts_free(v, k);
		return -1;
	}
	*out = v;
	*count = k;
	return 0;
}

char *instance_dir(struct ec2_ctx *ctx, const char *id)
{
	return util_strdupf("%s/%s", ctx->instances_dir, id);
}

/* The console log's size now: where the next boot's output will start. */
long long console_size(struct ec2_ctx *ctx, const char *id)
{
	char *path = util_strdupf("%s/%s/console.log", ctx->instances_dir, id);
	struct stat st;
	long long size = stat(path, &st) == 0 ? (long long)st.st_size : 0;

	free(path);
	return size;
}

int ec2_instance_get(struct ec2_ctx *ctx, const char *id, virDomainPtr *dom, struct ec2_meta *m,
		     enum ec2_cond *cond, struct ec2_error *err)
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
	*cond = cond_of(&v[0]);
	*dom = v[0].dom;
	virDomainRef(*dom);
	*m = v[0].meta;
	memset(&v[0].meta, 0, sizeof(v[0].meta)); /* handed over */
	rc = 0;
out:
	insts_free(v, n);
	json_object_put(ids);
	net_settle(ctx);
	return rc;
}

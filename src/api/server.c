/* The EC2 Query API over HTTP (libmicrohttpd): see server.h.
 *
 * A pool of HTTP threads reads requests; each is authenticated (SigV4 or SigV2), parsed by its
 * action's input shape, handed to the model's function for the action (the same the CLI calls)
 * and answered in EC2's XML (STS's GetCallerIdentity, in STS's, is answered here). Each
 * connection has a thread of its own, so that a long action holds up only its own client. Model
 * calls take one lock in turn, on one libvirt connection: requests of many clients at once are
 * serialised where they touch state, and the store's file locks keep the CLI and other processes
 * out of each other's way as before. DescribeInstances, DescribeImages and DescribeSecurityGroups
 * take no lock: they are answered from the view (view.h), which every write updates before it is
 * answered, and domain events and a periodic reload keep current. Beside them, a thread runs libvirt's event loop (reboots are seen
 * as they happen) and a reconciler moves instances on once a second (stops that time out, guests
 * that stopped by themselves, terminated ones purged after an hour); CreateImage's work runs in a
 * thread of its own, on its own connection. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "api.h"
#include "console.h"
#include "view.h"
#include "ec2lite/iam.h"
#include "ec2lite/image.h"
#include "ec2lite/metrics.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/tags.h"
#include "ec2lite/util.h"

struct server {
	const struct api_server_opts *opts;
	struct ec2_ctx *ctx;
	pthread_mutex_t lock; /* around every use of ctx */
	struct api_view *view; /* the answers of the describes it serves, read without the lock */
	atomic_bool stopping; /* read by the event loop and the reconciler */
	unsigned long requests;
	struct metrics *metrics; /* CloudWatch's: the sampler's, with a lock of their own */
};

/* One request being read. */
struct request {
	char *body;
	size_t len;
	bool too_large;
};

static void request_id(char out[37])
{
	uuid_t u;

	uuid_generate(u);
	uuid_unparse_lower(u, out);
}

static enum MHD_Result answer(struct MHD_Connection *c, int status, char *xml, size_t len,
			      const char *rid)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, xml, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", "text/xml;charset=UTF-8");
	MHD_add_response_header(r, "x-amzn-RequestId", rid);
	MHD_add_response_header(r, "Server", "ec2-lite");
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result error(struct MHD_Connection *c, const char *code, const char *message,
			     const char *rid)
{
	size_t len;
	char *xml = api_error_xml(code, message, rid, &len);

	return answer(c, api_error_status(code), xml, len, rid);
}

struct collect {
	struct api_header *h;
	size_t n, cap;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct collect *c = cls;

	(void)kind;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->h = realloc(c->h, c->cap * sizeof(*c->h));
		if (!c->h)
			abort();
	}
	c->h[c->n].name = key;
	c->h[c->n].value = value ? value : "";
	c->n++;
	return MHD_YES;
}

/* The query string back from libmicrohttpd's decoded arguments (it keeps no raw copy): a form
 * the Query parser and SigV4's canonical query both read the same way. Appended to one buffer,
 * so the whole rebuild is linear in the query's length. */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	api_query_add(cls, key, value);
	return MHD_YES;
}

/* CreateImage's work, in a thread of its own with a connection of its own. */
struct image_job {
	struct server *s;
	char ami[EC2_ID_MAX];
	int claim; /* the job's claim (ec2_image_job_take), held by this thread until the work ends */
};

/* The control plane answers while guests use every core: the threads that serve requests run at
 * a higher priority than the guests' QEMUs (nice SERVE_NICE; only root may raise it, and
 * otherwise they stay as they are), and long work (launches, imports, copies, image jobs, with
 * the processes they start) at the ordinary one, so that it takes no more of the cores than a
 * CLI process would. Linux's nice is a thread's own (PRIO_PROCESS with 0 names the calling
 * thread), and a new thread or process inherits its creator's. */
#define SERVE_NICE (-5)

static void thread_nice(int nice)
{
	if (setpriority(PRIO_PROCESS, 0, nice) < 0)
		return; /* not root: the thread keeps the priority it has */
}

static void *image_worker(void *opaque)
{
	struct image_job *job = opaque;
	struct ec2_ctx ctx;
	struct ec2_error err = { 0 };

	thread_nice(0);
	if (ec2_ctx_open(&ctx, job->s->ctx->cfg, 0, &err) == 0) {
		ec2_create_image_run(&ctx, job->ami, job->claim, &err);
		ec2_ctx_close(&ctx);
	} else if (job->claim >= 0) {
		close(job->claim); /* the image is seen failed */
	}
	free(job);
	return NULL;
}

static void start_image_job(struct server *s, const char *ami, int claim)
{
	struct image_job *job = calloc(1, sizeof(*job));
	pthread_t t;

	if (!job)
		abort();
	job->s = s;
	snprintf(job->ami, sizeof(job->ami), "%s", ami);
	job->claim = claim;
	if (pthread_create(&t, NULL, image_worker, job) == 0) {
		pthread_detach(t);
	} else {
		if (claim >= 0)
			close(claim); /* the image is seen failed: nobody works on it */
		free(job);
	}
}

/* Actions that can take long (ImportImage's inspection boots a libguestfs appliance, CopyImage
 * copies a disk, RunInstances makes a volume, seed and domain per instance) run on a context of
 * their own, outside the server's lock, as a CLI process beside the server would: the store's file
 * locks and the launch lock keep them and everyone else apart, and other clients and the
 * reconciler go on meanwhile. On libvirt's test driver every connection is a world of its own, so
 * there everything shares the server's context. */
static bool runs_apart(struct server *s, const char *action)
{
	static const char *const long_actions[] = { "ImportImage", "CopyImage", "RunInstances", NULL };
	size_t i;

	if (ec2_conn_is_test(s->ctx->conn))
		return false;
	for (i = 0; long_actions[i]; i++)
		if (strcmp(long_actions[i], action) == 0)
			return true;
	return false;
}

static json_object *call_apart(struct server *s, const char *action, ec2_action_fn fn,
			       json_object *req, struct ec2_error *err)
{
	struct ec2_ctx ctx;
	json_object *resp = NULL;

	thread_nice(0);
	if (ec2_ctx_open(&ctx, s->ctx->cfg, 0, err) == 0) {
		ctx.remote = s->ctx->remote;
		resp = fn(&ctx, req, err);
		ec2_ctx_close(&ctx);
	}
	thread_nice(SERVE_NICE);
	pthread_mutex_lock(&s->lock);
	api_view_written(s->view, action, req, resp); /* before the answer: the client's next read */
	s->requests++;
	pthread_mutex_unlock(&s->lock);
	return resp;
}

/* Whose error document a request gets: EC2's, STS's, IAM's or CloudWatch's. */
enum doc { DOC_EC2, DOC_STS, DOC_IAM, DOC_CW };

static enum MHD_Result error_as(struct MHD_Connection *c, enum doc doc, const char *code,
				const char *message, const char *rid)
{
	size_t len;
	char *xml;

	if (doc == DOC_EC2)
		return error(c, code, message, rid);
	if (doc == DOC_CW) {
		xml = api_service_error_xml(API_CW_XMLNS, code, message, rid, &len);
		return answer(c, api_cloudwatch_status(code), xml, len, rid);
	}
	xml = api_service_error_xml(doc == DOC_IAM ? API_IAM_XMLNS : API_STS_XMLNS, code, message,
				    rid, &len);
	return answer(c, doc == DOC_IAM ? api_iam_status(code) : api_error_status(code), xml, len,
		      rid);
}

/* Temporary credentials (an instance role's, iam.h) a request is signed with. */
struct temporary {
	bool on;
	char id[32], secret[64], instance[32], role[72];
};

/* Checks the key id and session token (X-Amz-Security-Token, a header or, presigned, a query
 * parameter) of temporary credentials into t: their secret, instance and role. */
static int temporary_check(struct server *s, struct MHD_Connection *c, struct temporary *t,
			   struct ec2_error *err)
{
	const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Security-Token");
	int rc;

	if (!token)
		token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "X-Amz-Security-Token");
	pthread_mutex_lock(&s->lock);
	rc = iam_credentials_check(s->ctx, t->id, token, t->secret, t->instance, t->role, err);
	pthread_mutex_unlock(&s->lock);
	t->on = rc == 0;
	return rc;
}

/* Whether temporary credentials t may do service's action by their role's policies; if not,
 * err says so as the service does (EC2's UnauthorizedOperation, IAM's AccessDenied). */
static bool authorized(struct server *s, const struct temporary *t, const char *service,
		       const char *action, struct ec2_error *err)
{
	json_object *root;
	int d = 0;

	pthread_mutex_lock(&s->lock);
	root = store_read(s->ctx->store, err);
	if (root)
		d = iam_role_decide(root, t->role, service, action);
	pthread_mutex_unlock(&s->lock);
	json_object_put(root);
	if (!root)
		return false;
	if (d > 0)
		return true;
	ec2_error_set(err, strcmp(service, "ec2") == 0 ? "UnauthorizedOperation" : "AccessDenied",
		      "%sUser: arn:aws:sts::%s:assumed-role/%s/%s is not authorized to perform: "
		      "%s:%s %s", strcmp(service, "ec2") == 0 ? "You are not authorized to perform "
		      "this operation. " : "", s->ctx->cfg->owner_id, t->role, t->instance, service,
		      action, d < 0 ? "with an explicit deny in an identity-based policy" :
		      "because no identity-based policy allows the action");
	return false;
}

/* Whether temporary credentials t may give an instance the role of the instance profile req
 * names (IamInstanceProfile: RunInstances, AssociateIamInstanceProfile,
 * ReplaceIamInstanceProfileAssociation): that is passing the role, iam:PassRole, as on EC2.
 * Without the check a role allowed ec2:* could hand its own instance a stronger role and read
 * that role's credentials from IMDS. A profile that does not exist is left to the action. */
static bool may_pass_role(struct server *s, const struct temporary *t, json_object *req,
			  struct ec2_error *err)
{
	json_object *spec = NULL, *root, *profile, *role;
	const char *name, *arn;
	char *role_arn = NULL;
	int d = 1;

	if (!json_object_object_get_ex(req, "IamInstanceProfile", &spec) ||
	    !json_object_is_type(spec, json_type_object))
		return true;
	name = req_string(spec, "Name");
	arn = req_string(spec, "Arn");
	pthread_mutex_lock(&s->lock);
	root = store_read(s->ctx->store, NULL);
	profile = root && (name || arn) ? iam_profile_find(root, arn ? NULL : name, arn, NULL) :
					  NULL;
	role = profile ? iam_profile_role(root, profile) : NULL;
	if (role) {
		role_arn = strdup(req_str0(role, "Arn"));
		d = iam_role_decide_on(root, t->role, "iam", "PassRole", role_arn);
	}
	pthread_mutex_unlock(&s->lock);
	json_object_put(root);
	if (d <= 0)
		ec2_error_set(err, "UnauthorizedOperation", "You are not authorized to perform this "
			      "operation. User: arn:aws:sts::%s:assumed-role/%s/%s is not authorized "
			      "to perform: iam:PassRole on resource: %s %s", s->ctx->cfg->owner_id,
			      t->role, t->instance, role_arn ? role_arn : "",
			      d < 0 ? "with an explicit deny in an identity-based policy" :
			      "because no identity-based policy allows the iam:PassRole action");
	free(role_arn);
	return d > 0;
}

/* IAM's actions (iam.h), in IAM's Query protocol and XML. */
static enum MHD_Result iam_answer(struct server *s, struct MHD_Connection *c, const char *name,
				  const char *version, const struct api_params *p,
				  const struct temporary *t, const char *rid)
{
	struct ec2_error err = { 0 };
	iam_action_fn fn = version && strcmp(version, API_IAM_VERSION) == 0 ? iam_action(name)
									    : NULL;
	json_object *req = NULL, *resp = NULL;
	enum MHD_Result rc;
	size_t len;
	char *xml;

	if (!fn) {
		char *m = util_strdupf("Could not find operation %s for version %s", name,
				       version ? version : "");

		rc = error_as(c, DOC_IAM, version ? "InvalidAction" : "MissingParameter",
			      version ? m : "The request must contain the parameter Version", rid);
		free(m);
		return rc;
	}
	if ((t->on && !authorized(s, t, "iam", name, &err)) || !(req = api_iam_request(p, &err)))
		return error_as(c, DOC_IAM, err.code, err.message, rid);
	pthread_mutex_lock(&s->lock);
	resp = fn(s->ctx, req, &err);
	s->requests++;
	pthread_mutex_unlock(&s->lock);
	json_object_put(req);
	if (!resp)
		return error_as(c, DOC_IAM, err.code, err.message, rid);
	xml = api_iam_response_xml(name, resp, rid, &len);
	json_object_put(resp);
	return answer(c, 200, xml, len, rid);
}

/* CloudWatch's actions (api.h): the instances' metrics, read under the metrics' own lock. */
static enum MHD_Result cw_answer(struct server *s, struct MHD_Connection *c, const char *name,
				 const char *version, const struct api_params *p,
				 const struct temporary *t, const char *rid)
{
	struct ec2_error err = { 0 };
	size_t len;
	char *xml;

	if (!api_cloudwatch_known(name, version, &err) ||
	    (t->on && !authorized(s, t, "cloudwatch", name, &err)))
		return error_as(c, DOC_CW, err.code, err.message, rid);
	xml = api_cloudwatch_answer(s->metrics, name, p, rid, &len, &err);
	if (!xml)
		return error_as(c, DOC_CW, err.code, err.message, rid);
	pthread_mutex_lock(&s->lock);
	s->requests++;
	pthread_mutex_unlock(&s->lock);
	return answer(c, 200, xml, len, rid);
}

/* STS's actions: GetCallerIdentity answers who signed (key, or NULL: unsigned); the others are
 * not served. */
static enum MHD_Result sts_answer(struct server *s, struct MHD_Connection *c, const char *name,
				  const char *version, const struct api_key *key,
				  const struct temporary *t, const char *rid)
{
	struct api_identity id;
	size_t len;
	char *xml, *m;
	enum MHD_Result rc;

	if (!version)
		return error_as(c, DOC_STS, "MissingParameter",
				"The request must contain the parameter Version", rid);
	if (strcmp(version, API_STS_VERSION) != 0 || strcmp(name, "GetCallerIdentity") != 0) {
		m = util_strdupf("Could not find operation %s for version %s", name, version);
		rc = error_as(c, DOC_STS, "InvalidAction", m, rid);
		free(m);
		return rc;
	}
	if (t->on) {
		/* An instance role's session: the role's id from the store (it may be gone). */
		json_object *root, *roles = NULL, *role = NULL;

		pthread_mutex_lock(&s->lock);
		root = store_read(s->ctx->store, NULL);
		if (root && json_object_object_get_ex(store_section(root, "iam"), "roles", &roles))
			json_object_object_get_ex(roles, t->role, &role);
		api_sts_assumed_identity(s->ctx->cfg->owner_id, t->role,
					 role ? req_str0(role, "RoleId") : "", t->instance, &id);
		pthread_mutex_unlock(&s->lock);
		json_object_put(root);
	} else {
		api_sts_identity(s->ctx->cfg->owner_id, key, &id);
	}
	xml = api_sts_identity_xml(&id, rid, &len);
	return answer(c, 200, xml, len, rid);
}

static enum MHD_Result handle(struct server *s, struct MHD_Connection *c, const char *method,
			      const char *url, struct request *r)
{
	struct collect headers = { 0 };
	struct api_params params = { 0 };
	struct ec2_error err = { 0 };
	struct api_http_request hr;
	const struct api_action *action;
	const char *name, *version, *ctype;
	struct util_buf q = { 0 };
	const char *query;
	char rid[37], *xml, scope[32] = "";
	json_object *req = NULL, *resp = NULL;
	enum MHD_Result rc;
	ec2_action_fn fn;
	size_t len, who = 0;
	bool sts, sigv4, iam, cw;
	struct temporary tc = { 0 };
	struct api_key tkey;
	enum doc doc;
	int claim;

	/* The web console's files: read by anyone (the page signs its API requests itself). */
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) && console_url(url) &&
	    !r->too_large)
		return (enum MHD_Result)console_answer(c, url, s->ctx->cfg->region,
						       !s->opts->no_auth);
	request_id(rid);
	util_buf_put(&q, "", 0);
	if (r->too_large) {
		rc = error(c, "RequestEntityTooLarge", "The request is larger than the 256 KiB the "
			   "service takes", rid);
		goto out;
	}
	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
		rc = error(c, "UnsupportedProtocol", "Only GET and POST requests are served", rid);
		goto out;
	}
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &headers);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
	query = q.s;
	hr = (struct api_http_request){ method, url, query, headers.h, headers.n, r->body, r->len };
	/* SigV4 (an Authorization header) is checked before the parameters are read; its scope
	 * names the service, EC2's or STS's. SigV2 travels in the parameters: checked once they
	 * are read. A request with neither is refused by the SigV4 check. */
	sigv4 = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization") != NULL;
	if (sigv4)
		api_sigv4_service(&hr, scope, sizeof(scope));
	sts = strcmp(scope, "sts") == 0;
	iam = strcmp(scope, "iam") == 0;
	cw = strcmp(scope, "monitoring") == 0;
	doc = iam ? DOC_IAM : sts ? DOC_STS : cw ? DOC_CW : DOC_EC2;
	/* Temporary credentials (ASIA...) carry their session token: it gives the secret the
	 * signature is checked with, by the same check as every key's. */
	if (!s->opts->no_auth && sigv4 && api_sigv4_key_id(&hr, tc.id, sizeof(tc.id)) &&
	    strncmp(tc.id, "ASIA", 4) == 0 && temporary_check(s, c, &tc, &err) < 0) {
		if (doc != DOC_EC2 && strcmp(err.code, "AuthFailure") == 0)
			ec2_error_set(&err, "InvalidClientTokenId", "The security token included in "
				      "the request is invalid.");
		rc = error_as(c, doc, err.code, err.message, rid);
		goto out;
	}
	tkey = (struct api_key){ tc.id, tc.secret, NULL };
	if (!s->opts->no_auth && sigv4 &&
	    api_sigv4_check(&hr, tc.on ? &tkey : s->opts->keys, tc.on ? 1 : s->opts->nkeys,
			    s->ctx->cfg->region, iam ? "iam" : sts ? "sts" : cw ? "monitoring" : "ec2",
			    time(NULL), &who, &err) < 0) {
		if (doc != DOC_EC2 && strcmp(err.code, "AuthFailure") == 0)
			ec2_error_set(&err, "InvalidClientTokenId", "The security token included in "
				      "the request is invalid.");
		rc = error_as(c, doc, err.code, err.message, rid);
		goto out;
	}
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if (api_params_parse(&params, query, strlen(query), &err) < 0 ||
	    (strcmp(method, "POST") == 0 && r->len > 0 &&
	     (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0) &&
	     api_params_parse(&params, r->body, r->len, &err) < 0)) {
		rc = error_as(c, doc, err.code, err.message, rid);
		goto out;
	}
	name = api_params_get(&params, "Action");
	version = api_params_get(&params, "Version");
	sts = sts || api_sts_action(name);
	/* Unsigned and SigV2 requests name IAM by its Version. */
	iam = iam || (!sigv4 && version && strcmp(version, API_IAM_VERSION) == 0);
	cw = cw || (!sigv4 && version && strcmp(version, API_CW_VERSION) == 0);
	doc = iam ? DOC_IAM : sts ? DOC_STS : cw ? DOC_CW : DOC_EC2;
	if (!s->opts->no_auth && !sigv4 &&
	    (api_sigv2_used(&params) ?
	     api_sigv2_check(&hr, &params, s->opts->keys, s->opts->nkeys, time(NULL), &who, &err) :
	     api_sigv4_check(&hr, s->opts->keys, s->opts->nkeys, s->ctx->cfg->region, "ec2",
			     time(NULL), &who, &err)) < 0) {
		if (doc != DOC_EC2 && strcmp(err.code, "AuthFailure") == 0)
			ec2_error_set(&err, "InvalidClientTokenId", "The security token included in "
				      "the request is invalid.");
		rc = error_as(c, doc, err.code, err.message, rid);
		goto out;
	}
	if (!name) {
		rc = error_as(c, doc, "MissingAction", "The request must contain the parameter Action",
			      rid);
		goto out;
	}
	/* A SigV4 scope is for one service: STS's actions take "sts", EC2's "ec2". */
	if (!s->opts->no_auth && sigv4 && api_sts_action(name) && strcmp(scope, "sts") != 0) {
		rc = error_as(c, DOC_STS, "SignatureDoesNotMatch", "Credential should be scoped to "
			      "correct service: 'sts'. ", rid);
		goto out;
	}
	if (!s->opts->no_auth && sigv4 && !api_sts_action(name) && !iam && !cw &&
	    strcmp(scope, "ec2") != 0) {
		rc = error(c, "AuthFailure", "Credential should be scoped to correct service: 'ec2'.",
			   rid);
		goto out;
	}
	if (api_sts_action(name)) {
		rc = sts_answer(s, c, name, version,
				s->opts->no_auth || !s->opts->nkeys ? NULL : &s->opts->keys[who], &tc,
				rid);
		goto out;
	}
	if (iam) {
		rc = iam_answer(s, c, name, version, &params, &tc, rid);
		goto out;
	}
	if (cw) {
		rc = cw_answer(s, c, name, version, &params, &tc, rid);
		goto out;
	}
	action = api_action_find(name);
	fn = action ? ec2_action(name) : NULL;
	if (!fn) {
		char *m = util_strdupf("The action %s is not valid for this web service.", name);

		rc = error(c, "InvalidAction", m, rid);
		free(m);
		goto out;
	}
	if (!version || strcmp(version, API_VERSION) != 0) {
		char *m = version ? util_strdupf("The requested version (%s) of service AmazonEC2 "
						 "does not exist", version)
				  : strdup("The request must contain the parameter Version");

		rc = error(c, version ? "NoSuchVersion" : "MissingParameter", m, rid);
		free(m);
		goto out;
	}
	/* An instance role's credentials may do what its policies allow, checked before the
	 * request is (EC2 answers UnauthorizedOperation before DryRunOperation). */
	if (tc.on && !authorized(s, &tc, "ec2", name, &err)) {
		rc = error(c, err.code, err.message, rid);
		goto out;
	}
	req = api_request(action, &params, &err);
	if (!req) {
		rc = error(c, err.code, err.message, rid);
		goto out;
	}
	if (tc.on && !may_pass_role(s, &tc, req, &err)) {
		rc = error(c, err.code, err.message, rid);
		goto out;
	}
	if (api_view_serves(name)) {
		/* The view: no lock, no libvirt, no store; the plain request's answer is rendered
		 * once per change. */
		xml = api_view_describe_xml(s->view, action, req, rid, &len, &err);
		rc = xml ? answer(c, 200, xml, len, rid) : error(c, err.code, err.message, rid);
		goto out;
	} else if (runs_apart(s, name)) {
		resp = call_apart(s, name, fn, req, &err);
		claim = -1;
	} else {
		pthread_mutex_lock(&s->lock);
		resp = fn(s->ctx, req, &err);
		api_view_written(s->view, name, req, resp); /* before the answer */
		claim = ec2_image_job_take(s->ctx); /* CreateImage's job, for its worker thread */
		s->requests++;
		pthread_mutex_unlock(&s->lock);
	}
	if (!resp) {
		rc = error(c, err.code, err.message, rid);
		goto out;
	}
	if (claim >= 0)
		start_image_job(s, req_str0(resp, "ImageId"), claim);
	xml = api_response_xml(action, resp, rid, &len);
	rc = answer(c, 200, xml, len, rid);
out:
	json_object_put(req);
	json_object_put(resp);
	api_params_free(&params);
	free(headers.h);
	free(q.s);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *r = *con_cls;

	(void)version;
	if (!r) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		/* A body announced too large is answered before it is read: libmicrohttpd then
		 * discards the rest and closes the connection once the answer is out. */
		if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY) {
			r->too_large = true;
			return handle(s, c, method, url, r);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->len + *upload_size > API_MAX_BODY) {
			/* A chunked body, whose length was not known: libmicrohttpd takes no answer
			 * while it reads a body, so the connection is closed here rather than read to
			 * its end. */
			return MHD_NO;
		} else {
			r->body = realloc(r->body, r->len + *upload_size + 1);
			if (!r->body)
				return MHD_NO;
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return handle(s, c, method, url, r);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (r) {
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}

static void *event_loop(void *opaque)
{
	struct server *s = opaque;

	while (!s->stopping)
		if (virEventRunDefaultImpl() < 0)
			util_sleep_ms(100);
	return NULL;
}

static void *reconciler(void *opaque)
{
	struct server *s = opaque;

	while (!s->stopping) {
		pthread_mutex_lock(&s->lock);
		ec2_reconcile(s->ctx, NULL, false, NULL);
		pthread_mutex_unlock(&s->lock);
		util_sleep_ms(1000);
	}
	return NULL;
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct ec2_error *err)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	long port;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "--listen takes ADDRESS:PORT, not '%s'",
			      listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 || *end || port < 1 || port > 65535) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "--listen takes ADDRESS:PORT (an IPv4 "
			      "address), not '%s'", listen);
		return -1;
	}
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int api_serve(struct ec2_ctx *ctx, const struct api_server_opts *opts, struct ec2_error *err)
{
	struct server s = { .opts = opts, .ctx = ctx };
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	pthread_t loop, rec;
	struct api_sampler *sampler;
	const char *inject = getenv("EC2_LITE_TEST_METRICS");
	sigset_t set;
	int sig = 0;

	if (parse_listen(opts->listen, &sa, err) < 0)
		return -1;
	/* Unsigned requests drive the host as the server's user (root): only from this host. */
	if (opts->no_auth && (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "--no-auth takes a loopback listen "
			      "address (127.0.0.0/8), not '%s': anyone who reaches it could use the "
			      "API unsigned", opts->listen);
		return -1;
	}
	if (!opts->no_auth && opts->nkeys == 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "no access keys are configured: add "
			      "\"access-keys\" to %s/config.json or set EC2_LITE_ACCESS_KEYS=ID:SECRET "
			      "(or serve --no-auth to take unsigned requests)", ctx->cfg->state_dir);
		return -1;
	}
	/* From here on requests come from clients, who name no host path (ec2_ctx.remote). */
	ctx->remote = true;
	pthread_mutex_init(&s.lock, NULL);
	/* CloudWatch's metrics: the sampler's; on the test driver, whose domains have no
	 * statistics, the API tests' samples (EC2_LITE_TEST_METRICS) instead, never a client's. */
	s.metrics = metrics_new(METRICS_RETENTION / (opts->metrics_interval ?
						    opts->metrics_interval : 1) + 2);
	s.view = api_view_new(ctx, &s.lock, err);
	if (!s.view || (inject && *inject && ec2_conn_is_test(ctx->conn) &&
			api_metrics_inject(s.metrics, inject, err) < 0)) {
		api_view_free(s.view);
		metrics_free(s.metrics);
		pthread_mutex_destroy(&s.lock);
		return -1;
	}
	/* The signals that stop the server are taken by sigwait below, in every thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A thread per connection, not a pool: a pool thread that runs a long action (a launch)
	 * would hold up every other connection it serves, describes included. Every thread the
	 * server starts from here inherits the serving priority. */
	thread_nice(SERVE_NICE);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_MAX_CONNECTIONS,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, &s,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!d) {
		ec2_error_set_errno(err, errno, "cannot listen on %s", opts->listen);
		api_view_free(s.view);
		metrics_free(s.metrics);
		pthread_mutex_destroy(&s.lock);
		return -1;
	}
	pthread_create(&loop, NULL, event_loop, &s);
	pthread_create(&rec, NULL, reconciler, &s);
	api_view_start(s.view);
	sampler = api_sampler_start(ctx, &s.lock, s.metrics, opts->metrics_interval);
	if (opts->ready)
		opts->ready(opts->ready_opaque);
	sigwait(&set, &sig);
	s.stopping = true;
	MHD_stop_daemon(d);
	api_sampler_stop(sampler);
	metrics_free(s.metrics);
	pthread_join(rec, NULL);
	api_view_stop(s.view); /* its event callbacks go while the loop still runs */
	/* The event loop wakes at least twice a second (ec2_ctx_open's tick). */
	pthread_join(loop, NULL);
	api_view_free(s.view);
	pthread_mutex_destroy(&s.lock);
	return 0;
}

/* The IMDS daemon: see daemon.h. One libmicrohttpd daemon with no listening socket of its own:
 * this process accepts the relays' connections, reads which instance each serves, and hands the
 * rest of the connection to libmicrohttpd (MHD_add_connection). Requests are answered one at a
 * time, from the model's current description of the instance (imds_answer). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/iam.h"
#include "ec2lite/ids.h"
#include "ec2lite/imds.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/instance.h"
#include "ec2lite/keypair.h"
#include "ec2lite/store.h"
#include "ec2lite/util.h"
#include "imds/daemon.h"

#define IDLE_EXIT_S 60     /* no instance of the folder running this long: the daemon ends */
#define CHECK_EVERY_MS 2000
#define HELLO_MAX 40       /* "i-" + 17 hex digits + "\n", with room */

struct daemon {
	const struct ec2_config *cfg;
	struct ec2_ctx ctx;
	bool ctx_open;
	pthread_mutex_t lock; /* the ctx: requests and the periodic check */
	struct imds_keys keys;
	uid_t qemu_uid;
	struct imds_conns conns; /* admitted connections, released when libmicrohttpd closes them */
};

/* The model's context, opened again when libvirt went away (libvirtd restarted). */
static struct ec2_ctx *ctx_get(struct daemon *d)
{
	struct ec2_error err = { 0 };

	if (d->ctx_open && virConnectIsAlive(d->ctx.conn) == 1)
		return &d->ctx;
	if (d->ctx_open)
		ec2_ctx_close(&d->ctx);
	d->ctx_open = ec2_ctx_open(&d->ctx, d->cfg, 0, &err) == 0;
	return d->ctx_open ? &d->ctx : NULL;
}

/* ---------- one request ---------- */

static unsigned char *read_user_data(struct ec2_ctx *ctx, const char *id, size_t *len)
{
	char *path = util_strdupf("%s/%s/user-data", ctx->instances_dir, id);
	size_t n = 0;
	char *data = util_read_file(path, &n, NULL);

	if (!data || n == 0) {
		free(data);
		data = NULL;
		n = 0;
	}
	free(path);
	*len = n;
	return (unsigned char *)data;
}

/* The role of the instance's profile (caller frees), or NULL: none, or gone from IAM. */
static char *role_of(struct ec2_ctx *ctx, json_object *instance)
{
	json_object *profile_of = NULL, *root, *profile, *role;
	char *name = NULL;

	if (!json_object_object_get_ex(instance, "IamInstanceProfile", &profile_of) ||
	    !req_string(profile_of, "Arn") || !(root = store_read(ctx->store, NULL)))
		return NULL;
	profile = iam_profile_find(root, NULL, req_string(profile_of, "Arn"), NULL);
	role = profile ? iam_profile_role(root, profile) : NULL;
	if (role && req_string(role, "RoleName"))
		name = strdup(req_string(role, "RoleName"));
	json_object_put(root);
	return name;
}

/* Whether a description's public IP is what it will be: a live instance has one (the
 * network's bookkeeping gives it at the first reconcile pass after a start). */
static bool public_ip_settled(json_object *e)
{
	json_object *in = NULL;
	const char *state;

	json_object_object_get_ex(e, "Instance", &in);
	state = req_str0(json_path(in, "State"), "Name");
	return (strcmp(state, "running") != 0 && strcmp(state, "pending") != 0) ||
	       req_string(in, "PublicIpAddress") != NULL;
}

/* The answer to one request of instance id (r filled; r->body the caller's). */
static void answer_for(struct daemon *d, const char *id, const struct imds_request *rq,
		       struct imds_response *r)
{
	struct ec2_ctx *ctx;
	json_object *ids = json_object_new_array(), *described = NULL, *e;
	struct imds_instance in;
	char *key = NULL, *role = NULL;
	unsigned char *ud = NULL;
	json_object *creds = NULL;

	memset(&in, 0, sizeof(in));
	json_object_array_add(ids, json_object_new_string(id));
	pthread_mutex_lock(&d->lock);
	ctx = ctx_get(d);
	if (ctx)
		described = ec2_instances_described(ctx, ids, NULL);
	e = described && json_object_array_length(described) == 1 ?
		    json_object_array_get_idx(described, 0) : NULL;
	if (e && !public_ip_settled(e)) {
		/* Just started: its public IP comes with the next reconcile pass, made now. */
		json_object *req = json_object_new_object();

		json_object_object_add(req, "InstanceIds", json_object_get(ids));
		ec2_reconcile(ctx, req, false, NULL);
		json_object_put(req);
		json_object_put(described);
		described = ec2_instances_described(ctx, ids, NULL);
		e = described && json_object_array_length(described) == 1 ?
			    json_object_array_get_idx(described, 0) : NULL;
	}
	if (!e) {
		/* libvirt did not answer, or the instance is gone: EC2's IMDS is down for it. */
		pthread_mutex_unlock(&d->lock);
		memset(r, 0, sizeof(*r));
		r->status = 503;
		r->body = strdup("Service Unavailable\n");
		r->len = strlen(r->body);
		r->content_type = "text/plain";
		json_object_put(ids);
		json_object_put(described);
		return;
	}
	json_object_object_get_ex(e, "Instance", &in.instance);
	in.reservation_id = req_string(e, "ReservationId");
	in.account_id = d->cfg->owner_id;
	in.region = d->cfg->region;
	ud = read_user_data(ctx, id, &in.user_data_len);
	in.user_data = ud;
	if (req_string(in.instance, "KeyName"))
		key = keypair_public_key(ctx, req_string(in.instance, "KeyName"), NULL);
	in.public_key = key;
	role = role_of(ctx, in.instance);
	in.role_name = role;
	/* The role's credentials only where they are read (each answer makes a set). */
	if (role && strstr(rq->path, "security-credentials"))
		creds = iam_credentials_issue(ctx, id, role, NULL);
	in.credentials = creds;
	imds_answer(&d->keys, &in, rq, r);
	pthread_mutex_unlock(&d->lock);
	free(role);
	json_object_put(creds);
	free(key);
	free(ud);
	json_object_put(ids);
	json_object_put(described);
}

/* The path goes to imds_answer as the guest sent it: it decodes %XX itself (once). */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static int started;
	struct daemon *d = cls;
	const union MHD_ConnectionInfo *info;
	struct imds_request rq;
	struct imds_response r;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	char ttl[32];

	(void)version;
	(void)upload;
	if (!*con_cls) {
		*con_cls = &started;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a body means nothing to IMDS */
		return MHD_YES;
	}
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (!info || !info->socket_context)
		return MHD_NO;
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = url;
	rq.token = header(c, "X-aws-ec2-metadata-token");
	rq.token_ttl = header(c, "X-aws-ec2-metadata-token-ttl-seconds");
	rq.forwarded_for = header(c, "X-Forwarded-For") != NULL;
	rq.now = (long long)time(NULL);
	memset(&r, 0, sizeof(r));
	answer_for(d, info->socket_context, &rq, &r);
	resp = MHD_create_response_from_buffer(r.len, r.body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r.body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", r.content_type ? r.content_type :
				"text/plain");
	MHD_add_response_header(resp, "Server", "EC2ws");
	if (r.token_ttl > 0) {
		snprintf(ttl, sizeof(ttl), "%ld", r.token_ttl);
		MHD_add_response_header(resp, "X-aws-ec2-metadata-token-ttl-seconds", ttl);
	}
	rc = MHD_queue_response(c, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* libmicrohttpd took up a connection: it gets the instance its relay named, which travels as
 * the connection's client address (imds_conn_address). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	char id[32];

	struct daemon *d = cls;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		imds_conns_release(&d->conns, *socket_context);
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info && imds_conn_instance(info->client_addr, id) && !(*socket_context = strdup(id)))
		abort(); /* its count would never be released */
}

/* ---------- the relays' connections ---------- */

/* Reads the relay's first line, the instance id, byte by byte (what follows is HTTP, for
 * libmicrohttpd). */
static bool read_hello(int fd, char id[32])
{
	char line[HELLO_MAX + 1];
	size_t n = 0;

	while (n < HELLO_MAX) {
		ssize_t r = read(fd, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		if (line[n] == '\n') {
			line[n] = '\0';
			if (!ec2_id_valid("i", line) || n >= 32)
				return false;
			memcpy(id, line, n + 1);
			return true;
		}
		n++;
	}
	return false;
}

static void on_accept(struct daemon *d, struct MHD_Daemon *mhd, int lfd)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t clen = sizeof(cred), len;
	struct timeval tv = { .tv_sec = 2 };
	char id[32];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* Only a relay QEMU started (QEMU's user) or root may speak for an instance. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != 0 && cred.uid != d->qemu_uid) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 || !read_hello(fd, id)) {
		close(fd);
		return;
	}
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The instance goes with the connection (no table of pending ones: libmicrohttpd may drop
	 * a connection it queued without a word, and its descriptor comes back for another). */
	len = imds_conn_address(id, &sa);
	if (!len || !imds_conns_admit(&d->conns, id)) {
		close(fd);
		return;
	}
	if (MHD_add_connection(mhd, fd, (struct sockaddr *)&sa, len) != MHD_YES)
		imds_conns_release(&d->conns, id); /* it closed fd */
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, 64) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Whether an instance of the folder runs (or libvirt cannot say: the daemon stays). */
static bool any_running(struct daemon *d)
{
	struct ec2_dom *doms = NULL;
	struct ec2_ctx *ctx;
	size_t n = 0;
	bool yes;

	pthread_mutex_lock(&d->lock);
	ctx = ctx_get(d);
	if (!ctx || ec2_doms_list(ctx, EC2_DOMS_ACTIVE, &doms, &n, NULL) < 0) {
		pthread_mutex_unlock(&d->lock);
		return true;
	}
	yes = n > 0;
	ec2_doms_free(doms, n);
	pthread_mutex_unlock(&d->lock);
	return yes;
}

int imds_daemon_main(const struct ec2_config *cfg)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct ec2_error err = { 0 };
	struct MHD_Daemon *mhd = NULL;
	struct passwd *pw = getpwnam("libvirt-qemu");
	char *sock = imds_socket_path(cfg->state_dir);
	double idle_since, checked;
	int lock_fd, lfd = -1, rc = 1;
	size_t i;

	if (!d)
		abort();
	/* A daemon that is ending lets go within moments; one at work keeps the lock. */
	for (i = 0; i < 50 && (lock_fd = imds_daemon_lock(cfg->state_dir)) < 0; i++)
		util_sleep_ms(100);
	if (lock_fd < 0) {
		rc = 0; /* another daemon serves the folder */
		goto out;
	}
	d->cfg = cfg;
	d->qemu_uid = pw ? pw->pw_uid : 0;
	imds_conns_init(&d->conns);
	pthread_mutex_init(&d->lock, NULL);
	if (imds_keys_load(cfg->state_dir, &d->keys, &err) < 0) {
		fprintf(stderr, "ec2-lite imds-daemon: %s\n", err.message);
		goto out;
	}
	lfd = listen_on(sock);
	if (lfd < 0) {
		fprintf(stderr, "ec2-lite imds-daemon: cannot listen on %s: %s\n", sock,
			strerror(errno));
		goto out;
	}
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_NO_LISTEN_SOCKET |
			       MHD_USE_ITC, 0, NULL, NULL, on_request, d,
			       MHD_OPTION_NOTIFY_CONNECTION, on_connection, d,
			       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			       MHD_OPTION_CONNECTION_LIMIT, (unsigned)(IMDS_CONNS_MAX + 16),
			       MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL, MHD_OPTION_END);
	if (!mhd)
		goto out;
	idle_since = checked = util_monotonic();
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		struct stat st;

		if (poll(&p, 1, CHECK_EVERY_MS) > 0) {
			on_accept(d, mhd, lfd);
			/* A connection is activity: a launch's check that the daemon answers
			 * (imds_daemon_ensure) keeps it a minute more, past its guest's start. */
			idle_since = util_monotonic();
		}
		if (stat(cfg->state_dir, &st) < 0)
			break; /* the folder is gone */
		if (util_monotonic() - checked < IDLE_EXIT_S / 6)
			continue;
		checked = util_monotonic();
		if (any_running(d))
			idle_since = util_monotonic();
		else if (util_monotonic() - idle_since >= IDLE_EXIT_S)
			break;
	}
	rc = 0;
out:
	/* The socket first: from now on a launch's check finds no daemon and starts one. */
	if (lfd >= 0) {
		close(lfd);
		unlink(sock);
	}
	if (mhd)
		MHD_stop_daemon(mhd);
	if (d->ctx_open)
		ec2_ctx_close(&d->ctx);
	imds_keys_clear(&d->keys);
	free(sock);
	free(d);
	return rc;
}

/* Boot timelines: see include/ec2lite/timeline.h. */
#include "ec2lite/timeline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ec2lite/ids.h"
#include "ec2lite/util.h"

#define WATCH_SECONDS 600
/* <instance-dir>/timeline.watcher names the boot whose watcher may write the timeline: a new
 * boot's watcher replaces it, a stop removes it, a terminate removes the folder; a watcher that
 * finds another name there (or none) ends without writing. */
#define TOKEN "timeline.watcher"

/* Each phase, the console line that marks it (the first occurrence counts), in boot order. */
static const struct {
	const char *phase, *marker;
} markers[] = {
	{ "kernel", "Linux version " },
	{ "initramfs", "Run /init as init process" },
	{ "init", "systemd[1]: systemd " },
	{ "init", "ec2-lite tiny: init started" },
	{ "cloud-init-local", "running 'init-local'" },
	{ "cloud-init-network", "running 'init' at" },
	{ "cloud-init-config", "running 'modules:config'" },
	{ "user-data", "running 'modules:final'" },
	{ "user-data", "ec2-lite tiny: user-data started" },
	{ "user-data-done", "ec2-lite tiny: user-data finished" },
	{ "user-data-done", " finished at " },
	{ "login", " login: " },
	{ "login", "ec2-lite tiny: ready" },
};
#define NMARKERS (sizeof(markers) / sizeof(markers[0]))

json_object *timeline_phases(const char *text, size_t len)
{
	json_object *out = json_object_new_array();
	size_t i, k;

	for (i = 0; i < NMARKERS; i++) {
		bool have = false;

		for (k = 0; k < json_object_array_length(out) && !have; k++)
			have = strcmp(req_str0(json_object_array_get_idx(out, k), "Phase"),
				      markers[i].phase) == 0;
		if (!have && memmem(text, len, markers[i].marker, strlen(markers[i].marker))) {
			json_object *p = json_object_new_object();

			json_add_str(p, "Phase", markers[i].phase);
			json_add_str(p, "Marker", markers[i].marker);
			json_object_array_add(out, p);
		}
	}
	return out;
}

/* ---------- the watcher ---------- */

struct watch {
	char id[EC2_ID_MAX];
	char *log, *out, *token_path;
	char token[64];
	double started_at;
	long long offset;
	char ip[16];
	int ports[16];
	int nports;
};

/* A probe of one port: connected, a HEAD sent, waiting (without blocking the console's reading)
 * for the first bytes of an answer: a banner, or the reply to the HEAD. QEMU accepts a forwarded
 * connection before the guest does, so a connection alone says nothing. */
struct probe {
	int fd;
	int port;
	double since;
};

static void probe_start(struct probe *p, const char *ip, int port, double now)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static const char head[] = "HEAD / HTTP/1.0\r\n\r\n";

	p->port = port;
	p->since = now;
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd >= 0 && (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 ||
			   connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			   write(p->fd, head, sizeof(head) - 1) < 0)) {
		close(p->fd);
		p->fd = -1;
	}
}

/* 1: it answered; 0: not yet; -1: this probe is over (closed, or quiet for two seconds). */
static int probe_check(struct probe *p, double now)
{
	struct pollfd pf = { .fd = p->fd, .events = POLLIN };
	char buf[64];
	int rc = 0;

	if (p->fd < 0)
		return -1;
	if (poll(&pf, 1, 0) == 1)
		rc = (pf.revents & POLLIN) && read(p->fd, buf, sizeof(buf)) > 0 ? 1 : -1;
	else if (now - p->since > 2)
		rc = -1;
	if (rc != 0) {
		close(p->fd);
		p->fd = -1;
	}
	return rc;
}

/* Whether this watcher's boot is still the instance's current one. */
static bool still_mine(const struct watch *w)
{
	char *t = util_read_file(w->token_path, NULL, NULL);
	bool mine = t && strcmp(t, w->token) == 0;

	free(t);
	return mine;
}

static void save(struct watch *w, json_object *phases, bool complete)
{
	json_object *t;
	const char *text;

	if (!still_mine(w))
		return;
	t = json_object_new_object();

	json_add_str(t, "InstanceId", w->id);
	json_object_object_add(t, "StartedAt", json_object_new_double(w->started_at));
	json_object_object_add(t, "Phases", json_object_get(phases));
	json_add_bool(t, "Complete", complete);
	text = json_object_to_json_string(t);
	util_write_file_atomic(w->out, text, strlen(text), 0644, NULL);
	json_object_put(t);
}

static void watch_boot(void *arg)
{
	struct watch *w = arg;
	json_object *seen = json_object_new_array(); /* [{"Phase", "Seconds"}] */
	char *text = NULL;
	size_t len = 0;
	bool answered = w->nports == 0 || !w->ip[0], ready = false;
	double last_probe = 0;
	struct probe probe = { .fd = -1 };
	int next_port = 0;

	for (;;) {
		double now_wall;
		struct timespec ts;
		int fd = open(w->log, O_RDONLY | O_CLOEXEC);
		bool changed = false, grew = false;

		clock_gettime(CLOCK_REALTIME, &ts);
		now_wall = (double)ts.tv_sec + ts.tv_nsec / 1e9;
		if (fd >= 0) {
			struct stat st;

			if (fstat(fd, &st) == 0 && st.st_size > w->offset + (long long)len) {
				size_t more = (size_t)(st.st_size - w->offset) - len;
				ssize_t n;

				text = realloc(text, len + more + 1);
				if (!text)
					abort();
				n = pread(fd, text + len, more, w->offset + (off_t)len);
				if (n > 0) {
					len += (size_t)n;
					grew = true;
				}
			}
			close(fd);
		}
		if (grew) { /* the phases of what the console said so far */
			json_object *phases;

			text[len] = '\0';
			phases = timeline_phases(text, len);
			size_t i, k;

			for (i = 0; i < json_object_array_length(phases); i++) {
				const char *ph = req_str0(json_object_array_get_idx(phases, i), "Phase");
				bool have = false;

				for (k = 0; k < json_object_array_length(seen) && !have; k++)
					have = strcmp(req_str0(json_object_array_get_idx(seen, k), "Phase"), ph) == 0;
				if (!have) {
					json_object *p = json_object_new_object();

					json_add_str(p, "Phase", ph);
					json_object_object_add(p, "Seconds",
							       json_object_new_double(now_wall - w->started_at));
					json_object_array_add(seen, p);
					changed = true;
					/* Up: tiny's "ready"; with cloud-init, its final stage done. */
					ready |= strcmp(ph, strstr(text, "Cloud-init v.") ?
							"user-data-done" : "login") == 0;
				}
			}
			json_object_put(phases);
		}
		if (!answered) {
			int r = probe_check(&probe, now_wall);

			if (r == 1) {
				json_object *p = json_object_new_object();
				char name[32];

				snprintf(name, sizeof(name), "port-%d-answers", probe.port);
				json_add_str(p, "Phase", name);
				json_object_object_add(p, "Seconds", json_object_new_double(
							       now_wall - w->started_at));
				json_object_array_add(seen, p);
				answered = changed = true;
			} else if (r < 0 && now_wall - last_probe >= 0.2) {
				/* The next port's turn. */
				last_probe = now_wall;
				probe_start(&probe, w->ip, w->ports[next_port++ % w->nports], now_wall);
			}
		}
		if (changed)
			save(w, seen, ready && answered);
		if ((ready && answered) || now_wall - w->started_at > WATCH_SECONDS ||
		    !still_mine(w))
			break;
		util_sleep_ms(50);
	}
	save(w, seen, ready && answered);
	if (probe.fd >= 0)
		close(probe.fd);
	json_object_put(seen);
	free(text);
}

void timeline_watch(struct ec2_ctx *ctx, const char *id, double started_at, long long offset,
		    const char *public_ip, json_object *tcp_ports)
{
	struct watch w;
	size_t i;

	if (ec2_conn_is_test(ctx->conn))
		return; /* nothing boots */
	memset(&w, 0, sizeof(w));
	snprintf(w.id, sizeof(w.id), "%s", id);
	w.log = util_strdupf("%s/%s/console.log", ctx->instances_dir, id);
	w.out = util_strdupf("%s/%s/timeline.json", ctx->instances_dir, id);
	w.token_path = util_strdupf("%s/%s/" TOKEN, ctx->instances_dir, id);
	snprintf(w.token, sizeof(w.token), "%.6f %lld", started_at, offset);
	w.started_at = started_at;
	w.offset = offset;
	snprintf(w.ip, sizeof(w.ip), "%s", public_ip ? public_ip : "");
	for (i = 0; tcp_ports && i < json_object_array_length(tcp_ports) && w.nports < 16; i++)
		w.ports[w.nports++] = json_object_get_int(json_object_array_get_idx(tcp_ports, i));
	/* A new boot, a new timeline: the previous boot's watcher is told to end first. */
	if (util_write_file_atomic(w.token_path, w.token, strlen(w.token), 0644, NULL) == 0) {
		unlink(w.out);
		util_detach(watch_boot, &w, -1, NULL);
	}
	free(w.log);
	free(w.out);
	free(w.token_path);
}

void timeline_forget(struct ec2_ctx *ctx, const char *id)
{
	char *path = util_strdupf("%s/%s/" TOKEN, ctx->instances_dir, id);

	unlink(path);
	free(path);
}

/* ---------- DescribeBootTimeline ---------- */

static int by_seconds(const void *a, const void *b)
{
	double x = json_object_get_double(json_object_object_get(*(json_object *const *)a, "Seconds"));
	double y = json_object_get_double(json_object_object_get(*(json_object *const *)b, "Seconds"));

	return x < y ? -1 : x > y;
}

json_object *ec2_describe_boot_timeline(struct ec2_ctx *ctx, json_object *req,
					struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds"), *list, *resp;
	struct ec2_dom *doms = NULL;
	size_t n = 0, i;

	if (ec2_ids_check(ids, "i", EC2_ERR_INSTANCE_MALFORMED, err) < 0 ||
	    ec2_doms_list(ctx, 0, &doms, &n, err) < 0)
		return NULL;
	for (i = 0; ids && i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		size_t k;

		for (k = 0; k < n && strcmp(virDomainGetName(doms[k].dom), id) != 0; k++)
			;
		if (k == n) {
			ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND, "The instance ID '%s' does not "
				      "exist", id);
			ec2_doms_free(doms, n);
			return NULL;
		}
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		const char *id = virDomainGetName(doms[i].dom);
		char *path = util_strdupf("%s/%s/timeline.json", ctx->instances_dir, id), iso[32];
		json_object *t = json_strlist_wants(ids, id) ? json_object_from_file(path) : NULL;
		json_object *o, *phases = NULL;

		free(path);
		if (!t)
			continue;
		o = json_object_new_object();
		json_add_str(o, "InstanceId", id);
		util_iso8601((time_t)json_object_get_double(json_object_object_get(t, "StartedAt")), iso,
			     sizeof(iso));
		json_add_str(o, "StartedAt", iso);
		if (json_object_object_get_ex(t, "Phases", &phases)) {
			json_object_array_sort(phases, by_seconds);
			json_object_object_add(o, "Phases", json_object_get(phases));
		}
		json_object_object_add(o, "Complete", json_object_get(json_object_object_get(t, "Complete")));
		json_object_array_add(list, o);
		json_object_put(t);
	}
	ec2_doms_free(doms, n);
	resp = json_object_new_object();
	json_object_object_add(resp, "BootTimelines", list);
	return resp;
}

/* The port forwarder daemon: see include/ec2lite/portfwd.h.
 *
 * One process, one epoll loop: an inotify descriptor on the state folder (the table changed, the
 * folder went), a listening socket per forward, and for each relayed connection its two sockets,
 * each with a buffer of what was read from it and not yet written to the other. Half-closes are
 * passed on (EOF on one side becomes shutdown(SHUT_WR) on the other once its buffer is written),
 * so protocols that close one direction first (HTTP/1.0 clients, ssh) work. */
#include "ec2lite/portfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ec2lite/util.h"

#define TABLE "forwarder.json"
#define STATUS "forwarder-status.json"
#define LOCK "forwarder.lock"
#define NET_LOCK "net.lock" /* the store's "net" lock (store_lock) */
#define BUF_SIZE (64 * 1024)

size_t portfwd_max_conns = PORTFWD_MAX_CONNS;

/* ---------- the table, as the front half (ec2-lite) writes it ---------- */

static json_object *read_json(const char *state_dir, const char *name)
{
	char *path = util_strdupf("%s/%s", state_dir, name);
	json_object *o = json_object_from_file(path);

	free(path);
	return o;
}

struct portfwd_forward *portfwd_table_parse(json_object *table, long long *version, size_t *n)
{
	json_object *fw = NULL;
	struct portfwd_forward *out;
	size_t i;

	*version = 0;
	*n = 0;
	if (!json_object_is_type(table, json_type_object))
		return NULL;
	req_int(table, "Version", version, NULL);
	if (!json_object_object_get_ex(table, "Forwards", &fw) ||
	    !json_object_is_type(fw, json_type_array) || json_object_array_length(fw) == 0)
		return NULL;
	out = calloc(json_object_array_length(fw), sizeof(*out));
	if (!out)
		abort();
	for (i = 0; i < json_object_array_length(fw); i++) {
		json_object *f = json_object_array_get_idx(fw, i);
		long long port = -1, tport = -1;

		snprintf(out[i].listen, sizeof(out[i].listen), "%s", req_str0(f, "Listen"));
		snprintf(out[i].target, sizeof(out[i].target), "%s", req_str0(f, "Target"));
		if (req_int(f, "Port", &port, NULL) != 1 || port < 1 || port > 65535)
			port = -1;
		if (req_int(f, "TargetPort", &tport, NULL) != 1 || tport < 1 || tport > 65535)
			tport = -1;
		out[i].port = (int)port;
		out[i].target_port = (int)tport;
	}
	*n = i;
	return out;
}

bool portfwd_running(const char *state_dir)
{
	char *path = util_strdupf("%s/%s", state_dir, LOCK);
	int fd = -1, rc = util_lock_try(path, &fd);

	free(path);
	if (rc == 1)
		close(fd);
	return rc == 0;
}

static void serve_detached(void *arg)
{
	portfwd_serve(arg, 3);
}

/* Forks the daemon: it inherits lock_fd (holding forwarder.lock, as its descriptor 3). */
static int spawn(const char *state_dir, int lock_fd, struct ec2_error *err)
{
	return util_detach(serve_detached, (void *)state_dir, lock_fd, err);
}

int portfwd_publish(const char *state_dir, json_object *forwards, long long *version,
		    struct ec2_error *err)
{
	json_object *old = read_json(state_dir, TABLE), *old_fw = NULL, *table;
	long long v = 0;
	const char *text;
	char *path, *lock_path;
	int lock_fd = -1, rc = 0;
	bool same;

	*version = 0;
	if (old) {
		req_int(old, "Version", &v, NULL);
		json_object_object_get_ex(old, "Forwards", &old_fw);
	}
	same = old_fw ? json_object_equal(old_fw, forwards) :
			json_object_array_length(forwards) == 0;
	if (!same) {
		table = json_object_new_object();
		json_add_int(table, "Version", v + 1);
		json_object_object_add(table, "Forwards", json_object_get(forwards));
		text = json_object_to_json_string_ext(table, JSON_C_TO_STRING_PRETTY);
		path = util_strdupf("%s/%s", state_dir, TABLE);
		rc = util_write_file_atomic(path, text, strlen(text), 0644, err);
		free(path);
		json_object_put(table);
		v++;
	}
	json_object_put(old);
	if (rc < 0 || json_object_array_length(forwards) == 0)
		return rc;
	lock_path = util_strdupf("%s/%s", state_dir, LOCK);
	if (util_lock_try(lock_path, &lock_fd) == 1) {
		rc = spawn(state_dir, lock_fd, err);
		close(lock_fd); /* the daemon holds the lock through its own copy */
		same = false;   /* a new daemon answers the table it finds */
	}
	free(lock_path);
	if (rc == 0 && !same)
		*version = v;
	return rc;
}

int portfwd_wait(const char *state_dir, long long version, struct ec2_error *err)
{
	double deadline = util_monotonic() + 5;
	json_object *st;

	if (version <= 0)
		return 0;
	for (;;) {
		long long v = 0;

		st = read_json(state_dir, STATUS);
		if (st && req_int(st, "Version", &v, NULL) == 1 && v >= version)
			break;
		json_object_put(st);
		if (util_monotonic() > deadline) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "the port forwarder did not answer");
			return -1;
		}
		util_sleep_ms(10);
	}
	{
		json_object *errors = NULL;
		int rc = 0;

		if (json_object_object_get_ex(st, "Errors", &errors) &&
		    json_object_array_length(errors) > 0) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "the port forwarder cannot listen on %s",
				      json_object_get_string(json_object_array_get_idx(errors, 0)));
			rc = -1;
		}
		json_object_put(st);
		return rc;
	}
}

json_object *portfwd_status(const char *state_dir)
{
	json_object *t = read_json(state_dir, TABLE), *st = read_json(state_dir, STATUS);
	json_object *out = json_object_new_object(), *errors = NULL;
	bool running = portfwd_running(state_dir);
	long long version;
	size_t n;

	free(portfwd_table_parse(t, &version, &n));
	json_add_bool(out, "Running", running);
	json_add_int(out, "Forwards", (int64_t)n);
	json_object_object_add(out, "Errors", running && st &&
			       json_object_object_get_ex(st, "Errors", &errors) ?
			       json_object_get(errors) : json_object_new_array());
	json_object_put(t);
	json_object_put(st);
	return out;
}

void portfwd_heal(const char *state_dir)
{
	json_object *t = read_json(state_dir, TABLE);
	char *lock_path;
	int lock_fd = -1;
	long long version;
	size_t n;

	free(portfwd_table_parse(t, &version, &n));
	if (n > 0) {
		lock_path = util_strdupf("%s/%s", state_dir, LOCK);
		if (util_lock_try(lock_path, &lock_fd) == 1) {
			spawn(state_dir, lock_fd, NULL);
			close(lock_fd);
		}
		free(lock_path);
	}
	json_object_put(t);
}

/* ---------- the daemon ---------- */

enum { EV_INOTIFY, EV_LISTENER, EV_SIDE };

struct ev {
	int kind;
	void *owner;
	int side; /* EV_SIDE: 0 the client, 1 the backend */
};

struct listener {
	struct ev ev;
	int fd;
	char listen[INET_ADDRSTRLEN];
	int port;
	char target[INET_ADDRSTRLEN];
	int target_port;
	struct listener *next;
};

struct conn {
	struct ev ev[2];
	int fd[2];
	bool connecting;   /* the backend's connect() is under way */
	char *buf[2];      /* buf[i]: read from fd[i], to be written to fd[1 - i] */
	size_t len[2], off[2];
	bool eof[2];       /* fd[i] said EOF */
	bool shut[2];      /* fd[i] was shut down for writing */
	bool unwatched[2]; /* fd[i] left the epoll set */
	bool dead;         /* closed; freed after the current batch of events */
	struct conn *next, *prev;
};

struct daemon {
	const char *dir;
	int ep;
	int ino;
	struct listener *listeners;
	struct conn *conns;
	struct conn *dead; /* closed in this batch of events */
	size_t nconns;
	size_t nforwards; /* in the table (some may have failed to listen) */
	bool paused;      /* listeners out of the epoll set: at the cap or out of resources */
	double paused_at; /* util_monotonic() time of the pause */
};

/* How long a pause lasts at most when no connection ends (descriptors may have been short for
 * reasons of the whole host, ENFILE): then accepting is tried again. */
#define PAUSE_RETRY_MS 1000

static int sockaddr_of(const char *ip, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 || inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
		errno = EINVAL; /* what the status's Errors says */
		return -1;
	}
	return 0;
}

/* Listeners stay level-triggered while clients wait in their queues: a daemon that cannot take a
 * connection (the cap reached, no descriptor or memory left) takes them out of the epoll set, or
 * it would be woken for them at once, for ever. A connection that ends, or PAUSE_RETRY_MS,
 * brings them back. */
static void listeners_watch(struct daemon *d, bool on)
{
	struct listener *l;

	for (l = d->listeners; l; l = l->next) {
		struct epoll_event e = { 0 };

		e.events = on ? EPOLLIN : 0;
		e.data.ptr = &l->ev;
		epoll_ctl(d->ep, EPOLL_CTL_MOD, l->fd, &e);
	}
	d->paused = !on;
	if (!on)
		d->paused_at = util_monotonic();
}

/* Ends c: its sockets close (and so leave the epoll set) at once, but the memory waits for the end
 * of the batch of events (conns_reap), which may still hold events of c's other side. */
static void conn_close(struct daemon *d, struct conn *c)
{
	int i;

	if (c->dead)
		return;
	for (i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->nconns--;
	c->dead = true;
	c->next = d->dead;
	d->dead = c;
}

static void conns_reap(struct daemon *d)
{
	bool freed = d->dead != NULL;

	while (d->dead) {
		struct conn *c = d->dead;

		d->dead = c->next;
		free(c->buf[0]);
		free(c->buf[1]);
		free(c);
	}
	if (d->paused && ((freed && d->nconns < portfwd_max_conns) ||
			  util_monotonic() - d->paused_at >= PAUSE_RETRY_MS / 1000.0))
		listeners_watch(d, true);
}

/* What each side of c waits for now: read while its buffer has room and no EOF came, write while
 * the other side's buffer has data (or the connect is under way). */
static void conn_arm(struct daemon *d, struct conn *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct epoll_event e = { 0 };

		if (c->eof[i] && c->shut[i]) {
			/* Done both ways on this side: its hang-up would be reported for ever. */
			if (!c->unwatched[i])
				epoll_ctl(d->ep, EPOLL_CTL_DEL, c->fd[i], NULL);
			c->unwatched[i] = true;
			continue;
		}
		if (i == 1 && c->connecting) {
			e.events = EPOLLOUT;
		} else {
			if (!c->eof[i] && c->len[i] < BUF_SIZE && !c->connecting)
				e.events |= EPOLLIN;
			if (c->len[1 - i] > c->off[1 - i])
				e.events |= EPOLLOUT;
		}
		e.data.ptr = &c->ev[i];
		epoll_ctl(d->ep, EPOLL_CTL_MOD, c->fd[i], &e);
	}
}

/* Moves bytes as far as they go without blocking; -1 when the connection is over. */
static int conn_pump(struct conn *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		int to = 1 - i;

		/* Read from side i into buf[i]. */
		while (!c->eof[i] && c->len[i] < BUF_SIZE) {
			ssize_t n;

			if (c->off[i] > 0 && c->off[i] == c->len[i])
				c->off[i] = c->len[i] = 0;
			n = read(c->fd[i], c->buf[i] + c->len[i], BUF_SIZE - c->len[i]);
			if (n > 0) {
				c->len[i] += (size_t)n;
			} else if (n == 0) {
				c->eof[i] = true;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			} else if (errno != EINTR) {
				return -1;
			}
		}
		/* Write buf[i] to the other side. */
		while (c->off[i] < c->len[i]) {
			ssize_t n = write(c->fd[to], c->buf[i] + c->off[i], c->len[i] - c->off[i]);

			if (n > 0) {
				c->off[i] += (size_t)n;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				break;
			} else if (n < 0 && errno != EINTR) {
				return -1;
			}
		}
		if (c->off[i] == c->len[i]) {
			c->off[i] = c->len[i] = 0;
			if (c->eof[i] && !c->shut[to]) {
				shutdown(c->fd[to], SHUT_WR);
				c->shut[to] = true;
			}
		}
	}
	return c->shut[0] && c->shut[1] ? -1 : 0;
}

static void on_side(struct daemon *d, struct ev *ev, uint32_t events)
{
	struct conn *c = ev->owner;

	if (c->dead)
		return;
	if (ev->side == 1 && c->connecting) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
			conn_close(d, c);
			return;
		}
		c->connecting = false;
	}
	if ((events & EPOLLERR) || conn_pump(c) < 0) {
		conn_close(d, c);
		return;
	}
	conn_arm(d, c);
}

/* A new connection: its two sockets and buffers, or -1 (nothing kept, fd closed) when the
 * descriptors or memory for it are missing. */
static int conn_open(struct daemon *d, struct listener *l, int fd)
{
	struct sockaddr_in sa;
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1, i;

	if (!c) {
		close(fd);
		return -1;
	}
	c->fd[0] = fd;
	c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->buf[0] = malloc(BUF_SIZE);
	c->buf[1] = malloc(BUF_SIZE);
	if (c->fd[1] < 0 || !c->buf[0] || !c->buf[1] ||
	    sockaddr_of(l->target, l->target_port, &sa) < 0 ||
	    (connect(c->fd[1], (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)) {
		int saved = errno;

		close(fd);
		if (c->fd[1] >= 0)
			close(c->fd[1]);
		free(c->buf[0]);
		free(c->buf[1]);
		free(c);
		errno = saved;
		return -1;
	}
	c->connecting = true;
	for (i = 0; i < 2; i++) {
		struct epoll_event e = { 0 };

		setsockopt(c->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->ev[i].kind = EV_SIDE;
		c->ev[i].owner = c;
		c->ev[i].side = i;
		e.data.ptr = &c->ev[i];
		epoll_ctl(d->ep, EPOLL_CTL_ADD, c->fd[i], &e);
	}
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	d->nconns++;
	conn_arm(d, c);
	return 0;
}

static bool out_of_resources(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

static void on_accept(struct daemon *d, struct listener *l)
{
	for (;;) {
		int fd;

		if (d->nconns >= portfwd_max_conns) {
			listeners_watch(d, false);
			return;
		}
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (out_of_resources(errno))
				listeners_watch(d, false);
			return;
		}
		/* Without the resources for it the client is shed (its socket closes) and the
		 * daemon pauses; a backend that refuses ends only this connection. */
		if (conn_open(d, l, fd) < 0 && out_of_resources(errno)) {
			listeners_watch(d, false);
			return;
		}
	}
}

static int listen_on(const char *ip, int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if (sockaddr_of(ip, port, &sa) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads the table and makes the listeners match it; writes the status. Returns the number of
 * forwards in the table. */
static size_t apply_table(struct daemon *d)
{
	json_object *t = read_json(d->dir, TABLE), *st, *errors;
	struct listener **lp, *l;
	long long version = 0;
	size_t i, n;
	struct portfwd_forward *fw = portfwd_table_parse(t, &version, &n);
	char *path;
	const char *text;

	d->nforwards = n;
	/* Close what the table no longer has (connections already relayed stay, as EC2's tracked
	 * connections outlive a revoked rule). */
	for (lp = &d->listeners; (l = *lp);) {
		bool keep = false;

		for (i = 0; i < n && !keep; i++)
			keep = strcmp(fw[i].listen, l->listen) == 0 && fw[i].port == l->port &&
			       strcmp(fw[i].target, l->target) == 0 &&
			       fw[i].target_port == l->target_port;
		if (keep) {
			lp = &l->next;
			continue;
		}
		close(l->fd);
		*lp = l->next;
		free(l);
	}
	errors = json_object_new_array();
	for (i = 0; i < n; i++) {
		bool have = false;
		struct epoll_event e = { 0 };

		for (l = d->listeners; l && !have; l = l->next)
			have = strcmp(fw[i].listen, l->listen) == 0 && fw[i].port == l->port;
		if (have)
			continue;
		l = calloc(1, sizeof(*l));
		if (!l) {
			json_object_array_add(errors, json_object_new_string("out of memory"));
			continue;
		}
		memcpy(l->listen, fw[i].listen, sizeof(l->listen));
		memcpy(l->target, fw[i].target, sizeof(l->target));
		l->port = fw[i].port;
		l->target_port = fw[i].target_port;
		l->fd = listen_on(l->listen, l->port);
		if (l->fd < 0) {
			char *what = util_strdupf("%s:%d (%s)", l->listen, l->port, strerror(errno));

			json_object_array_add(errors, json_object_new_string(what));
			free(what);
			free(l);
			continue;
		}
		l->ev.kind = EV_LISTENER;
		l->ev.owner = l;
		e.events = d->paused ? 0 : EPOLLIN;
		e.data.ptr = &l->ev;
		epoll_ctl(d->ep, EPOLL_CTL_ADD, l->fd, &e);
		l->next = d->listeners;
		d->listeners = l;
	}
	st = json_object_new_object();
	json_add_int(st, "Version", version);
	json_add_int(st, "Pid", getpid());
	json_object_object_add(st, "Errors", errors);
	text = json_object_to_json_string(st);
	path = util_strdupf("%s/%s", d->dir, STATUS);
	util_write_file_atomic(path, text, strlen(text), 0644, NULL);
	free(path);
	json_object_put(st);
	json_object_put(t);
	free(fw);
	return n;
}

/* With an empty table and no connection left the daemon ends; it decides under the "net" lock,
 * so that a table written meanwhile is either seen now or finds no daemon (and starts one). */
static bool may_exit(struct daemon *d)
{
	char *path = util_strdupf("%s/%s", d->dir, NET_LOCK);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	free(path);
	if (fd < 0)
		return true;
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (apply_table(d) == 0 && d->nconns == 0)
		return true; /* the lock goes with the process */
	close(fd);
	return false;
}

void portfwd_serve(const char *state_dir, int lock_fd)
{
	struct daemon d = { .dir = state_dir, .ep = -1, .ino = -1 };
	struct ev ino_ev = { .kind = EV_INOTIFY };
	struct epoll_event e = { 0 }, events[64];
	bool gone = false;

	struct rlimit rl;

	(void)lock_fd; /* held until the process ends */
	/* Room for the connection cap: two descriptors a connection (the soft limit is often 1024). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	d.ep = epoll_create1(EPOLL_CLOEXEC);
	d.ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d.ep < 0 || d.ino < 0 ||
	    inotify_add_watch(d.ino, state_dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF |
			      IN_MOVE_SELF) < 0)
		return;
	e.events = EPOLLIN;
	e.data.ptr = &ino_ev;
	epoll_ctl(d.ep, EPOLL_CTL_ADD, d.ino, &e);
	apply_table(&d);
	while (!gone) {
		int n = epoll_wait(d.ep, events, 64, d.paused ? PAUSE_RETRY_MS :
				   d.nforwards || d.nconns ? -1 : 0), i;
		bool reload = false;

		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			struct ev *ev = events[i].data.ptr;

			if (ev->kind == EV_INOTIFY) {
				char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
				ssize_t len;

				while ((len = read(d.ino, buf, sizeof(buf))) > 0) {
					char *p = buf;

					while (p < buf + len) {
						struct inotify_event *ie = (struct inotify_event *)p;

						if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
							gone = true;
						else if (ie->len && strcmp(ie->name, TABLE) == 0)
							reload = true;
						p += sizeof(*ie) + ie->len;
					}
				}
			} else if (ev->kind == EV_LISTENER) {
				on_accept(&d, ev->owner);
			} else {
				on_side(&d, ev, events[i].events);
			}
		}
		conns_reap(&d);
		if (reload)
			apply_table(&d);
		if (d.nforwards == 0 && d.nconns == 0 && may_exit(&d))
			break;
	}
}

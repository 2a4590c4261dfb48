/* portfwd: the port forwarder daemon for real, on loopback ports of this test's own: it relays
 * bytes both ways intact (a megabyte each way, half-close passed on), follows its table (a new
 * port opens, a removed one closes), reports a port it cannot listen on, and exits when its table
 * is empty. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "ec2lite/portfwd.h"
#include "ec2lite/util.h"
#include "testutil.h"

/* A listening socket on 127.0.0.1 at a port the kernel picks. */
static int listen_any(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port nothing listens on (bound, then closed). */
static int free_port(void)
{
	int port, fd = listen_any(&port);

	close(fd);
	return port;
}

/* The backend: echoes each connection until EOF, then closes it. */
static void *echo_server(void *opaque)
{
	int lfd = *(int *)opaque;

	for (;;) {
		int c = accept(lfd, NULL, NULL);
		char buf[65536];
		ssize_t n;

		if (c < 0)
			return NULL;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
}

static int connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static json_object *table(int port, int target_port)
{
	json_object *list = json_object_new_array(), *f = json_object_new_object();

	json_add_str(f, "Listen", "127.0.0.1");
	json_add_int(f, "Port", port);
	json_add_str(f, "Target", "127.0.0.1");
	json_add_int(f, "TargetPort", target_port);
	json_object_array_add(list, f);
	return list;
}

static int publish(const char *dir, json_object *forwards, struct ec2_error *err)
{
	long long version = 0;

	if (portfwd_publish(dir, forwards, &version, err) < 0)
		return -1;
	return portfwd_wait(dir, version, err);
}

/* An empty table sends the daemon away; wait for it to go, so that it writes nothing more into
 * the folder the test is about to remove. */
static void stop_forwarder(const char *dir)
{
	json_object *none = json_object_new_array();
	int i;

	publish(dir, none, NULL);
	json_object_put(none);
	for (i = 0; i < 500 && portfwd_running(dir); i++)
		util_sleep_ms(20);
	ck_assert(!portfwd_running(dir));
}

struct writer {
	int fd;
	const unsigned char *data;
	size_t len;
};

static void *write_all(void *opaque)
{
	struct writer *w = opaque;
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->data + off, w->len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(w->fd, SHUT_WR); /* the half-close must reach the backend */
	return NULL;
}

START_TEST(relays_both_ways_and_follows_its_table)
{
	char *dir = test_tmpdir();
	struct ec2_error err = { 0 };
	int backend_port, lfd = listen_any(&backend_port), port = free_port(), fd;
	enum { SIZE = 1 << 20 };
	unsigned char *out = malloc(SIZE), *in = malloc(SIZE);
	struct writer w;
	pthread_t echo, wr;
	size_t got = 0, i;
	json_object *fw;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	pthread_create(&echo, NULL, echo_server, &lfd);
	ck_assert(!portfwd_running(dir));
	fw = table(port, backend_port);
	ck_assert_msg(publish(dir, fw, &err) == 0, "%s", err.message);
	json_object_put(fw);
	ck_assert(portfwd_running(dir));

	/* A megabyte through it and back, then EOF both ways. */
	for (i = 0; i < SIZE; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	fd = connect_to(port);
	ck_assert_int_ge(fd, 0);
	w = (struct writer){ fd, out, SIZE };
	pthread_create(&wr, NULL, write_all, &w);
	while (got < SIZE && (n = read(fd, in + got, SIZE - got)) > 0)
		got += (size_t)n;
	pthread_join(wr, NULL);
	ck_assert_uint_eq(got, SIZE);
	ck_assert(memcmp(in, out, SIZE) == 0);
	ck_assert_int_eq(read(fd, in, 1), 0); /* the backend's close came through */
	close(fd);

	/* The same table again changes nothing and needs no wait. */
	{
		long long version = -1;

		fw = table(port, backend_port);
		ck_assert_int_eq(portfwd_publish(dir, fw, &version, &err), 0);
		ck_assert_int_eq(version, 0);
		json_object_put(fw);
	}

	/* An empty table closes the port, and the daemon goes. */
	fw = json_object_new_array();
	ck_assert_int_eq(publish(dir, fw, &err), 0);
	json_object_put(fw);
	for (i = 0; i < 500 && portfwd_running(dir); i++)
		util_sleep_ms(20);
	ck_assert(!portfwd_running(dir));
	ck_assert_int_lt(connect_to(port), 0);
	ck_assert_int_eq(errno, ECONNREFUSED);

	close(lfd);
	free(out);
	free(in);
	test_rmdir(dir);
}
END_TEST

/* Many clients at once, half of them hanging up at once (close with data unread, which resets the
 * connection): the daemon survives it all and still relays. */
struct hammer {
	int port;
	int ok;
};

static void *hammer(void *opaque)
{
	struct hammer *h = opaque;
	char out[3000], in[3000];
	int k;

	memset(out, 'x', sizeof(out));
	for (k = 0; k < 25; k++) {
		int fd = connect_to(h->port);
		size_t got = 0;
		ssize_t n;

		if (fd < 0)
			continue;
		if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out)) {
			close(fd);
			continue;
		}
		if (k % 2) {
			close(fd); /* rude: the echo comes back to a closed socket */
			h->ok++;
			continue;
		}
		shutdown(fd, SHUT_WR);
		while (got < sizeof(in) && (n = read(fd, in + got, sizeof(in) - got)) > 0)
			got += (size_t)n;
		if (got == sizeof(in) && memcmp(in, out, got) == 0)
			h->ok++;
		close(fd);
	}
	return NULL;
}

START_TEST(survives_many_rude_clients)
{
	char *dir = test_tmpdir();
	struct ec2_error err = { 0 };
	int backend_port, lfd = listen_any(&backend_port), port = free_port(), i, total = 0;
	json_object *fw = table(port, backend_port);
	struct hammer h[16];
	pthread_t echo, t[16];

	signal(SIGPIPE, SIG_IGN);
	pthread_create(&echo, NULL, echo_server, &lfd);
	ck_assert_int_eq(publish(dir, fw, &err), 0);
	for (i = 0; i < 16; i++) {
		h[i] = (struct hammer){ port, 0 };
		pthread_create(&t[i], NULL, hammer, &h[i]);
	}
	for (i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		total += h[i].ok;
	}
	ck_assert_int_eq(total, 16 * 25);
	ck_assert(portfwd_running(dir));
	h[0] = (struct hammer){ port, 0 };
	hammer(&h[0]);
	ck_assert_int_eq(h[0].ok, 25);
	json_object_put(fw);
	stop_forwarder(dir);
	close(lfd);
	test_rmdir(dir);
}
END_TEST

START_TEST(reports_a_port_it_cannot_listen_on)
{
	char *dir = test_tmpdir();
	struct ec2_error err = { 0 };
	int taken_port, taken = listen_any(&taken_port);
	json_object *fw = table(taken_port, free_port()), *st;
	bool running = false;

	ck_assert_int_eq(publish(dir, fw, &err), -1);
	ck_assert_msg(strstr(err.message, "cannot listen on 127.0.0.1:") != NULL, "%s", err.message);
	st = portfwd_status(dir);
	req_bool(st, "Running", &running, NULL);
	ck_assert(running);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(st, "Errors")), 1);
	json_object_put(st);
	json_object_put(fw);
	stop_forwarder(dir);
	close(taken);
	test_rmdir(dir);
}
END_TEST

START_TEST(heal_restarts_a_killed_daemon)
{
	char *dir = test_tmpdir();
	struct ec2_error err = { 0 };
	int backend_port, lfd = listen_any(&backend_port), port = free_port(), fd, i;
	json_object *fw = table(port, backend_port), *st;
	long long pid = 0;

	ck_assert_int_eq(publish(dir, fw, &err), 0);
	st = portfwd_status(dir);
	json_object_put(st);
	{
		char *p = util_strdupf("%s/forwarder-status.json", dir);
		json_object *s = json_object_from_file(p);

		req_int(s, "Pid", &pid, NULL);
		json_object_put(s);
		free(p);
	}
	ck_assert_int_gt(pid, 0);
	kill((pid_t)pid, SIGKILL);
	for (i = 0; i < 500 && portfwd_running(dir); i++)
		util_sleep_ms(20);
	ck_assert(!portfwd_running(dir));
	portfwd_heal(dir);
	for (i = 0; i < 500 && (fd = connect_to(port)) < 0; i++)
		util_sleep_ms(20);
	ck_assert_int_ge(fd, 0);
	close(fd);
	json_object_put(fw);
	close(lfd); /* the backend never accepted: its going ends the relayed connection */
	stop_forwarder(dir);
	test_rmdir(dir);
}
END_TEST

/* ---------- limits: a daemon run in a child of the test, with lowered limits ---------- */

/* Runs the daemon for dir's table in a child whose descriptor limit is nofile (when not 0) and
 * whose connection cap is max_conns (when not 0); returns once it listens. */
static pid_t serve_in_child(const char *dir, json_object *forwards, rlim_t nofile,
			    size_t max_conns)
{
	json_object *t = json_object_new_object();
	char *path = util_strdupf("%s/forwarder.json", dir);
	const char *text;
	struct ec2_error err = { 0 };
	pid_t pid;

	json_add_int(t, "Version", 1);
	json_object_object_add(t, "Forwards", json_object_get(forwards));
	text = json_object_to_json_string(t);
	ck_assert_int_eq(util_write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
	json_object_put(t);
	free(path);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { nofile, nofile };
		char *lock = util_strdupf("%s/forwarder.lock", dir);
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			_exit(1);
		if (nofile && setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(1);
		if (max_conns)
			portfwd_max_conns = max_conns;
		portfwd_serve(dir, fd);
		_exit(0);
	}
	ck_assert_msg(portfwd_wait(dir, 1, &err) == 0, "%s", err.message);
	return pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* CPU time (user + system) the process has used, in clock ticks. */
static unsigned long cpu_ticks(pid_t pid)
{
	char *path = util_strdupf("/proc/%d/stat", (int)pid), *text = util_read_file(path, NULL, NULL);
	unsigned long utime = 0, stime = 0;
	const char *p = text ? strrchr(text, ')') : NULL;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&utime, &stime), 2);
	free(text);
	free(path);
	return utime + stime;
}

/* The backend for the limit tests: greets each connection with "hi\n" and keeps it open. */
static void *greeter(void *opaque)
{
	int lfd = *(int *)opaque, c;

	while ((c = accept(lfd, NULL, NULL)) >= 0)
		if (write(c, "hi\n", 3) != 3)
			close(c);
	return NULL;
}

/* Whether fd reads the greeting within ms milliseconds. */
static bool greeted(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	char buf[3];
	size_t got = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < 3 && (n = read(fd, buf + got, 3 - got)) > 0)
		got += (size_t)n;
	return got == 3 && memcmp(buf, "hi\n", 3) == 0;
}

/* Closes with a reset, as a client that goes away does. */
static void reset(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Out of descriptors (EMFILE), the daemon stops accepting instead of spinning on its listener
 * (which stays readable while connections wait in its queue), and accepts again once
 * connections end (within 10 s: the dead clients queued ahead go first, and a pause with no
 * connection left to end retries after a second). Spinning costs a whole core, or on a loaded
 * host a good part of one; at rest the daemon uses well under 50 ms of CPU in a second. */
START_TEST(out_of_descriptors_does_not_spin)
{
	char *dir = test_tmpdir();
	int backend_port, lfd = listen_any(&backend_port), port = free_port(), fds[40], i;
	json_object *fw = table(port, backend_port);
	unsigned long before;
	pthread_t g;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	pid = serve_in_child(dir, fw, 24, 0);
	pthread_create(&g, NULL, greeter, &lfd);
	for (i = 0; i < 40; i++) {
		fds[i] = connect_to(port); /* the kernel completes them; the daemon accepts some */
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert(greeted(fds[0], 10000));
	before = cpu_ticks(pid);
	util_sleep_ms(1000);
	ck_assert_msg(cpu_ticks(pid) - before < (unsigned long)sysconf(_SC_CLK_TCK) / 20,
		      "the daemon used %lu ticks in a second", cpu_ticks(pid) - before);
	for (i = 0; i < 40; i++)
		reset(fds[i]);
	fds[0] = connect_to(port);
	ck_assert(greeted(fds[0], 10000));
	close(fds[0]);
	stop_child(pid);
	json_object_put(fw);
	close(lfd);
	test_rmdir(dir);
}
END_TEST

/* At its connection cap the daemon leaves further clients in its listen queue, and takes them
 * once a connection ends. */
START_TEST(connection_cap)
{
	char *dir = test_tmpdir();
	int backend_port, lfd = listen_any(&backend_port), port = free_port(), fds[4], extra, i;
	json_object *fw = table(port, backend_port);
	unsigned long before;
	pthread_t g;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	pid = serve_in_child(dir, fw, 0, 4);
	pthread_create(&g, NULL, greeter, &lfd);
	for (i = 0; i < 4; i++) {
		fds[i] = connect_to(port);
		ck_assert(greeted(fds[i], 10000));
	}
	extra = connect_to(port);
	ck_assert_int_ge(extra, 0);
	before = cpu_ticks(pid);
	ck_assert(!greeted(extra, 500));
	ck_assert_uint_lt(cpu_ticks(pid) - before, (unsigned long)sysconf(_SC_CLK_TCK) / 20);
	reset(fds[0]);
	ck_assert(greeted(extra, 10000));
	close(extra);
	for (i = 1; i < 4; i++)
		close(fds[i]);
	stop_child(pid);
	json_object_put(fw);
	close(lfd);
	test_rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("portfwd");
	TCase *tc = tcase_create("portfwd");

	tcase_add_test(tc, relays_both_ways_and_follows_its_table);
	tcase_add_test(tc, survives_many_rude_clients);
	tcase_add_test(tc, reports_a_port_it_cannot_listen_on);
	tcase_add_test(tc, heal_restarts_a_killed_daemon);
	tcase_add_test(tc, out_of_descriptors_does_not_spin);
	tcase_add_test(tc, connection_cap);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}

/* How a guest's packets reach the instance metadata service: see imdsnet.h and docs/IMDS.md. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "ec2lite/ids.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/util.h"

#define QEMU_CONF "/etc/libvirt/qemu.conf"
#define SOCKET_NAME "imds.sock"
#define LOCK_NAME "imds.lock"
#define API_ENDPOINT_NAME "api-endpoint"

char *imds_socket_path(const char *state_dir)
{
	return util_strdupf("%s/" SOCKET_NAME, state_dir);
}

/* Whether the system libvirt's qemu.conf turns QEMU's seccomp sandbox off (seccomp_sandbox = 0):
 * only then may QEMU start the relay. */
static bool sandbox_off(void)
{
	static int known = -1; /* read once: libvirtd reads it only when it starts */
	FILE *f;
	char line[512];
	bool off = false;

	if (known >= 0)
		return known;
	f = fopen(QEMU_CONF, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, *q;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "seccomp_sandbox", 15) != 0)
			continue;
		p += 15;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		/* the last setting counts, as in libvirt's own reading */
		off = q > p && strtol(p, NULL, 10) == 0;
	}
	if (f)
		fclose(f);
	known = off;
	return off;
}

/* A path QEMU's option parser and glib's argv splitting take as it is: no comma, space, quote or
 * shell character. */
static bool plain_path(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/._+-", *p)))
			return false;
	return true;
}

/* The running binary (caller frees), which is also the relay. */
static char *self_exe(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* Whether any user (QEMU runs as libvirt-qemu) may execute path and pass through its folders. */
static bool others_may_run(const char *path)
{
	char *copy = strdup(path), *slash;
	struct stat st;
	bool ok = stat(path, &st) == 0 && (st.st_mode & S_IXOTH);

	if (!copy)
		abort();
	while (ok && (slash = strrchr(copy, '/')) && slash != copy) {
		*slash = '\0';
		ok = stat(copy, &st) == 0 && (st.st_mode & S_IXOTH);
	}
	free(copy);
	return ok;
}

bool imds_net_available(const struct ec2_config *cfg, char *why, size_t size)
{
	char *bin = NULL, *sock = NULL;
	bool ok = false;

	if (strcmp(cfg->connect_uri, "qemu:///system") != 0) {
		snprintf(why, size, "IMDS needs libvirt's system QEMU driver (qemu:///system), not %s",
			 cfg->connect_uri);
		return false;
	}
	if (!sandbox_off()) {
		snprintf(why, size, "libvirt starts QEMU with its seccomp sandbox, which forbids the "
			 "relay IMDS needs: set 'seccomp_sandbox = 0' in " QEMU_CONF " and restart "
			 "libvirtd (scripts/setup.sh does both)");
		return false;
	}
	bin = self_exe();
	sock = imds_socket_path(cfg->state_dir);
	if (!plain_path(bin) || !plain_path(sock))
		snprintf(why, size, "the paths of ec2-lite (%s) and of the state folder (%s) may hold "
			 "only A-Z a-z 0-9 / . _ + - for the relay's command line", bin ? bin : "?",
			 cfg->state_dir);
	else if (strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		snprintf(why, size, "the state folder's path is too long for a socket: %s", sock);
	else if (!others_may_run(bin))
		snprintf(why, size, "QEMU's user (libvirt-qemu) cannot run the relay %s: its file "
			 "and folders must be executable by others", bin);
	else
		ok = true;
	if (ok)
		snprintf(why, size, "169.254.169.254:80 relayed by %s to %s", bin, sock);
	free(bin);
	free(sock);
	return ok;
}

char *imds_net_guestfwd(const struct ec2_config *cfg, const char *id)
{
	char why[512], *bin, *sock, *api, *out;

	if (!ec2_id_valid("i", id) || !imds_net_available(cfg, why, sizeof(why)))
		return NULL;
	bin = self_exe();
	sock = imds_socket_path(cfg->state_dir);
	api = imds_api_endpoint_path(cfg->state_dir);
	out = util_strdupf("guestfwd=tcp:" IMDS_ADDRESS ":%d-cmd:%s imds-relay %s %s,"
			   "guestfwd=tcp:" IMDS_ADDRESS ":%d-cmd:%s api-relay %s", IMDS_PORT, bin,
			   sock, id, IMDS_API_PORT, bin, api);
	free(bin);
	free(sock);
	free(api);
	return out;
}

bool imds_daemon_running(const char *state_dir)
{
	char *path = util_strdupf("%s/" LOCK_NAME, state_dir);
	int held = util_lock_held(path);

	free(path);
	return held == 1;
}

int imds_daemon_lock(const char *state_dir)
{
	char *path = util_strdupf("%s/" LOCK_NAME, state_dir);
	int fd = -1;

	util_lock_try(path, &fd);
	free(path);
	return fd;
}

struct spawn_args {
	char *argv[7];
};

static void exec_daemon(void *arg)
{
	struct spawn_args *a = arg;

	execv(a->argv[0], a->argv);
	_exit(127);
}

/* Whether the daemon's socket takes connections. */
static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

int imds_daemon_ensure(const struct ec2_config *cfg, struct ec2_error *err)
{
	struct spawn_args a;
	char *sock;
	int i, rc = 0;

	sock = imds_socket_path(cfg->state_dir);
	if (imds_daemon_running(cfg->state_dir) && socket_answers(sock)) {
		free(sock);
		return 0;
	}
	free(sock);
	a.argv[0] = self_exe();
	if (!a.argv[0]) {
		ec2_error_set_errno(err, errno, "cannot find ec2-lite's own binary");
		return -1;
	}
	a.argv[1] = "--state-dir";
	a.argv[2] = cfg->state_dir;
	a.argv[3] = "--connect";
	a.argv[4] = cfg->connect_uri;
	a.argv[5] = "imds-daemon";
	a.argv[6] = NULL;
	if (util_detach(exec_daemon, &a, -1, err) < 0) {
		free(a.argv[0]);
		return -1;
	}
	free(a.argv[0]);
	/* It listens within milliseconds; a guest asks seconds after its start at the soonest. */
	sock = imds_socket_path(cfg->state_dir);
	for (i = 0; i < 100 && !socket_answers(sock); i++)
		util_sleep_ms(20);
	if (i == 100) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "the IMDS daemon of %s did not start",
			      cfg->state_dir);
		rc = -1;
	}
	free(sock);
	return rc;
}

/* ---------- the daemon's connections ---------- */

unsigned imds_conn_address(const char *id, void *addr)
{
	struct sockaddr_un *sa = addr;

	/* The whole structure, zeroed: the path ends within what libmicrohttpd copies. */
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!ec2_id_valid("i", id) || strlen(id) >= 32)
		return 0;
	memcpy(sa->sun_path, id, strlen(id));
	return (unsigned)sizeof(*sa);
}

bool imds_conn_instance(const void *addr, char id[32])
{
	const struct sockaddr_un *sa = addr;
	size_t n;

	if (!sa || sa->sun_family != AF_UNIX)
		return false;
	n = strnlen(sa->sun_path, sizeof(sa->sun_path));
	if (n >= 32 || n == sizeof(sa->sun_path))
		return false;
	memcpy(id, sa->sun_path, n + 1);
	return ec2_id_valid("i", id);
}

void imds_conns_init(struct imds_conns *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

bool imds_conns_admit(struct imds_conns *c, const char *id)
{
	size_t i, free_slot = IMDS_CONNS_MAX;
	bool ok = false;

	if (!id || strlen(id) >= sizeof(c->per[0].id))
		return false;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < IMDS_CONNS_MAX; i++) {
		if (c->per[i].n && strcmp(c->per[i].id, id) == 0)
			break;
		if (!c->per[i].n && free_slot == IMDS_CONNS_MAX)
			free_slot = i;
	}
	if (i == IMDS_CONNS_MAX && free_slot < IMDS_CONNS_MAX) {
		i = free_slot;
		snprintf(c->per[i].id, sizeof(c->per[i].id), "%s", id);
	}
	if (c->total < IMDS_CONNS_MAX && i < IMDS_CONNS_MAX &&
	    c->per[i].n < IMDS_CONNS_PER_INSTANCE) {
		c->per[i].n++;
		c->total++;
		ok = true;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void imds_conns_release(struct imds_conns *c, const char *id)
{
	size_t i;

	if (!id)
		return;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < IMDS_CONNS_MAX; i++)
		if (c->per[i].n && strcmp(c->per[i].id, id) == 0) {
			c->per[i].n--;
			c->total--;
			break;
		}
	pthread_mutex_unlock(&c->lock);
}

/* ---------- the relay ---------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Moves the guest's bytes (descriptors 0 and 1) to s and back until the answer is whole. */
static int pump(int s)
{
	struct pollfd p[2];
	char buf[16384];
	bool guest_open = true;

	for (;;) {
		ssize_t n;

		p[0].fd = guest_open ? 0 : -1;
		p[0].events = POLLIN;
		p[1].fd = s;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				guest_open = false;
				shutdown(s, SHUT_WR);
			} else if (write_all(s, buf, (size_t)n) < 0) {
				return 1;
			}
		}
		if (p[1].revents) {
			n = read(s, buf, sizeof(buf));
			if (n <= 0 || write_all(1, buf, (size_t)n) < 0)
				return 0; /* the answer is whole: the guest's connection closes */
		}
	}
}

int imds_relay_main(const char *socket_path, const char *instance_id)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char hello[64];
	int s;

	if (!ec2_id_valid("i", instance_id) || strlen(socket_path) >= sizeof(sa.sun_path))
		return 2;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1; /* the guest's connection closes: it sees a refused request */
	snprintf(hello, sizeof(hello), "%s\n", instance_id);
	if (write_all(s, hello, strlen(hello)) < 0)
		return 1;
	return pump(s);
}

/* ---------- the EC2 API from inside ---------- */

char *imds_api_endpoint_path(const char *state_dir)
{
	return util_strdupf("%s/" API_ENDPOINT_NAME, state_dir);
}

/* The loopback address and port of "ADDRESS:PORT" (0.0.0.0 becomes 127.0.0.1); -1 when it is not
 * a loopback or wildcard IPv4 address with a port. */
static int loopback_of(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 ||
	    (ntohl(sa->sin_addr.s_addr) >> 24) != 127)
		return -1;
	return 0;
}

int imds_api_publish(const char *state_dir, const char *listen, struct ec2_error *err)
{
	struct sockaddr_in sa;
	char *path = imds_api_endpoint_path(state_dir), text[64], addr[INET_ADDRSTRLEN];
	int rc = 0;

	if (loopback_of(listen, &sa) == 0) {
		inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
		snprintf(text, sizeof(text), "%s:%d\n", addr, ntohs(sa.sin_port));
		rc = util_write_file_atomic(path, text, strlen(text), 0644, err);
	}
	free(path);
	return rc;
}

void imds_api_unpublish(const char *state_dir)
{
	char *path = imds_api_endpoint_path(state_dir);

	unlink(path);
	free(path);
}

int imds_api_relay_main(const char *endpoint_file)
{
	struct sockaddr_in sa;
	char text[64] = "";
	FILE *f = fopen(endpoint_file, "r");
	int s;

	if (!f)
		return 1; /* no server: the guest's connection closes */
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	text[strcspn(text, "\n")] = '\0';
	if (loopback_of(text, &sa) < 0)
		return 2;
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	return pump(s);
}

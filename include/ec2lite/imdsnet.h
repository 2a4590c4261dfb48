/* How a guest's packets reach the instance metadata service (docs/IMDS.md has the whole design).
 *
 * QEMU's user-mode network (libslirp) hands a guest's TCP connection to 169.254.169.254:80 to a
 * command it starts for that connection (-netdev user,guestfwd=tcp:ADDR:PORT-cmd:COMMAND), with
 * the connection on the command's stdin and stdout. The command is `ec2-lite imds-relay SOCKET
 * INSTANCE-ID`: it connects to the state folder's IMDS daemon (<state-dir>/imds.sock), says
 * which instance it serves, and relays the bytes. The instance id is fixed in the domain's
 * definition, where the guest cannot reach it, so each instance only ever reaches its own data.
 *
 * Two conditions, both of the host, and doctor names them:
 * - libslirp takes a guestfwd only for an address inside the netdev's network. The guest's
 *   network is then 168.0.0.0/5, the smallest that holds both 169.254.169.254 and 172.31.0.0/16
 *   (its address, router, DNS and DHCP stay those of its /20 subnet).
 * - libvirt starts QEMU with -sandbox ...,spawn=deny unless its qemu.conf says
 *   `seccomp_sandbox = 0`: with the sandbox QEMU cannot start the relay. ec2-lite does not edit
 *   qemu.conf itself; scripts/setup.sh does, once, and restarts libvirtd.
 * When either is missing, instances are launched as before (a /20 network, no IMDS). */
#ifndef EC2LITE_IMDSNET_H
#define EC2LITE_IMDSNET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "ec2lite/config.h"
#include "ec2lite/error.h"

#define IMDS_ADDRESS "169.254.169.254"
#define IMDS_PORT 80
#define IMDS_API_PORT 8773 /* http://169.254.169.254:8773/: the EC2 API, from inside */
#define IMDS_NET "168.0.0.0"
#define IMDS_NET_BITS 5

/* Whether instances of cfg get IMDS; when not, why (a sentence for doctor) in why. */
bool imds_net_available(const struct ec2_config *cfg, char *why, size_t size);

/* The daemon's socket, <state-dir>/imds.sock (caller frees). */
char *imds_socket_path(const char *state_dir);

/* The "guestfwd=..." option of instance id's -netdev (caller frees), or NULL when instances get
 * no IMDS (imds_net_available). Every part of it was checked: the binary's and the socket's paths
 * hold only [A-Za-z0-9/._+-], and id is an instance id. */
char *imds_net_guestfwd(const struct ec2_config *cfg, const char *id);

/* Starts the state folder's IMDS daemon (`ec2-lite imds-daemon`) when it does not run; the
 * daemon ends by itself when no instance of the folder runs. -1 with err when it cannot be
 * started. */
int imds_daemon_ensure(const struct ec2_config *cfg, struct ec2_error *err);

/* Whether the state folder's IMDS daemon runs (it holds <state-dir>/imds.lock). */
bool imds_daemon_running(const char *state_dir);

/* For the daemon: takes <state-dir>/imds.lock (its descriptor, held until the process ends), or
 * -1 when another daemon holds it. */
int imds_daemon_lock(const char *state_dir);

/* For the daemon: the client address it hands libmicrohttpd a relay's connection with
 * (MHD_add_connection(mhd, fd, sa, len)): an AF_UNIX address whose path is the instance id, so
 * that the instance travels with the connection itself and no table of pending connections can
 * give one instance's connection another's id. Fills *sa (a struct sockaddr_un) and returns its
 * length, or 0 when id is not an instance id. */
unsigned imds_conn_address(const char *id, void *sa);

/* The instance of a connection imds_conn_add handed over, from its client address (sa, as
 * libmicrohttpd's MHD_CONNECTION_INFO_CLIENT_ADDRESS gives it; may be NULL), copied into id:
 * false for any other address or one that names no valid instance id. */
bool imds_conn_instance(const void *sa, char id[32]);

/* The daemon's admission of connections, before it hands one to libmicrohttpd: at most
 * IMDS_CONNS_MAX at once, IMDS_CONNS_PER_INSTANCE of one instance. One guest's burst (or idle
 * connections left open) thus leaves the others their metadata service, and libmicrohttpd,
 * whose limit is set above IMDS_CONNS_MAX, never reaches its own: at its limit it drops
 * connections it already said yes to, and libmicrohttpd 0.9.75 can then leave the connection it
 * kept unserved and refuse every new one for good. Thread-safe. */
#define IMDS_CONNS_MAX 48
#define IMDS_CONNS_PER_INSTANCE 8
struct imds_conns {
	pthread_mutex_t lock;
	unsigned total;
	struct {
		char id[32];
		unsigned n;
	} per[IMDS_CONNS_MAX];
};
void imds_conns_init(struct imds_conns *c);
/* Whether a connection of instance id may be served now (it is counted when it may). */
bool imds_conns_admit(struct imds_conns *c, const char *id);
/* A connection that imds_conns_admit counted has ended (or was refused by libmicrohttpd). */
void imds_conns_release(struct imds_conns *c, const char *id);

/* The relay (`ec2-lite imds-relay SOCKET INSTANCE-ID`): QEMU starts it with the guest's
 * connection on descriptors 0 and 1. Returns the process's exit status. */
int imds_relay_main(const char *socket_path, const char *instance_id);

/* The EC2 API from inside an instance: a second guestfwd, 169.254.169.254:8773, runs
 * `ec2-lite api-relay <state-dir>/api-endpoint`, which connects to the loopback address that
 * file names: `ec2-lite serve` writes it (imds_api_publish) while it serves with access keys, and
 * removes it when it ends. Requests are signed as any client's (an instance role's temporary
 * credentials, from IMDS); with no server, or one that takes unsigned requests, the guest's
 * connection closes. */
char *imds_api_endpoint_path(const char *state_dir);
/* Writes the endpoint file for a server listening on listen ("ADDRESS:PORT"; 0.0.0.0 is
 * reached at 127.0.0.1); a non-loopback address writes nothing (the relay reaches only
 * 127.0.0.0/8). */
int imds_api_publish(const char *state_dir, const char *listen, struct ec2_error *err);
void imds_api_unpublish(const char *state_dir);
/* The relay (`ec2-lite api-relay ENDPOINT-FILE`), as imds_relay_main. */
int imds_api_relay_main(const char *endpoint_file);

#endif

/* The port forwarder: a small root daemon per state folder that listens where QEMU cannot.
 *
 * libvirt runs QEMU as an unprivileged user with no capabilities, so QEMU's own host forwards
 * cannot listen on ports below 1024 (net.ipv4.ip_unprivileged_port_start is 1024). For those
 * ports QEMU listens on the instance's backend address instead and this daemon, started by
 * ec2-lite (which runs as root) on first need, listens on the public address and relays each
 * connection to the backend. It changes nothing on the host: no sysctl, no netfilter rule, no
 * capability on the QEMU binary.
 *
 * Its table is <state-dir>/forwarder.json, {"Version": N, "Forwards": [{"Listen", "Port",
 * "Target", "TargetPort"}]}, written atomically by portfwd_publish; the daemon follows it through
 * inotify, writes <state-dir>/forwarder-status.json {"Version", "Errors"} once it listens as the
 * table says, and exits when the table is empty and no connection is left (or the folder goes).
 * One daemon at a time holds <state-dir>/forwarder.lock. */
#ifndef EC2LITE_PORTFWD_H
#define EC2LITE_PORTFWD_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "ec2lite/error.h"

/* Makes forwards (an array of {"Listen", "Port", "Target", "TargetPort"}, borrowed) the table of
 * the state folder's forwarder: writes it when it differs from the current one and starts the
 * daemon when there is something to forward and none runs. The caller holds the store's "net"
 * lock (<state-dir>/net.lock, which the daemon takes before it exits, so that no table written
 * meanwhile is missed). *version gets the table's version for portfwd_wait, or 0 when there is
 * nothing to wait for. Returns 0, or -1 when the table cannot be written or the daemon started. */
int portfwd_publish(const char *state_dir, json_object *forwards, long long *version,
		    struct ec2_error *err);

/* Waits (a few seconds at most) until the daemon listens as table version asks; call it after
 * releasing the "net" lock. Returns 0, or -1 with err saying which ports it could not listen on
 * or that it did not answer. */
int portfwd_wait(const char *state_dir, long long version, struct ec2_error *err);

/* True when the state folder's forwarder runs. */
bool portfwd_running(const char *state_dir);

/* What the forwarder does, for doctor: {"Running": bool, "Forwards": N, "Errors": [...]} (new
 * reference). */
json_object *portfwd_status(const char *state_dir);

/* Starts the daemon again when its table has entries and none runs (after a crash or a reboot
 * of the host); a no-op otherwise. */
void portfwd_heal(const char *state_dir);

/* One forward of a table, as the daemon reads it. */
struct portfwd_forward {
	char listen[16]; /* an IPv4 address (INET_ADDRSTRLEN); longer text is cut, then refused */
	int port;        /* 1-65535; -1 when the table's is missing or out of range */
	char target[16];
	int target_port;
};

/* Reads a table (forwarder.json as JSON, borrowed; NULL reads as empty): *version (0 when absent)
 * and a new array of its *n forwards (free it; NULL when *n is 0). Any JSON is safe: what is not
 * a table reads as an empty one, an entry that is not a well-formed forward as one that the daemon
 * cannot listen on (and reports). Public for the fuzzer (tests/fuzz/fuzz_portfwd.c). */
struct portfwd_forward *portfwd_table_parse(json_object *table, long long *version, size_t *n);

/* The most connections the daemon relays at once (each holds two descriptors and two 64 KiB
 * buffers). At the cap, or when it runs out of descriptors or memory, the daemon stops accepting
 * (clients wait in the listen queue) until a connection ends; it never spins on a listener it
 * cannot serve. A variable so that tests can lower it. */
#define PORTFWD_MAX_CONNS 512
extern size_t portfwd_max_conns;

/* The daemon's loop, for a process that has become the daemon (portfwd_publish forks one);
 * lock_fd holds forwarder.lock. Returns when it is done. */
void portfwd_serve(const char *state_dir, int lock_fd);

#endif

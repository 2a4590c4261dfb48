/* Instance networking, inside the network rule (the host talks to guests only over 127.0.0.0/8).
 *
 * Each instance has QEMU user-mode networking with no route out (restrict=on): its own little
 * network, its default subnet of the default VPC (172.31.0.0/16; zone i's subnet is
 * 172.31.(16*i).0/20, see vpc.h), with the router at the subnet's .1 and the DNS address at its .2
 * as in a VPC. The instance's private IP is fixed at
 * launch and handed out by QEMU's DHCP (its first lease); its public IP is an address of its own on
 * the loopback range 127.77.0.0/16, given at each start and released at stop, as EC2 does, unless
 * it is an Elastic IP (address.h: an address of the same range, kept in the store's "addresses"),
 * which stays with the instance while it is stopped.
 *
 * Security-group ingress rules become QEMU host forwards from the public IP to the private one,
 * added and removed through QEMU's monitor while the instance runs, so a rule takes effect at once.
 * A rule counts when its CIDR covers 127.0.0.1, the address every host client comes from. QEMU
 * runs unprivileged and cannot listen below port 1024: for those TCP ports it listens on the
 * instance's backend address (127.78.A.B for 172.31.A.B) at port + 40000, and ec2-lite's port
 * forwarder (portfwd.h) listens on the public IP's low port and relays. */
#ifndef EC2LITE_NET_H
#define EC2LITE_NET_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

#define EC2_NET_VPC_CIDR "172.31.0.0/16"
#define EC2_NET_SUBNET_BITS 20 /* every default subnet is a /20 of the VPC */
#define EC2_NET_LOW_PORT_OFFSET 40000
#define EC2_NET_MAX_FORWARDS 256 /* ports forwarded per instance at most */
#define EC2_NET_WIDE_RANGE 64    /* a TCP rule wider than this forwards only the common ports in it */

/* n distinct private IPs of the subnet subnet_cidr ("172.31.16.0/20"; /16 to /28) into
 * out[0..n), without the five addresses a VPC reserves in a subnet (its first four and its last):
 * none that an instance (of any state folder) has, nor a launch under way in this one
 * (journal_in_flight). Reads what is taken once, for all n. -1 with err
 * InsufficientFreeAddressesInSubnet when the subnet is full, InternalError for a bad CIDR. */
int net_private_ips_new(struct ec2_ctx *ctx, const char *subnet_cidr, size_t n, char (*out)[16],
			struct ec2_error *err);
/* The private IPs taken (the addresses net_private_ips_new avoids) as a new array of strings, or
 * NULL with err (libvirt's). */
json_object *net_private_ips_used(struct ec2_ctx *ctx, struct ec2_error *err);
/* A dotted IPv4 CIDR block: its first address (host order, host bits cleared) and prefix length;
 * -1 when cidr is not one. */
int net_cidr_parse(const char *cidr, uint32_t *base, unsigned *bits);
/* Whether the dotted IPv4 address ip lies in cidr (false when either is malformed). */
bool net_cidr_contains(const char *cidr, const char *ip);

/* A public IP for an Elastic IP (AllocateAddress) into out: one that no instance of any state
 * folder has and no Elastic IP in root (a store snapshot) is. The caller holds the "net" lock
 * (store_lock), so that no pass gives the same address to an instance meanwhile. -1 with err
 * InsufficientAddressCapacity when none is free. */
int net_public_ip_new(struct ec2_ctx *ctx, json_object *root, char out[16], struct ec2_error *err);

/* EC2's host name of a private IP, "ip-172-31-5-9" (size: 32 is enough). */
void net_hostname(const char *private_ip, char *out, size_t size);
/* The NIC's MAC address, derived from the private IP (18 bytes). */
void net_mac(const char *private_ip, char out[18]);
/* QEMU's -netdev and -device values for the NIC of an instance (caller frees both): user-mode
 * networking on the /20 default subnet private_ip lies in (its .1 the router, its .2 the DNS),
 * whose DHCP gives the guest private_ip. With guestfwd (imds_net_guestfwd's option, or NULL) the
 * network is 168.0.0.0/5 instead, so that it holds the metadata service's address. */
void net_qemu_args(const char *private_ip, const char *guestfwd, char **netdev, char **nic);

/* The QEMU monitor (HMP) command that adds a host forward, "hostfwd_add ec2net0
 * PROTO:ADDR:PORT-:GUEST_PORT", or (add false) removes one, "hostfwd_remove ec2net0
 * PROTO:ADDR:PORT". NULL when proto is not tcp or udp, addr is not a dotted IPv4 address of the
 * public (127.77.0.0/16) or backend (127.78.0.0/16) range in its plain form, or a port is outside
 * 1-65535 (guest_port only counts for an add): such values, read back from metadata or QEMU,
 * never reach the monitor. Caller frees. */
char *net_hostfwd_cmd(bool add, const char *proto, const char *addr, long long port,
		      long long guest_port);

/* The ports that groups (an instance's [{"GroupId"}]) open, per the store's security groups
 * (root is a store snapshot): an array of {"Protocol": "tcp"|"udp", "Port": N}, sorted, at most
 * EC2_NET_MAX_FORWARDS (new reference). */
json_object *net_open_ports(json_object *root, json_object *groups);

/* Brings networking in line with libvirt and the security groups, for every instance of this
 * state folder: an instance's Elastic IP is made what the store's "addresses" say, a running
 * instance without a public IP gets one, a stopped one without an Elastic IP gives its up, every
 * running instance's QEMU forwards are made to match its groups' rules, and the port forwarder's
 * table to match the low ports. Returns once the ports listen. Instances launched without a
 * network (before ec2-lite had one) are left alone. */
int net_sync(struct ec2_ctx *ctx, struct ec2_error *err);
/* As net_sync, for a change made before since (util_monotonic): when a whole pass began after
 * it (another launcher's, while this one waited for the net lock), that pass saw the change and
 * this one is not made again. Parallel launches thus share passes instead of each making one
 * over every instance, one after another. */
int net_sync_since(struct ec2_ctx *ctx, double since, struct ec2_error *err);

#endif

/* Instance networking: see include/ec2lite/net.h. */
#include "ec2lite/imdsnet.h"
#include "ec2lite/net.h"

#include <arpa/inet.h>
#include <libvirt/libvirt-qemu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ec2lite/filter.h"
#include "ec2lite/journal.h"
#include "ec2lite/portfwd.h"
#include "ec2lite/util.h"

#define NETDEV_ID "ec2net0"
/* The NIC's PCI slot: given explicitly because libvirt does not know of the device (it is on
 * QEMU's command line, not in the domain XML) and fills slots from the bottom. */
#define NIC_PCI_SLOT "0x1f"

static unsigned rnd(void)
{
	unsigned v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (unsigned)rand();
	return v;
}

static bool in_list(json_object *list, const char *s)
{
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), s) == 0)
			return true;
	return false;
}

static void add_reserved_ips(void *opaque, json_object *journal)
{
	json_object *list = json_path(journal, "Instances");
	size_t i;

	for (i = 0; list && i < json_object_array_length(list); i++) {
		const char *ip = req_str0(json_object_array_get_idx(list, i), "PrivateIp");

		if (ip[0])
			json_object_array_add(opaque, json_object_new_string(ip));
	}
}

/* The addresses in use: private ones of every instance, public ones of every instance that has one
 * (a stopped instance keeps its Elastic IP), of every state folder (they share the host's
 * loopback), and with root (a store snapshot, or NULL) this state folder's Elastic IPs,
 * associated or not. */
static json_object *used_addresses(struct ec2_ctx *ctx, bool public, json_object *root,
				   struct ec2_error *err)
{
	struct ec2_dom *doms = NULL;
	size_t n = 0, i;
	json_object *used, *addresses;

	if (ec2_doms_list(ctx, EC2_DOMS_ALL_POOLS, &doms, &n, err) < 0)
		return NULL;
	used = json_object_new_array();
	for (i = 0; i < n; i++) {
		const char *ip = public ? doms[i].meta.public_ip : doms[i].meta.private_ip;

		if (ip[0])
			json_object_array_add(used, json_object_new_string(ip));
	}
	ec2_doms_free(doms, n);
	/* The private IPs that launches under way chose before their domains exist. */
	if (!public)
		journal_in_flight(ctx->cfg->state_dir, add_reserved_ips, used);
	if (public && root && json_object_object_get_ex(root, "addresses", &addresses)) {
		json_object_object_foreach(addresses, alloc, a) {
			(void)alloc;
			if (req_string(a, "PublicIp"))
				json_object_array_add(used, json_object_new_string(req_str0(a, "PublicIp")));
		}
	}
	return used;
}

json_object *net_private_ips_used(struct ec2_ctx *ctx, struct ec2_error *err)
{
	return used_addresses(ctx, false, NULL, err);
}

int net_cidr_parse(const char *cidr, uint32_t *base, unsigned *bits)
{
	char ip[16];
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	struct in_addr a;
	char *end;
	unsigned long b;

	if (!slash || (size_t)(slash - cidr) >= sizeof(ip) || slash[1] < '0' || slash[1] > '9')
		return -1;
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	b = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || *end != '\0' || b > 32)
		return -1;
	*bits = (unsigned)b;
	*base = ntohl(a.s_addr) & (b == 0 ? 0 : 0xffffffffu << (32 - b));
	return 0;
}

bool net_cidr_contains(const char *cidr, const char *ip)
{
	uint32_t base, mask;
	unsigned bits;
	struct in_addr a;

	if (net_cidr_parse(cidr, &base, &bits) < 0 || !ip || inet_pton(AF_INET, ip, &a) != 1)
		return false;
	mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
	return (ntohl(a.s_addr) & mask) == base;
}

static void ip_text(uint32_t v, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

int net_private_ips_new(struct ec2_ctx *ctx, const char *subnet_cidr, size_t n, char (*out)[16],
			struct ec2_error *err)
{
	json_object *used;
	uint32_t base;
	unsigned bits;
	size_t i;
	int tries;

	if (net_cidr_parse(subnet_cidr, &base, &bits) < 0 || bits < 16 || bits > 28) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "'%s' is not a subnet's CIDR block",
			      subnet_cidr ? subnet_cidr : "");
		return -1;
	}
	used = used_addresses(ctx, false, NULL, err);
	if (!used)
		return -1;
	for (i = 0; i < n; i++) {
		for (tries = 0; tries < 10000; tries++) {
			/* The subnet without the addresses a VPC reserves: the first four and the
			 * last. */
			uint32_t size = 1u << (32 - bits), host = 4 + rnd() % (size - 5);

			ip_text(base + host, out[i]);
			if (!in_list(used, out[i]))
				break;
		}
		if (tries == 10000) {
			json_object_put(used);
			ec2_error_set(err, "InsufficientFreeAddressesInSubnet",
				      "There are not enough free addresses in subnet %s", subnet_cidr);
			return -1;
		}
		json_object_array_add(used, json_object_new_string(out[i])); /* taken by this call */
	}
	json_object_put(used);
	return 0;
}

static int public_ip_new(json_object *used, char out[16])
{
	int tries;

	for (tries = 0; tries < 10000; tries++) {
		unsigned v = rnd();

		snprintf(out, 16, "127.77.%u.%u", (v >> 8) & 0xff, 1 + (v & 0xff) % 254);
		if (!in_list(used, out)) {
			json_object_array_add(used, json_object_new_string(out));
			return 0;
		}
	}
	return -1;
}

int net_public_ip_new(struct ec2_ctx *ctx, json_object *root, char out[16], struct ec2_error *err)
{
	json_object *used = used_addresses(ctx, true, root, err);
	int rc;

	if (!used)
		return -1;
	rc = public_ip_new(used, out);
	json_object_put(used);
	if (rc < 0)
		ec2_error_set(err, "InsufficientAddressCapacity",
			      "There are not enough free public addresses");
	return rc;
}

static int octets(const char *ip, unsigned o[4])
{
	return sscanf(ip, "%u.%u.%u.%u", &o[0], &o[1], &o[2], &o[3]) == 4 ? 0 : -1;
}

void net_hostname(const char *private_ip, char *out, size_t size)
{
	unsigned o[4] = { 0 };

	octets(private_ip, o);
	snprintf(out, size, "ip-%u-%u-%u-%u", o[0], o[1], o[2], o[3]);
}

void net_mac(const char *private_ip, char out[18])
{
	unsigned o[4] = { 0 };

	/* A locally administered unicast address, as EC2's 0a:/0e:/12:... are. */
	octets(private_ip, o);
	snprintf(out, 18, "0e:ec:%02x:%02x:%02x:%02x", o[0] & 0xff, o[1] & 0xff, o[2] & 0xff,
		 o[3] & 0xff);
}

static void backend_ip(const char *private_ip, char out[16])
{
	unsigned o[4] = { 0 };

	octets(private_ip, o);
	snprintf(out, 16, "127.78.%u.%u", o[2] & 0xff, o[3] & 0xff);
}

void net_qemu_args(const char *private_ip, const char *guestfwd, char **netdev, char **nic)
{
	char mac[18], host[32], net[16], router[16], dns[16];
	unsigned o[4] = { 0 };
	uint32_t base;

	net_mac(private_ip, mac);
	net_hostname(private_ip, host, sizeof(host));
	/* The default subnet (a /20) the address lies in: its router is its .1, its DNS its .2. */
	octets(private_ip, o);
	base = ((o[0] & 0xffu) << 24 | (o[1] & 0xffu) << 16 | (o[2] & 0xffu) << 8 | (o[3] & 0xffu)) &
	       (0xffffffffu << (32 - EC2_NET_SUBNET_BITS));
	ip_text(base, net);
	ip_text(base + 1, router);
	ip_text(base + 2, dns);
	if (guestfwd) /* libslirp forwards only inside the network: see imdsnet.h */
		*netdev = util_strdupf("user,id=" NETDEV_ID ",net=" IMDS_NET "/%d,host=%s,dns=%s,"
				       "dhcpstart=%s,hostname=%s,restrict=on,%s", IMDS_NET_BITS,
				       router, dns, private_ip, host, guestfwd);
	else
		*netdev = util_strdupf("user,id=" NETDEV_ID ",net=%s/%d,host=%s,dns=%s,"
				       "dhcpstart=%s,hostname=%s,restrict=on", net,
				       EC2_NET_SUBNET_BITS, router, dns, private_ip, host);
	*nic = util_strdupf("virtio-net-pci,netdev=" NETDEV_ID ",mac=%s,bus=pci.0,addr=" NIC_PCI_SLOT,
			    mac);
}

/* ---------- which ports the security groups open ---------- */

static bool covers_localhost(const char *cidr)
{
	return net_cidr_contains(cidr, "127.0.0.1");
}

/* The ports a wide TCP rule (All traffic, 0-65535, ...) opens: QEMU listens on each forwarded
 * port, so a whole range cannot be; these are the ports servers commonly use.
 *
 * UDP rules open nothing: QEMU's user-mode network runs with restrict=on (the guest has no
 * route out), and libslirp then drops every datagram the guest sends except DHCP and TFTP,
 * answers to a host forward included (udp_input: "if (slirp->restricted) goto bad"). A UDP
 * forward would take datagrams in and never give an answer back, so none is made. */
static const int common_ports[] = { 22, 80, 443, 3000, 3306, 5000, 5432, 6379, 8000, 8080, 8443,
				    8888, 9000, 27017 };

static void open_port(char *open, long long port, size_t *count)
{
	if (port < 1 || port > 65535 || open[port] || *count >= EC2_NET_MAX_FORWARDS)
		return;
	open[port] = 1;
	(*count)++;
}

json_object *net_open_ports(json_object *root, json_object *groups)
{
	json_object *sgs = NULL, *out = json_object_new_array();
	char *open = calloc(65536, 1); /* TCP only: see above */
	size_t i, j, k, count = 0;
	long long p;

	if (!open)
		abort();
	json_object_object_get_ex(root, "security_groups", &sgs);
	for (i = 0; groups && i < json_object_array_length(groups); i++) {
		json_object *g = NULL, *rules = NULL;

		if (!sgs || !json_object_object_get_ex(sgs, req_str0(json_object_array_get_idx(groups, i),
								     "GroupId"), &g) ||
		    !json_object_object_get_ex(g, "Rules", &rules))
			continue;
		for (j = 0; j < json_object_array_length(rules); j++) {
			json_object *r = json_object_array_get_idx(rules, j);
			const char *ip_proto = req_str0(r, "IpProtocol");
			long long from = -1, to = -1;

			if (!covers_localhost(req_string(r, "CidrIpv4")))
				continue;
			req_int(r, "FromPort", &from, NULL);
			req_int(r, "ToPort", &to, NULL);
			if (strcmp(ip_proto, "-1") == 0) {
				from = 0;
				to = 65535;
			} else if (strcmp(ip_proto, "tcp") != 0) {
				continue;
			}
			if (to - from + 1 <= EC2_NET_WIDE_RANGE) {
				for (p = from; p <= to; p++)
					open_port(open, p, &count);
				continue;
			}
			for (k = 0; k < sizeof(common_ports) / sizeof(common_ports[0]); k++)
				if (common_ports[k] >= from && common_ports[k] <= to)
					open_port(open, common_ports[k], &count);
		}
	}
	for (p = 1; p <= 65535; p++)
		if (open[p]) {
			json_object *o = json_object_new_object();

			json_add_str(o, "Protocol", "tcp");
			json_add_int(o, "Port", p);
			json_object_array_add(out, o);
		}
	free(open);
	return out;
}

/* ---------- QEMU's host forwards ---------- */

/* A dotted IPv4 address in its one plain form, in 127.77.0.0/16 or 127.78.0.0/16. */
static bool forward_address(const char *addr)
{
	struct in_addr a;
	char back[INET_ADDRSTRLEN];
	uint32_t h;

	if (!addr || inet_pton(AF_INET, addr, &a) != 1 || !inet_ntop(AF_INET, &a, back, sizeof(back)) ||
	    strcmp(back, addr) != 0)
		return false;
	h = ntohl(a.s_addr);
	return (h >> 16) == (127u << 8 | 77) || (h >> 16) == (127u << 8 | 78);
}

char *net_hostfwd_cmd(bool add, const char *proto, const char *addr, long long port,
		      long long guest_port)
{
	if (!proto || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) ||
	    !forward_address(addr) || port < 1 || port > 65535 ||
	    (add && (guest_port < 1 || guest_port > 65535)))
		return NULL;
	if (add)
		return util_strdupf("hostfwd_add " NETDEV_ID " %s:%s:%lld-:%lld", proto, addr, port,
				    guest_port);
	return util_strdupf("hostfwd_remove " NETDEV_ID " %s:%s:%lld", proto, addr, port);
}

static char *hmp(virDomainPtr dom, const char *cmd)
{
	char *out = NULL;

	if (virDomainQemuMonitorCommand(dom, cmd, &out, VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) < 0)
		return NULL;
	return out;
}

/* The host forwards QEMU has now, as "tcp:ADDR:PORT" (info usernet's HOST_FORWARD lines:
 * "  TCP[HOST_FORWARD]  20  127.77.0.5  8080  172.31.5.9  80  0  0"). */
static json_object *current_forwards(virDomainPtr dom)
{
	char *text = hmp(dom, "info usernet"), *line, *save = NULL;
	json_object *out;

	if (!text)
		return NULL;
	out = json_object_new_array();
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char what[32], addr[64], key[128];
		int fd, port;

		if (sscanf(line, " %31s %d %63s %d", what, &fd, addr, &port) != 4 ||
		    !strstr(what, "[HOST_FORWARD]"))
			continue;
		snprintf(key, sizeof(key), "%s:%s:%d", strncmp(what, "UDP", 3) == 0 ? "udp" : "tcp",
			 addr, port);
		json_object_array_add(out, json_object_new_string(key));
	}
	free(text);
	return out;
}

/* Makes the instance's QEMU forwards what ports asks for; low TCP ports go to the forwarder's
 * table (forwards). */
static void sync_instance(virDomainPtr dom, const struct ec2_meta *m, json_object *ports,
			  json_object *forwards)
{
	json_object *have = current_forwards(dom), *want = json_object_new_array();
	char back[16];
	size_t i;
	/* The public IP comes back from the domain's metadata, which is only as trustworthy as
	 * whoever can edit the domain: an address that is not one of ours forwards nothing. */
	bool ours = forward_address(m->public_ip);

	backend_ip(m->private_ip, back);
	for (i = 0; ours && i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		const char *proto = req_str0(p, "Protocol");
		long long port = 0;
		char key[128], *cmd;

		req_int(p, "Port", &port, NULL);
		if (strcmp(proto, "tcp") != 0)
			continue; /* TCP only (see net_open_ports) */
		if (port < 1024) {
			json_object *f = json_object_new_object();

			json_add_str(f, "Listen", m->public_ip);
			json_add_int(f, "Port", port);
			json_add_str(f, "Target", back);
			json_add_int(f, "TargetPort", port + EC2_NET_LOW_PORT_OFFSET);
			json_object_array_add(forwards, f);
			snprintf(key, sizeof(key), "tcp:%s:%lld", back, port + EC2_NET_LOW_PORT_OFFSET);
		} else {
			snprintf(key, sizeof(key), "%s:%s:%lld", proto, m->public_ip, port);
		}
		json_object_array_add(want, json_object_new_string(key));
		if (have && !in_list(have, key)) {
			cmd = port < 1024 ?
			      net_hostfwd_cmd(true, "tcp", back, port + EC2_NET_LOW_PORT_OFFSET, port) :
			      net_hostfwd_cmd(true, proto, m->public_ip, port, port);
			if (cmd)
				free(hmp(dom, cmd));
			free(cmd);
		}
	}
	for (i = 0; have && i < json_object_array_length(have); i++) {
		const char *key = json_object_get_string(json_object_array_get_idx(have, i));
		char proto[4], addr[16], *cmd;
		long long port;

		/* The key as current_forwards made it from QEMU's answer: PROTO:ADDR:PORT. */
		if (in_list(want, key) ||
		    sscanf(key, "%3[a-z]:%15[0-9.]:%lld", proto, addr, &port) != 3)
			continue;
		cmd = net_hostfwd_cmd(false, proto, addr, port, 0);
		if (cmd)
			free(hmp(dom, cmd));
		free(cmd);
	}
	json_object_put(have);
	json_object_put(want);
}

/* <state-dir>/net.pass: when the last whole pass began (util_monotonic, under the net lock) and
 * the forwarder table version it published. A lost record costs one pass more. */
static void pass_note(struct ec2_ctx *ctx, double begun, long long version)
{
	char *path = util_strdupf("%s/net.pass", ctx->cfg->state_dir);
	char text[64];

	snprintf(text, sizeof(text), "%.6f %lld\n", begun, version);
	util_write_file_atomic(path, text, strlen(text), 0644, NULL);
	free(path);
}

static bool pass_since(struct ec2_ctx *ctx, double since, long long *version)
{
	char *path = util_strdupf("%s/net.pass", ctx->cfg->state_dir);
	FILE *f = fopen(path, "re");
	double begun = 0;
	bool ok;

	free(path);
	if (!f)
		return false;
	ok = fscanf(f, "%lf %lld", &begun, version) == 2 && begun > since;
	fclose(f);
	return ok;
}

/* The store's "addresses" are the truth of which Elastic IP an instance has: its metadata follows
 * them (AssociateAddress writes both, but a metadata write of another action that read the
 * domain before it may have put the old values back). An instance that loses its Elastic IP
 * has no public IP until the pass gives a running one a new automatic address. */
static void eip_follow(json_object *root, virDomainPtr dom, struct ec2_meta *m)
{
	json_object *addresses = NULL, *found = NULL;
	const char *id = virDomainGetName(dom);

	if (id && json_object_object_get_ex(root, "addresses", &addresses)) {
		json_object_object_foreach(addresses, alloc, a) {
			(void)alloc;
			if (strcmp(req_str0(a, "InstanceId"), id) == 0 && req_string(a, "PublicIp"))
				found = a;
		}
	}
	if (found) {
		if (strcmp(m->public_ip, req_str0(found, "PublicIp")) == 0 &&
		    strcmp(m->eip_allocation_id, req_str0(found, "AllocationId")) == 0)
			return;
		snprintf(m->public_ip, sizeof(m->public_ip), "%s", req_str0(found, "PublicIp"));
		snprintf(m->eip_allocation_id, sizeof(m->eip_allocation_id), "%s",
			 req_str0(found, "AllocationId"));
	} else if (m->eip_allocation_id[0]) {
		m->public_ip[0] = '\0';
		m->eip_allocation_id[0] = '\0';
	} else {
		return;
	}
	ec2_meta_save(dom, m, NULL);
}

static int sync_pass(struct ec2_ctx *ctx, double since, struct ec2_error *err)
{
	struct ec2_dom *doms = NULL;
	size_t n = 0, i;
	json_object *root = NULL, *used = NULL, *forwards = NULL;
	long long version = 0;
	int lock, rc = -1;
	bool test = ec2_conn_is_test(ctx->conn);
	double begun;

	lock = store_lock(ctx->store, "net", err);
	if (lock < 0)
		return -1;
	if (since > 0 && pass_since(ctx, since, &version)) {
		/* A whole pass began after the caller's change: it saw it. */
		store_unlock(lock);
		return version > 0 ? portfwd_wait(ctx->cfg->state_dir, version, err) : 0;
	}
	begun = util_monotonic();
	if (!(root = store_read(ctx->store, err)) || ec2_doms_list(ctx, 0, &doms, &n, err) < 0 ||
	    !(used = used_addresses(ctx, true, root, err)))
		goto out;
	forwards = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct ec2_meta *m = &doms[i].meta;
		json_object *ports;

		if (!m->private_ip[0])
			continue;
		eip_follow(root, doms[i].dom, m);
		if (virDomainIsActive(doms[i].dom) != 1) {
			/* CreateImage's reboot keeps the public IP, as a reboot does, and an
			 * associated Elastic IP stays with a stopped instance, as on EC2. */
			if (m->public_ip[0] && m->pending_op != EC2_OP_IMAGE_REBOOT &&
			    !m->eip_allocation_id[0]) {
				/* Stopped: the public IP goes back, as on EC2. */
				m->public_ip[0] = '\0';
				ec2_meta_save(doms[i].dom, m, NULL);
			}
			continue;
		}
		if (!m->public_ip[0]) {
			if (public_ip_new(used, m->public_ip) < 0 ||
			    ec2_meta_save(doms[i].dom, m, err) < 0) {
				m->public_ip[0] = '\0';
				continue;
			}
		}
		if (test)
			continue; /* the test driver runs no QEMU */
		ports = net_open_ports(root, m->groups);
		sync_instance(doms[i].dom, m, ports, forwards);
		json_object_put(ports);
	}
	rc = test ? 0 : portfwd_publish(ctx->cfg->state_dir, forwards, &version, err);
	if (rc == 0)
		pass_note(ctx, begun, version);
out:
	store_unlock(lock);
	json_object_put(root);
	json_object_put(used);
	json_object_put(forwards);
	ec2_doms_free(doms, n);
	if (rc == 0 && version > 0)
		rc = portfwd_wait(ctx->cfg->state_dir, version, err);
	return rc;
}

int net_sync(struct ec2_ctx *ctx, struct ec2_error *err)
{
	return sync_pass(ctx, 0, err);
}

int net_sync_since(struct ec2_ctx *ctx, double since, struct ec2_error *err)
{
	return sync_pass(ctx, since, err);
}

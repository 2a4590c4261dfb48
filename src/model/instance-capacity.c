/* Instances, capacity: the host's memory, what running guests already hold of it, and how many
 * instances of a type fit (InsufficientInstanceCapacity otherwise), for RunInstances and
 * StartInstances. */
#include <stdlib.h>
#include <string.h>

#include "ec2lite/reserve.h"

#include "instance-internal.h"

/* The host's memory in KiB. virNodeGetInfo reports one NUMA cell's view on some hosts (5.6 of
 * 24 GiB was seen), so the memory statistics' total comes first. */
static unsigned long long host_memory_kib(virConnectPtr conn)
{
	virNodeMemoryStatsPtr stats = NULL;
	virNodeInfo node;
	int n = 0, i;
	unsigned long long total = 0;

	if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) == 0 && n > 0) {
		stats = calloc((size_t)n, sizeof(*stats));
		if (!stats)
			abort();
		if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) == 0)
			for (i = 0; i < n; i++)
				if (strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_TOTAL) == 0)
					total = stats[i].value;
		free(stats);
	}
	if (total == 0 && virNodeGetInfo(conn, &node) == 0)
		total = node.memory;
	return total;
}

/* Memory that running guests on this host already hold, and what the host can give. */
int capacity(struct ec2_ctx *ctx, long *free_mib, long *used_mib, long *host_mib,
		    struct ec2_error *err)
{
	unsigned long long host = host_memory_kib(ctx->conn);
	virDomainPtr *doms = NULL;
	int n, i;
	long used = 0;

	if (host == 0) {
		ec2_error_set_libvirt(err, "cannot read the host's memory size");
		return -1;
	}
	reserve_pending(ctx, NULL, &used); /* launches under way, before the listing */
	n = virConnectListAllDomains(ctx->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	for (i = 0; i < n; i++) {
		used += (long)(virDomainGetMaxMemory(doms[i]) / 1024);
		virDomainFree(doms[i]);
	}
	free(doms);
	*host_mib = (long)(host / 1024);
	*used_mib = used;
	*free_mib = (long)((double)*host_mib * ctx->cfg->memory_overcommit) - used;
	return 0;
}

int fits(struct ec2_ctx *ctx, const struct instance_type *t, long min, long *max,
		struct ec2_error *err)
{
	long free_mib, used, host, room;

	if (capacity(ctx, &free_mib, &used, &host, err) < 0)
		return -1;
	room = free_mib > 0 ? free_mib / t->memory_mib : 0;
	if (room < min) {
		ec2_error_set(err, EC2_ERR_INSUFFICIENT_CAPACITY,
			      "We currently do not have sufficient %s capacity in the Availability "
			      "Zone you requested (%s). This host gives guests %ld MiB (%ld MiB "
			      "x %.2f overcommit), %ld MiB are in use, and %ld instance(s) of %ld "
			      "MiB were asked for.", t->name, ctx->cfg->availability_zone,
			      (long)((double)host * ctx->cfg->memory_overcommit), host,
			      ctx->cfg->memory_overcommit, used, min, t->memory_mib);
		return -1;
	}
	if (*max > room)
		*max = room;
	return 0;
}

/* Reservations of launches under way: see include/ec2lite/reserve.h. */
#include "ec2lite/reserve.h"

#include <libvirt/libvirt.h>

#include "ec2lite/filter.h"
#include "ec2lite/journal.h"
#include "ec2lite/util.h"

struct pending {
	struct ec2_ctx *ctx;
	long undefined, mib;
};

static void count_journal(void *opaque, json_object *journal)
{
	struct pending *p = opaque;
	json_object *list = json_path(journal, "Instances");
	size_t i;

	for (i = 0; list && i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);
		long long mib = 0;
		virDomainPtr dom;

		req_int(e, "MemoryMiB", &mib, NULL);
		dom = virDomainLookupByName(p->ctx->conn, req_str0(e, "InstanceId"));
		if (!dom) {
			p->undefined++;
			p->mib += (long)mib;
			continue;
		}
		if (virDomainIsActive(dom) != 1)
			p->mib += (long)mib;
		virDomainFree(dom);
	}
}

void reserve_pending(struct ec2_ctx *ctx, long *undefined, long *mib)
{
	struct pending p = { ctx, 0, 0 };

	journal_in_flight(ctx->cfg->state_dir, count_journal, &p);
	if (undefined)
		*undefined += p.undefined;
	if (mib)
		*mib += p.mib;
}

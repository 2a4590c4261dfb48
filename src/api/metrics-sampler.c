/* The sampler of CloudWatch's metrics in `serve`: a thread that reads libvirt's statistics of
 * the state folder's running instances every few seconds into the metrics (metrics.h), which
 * cloudwatch.c answers from. See api.h.
 *
 * Network: an instance's NIC is QEMU's user-mode network (a -netdev user given through
 * <qemu:commandline>), which libvirt does not know: its interface statistics (net.N.rx.bytes)
 * have no entry for it. The guest's own counters do: where the guest runs qemu-guest-agent
 * (every domain has its channel, domxml.c), the sampler asks it for guest-network-get-interfaces
 * and NetworkIn/NetworkOut are its interfaces' rx/tx bytes (metrics_sample_from_agent). A guest
 * without an agent has no network values, and none is made up. */
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "ec2lite/ec2.h"
#include "ec2lite/metrics.h"
#include "ec2lite/util.h"

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The agent's command: a constant, nothing from a client reaches it. */
static const char agent_interfaces[] = "{\"execute\":\"guest-network-get-interfaces\"}";
/* Seconds the sampler waits for the agent's answer. */
#define AGENT_TIMEOUT 1

/* The network counters of a running domain's guest, from its agent, into s; s keeps what it had
 * when there is no answer. A domain whose agent is not connected (no qemu-guest-agent in the
 * guest, or it has not started yet) fails at once in libvirt, without waiting; a paused one is
 * not asked, since its agent cannot answer. Outside the server's lock. */
static void agent_network(virDomainPtr dom, const virTypedParameter *params, int nparams,
			  struct metrics_sample *s)
{
	int state = 0;
	char *reply;

	if (virTypedParamsGetInt((virTypedParameterPtr)params, nparams, "state.state", &state) != 1 ||
	    state != VIR_DOMAIN_RUNNING)
		return;
	reply = virDomainQemuAgentCommand(dom, agent_interfaces, AGENT_TIMEOUT, 0);
	if (!reply) {
		virResetLastError(); /* the usual answer of a guest without an agent */
		return;
	}
	metrics_sample_from_agent(reply, s);
	free(reply); /* virDomainQemuAgentCommand's answer is the caller's */
}

int api_metrics_sample(struct ec2_ctx *ctx, pthread_mutex_t *lock, struct metrics *m,
		       struct ec2_error *err)
{
	unsigned groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
			  VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_BLOCK |
			  VIR_DOMAIN_STATS_INTERFACE;
	virDomainStatsRecordPtr *recs = NULL;
	virDomainPtr *list = NULL;
	struct ec2_dom *doms = NULL;
	size_t n = 0, i;
	int nrec = 0;
	double wall, mono;

	pthread_mutex_lock(lock);
	if (ec2_doms_list(ctx, EC2_DOMS_ACTIVE, &doms, &n, err) < 0) {
		pthread_mutex_unlock(lock);
		return -1;
	}
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		abort();
	for (i = 0; i < n; i++)
		list[i] = doms[i].dom;
	pthread_mutex_unlock(lock);
	/* Only ec2-lite's own running domains (this state folder's); groups a driver does not
	 * have are left out (no ENFORCE flag). Outside the server's lock, and without waiting for
	 * a domain's job (NOWAIT: a guest busy with a block copy or a stuck monitor gives what it
	 * can at once), so that sampling never holds up the API. */
	nrec = n ? virDomainListGetStats(list, groups, &recs,
					 VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT) : 0;
	wall = wall_now();
	mono = util_monotonic();
	if (nrec < 0)
		ec2_error_set_libvirt(err, "cannot read the domains' statistics");
	for (i = 0; nrec > 0 && i < (size_t)nrec; i++) {
		struct metrics_sample s;

		metrics_sample_from_stats(recs[i]->params, recs[i]->nparams, wall, mono,
					  (long long)virDomainGetID(recs[i]->dom), &s);
		agent_network(recs[i]->dom, recs[i]->params, recs[i]->nparams, &s);
		metrics_add(m, virDomainGetName(recs[i]->dom), &s);
	}
	if (recs)
		virDomainStatsRecordListFree(recs);
	free(list);
	ec2_doms_free(doms, n);
	metrics_prune(m, mono);
	return nrec < 0 ? -1 : 0;
}

int api_metrics_inject(struct metrics *m, const char *path, struct ec2_error *err)
{
	json_object *all = json_object_from_file(path);
	double wall = wall_now(), mono = util_monotonic();
	size_t i;

	if (!json_object_is_type(all, json_type_array)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "%s: not a JSON array of samples", path);
		json_object_put(all);
		return -1;
	}
	for (i = 0; i < json_object_array_length(all); i++) {
		static const char *const keys[METRICS_COUNT] = {
			[METRICS_CPU] = "CpuTime", [METRICS_NET_IN] = "NetworkIn",
			[METRICS_NET_OUT] = "NetworkOut", [METRICS_DISK_READ] = "DiskReadBytes",
			[METRICS_DISK_WRITE] = "DiskWriteBytes",
		};
		json_object *e = json_object_array_get_idx(all, i);
		struct metrics_sample s = { 0 };
		long long ago = 0, run = 1, vcpus = 0, v;
		int k;

		req_int(e, "Ago", &ago, NULL);
		req_int(e, "Run", &run, NULL);
		req_int(e, "Vcpus", &vcpus, NULL);
		s.wall = wall - (double)ago;
		s.mono = mono - (double)ago;
		s.run = run;
		s.vcpus = vcpus > 0 && vcpus < 4096 ? (unsigned)vcpus : 0;
		for (k = 0; k < METRICS_COUNT; k++)
			if (json_object_object_get_ex(e, keys[k], NULL) &&
			    req_int(e, keys[k], &v, NULL) == 1 && v >= 0) {
				s.counter[k] = (unsigned long long)v;
				s.have |= 1u << k;
			}
		metrics_add(m, req_str0(e, "InstanceId"), &s);
	}
	json_object_put(all);
	return 0;
}

struct api_sampler {
	struct ec2_ctx *ctx;
	pthread_mutex_t *lock;
	struct metrics *m;
	unsigned interval;
	atomic_bool stopping;
	pthread_t thread;
};

static void *sampler_main(void *opaque)
{
	struct api_sampler *s = opaque;
	unsigned waited;

	while (!s->stopping) {
		api_metrics_sample(s->ctx, s->lock, s->m, NULL);
		for (waited = 0; waited < s->interval * 10 && !s->stopping; waited++)
			util_sleep_ms(100);
	}
	return NULL;
}

struct api_sampler *api_sampler_start(struct ec2_ctx *ctx, pthread_mutex_t *lock,
				      struct metrics *m, unsigned interval)
{
	struct api_sampler *s;

	if (!interval)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->ctx = ctx;
	s->lock = lock;
	s->m = m;
	s->interval = interval;
	if (pthread_create(&s->thread, NULL, sampler_main, s) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void api_sampler_stop(struct api_sampler *s)
{
	if (!s)
		return;
	s->stopping = true;
	pthread_join(s->thread, NULL);
	free(s);
}

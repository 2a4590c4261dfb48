/* Instance metrics: what CloudWatch's AWS/EC2 namespace answers (CPUUtilization, NetworkIn,
 * NetworkOut, DiskReadBytes, DiskWriteBytes), from raw counters that `ec2-lite serve` samples from
 * libvirt's domain statistics every few seconds.
 *
 * Each instance has a ring of its last samples (bounded: the newest METRICS_RETENTION seconds at
 * most). A value is made of two consecutive samples of one run of the guest: CPUUtilization is the
 * CPU time used over the wall time passed times the vCPUs, in percent; the byte metrics are the
 * bytes counted between them. A counter that goes back, or a sample of another run (the guest was
 * started again: libvirt gives it a new domain id), starts the counting over: that pair gives no
 * value, never a negative one. A counter libvirt did not give in either sample gives no value.
 * A value is timestamped with the later sample's wall time.
 *
 * The store has a lock of its own: the sampler adds while API requests read. Nothing here does
 * I/O; metrics_sample_from_stats reads libvirt's typed parameters, given by the caller. */
#ifndef EC2LITE_METRICS_H
#define EC2LITE_METRICS_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#define METRICS_RETENTION (3 * 3600) /* seconds of samples kept per instance */
#define METRICS_PERCENTILES_MAX 10   /* ExtendedStatistics of one request, as CloudWatch's */

enum metrics_metric {
	METRICS_CPU,        /* CPUUtilization, Percent */
	METRICS_NET_IN,     /* NetworkIn, Bytes */
	METRICS_NET_OUT,    /* NetworkOut, Bytes */
	METRICS_DISK_READ,  /* DiskReadBytes, Bytes */
	METRICS_DISK_WRITE, /* DiskWriteBytes, Bytes */
	METRICS_COUNT
};

/* CloudWatch's name of metric ("CPUUtilization") and its unit ("Percent", "Bytes"). */
const char *metrics_name(enum metrics_metric metric);
const char *metrics_unit(enum metrics_metric metric);
/* The metric named name (case as CloudWatch's), or -1. */
int metrics_find(const char *name);

/* One reading of an instance's counters. */
struct metrics_sample {
	double wall;         /* seconds since the epoch */
	double mono;         /* CLOCK_MONOTONIC seconds: the time passed between samples */
	long long run;       /* which run of the guest (libvirt's domain id) */
	unsigned vcpus;      /* vCPUs (0: unknown, no CPUUtilization) */
	unsigned long long counter[METRICS_COUNT]; /* CPU nanoseconds, then bytes in each metric */
	unsigned have;       /* bit 1 << metric: counter[metric] was read */
};

/* The sample of libvirt's statistics of one domain (a record of virDomainListGetStats or
 * virConnectGetAllDomainStats: cpu.time, vcpu.current, block.N.rd.bytes/wr.bytes summed over its
 * disks, net.N.rx.bytes/tx.bytes summed over its interfaces) into s, with the times and run
 * given. Counters libvirt did not give are left out of s->have: no disk without block.count, no
 * network without an interface libvirt sees. */
void metrics_sample_from_stats(const virTypedParameter *params, int n, double wall, double mono,
			       long long run, struct metrics_sample *s);

/* The guest's network counters from its agent's answer to guest-network-get-interfaces (reply:
 * the whole JSON reply, {"return": [...]}, as virDomainQemuAgentCommand gives it; NULL is fine)
 * into s: NetworkIn the rx-bytes, NetworkOut the tx-bytes of its "statistics", summed over the
 * interfaces except loopback (named "lo", or hardware-address 00:00:00:00:00:00). They replace
 * what s had for the network. Returns 0, or -1 with s untouched when the reply is not such an
 * answer, has no interface but loopback, or an interface lacks either counter (a partial sum
 * would be wrong numbers). */
int metrics_sample_from_agent(const char *reply, struct metrics_sample *s);

struct metrics;

/* A store whose rings hold cap samples each (at least 2). Free with metrics_free (NULL is
 * fine). */
struct metrics *metrics_new(size_t cap);
void metrics_free(struct metrics *m);

/* Adds a sample of instance (an instance id; longer than 31 bytes is ignored); the oldest
 * sample of a full ring goes. Samples older than the ring's newest (by mono) are ignored. */
void metrics_add(struct metrics *m, const char *instance, const struct metrics_sample *s);

/* Forgets the instances whose newest sample is older than METRICS_RETENTION seconds before
 * now_mono (terminated ones), and in every ring the samples that old. */
void metrics_prune(struct metrics *m, double now_mono);

/* How many samples of instance m holds (0 for an instance it does not know). */
size_t metrics_count(struct metrics *m, const char *instance);

/* One value: its time (wall, seconds since the epoch) and value. */
struct metrics_point {
	double t, v;
};

/* The values of metric for instance with times in [start, end), oldest first, into a new array
 * *out (caller frees; NULL when none); returns their number. */
size_t metrics_values(struct metrics *m, const char *instance, enum metrics_metric metric,
		      double start, double end, struct metrics_point **out);

/* The instances with at least one value of metric, sorted, as a new array of strdup'ed ids
 * (caller frees each and the array); returns their number. */
size_t metrics_instances(struct metrics *m, enum metrics_metric metric, char ***out);

/* The statistics of one period. */
struct metrics_bucket {
	double t; /* the period's start */
	double count, sum, min, max;
	double pct[METRICS_PERCENTILES_MAX]; /* the percentiles asked, in their order */
};

/* The values p[0..n) (oldest first) in periods of period seconds from start: a bucket per period
 * that has values, oldest first, into a new array *out (caller frees); returns their number.
 * pcts (npct at most METRICS_PERCENTILES_MAX, each 0 to 100) are the percentiles to compute, by
 * nearest rank. Values before start are skipped. */
size_t metrics_buckets(const struct metrics_point *p, size_t n, double start, double period,
		       const double *pcts, size_t npct, struct metrics_bucket **out);

#endif

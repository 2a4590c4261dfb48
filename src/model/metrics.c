/* Instance metrics: sample rings and the values and statistics made of them; see metrics.h. */
#include "ec2lite/metrics.h"

#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *unit;
} metric_info[METRICS_COUNT] = {
	[METRICS_CPU] = { "CPUUtilization", "Percent" },
	[METRICS_NET_IN] = { "NetworkIn", "Bytes" },
	[METRICS_NET_OUT] = { "NetworkOut", "Bytes" },
	[METRICS_DISK_READ] = { "DiskReadBytes", "Bytes" },
	[METRICS_DISK_WRITE] = { "DiskWriteBytes", "Bytes" },
};

const char *metrics_name(enum metrics_metric metric)
{
	return metric_info[metric].name;
}

const char *metrics_unit(enum metrics_metric metric)
{
	return metric_info[metric].unit;
}

int metrics_find(const char *name)
{
	int i;

	for (i = 0; name && i < METRICS_COUNT; i++)
		if (strcmp(metric_info[i].name, name) == 0)
			return i;
	return -1;
}

/* ---------- libvirt's statistics ---------- */

static bool param_ull(const virTypedParameter *p, unsigned long long *v)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_ULLONG:
		*v = p->value.ul;
		return true;
	case VIR_TYPED_PARAM_UINT:
		*v = p->value.ui;
		return true;
	case VIR_TYPED_PARAM_LLONG:
		*v = p->value.l < 0 ? 0 : (unsigned long long)p->value.l;
		return p->value.l >= 0;
	case VIR_TYPED_PARAM_INT:
		*v = p->value.i < 0 ? 0 : (unsigned long long)p->value.i;
		return p->value.i >= 0;
	default:
		return false;
	}
}

/* Whether field is "PREFIX.N.SUFFIX" with N a number. */
static bool indexed(const char *field, const char *prefix, const char *suffix)
{
	size_t lp = strlen(prefix), ls = strlen(suffix), lf = strlen(field);
	size_t i;

	if (lf <= lp + ls + 2 || strncmp(field, prefix, lp) != 0 || field[lp] != '.' ||
	    strcmp(field + lf - ls, suffix) != 0 || field[lf - ls - 1] != '.')
		return false;
	for (i = lp + 1; i < lf - ls - 1; i++)
		if (field[i] < '0' || field[i] > '9')
			return false;
	return true;
}

void metrics_sample_from_stats(const virTypedParameter *params, int n, double wall, double mono,
			       long long run, struct metrics_sample *s)
{
	static const struct {
		const char *prefix, *suffix;
		enum metrics_metric metric;
	} sums[] = {
		{ "block", "rd.bytes", METRICS_DISK_READ },
		{ "block", "wr.bytes", METRICS_DISK_WRITE },
		{ "net", "rx.bytes", METRICS_NET_IN },
		{ "net", "tx.bytes", METRICS_NET_OUT },
	};
	unsigned long long v;
	int i;
	size_t k;

	memset(s, 0, sizeof(*s));
	s->wall = wall;
	s->mono = mono;
	s->run = run;
	for (i = 0; i < n; i++) {
		const char *f = params[i].field;

		if (!param_ull(&params[i], &v))
			continue;
		if (strcmp(f, "cpu.time") == 0) {
			s->counter[METRICS_CPU] = v;
			s->have |= 1u << METRICS_CPU;
		} else if (strcmp(f, "vcpu.current") == 0) {
			s->vcpus = v > 4096 ? 0 : (unsigned)v;
		}
		for (k = 0; k < sizeof(sums) / sizeof(sums[0]); k++)
			if (indexed(f, sums[k].prefix, sums[k].suffix)) {
				s->counter[sums[k].metric] += v;
				s->have |= 1u << sums[k].metric;
			}
	}
	if (!s->vcpus)
		s->have &= ~(1u << METRICS_CPU);
}

/* ---------- the guest agent's network statistics ---------- */

/* The counter key of stats (an object), a JSON integer from 0 to 2^64-1, into *v. json-c keeps
 * integers above INT64_MAX as unsigned, so the sign is read as int64 and the value as uint64. */
static bool agent_counter(json_object *stats, const char *key, unsigned long long *v)
{
	json_object *o;

	if (!json_object_object_get_ex(stats, key, &o) || !json_object_is_type(o, json_type_int) ||
	    json_object_get_int64(o) < 0)
		return false;
	*v = (unsigned long long)json_object_get_uint64(o);
	return true;
}

int metrics_sample_from_agent(const char *reply, struct metrics_sample *s)
{
	json_object *all = reply ? json_tokener_parse(reply) : NULL;
	json_object *ifaces, *e, *name, *hw, *stats;
	unsigned long long rx = 0, tx = 0, v;
	size_t i, counted = 0;
	int rc = -1;

	if (!json_object_is_type(all, json_type_object) ||
	    !json_object_object_get_ex(all, "return", &ifaces) ||
	    !json_object_is_type(ifaces, json_type_array))
		goto out;
	for (i = 0; i < json_object_array_length(ifaces); i++) {
		e = json_object_array_get_idx(ifaces, i);
		if (!json_object_object_get_ex(e, "name", &name) ||
		    !json_object_is_type(name, json_type_string))
			goto out;
		if (strcmp(json_object_get_string(name), "lo") == 0 ||
		    (json_object_object_get_ex(e, "hardware-address", &hw) &&
		     json_object_is_type(hw, json_type_string) &&
		     strcmp(json_object_get_string(hw), "00:00:00:00:00:00") == 0))
			continue;
		if (!json_object_object_get_ex(e, "statistics", &stats) ||
		    !json_object_is_type(stats, json_type_object))
			goto out;
		/* A sum past 2^64 wraps: to the store, a counter gone back (a gap). */
		if (!agent_counter(stats, "rx-bytes", &v))
			goto out;
		rx += v;
		if (!agent_counter(stats, "tx-bytes", &v))
			goto out;
		tx += v;
		counted++;
	}
	if (!counted)
		goto out;
	s->counter[METRICS_NET_IN] = rx;
	s->counter[METRICS_NET_OUT] = tx;
	s->have |= 1u << METRICS_NET_IN | 1u << METRICS_NET_OUT;
	rc = 0;
out:
	json_object_put(all); /* NULL is fine */
	return rc;
}

/* ---------- the store ---------- */

struct ring {
	char instance[32];
	struct metrics_sample *v; /* cap entries; the oldest at head */
	size_t head, n;
};

struct metrics {
	pthread_mutex_t lock;
	size_t cap;
	struct ring *rings;
	size_t nrings;
};

struct metrics *metrics_new(size_t cap)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	pthread_mutex_init(&m->lock, NULL);
	m->cap = cap < 2 ? 2 : cap;
	return m;
}

void metrics_free(struct metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nrings; i++)
		free(m->rings[i].v);
	free(m->rings);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static struct ring *ring_find(struct metrics *m, const char *instance)
{
	size_t i;

	for (i = 0; i < m->nrings; i++)
		if (strcmp(m->rings[i].instance, instance) == 0)
			return &m->rings[i];
	return NULL;
}

static const struct metrics_sample *ring_at(const struct metrics *m, const struct ring *r,
					    size_t i)
{
	return &r->v[(r->head + i) % m->cap];
}

void metrics_add(struct metrics *m, const char *instance, const struct metrics_sample *s)
{
	struct ring *r;

	if (!instance || strlen(instance) >= sizeof(r->instance))
		return;
	pthread_mutex_lock(&m->lock);
	r = ring_find(m, instance);
	if (!r) {
		m->rings = realloc(m->rings, (m->nrings + 1) * sizeof(*m->rings));
		if (!m->rings)
			abort();
		r = &m->rings[m->nrings++];
		memset(r, 0, sizeof(*r));
		snprintf(r->instance, sizeof(r->instance), "%s", instance);
		r->v = calloc(m->cap, sizeof(*r->v));
		if (!r->v)
			abort();
	}
	if (r->n && s->mono < ring_at(m, r, r->n - 1)->mono) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	if (r->n == m->cap) {
		r->v[r->head] = *s;
		r->head = (r->head + 1) % m->cap;
	} else {
		r->v[(r->head + r->n) % m->cap] = *s;
		r->n++;
	}
	pthread_mutex_unlock(&m->lock);
}

void metrics_prune(struct metrics *m, double now_mono)
{
	double oldest = now_mono - METRICS_RETENTION;
	size_t i = 0;

	pthread_mutex_lock(&m->lock);
	while (i < m->nrings) {
		struct ring *r = &m->rings[i];

		while (r->n && ring_at(m, r, 0)->mono < oldest) {
			r->head = (r->head + 1) % m->cap;
			r->n--;
		}
		if (r->n == 0) {
			free(r->v);
			m->rings[i] = m->rings[--m->nrings];
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&m->lock);
}

size_t metrics_count(struct metrics *m, const char *instance)
{
	struct ring *r;
	size_t n;

	pthread_mutex_lock(&m->lock);
	r = instance ? ring_find(m, instance) : NULL;
	n = r ? r->n : 0;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* The value of metric between samples a and b, or false when they give none. */
static bool value_of(const struct metrics_sample *a, const struct metrics_sample *b,
		     enum metrics_metric metric, double *v)
{
	unsigned bit = 1u << metric;
	double dt = b->mono - a->mono;

	if (!(a->have & bit) || !(b->have & bit) || a->run != b->run || dt <= 0 ||
	    b->counter[metric] < a->counter[metric])
		return false;
	if (metric == METRICS_CPU) {
		if (!b->vcpus)
			return false;
		*v = (double)(b->counter[metric] - a->counter[metric]) / (dt * 1e9 * b->vcpus) * 100;
		if (*v > 100) /* the sampler's timing jitter, not the guest's use */
			*v = 100;
	} else {
		*v = (double)(b->counter[metric] - a->counter[metric]);
	}
	return true;
}

size_t metrics_values(struct metrics *m, const char *instance, enum metrics_metric metric,
		      double start, double end, struct metrics_point **out)
{
	struct metrics_point *p = NULL;
	struct ring *r;
	size_t i, n = 0;
	double v;

	*out = NULL;
	pthread_mutex_lock(&m->lock);
	r = instance ? ring_find(m, instance) : NULL;
	for (i = 1; r && i < r->n; i++) {
		const struct metrics_sample *b = ring_at(m, r, i);

		if (b->wall < start || b->wall >= end ||
		    !value_of(ring_at(m, r, i - 1), b, metric, &v))
			continue;
		if (!p) {
			p = calloc(r->n, sizeof(*p));
			if (!p)
				abort();
		}
		p[n].t = b->wall;
		p[n].v = v;
		n++;
	}
	pthread_mutex_unlock(&m->lock);
	*out = p;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t metrics_instances(struct metrics *m, enum metrics_metric metric, char ***out)
{
	char **ids;
	size_t i, k, n = 0;
	double v;

	pthread_mutex_lock(&m->lock);
	ids = calloc(m->nrings + 1, sizeof(*ids));
	if (!ids)
		abort();
	for (i = 0; i < m->nrings; i++) {
		struct ring *r = &m->rings[i];

		for (k = 1; k < r->n; k++)
			if (value_of(ring_at(m, r, k - 1), ring_at(m, r, k), metric, &v)) {
				ids[n] = strdup(r->instance);
				if (!ids[n++])
					abort();
				break;
			}
	}
	pthread_mutex_unlock(&m->lock);
	qsort(ids, n, sizeof(*ids), cmp_str);
	*out = ids;
	return n;
}

/* ---------- statistics ---------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0 to 100) of the n sorted values v, by nearest rank. */
static double percentile(const double *v, size_t n, double p)
{
	double rank = ceil(p / 100 * (double)n);

	if (rank < 1)
		rank = 1;
	return v[(size_t)rank - 1];
}

size_t metrics_buckets(const struct metrics_point *p, size_t n, double start, double period,
		       const double *pcts, size_t npct, struct metrics_bucket **out)
{
	struct metrics_bucket *b = NULL;
	double *vals = n ? malloc(n * sizeof(*vals)) : NULL;
	size_t i = 0, j, k, nb = 0;

	*out = NULL;
	if (npct > METRICS_PERCENTILES_MAX)
		npct = METRICS_PERCENTILES_MAX;
	while (i < n && p[i].t < start)
		i++;
	while (i < n) {
		double k0 = floor((p[i].t - start) / period), t0 = start + k0 * period;
		size_t nv = 0;

		if (!b) {
			b = calloc(n, sizeof(*b)); /* at most one bucket per value */
			if (!b)
				abort();
		}
		b[nb].t = t0;
		b[nb].min = p[i].v;
		b[nb].max = p[i].v;
		for (j = i; j < n && (j == i || p[j].t < t0 + period); j++) {
			b[nb].count++;
			b[nb].sum += p[j].v;
			b[nb].min = fmin(b[nb].min, p[j].v);
			b[nb].max = fmax(b[nb].max, p[j].v);
			vals[nv++] = p[j].v;
		}
		if (npct) {
			qsort(vals, nv, sizeof(*vals), cmp_double);
			for (k = 0; k < npct; k++)
				b[nb].pct[k] = percentile(vals, nv, pcts[k]);
		}
		nb++;
		i = j;
	}
	free(vals);
	*out = b;
	return nb;
}

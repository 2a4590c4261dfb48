/* CloudWatch at the EC2 endpoint: GetMetricStatistics, GetMetricData and ListMetrics of the AWS/EC2
 * namespace in CloudWatch's Query protocol (Version 2010-08-01), answered from the instance metrics
 * (metrics.h) that the sampler here reads from libvirt every few seconds while `serve` runs. See
 * api.h and docs/API.md.
 *
 * The sampler and the samples of the API tests are in metrics-sampler.c.
 *
 * What is answered: CPUUtilization, NetworkIn, NetworkOut, DiskReadBytes and DiskWriteBytes of one
 * instance (the dimension InstanceId, alone, as EC2's basic monitoring publishes them). Any other
 * namespace, metric or set of dimensions has no data: an empty answer, as CloudWatch gives for a
 * metric nobody published. Periods are CloudWatch's (1, 5, 10, 30 or a multiple of 60 seconds);
 * StartTime is rounded down to the minute for periods of a minute or more, as CloudWatch does for
 * data younger than 15 days, and each datapoint is a period from there that has values (the
 * current, partial, period included). */
#include <ctype.h>
#include <errno.h>
#include <libxml/xmlwriter.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "ec2lite/metrics.h"
#include "ec2lite/util.h"

#define X(s) ((const xmlChar *)(s))
#define CW_NAMESPACE "AWS/EC2"
#define CW_MAX_DATAPOINTS 1440 /* GetMetricStatistics' limit */
#define CW_MAX_QUERIES 500     /* GetMetricData's MetricDataQueries */
#define CW_MAX_DIMENSIONS 30

static const char *const actions[] = { "GetMetricStatistics", "GetMetricData", "ListMetrics",
				       NULL };

bool api_cloudwatch_known(const char *name, const char *version, struct ec2_error *err)
{
	size_t i;

	if (!version) {
		ec2_error_set(err, "MissingParameter", "The request must contain the parameter Version");
		return false;
	}
	for (i = 0; actions[i] && strcmp(version, API_CW_VERSION) == 0; i++)
		if (strcmp(actions[i], name) == 0)
			return true;
	ec2_error_set(err, "InvalidAction", "Could not find operation %s for version %s", name,
		      version);
	return false;
}

int api_cloudwatch_status(const char *code)
{
	if (strcmp(code, "AccessDenied") == 0)
		return 403;
	if (strcmp(code, "InternalServiceError") == 0)
		return 500;
	return api_error_status(code);
}

/* ---------- the request ---------- */

/* The parameter named by fmt, or NULL. */
static const char *param(const struct api_params *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *param(const struct api_params *p, const char *fmt, ...)
{
	char key[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof(key) ? NULL : api_params_get(p, key);
}

/* A timestamp as botocore sends it (ISO 8601: 2026-12-04T22:00:00Z, with an optional fraction
 * and a zone Z or +HH:MM), or seconds since the epoch; false when it is neither. */
static bool parse_time(const char *s, double *t)
{
	struct tm tm;
	const char *e;
	char *end;
	double frac = 0;
	long off = 0;

	if (!s || !*s)
		return false;
	errno = 0;
	*t = strtod(s, &end);
	if (!*end && errno == 0 && isdigit((unsigned char)*s))
		return isfinite(*t);
	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!e)
		return false;
	if (*e == '.') {
		frac = strtod(e, &end);
		if (end == e + 1)
			return false;
		e = end;
	}
	if (*e == 'Z' || *e == 'z') {
		e++;
	} else if (*e == '+' || *e == '-') {
		int hh, mm;

		if (strlen(e) == 6 && sscanf(e + 1, "%2d:%2d", &hh, &mm) == 2 && e[3] == ':')
			;
		else if (strlen(e) == 5 && sscanf(e + 1, "%2d%2d", &hh, &mm) == 2)
			;
		else
			return false;
		if (hh > 23 || mm > 59)
			return false;
		off = (*e == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
		e += strlen(e);
	}
	if (*e)
		return false;
	*t = (double)timegm(&tm) + frac - (double)off;
	return true;
}

/* Period: 1, 5, 10, 30 or a multiple of 60 seconds. */
static bool period_valid(long period)
{
	return period == 1 || period == 5 || period == 10 || period == 30 ||
	       (period > 0 && period % 60 == 0);
}

static const char *const statistics[] = { "SampleCount", "Average", "Sum", "Minimum", "Maximum" };
#define NSTATS 5

static int statistic_find(const char *s)
{
	int i;

	for (i = 0; i < NSTATS; i++)
		if (strcmp(statistics[i], s) == 0)
			return i;
	return -1;
}

/* pNN or pNN.NN, 0 to 100: its percentile; false for anything else (tm99, IQR, ...). */
static bool percentile_parse(const char *s, double *pct)
{
	size_t i, dot = 0, digits = 0, decimals = 0;

	if (!s || s[0] != 'p' || !s[1])
		return false;
	for (i = 1; s[i]; i++) {
		if (s[i] == '.' && !dot) {
			dot = i;
		} else if (isdigit((unsigned char)s[i])) {
			if (dot)
				decimals++;
			else
				digits++;
		} else {
			return false;
		}
	}
	if (!digits || digits > 3 || decimals > 2 || (dot && !decimals))
		return false;
	*pct = strtod(s + 1, NULL);
	return *pct >= 0 && *pct <= 100;
}

/* One metric asked for, with its statistics. */
struct query {
	int metric;            /* metrics_find's, or -1: no data */
	char instance[32];     /* the dimension InstanceId, when it is the only one */
	bool one_instance;
	const char *unit;      /* NULL: any */
	double start, end;     /* [start, end), start rounded as CloudWatch does */
	long period;
	unsigned stats;        /* bit i: statistics[i] */
	double pcts[METRICS_PERCENTILES_MAX];
	const char *pct_names[METRICS_PERCENTILES_MAX];
	size_t npct;
};

/* The metric (Namespace, MetricName, Dimensions.member.N) under prefix into q. */
static void metric_parse(const struct api_params *p, const char *prefix, struct query *q)
{
	const char *ns = param(p, "%sNamespace", prefix), *name = param(p, "%sMetricName", prefix);
	const char *dn = param(p, "%sDimensions.member.1.Name", prefix);
	const char *dv = param(p, "%sDimensions.member.1.Value", prefix);

	q->metric = ns && strcmp(ns, CW_NAMESPACE) == 0 ? metrics_find(name) : -1;
	q->one_instance = dn && dv && strcmp(dn, "InstanceId") == 0 &&
			  !param(p, "%sDimensions.member.2.Name", prefix) &&
			  strlen(dv) < sizeof(q->instance);
	if (q->one_instance)
		snprintf(q->instance, sizeof(q->instance), "%s", dv);
}

/* StartTime and EndTime into q (start rounded for q->period); err as CloudWatch's. */
static int times_parse(const struct api_params *p, struct query *q, const char *code,
		       struct ec2_error *err)
{
	const char *names[] = { "StartTime", "EndTime" };
	double *t[] = { &q->start, &q->end };
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *v = api_params_get(p, names[i]);

		if (!v) {
			ec2_error_set(err, "MissingParameter", "The parameter %s is required.",
				      names[i]);
			return -1;
		}
		if (!parse_time(v, t[i])) {
			ec2_error_set(err, "InvalidParameterValue", "The parameter %s must be a "
				      "timestamp in ISO 8601 form, not '%s'.", names[i], v);
			return -1;
		}
	}
	if (q->start == q->end) {
		ec2_error_set(err, code, "The parameter StartTime must not equal parameter EndTime.");
		return -1;
	}
	if (q->start > q->end) {
		ec2_error_set(err, code, "The parameter StartTime must be less than the parameter "
			      "EndTime.");
		return -1;
	}
	return 0;
}

static void start_round(struct query *q)
{
	if (q->period >= 60)
		q->start = floor(q->start / 60) * 60;
	else
		q->start = floor(q->start);
}

/* The periods of q that have values, oldest first (new array in *out); their number. */
static size_t query_run(struct metrics *m, const struct query *q, struct metrics_bucket **out)
{
	struct metrics_point *pts;
	size_t n, nb;

	*out = NULL;
	if (q->metric < 0 || !q->one_instance ||
	    (q->unit && strcmp(q->unit, metrics_unit(q->metric)) != 0))
		return 0;
	n = metrics_values(m, q->instance, q->metric, q->start, q->end, &pts);
	nb = metrics_buckets(pts, n, q->start, (double)q->period, q->pcts, q->npct, out);
	free(pts);
	return nb;
}

/* A statistic's value of bucket b: statistics[stat], or, stat >= NSTATS, the percentile
 * stat - NSTATS. */
static double stat_value(const struct metrics_bucket *b, int stat)
{
	switch (stat) {
	case 0:
		return b->count;
	case 1:
		return b->sum / b->count;
	case 2:
		return b->sum;
	case 3:
		return b->min;
	case 4:
		return b->max;
	default:
		return b->pct[stat - NSTATS];
	}
}

/* ---------- the response ---------- */

static void write_double(xmlTextWriterPtr w, const char *el, double v)
{
	char num[64];

	/* The shortest form that reads back as the same double. */
	snprintf(num, sizeof(num), "%.15g", v);
	if (strtod(num, NULL) != v)
		snprintf(num, sizeof(num), "%.17g", v);
	xmlTextWriterWriteElement(w, X(el), X(num));
}

static void write_time(xmlTextWriterPtr w, const char *el, double t)
{
	char buf[32];
	time_t s = (time_t)floor(t);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	xmlTextWriterWriteElement(w, X(el), X(buf));
}

static xmlTextWriterPtr response_start(xmlBufferPtr buf, const char *action)
{
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
	char el[64];

	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	snprintf(el, sizeof(el), "%sResponse", action);
	xmlTextWriterStartElementNS(w, NULL, X(el), X(API_CW_XMLNS));
	snprintf(el, sizeof(el), "%sResult", action);
	xmlTextWriterStartElement(w, X(el));
	return w;
}

static char *response_end(xmlTextWriterPtr w, xmlBufferPtr buf, const char *rid, size_t *len)
{
	xmlTextWriterEndElement(w); /* the result */
	xmlTextWriterStartElement(w, X("ResponseMetadata"));
	xmlTextWriterWriteElement(w, X("RequestId"), X(rid));
	xmlTextWriterEndElement(w);
	xmlTextWriterEndElement(w);
	return api_xml_finish(w, buf, len);
}

/* ---------- GetMetricStatistics ---------- */

static char *get_metric_statistics(struct metrics *m, const struct api_params *p, const char *rid,
				   size_t *len, struct ec2_error *err)
{
	static const char *const required[] = { "Namespace", "MetricName", "StartTime", "EndTime",
						"Period" };
	struct query q = { 0 };
	struct metrics_bucket *b;
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	const char *v, *period;
	double wanted;
	size_t i, k, nb;
	char *end;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!api_params_get(p, required[i])) {
			ec2_error_set(err, "MissingParameter", "The parameter %s is required.",
				      required[i]);
			return NULL;
		}
	metric_parse(p, "", &q);
	period = api_params_get(p, "Period");
	errno = 0;
	q.period = strtol(period, &end, 10);
	if (*end || errno || !*period || q.period < 1) {
		ec2_error_set(err, "InvalidParameterValue", "The parameter Period must be a positive "
			      "integer, not '%s'.", period);
		return NULL;
	}
	if (!period_valid(q.period)) {
		ec2_error_set(err, "InvalidParameterValue", "The parameter Period must be 1, 5, 10, "
			      "30 or a multiple of 60.");
		return NULL;
	}
	for (i = 0; (v = param(p, "Statistics.member.%zu", i + 1)); i++) {
		int s = statistic_find(v);

		if (s < 0 || i >= NSTATS) {
			ec2_error_set(err, "InvalidParameterValue", s < 0 ? "The parameter "
				      "Statistics.member.%zu must be a value in the set [ SampleCount, "
				      "Average, Sum, Minimum, Maximum ]." : "The collection Statistics "
				      "must not have more than 5 members.", i + 1);
			return NULL;
		}
		q.stats |= 1u << s;
	}
	for (k = 0; (v = param(p, "ExtendedStatistics.member.%zu", k + 1)); k++) {
		if (k >= METRICS_PERCENTILES_MAX) {
			ec2_error_set(err, "InvalidParameterValue", "The collection ExtendedStatistics "
				      "must not have more than %d members.", METRICS_PERCENTILES_MAX);
			return NULL;
		}
		if (!percentile_parse(v, &q.pcts[k])) {
			ec2_error_set(err, "InvalidParameterValue", "The value %s for parameter "
				      "ExtendedStatistics.member.%zu is not supported: ec2-lite computes "
				      "percentiles, pNN or pNN.NN from p0 to p100.", v, k + 1);
			return NULL;
		}
		q.pct_names[k] = v;
	}
	q.npct = k;
	if (i && k) {
		ec2_error_set(err, "InvalidParameterCombination", "The parameters Statistics and "
			      "ExtendedStatistics are mutually exclusive and you have specified both.");
		return NULL;
	}
	if (!i && !k) {
		ec2_error_set(err, "InvalidParameterCombination", "Must specify either Statistics or "
			      "ExtendedStatistics.");
		return NULL;
	}
	if (times_parse(p, &q, "InvalidParameterValue", err) < 0)
		return NULL;
	start_round(&q);
	wanted = ceil((q.end - q.start) / (double)q.period);
	if (wanted > CW_MAX_DATAPOINTS) {
		ec2_error_set(err, "InvalidParameterCombination", "You have requested up to %.0f "
			      "datapoints, which exceeds the limit of %d. You may reduce the datapoints "
			      "requested by increasing Period, or decreasing the time range.", wanted,
			      CW_MAX_DATAPOINTS);
		return NULL;
	}
	q.unit = api_params_get(p, "Unit");
	nb = query_run(m, &q, &b);
	buf = xmlBufferCreate();
	w = response_start(buf, "GetMetricStatistics");
	xmlTextWriterWriteElement(w, X("Label"), X(api_params_get(p, "MetricName")));
	xmlTextWriterStartElement(w, X("Datapoints"));
	for (i = 0; i < nb; i++) {
		int s;

		xmlTextWriterStartElement(w, X("member"));
		write_time(w, "Timestamp", b[i].t);
		for (s = 0; s < NSTATS; s++)
			if (q.stats & (1u << s))
				write_double(w, statistics[s], stat_value(&b[i], s));
		xmlTextWriterWriteElement(w, X("Unit"), X(metrics_unit(q.metric)));
		if (q.npct) {
			xmlTextWriterStartElement(w, X("ExtendedStatistics"));
			for (k = 0; k < q.npct; k++) {
				xmlTextWriterStartElement(w, X("entry"));
				xmlTextWriterWriteElement(w, X("key"), X(q.pct_names[k]));
				write_double(w, "value", b[i].pct[k]);
				xmlTextWriterEndElement(w);
			}
			xmlTextWriterEndElement(w);
		}
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndElement(w);
	free(b);
	return response_end(w, buf, rid, len);
}

/* ---------- GetMetricData ---------- */

/* Whether id is a query's Id: a lower-case letter, then letters, digits and underscores. */
static bool id_valid(const char *id)
{
	size_t i;

	if (!id || !islower((unsigned char)id[0]) || strlen(id) > 255)
		return false;
	for (i = 1; id[i]; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '_')
			return false;
	return true;
}

struct data_query {
	const char *id, *label, *stat_name;
	bool returned;
	int stat; /* statistic_find's, or NSTATS + 0: the percentile in q.pcts[0] */
	struct query q;
};

static int data_query_parse(const struct api_params *p, size_t n, struct data_query *d,
			    struct ec2_error *err)
{
	const char *ret, *period;
	char prefix[64], *end;

	snprintf(prefix, sizeof(prefix), "MetricDataQueries.member.%zu.", n);
	d->id = param(p, "%sId", prefix);
	d->label = param(p, "%sLabel", prefix);
	ret = param(p, "%sReturnData", prefix);
	d->returned = !ret || strcmp(ret, "false") != 0;
	if (!d->id) {
		ec2_error_set(err, "MissingParameter", "The parameter %sId is required.", prefix);
		return -1;
	}
	if (!id_valid(d->id)) {
		ec2_error_set(err, "ValidationError", "The value %s for parameter %sId is not valid: "
			      "it must start with a lowercase letter and hold only letters, numbers "
			      "and underscores.", d->id, prefix);
		return -1;
	}
	if (param(p, "%sExpression", prefix)) {
		ec2_error_set(err, "ValidationError", "The parameter %sExpression is not supported "
			      "by ec2-lite: ask for a MetricStat.", prefix);
		return -1;
	}
	if (!param(p, "%sMetricStat.Metric.MetricName", prefix) &&
	    !param(p, "%sMetricStat.Metric.Namespace", prefix)) {
		ec2_error_set(err, "ValidationError", "The parameter %sMetricStat is required.",
			      prefix);
		return -1;
	}
	d->stat_name = param(p, "%sMetricStat.Stat", prefix);
	period = param(p, "%sMetricStat.Period", prefix);
	if (!d->stat_name || !period) {
		ec2_error_set(err, "MissingParameter", "The parameter %sMetricStat.%s is required.",
			      prefix, d->stat_name ? "Period" : "Stat");
		return -1;
	}
	d->stat = statistic_find(d->stat_name);
	if (d->stat < 0) {
		if (!percentile_parse(d->stat_name, &d->q.pcts[0])) {
			ec2_error_set(err, "ValidationError", "The value %s for parameter "
				      "%sMetricStat.Stat is not a valid statistic.", d->stat_name,
				      prefix);
			return -1;
		}
		d->stat = NSTATS;
		d->q.npct = 1;
	}
	errno = 0;
	d->q.period = strtol(period, &end, 10);
	if (*end || errno || !*period || !period_valid(d->q.period)) {
		ec2_error_set(err, "ValidationError", "The value %s for parameter "
			      "%sMetricStat.Period is not 1, 5, 10, 30 or a multiple of 60.", period,
			      prefix);
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "MetricDataQueries.member.%zu.MetricStat.Metric.", n);
	metric_parse(p, prefix, &d->q);
	d->q.unit = param(p, "MetricDataQueries.member.%zu.MetricStat.Unit", n);
	return 0;
}

static char *get_metric_data(struct metrics *m, const struct api_params *p, const char *rid,
			     size_t *len, struct ec2_error *err)
{
	struct data_query *d = NULL;
	struct query times = { 0 };
	const char *scan = api_params_get(p, "ScanBy"), *max = api_params_get(p, "MaxDatapoints");
	bool ascending = false;
	long long left = 100800;
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	size_t i, j, n = 0;
	char *out = NULL, *end;

	if (scan && strcmp(scan, "TimestampAscending") != 0 &&
	    strcmp(scan, "TimestampDescending") != 0) {
		ec2_error_set(err, "ValidationError", "The value %s for parameter ScanBy is not one of "
			      "TimestampDescending, TimestampAscending.", scan);
		return NULL;
	}
	ascending = scan && strcmp(scan, "TimestampAscending") == 0;
	if (max) {
		errno = 0;
		left = strtoll(max, &end, 10);
		if (*end || errno || !*max || left < 1) {
			ec2_error_set(err, "ValidationError", "The value %s for parameter MaxDatapoints "
				      "is not a positive integer.", max);
			return NULL;
		}
	}
	if (times_parse(p, &times, "ValidationError", err) < 0)
		return NULL;
	while (param(p, "MetricDataQueries.member.%zu.Id", n + 1) ||
	       param(p, "MetricDataQueries.member.%zu.MetricStat.Stat", n + 1))
		n++;
	if (n == 0) {
		ec2_error_set(err, "MissingParameter", "The parameter MetricDataQueries is required.");
		return NULL;
	}
	if (n > CW_MAX_QUERIES) {
		ec2_error_set(err, "ValidationError", "The collection MetricDataQueries must not have "
			      "more than %d members.", CW_MAX_QUERIES);
		return NULL;
	}
	d = calloc(n, sizeof(*d));
	if (!d)
		abort();
	for (i = 0; i < n; i++) {
		if (data_query_parse(p, i + 1, &d[i], err) < 0)
			goto out;
		for (j = 0; j < i; j++)
			if (strcmp(d[j].id, d[i].id) == 0) {
				ec2_error_set(err, "ValidationError", "The value %s for parameter "
					      "MetricDataQueries.member.%zu.Id is not unique.", d[i].id,
					      i + 1);
				goto out;
			}
		d[i].q.start = times.start;
		d[i].q.end = times.end;
		start_round(&d[i].q);
	}
	buf = xmlBufferCreate();
	w = response_start(buf, "GetMetricData");
	xmlTextWriterStartElement(w, X("MetricDataResults"));
	for (i = 0; i < n; i++) {
		struct metrics_bucket *b;
		size_t nb, k, shown;
		const char *status = "Complete", *label;

		if (!d[i].returned)
			continue;
		nb = query_run(m, &d[i].q, &b);
		shown = (long long)nb > left ? (size_t)left : nb;
		if (shown < nb)
			status = "PartialData";
		left -= (long long)shown;
		xmlTextWriterStartElement(w, X("member"));
		xmlTextWriterWriteElement(w, X("Id"), X(d[i].id));
		/* CloudWatch's default label is the metric's name. */
		label = d[i].label ? d[i].label :
			param(p, "MetricDataQueries.member.%zu.MetricStat.Metric.MetricName", i + 1);
		xmlTextWriterWriteElement(w, X("Label"), X(label ? label : d[i].id));
		/* Newest first unless asked otherwise; the newest kept when cut. */
		xmlTextWriterStartElement(w, X("Timestamps"));
		for (k = 0; k < shown; k++)
			write_time(w, "member", b[ascending ? nb - shown + k : nb - 1 - k].t);
		xmlTextWriterEndElement(w);
		xmlTextWriterStartElement(w, X("Values"));
		for (k = 0; k < shown; k++)
			write_double(w, "member",
				     stat_value(&b[ascending ? nb - shown + k : nb - 1 - k], d[i].stat));
		xmlTextWriterEndElement(w);
		xmlTextWriterWriteElement(w, X("StatusCode"), X(status));
		xmlTextWriterEndElement(w);
		free(b);
	}
	xmlTextWriterEndElement(w);
	xmlTextWriterStartElement(w, X("Messages"));
	xmlTextWriterEndElement(w);
	out = response_end(w, buf, rid, len);
out:
	free(d);
	return out;
}

/* ---------- ListMetrics ---------- */

static char *list_metrics(struct metrics *m, const struct api_params *p, const char *rid,
			  size_t *len, struct ec2_error *err)
{
	const char *ns = api_params_get(p, "Namespace"), *name = api_params_get(p, "MetricName");
	const char *recent = api_params_get(p, "RecentlyActive");
	const char *fname[CW_MAX_DIMENSIONS], *fvalue[CW_MAX_DIMENSIONS];
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	size_t nf, i, f;
	int metric;
	bool match;

	if (recent && strcmp(recent, "PT3H") != 0) {
		ec2_error_set(err, "InvalidParameterValue", "The parameter RecentlyActive must be a "
			      "value in the set [ PT3H ].");
		return NULL;
	}
	for (nf = 0; (fname[nf] = param(p, "Dimensions.member.%zu.Name", nf + 1)); nf++) {
		if (nf == 10) {
			ec2_error_set(err, "InvalidParameterValue", "The collection Dimensions must not "
				      "have more than 10 members.");
			return NULL;
		}
		fvalue[nf] = param(p, "Dimensions.member.%zu.Value", nf + 1);
	}
	buf = xmlBufferCreate();
	w = response_start(buf, "ListMetrics");
	xmlTextWriterStartElement(w, X("Metrics"));
	for (metric = 0; metric < METRICS_COUNT; metric++) {
		char **ids;
		size_t n;

		if ((ns && strcmp(ns, CW_NAMESPACE) != 0) ||
		    (name && strcmp(name, metrics_name(metric)) != 0))
			continue;
		n = metrics_instances(m, metric, &ids);
		for (i = 0; i < n; i++) {
			/* Each filter names a dimension the metric has (InstanceId), with its value
			 * when one is given. */
			for (f = 0, match = true; f < nf && match; f++)
				match = strcmp(fname[f], "InstanceId") == 0 &&
					(!fvalue[f] || strcmp(fvalue[f], ids[i]) == 0);
			if (match) {
				xmlTextWriterStartElement(w, X("member"));
				xmlTextWriterWriteElement(w, X("Namespace"), X(CW_NAMESPACE));
				xmlTextWriterWriteElement(w, X("MetricName"), X(metrics_name(metric)));
				xmlTextWriterStartElement(w, X("Dimensions"));
				xmlTextWriterStartElement(w, X("member"));
				xmlTextWriterWriteElement(w, X("Name"), X("InstanceId"));
				xmlTextWriterWriteElement(w, X("Value"), X(ids[i]));
				xmlTextWriterEndElement(w);
				xmlTextWriterEndElement(w);
				xmlTextWriterEndElement(w);
			}
			free(ids[i]);
		}
		free(ids);
	}
	xmlTextWriterEndElement(w);
	return response_end(w, buf, rid, len);
}

char *api_cloudwatch_answer(struct metrics *m, const char *name, const struct api_params *p,
			    const char *rid, size_t *len, struct ec2_error *err)
{
	if (strcmp(name, "GetMetricStatistics") == 0)
		return get_metric_statistics(m, p, rid, len, err);
	if (strcmp(name, "GetMetricData") == 0)
		return get_metric_data(m, p, rid, len, err);
	if (strcmp(name, "ListMetrics") == 0)
		return list_metrics(m, p, rid, len, err);
	ec2_error_set(err, "InvalidAction", "Could not find operation %s for version %s", name,
		      API_CW_VERSION);
	return NULL;
}

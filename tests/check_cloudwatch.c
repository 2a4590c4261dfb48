/* CloudWatch at the API endpoint (cloudwatch.c) and the sampler (metrics-sampler.c): the sampler
 * on libvirt's test driver, the actions served, CloudWatch's XML and timestamps. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ec2lite/config.h"
#include "ec2lite/ec2.h"
#include "ec2lite/metrics.h"
#include "testutil.h"

#define RID "12345678-90ab-4cde-8f01-23456789abcd"
#define IID "i-0123456789abcdef0"

/* A store with values of IID at 1800000000 + 300, 600 (CPU 50 %, 25 % on 2 vCPUs): the
 * minutes 2027-01-15T08:05:00Z and 08:10:00Z. */
static struct metrics *store(void)
{
	struct metrics *m = metrics_new(16);
	double cpu[] = { 0, 300e9, 450e9 };
	int i;

	for (i = 0; i < 3; i++) {
		struct metrics_sample s = { .wall = 1800000000.0 + 300 * i, .mono = 300.0 * i,
					    .run = 1, .vcpus = 2 };

		s.counter[METRICS_CPU] = (unsigned long long)cpu[i];
		s.have = 1u << METRICS_CPU;
		metrics_add(m, IID, &s);
	}
	return m;
}

/* The answer to the form text (action name) from m, or the error "CODE: message". */
static char *ask(struct metrics *m, const char *name, const char *form)
{
	struct api_params p = { 0 };
	struct ec2_error err = { 0 };
	size_t len = 0;
	char *xml;

	ck_assert_int_eq(api_params_parse(&p, form, strlen(form), &err), 0);
	xml = api_cloudwatch_answer(m, name, &p, RID, &len, &err);
	api_params_free(&p);
	if (!xml)
		return util_strdupf("%s: %s", err.code, err.message);
	ck_assert_uint_eq(len, strlen(xml));
	return xml;
}

#define GMS "Namespace=AWS/EC2&MetricName=CPUUtilization&Dimensions.member.1.Name=InstanceId&" \
	    "Dimensions.member.1.Value=" IID "&Period=300&Statistics.member.1=Average&" \
	    "Statistics.member.2=SampleCount&EndTime=2027-01-15T09:00:00Z&StartTime="

START_TEST(statistics_xml)
{
	struct metrics *m = store();
	char *x = ask(m, "GetMetricStatistics", GMS "2027-01-15T08:00:00Z");

	ck_assert_str_eq(x,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
		"<GetMetricStatisticsResult><Label>CPUUtilization</Label><Datapoints>"
		"<member><Timestamp>2027-01-15T08:05:00Z</Timestamp><SampleCount>1</SampleCount>"
		"<Average>50</Average><Unit>Percent</Unit></member>"
		"<member><Timestamp>2027-01-15T08:10:00Z</Timestamp><SampleCount>1</SampleCount>"
		"<Average>25</Average><Unit>Percent</Unit></member>"
		"</Datapoints></GetMetricStatisticsResult>"
		"<ResponseMetadata><RequestId>" RID "</RequestId></ResponseMetadata>"
		"</GetMetricStatisticsResponse>\n");
	free(x);
	metrics_free(m);
}
END_TEST

/* StartTime in each form botocore or a person may send: the same answer. A time in a minute is
 * rounded down to it (periods of a minute or more). */
START_TEST(timestamps)
{
	static const char *const same[] = { "2027-01-15T08:00:00.000Z", "2027-01-15T09:00:00%2B01:00",
					    "2027-01-15T07:00:00-0100", "1800000000",
					    "2027-01-15T08:00:59Z", "1800000000.5" };
	static const char *const bad[] = { "2027-01-15", "yesterday", "2027-01-15T08:00:00%2B25:00",
					   "2027-01-15T08:00:00Zjunk", "-5", "" };
	struct metrics *m = store();
	char *want = ask(m, "GetMetricStatistics", GMS "2027-01-15T08:00:00Z"), *got, *form;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		form = util_strdupf(GMS "%s", same[i]);
		got = ask(m, "GetMetricStatistics", form);
		ck_assert_msg(strcmp(got, want) == 0, "%s: %s", same[i], got);
		free(got);
		free(form);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		form = util_strdupf(GMS "%s", bad[i]);
		got = ask(m, "GetMetricStatistics", form);
		ck_assert_msg(strncmp(got, "InvalidParameterValue: The parameter StartTime", 46) == 0,
			      "'%s': %s", bad[i], got);
		free(got);
		free(form);
	}
	free(want);
	metrics_free(m);
}
END_TEST

START_TEST(actions)
{
	struct ec2_error err = { 0 };

	ck_assert(api_cloudwatch_known("GetMetricStatistics", API_CW_VERSION, &err));
	ck_assert(api_cloudwatch_known("GetMetricData", API_CW_VERSION, &err));
	ck_assert(api_cloudwatch_known("ListMetrics", API_CW_VERSION, &err));
	ck_assert(!api_cloudwatch_known("PutMetricData", API_CW_VERSION, &err));
	ck_assert_str_eq(err.code, "InvalidAction");
	ck_assert_str_eq(err.message, "Could not find operation PutMetricData for version "
			 "2010-08-01");
	ck_assert(!api_cloudwatch_known("ListMetrics", "2016-11-15", &err));
	ck_assert_str_eq(err.code, "InvalidAction");
	ck_assert(!api_cloudwatch_known("ListMetrics", NULL, &err));
	ck_assert_str_eq(err.code, "MissingParameter");
	ck_assert_int_eq(api_cloudwatch_status("AccessDenied"), 403);
	ck_assert_int_eq(api_cloudwatch_status("InvalidParameterValue"), 400);
}
END_TEST

START_TEST(missing_parameters)
{
	struct metrics *m = store();
	char *got = ask(m, "GetMetricStatistics", "Namespace=AWS/EC2");

	ck_assert_str_eq(got, "MissingParameter: The parameter MetricName is required.");
	free(got);
	got = ask(m, "GetMetricData", "StartTime=1800000000&EndTime=1800000060");
	ck_assert_str_eq(got, "MissingParameter: The parameter MetricDataQueries is required.");
	free(got);
	got = ask(m, "GetMetricData", "StartTime=1800000000&EndTime=1800000060&"
		  "MetricDataQueries.member.1.Id=a&MetricDataQueries.member.1.MetricStat.Metric."
		  "MetricName=CPUUtilization&MetricDataQueries.member.1.MetricStat.Stat=Sum");
	ck_assert_str_eq(got, "MissingParameter: The parameter MetricDataQueries.member.1."
			 "MetricStat.Period is required.");
	free(got);
	metrics_free(m);
}
END_TEST

/* The sampler on libvirt's test driver: ec2-lite's running instances only, keyed by their ids;
 * the test driver gives no counters, so no values. It has no guest agent either: asking one for
 * the network fails at once, and the sampler goes on (the samples are kept, without network). */
START_TEST(sampler_on_test_driver)
{
	struct ec2_config cfg;
	struct ec2_ctx ctx;
	struct ec2_error err = { 0 };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct metrics *m = metrics_new(16);
	char ami[32], iid[32], **ids;
	char *dir = test_driver_open(&cfg, &ctx, 0, "cw-ami", ami);
	json_object *r = test_ok(&ctx, ec2_run_instances,
				 J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1}", ami));

	snprintf(iid, sizeof(iid), "%s", json_object_get_string(json_object_object_get(
		json_object_array_get_idx(json_object_object_get(r, "Instances"), 0),
		"InstanceId")));
	json_object_put(r);
	ck_assert_int_eq(api_metrics_sample(&ctx, &lock, m, &err), 0);
	ck_assert_int_eq(api_metrics_sample(&ctx, &lock, m, &err), 0);
	ck_assert_uint_eq(metrics_count(m, iid), 2);
	ck_assert_uint_eq(metrics_count(m, "test"), 0); /* the driver's own domain */
	ck_assert_uint_eq(metrics_instances(m, METRICS_CPU, &ids), 0);
	free(ids);
	ck_assert_uint_eq(metrics_instances(m, METRICS_NET_IN, &ids), 0);
	free(ids);
	metrics_free(m);
	test_driver_close(&cfg, &ctx, &dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cloudwatch");
	TCase *tc = tcase_create("cloudwatch");

	tcase_add_test(tc, statistics_xml);
	tcase_add_test(tc, timestamps);
	tcase_add_test(tc, actions);
	tcase_add_test(tc, missing_parameters);
	tcase_add_test(tc, sampler_on_test_driver);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}

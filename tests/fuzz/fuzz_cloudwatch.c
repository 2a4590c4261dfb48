/* libFuzzer target: CloudWatch's Query requests (cloudwatch.c). The first byte picks the action,
 * the rest is a form body; the metrics hold a few samples of one instance so that the answers
 * are computed, not only refused. Whatever the request holds, answering must not crash, leak or
 * read out of bounds (ASan, UBSan), and the answer must be an XML document or an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ec2lite/metrics.h"

static struct metrics *metrics_of_one_instance(void)
{
	struct metrics *m = metrics_new(16);
	int i;

	for (i = 0; i < 6; i++) {
		struct metrics_sample s = { .wall = 1800000000.0 + 300 * i, .mono = 300.0 * i,
					    .run = i < 3 ? 1 : 2, .vcpus = 2 };

		s.counter[METRICS_CPU] = 100000000000ULL * (unsigned)i;
		s.counter[METRICS_DISK_READ] = 4096ULL * (unsigned)(i % 4);
		s.have = 1u << METRICS_CPU | 1u << METRICS_DISK_READ;
		metrics_add(m, "i-0123456789abcdef0", &s);
	}
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const actions[] = { "GetMetricStatistics", "GetMetricData",
					       "ListMetrics" };
	static struct metrics *m;
	struct api_params p = { 0 };
	struct ec2_error err = { 0 };
	size_t len;
	char *xml;

	if (size < 1)
		return 0;
	if (!m)
		m = metrics_of_one_instance();
	if (api_params_parse(&p, (const char *)data + 1, size - 1, &err) == 0) {
		xml = api_cloudwatch_answer(m, actions[data[0] % 3], &p, "rid", &len, &err);
		if (xml && (len != strlen(xml) || strncmp(xml, "<?xml", 5) != 0))
			abort();
		if (!xml && !err.code[0])
			abort();
		free(xml);
	}
	api_params_free(&p);
	return 0;
}

/* metrics: counter samples into CloudWatch's values and statistics, with hand-made samples. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/metrics.h"
#include "testutil.h"

#define WALL0 1800000000.0 /* a wall time, on a whole hour */

/* A sample at t seconds after WALL0 (and monotonic t) with CPU nanoseconds cpu on vcpus, and
 * disk bytes read rd. */
static struct metrics_sample sample(double t, long long run, unsigned vcpus,
				    unsigned long long cpu, unsigned long long rd)
{
	struct metrics_sample s = { .wall = WALL0 + t, .mono = 1000 + t, .run = run, .vcpus = vcpus };

	s.counter[METRICS_CPU] = cpu;
	s.counter[METRICS_DISK_READ] = rd;
	s.have = 1u << METRICS_CPU | 1u << METRICS_DISK_READ;
	return s;
}

static size_t values(struct metrics *m, const char *id, enum metrics_metric metric,
		     struct metrics_point **p)
{
	return metrics_values(m, id, metric, 0, 1e12, p);
}

START_TEST(cpu_percent)
{
	struct metrics *m = metrics_new(16);
	struct metrics_sample s;
	struct metrics_point *p;
	size_t n;

	/* 2 vCPUs for 5 s: 10 s of CPU time at most; 5 s used is 50 %, then 1 s used is 10 %. */
	s = sample(0, 1, 2, 1000000000ULL, 0);
	metrics_add(m, "i-1", &s);
	s = sample(5, 1, 2, 6000000000ULL, 0);
	metrics_add(m, "i-1", &s);
	s = sample(10, 1, 2, 7000000000ULL, 0);
	metrics_add(m, "i-1", &s);
	n = values(m, "i-1", METRICS_CPU, &p);
	ck_assert_uint_eq(n, 2);
	ck_assert_double_eq_tol(p[0].v, 50, 1e-9);
	ck_assert_double_eq_tol(p[0].t, WALL0 + 5, 1e-9);
	ck_assert_double_eq_tol(p[1].v, 10, 1e-9);
	free(p);
	/* A little more CPU time than the wall time allows (the sampler's own timing): 100 %. */
	s = sample(15, 1, 2, 17500000000ULL, 0);
	metrics_add(m, "i-1", &s);
	ck_assert_uint_eq(values(m, "i-1", METRICS_CPU, &p), 3);
	ck_assert_double_eq(p[2].v, 100);
	free(p);
	ck_assert_uint_eq(values(m, "i-2", METRICS_CPU, &p), 0);
	ck_assert_ptr_null(p);
	metrics_free(m);
}
END_TEST

START_TEST(bytes_delta)
{
	struct metrics *m = metrics_new(16);
	struct metrics_sample s;
	struct metrics_point *p;

	s = sample(0, 1, 1, 0, 4096);
	metrics_add(m, "i-1", &s);
	s = sample(5, 1, 1, 0, 4096 + 512);
	metrics_add(m, "i-1", &s);
	ck_assert_uint_eq(values(m, "i-1", METRICS_DISK_READ, &p), 1);
	ck_assert_double_eq(p[0].v, 512);
	free(p);
	/* Counters not read give nothing. */
	ck_assert_uint_eq(values(m, "i-1", METRICS_NET_IN, &p), 0);
	ck_assert_uint_eq(values(m, "i-1", METRICS_DISK_WRITE, &p), 0);
	metrics_free(m);
}
END_TEST

START_TEST(restart_starts_over)
{
	struct metrics *m = metrics_new(16);
	struct metrics_sample s;
	struct metrics_point *p;

	s = sample(0, 1, 1, 9000000000ULL, 100000);
	metrics_add(m, "i-1", &s);
	/* The guest was started again (another run): its counters start from zero. */
	s = sample(5, 2, 1, 100000000ULL, 1000);
	metrics_add(m, "i-1", &s);
	s = sample(10, 2, 1, 600000000ULL, 3000);
	metrics_add(m, "i-1", &s);
	/* Same run, but the counter went back (a reset libvirt did not tell). */
	s = sample(15, 2, 1, 100000000ULL, 500);
	metrics_add(m, "i-1", &s);
	/* A new run whose counter is already past the old one: still no value across runs. */
	s = sample(20, 3, 1, 5000000000ULL, 900000);
	metrics_add(m, "i-1", &s);
	ck_assert_uint_eq(values(m, "i-1", METRICS_CPU, &p), 1);
	ck_assert_double_eq_tol(p[0].v, 10, 1e-9);
	ck_assert_double_eq_tol(p[0].t, WALL0 + 10, 1e-9);
	free(p);
	ck_assert_uint_eq(values(m, "i-1", METRICS_DISK_READ, &p), 1);
	ck_assert_double_eq(p[0].v, 2000);
	free(p);
	metrics_free(m);
}
END_TEST

START_TEST(no_vcpus_no_cpu)
{
	struct metrics *m = metrics_new(16);
	struct metrics_sample s;
	struct metrics_point *p;

	s = sample(0, 1, 0, 0, 0);
	metrics_add(m, "i-1", &s);
	s = sample(5, 1, 0, 5000000000ULL, 0);
	metrics_add(m, "i-1", &s);
	ck_assert_uint_eq(values(m, "i-1", METRICS_CPU, &p), 0);
	metrics_free(m);
}
END_TEST

START_TEST(ring_bounded)
{
	struct metrics *m = metrics_new(4);
	struct metrics_sample s;
	struct metrics_point *p;
	int i;

	for (i = 0; i < 10; i++) {
		s = sample(i * 5, 1, 1, 0, (unsigned long long)i * 100);
		metrics_add(m, "i-1", &s);
	}
	/* Four samples kept: three values, the newest. */
	ck_assert_uint_eq(values(m, "i-1", METRICS_DISK_READ, &p), 3);
	ck_assert_double_eq_tol(p[0].t, WALL0 + 35, 1e-9);
	ck_assert_double_eq_tol(p[2].t, WALL0 + 45, 1e-9);
	free(p);
	/* A sample older than the newest is ignored. */
	s = sample(1, 1, 1, 0, 0);
	metrics_add(m, "i-1", &s);
	ck_assert_uint_eq(values(m, "i-1", METRICS_DISK_READ, &p), 3);
	free(p);
	metrics_free(m);
}
END_TEST

START_TEST(window_and_prune)
{
	struct metrics *m = metrics_new(64);
	struct metrics_sample s;
	struct metrics_point *p;
	char **ids;
	int i;

	for (i = 0; i < 5; i++) {
		s = sample(i * 10, 1, 1, 0, (unsigned long long)i * 10);
		metrics_add(m, "i-b", &s);
		metrics_add(m, "i-a", &s);
	}
	/* Values at 10, 20, 30, 40: [20, 40) holds two. */
	ck_assert_uint_eq(metrics_values(m, "i-a", METRICS_DISK_READ, WALL0 + 20, WALL0 + 40, &p),
			  2);
	ck_assert_double_eq_tol(p[0].t, WALL0 + 20, 1e-9);
	free(p);
	ck_assert_uint_eq(metrics_instances(m, METRICS_DISK_READ, &ids), 2);
	ck_assert_str_eq(ids[0], "i-a");
	ck_assert_str_eq(ids[1], "i-b");
	free(ids[0]);
	free(ids[1]);
	free(ids);
	ck_assert_uint_eq(metrics_instances(m, METRICS_NET_OUT, &ids), 0);
	free(ids);
	/* i-a goes on; i-b's samples are all older than the retention by then. */
	s = sample(50, 1, 1, 0, 50);
	metrics_add(m, "i-a", &s);
	s = sample(60, 1, 1, 0, 60);
	metrics_add(m, "i-a", &s);
	s = sample(METRICS_RETENTION + 45, 1, 1, 0, 1000);
	metrics_add(m, "i-a", &s);
	metrics_prune(m, 1000 + METRICS_RETENTION + 45);
	ck_assert_uint_eq(metrics_instances(m, METRICS_DISK_READ, &ids), 1);
	ck_assert_str_eq(ids[0], "i-a");
	free(ids[0]);
	free(ids);
	ck_assert_uint_eq(values(m, "i-b", METRICS_DISK_READ, &p), 0);
	/* i-a keeps the samples of the last METRICS_RETENTION seconds: 50, 60 and the new one. */
	ck_assert_uint_eq(values(m, "i-a", METRICS_DISK_READ, &p), 2);
	free(p);
	metrics_free(m);
}
END_TEST

START_TEST(buckets)
{
	/* Values at 0, 10, ..., 170 s: 1, 2, ..., 18; periods of 60 s from 0. */
	struct metrics_point p[18];
	struct metrics_bucket *b;
	double pcts[] = { 50, 100, 0, 90 };
	size_t i, n;

	for (i = 0; i < 18; i++) {
		p[i].t = WALL0 + 10.0 * (double)i;
		p[i].v = (double)i + 1;
	}
	n = metrics_buckets(p, 18, WALL0, 60, pcts, 4, &b);
	ck_assert_uint_eq(n, 3);
	ck_assert_double_eq(b[0].t, WALL0);
	ck_assert_double_eq(b[0].count, 6);
	ck_assert_double_eq(b[0].sum, 21);
	ck_assert_double_eq(b[0].min, 1);
	ck_assert_double_eq(b[0].max, 6);
	ck_assert_double_eq(b[0].pct[0], 3);
	ck_assert_double_eq(b[0].pct[1], 6);
	ck_assert_double_eq(b[0].pct[2], 1);
	ck_assert_double_eq(b[0].pct[3], 6); /* rank 5.4, the 6th */
	ck_assert_double_eq(b[2].t, WALL0 + 120);
	ck_assert_double_eq(b[2].sum, 13 + 14 + 15 + 16 + 17 + 18);
	free(b);
	/* From 30 s, periods of 300 s: the values before 30 s are not counted, one bucket. */
	n = metrics_buckets(p, 18, WALL0 + 30, 300, NULL, 0, &b);
	ck_assert_uint_eq(n, 1);
	ck_assert_double_eq(b[0].t, WALL0 + 30);
	ck_assert_double_eq(b[0].count, 15);
	ck_assert_double_eq(b[0].min, 4);
	free(b);
	/* Empty periods give no bucket: values at 0 s and 170 s, periods of 60. */
	p[1] = p[17];
	n = metrics_buckets(p, 2, WALL0, 60, NULL, 0, &b);
	ck_assert_uint_eq(n, 2);
	ck_assert_double_eq(b[1].t, WALL0 + 120);
	free(b);
	ck_assert_uint_eq(metrics_buckets(p, 0, WALL0, 60, NULL, 0, &b), 0);
}
END_TEST

START_TEST(from_libvirt_stats)
{
	virTypedParameterPtr params = NULL;
	int n = 0, max = 0;
	struct metrics_sample s;

	virTypedParamsAddInt(&params, &n, &max, "state.state", 1);
	virTypedParamsAddULLong(&params, &n, &max, "cpu.time", 123456789ULL);
	virTypedParamsAddUInt(&params, &n, &max, "vcpu.current", 2);
	virTypedParamsAddUInt(&params, &n, &max, "block.count", 2);
	virTypedParamsAddString(&params, &n, &max, "block.0.name", "vda");
	virTypedParamsAddULLong(&params, &n, &max, "block.0.rd.bytes", 1000);
	virTypedParamsAddULLong(&params, &n, &max, "block.0.wr.bytes", 10);
	virTypedParamsAddULLong(&params, &n, &max, "block.0.rd.reqs", 7);
	virTypedParamsAddULLong(&params, &n, &max, "block.1.rd.bytes", 24);
	virTypedParamsAddULLong(&params, &n, &max, "block.1.wr.bytes", 5);
	virTypedParamsAddUInt(&params, &n, &max, "net.count", 0);
	metrics_sample_from_stats(params, n, WALL0, 5, 42, &s);
	ck_assert_double_eq(s.wall, WALL0);
	ck_assert_double_eq(s.mono, 5);
	ck_assert_int_eq(s.run, 42);
	ck_assert_uint_eq(s.vcpus, 2);
	ck_assert_uint_eq(s.counter[METRICS_CPU], 123456789ULL);
	ck_assert_uint_eq(s.counter[METRICS_DISK_READ], 1024);
	ck_assert_uint_eq(s.counter[METRICS_DISK_WRITE], 15);
	ck_assert_uint_eq(s.have, 1u << METRICS_CPU | 1u << METRICS_DISK_READ |
				  1u << METRICS_DISK_WRITE);
	virTypedParamsFree(params, n);

	/* What libvirt's test driver gives: the state only. */
	params = NULL;
	n = max = 0;
	virTypedParamsAddInt(&params, &n, &max, "state.state", 1);
	virTypedParamsAddInt(&params, &n, &max, "state.reason", 0);
	metrics_sample_from_stats(params, n, WALL0, 5, 1, &s);
	ck_assert_uint_eq(s.have, 0);
	virTypedParamsFree(params, n);

	/* An interface libvirt sees (a tap NIC) counts; CPU time without vCPUs does not. */
	params = NULL;
	n = max = 0;
	virTypedParamsAddULLong(&params, &n, &max, "cpu.time", 5);
	virTypedParamsAddULLong(&params, &n, &max, "net.0.rx.bytes", 300);
	virTypedParamsAddULLong(&params, &n, &max, "net.0.tx.bytes", 400);
	virTypedParamsAddULLong(&params, &n, &max, "net.x.rx.bytes", 1);
	metrics_sample_from_stats(params, n, WALL0, 5, 1, &s);
	ck_assert_uint_eq(s.have, 1u << METRICS_NET_IN | 1u << METRICS_NET_OUT);
	ck_assert_uint_eq(s.counter[METRICS_NET_IN], 300);
	ck_assert_uint_eq(s.counter[METRICS_NET_OUT], 400);
	virTypedParamsFree(params, n);
}
END_TEST

/* QEMU 7.2's guest agent's answer to guest-network-get-interfaces on a Debian 12 guest, as
 * virDomainQemuAgentCommand gives it: loopback and the user-mode NIC. */
#define AGENT_LO                                                                              \
	"{\"name\":\"lo\",\"hardware-address\":\"00:00:00:00:00:00\",\"ip-addresses\":["        \
	"{\"ip-address\":\"127.0.0.1\",\"ip-address-type\":\"ipv4\",\"prefix\":8},"             \
	"{\"ip-address\":\"::1\",\"ip-address-type\":\"ipv6\",\"prefix\":128}],"                \
	"\"statistics\":{\"rx-bytes\":9852,\"rx-packets\":120,\"rx-errs\":0,\"rx-dropped\":0,"  \
	"\"tx-bytes\":9852,\"tx-packets\":120,\"tx-errs\":0,\"tx-dropped\":0}}"
#define AGENT_ETH0_STATS                                                                      \
	"\"statistics\":{\"rx-bytes\":18446744073709551000,\"rx-packets\":3405,\"rx-errs\":0,"  \
	"\"rx-dropped\":0,\"tx-bytes\":254318,\"tx-packets\":2290,\"tx-errs\":0,"                 \
	"\"tx-dropped\":0}"
#define AGENT_ETH0(stats)                                                                     \
	"{\"name\":\"eth0\",\"hardware-address\":\"52:54:00:12:34:56\",\"ip-addresses\":["     \
	"{\"ip-address\":\"10.0.2.15\",\"ip-address-type\":\"ipv4\",\"prefix\":24},"            \
	"{\"ip-address\":\"fec0::5054:ff:fe12:3456\",\"ip-address-type\":\"ipv6\","            \
	"\"prefix\":64}]" stats "}"

START_TEST(from_agent)
{
	static const struct {
		const char *reply;
		int rc;
		unsigned long long rx, tx;
	} cases[] = {
		{ "{\"return\":[" AGENT_LO "," AGENT_ETH0("," AGENT_ETH0_STATS) "]}\n", 0,
		  18446744073709551000ULL, 254318 },
		/* Two NICs add up; loopback by its hardware address too, whatever its name. */
		{ "{\"return\":[{\"name\":\"ens3\",\"statistics\":{\"rx-bytes\":5,\"tx-bytes\":6}},"
		  "{\"name\":\"ens4\",\"statistics\":{\"rx-bytes\":10,\"tx-bytes\":20}},"
		  "{\"name\":\"lo0\",\"hardware-address\":\"00:00:00:00:00:00\","
		  "\"statistics\":{\"rx-bytes\":1000,\"tx-bytes\":1000}}]}", 0, 15, 26 },
		/* Loopback without statistics does not matter; eth0 without them does. */
		{ "{\"return\":[{\"name\":\"lo\"}," AGENT_ETH0("," AGENT_ETH0_STATS) "]}", 0,
		  18446744073709551000ULL, 254318 },
		{ "{\"return\":[" AGENT_LO "," AGENT_ETH0("") "]}", -1, 0, 0 },
		{ "{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":5}}]}", -1, 0, 0 },
		{ "{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":-5,"
		  "\"tx-bytes\":1}}]}", -1, 0, 0 },
		{ "{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":\"5\","
		  "\"tx-bytes\":1}}]}", -1, 0, 0 },
		{ "{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":5.5,"
		  "\"tx-bytes\":1}}]}", -1, 0, 0 },
		/* Only loopback, no interface: nothing to count. */
		{ "{\"return\":[" AGENT_LO "]}", -1, 0, 0 },
		{ "{\"return\":[]}", -1, 0, 0 },
		/* Errors and garbage. */
		{ "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command "
		  "guest-network-get-interfaces has not been found\"}}", -1, 0, 0 },
		{ "{\"return\":{}}", -1, 0, 0 },
		{ "{\"return\":[42]}", -1, 0, 0 },
		{ "{\"return\":[{\"statistics\":{\"rx-bytes\":1,\"tx-bytes\":1}}]}", -1, 0, 0 },
		{ "[1,2", -1, 0, 0 },
		{ "", -1, 0, 0 },
		{ NULL, -1, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct metrics_sample s = { .wall = WALL0, .run = 3 };

		s.counter[METRICS_NET_IN] = 77;
		s.counter[METRICS_DISK_READ] = 9;
		s.have = 1u << METRICS_NET_IN | 1u << METRICS_DISK_READ;
		ck_assert_msg(metrics_sample_from_agent(cases[i].reply, &s) == cases[i].rc,
			      "case %zu", i);
		ck_assert_uint_eq(s.counter[METRICS_DISK_READ], 9);
		ck_assert_int_eq(s.run, 3);
		if (cases[i].rc < 0) {
			ck_assert_uint_eq(s.counter[METRICS_NET_IN], 77);
			ck_assert_uint_eq(s.have, 1u << METRICS_NET_IN | 1u << METRICS_DISK_READ);
			continue;
		}
		ck_assert_uint_eq(s.counter[METRICS_NET_IN], cases[i].rx);
		ck_assert_uint_eq(s.counter[METRICS_NET_OUT], cases[i].tx);
		ck_assert_uint_eq(s.have, 1u << METRICS_NET_IN | 1u << METRICS_NET_OUT |
					  1u << METRICS_DISK_READ);
	}
}
END_TEST

/* The agent's counters into NetworkIn/NetworkOut values: deltas, and a guest rebooted inside
 * one run of its domain (its counters start over, the domain id stays) gives a gap, never a
 * negative value. */
START_TEST(agent_counters_into_values)
{
	static const char *const replies[] = {
		"{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":1000,\"tx-bytes\":100}}]}",
		"{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":5000,\"tx-bytes\":300}}]}",
		"{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":200,\"tx-bytes\":50}}]}",
		"{\"return\":[{\"name\":\"eth0\",\"statistics\":{\"rx-bytes\":1200,\"tx-bytes\":80}}]}",
	};
	struct metrics *m = metrics_new(16);
	struct metrics_point *p;
	size_t i;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		struct metrics_sample s = sample(5.0 * (double)i, 1, 1, 0, 0);

		ck_assert_int_eq(metrics_sample_from_agent(replies[i], &s), 0);
		metrics_add(m, "i-1", &s);
	}
	ck_assert_uint_eq(values(m, "i-1", METRICS_NET_IN, &p), 2);
	ck_assert_double_eq(p[0].v, 4000);
	ck_assert_double_eq(p[0].t, WALL0 + 5);
	ck_assert_double_eq(p[1].v, 1000);
	ck_assert_double_eq(p[1].t, WALL0 + 15);
	free(p);
	ck_assert_uint_eq(values(m, "i-1", METRICS_NET_OUT, &p), 2);
	ck_assert_double_eq(p[0].v, 200);
	ck_assert_double_eq(p[1].v, 30);
	free(p);
	metrics_free(m);
}
END_TEST

START_TEST(names)
{
	ck_assert_int_eq(metrics_find("CPUUtilization"), METRICS_CPU);
	ck_assert_int_eq(metrics_find("DiskWriteBytes"), METRICS_DISK_WRITE);
	ck_assert_int_eq(metrics_find("cpuutilization"), -1);
	ck_assert_int_eq(metrics_find(NULL), -1);
	ck_assert_str_eq(metrics_unit(METRICS_CPU), "Percent");
	ck_assert_str_eq(metrics_unit(METRICS_NET_IN), "Bytes");
	ck_assert_str_eq(metrics_name(METRICS_NET_OUT), "NetworkOut");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, cpu_percent);
	tcase_add_test(tc, bytes_delta);
	tcase_add_test(tc, restart_starts_over);
	tcase_add_test(tc, no_vcpus_no_cpu);
	tcase_add_test(tc, ring_bounded);
	tcase_add_test(tc, window_and_prune);
	tcase_add_test(tc, buckets);
	tcase_add_test(tc, from_libvirt_stats);
	tcase_add_test(tc, from_agent);
	tcase_add_test(tc, agent_counters_into_values);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}

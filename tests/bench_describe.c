/* Benchmark helper (not a test): DescribeInstances with N instances on libvirt's test driver,
 * beside the libvirt floor in the same process (list all domains and read each one's XML, what
 * `virsh list --all` plus `virsh dumpxml` per domain costs). Prints medians in milliseconds.
 * Usage: bench_describe [N] [ROUNDS]   (run by scripts/bench-core.sh) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/ec2.h"
#include "ec2lite/util.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, rounds = argc > 2 ? atoi(argv[2]) : 20, r, i;
	char dir[] = "/tmp/ec2lite-bench-XXXXXX", *disk, *reqtext;
	struct ec2_config cfg;
	struct ec2_ctx ctx;
	struct ec2_error err = { 0 };
	json_object *req, *resp;
	double *ours = calloc((size_t)rounds, sizeof(double));
	double *floor_ = calloc((size_t)rounds, sizeof(double));
	FILE *f;

	if (!mkdtemp(dir) || ec2_config_load(&cfg, dir, &err) < 0)
		return 1;
	ec2_config_set(&cfg.connect_uri, "test:///default");
	cfg.instance_limit = n + 1;
	cfg.memory_overcommit = 1000;
	if (ec2_ctx_open(&ctx, &cfg, 0, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	disk = util_strdupf("%s/disk.raw", dir);
	f = fopen(disk, "w");
	fputs("bench", f);
	for (i = 0; i < 1024; i++)
		fputc(0, f);
	fclose(f);
	req = json_object_new_object();
	json_add_str(req, "Name", "bench");
	json_add_str(req, "DiskPath", disk);
	resp = ec2_register_image(&ctx, req, &err);
	json_object_put(req);
	if (!resp) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	reqtext = util_strdupf("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": %d, "
			       "\"MaxCount\": %d}", req_string(resp, "ImageId"), n, n);
	json_object_put(resp);
	req = json_tokener_parse(reqtext);
	resp = ec2_run_instances(&ctx, req, &err);
	json_object_put(req);
	if (!resp) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	json_object_put(resp);

	for (r = 0; r < rounds; r++) {
		double t = util_monotonic();
		virDomainPtr *doms = NULL;
		int k = virConnectListAllDomains(ctx.conn, &doms, 0);

		for (i = 0; i < k; i++) {
			free(virDomainGetXMLDesc(doms[i], 0));
			virDomainFree(doms[i]);
		}
		free(doms);
		floor_[r] = (util_monotonic() - t) * 1000;

		t = util_monotonic();
		req = json_object_new_object();
		resp = ec2_describe_instances(&ctx, req, &err);
		ours[r] = (util_monotonic() - t) * 1000;
		json_object_put(req);
		json_object_put(resp);
	}
	printf("describe-instances, %d instances, test driver, median of %d:\n", n, rounds);
	printf("  libvirt floor (list + XML of each domain): %8.2f ms\n", median(floor_, rounds));
	printf("  ec2-lite DescribeInstances (model call):    %8.2f ms\n", median(ours, rounds));
	printf("  ratio: %.2fx the floor\n", median(ours, rounds) / median(floor_, rounds));
	ec2_ctx_close(&ctx);
	ec2_config_clear(&cfg);
	util_rm_rf(dir, NULL);
	free(disk);
	free(reqtext);
	return 0;
}

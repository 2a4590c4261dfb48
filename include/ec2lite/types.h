/* The instance-type table (instance-types/instance-types.json) and EC2's description of a type. */
#ifndef EC2LITE_TYPES_H
#define EC2LITE_TYPES_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/error.h"

/* The most instance-store disks a type has (i3.16xlarge: 8). */
#define TYPE_STORE_DISKS_MAX 8

struct instance_type {
	char name[32];          /* "t2.micro" */
	char family[16];        /* "t2" */
	char category[32];      /* "General purpose" */
	int vcpus;
	int threads_per_core;
	long memory_mib;
	char hypervisor[8];     /* "xen", "nitro", or "" for bare metal */
	bool bare_metal;
	bool burstable;
	bool free_tier;
	bool hibernation_supported;
	char network[32];
	double clock_ghz;
	/* The instance store (InstanceStorageInfo): store_disks disks of store_disk_gb GB each
	 * (10^9 bytes, as AWS counts them); 0 disks for an EBS-only type. */
	int store_disks;
	long store_disk_gb;
	char store_disk_type[4];    /* "ssd" or "hdd" */
	char store_nvme[12];        /* InstanceStorageInfo.NvmeSupport */
	char store_encryption[12];  /* InstanceStorageInfo.EncryptionSupport */
	char ebs_nvme[12];          /* EbsInfo.NvmeSupport, "" for the rule in types.c */
	char ena[12];               /* NetworkInfo.EnaSupport, "" for the rule in types.c */
};

struct type_table {
	struct instance_type *types;
	int count;
};

/* Loads <data_dir>/instance-types/instance-types.json. Free with type_table_free (NULL is fine). */
struct type_table *type_table_load(const char *data_dir, struct ec2_error *err);
void type_table_free(struct type_table *t);

/* The type named name, or NULL (err: InvalidParameterValue with EC2's message). */
const struct instance_type *type_lookup(const struct type_table *t, const char *name,
					struct ec2_error *err);

/* EC2's InstanceTypeInfo object for t (new reference). */
json_object *type_describe(const struct instance_type *t);

/* DescribeInstanceTypes: request keys InstanceTypes (list) and Filters. Returns
 * {"InstanceTypes": [...]} (new reference) or NULL. */
json_object *type_describe_many(const struct type_table *t, json_object *req,
				struct ec2_error *err);

/* The TCG translation-cache size for a guest of mem_mib: large enough not to thrash, bounded so
 * that a small guest does not pay ~1 GiB of host RSS for it. */
unsigned type_tb_cache_mib(long mem_mib);

#endif

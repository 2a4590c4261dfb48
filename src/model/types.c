/* The instance-type table: see include/ec2lite/types.h. */
#include "ec2lite/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/util.h"

static bool obj_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static double obj_num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

struct type_table *type_table_load(const char *data_dir, struct ec2_error *err)
{
	char *path = util_strdupf("%s/instance-types/instance-types.json", data_dir);
	json_object *root = json_object_from_file(path), *list;
	struct type_table *t = NULL;
	size_t i, n;

	if (!root || !json_object_object_get_ex(root, "InstanceTypes", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot read the instance-type table '%s'", path);
		goto out;
	}
	n = json_object_array_length(list);
	t = calloc(1, sizeof(*t));
	t->types = calloc(n ? n : 1, sizeof(*t->types));
	if (!t || !t->types)
		abort();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i), *store;
		struct instance_type *it = &t->types[i];

		snprintf(it->name, sizeof(it->name), "%s", req_str0(e, "InstanceType"));
		snprintf(it->family, sizeof(it->family), "%s", req_str0(e, "Family"));
		snprintf(it->category, sizeof(it->category), "%s", req_str0(e, "Category"));
		snprintf(it->hypervisor, sizeof(it->hypervisor), "%s", req_str0(e, "Hypervisor"));
		snprintf(it->network, sizeof(it->network), "%s", req_str0(e, "NetworkPerformance"));
		it->vcpus = (int)obj_num(e, "VCpus");
		it->threads_per_core = (int)obj_num(e, "ThreadsPerCore");
		if (it->threads_per_core < 1 || it->vcpus % it->threads_per_core)
			it->threads_per_core = 1;
		it->memory_mib = (long)obj_num(e, "MemoryMiB");
		it->bare_metal = obj_bool(e, "BareMetal");
		it->burstable = obj_bool(e, "BurstablePerformance");
		it->free_tier = obj_bool(e, "FreeTierEligible");
		it->hibernation_supported = obj_bool(e, "HibernationSupported");
		it->clock_ghz = obj_num(e, "ClockSpeedGhz");
		snprintf(it->ebs_nvme, sizeof(it->ebs_nvme), "%s", req_str0(e, "EbsNvmeSupport"));
		snprintf(it->ena, sizeof(it->ena), "%s", req_str0(e, "EnaSupport"));
		if (json_object_object_get_ex(e, "InstanceStorage", &store)) {
			/* One kind of disk per type, as every EC2 type has. */
			json_object *disk = json_object_array_get_idx(json_path(store, "Disks"), 0);

			it->store_disks = (int)obj_num(disk, "Count");
			it->store_disk_gb = (long)obj_num(disk, "SizeInGB");
			snprintf(it->store_disk_type, sizeof(it->store_disk_type), "%s",
				 req_str0(disk, "Type"));
			snprintf(it->store_nvme, sizeof(it->store_nvme), "%s",
				 req_str0(store, "NvmeSupport"));
			snprintf(it->store_encryption, sizeof(it->store_encryption), "%s",
				 req_str0(store, "EncryptionSupport"));
			if (it->store_disks < 1 || it->store_disks > TYPE_STORE_DISKS_MAX ||
			    it->store_disk_gb < 1 || !it->store_disk_type[0]) {
				ec2_error_set(err, EC2_ERR_INTERNAL,
					      "'%s': the instance storage of entry %zu is incomplete",
					      path, i);
				type_table_free(t);
				t = NULL;
				goto out;
			}
		}
		if (!it->name[0] || it->vcpus < 1 || it->memory_mib < 1) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "'%s': entry %zu is incomplete", path, i);
			type_table_free(t);
			t = NULL;
			goto out;
		}
		t->count++;
	}
out:
	json_object_put(root);
	free(path);
	return t;
}

void type_table_free(struct type_table *t)
{
	if (!t)
		return;
	free(t->types);
	free(t);
}

const struct instance_type *type_lookup(const struct type_table *t, const char *name,
					struct ec2_error *err)
{
	int i;

	for (i = 0; name && i < t->count; i++)
		if (strcmp(t->types[i].name, name) == 0)
			return &t->types[i];
	ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid value '%s' for InstanceType.",
		      name ? name : "");
	return NULL;
}

static json_object *str_array(const char *const *items)
{
	json_object *a = json_object_new_array();

	for (; *items; items++)
		json_object_array_add(a, json_object_new_string(*items));
	return a;
}

json_object *type_describe(const struct instance_type *t)
{
	static const char *const usage[] = { "on-demand", "spot", NULL };
	static const char *const roots[] = { "ebs", NULL };
	static const char *const virt[] = { "hvm", NULL };
	static const char *const arch[] = { "x86_64", NULL };
	static const char *const boot[] = { "legacy-bios", "uefi", NULL };
	json_object *o = json_object_new_object(), *p, *v, *a;
	int cores = t->vcpus / t->threads_per_core, c;

	json_add_str(o, "InstanceType", t->name);
	json_add_bool(o, "CurrentGeneration", true);
	json_add_bool(o, "FreeTierEligible", t->free_tier);
	json_object_object_add(o, "SupportedUsageClasses", str_array(usage));
	json_object_object_add(o, "SupportedRootDeviceTypes", str_array(roots));
	json_object_object_add(o, "SupportedVirtualizationTypes", str_array(virt));
	json_add_bool(o, "BareMetal", t->bare_metal);
	if (t->hypervisor[0])
		json_add_str(o, "Hypervisor", t->hypervisor);

	p = json_object_new_object();
	json_object_object_add(p, "SupportedArchitectures", str_array(arch));
	json_object_object_add(p, "SustainedClockSpeedInGhz", json_object_new_double(t->clock_ghz));
	json_object_object_add(o, "ProcessorInfo", p);

	v = json_object_new_object();
	json_add_int(v, "DefaultVCpus", t->vcpus);
	json_add_int(v, "DefaultCores", cores);
	json_add_int(v, "DefaultThreadsPerCore", t->threads_per_core);
	a = json_object_new_array();
	for (c = 1; c <= cores; c++)
		json_object_array_add(a, json_object_new_int(c));
	json_object_object_add(v, "ValidCores", a);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_int(1));
	if (t->threads_per_core > 1)
		json_object_array_add(a, json_object_new_int(t->threads_per_core));
	json_object_object_add(v, "ValidThreadsPerCore", a);
	json_object_object_add(o, "VCpuInfo", v);

	v = json_object_new_object();
	json_add_int(v, "SizeInMiB", t->memory_mib);
	json_object_object_add(o, "MemoryInfo", v);
	json_add_bool(o, "InstanceStorageSupported", t->store_disks > 0);
	if (t->store_disks > 0) {
		/* EC2 has InstanceStorageInfo only for a type with instance storage. */
		json_object *disk = json_object_new_object();

		v = json_object_new_object();
		json_add_int(v, "TotalSizeInGB", (int64_t)t->store_disks * t->store_disk_gb);
		json_add_int(disk, "SizeInGB", t->store_disk_gb);
		json_add_int(disk, "Count", t->store_disks);
		json_add_str(disk, "Type", t->store_disk_type);
		a = json_object_new_array();
		json_object_array_add(a, disk);
		json_object_object_add(v, "Disks", a);
		json_add_str(v, "NvmeSupport", t->store_nvme);
		json_add_str(v, "EncryptionSupport", t->store_encryption);
		json_object_object_add(o, "InstanceStorageInfo", v);
	}

	v = json_object_new_object();
	json_add_str(v, "EbsOptimizedSupport", strcmp(t->family, "t2") == 0 ? "unsupported" : "default");
	json_add_str(v, "EncryptionSupport", "supported");
	json_add_str(v, "NvmeSupport", t->ebs_nvme[0] ? t->ebs_nvme :
		     strcmp(t->family, "t2") == 0 ? "unsupported" : "required");
	json_object_object_add(o, "EbsInfo", v);

	v = json_object_new_object();
	json_add_str(v, "NetworkPerformance", t->network);
	json_add_int(v, "MaximumNetworkInterfaces", t->vcpus < 4 ? 2 : (t->vcpus < 16 ? 4 : 8));
	json_add_str(v, "EnaSupport", t->ena[0] ? t->ena :
		     strcmp(t->family, "t2") == 0 ? "unsupported" : "required");
	json_object_object_add(o, "NetworkInfo", v);

	json_object_object_add(o, "SupportedBootModes", str_array(boot));
	json_add_bool(o, "HibernationSupported", t->hibernation_supported);
	json_add_bool(o, "BurstablePerformanceSupported", t->burstable);
	json_add_bool(o, "DedicatedHostsSupported", strcmp(t->family, "t2") != 0);
	/* CloudWatch's recovery moves an instance to another host, which instance storage
	 * cannot follow: EC2 offers it for neither bare metal nor types with instance store. */
	json_add_bool(o, "AutoRecoverySupported", !t->bare_metal && t->store_disks == 0);
	return o;
}

/* DescribeInstanceTypes filter names and where each looks in an InstanceTypeInfo. */
static const struct filter_field type_filters[] = {
	{ "instance-type", "InstanceType" },
	{ "current-generation", "CurrentGeneration" },
	{ "free-tier-eligible", "FreeTierEligible" },
	{ "bare-metal", "BareMetal" },
	{ "hypervisor", "Hypervisor" },
	{ "burstable-performance-supported", "BurstablePerformanceSupported" },
	{ "hibernation-supported", "HibernationSupported" },
	{ "vcpu-info.default-vcpus", "VCpuInfo.DefaultVCpus" },
	{ "vcpu-info.default-cores", "VCpuInfo.DefaultCores" },
	{ "vcpu-info.default-threads-per-core", "VCpuInfo.DefaultThreadsPerCore" },
	{ "memory-info.size-in-mib", "MemoryInfo.SizeInMiB" },
	{ "processor-info.supported-architecture", "ProcessorInfo.SupportedArchitectures" },
	{ "network-info.network-performance", "NetworkInfo.NetworkPerformance" },
	{ "supported-usage-class", "SupportedUsageClasses" },
	{ "supported-virtualization-type", "SupportedVirtualizationTypes" },
	{ "auto-recovery-supported", "AutoRecoverySupported" },
	{ "ebs-info.ebs-optimized-support", "EbsInfo.EbsOptimizedSupport" },
	{ "ebs-info.encryption-support", "EbsInfo.EncryptionSupport" },
	{ "ebs-info.nvme-support", "EbsInfo.NvmeSupport" },
	{ "instance-storage-supported", "InstanceStorageSupported" },
	{ "network-info.ena-support", "NetworkInfo.EnaSupport" },
	{ "network-info.maximum-network-interfaces", "NetworkInfo.MaximumNetworkInterfaces" },
	{ "processor-info.sustained-clock-speed-in-ghz", "ProcessorInfo.SustainedClockSpeedInGhz" },
	{ "supported-boot-mode", "SupportedBootModes" },
	{ "supported-root-device-type", "SupportedRootDeviceTypes" },
	{ "vcpu-info.valid-cores", "VCpuInfo.ValidCores" },
	{ "vcpu-info.valid-threads-per-core", "VCpuInfo.ValidThreadsPerCore" },
	/* An EBS-only type has no InstanceStorageInfo, as in EC2: these never match it. */
	{ "instance-storage-info.disk.count", "InstanceStorageInfo.Disks.Count" },
	{ "instance-storage-info.disk.size-in-gb", "InstanceStorageInfo.Disks.SizeInGB" },
	{ "instance-storage-info.disk.type", "InstanceStorageInfo.Disks.Type" },
	{ "instance-storage-info.encryption-support", "InstanceStorageInfo.EncryptionSupport" },
	{ "instance-storage-info.nvme-support", "InstanceStorageInfo.NvmeSupport" },
	{ "instance-storage-info.total-size-in-gb", "InstanceStorageInfo.TotalSizeInGB" },
	{ NULL, NULL },
};

json_object *type_describe_many(const struct type_table *t, json_object *req,
				struct ec2_error *err)
{
	json_object *names = req_list(req, "InstanceTypes");
	json_object *filters = req_list(req, "Filters");
	json_object *out = NULL, *list;
	size_t i, n = names ? json_object_array_length(names) : 0;
	int k;

	if (filter_validate_untagged(filters, type_filters, err) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (!type_lookup(t, json_object_get_string(json_object_array_get_idx(names, i)), err))
			return NULL;
	list = json_object_new_array();
	for (k = 0; k < t->count; k++) {
		json_object *info;

		if (!json_strlist_wants(names, t->types[k].name))
			continue;
		info = type_describe(&t->types[k]);
		if (filter_match(info, filters, type_filters))
			json_object_array_add(list, info);
		else
			json_object_put(info);
	}
	out = json_object_new_object();
	if (req_page_into(req, 5, 100, list, out, "InstanceTypes", err) < 0) {
		json_object_put(out);
		out = NULL;
	}
	json_object_put(list);
	return out;
}

unsigned type_tb_cache_mib(long mem_mib)
{
	long mib = mem_mib / 4;

	if (mib < 64)
		mib = 64;
	if (mib > 256)
		mib = 256;
	return (unsigned)mib;
}

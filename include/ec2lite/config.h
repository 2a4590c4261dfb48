/* Settings: built-in defaults, then <state-dir>/config.json, then EC2_LITE_* environment
 * variables, then the command line (the front end sets fields after ec2_config_load). */
#ifndef EC2LITE_CONFIG_H
#define EC2LITE_CONFIG_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/error.h"

struct ec2_config {
	char *state_dir;       /* where the store, the pool and per-instance files live */
	char *connect_uri;     /* libvirt URI */
	char *data_dir;        /* instance-types/, amis/, userdata/ */
	char *accelerator;     /* "auto", "kvm" or "tcg" */
	char *qemu_binary;     /* used by the accelerator probe */
	char *region;          /* e.g. "us-east-1" */
	char *availability_zone;
	char *owner_id;        /* the 12-digit account id shown as OwnerId */
	char *import_dir;      /* ImportImage's "S3": s3://BUCKET/KEY is <import_dir>/BUCKET/KEY
				* (default <state-dir>/import) */
	double memory_overcommit;  /* guest memory may total host memory times this */
	int instance_limit;        /* non-terminated instances at most (InstanceLimitExceeded) */
	int address_limit;         /* Elastic IPs allocated at most (AddressLimitExceeded; EC2's 5) */
	int stop_timeout;          /* seconds from ACPI shutdown to forced power-off */
	int reboot_timeout;        /* seconds from ACPI reboot to hard reset */
	bool image_compress;       /* CreateImage writes compressed qcow2 (smaller, slower) */
	int image_copy_bandwidth;  /* MiB/s a live copy for CreateImage may take; 0: no limit */
	json_object *file;         /* config.json as read (NULL: none), for the settings of one
				    * front end (serve's "access-keys") */
};

/* Fills cfg from defaults, the config file in state_dir (NULL: the default state folder) and the
 * environment. Strings in cfg are owned by it; free with ec2_config_clear. */
int ec2_config_load(struct ec2_config *cfg, const char *state_dir, struct ec2_error *err);

/* Replaces a string setting (takes a copy of value). */
void ec2_config_set(char **field, const char *value);

void ec2_config_clear(struct ec2_config *cfg);

#endif

/* Settings: built-in defaults, then <state-dir>/config.json, then EC2_LITE_* environment
 * variables, then the command line (the front end sets fields after ec2_config_load). */
#ifndef EC2LITE_CONFIG_H
#define EC2LITE_CONFIG_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/error.h"

#define EC2_ZONES_MAX 16 /* /20 default subnets that fit in the default VPC's /16 */
#define EC2_ZONE_NAME_MAX 32

struct ec2_config {
	char *state_dir;       /* where the store, the pool and per-instance files live */
	char *connect_uri;     /* libvirt URI */
	char *data_dir;        /* instance-types/, amis/, userdata/ */
	char *accelerator;     /* "auto", "kvm" or "tcg" */
	char *qemu_binary;     /* used by the accelerator probe */
	char *region;          /* e.g. "us-east-1" */
	char *availability_zone;  /* the zone launches go to when they name none; one of zones */
	char *zones[EC2_ZONES_MAX]; /* the region's availability zones ("zones": a list or
				     * "a,b,c"; EC2_LITE_ZONES; default REGIONa,REGIONb,REGIONc), in
				     * order: zone i has the default subnet 172.31.(16*i).0/20 */
	size_t zone_count;
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
 * environment. Strings in cfg are owned by it; free with ec2_config_clear. Fails (InternalError)
 * on a config file that is not JSON and on zones that are not 1 to EC2_ZONES_MAX distinct names
 * of lowercase letters, digits and '-' (shorter than EC2_ZONE_NAME_MAX) including
 * availability-zone. */
int ec2_config_load(struct ec2_config *cfg, const char *state_dir, struct ec2_error *err);

/* Replaces a string setting (takes a copy of value). */
void ec2_config_set(char **field, const char *value);

/* Replaces the zones with the comma-separated list (taking copies); for the front ends and tests.
 * Checks nothing: ec2_config_check does. */
void ec2_config_set_zones(struct ec2_config *cfg, const char *list);
/* The checks ec2_config_load makes of the zones and the default zone (see there). */
int ec2_config_check(const struct ec2_config *cfg, struct ec2_error *err);
/* Whether zone is one of cfg's zones: its index, or -1. */
int ec2_config_zone_index(const struct ec2_config *cfg, const char *zone);

void ec2_config_clear(struct ec2_config *cfg);

#endif

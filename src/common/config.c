/* Settings: see include/ec2lite/config.h. */
#include "ec2lite/config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/util.h"

void ec2_config_set(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

static void clear_zones(struct ec2_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->zone_count && i < EC2_ZONES_MAX; i++)
		free(cfg->zones[i]);
	cfg->zone_count = 0;
}

/* Empty entries are dropped; entries past EC2_ZONES_MAX make the count one more than the maximum,
 * which ec2_config_check refuses. */
static void add_zone(struct ec2_config *cfg, const char *name, size_t len)
{
	if (len == 0)
		return;
	if (cfg->zone_count == EC2_ZONES_MAX) {
		cfg->zone_count = EC2_ZONES_MAX + 1;
		return;
	}
	if (cfg->zone_count > EC2_ZONES_MAX)
		return;
	cfg->zones[cfg->zone_count++] = strndup(name, len);
	if (!cfg->zones[cfg->zone_count - 1])
		abort();
}

void ec2_config_set_zones(struct ec2_config *cfg, const char *list)
{
	const char *p = list, *comma;

	clear_zones(cfg);
	while (p && *p) {
		comma = strchr(p, ',');
		add_zone(cfg, p, comma ? (size_t)(comma - p) : strlen(p));
		p = comma ? comma + 1 : NULL;
	}
}

int ec2_config_zone_index(const struct ec2_config *cfg, const char *zone)
{
	size_t i;

	for (i = 0; zone && i < cfg->zone_count && i < EC2_ZONES_MAX; i++)
		if (strcmp(cfg->zones[i], zone) == 0)
			return (int)i;
	return -1;
}

int ec2_config_check(const struct ec2_config *cfg, struct ec2_error *err)
{
	size_t i, j;

	if (cfg->zone_count == 0 || cfg->zone_count > EC2_ZONES_MAX) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "zones: 1 to %d availability zones, not %zu",
			      EC2_ZONES_MAX, cfg->zone_count);
		return -1;
	}
	for (i = 0; i < cfg->zone_count; i++) {
		const char *z = cfg->zones[i];

		if (strlen(z) >= EC2_ZONE_NAME_MAX || strspn(z, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(z)) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "zones: '%s' is not a zone name (lowercase "
				      "letters, digits and '-', at most %d)", z, EC2_ZONE_NAME_MAX - 1);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(cfg->zones[j], z) == 0) {
				ec2_error_set(err, EC2_ERR_INTERNAL, "zones: '%s' is named twice", z);
				return -1;
			}
	}
	if (ec2_config_zone_index(cfg, cfg->availability_zone) < 0) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "availability-zone '%s' is not one of the zones",
			      cfg->availability_zone ? cfg->availability_zone : "");
		return -1;
	}
	return 0;
}

static const char *default_data_dir(void)
{
	/* A build tree runs from the sources; an installed binary from its data folder. */
	if (util_file_exists(EC2LITE_SOURCE_DATADIR "/instance-types/instance-types.json"))
		return EC2LITE_SOURCE_DATADIR;
	return EC2LITE_INSTALL_DATADIR;
}

static void from_json(struct ec2_config *cfg, json_object *root)
{
	static const struct {
		const char *key;
		size_t offset;
	} strings[] = {
		{ "connect", offsetof(struct ec2_config, connect_uri) },
		{ "data-dir", offsetof(struct ec2_config, data_dir) },
		{ "accelerator", offsetof(struct ec2_config, accelerator) },
		{ "qemu-binary", offsetof(struct ec2_config, qemu_binary) },
		{ "region", offsetof(struct ec2_config, region) },
		{ "availability-zone", offsetof(struct ec2_config, availability_zone) },
		{ "owner-id", offsetof(struct ec2_config, owner_id) },
		{ "import-dir", offsetof(struct ec2_config, import_dir) },
	};
	json_object *v;
	size_t i;

	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (json_object_object_get_ex(root, strings[i].key, &v))
			ec2_config_set((char **)((char *)cfg + strings[i].offset),
				       json_object_get_string(v));
	if (json_object_object_get_ex(root, "zones", &v)) {
		if (json_object_is_type(v, json_type_array)) {
			clear_zones(cfg);
			for (i = 0; i < json_object_array_length(v); i++) {
				const char *z = json_object_get_string(json_object_array_get_idx(v, i));

				add_zone(cfg, z ? z : "", z ? strlen(z) : 0);
			}
		} else {
			ec2_config_set_zones(cfg, json_object_get_string(v));
		}
	}
	if (json_object_object_get_ex(root, "memory-overcommit", &v))
		cfg->memory_overcommit = json_object_get_double(v);
	if (json_object_object_get_ex(root, "instance-limit", &v))
		cfg->instance_limit = json_object_get_int(v);
	if (json_object_object_get_ex(root, "address-limit", &v))
		cfg->address_limit = json_object_get_int(v);
	if (json_object_object_get_ex(root, "stop-timeout", &v))
		cfg->stop_timeout = json_object_get_int(v);
	if (json_object_object_get_ex(root, "reboot-timeout", &v))
		cfg->reboot_timeout = json_object_get_int(v);
	if (json_object_object_get_ex(root, "image-compress", &v))
		cfg->image_compress = json_object_get_boolean(v);
	if (json_object_object_get_ex(root, "image-copy-bandwidth", &v))
		cfg->image_copy_bandwidth = json_object_get_int(v);
}

static void from_env(struct ec2_config *cfg)
{
	const char *v;

	if ((v = getenv("EC2_LITE_CONNECT")) && *v)
		ec2_config_set(&cfg->connect_uri, v);
	if ((v = getenv("EC2_LITE_DATA_DIR")) && *v)
		ec2_config_set(&cfg->data_dir, v);
	if ((v = getenv("EC2_LITE_IMPORT_DIR")) && *v)
		ec2_config_set(&cfg->import_dir, v);
	if ((v = getenv("EC2_LITE_ZONES")) && *v)
		ec2_config_set_zones(cfg, v);
	if ((v = getenv("EC2_LITE_ACCELERATOR")) && *v)
		ec2_config_set(&cfg->accelerator, v);
	if ((v = getenv("EC2_LITE_MEMORY_OVERCOMMIT")) && *v)
		cfg->memory_overcommit = atof(v);
	if ((v = getenv("EC2_LITE_INSTANCE_LIMIT")) && *v)
		cfg->instance_limit = atoi(v);
	if ((v = getenv("EC2_LITE_ADDRESS_LIMIT")) && *v)
		cfg->address_limit = atoi(v);
	if ((v = getenv("EC2_LITE_STOP_TIMEOUT")) && *v)
		cfg->stop_timeout = atoi(v);
	if ((v = getenv("EC2_LITE_REBOOT_TIMEOUT")) && *v)
		cfg->reboot_timeout = atoi(v);
	if ((v = getenv("EC2_LITE_IMAGE_COMPRESS")) && *v)
		cfg->image_compress = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
	if ((v = getenv("EC2_LITE_IMAGE_COPY_BANDWIDTH")) && *v)
		cfg->image_copy_bandwidth = atoi(v);
}

int ec2_config_load(struct ec2_config *cfg, const char *state_dir, struct ec2_error *err)
{
	const char *env_dir = getenv("EC2_LITE_STATE_DIR");
	char *path;
	json_object *root;

	memset(cfg, 0, sizeof(*cfg));
	if (state_dir)
		ec2_config_set(&cfg->state_dir, state_dir);
	else if (env_dir && *env_dir)
		ec2_config_set(&cfg->state_dir, env_dir);
	else
		ec2_config_set(&cfg->state_dir, "/var/lib/ec2-lite");
	ec2_config_set(&cfg->connect_uri, "qemu:///system");
	ec2_config_set(&cfg->data_dir, default_data_dir());
	ec2_config_set(&cfg->accelerator, "auto");
	ec2_config_set(&cfg->qemu_binary, "/usr/bin/qemu-system-x86_64");
	ec2_config_set(&cfg->region, "us-east-1");
	/* availability_zone: the first zone unless one is set (below). */
	ec2_config_set(&cfg->owner_id, "000000000000");
	cfg->import_dir = util_strdupf("%s/import", cfg->state_dir);
	cfg->memory_overcommit = 1.5;
	cfg->instance_limit = 32;
	cfg->address_limit = 5;
	cfg->stop_timeout = 60;
	cfg->reboot_timeout = 60;

	path = util_strdupf("%s/config.json", cfg->state_dir);
	if (util_file_exists(path)) {
		root = json_object_from_file(path);
		if (!root || !json_object_is_type(root, json_type_object)) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "cannot parse '%s': %s", path,
				      json_util_get_last_err());
			json_object_put(root);
			free(path);
			ec2_config_clear(cfg);
			return -1;
		}
		from_json(cfg, root);
		cfg->file = root;
	}
	free(path);
	from_env(cfg);
	if (cfg->zone_count == 0) {
		/* The region's first three zones, as most regions have. */
		char *list = util_strdupf("%sa,%sb,%sc", cfg->region, cfg->region, cfg->region);

		ec2_config_set_zones(cfg, list);
		free(list);
	}
	if (!cfg->availability_zone && cfg->zone_count > 0 && cfg->zone_count <= EC2_ZONES_MAX)
		ec2_config_set(&cfg->availability_zone, cfg->zones[0]);
	if (ec2_config_check(cfg, err) < 0) {
		ec2_config_clear(cfg);
		return -1;
	}
	return 0;
}

void ec2_config_clear(struct ec2_config *cfg)
{
	free(cfg->state_dir);
	free(cfg->connect_uri);
	free(cfg->data_dir);
	free(cfg->accelerator);
	free(cfg->qemu_binary);
	free(cfg->region);
	free(cfg->availability_zone);
	clear_zones(cfg);
	free(cfg->owner_id);
	free(cfg->import_dir);
	json_object_put(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

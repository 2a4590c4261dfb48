/* The NoCloud seed: an ISO 9660 image with volume id "cidata" holding user-data and meta-data,
 * as cloud-init's NoCloud datasource reads it. Written in-process with libisofs; attached to the
 * instance as a read-only virtio disk that stays across stop/start, so cloud-init's per-instance
 * logic keeps EC2's rule that user-data runs on the first boot only. */
#ifndef EC2LITE_SEED_H
#define EC2LITE_SEED_H

#include <json-c/json.h>
#include <stddef.h>

#include "ec2lite/error.h"

#define EC2_USER_DATA_MAX 16384 /* EC2's limit, in raw bytes before base64 */

/* The meta-data document (YAML) for an instance; public_keys is an array of OpenSSH public key
 * strings, or NULL. Caller frees. */
char *seed_meta_data(const char *instance_id, const char *hostname, json_object *public_keys);

/* Writes the seed to path (mode 0644). user_data may be NULL (an empty file then). */
int seed_write(const char *path, const char *user_data, size_t user_data_len,
	       const char *meta_data, struct ec2_error *err);

#endif

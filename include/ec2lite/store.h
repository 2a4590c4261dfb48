/* The JSON state store: what libvirt cannot keep.
 *
 * One file, <state-dir>/state.json, holding
 *   "images":     { "ami-...": { image record } }        the AMI catalog
 *   "terminated": { "i-...": { "Instance": {...}, "ReservationId", "OwnerId", "TerminatedAt" } }
 *                 instances after termination, shown for an hour as EC2 does, then purged.
 *   "addresses":  { "eipalloc-...": { Elastic IP record } }   Elastic IPs and their associations
 *                 (address.h)
 *   "security_groups", "key_pairs", and "default_vpc" with "DefaultVpcId"/"DefaultSubnetId":
 *                 the default VPC's resources by id (vpc.h).
 * Readers take a shared lock, writers an exclusive one on <state-dir>/state.lock, and a write is
 * a temporary file, fsync and rename, so concurrent ec2-lite processes never lose or corrupt an
 * entry and a crash leaves either the old file or the new one. */
#ifndef EC2LITE_STORE_H
#define EC2LITE_STORE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "ec2lite/error.h"

#define EC2_TERMINATED_VISIBLE_SECONDS 3600

struct store;

/* Opens (creating the folder and an empty store if needed) the store in dir. */
struct store *store_open(const char *dir, struct ec2_error *err);
void store_close(struct store *s);

/* A consistent snapshot of the whole store (new reference, caller puts it). Terminated entries
 * older than an hour are left out. */
json_object *store_read(struct store *s, struct ec2_error *err);

/* Read-modify-write under the exclusive lock. fn gets the current root and changes it in place;
 * it returns 0 to commit or -1 (having set err) to abandon the change. Expired terminated entries
 * are purged on every commit. */
typedef int (*store_update_fn)(json_object *root, void *opaque, struct ec2_error *err);
int store_update(struct store *s, store_update_fn fn, void *opaque, struct ec2_error *err);

/* For tests: the nth commit from now (1: the next) fails as on a full disk (ENOSPC), leaving
 * the store as it was; 0 cancels. Per store handle, so per context. */
void store_fail_commit(struct store *s, int nth);

/* A named exclusive lock beside the store (<state-dir>/<name>.lock), for work longer than one
 * update: "launch" is held by a launch or start from its capacity decision until its
 * reservation (its journal, see journal.h) is written, so that two launches cannot both take the
 * last capacity; "net" across a change of an instance's forwards.
 * Returns a descriptor for store_unlock, or -1. */
int store_lock(struct store *s, const char *name, struct ec2_error *err);
void store_unlock(int fd);
/* Whether some process (this one too, through another store_lock) holds the named lock now. When
 * that cannot be told (the lock file cannot be opened), true: the caller waits for another time. */
bool store_lock_busy(struct store *s, const char *name);

/* The sub-object root[key], created empty if missing (borrowed). */
json_object *store_section(json_object *root, const char *key);

/* Overridable clock for tests of the one-hour expiry. */
extern time_t (*store_now)(void);

#endif

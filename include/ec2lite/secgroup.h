/* Security groups and key pairs, kept in the store (libvirt knows neither).
 *
 * Security groups have EC2's shape (GroupId, GroupName, IpPermissions of IpProtocol, FromPort,
 * ToPort, IpRanges[].CidrIp, ...); every account has the group "default", which cannot be
 * deleted. A group in use by an instance is not deleted (DependencyViolation). Key pairs are made
 * with OpenSSL (rsa: a PKCS#1 PEM private key, as EC2 returns; ed25519: an OpenSSH private key)
 * or imported from an OpenSSH public key; instances launched with --key-name get the public key
 * through their seed's meta-data (public-keys), as cloud-init expects. */
#ifndef EC2LITE_SECGROUP_H
#define EC2LITE_SECGROUP_H

#include <json-c/json.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"

json_object *ec2_create_security_group(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err);
json_object *ec2_describe_security_groups(struct ec2_ctx *ctx, json_object *req,
					  struct ec2_error *err);
json_object *ec2_authorize_security_group_ingress(struct ec2_ctx *ctx, json_object *req,
						  struct ec2_error *err);
json_object *ec2_revoke_security_group_ingress(struct ec2_ctx *ctx, json_object *req,
					       struct ec2_error *err);
json_object *ec2_delete_security_group(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err);

json_object *ec2_create_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_import_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_describe_key_pairs(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_delete_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* For RunInstances: the groups named by ids (all must exist; NULL or empty: the default group) as
 * [{"GroupId","GroupName"}] (new reference), or NULL with err InvalidGroup.NotFound; vpc and
 * subnet get the default VPC's and subnet's ids. */
json_object *secgroup_resolve(struct ec2_ctx *ctx, json_object *ids, char vpc[EC2_ID_MAX],
			      char subnet[EC2_ID_MAX], struct ec2_error *err);

/* For RunInstances: the OpenSSH public key line of key pair name (caller frees), or NULL with
 * err InvalidKeyPair.NotFound. */
char *keypair_public_key(struct ec2_ctx *ctx, const char *name, struct ec2_error *err);

#endif

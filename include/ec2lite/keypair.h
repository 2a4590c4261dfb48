/* Key pairs (src/model/keypair.c), kept in the store. Key pairs are made with OpenSSL (rsa: a
 * PKCS#1 PEM private key, as EC2 returns; ed25519: an OpenSSH private key) or imported from an
 * OpenSSH public key; instances launched with --key-name get the public key through their seed's
 * meta-data (public-keys), as cloud-init expects. The private key is never stored. */
#ifndef EC2LITE_KEYPAIR_H
#define EC2LITE_KEYPAIR_H

#include <json-c/json.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

/* CreateKeyPair: KeyName (required), KeyType (rsa, the default, or ed25519), TagSpecifications.
 * Makes a key and returns {KeyFingerprint, KeyMaterial, KeyName, KeyPairId}: the private key,
 * which only this answer ever holds. Errors: MissingParameter, InvalidParameterValue (the name or
 * type), InvalidKeyPair.Duplicate, InternalError (OpenSSL), DryRunOperation. Changes the store. */
json_object *ec2_create_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* ImportKeyPair: KeyName (required), PublicKeyMaterial (an OpenSSH public key line: ssh-rsa or
 * ssh-ed25519). Returns {KeyFingerprint, KeyName, KeyPairId}. Errors: MissingParameter,
 * InvalidParameterValue, InvalidKey.Format, InvalidKeyPair.Duplicate, DryRunOperation. Changes
 * the store. */
json_object *ec2_import_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeKeyPairs: KeyNames (all when absent), IncludePublicKey. Returns {KeyPairs: [...]}.
 * Errors: InvalidKeyPair.NotFound (a name asked for). Changes nothing. */
json_object *ec2_describe_key_pairs(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DeleteKeyPair: KeyName (required). Returns {Return: true} (with KeyPairId when it existed): as
 * in EC2, an unknown key pair is deleted "successfully". Errors: MissingParameter,
 * InvalidParameterValue (the name), DryRunOperation. Changes the store; instances launched with
 * the key keep it. */
json_object *ec2_delete_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* For RunInstances: the OpenSSH public key line of key pair name (caller frees), or NULL with
 * err InvalidKeyPair.NotFound. */
char *keypair_public_key(struct ec2_ctx *ctx, const char *name, struct ec2_error *err);

#endif

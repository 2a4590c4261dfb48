/* A minimal IAM at the API's endpoint, for instance roles: roles (their trust policy and inline
 * policies), instance profiles, and the temporary credentials an instance's role gets through IMDS.
 *
 * The store's section "iam" is the truth:
 *   {"roles": {NAME: {"RoleName", "RoleId" (AROA...), "Arn", "Path", "CreateDate",
 *                     "AssumeRolePolicyDocument" (the JSON text as given), "Description",
 *                     "MaxSessionDuration", "Policies": {POLICY-NAME: DOCUMENT-TEXT}}},
 *    "instance_profiles": {NAME: {"InstanceProfileName", "InstanceProfileId" (AIPA...), "Arn",
 *                                 "Path", "CreateDate", "Roles": [ROLE-NAME]}}}
 * ARNs are arn:aws:iam::ACCOUNT:role/PATH-AND-NAME and ...:instance-profile/PATH-AND-NAME.
 *
 * Temporary credentials carry no state on the host: the AccessKeyId is ASIA + 16 characters, the
 * session token is a sealed (HMAC-SHA256 under <state-dir>/iam/credentials.key) statement of the
 * key id, the instance, the role and the expiry, and the secret key is derived from the key id
 * under the same key; iam_credentials_check tells whether a request's key and token hold, and for
 * which instance and role. */
#ifndef EC2LITE_IAM_H
#define EC2LITE_IAM_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

/* Finds an instance profile in the store's root (borrowed) by name or by ARN (exactly one of them
 * non-NULL): its entry (borrowed from root), or NULL with err set to EC2's
 * InvalidParameterValue ("Value (NAME) for parameter iamInstanceProfile.name is invalid. Invalid
 * IAM Instance Profile name" / "... iamInstanceProfile.arn is invalid. Invalid IAM Instance
 * Profile ARN"). */
json_object *iam_profile_find(json_object *root, const char *name, const char *arn,
			      struct ec2_error *err);

/* The role (entry borrowed from root) of an instance profile entry, or NULL when it has none. */
json_object *iam_profile_role(json_object *root, json_object *profile);

/* Temporary credentials of role for instance_id, valid for the next hour at least (they rotate:
 * a new set is made when less than 15 minutes are left), as IMDS serves them: {"Code":
 * "Success", "LastUpdated", "Type": "AWS-HMAC", "AccessKeyId", "SecretAccessKey", "Token",
 * "Expiration"} (new reference), or NULL with err. */
json_object *iam_credentials_issue(struct ec2_ctx *ctx, const char *instance_id,
				   const char *role_name, struct ec2_error *err);

/* Checks temporary credentials sent to the API: the key id (ASIA...) and the session token
 * (X-Amz-Security-Token). On success fills secret (the key's secret, to verify the signature),
 * instance_id and role_name, and returns 0. Fails (-1, err AuthFailure or
 * ExpiredToken / InvalidClientTokenId as EC2 gives them) when the token is not ec2-lite's, is for
 * another key, has expired, or its instance is terminated or gone. */
int iam_credentials_check(struct ec2_ctx *ctx, const char *access_key_id, const char *token,
			  char secret[64], char instance_id[32], char role_name[72],
			  struct ec2_error *err);

/* Whether the role's policies allow the EC2 action ("DescribeInstances"; IAM's action name is
 * "ec2:DescribeInstances"): an Allow statement whose Action matches (a list or a string, with *
 * and ? wildcards, case-insensitive) and whose Resource is "*" or matches, and no Deny that
 * matches. A role that is gone allows nothing. */
bool iam_role_allows(json_object *root, const char *role_name, const char *service,
		     const char *action);

/* As iam_role_allows, telling why: 1 allowed, 0 denied because no statement allows it, -1 denied
 * by a Deny statement (the two words of EC2's UnauthorizedOperation). */
int iam_role_decide(json_object *root, const char *role_name, const char *service,
		    const char *action);

/* As iam_role_decide, for one resource (an ARN, or NULL for any of the service's): a statement
 * applies when one of its Resource patterns matches it (iam:PassRole on a role's ARN). */
int iam_role_decide_on(json_object *root, const char *role_name, const char *service,
		       const char *action, const char *resource);

/* The IAM actions (CreateRole, GetRole, ListRoles, DeleteRole, PutRolePolicy, GetRolePolicy,
 * ListRolePolicies, DeleteRolePolicy, CreateInstanceProfile, GetInstanceProfile,
 * ListInstanceProfiles, DeleteInstanceProfile, AddRoleToInstanceProfile,
 * RemoveRoleFromInstanceProfile, and ListInstanceProfilesForRole): request and response objects keyed by IAM's parameter names,
 * as the aws CLI prints them; errors as IAM gives them (NoSuchEntity, EntityAlreadyExists,
 * MalformedPolicyDocument, DeleteConflict, LimitExceeded, ValidationError). Dispatched by
 * iam_action. */
typedef json_object *(*iam_action_fn)(struct ec2_ctx *ctx, json_object *req,
				      struct ec2_error *err);
iam_action_fn iam_action(const char *name);

#endif

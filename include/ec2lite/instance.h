/* Instances (src/model/instance-*.c): EC2's instance actions over libvirt domains, and the
 * reconcile that finishes what EC2 finishes in the background.
 *
 * Every action follows ec2.h's rules: the request in EC2's parameter names, the response a new
 * object in the shape the aws CLI prints, or NULL with err set and nothing changed. Instance ids
 * are checked before anything else: a malformed one is InvalidInstanceID.Malformed, an unknown
 * one InvalidInstanceID.NotFound, and one bad id fails the whole call (EC2's all-or-nothing
 * rule). Mutating actions honour DryRun (DryRunOperation once every check passed). An instance
 * whose image is being made (CreateImage) cannot be started, stopped or imaged meanwhile
 * (IncorrectInstanceState). */
#ifndef EC2LITE_INSTANCE_H
#define EC2LITE_INSTANCE_H

#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "ec2lite/domxml.h"
#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

/* RunInstances: ImageId, InstanceType (t2.micro when absent), MinCount, MaxCount, KeyName,
 * SecurityGroupIds, UserData, TagSpecifications, BlockDeviceMappings (a larger root volume),
 * HibernationOptions, InstanceInitiatedShutdownBehavior, DisableApiTermination, DisableApiStop,
 * ClientToken, MetadataOptions (ModifyInstanceMetadataOptions' members; an AMI whose ImdsSupport
 * is v2.0 launches with HttpTokens required and hop limit 2), IamInstanceProfile {Arn | Name}
 * (each instance gets an association of it). Launches between MinCount
 * and MaxCount instances (as many as the instance limit and the host's memory allow) and returns
 * the reservation {ReservationId, OwnerId, Groups, Instances[]} with each instance pending. Errors:
 * InvalidAMIID.Malformed/NotFound/Unavailable, InvalidParameterValue, MissingParameter,
 * InvalidGroup.NotFound, InvalidKeyPair.NotFound, InvalidBlockDeviceMapping,
 * UnsupportedHibernationConfiguration, InstanceLimitExceeded, InsufficientInstanceCapacity,
 * InternalError (libvirt). Changes state: volumes, instance folders and domains are made and
 * started; a launch holds the store's launch lock and leaves a journal (journal.h) while it
 * works, and any failure undoes every instance of the launch. A ClientToken seen before returns
 * the earlier reservation and launches nothing. */
json_object *ec2_run_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DescribeInstances: InstanceIds and Filters (EC2's names: instance-state-name, tag:KEY, ...).
 * Returns {Reservations: [{ReservationId, OwnerId, Groups, Instances[]}]}, the live instances and
 * those terminated within the hour, grouped by reservation in launch order. Errors:
 * InvalidInstanceID.Malformed/NotFound, InvalidParameterValue (a filter). Makes one
 * ec2_reconcile pass first, so it may finish pending transitions (a stop that timed out, a
 * teardown cut short); it changes nothing that was asked of it. */
json_object *ec2_describe_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DescribeInstances in two halves, for a front end that keeps descriptions between requests (the
 * API server's view, src/api/view.c); ec2_describe_instances is a reconcile pass, then both.
 * ec2_instances_described: the instances named in ids (a list of ids; NULL: all of this state
 * folder's, live and recently terminated) as they are now, with no reconcile pass, each as
 * {"ReservationId", "Instance"} (the Instance object DescribeInstances gives) in a new array; an id
 * that names no instance, or is malformed, is left out. NULL with err when libvirt or the store
 * cannot be read.
 * ec2_describe_instances_from: DescribeInstances' answer to req from such an array (every check,
 * error, filter and page of ec2_describe_instances, DryRun aside: ec2_action's wrapper honours
 * it). It reads ctx only for the configuration, adds references to described's objects to the
 * response and lets filters read them (json-c caches strings in objects it reads): described
 * must be the caller's own, never shared with another thread. */
json_object *ec2_instances_described(struct ec2_ctx *ctx, json_object *ids, struct ec2_error *err);
json_object *ec2_describe_instances_from(struct ec2_ctx *ctx, json_object *req,
					 json_object *described, struct ec2_error *err);
/* The InstanceId of one such description (borrowed; "" when it has none). */
const char *ec2_described_id(json_object *e);

/* StartInstances: InstanceIds (required). Starts stopped instances (a hibernated one resumes)
 * and returns {StartingInstances: [{CurrentState, InstanceId, PreviousState}]}; an instance
 * already running or pending is reported as it is. Errors: MissingParameter,
 * InvalidInstanceID.Malformed/NotFound, IncorrectInstanceState (terminated, stopping, or being
 * imaged), InsufficientInstanceCapacity (the host's memory). Changes state: domains started, the
 * network made to match (net_sync), a boot timeline begun. */
json_object *ec2_start_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* StopInstances: InstanceIds (required), Force, Hibernate. Asks each running instance's guest to
 * shut down (ACPI; Force powers it off; Hibernate saves its memory) and returns {StoppingInstances:
 * [...]} with each stopping; ec2_reconcile forces off a guest that ignores the request past the
 * stop timeout. Errors: MissingParameter, InvalidInstanceID.Malformed/NotFound,
 * IncorrectInstanceState (terminated, shutting down, or rebooting for an image),
 * OperationNotPermitted (an instance's disableApiStop; none is stopped then),
 * UnsupportedHibernationConfiguration (Hibernate of an instance not launched for it). Changes
 * state: the pending stop recorded in the domain's metadata. */
json_object *ec2_stop_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* RebootInstances: InstanceIds (required). Asks each running instance's guest to reboot (ACPI)
 * and returns {} (EC2's empty answer). The reboot is watched (a libvirt reboot-event
 * registration on ctx's connection); a guest that does not reboot by the reboot timeout is reset
 * by ec2_reconcile, which the front end must keep running while ec2_has_watches is true. Errors:
 * MissingParameter, InvalidInstanceID.Malformed/NotFound, IncorrectInstanceState (not running,
 * or rebooting for an image), InternalError (libvirt). */
json_object *ec2_reboot_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* TerminateInstances: InstanceIds (required). Removes each live instance (domain, root volume,
 * instance folder) after writing its terminated record, which DescribeInstances shows for an hour;
 * returns {TerminatingInstances: [...]} with each shutting-down (an instance terminated already is
 * reported as terminated). Errors: MissingParameter, InvalidInstanceID.Malformed/NotFound,
 * OperationNotPermitted (an instance's disableApiTermination: none of the call's instances is
 * terminated then). Changes state: irreversibly; its public IP and forwards go too. */
json_object *ec2_terminate_instances(struct ec2_ctx *ctx, json_object *req,
				     struct ec2_error *err);

/* DescribeInstanceAttribute (instance-attrs.c): InstanceId and Attribute, any of EC2's
 * (instanceType, kernel, ramdisk, userData, disableApiTermination,
 * instanceInitiatedShutdownBehavior, rootDeviceName, blockDeviceMapping, productCodes,
 * sourceDestCheck, groupSet, ebsOptimized, sriovNetSupport, enaSupport, enclaveOptions,
 * disableApiStop). Returns {InstanceId, <Member>: ...} in EC2's shape ({Value} for most, {} for
 * what an instance here has none of, a list for Groups, BlockDeviceMappings and ProductCodes),
 * members in the order the aws CLI prints them. Errors: MissingParameter,
 * InvalidInstanceID.Malformed/NotFound (terminated too), InvalidParameterValue (an unknown
 * attribute). Changes nothing. */
json_object *ec2_describe_instance_attribute(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err);

/* ModifyInstanceAttribute (instance-attrs.c): InstanceId and exactly one attribute: InstanceType,
 * UserData (raw bytes: the API front end decodes the wire's base64), Kernel, Ramdisk,
 * SriovNetSupport, InstanceInitiatedShutdownBehavior (each {"Value": string} or the string),
 * DisableApiTermination, DisableApiStop, SourceDestCheck, EbsOptimized, EnaSupport (each
 * {"Value": bool} or the bool), Groups (group ids), BlockDeviceMappings; or Attribute with Value
 * (userData's Value in base64). Returns {}. InstanceType, UserData, EnaSupport, SriovNetSupport,
 * Kernel and Ramdisk need a stopped instance (IncorrectInstanceState). Errors: MissingParameter,
 * InvalidParameterCombination (none or several attributes), InvalidInstanceID.*,
 * InvalidParameterValue, InvalidInstanceAttributeValue (an unknown type), InsufficientInstance-
 * Capacity (the new type would not fit at start), UnsupportedHibernationConfiguration,
 * UnsupportedOperation (kernel, ramdisk, SR-IOV, ENA off: not this kind of instance),
 * InvalidGroup.NotFound. Changes state: the domain redefined with the type's vCPUs, memory and
 * TCG cache (nothing else of it changed); the seed ISO written again; the metadata; for groups,
 * the forwards (net_sync). Honours DryRun. */
json_object *ec2_modify_instance_attribute(struct ec2_ctx *ctx, json_object *req,
					   struct ec2_error *err);

/* ModifyInstanceMetadataOptions (instance-metaopts.c): InstanceId, and any of HttpTokens
 * (optional|required), HttpPutResponseHopLimit (1..64), HttpEndpoint (enabled|disabled),
 * HttpProtocolIpv6 (disabled: instances here have no IPv6), InstanceMetadataTags
 * (enabled|disabled); what is not given is kept. A running or stopped instance. Returns
 * {InstanceId, InstanceMetadataOptions} with State "applied": IMDS follows at once. Errors:
 * MissingParameter, InvalidInstanceID.Malformed/NotFound (terminated too), InvalidParameterValue,
 * UnsupportedOperation; a failure changes nothing. Honours DryRun. */
json_object *ec2_modify_instance_metadata_options(struct ec2_ctx *ctx, json_object *req,
						  struct ec2_error *err);

/* The IAM instance profile associations (iam-assoc.c), one at most per live instance, kept in
 * its metadata. An association is {AssociationId "iip-assoc-...", InstanceId,
 * IamInstanceProfile {Arn, Id}, State, Timestamp}; it holds at once, so State is "associated"
 * ("disassociated" in DisassociateIamInstanceProfile's answer), where EC2 says "associating"
 * for a moment. Each honours DryRun; a failure changes nothing.
 * AssociateIamInstanceProfile: IamInstanceProfile {Arn | Name}, InstanceId (running or stopped).
 * Errors: MissingParameter, InvalidInstanceID.*, IncorrectState (it has one already),
 * InvalidParameterValue (no such profile). Returns {IamInstanceProfileAssociation}. */
json_object *ec2_associate_iam_instance_profile(struct ec2_ctx *ctx, json_object *req,
						struct ec2_error *err);
/* DescribeIamInstanceProfileAssociations: AssociationIds (each must exist:
 * InvalidAssociationID.NotFound), Filters instance-id and state, MaxResults (5..1000) and
 * NextToken. Returns {IamInstanceProfileAssociations, NextToken}. Changes nothing. */
json_object *ec2_describe_iam_instance_profile_associations(struct ec2_ctx *ctx, json_object *req,
							    struct ec2_error *err);
/* DisassociateIamInstanceProfile: AssociationId (InvalidAssociationID.NotFound). Returns
 * {IamInstanceProfileAssociation} as it was, State "disassociated". */
json_object *ec2_disassociate_iam_instance_profile(struct ec2_ctx *ctx, json_object *req,
						   struct ec2_error *err);
/* ReplaceIamInstanceProfileAssociation: AssociationId, IamInstanceProfile {Arn | Name}: a new
 * association (a new id) of a running instance (else IncorrectState, as EC2). Returns
 * {IamInstanceProfileAssociation}. */
json_object *ec2_replace_iam_instance_profile_association(struct ec2_ctx *ctx, json_object *req,
							  struct ec2_error *err);

/* GetPasswordData (instance-attrs.c): InstanceId. An instance here is Linux, which has no
 * Windows password: {InstanceId, PasswordData: "", Timestamp} as EC2 answers. Errors:
 * MissingParameter, InvalidInstanceID.Malformed/NotFound. Changes nothing. */
json_object *ec2_get_password_data(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* GetConsoleOutput: InstanceId. Returns {InstanceId, Output, Timestamp}: the last 64 KiB of the
 * serial console log, kept across reboots and stops (no Output while the log is empty, or once
 * the instance is terminated). Errors: MissingParameter, InvalidInstanceID.Malformed/NotFound.
 * Changes nothing. */
json_object *ec2_get_console_output(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DescribeInstanceStatus: InstanceIds, Filters, IncludeAllInstances (else running ones only).
 * Returns {InstanceStatuses: [{InstanceId, InstanceState, SystemStatus, InstanceStatus, ...}]}:
 * SystemStatus ok when the VM process runs and its QEMU monitor answers, InstanceStatus ok once
 * the guest's console shows that it booted. Errors: InvalidInstanceID.Malformed/NotFound,
 * InvalidParameterValue (a filter). Makes one ec2_reconcile pass, as DescribeInstances does. */
json_object *ec2_describe_instance_status(struct ec2_ctx *ctx, json_object *req,
					  struct ec2_error *err);

/* Drives the pending transitions of the instances named in req (InstanceIds; all when absent) to
 * their end: a stop that the guest ignores is forced off after the stop timeout, an ACPI reboot
 * the guest ignores becomes a hard reset after the reboot timeout, a guest that powered itself off
 * becomes stopped or terminated per its shutdown behaviour. With wait=false it makes one pass;
 * with wait=true it returns when nothing is pending any more. Every describe makes one pass.
 * Returns 1 when something is still pending (a stop not yet done, a reboot not yet seen), 0 when
 * all is settled, -1 on error. */
int ec2_reconcile(struct ec2_ctx *ctx, json_object *req, bool wait, struct ec2_error *err);

/* True when this process asked for something that only it can finish (an ACPI reboot whose
 * hard-reset deadline it must enforce): a front end then keeps ec2_reconcile(wait=true) running,
 * in the background if it wants to return to its user. */
bool ec2_has_watches(const struct ec2_ctx *ctx);
/* Drops every watch (seen or not) and its libvirt registration; ec2_ctx_close calls it. */
void ec2_reboot_watches_clear(struct ec2_ctx *ctx);

/* For other modules: instance id's domain (new reference, caller frees), metadata (cleared with
 * ec2_meta_clear) and condition (lifecycle.h: the row of the transition table its actions
 * read; ec2_cond_state gives its EC2 state), after one reconcile step; err
 * InvalidInstanceID.* when it is not a live instance of this state folder. */
int ec2_instance_get(struct ec2_ctx *ctx, const char *id, virDomainPtr *dom, struct ec2_meta *m,
		     enum ec2_cond *cond, struct ec2_error *err);

#endif

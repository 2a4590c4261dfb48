/* The one error type of ec2-lite.
 *
 * Every library function that can fail takes `struct ec2_error *err` as its last argument and
 * also returns a value that says whether it failed (0/-1, or a pointer/NULL). On failure it fills
 * *err once; on success it leaves *err untouched. err may be NULL when the caller does not care.
 * Only front ends print errors; only main() maps them to exit statuses. */
#ifndef EC2LITE_ERROR_H
#define EC2LITE_ERROR_H

#include <stdbool.h>

/* EC2's own error codes (the `Code` of an EC2 error response), as string constants so they can be
 * compared and printed without a translation table. */
#define EC2_ERR_INTERNAL "InternalError"
#define EC2_ERR_INVALID_PARAMETER "InvalidParameterValue"
#define EC2_ERR_INVALID_COMBINATION "InvalidParameterCombination"
#define EC2_ERR_MISSING_PARAMETER "MissingParameter"
#define EC2_ERR_UNKNOWN_PARAMETER "UnknownParameter"
#define EC2_ERR_INSTANCE_MALFORMED "InvalidInstanceID.Malformed"
#define EC2_ERR_INSTANCE_NOT_FOUND "InvalidInstanceID.NotFound"
#define EC2_ERR_AMI_MALFORMED "InvalidAMIID.Malformed"
#define EC2_ERR_AMI_NOT_FOUND "InvalidAMIID.NotFound"
#define EC2_ERR_AMI_UNAVAILABLE "InvalidAMIID.Unavailable"
#define EC2_ERR_AMI_NAME_DUPLICATE "InvalidAMIName.Duplicate"
#define EC2_ERR_AMI_NAME_MALFORMED "InvalidAMIName.Malformed"
#define EC2_ERR_INCORRECT_STATE "IncorrectInstanceState"
#define EC2_ERR_INSUFFICIENT_CAPACITY "InsufficientInstanceCapacity"
#define EC2_ERR_INSTANCE_LIMIT "InstanceLimitExceeded"
#define EC2_ERR_HIBERNATION_UNSUPPORTED "UnsupportedHibernationConfiguration"
#define EC2_ERR_UNSUPPORTED_OPERATION "UnsupportedOperation"
#define EC2_ERR_INVALID_FILTER "InvalidFilter"
/* A request with DryRun=true that would have succeeded (ec2_dry_run); HTTP 412 over the API. */
#define EC2_ERR_DRY_RUN "DryRunOperation"
#define EC2_DRY_RUN_MESSAGE "Request would have succeeded, but DryRun flag is set"
#define EC2_ERR_WAITER "WaiterFailed" /* not EC2's: a waiter gave up (the CLI's exit 255) */

struct ec2_error {
	char code[64];      /* an EC2_ERR_* code */
	char message[1024]; /* EC2's message text: a sentence, no trailing newline */
	int errnum;         /* errno behind it, or 0 */
};

/* Fills err (if not NULL) with code and a printf-style message. */
void ec2_error_set(struct ec2_error *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As ec2_error_set, for a failed system call: appends ": strerror(errnum)" and keeps errnum. */
void ec2_error_set_errno(struct ec2_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As ec2_error_set with EC2_ERR_INTERNAL, appending libvirt's last error message. */
void ec2_error_set_libvirt(struct ec2_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For a domain that would not start (why: the failure's message; NULL: libvirt's last error):
 * QEMU that cannot get the guest's memory is EC2's InsufficientInstanceCapacity (the capacity
 * check passed, but the host's free memory is not what it was); anything else is InternalError
 * with why appended. */
void ec2_error_start_failure(struct ec2_error *err, const char *id, const char *why);

/* True when err holds the given code. */
bool ec2_error_is(const struct ec2_error *err, const char *code);

#endif

/* The error type: see include/ec2lite/error.h. */
#include "ec2lite/error.h"

#include <libvirt/virterror.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct ec2_error *err, const char *code, int errnum, const char *fmt, va_list ap)
{
	snprintf(err->code, sizeof(err->code), "%s", code);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	err->errnum = errnum;
}

void ec2_error_set(struct ec2_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vset(err, code, 0, fmt, ap);
	va_end(ap);
}

static void append(struct ec2_error *err, const char *text)
{
	size_t len = strlen(err->message);

	snprintf(err->message + len, sizeof(err->message) - len, ": %s", text);
}

void ec2_error_set_errno(struct ec2_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vset(err, EC2_ERR_INTERNAL, errnum, fmt, ap);
	va_end(ap);
	append(err, strerror(errnum));
}

void ec2_error_set_libvirt(struct ec2_error *err, const char *fmt, ...)
{
	va_list ap;
	const char *why;

	if (!err)
		return;
	va_start(ap, fmt);
	vset(err, EC2_ERR_INTERNAL, 0, fmt, ap);
	va_end(ap);
	why = virGetLastErrorMessage();
	if (why && *why)
		append(err, why);
}

bool ec2_error_is(const struct ec2_error *err, const char *code)
{
	return err && strcmp(err->code, code) == 0;
}


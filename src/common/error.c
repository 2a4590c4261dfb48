/* The error type: see include/ec2lite/error.h. */
#include "ec2lite/error.h"

#include <libvirt/virterror.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ec2lite/util.h"

/* Messages often repeat a value from the request; one holding characters XML cannot carry
 * would make the API's error response itself unparseable, so such characters (and, in text
 * that is not valid UTF-8, every non-ASCII byte) become '?'. */
static void sanitize(char *s)
{
	bool utf8 = util_text_valid(s, NULL);
	unsigned char *p;

	for (p = (unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\n') || (!utf8 && *p >= 0x80))
			*p = '?';
}

static void vset(struct ec2_error *err, const char *code, int errnum, const char *fmt, va_list ap)
{
	snprintf(err->code, sizeof(err->code), "%s", code);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	sanitize(err->message);
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

void ec2_error_start_failure(struct ec2_error *err, const char *id, const char *why)
{
	/* What QEMU and libvirt say when the memory is not there: mmap's ENOMEM through
	 * strerror, hugepage preallocation, libvirt's own allocation. */
	static const char *const oom[] = { "Cannot allocate memory", "Insufficient free host memory",
					   "Unable to allocate memory", "Out of memory" };
	size_t i;

	if (!why)
		why = virGetLastErrorMessage();
	for (i = 0; why && i < sizeof(oom) / sizeof(oom[0]); i++) {
		if (strcasestr(why, oom[i])) {
			ec2_error_set(err, EC2_ERR_INSUFFICIENT_CAPACITY,
				      "We currently do not have sufficient capacity to start '%s': "
				      "the host could not give it its memory (%s)", id, oom[i]);
			return;
		}
	}
	ec2_error_set(err, EC2_ERR_INTERNAL, "cannot start '%s'%s%s", id, why && *why ? ": " : "",
		      why ? why : "");
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


/* The launch's step trace: see include/ec2lite/launchtime.h. */
#include "ec2lite/launchtime.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/util.h"

static double t_begin = -1.0; /* when the process began (see process_begin) */
static double t_last;         /* when the last step ended */

/* Runs before main: the first step's time then includes the start of the process (its
 * configuration, the libvirt connection). */
__attribute__((constructor)) static void process_begin(void)
{
	t_begin = util_monotonic();
	t_last = t_begin;
}

void launchtime_step(const char *step, const char *id)
{
	const char *where = getenv("EC2_LITE_TIMING");
	char line[256];
	double now;
	int fd, len;

	if (!where || !*where || strcmp(where, "0") == 0)
		return;
	now = util_monotonic();
	if (t_begin < 0)
		t_begin = t_last = now;
	len = snprintf(line, sizeof(line), "timing %ld %.4f %.4f %s%s%s\n", (long)getpid(),
		       now - t_begin, now - t_last, step, id && *id ? " " : "", id ? id : "");
	t_last = now;
	if (len <= 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = (int)sizeof(line) - 1;
	/* One write of one line, O_APPEND: parallel launchers' lines do not mix. */
	if (strcmp(where, "1") == 0) {
		fd = STDERR_FILENO;
	} else {
		fd = open(where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return;
	}
	if (write(fd, line, (size_t)len) < 0) {
		/* A trace that cannot be written is no reason to fail a launch. */
	}
	if (fd != STDERR_FILENO)
		close(fd);
}

/* Boot timelines: when each phase of an instance's boot happened, seen from the host.
 *
 * When an instance starts (run, start, reboot), a detached watcher follows its serial console
 * log and notes the host's time of each phase as it appears (the kernel, the initramfs, init,
 * cloud-init's stages, the user-data, the login prompt or tiny's "ready") and of the first answer
 * of one of its open TCP ports on its public IP. It writes <instance-dir>/timeline.json as it
 * goes and ends when the instance is up and answers, when it stops or is terminated, when a
 * new boot's watcher takes over, or after ten minutes. The timeline says
 * where boot time goes; `ec2-lite describe-boot-timeline` shows it. */
#ifndef EC2LITE_TIMELINE_H
#define EC2LITE_TIMELINE_H

#include <json-c/json.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

/* Forks the watcher of instance id, started (virDomainCreate returned) at started_at (epoch
 * seconds, fractional), whose boot's console output begins at offset in its console log;
 * public_ip (may be NULL) and tcp_ports (an array of port numbers, borrowed, may be NULL) are
 * what it probes for the first answer. */
void timeline_watch(struct ec2_ctx *ctx, const char *id, double started_at, long long offset,
		    const char *public_ip, json_object *tcp_ports);

/* Ends the watcher of instance id's current boot (the instance stops): it writes no more. */
void timeline_forget(struct ec2_ctx *ctx, const char *id);

/* The phases of a console text (the part of one boot): [{"Phase", "Marker"}...] in boot order,
 * each the first line that marks it, for the watcher and for tests. New reference. */
json_object *timeline_phases(const char *text, size_t len);

/* DescribeBootTimeline (ec2-lite's, not EC2's): InstanceIds (default all live ones) ->
 * {"BootTimelines": [{"InstanceId", "StartedAt", "Phases": [{"Phase", "Seconds"}...],
 * "Complete": bool}]}, Seconds counted from the start. */
json_object *ec2_describe_boot_timeline(struct ec2_ctx *ctx, json_object *req,
					struct ec2_error *err);

#endif
